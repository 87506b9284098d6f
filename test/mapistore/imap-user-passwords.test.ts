// The passwords of HTTP Basic sign-ins kept for imap.auth userPassword (src/mapistore/backends/imap/user-passwords.ts)
// and ImapCredentials taking them when the login is asked without a password.
import { describe, expect, it } from 'vitest';
import { ImapCredentials, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import { UserPasswords } from '../../src/mapistore/backends/imap/user-passwords.js';

const SETTINGS: ImapAuthSettings = {
  auth: 'userPassword', masterUser: '', masterPassword: '', masterPasswordFile: '', masterSeparator: '*', trustedPassword: 'x', passwordFile: '',
};

describe('UserPasswords', () => {
  it('keeps a password for keepMs after the sign-in that gave it, by lower-cased user; a later sign-in replaces and renews it', () => {
    let t = 1_000;
    const p = new UserPasswords(60_000, () => t);
    p.remember('Alice', 'one');
    expect(p.get('alice')).toBe('one');
    expect(p.get('ALICE')).toBe('one');
    expect(p.get('bob')).toBeUndefined();
    t += 59_999;
    expect(p.get('alice')).toBe('one');
    p.remember('alice', 'two');
    t += 59_999;
    expect(p.get('alice')).toBe('two');
    t += 1;
    expect(p.get('alice')).toBeUndefined();
    expect(p.size).toBe(0);
  });

  it('forgets expired passwords of other users at the next sign-in', () => {
    let t = 0;
    const p = new UserPasswords(1_000, () => t);
    for (const u of ['a', 'b', 'c']) p.remember(u, u);
    expect(p.size).toBe(3);
    t = 5_000;
    p.remember('d', 'd');
    expect(p.size).toBe(1);
  });
});

describe('ImapCredentials, userPassword mode', () => {
  it('a password given wins; else the one the front door kept; else OC_IMAP_NO_CREDENTIALS naming the key, not a password', () => {
    const kept = new UserPasswords(60_000);
    const c = new ImapCredentials(SETTINGS, kept);
    expect(c.loginFor('alice', 'given')).toEqual({ user: 'alice', pass: 'given' });
    expect(() => c.loginFor('alice')).toThrow(expect.objectContaining({ code: 'OC_IMAP_NO_CREDENTIALS', message: expect.stringContaining('imap.userPasswordSeconds') }));
    kept.remember('alice', 'from-basic');
    expect(c.loginFor('alice')).toEqual({ user: 'alice', pass: 'from-basic' });
    expect(c.loginFor('alice', 'given')).toEqual({ user: 'alice', pass: 'given' });
    expect(() => c.loginFor('bob')).toThrow(expect.objectContaining({ code: 'OC_IMAP_NO_CREDENTIALS' }));
    // without a store of kept passwords (the CLI check): only a given password
    expect(() => new ImapCredentials(SETTINGS).loginFor('alice')).toThrow(expect.objectContaining({ code: 'OC_IMAP_NO_CREDENTIALS' }));
  });

  it('other modes do not look at the kept passwords', () => {
    const kept = new UserPasswords(60_000);
    kept.remember('alice', 'from-basic');
    expect(new ImapCredentials({ ...SETTINGS, auth: 'trusted' }, kept).loginFor('alice')).toEqual({ user: 'alice', pass: 'x' });
  });
});
