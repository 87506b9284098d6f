// A throw-away Cyrus IMAP 3.6 server for the IMAP backend tests (Debian packages cyrus-common and sasl2-bin, and the
// imapd of cyrus-imapd, which scripts/test.sh unpacks when the package is not installed: it conflicts with
// dovecot-imapd): an imapd.conf and cyrus.conf of their own in a temporary directory (nothing is read from /etc), the
// mailbox database and spool under that directory, one imapd service on 127.0.0.1 on a free high port, started as a
// foreground master (`master -D`) in its own process group and stopped with SIGTERM to that group. Cyrus logs to
// syslog only (there is none here): a failed start is reported with the master's own output.
//
// What this configuration gives (the IMAP backend's view):
//   Cyrus announces IMAP4rev1, CONDSTORE, QRESYNC, UIDPLUS, MOVE, ACL (RFC 4314, RIGHTS=kxten, the obsolete "c" and
//   "d" in its answers), NAMESPACE, SPECIAL-USE, IDLE (polled every second: no idled), LIST-STATUS, ENABLE.
//   layout 'alt' (the Cyrus 3 default, altnamespace + unixhierarchysep): NAMESPACE (("" "/")) (("Other Users/" "/"))
//   (("Shared Folders/" "/")), personal mailboxes at the top level beside INBOX, INBOX/<name> under the Inbox.
//   layout 'traditional': (("INBOX." ".")) (("user." ".")) (("" ".")): every personal mailbox is INBOX.<name>.
//   A user's INBOX with Drafts, Sent, Trash and Junk (SPECIAL-USE flags set: xlist-*) is created at the user's first
//   login (autocreate_quota 0), so a user exists in the mailbox database only once logged in.
//
// Logins (sasl 'sasldb'): SASL PLAIN or LOGIN against a sasldb of the users' passwords; the master user is in
// `proxyservers`, so SASL PLAIN as the master user with a user as authorization identity logs in as that user
// (imap.masterLogin authzid); "alice*master" is an unknown user to Cyrus. sasl 'alwaystrue': any password for any
// name (Cyrus's trusted-host mode, imap.auth trusted). `cyrusadmin` is the IMAP admin (unused by the tests' logins).
// With `domain` (virtdomains userid) the users log in as <name>@<domain> (their sasldb entries in that realm); the
// proxy and admin users have no domain. A bare <name> is then a user of the default domain, which Cyrus lets the
// proxy act as, and gives a new, empty mailbox (autocreate).
//
// Must be started as root: Cyrus's master refuses to run as root and switches to the cyrus user, who owns the
// directory.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImapFlowOptions } from 'imapflow';
import { ServerProcess } from './imap-process.js';
import { freePort } from './ports.js';

export const CYRUS_MASTER = '/usr/lib/cyrus/bin/master';
export const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
/**
 * imapd: installed (package cyrus-imapd), or unpacked by scripts/test.sh where dovecot-imapd is installed (the two
 * packages conflict).
 */
export const CYRUS_IMAPD = ['/usr/lib/cyrus/bin/imapd', '/var/cache/ocng-test/cyrus-imapd/usr/lib/cyrus/bin/imapd'].find((f) => fs.existsSync(f)) ?? '/usr/lib/cyrus/bin/imapd';

export const CYRUS_USERS: Readonly<Record<string, string>> = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
export const CYRUS_MASTER_USER = 'proxy';
export const CYRUS_MASTER_PASSWORD = 'proxy-secret';
const ADMIN = 'cyrusadmin';

export interface CyrusOptions {
  /** Default 'alt'. */
  layout?: 'alt' | 'traditional';
  /** Default 'sasldb' (passwords); 'alwaystrue' accepts any password. */
  sasl?: 'sasldb' | 'alwaystrue';
  /** User name -> password (sasldb); default CYRUS_USERS. */
  users?: Record<string, string>;
  /**
   * Virtual domains (`virtdomains: userid`): the users are `<name>@<domain>` (their sasldb entries in that realm); the
   * proxy and admin users stay without a domain (global). Default: none (`virtdomains: off`).
   */
  domain?: string;
}

export class CyrusError extends Error {
  constructor(readonly code: 'OC_TEST_CYRUS_MISSING' | 'OC_TEST_CYRUS_NOT_ROOT' | 'OC_TEST_CYRUS_START', message: string) {
    super(message);
    this.name = 'CyrusError';
  }
}

function passwdEntry(name: string): { uid: number; gid: number } {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const f = line?.split(':') ?? [];
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new CyrusError('OC_TEST_CYRUS_START', `no ${name} user in /etc/passwd (is cyrus-common installed?)`);
  return { uid, gid };
}

function saslpasswd(db: string, user: string, password: string, realm?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(SASLPASSWD2, ['-f', db, '-c', '-p', ...(realm ? ['-u', realm] : []), user], { timeout: 10_000 }, (err, _out, stderr) =>
      err ? reject(new CyrusError('OC_TEST_CYRUS_START', `saslpasswd2 ${user}: ${stderr || err.message}`)) : resolve(),
    );
    child.stdin?.end(password);
  });
}

export class Cyrus {
  private readonly proc = new ServerProcess();
  private output = '';
  readonly host = '127.0.0.1';
  readonly masterUser = CYRUS_MASTER_USER;
  readonly masterPassword = CYRUS_MASTER_PASSWORD;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly users: Readonly<Record<string, string>>,
    readonly sasl: 'sasldb' | 'alwaystrue',
    readonly layout: 'alt' | 'traditional',
  ) {}

  static async start(opts: CyrusOptions = {}): Promise<Cyrus> {
    for (const bin of [CYRUS_MASTER, SASLPASSWD2, CYRUS_IMAPD]) {
      if (!fs.existsSync(bin)) {
        throw new CyrusError('OC_TEST_CYRUS_MISSING', `${bin} is missing: apt-get install -y --no-install-recommends cyrus-common sasl2-bin, and imapd from cyrus-imapd (scripts/test.sh unpacks it)`);
      }
    }
    if (process.getuid?.() !== 0) throw new CyrusError('OC_TEST_CYRUS_NOT_ROOT', 'the Cyrus test server must be started as root (its master switches to the cyrus user)');
    const layout = opts.layout ?? 'alt';
    const sasl = opts.sasl ?? 'sasldb';
    const users = { ...(opts.users ?? CYRUS_USERS) };
    for (const u of Object.keys(users)) if (!/^[a-z0-9]+$/.test(u)) throw new CyrusError('OC_TEST_CYRUS_START', `unusable test user ${JSON.stringify(u)}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-cyrus-'));
    fs.chmodSync(dir, 0o755);
    try {
      for (const sub of ['conf', 'spool', 'socket', 'run']) fs.mkdirSync(path.join(dir, sub));
      const port = await freePort();
      const alt = layout === 'alt' ? 'yes' : 'no';
      fs.writeFileSync(
        path.join(dir, 'imapd.conf'),
        `# generated by test/helpers/cyrus.ts
configdirectory: ${dir}/conf
defaultpartition: default
partition-default: ${dir}/spool
admins: ${ADMIN}
proxyservers: ${CYRUS_MASTER_USER}
allowplaintext: yes
# refused logins answered at once (default: a 3 s pause)
failedloginpause: 0
sasl_mech_list: PLAIN LOGIN
${sasl === 'alwaystrue' ? 'sasl_pwcheck_method: alwaystrue' : `sasl_pwcheck_method: auxprop\nsasl_auxprop_plugin: sasldb\nsasl_sasldb_path: ${dir}/sasldb2`}
altnamespace: ${alt}
unixhierarchysep: ${alt}
virtdomains: ${opts.domain ? 'userid' : 'off'}
lmtpsocket: ${dir}/socket/lmtp
idlesocket: ${dir}/socket/idle
notifysocket: ${dir}/socket/notify
imapidlepoll: 1
autocreate_quota: 0
autocreate_inbox_folders: Drafts | Sent | Trash | Junk
autocreate_subscribe_folders: Drafts | Sent | Trash | Junk
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
syslog_prefix: ocng-cyrus-${port}
`,
      );
      fs.writeFileSync(
        path.join(dir, 'cyrus.conf'),
        `# generated by test/helpers/cyrus.ts
START {
  recover cmd="ctl_cyrusdb -C ${dir}/imapd.conf -r"
}
SERVICES {
  imap cmd="${CYRUS_IMAPD} -C ${dir}/imapd.conf" listen="127.0.0.1:${port}" prefork=0
}
EVENTS {
}
`,
      );
      if (sasl === 'sasldb') {
        const db = path.join(dir, 'sasldb2');
        for (const [u, p] of Object.entries(users)) await saslpasswd(db, u, p, opts.domain);
        for (const [u, p] of [[CYRUS_MASTER_USER, CYRUS_MASTER_PASSWORD], [ADMIN, `${ADMIN}-secret`]] as const) await saslpasswd(db, u, p);
      }
      const { uid, gid } = passwdEntry('cyrus');
      for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chownSync(path.join(dir, f), uid, gid);
      fs.chownSync(dir, uid, gid);
      const c = new Cyrus(dir, port, users, sasl, layout);
      await c.launch();
      return c;
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private async launch(): Promise<void> {
    this.output = '';
    const args = ['-C', path.join(this.dir, 'imapd.conf'), '-M', path.join(this.dir, 'cyrus.conf'), '-p', path.join(this.dir, 'run', 'master.pid'), '-D'];
    const why = await this.proc.start(() => {
      const child = spawn(CYRUS_MASTER, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const keep = (d: Buffer) => {
        this.output = (this.output + d.toString('utf8')).slice(-4000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      return child;
    }, this.port, 15_000);
    if (why !== null) throw new CyrusError('OC_TEST_CYRUS_START', `cyrus master (${this.dir}) did not start on ${this.host}:${this.port} (${why}):\n${this.output}`);
  }

  /**
   * Stops Cyrus (SIGTERM to its process group, the master and its imapd processes: open connections drop) and starts
   * it again on the same port with the same data.
   */
  async restart(): Promise<void> {
    await this.proc.stop();
    await this.launch();
  }

  /** Stops Cyrus and removes its directory. */
  async stop(): Promise<void> {
    await this.proc.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * ImapFlow options that log `user` in: with sasldb as the master user with `user` as SASL PLAIN authorization
   * identity (the user's own password with `password`); with alwaystrue any password. No TLS, no logging, no IDLE.
   */
  clientOptions(user: string, password?: string): ImapFlowOptions {
    const auth =
      password !== undefined ? { user, pass: password }
      : this.sasl === 'alwaystrue' ? { user, pass: 'any-password' }
      : { user: this.masterUser, pass: this.masterPassword, authzid: user, loginMethod: 'AUTH=PLAIN' };
    return { host: this.host, port: this.port, secure: false, auth, logger: false, disableAutoIdle: true, connectionTimeout: 10_000 };
  }

  /**
   * The config overrides of a whole test server (test/helpers/full-server.ts) whose mail is on this Cyrus:
   * store.backend imap, plain loopback, no IDLE, the master login by authzid (sasldb) or trusted (alwaystrue).
   */
  backendConfig(imap: Record<string, unknown> = {}): { store: { backend: 'imap' }; imap: Record<string, unknown> } {
    const auth =
      this.sasl === 'alwaystrue' ? { auth: 'trusted' }
      : { auth: 'master', masterLogin: 'authzid', masterUser: this.masterUser, masterPassword: this.masterPassword };
    return { store: { backend: 'imap' }, imap: { host: this.host, port: this.port, security: 'none', timeoutSeconds: 10, idle: false, ...auth, ...imap } };
  }
}

export function startCyrus(opts: CyrusOptions = {}): Promise<Cyrus> {
  return Cyrus.start(opts);
}
