// How the server logs in to the IMAP server as a given user: the trust modes of docs/imap.md ("IMAP trust modes"),
// chosen by config imap.auth.
//   master        login "<user><masterSeparator><masterUser>" with the master password (Dovecot master users), or
//                 with masterLogin authzid SASL PLAIN as <masterUser> with <user> as authorization identity (Cyrus
//                 proxyservers, Dovecot too); the IMAP server then acts and checks ACLs as <user>.
//   trusted       login "<user>" with imap.trustedPassword; the IMAP server accepts any password from this host
//                 (Dovecot static passdb nopassword=y with allow_nets, Cyrus SASL alwaystrue).
//   passwordFile  login "<user>" with the password from imap.passwordFile ("user:password" lines, "#" comments,
//                 the password is everything after the first ":"), re-read when the file's size or mtime changes.
//                 A file that does not parse stops the start-up; a later re-read that does not parse (a typo, a file
//                 caught half-written) is logged (file and line number, never the line) and the passwords read
//                 before stay in use until the file changes again. An empty password counts as none.
//   userPassword  login "<user>" with the password the user gave the server (HTTP Basic); a session that has
//                 none (NTLM) gets OC_IMAP_NO_CREDENTIALS.
// Configuration mistakes are found when the server starts (ImapConfigError, naming the key); nothing here logs or
// returns a password in an error message.
import fs from 'node:fs';
import type { ImapConfig } from '../../../config/types.js';
import { createLogger, type Logger } from '../../../util/log.js';
import { SEC, StoreError } from '../../errors.js';
import type { UserPasswords } from './user-passwords.js';

/** A configuration that cannot work (a missing key, an unreadable file): found at start-up. */
export class ImapConfigError extends StoreError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('OC_IMAP_CONFIG', SEC.Error, message, details);
  }
}

/** What the server sends in LOGIN/AUTHENTICATE for a user. */
export interface ImapLogin {
  /** The authentication identity: the login name, or the master user when `authzid` is set. */
  user: string;
  pass: string;
  /** SASL PLAIN authorization identity (imap.masterLogin authzid): the user the login acts as. */
  authzid?: string;
}

/** How a login is named in logs, errors and `ocng imap check`: "alice", or "alice (authorized by master)". */
export function loginLabel(l: ImapLogin): string {
  return l.authzid === undefined ? l.user : `${l.authzid} (authorized by ${l.user})`;
}

export type ImapAuthSettings = Pick<
  ImapConfig,
  'auth' | 'masterUser' | 'masterPassword' | 'masterPasswordFile' | 'masterSeparator' | 'trustedPassword' | 'passwordFile'
> &
  Partial<Pick<ImapConfig, 'loginName' | 'masterLogin'>>;

/** Largest password file read (a file of per-user passwords, not a database). */
const MAX_PASSWORD_FILE = 16 * 1024 * 1024;

export class ImapCredentials {
  private masterPass = '';
  private fileStamp = '';
  private filePasswords = new Map<string, string>();
  /** imap.passwordFile parsed once (at start-up): later parse failures keep filePasswords. */
  private fileLoaded = false;
  /** imap.loginName around `%u`. */
  private readonly loginPrefix: string;
  private readonly loginSuffix: string;

  constructor(
    private readonly cfg: ImapAuthSettings,
    /** userPassword: the passwords users signed in with by HTTP Basic (user-passwords.ts), when none is given. */
    private readonly passwords?: UserPasswords,
    /** Where a bad re-read of imap.passwordFile is logged; without it, errors go to stderr. */
    private readonly log?: Logger,
  ) {
    const form = cfg.loginName || '%u';
    const at = form.indexOf('%u');
    if (at < 0 || form.indexOf('%u', at + 2) >= 0) throw new ImapConfigError(`imap.loginName ${JSON.stringify(form)} must hold %u once`);
    this.loginPrefix = form.slice(0, at);
    this.loginSuffix = form.slice(at + 2);
    switch (cfg.auth) {
      case 'master':
        if (!cfg.masterUser) throw new ImapConfigError('imap.auth is master but imap.masterUser is empty');
        if (cfg.masterPasswordFile) {
          this.masterPass = readFirstLine(cfg.masterPasswordFile, 'imap.masterPasswordFile');
        } else {
          this.masterPass = cfg.masterPassword;
        }
        if (!this.masterPass) throw new ImapConfigError('imap.auth is master but neither imap.masterPassword nor imap.masterPasswordFile gives a password');
        break;
      case 'passwordFile':
        if (!cfg.passwordFile) throw new ImapConfigError('imap.auth is passwordFile but imap.passwordFile is empty');
        this.reloadFile();
        break;
      case 'trusted':
        // imapflow sends no LOGIN without a password: every logon would fail as "refused" at the IMAP server
        if (!cfg.trustedPassword) throw new ImapConfigError('imap.auth is trusted but imap.trustedPassword is empty (the IMAP server ignores it, but a login needs one)');
        break;
      case 'userPassword':
        break;
    }
  }

  get mode(): ImapAuthSettings['auth'] {
    return this.cfg.auth;
  }

  /** The IMAP user name of directory user `username` (imap.loginName): the login, and the user's ACL identifier. */
  loginName(username: string): string {
    return `${this.loginPrefix}${username}${this.loginSuffix}`;
  }

  /** The directory username of an IMAP user name in imap.loginName's form (letter case ignored); null when not in it. */
  usernameOf(loginName: string): string | null {
    const p = this.loginPrefix.toLowerCase();
    const s = this.loginSuffix.toLowerCase();
    const l = loginName.toLowerCase();
    if (l.length <= p.length + s.length || !l.startsWith(p) || !l.endsWith(s)) return null;
    return loginName.slice(p.length, loginName.length - s.length);
  }

  /**
   * The login for `username`; `userPassword` is the password the user authenticated with, when known (HTTP Basic);
   * without it, userPassword mode takes the one the front door remembered (`passwords`).
   */
  loginFor(username: string, userPassword?: string): ImapLogin {
    switch (this.cfg.auth) {
      case 'master':
        if (this.cfg.masterLogin === 'authzid') return { user: this.cfg.masterUser, pass: this.masterPass, authzid: this.loginName(username) };
        return { user: `${this.loginName(username)}${this.cfg.masterSeparator}${this.cfg.masterUser}`, pass: this.masterPass };
      case 'trusted':
        return { user: this.loginName(username), pass: this.cfg.trustedPassword };
      case 'passwordFile': {
        this.reloadFile();
        const pass = this.filePasswords.get(username);
        if (pass === undefined) {
          throw new StoreError('OC_IMAP_NO_CREDENTIALS', SEC.LogonFailed, `imap.passwordFile has no line for user ${username}`, { user: username });
        }
        if (pass === '') {
          throw new StoreError('OC_IMAP_NO_CREDENTIALS', SEC.LogonFailed, `imap.passwordFile gives user ${username} an empty password`, { user: username });
        }
        return { user: this.loginName(username), pass };
      }
      case 'userPassword': {
        const pass = userPassword || this.passwords?.get(username);
        if (pass === undefined || pass === '') {
          throw new StoreError(
            'OC_IMAP_NO_CREDENTIALS',
            SEC.LogonFailed,
            `no password for ${username}: imap.auth userPassword needs the user to have signed in with a password (HTTP Basic) within imap.userPasswordSeconds; NTLM gives the server none`,
            { user: username },
          );
        }
        return { user: this.loginName(username), pass };
      }
    }
  }

  /**
   * Re-reads imap.passwordFile when its size or modification time changed. A parse failure after the first read keeps
   * the passwords read before and is logged; the file is parsed again when it changes again.
   */
  private reloadFile(): void {
    const file = this.cfg.passwordFile;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      throw new ImapConfigError(`imap.passwordFile ${file} cannot be read: ${(e as Error).message}`, { file });
    }
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (stamp === this.fileStamp) return;
    if (st.size > MAX_PASSWORD_FILE) throw new ImapConfigError(`imap.passwordFile ${file} is larger than ${MAX_PASSWORD_FILE} bytes`, { file });
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ImapConfigError(`imap.passwordFile ${file} cannot be read: ${(e as Error).message}`, { file });
    }
    let parsed: Map<string, string>;
    try {
      parsed = parsePasswordFile(text, file);
    } catch (e) {
      if (!this.fileLoaded || !(e instanceof ImapConfigError)) throw e;
      this.fileStamp = stamp; // not parsed again (nor logged again) until the file changes
      const line = e.details?.['line'];
      // the line number only: the line holds a password
      (this.log ?? stderrLogger()).error(
        { file, line },
        `imap.passwordFile ${file} line ${String(line)}: expected user:password; the passwords read before stay in use until the file changes`,
      );
      return;
    }
    this.filePasswords = parsed;
    this.fileStamp = stamp;
    this.fileLoaded = true;
  }
}

/** "user:password" lines; blank lines and "#" comments skipped; a line without ":" is an error naming its number. */
export function parsePasswordFile(text: string, file = 'password file'): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ImapConfigError(`${file} line ${i + 1}: expected user:password`, { file, line: i + 1 });
    out.set(line.slice(0, colon).trim(), line.slice(colon + 1));
  }
  return out;
}

let fallbackLog: Logger | undefined;
/** Errors of credentials built without a logger: the process logger's form, on stderr. */
function stderrLogger(): Logger {
  fallbackLog ??= createLogger({ level: 'error', destination: 2 });
  return fallbackLog;
}

function readFirstLine(file: string, key: string): string {
  try {
    return (fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '').trimEnd();
  } catch (e) {
    throw new ImapConfigError(`${key} ${file} cannot be read: ${(e as Error).message}`, { file });
  }
}
