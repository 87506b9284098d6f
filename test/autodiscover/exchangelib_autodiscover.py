#!/usr/bin/python3
# exchangelib's POX Autodiscover client against our server (issue 5 acceptance). The Autodiscover endpoint is
# given on the command line (a loopback port, not https://<domain>/ on 443): it is put in exchangelib's autodiscover
# cache for the address's domain, so that exchangelib.autodiscover.discover() goes straight to it (its "quick" path:
# authenticated POST, response parsing, redirectAddr handling, error mapping). Certificate checks are off (the test
# certificate is self-signed). Prints one JSON object.
#
# usage: exchangelib_autodiscover.py URL USERNAME PASSWORD AUTH(basic|ntlm) EMAIL [UNKNOWN_EMAIL] [REDIRECT_EMAIL]
# (TMPDIR should name a private directory: exchangelib keeps its autodiscover cache file there)
import json
import sys
import warnings

warnings.filterwarnings('ignore')

from exchangelib import Credentials  # noqa: E402
from exchangelib.autodiscover import AutodiscoverProtocol, autodiscover_cache, clear_cache, discover  # noqa: E402
from exchangelib.configuration import Configuration  # noqa: E402
from exchangelib.errors import ErrorNonExistentMailbox  # noqa: E402
from exchangelib.protocol import BaseProtocol, FailFast, NoVerifyHTTPAdapter  # noqa: E402
from exchangelib.transport import BASIC, NTLM  # noqa: E402

BaseProtocol.HTTP_ADAPTER_CLS = NoVerifyHTTPAdapter


def prime(url, email, creds, auth):
    domain = email.rsplit('@', 1)[1].lower()
    cfg = Configuration(service_endpoint=url, credentials=creds, auth_type=auth, retry_policy=FailFast())
    with autodiscover_cache:
        autodiscover_cache[(domain, creds)] = AutodiscoverProtocol(config=cfg)


def describe(ad, protocol):
    out = {
        'user': {
            'display_name': ad.user.display_name,
            'legacy_dn': ad.user.legacy_dn,
            'deployment_id': ad.user.deployment_id,
            'autodiscover_smtp_address': ad.user.autodiscover_smtp_address,
        },
        'account': {'type': ad.account.type, 'action': ad.account.action},
        'protocols': [],
        'ews_endpoint': protocol.service_endpoint,
        'ews_auth_type': protocol.auth_type,
        'version': str(ad.version.build) if ad.version else None,
    }
    for p in ad.account.protocols:
        out['protocols'].append({
            'type': p.type,
            'server': p.server,
            'server_dn': p.server_dn,
            'server_version': [p.server_version.major_version, p.server_version.minor_version, p.server_version.major_build]
            if p.server_version else None,
            'mdb_dn': p.mdb_dn,
            'public_folder_server': p.public_folder_server,
            'port': p.port,
            'directory_port': p.directory_port,
            'referral_port': p.referral_port,
            'as_url': p.as_url,
            'ews_url': p.ews_url,
            'oof_url': p.oof_url,
            'ssl': p.ssl,
            'auth_package': p.auth_package,
            'auth_type': p.auth_type,
            'cert_principal_name': p.cert_principal_name,
        })
    return out


def main():
    url, username, password, auth, email = sys.argv[1:6]
    unknown = sys.argv[6] if len(sys.argv) > 6 else None
    redirect = sys.argv[7] if len(sys.argv) > 7 else None
    auth_type = {'basic': BASIC, 'ntlm': NTLM}[auth]
    creds = Credentials(username, password)
    clear_cache()
    for e in (email, unknown, redirect):
        if e:
            prime(url, e, creds, auth_type)
    ad, protocol = discover(email=email, credentials=creds)
    result = describe(ad, protocol)
    if unknown:
        try:
            discover(email=unknown, credentials=creds)
            result['unknown'] = 'no error'
        except ErrorNonExistentMailbox as e:
            result['unknown'] = type(e).__name__
        except Exception as e:  # noqa: BLE001 - reported to the test
            result['unknown'] = f'{type(e).__name__}: {e}'
    if redirect:
        prime(url, email, creds, auth_type)
        rad, _ = discover(email=redirect, credentials=creds)
        result['redirected'] = rad.user.autodiscover_smtp_address
    print(json.dumps(result))


main()
