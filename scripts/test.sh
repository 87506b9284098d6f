#!/usr/bin/env bash
# The whole test suite: installs the Debian packages the interop and LDAP tests need when they are missing
# (apt-get, as root; otherwise it prints the command to run), type-checks, then runs vitest.
# The last line printed is "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

need=(python3-impacket python3-samba samba-dsdb-modules samba-ad-provision tshark slapd ldap-utils mariadb-server python3-exchangelib curl dovecot-imapd cyrus-common sasl2-bin)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { echo "test.sh: apt-get install failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  else
    echo "test.sh: not root; run: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "0 passed, 1 failed, 0 skipped"; exit 1
  fi
fi

# Cyrus's imapd (test/helpers/cyrus.ts): its package cyrus-imapd conflicts with dovecot-imapd (both provide
# imap-server), so it is unpacked here rather than installed; cyrus-common (master, ctl_cyrusdb) is installed above.
cyrus_dir=/var/cache/ocng-test/cyrus-imapd
if [ ! -x /usr/lib/cyrus/bin/imapd ] && [ ! -x "$cyrus_dir/usr/lib/cyrus/bin/imapd" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: unpacking cyrus-imapd's imapd into $cyrus_dir"
    dl=$(mktemp -d) && chmod 755 "$dl" && (cd "$dl" && { apt-get download -qq cyrus-imapd || { apt-get update -qq && apt-get download -qq cyrus-imapd; }; } >/dev/null 2>&1) \
      && mkdir -p "$cyrus_dir" && dpkg-deb -x "$dl"/cyrus-imapd_*.deb "$cyrus_dir" && chmod 755 /var/cache/ocng-test "$cyrus_dir"
    ok=$?
    rm -rf "$dl"
    [ $ok = 0 ] || { echo "test.sh: could not unpack cyrus-imapd"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  else
    echo "test.sh: not root; run as root: apt-get download cyrus-imapd && dpkg-deb -x cyrus-imapd_*.deb $cyrus_dir"
    echo "0 passed, 1 failed, 0 skipped"; exit 1
  fi
fi

if ! npx tsc -p tsconfig.test.json; then
  echo "test.sh: type check failed"
  echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
exec npx vitest run "$@"
