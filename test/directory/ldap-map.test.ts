// The LDAP entry -> directory mapping on hand-made entries (what slapd cannot easily serve: Active Directory's ranged
// member attribute, publicDelegates, certificates, Samba's "NO PASSWORD" hash, duplicates), and the client's
// time limit against a server that accepts connections and never answers.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { openLdapDirectory } from '../../src/directory/ldap.js';
import { buildIndex, legacyDnName, normalizeDn, type RawEntry } from '../../src/directory/ldap-map.js';
import { silentLogger } from '../../src/util/log.js';

function config(schema: 'openldap' | 'ad', ldap: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    overrides: { server: { hostname: 'mail.corp.test' }, directory: { ldap: { schema, ...ldap } } } as never,
  });
}

const HASH = '0123456789ABCDEF0123456789abcdef';

describe('LDAP mapping: OpenLDAP preset', () => {
  const c = config('openldap');

  it('maps users, skips entries without a username or with a taken one, and reads Samba flags and hashes', () => {
    const users: RawEntry[] = [
      { dn: 'uid=a,ou=p,dc=x', uid: 'a', cn: 'A Person', sambaNTPassword: HASH, sambaAcctFlags: '[U          ]', description: 'Note' },
      { dn: 'uid=b,ou=p,dc=x', uid: 'B', sambaNTPassword: 'NO PASSWORDXXXXXXXXXXXXXXXXXXXXX', sambaAcctFlags: '[UD         ]' },
      { dn: 'uid=c,ou=p,dc=x', cn: 'No uid' },
      { dn: 'uid=dup,ou=p,dc=x', uid: 'a' },
      { dn: 'uid=e,ou=p,dc=x', uid: 'Ünïcødé name', mail: 'not-an-address' },
    ];
    const ix = buildIndex({ users, groups: [], contacts: [] }, c);
    expect(ix.users.map((u) => [u.username, u.displayName, u.smtpAddress, u.enabled])).toEqual([
      ['a', 'A Person', 'a@corp.test', true],
      ['B', 'B', 'b@corp.test', false],
      ['Ünïcødé name', 'Ünïcødé name', '-n-c-d--name@corp.test', true],
    ]);
    expect(ix.users[0]?.attributes).toEqual({ comment: 'Note' });
    expect(ix.userByKey.get('a')?.ntHash?.toString('hex')).toBe(HASH.toLowerCase());
    expect(ix.userByKey.get('b')?.ntHash).toBeNull(); // Samba's placeholder is no hash
    expect(ix.warnings).toHaveLength(2);
    expect(ix.warnings.join('\n')).toMatch(/uid=c,ou=p,dc=x has no uid/);
    expect(ix.warnings.join('\n')).toMatch(/uid=dup,ou=p,dc=x: the username a is taken/);
    expect(Object.isFrozen(ix.users[0])).toBe(true);
  });

  it('gives stable ids that do not depend on the order or on other entries', () => {
    const a: RawEntry = { dn: 'uid=a,dc=x', uid: 'a' };
    const b: RawEntry = { dn: 'uid=b,dc=x', uid: 'b' };
    const one = buildIndex({ users: [a, b], groups: [], contacts: [] }, c);
    const two = buildIndex({ users: [b, { dn: 'uid=z,dc=x', uid: 'z' }, a], groups: [{ dn: 'cn=g,dc=x', cn: 'g' }], contacts: [] }, c);
    expect(two.userByKey.get('a')?.user.id).toBe(one.userByKey.get('a')?.user.id);
    expect(two.userByKey.get('b')?.user.id).toBe(one.userByKey.get('b')?.user.id);
    expect(one.hash).not.toBe(two.hash);
    expect(buildIndex({ users: [b, a], groups: [], contacts: [] }, c).hash).toBe(one.hash);
  });

  it('resolves groupOfNames members by DN (loosely) and posixGroup members by uid; nested groups are not members', () => {
    const users: RawEntry[] = [
      { dn: 'uid=a,ou=People,dc=x', uid: 'a' },
      { dn: 'uid=b,ou=People,dc=x', uid: 'b' },
    ];
    const groups: RawEntry[] = [
      { dn: 'cn=g1,dc=x', cn: 'g1', member: ['UID=A, OU=people, DC=X', 'cn=g2,dc=x', 'uid=ghost,dc=x'] },
      { dn: 'cn=g2,dc=x', cn: 'g2', memberUid: ['B', 'nobody'] },
    ];
    const ix = buildIndex({ users, groups, contacts: [] }, c);
    expect(ix.groups.map((g) => [g.name, g.members])).toEqual([
      ['g1', ['a']],
      ['g2', ['b']],
    ]);
    expect(normalizeDn('CN=Doe\\, Jane , OU=Staff;DC=x')).toBe('cn=doe\\, jane,ou=staff,dc=x');
  });

  it('skips contacts without an address', () => {
    const ix = buildIndex(
      { users: [], groups: [], contacts: [{ dn: 'cn=x,dc=x', cn: 'x' }, { dn: 'cn=y,dc=x', cn: 'y', mail: 'y@ext.test', o: 'Y Inc' }] },
      c,
    );
    expect(ix.contacts.map((k) => [k.name, k.smtpAddress, k.attributes])).toEqual([['y', 'y@ext.test', { company: 'Y Inc' }]]);
    expect(ix.warnings).toEqual(['contact entry cn=x,dc=x has no mail address: skipped']);
  });
});

describe('LDAP mapping: Active Directory preset', () => {
  const c = config('ad');

  it("reads ranged member values, memberOf, publicDelegates, certificates and userAccountControl's disabled bit", () => {
    const cert = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
    const users: RawEntry[] = [
      {
        dn: 'CN=Jane Doe,OU=Staff,DC=corp,DC=test',
        sAMAccountName: 'jdoe',
        proxyAddresses: ['smtp:j@corp.test', 'SMTP:Jane.Doe@corp.test', 'sip:jane@corp.test'],
        userAccountControl: '512',
        publicDelegates: ['CN=Bob,OU=Staff,DC=corp,DC=test', 'CN=Nobody,DC=corp,DC=test'],
        userCertificate: [cert],
        memberOf: 'CN=Big,OU=Groups,DC=corp,DC=test',
        streetAddress: 'Main St 1',
      },
      { dn: 'CN=Bob,OU=Staff,DC=corp,DC=test', sAMAccountName: 'bob', userAccountControl: '66050', mail: 'bob@corp.test' },
    ];
    const groups: RawEntry[] = [
      { dn: 'CN=Big,OU=Groups,DC=corp,DC=test', sAMAccountName: 'Big', 'member;range=0-1499': ['CN=Bob,OU=Staff,DC=corp,DC=test'] },
    ];
    const ix = buildIndex({ users, groups, contacts: [] }, c);
    const jdoe = ix.userByKey.get('jdoe');
    expect(jdoe?.user).toMatchObject({
      smtpAddress: 'Jane.Doe@corp.test',
      proxyAddresses: ['SMTP:Jane.Doe@corp.test', 'smtp:j@corp.test', 'sip:jane@corp.test'],
      attributes: { streetAddress: 'Main St 1' },
      enabled: true,
    });
    expect(jdoe?.selfService).toEqual({ certificates: [cert], delegates: ['bob'] });
    expect(ix.userByKey.get('bob')?.user.enabled).toBe(false); // 66050 = 0x10202: ACCOUNTDISABLE set
    expect(ix.groups[0]?.members).toEqual(['bob', 'jdoe']);
    expect(ix.userByKey.get('j@corp.test')?.user.username).toBe('jdoe');
  });
});

describe('legacyExchangeDN built from a name', () => {
  it('keeps printable ASCII names; makes others 7-bit, "/"-free and still distinct', () => {
    expect(legacyDnName('jdoe')).toBe('jdoe');
    expect(legacyDnName('Partner Contact 2')).toBe('Partner Contact 2');
    const names = ['Müller GmbH', 'Muller GmbH ', 'a/b', 'ødegård', 'Ødegård', '李雷', 'Æsir Þór', 'x\u0000y'];
    const out = names.map(legacyDnName);
    for (const [i, n] of out.entries()) {
      expect(n, names[i]).toMatch(/^[\x20-\x2e\x30-\x7e]+$/);
      expect(n.trim(), names[i]).toBe(n);
    }
    expect(new Set(out).size).toBe(names.length);
    expect(out[0]).toMatch(/^Muller GmbH-[0-9a-f]{8}$/);
    expect(out[3]).toMatch(/^odegard-[0-9a-f]{8}$/);
    expect(out[5]).toMatch(/^[0-9a-f]{8}$/);
    expect(out[6]).toMatch(/^AEsir Thor-[0-9a-f]{8}$/);
  });
});

describe('LDAP client time limit', () => {
  let silent: net.Server;
  let port = 0;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    silent = net.createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    port = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('gives up on a server that never answers after timeoutSeconds, with a coded error', async () => {
    const t0 = Date.now();
    let err: unknown;
    try {
      await openLdapDirectory(
        config('openldap', { url: `ldap://127.0.0.1:${port}`, baseDn: 'dc=x', bindDn: 'cn=a,dc=x', bindPassword: 'p', timeoutSeconds: 1 }),
        silentLogger(),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as DirectoryError).code).toBe('OC_DIR_LDAP_UNREACHABLE');
    expect((err as Error).message).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
