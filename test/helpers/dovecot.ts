// A throw-away Dovecot 2.3 IMAP server for the IMAP backend tests (Debian package dovecot-imapd): a standalone
// dovecot.conf of its own in a temporary directory (nothing is read from /etc/dovecot), maildir storage under that
// directory, listening on 127.0.0.1 on a free high port, started as a foreground child (`dovecot -F -c`) in its own
// process group and stopped with SIGTERM to that group. No systemd; base_dir, state_dir and log are inside the temporary directory, so a system Dovecot
// (if one runs) does not matter.
//
// Server features the IMAP backend relies on and this config turns on:
//   RFC 3501 IMAP4rev1, RFC 7162 CONDSTORE/QRESYNC, RFC 4315 UIDPLUS, RFC 6851 MOVE, RFC 4314 ACL (acl + imap_acl
//   plugins, vfile backend), RFC 2342 NAMESPACE with a shared namespace "shared/<user>/" (acl_shared_dict, so LIST
//   shows other users' mailboxes once they are shared), RFC 6154 SPECIAL-USE (Drafts, Sent, Trash, Junk created and
//   subscribed automatically), RFC 2177 IDLE, RFC 5465 NOTIFY (Dovecot advertises it with mailbox_list_index = yes),
//   RFC 5819 LIST-STATUS, RFC 5161 ENABLE; with `quota`, RFC 9208 QUOTA (quota + imap_quota plugins, count backend).
//
// Trust modes (see docs/imap.md "IMAP trust modes"):
//   passwd  users from a passwd-file with {PLAIN} passwords
//   master  the same users plus a master passdb; "alice*master" with the master password logs in as alice
//   static  static passdb with nopassword=y restricted by allow_nets (default 127.0.0.1/32): any password
//
// Choices: the mail processes run as nobody/nogroup (static userdb; in static mode with allow_all_users=yes, since
// the passdb cannot confirm a user without a client address); Dovecot's master must be started as root, so the
// helper refuses to start otherwise. ACLs are checked as the login user even for master logins (acl_user = %u) and
// re-read on every access (vfile cache_secs=0), so a SETACL counts in other sessions at once.
// The shared namespace uses the owner's index (no INDEXPVT), so \Seen on a shared folder is the owner's flag, as for
// Exchange delegate access. auth_failure_delay = 0 and no anvil auth penalty, so refused logins do not slow
// the tests down.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { ImapPoolSettings } from '../../src/mapistore/backends/imap/pool.js';
import { ServerProcess } from './imap-process.js';
import { freePort } from './ports.js';

export const DOVECOT = '/usr/sbin/dovecot';
export const DOVEADM = '/usr/bin/doveadm';

/**
 * What Dovecot 2.3.19 announces after login in this configuration: the list `withoutCapabilities` is taken from
 * (Dovecot's imap_capability replaces the whole list, the imap_acl plugin's ACL and RIGHTS= included).
 */
const DOVECOT_CAPABILITIES = (
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND ' +
  'URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN ' +
  'CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE ACL RIGHTS=TEXK'
).split(' ');

export type DovecotAuthMode = 'passwd' | 'master' | 'static';

export const DEFAULT_USERS: Readonly<Record<string, string>> = {
  alice: 'alice-secret',
  bob: 'bob-secret',
  carol: 'carol-secret',
};
export const MASTER_USER = 'master';
export const MASTER_PASSWORD = 'master-secret';

export interface DovecotOptions {
  /** Default 'passwd'. */
  mode?: DovecotAuthMode;
  /** User name -> password (passwd and master modes; in static mode only the names matter). */
  users?: Record<string, string>;
  masterUser?: string;
  masterPassword?: string;
  /** static mode: the networks whose clients may log in without a password (allow_nets). */
  trustedNets?: string;
  /** Default: a free port chosen at start. */
  port?: number;
  /**
   * Default true: `plugin { acl_user = %u }`, ACLs checked as the login user for master logins too. False leaves it
   * out, the misconfiguration `ocng imap check` reports (master logins then have no rights on the user's mailboxes).
   */
  aclUser?: boolean;
  /**
   * TLS (PEM certificate and key): `ssl = yes` (STARTTLS on `port`) and an implicit-TLS listener on `tlsPort`.
   * Default: no TLS at all (`ssl = no`, no STARTTLS capability).
   */
  tls?: { cert: string; key: string };
  /**
   * The personal namespace's prefix and hierarchy separator (default "" and "/"). `{ prefix: 'INBOX.', separator:
   * '.' }` gives the Courier / Cyrus layout, every personal mailbox under "INBOX."; the shared namespace takes the
   * same separator (Dovecot wants one for all).
   */
  personal?: { prefix: string; separator: string };
  /** Capabilities taken out of the ones Dovecot announces after login (e.g. ['CONDSTORE', 'QRESYNC']). */
  withoutCapabilities?: string[];
  /**
   * A storage quota for every user (a Dovecot size such as '100K' or '2M'): the quota and imap_quota plugins (RFC 9208
   * QUOTA: GETQUOTAROOT answers `"User quota" (STORAGE <used KiB> <limit KiB>)`) with the count backend, which needs
   * quota_vsizes; an APPEND or COPY past the limit is `NO [OVERQUOTA] Quota exceeded (mailbox for user is full)`.
   * Default: no quota plugins.
   */
  quota?: string;
}

export class DovecotError extends Error {
  constructor(
    readonly code: 'OC_TEST_DOVECOT_MISSING' | 'OC_TEST_DOVECOT_NOT_ROOT' | 'OC_TEST_DOVECOT_START' | 'OC_TEST_DOVECOT_DOVEADM',
    message: string,
  ) {
    super(message);
    this.name = 'DovecotError';
  }
}

function idOf(name: string, file: string): number {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const id = line ? Number(line.split(':')[2]) : NaN;
  if (!Number.isInteger(id)) throw new DovecotError('OC_TEST_DOVECOT_START', `no ${name} entry in ${file}`);
  return id;
}

type ConfOptions = Required<Omit<DovecotOptions, 'users' | 'port' | 'tls' | 'personal' | 'withoutCapabilities' | 'quota'>>;

function passdbs(o: ConfOptions, dir: string): string {
  const users = `passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
`;
  if (o.mode === 'passwd') return users;
  if (o.mode === 'master') {
    return `passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/master-users
  master = yes
  # the login user must exist in the next passdb
  result_success = continue
}
${users}`;
  }
  return `passdb {
  driver = static
  args = nopassword=y allow_nets=${o.trustedNets}
}
`;
}

function dovecotConf(
  o: ConfOptions, dir: string, port: number, tlsPort: number | null,
  personal: { prefix: string; separator: string } = { prefix: '', separator: '/' },
  without: readonly string[] = [],
  quota?: string,
): string {
  const caps = quota ? [...DOVECOT_CAPABILITIES, 'QUOTA'] : DOVECOT_CAPABILITIES;
  return `# generated by test/helpers/dovecot.ts (standalone: nothing from /etc/dovecot)
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
instance_name = ocng-dovecot-${port}
${tlsPort === null ? 'ssl = no' : `ssl = yes\nssl_cert = <${dir}/tls-cert.pem\nssl_key = <${dir}/tls-key.pem`}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = *
auth_failure_delay = 0
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
mailbox_list_index = yes
mail_plugins = acl${quota ? ' quota' : ''}

namespace inbox {
  type = private
  inbox = yes
  separator = ${personal.separator}
  prefix = ${personal.prefix}
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
namespace shared {
  type = shared
  separator = ${personal.separator}
  prefix = shared${personal.separator}%%u${personal.separator}
  location = maildir:%%h/Maildir
  subscriptions = no
  list = children
}

${passdbs(o, dir)}userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u${o.mode === 'static' ? ' allow_all_users=yes' : ''}
}

protocol imap {
  mail_plugins = $mail_plugins imap_acl${quota ? ' imap_quota' : ''}
  mail_max_userip_connections = 200
${without.length > 0 ? `  imap_capability = ${caps.filter((c) => !without.includes(c)).join(' ')}\n` : ''}}
plugin {
  # stat() the dovecot-acl files on every access, so another session's SETACL counts at once (default: 30 s)
  acl = vfile:cache_secs=0
${o.aclUser ? '  acl_user = %u\n' : ''}  acl_shared_dict = file:${dir}/shared/shared-mailboxes.db
${quota ? `  quota = count:User quota\n  quota_vsizes = yes\n  quota_rule = *:storage=${quota}\n` : ''}}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
  }
}
service anvil {
  chroot =
  # no growing auth penalty per IP: the tests refuse logins on purpose
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export class Dovecot {
  private readonly proc = new ServerProcess();
  readonly host = '127.0.0.1';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly mode: DovecotAuthMode,
    readonly users: Readonly<Record<string, string>>,
    readonly masterUser: string,
    readonly masterPassword: string,
    /** The implicit-TLS (imaps) port with `tls`, else null. */
    readonly tlsPort: number | null = null,
  ) {}

  get conf(): string {
    return path.join(this.dir, 'dovecot.conf');
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** Writes the config and user files into a new temporary directory and starts Dovecot. */
  static async start(opts: DovecotOptions = {}): Promise<Dovecot> {
    for (const bin of [DOVECOT, DOVEADM]) {
      if (!fs.existsSync(bin)) {
        throw new DovecotError('OC_TEST_DOVECOT_MISSING', `${bin} is missing: apt-get install -y --no-install-recommends dovecot-imapd`);
      }
    }
    if (process.getuid?.() !== 0) {
      throw new DovecotError('OC_TEST_DOVECOT_NOT_ROOT', 'the Dovecot test server must be started as root (its mail processes run as nobody)');
    }
    const o = {
      mode: opts.mode ?? 'passwd',
      masterUser: opts.masterUser ?? MASTER_USER,
      masterPassword: opts.masterPassword ?? MASTER_PASSWORD,
      trustedNets: opts.trustedNets ?? '127.0.0.1/32',
      aclUser: opts.aclUser ?? true,
    };
    const users = { ...(opts.users ?? DEFAULT_USERS) };
    for (const [u, p] of Object.entries(users)) {
      if (!/^[A-Za-z0-9._@-]+$/.test(u) || /[:\n]/.test(p)) throw new DovecotError('OC_TEST_DOVECOT_START', `unusable test user ${JSON.stringify(u)}`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-dovecot-'));
    fs.chmodSync(dir, 0o755);
    const uid = idOf('nobody', '/etc/passwd');
    const gid = idOf('nogroup', '/etc/group');
    for (const sub of ['run', 'state', 'home', 'shared']) fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
    fs.chownSync(path.join(dir, 'home'), uid, gid);
    fs.chownSync(path.join(dir, 'shared'), uid, gid);
    fs.writeFileSync(
      path.join(dir, 'users'),
      Object.entries(users)
        .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
        .join(''),
    );
    fs.writeFileSync(path.join(dir, 'master-users'), `${o.masterUser}:{PLAIN}${o.masterPassword}\n`);
    const port = opts.port ?? (await freePort());
    let tlsPort: number | null = null;
    if (opts.tls) {
      fs.writeFileSync(path.join(dir, 'tls-cert.pem'), opts.tls.cert);
      fs.writeFileSync(path.join(dir, 'tls-key.pem'), opts.tls.key, { mode: 0o600 });
      tlsPort = await freePort();
    }
    fs.writeFileSync(path.join(dir, 'dovecot.conf'), dovecotConf(o, dir, port, tlsPort, opts.personal, opts.withoutCapabilities, opts.quota));
    const d = new Dovecot(dir, port, o.mode, users, o.masterUser, o.masterPassword, tlsPort);
    try {
      await d.launch();
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return d;
  }

  /** The last lines of Dovecot's log (for error messages and debugging). */
  logTail(lines = 20): string {
    const file = path.join(this.dir, 'dovecot.log');
    if (!fs.existsSync(file)) return '(no log)';
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  }

  private async launch(): Promise<void> {
    const why = await this.proc.start(() => {
      const out = fs.openSync(path.join(this.dir, 'dovecot.log'), 'a');
      try {
        return spawn(DOVECOT, ['-F', '-c', this.conf], { stdio: ['ignore', out, out], detached: true });
      } finally {
        fs.closeSync(out);
      }
    }, this.port, 10_000);
    if (why !== null) {
      throw new DovecotError('OC_TEST_DOVECOT_START', `dovecot (${this.dir}) did not start on ${this.host}:${this.port} (${why}):\n${this.logTail(15)}`);
    }
  }

  /**
   * SIGTERM to Dovecot's process group (the master and every login, auth and imap process it forked), SIGKILL to
   * the group after 5 s. Signalling only the master would leave the imap processes serving their clients for
   * another ~10 s. Data stays.
   */
  private halt(): Promise<void> {
    return this.proc.stop();
  }

  /** Stops Dovecot (open IMAP connections are dropped) and starts it again on the same port with the same data. */
  async restart(): Promise<void> {
    await this.halt();
    await this.launch();
  }

  /** Stops Dovecot and removes its directory. */
  async stop(): Promise<void> {
    await this.halt();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * The login name and password that log `user` in under this server's trust mode: the user's own password
   * (passwd), "user*master" with the master password (master), or an arbitrary password (static). With an
   * explicit `password` the login is plain `user` with that password in every mode.
   */
  credentials(user: string, password?: string): { user: string; pass: string } {
    if (password !== undefined) return { user, pass: password };
    if (this.mode === 'master') return { user: `${user}*${this.masterUser}`, pass: this.masterPassword };
    if (this.mode === 'static') return { user, pass: 'any-password' };
    return { user, pass: this.users[user] ?? '' };
  }

  /** ImapFlow options for `user` (see credentials(); no TLS, no logging, no auto-IDLE). */
  clientOptions(user: string, password?: string): ImapFlowOptions {
    return {
      host: this.host,
      port: this.port,
      secure: false,
      auth: this.credentials(user, password),
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 10_000,
    };
  }

  /** Runs doveadm against this instance's config (e.g. ['mailbox', 'status', '-u', 'alice', 'messages', 'INBOX']). */
  async doveadm(args: string[]): Promise<string> {
    const r = await run(DOVEADM, ['-c', this.conf, ...args]);
    if (r.code !== 0) throw new DovecotError('OC_TEST_DOVECOT_DOVEADM', `doveadm ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

export function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  return Dovecot.start(opts);
}

/** One argument of a raw IMAP command: an atom is sent as is, a string quoted (or as a literal when needed). */
export type ImapArg = { type: 'ATOM' | 'STRING'; value: string };
export const atom = (value: string): ImapArg => ({ type: 'ATOM', value });
export const str = (value: string): ImapArg => ({ type: 'STRING', value });

/** An untagged response collected by imapCommand, with its attributes flattened to strings and nested lists. */
export interface UntaggedLine {
  command: string;
  attributes: UntaggedValue[];
}
export type UntaggedValue = string | null | UntaggedValue[];

interface ParsedAttr {
  type?: string;
  value?: unknown;
}
interface ExecResult {
  response: unknown;
  next: () => void;
}
type Execable = {
  exec(command: string, attributes: ImapArg[], options: { untagged: Record<string, (u: { command: string; attributes?: ParsedAttr[] }) => Promise<void>> }): Promise<ExecResult>;
};

function flatten(a: unknown): UntaggedValue {
  if (Array.isArray(a)) return a.map(flatten);
  if (a === null || a === undefined) return null;
  const v = (a as ParsedAttr).value;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(flatten);
  return v === null || v === undefined ? null : String(v);
}

/**
 * Sends a command imapflow has no method for (SETACL, GETACL, MYRIGHTS, LISTRIGHTS, ...) over an authenticated
 * ImapFlow connection and returns the untagged responses named in `collect`. Uses imapflow's internal exec(), whose
 * result must be released with next() before the connection can send anything else. A NO/BAD rejects with
 * imapflow's error. Mailbox names are sent as given: callers pass ASCII or modified UTF-7 (RFC 3501 5.1.3).
 */
export async function imapCommand(client: ImapFlow, command: string, args: ImapArg[], collect: string[] = []): Promise<UntaggedLine[]> {
  const lines: UntaggedLine[] = [];
  const untagged: Record<string, (u: { command: string; attributes?: ParsedAttr[] }) => Promise<void>> = {};
  for (const name of collect) {
    untagged[name.toUpperCase()] = async (u) => {
      lines.push({ command: name.toUpperCase(), attributes: (u.attributes ?? []).map(flatten) });
    };
  }
  const r = await (client as unknown as Execable).exec(command, args, { untagged });
  r.next();
  return lines;
}

/** GETACL of `box` over `client`: identifier -> rights, as the server wrote them. */
export async function getAcl(client: ImapFlow, box: string): Promise<Record<string, string>> {
  const [line] = await imapCommand(client, 'GETACL', [str(box)], ['ACL']);
  const a = (line?.attributes ?? []) as string[];
  const out: Record<string, string> = {};
  for (let i = 1; i + 1 < a.length; i += 2) out[a[i]!] = a[i + 1]!;
  return out;
}

/**
 * ImapPool settings for a test IMAP server (Dovecot or Cyrus): plain loopback, 2 connections per user, 60 s idle,
 * 10 s timeout; `o` replaces any of them.
 */
export function poolSettings(server: { host: string; port: number }, o: Partial<ImapPoolSettings> = {}): ImapPoolSettings {
  return { host: server.host, port: server.port, security: 'none', allowInvalidCertificates: false, maxConnectionsPerUser: 2, idleSeconds: 60, timeoutSeconds: 10, ...o };
}

/**
 * The config overrides of a whole test server (test/helpers/full-server.ts startTestServer) whose mail is on this
 * master-mode Dovecot: store.backend imap, plain loopback, no IDLE; `imap` adds or replaces keys.
 */
export function imapBackendConfig(d: Dovecot, imap: Record<string, unknown> = {}): { store: { backend: 'imap' }; imap: Record<string, unknown> } {
  return {
    store: { backend: 'imap' },
    imap: { host: d.host, port: d.port, security: 'none', auth: 'master', masterUser: d.masterUser, masterPassword: d.masterPassword, timeoutSeconds: 10, idle: false, ...imap },
  };
}
