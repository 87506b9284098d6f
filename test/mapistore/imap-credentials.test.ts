// The two forms of a master login (src/mapistore/backends/imap/credentials.ts, imap.masterLogin): Dovecot's
// "<user><separator><master>" LOGIN and SASL PLAIN with the user as authorization identity (Cyrus proxyservers), and
// how each is named in logs and errors; imap.passwordFile re-read after a bad edit; trusted mode without a password.
// Against real servers: test/integration/imap-pool.test.ts (Dovecot) and imap-cyrus.test.ts (Cyrus).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConfigError, ImapCredentials, loginLabel, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import { SEC } from '../../src/mapistore/errors.js';
import { captureLog } from '../helpers/log-capture.js';

const MASTER: ImapAuthSettings = {
  auth: 'master', masterUser: 'proxy', masterPassword: 'proxy-secret', masterPasswordFile: '', masterSeparator: '*', trustedPassword: '', passwordFile: '',
};

describe('ImapCredentials, master mode', () => {
  it('separator (the default): the user, the separator and the master user in one login name', () => {
    const c = new ImapCredentials({ ...MASTER, loginName: '%u@example.com' });
    const l = c.loginFor('alice');
    expect(l).toEqual({ user: 'alice@example.com*proxy', pass: 'proxy-secret' });
    expect(loginLabel(l)).toBe('alice@example.com*proxy');
  });

  it('authzid: the master user authenticates, the user (in imap.loginName form) is the authorization identity', () => {
    const c = new ImapCredentials({ ...MASTER, masterLogin: 'authzid', loginName: '%u@example.com' });
    const l = c.loginFor('alice');
    expect(l).toEqual({ user: 'proxy', pass: 'proxy-secret', authzid: 'alice@example.com' });
    expect(loginLabel(l)).toBe('alice@example.com (authorized by proxy)');
    // the other modes have no authorization identity, whatever masterLogin says
    expect(new ImapCredentials({ ...MASTER, auth: 'trusted', trustedPassword: 'x', masterLogin: 'authzid' }).loginFor('alice')).toEqual({ user: 'alice', pass: 'x' });
  });
});

/** What `f` throws (fails the test when it returns). */
function thrown(f: () => unknown): ImapConfigError {
  try {
    f();
  } catch (e) {
    return e as ImapConfigError;
  }
  throw new Error('expected an error');
}

describe('ImapCredentials, passwordFile mode', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-cred-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes the file with a modification time of its own (a re-read is due after each write). */
  function write(f: string, text: string): void {
    fs.writeFileSync(f, text, { mode: 0o600 });
    const t = new Date(Date.now() + 10_000 * ++n);
    fs.utimesSync(f, t, t);
  }
  const settings = (f: string): ImapAuthSettings => ({ ...MASTER, auth: 'passwordFile', passwordFile: f });

  it('a file that does not parse at start-up stops it, naming the file and line', () => {
    const f = path.join(dir, 'bad-at-start');
    write(f, 'alice:a\nbob-without-colon-s3cret\n');
    const err = thrown(() => new ImapCredentials(settings(f)));
    expect(err).toBeInstanceOf(ImapConfigError);
    expect(err.code).toBe('OC_IMAP_CONFIG');
    expect(err.message).toContain(`${f} line 2`);
    expect(err.message).not.toContain('s3cret');
  });

  it('a later re-read that does not parse keeps the passwords read before, logs the file and line once, and is retried at the next change', () => {
    const f = path.join(dir, 'edited');
    write(f, 'alice:a-one\nbob:b-one\n');
    const { lines, log } = captureLog('debug');
    const c = new ImapCredentials(settings(f), undefined, log);
    expect(c.loginFor('alice')).toEqual({ user: 'alice', pass: 'a-one' });

    // a typo in one line (or the file read half-written): every user keeps logging in with the last good passwords
    write(f, 'alice:a-two\n# comment\ncarol-typo-s3cret\nbob:b-two\n');
    expect(c.loginFor('alice')).toEqual({ user: 'alice', pass: 'a-one' });
    expect(c.loginFor('bob')).toEqual({ user: 'bob', pass: 'b-one' });
    expect(() => c.loginFor('carol')).toThrow(expect.objectContaining({ code: 'OC_IMAP_NO_CREDENTIALS' }));
    const errors = lines.filter((l) => l['level'] === 50);
    expect(errors).toHaveLength(1); // not again at every login while the file is unchanged
    expect(errors[0]).toMatchObject({ file: f, line: 3 });
    expect(errors[0]?.['msg']).toContain(`imap.passwordFile ${f} line 3`);
    expect(JSON.stringify(lines)).not.toMatch(/s3cret|a-two|b-two|a-one|b-one/);

    // fixed: the new passwords are read
    write(f, 'alice:a-three\ncarol:c-three\n');
    expect(c.loginFor('alice')).toEqual({ user: 'alice', pass: 'a-three' });
    expect(c.loginFor('carol')).toEqual({ user: 'carol', pass: 'c-three' });
    expect(() => c.loginFor('bob')).toThrow(expect.objectContaining({ code: 'OC_IMAP_NO_CREDENTIALS' }));
    expect(lines.filter((l) => l['level'] === 50)).toHaveLength(1);
  });

  it('a user whose password is empty has none: OC_IMAP_NO_CREDENTIALS, as a user missing from the file', () => {
    const f = path.join(dir, 'empty');
    write(f, 'alice:\nbob:b\n');
    const c = new ImapCredentials(settings(f));
    expect(c.loginFor('bob')).toEqual({ user: 'bob', pass: 'b' });
    for (const user of ['alice', 'carol']) {
      const err = thrown(() => c.loginFor(user));
      expect(err.code, user).toBe('OC_IMAP_NO_CREDENTIALS');
      expect((err as unknown as { ec: number }).ec, user).toBe(SEC.LogonFailed);
      expect(err.message, user).toContain(user);
    }
  });
});

describe('ImapCredentials, trusted mode', () => {
  it('an empty imap.trustedPassword is refused at start-up, naming the key', () => {
    const err = thrown(() => new ImapCredentials({ ...MASTER, auth: 'trusted', trustedPassword: '' }));
    expect(err).toBeInstanceOf(ImapConfigError);
    expect(err.code).toBe('OC_IMAP_CONFIG');
    expect(err.message).toContain('imap.trustedPassword');
    expect(new ImapCredentials({ ...MASTER, auth: 'trusted', trustedPassword: 't' }).loginFor('alice')).toEqual({ user: 'alice', pass: 't' });
  });
});
