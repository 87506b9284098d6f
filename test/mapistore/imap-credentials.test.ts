// The two forms of a master login (src/mapistore/backends/imap/credentials.ts, imap.masterLogin): Dovecot's
// "<user><separator><master>" LOGIN and SASL PLAIN with the user as authorization identity (Cyrus proxyservers), and
// how each is named in logs and errors. Against real servers: test/integration/imap-pool.test.ts (Dovecot) and
// imap-cyrus.test.ts (Cyrus).
import { describe, expect, it } from 'vitest';
import { ImapCredentials, loginLabel, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';

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
