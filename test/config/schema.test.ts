import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { configSchema, defaultHostname, dnsDomainOf, netbiosNameOf } from '../../src/config/schema.js';
import { configKeys, envNameOf, normalizeSegment } from '../../src/config/keys.js';

describe('config schema defaults', () => {
  const c = configSchema.parse({});

  it('fills every key with the documented default', () => {
    expect(c.dataDir).toBe('./data');
    expect(c.server.domain).toBe('OCNG');
    expect(c.server.organization).toBe('First Organization');
    expect(c.server.administrativeGroup).toBe('Exchange Administrative Group (FYDIBOHF23SPDLT)');
    expect(c.log).toEqual({ level: 'info', file: '' });
    expect(c.rpc).toEqual({
      listen: '0.0.0.0',
      port: 6100,
      epmPort: 135,
      advertiseAddress: '',
      httpPorts: { emsmdb: 6001, nspi: 6004, rfr: 6002 },
      maxFragmentSize: 5840,
      maxRequestSize: 16777216,
      maxConnections: 1000,
      idleTimeoutSeconds: 900,
      maxAssociationGroups: 10000,
    });
    expect(c.auth).toEqual({ allowNtlmV1: true, maxClockSkewSeconds: 129600 });
    expect(c.directory).toMatchObject({ provider: 'builtin', demoUser: true });
    expect(c.directory.ldap).toMatchObject({
      url: '',
      schema: 'openldap',
      bindDn: '',
      baseDn: '',
      userFilter: '(&(objectClass=inetOrgPerson)(uid=*))',
      contactFilter: '',
      scope: 'sub',
      pageSize: 500,
      refreshSeconds: 300,
      timeoutSeconds: 10,
      tls: { caFile: '', rejectUnauthorized: true, startTls: false },
    });
    expect(c.directory.ldap.attributes).toMatchObject({ username: 'uid', ntHash: 'sambaNTPassword', member: 'member', memberUid: 'memberUid' });
  });

  it('derives the server names from the host name', () => {
    expect(c.server.hostname).toBe(defaultHostname());
    expect([os.hostname().toLowerCase(), 'localhost']).toContain(defaultHostname());
    expect(c.server.dnsDomain).toBe(dnsDomainOf(c.server.hostname));
    expect(c.server.netbiosName).toBe(netbiosNameOf(c.server.hostname));
  });

  it('derives dnsDomain and netbiosName from a configured hostname', () => {
    const s = configSchema.parse({ server: { hostname: 'exchange-server-number-one.corp.example.com' } }).server;
    expect(s.dnsDomain).toBe('corp.example.com');
    expect(s.netbiosName).toBe('EXCHANGE-SERVER');
    expect(s.netbiosName.length).toBe(15);
    const t = configSchema.parse({ server: { hostname: 'mail' } }).server;
    expect(t.dnsDomain).toBe('localdomain');
    expect(t.netbiosName).toBe('MAIL');
    const u = configSchema.parse({ server: { hostname: 'mail.example.com', dnsDomain: 'other.test', netbiosName: 'MX1' } }).server;
    expect(u.dnsDomain).toBe('other.test');
    expect(u.netbiosName).toBe('MX1');
  });

  it('treats an IP address as host name sensibly', () => {
    expect(dnsDomainOf('192.168.1.10')).toBe('localdomain');
    expect(netbiosNameOf('192.168.1.10')).toBe('OCNG');
  });
});

describe('config schema validation', () => {
  const bad: [string, unknown][] = [
    ['rpc.port -1', { rpc: { port: -1 } }],
    ['rpc.port 65536', { rpc: { port: 65536 } }],
    ['rpc.port 1.5', { rpc: { port: 1.5 } }],
    ['rpc.port string', { rpc: { port: '6100' } }],
    ['rpc.epmPort -2', { rpc: { epmPort: -2 } }],
    ['rpc.maxFragmentSize 1431', { rpc: { maxFragmentSize: 1431 } }],
    ['rpc.maxFragmentSize 65536', { rpc: { maxFragmentSize: 65536 } }],
    ['rpc.maxRequestSize 65535', { rpc: { maxRequestSize: 65535 } }],
    ['rpc.maxRequestSize > 1 GiB', { rpc: { maxRequestSize: 2 ** 30 + 1 } }],
    ['rpc.advertiseAddress not IPv4', { rpc: { advertiseAddress: 'host.example' } }],
    ['rpc.httpPorts.nspi 70000', { rpc: { httpPorts: { nspi: 70000 } } }],
    ['netbiosName 16 chars', { server: { netbiosName: 'ABCDEFGHIJKLMNOP' } }],
    ['netbiosName with a space', { server: { netbiosName: 'MY HOST' } }],
    ['hostname with a space', { server: { hostname: 'my host' } }],
    ['organization with a slash', { server: { organization: 'a/b' } }],
    ['log.level unknown', { log: { level: 'verbose' } }],
    ['directory.provider ldap without url and baseDn', { directory: { provider: 'ldap' } }],
    ['directory.provider ldap without baseDn', { directory: { provider: 'ldap', ldap: { url: 'ldap://x' } } }],
    ['directory.provider unknown', { directory: { provider: 'nis' } }],
    ['directory.ldap.url http', { directory: { ldap: { url: 'http://x' } } }],
    ['directory.ldap.url with a path', { directory: { ldap: { url: 'ldap://x/dc=a' } } }],
    ['directory.ldap both passwords', { directory: { ldap: { bindPassword: 'a', bindPasswordFile: '/f' } } }],
    ['directory.ldap StartTLS on ldaps', { directory: { ldap: { url: 'ldaps://x', tls: { startTls: true } } } }],
    ['directory.ldap.pageSize 0', { directory: { ldap: { pageSize: 0 } } }],
    ['directory.ldap.schema unknown', { directory: { ldap: { schema: 'novell' } } }],
    ['directory.ldap.userFilter without parentheses', { directory: { ldap: { userFilter: 'uid=*' } } }],
    ['directory.ldap.attributes unknown', { directory: { ldap: { attributes: { shoeSize: 'x' } } } }],
    ['directory.ldap.attributes.mail with a space', { directory: { ldap: { attributes: { mail: 'e mail' } } } }],
    ['directory.ldap.attributes.username empty', { directory: { provider: 'ldap', ldap: { url: 'ldap://x', baseDn: 'dc=x', attributes: { username: '' } } } }],
    ['auth.allowNtlmV1 string', { auth: { allowNtlmV1: 'yes' } }],
    ['imap.maxConnectionsPerUser 2 with imap.idle on', { imap: { maxConnectionsPerUser: 2 } }],
    ['imap.maxConnectionsPerUser 1 with imap.idle off', { imap: { maxConnectionsPerUser: 1, idle: false } }],
    ['imap.quotaWarningPercent 0', { imap: { quotaWarningPercent: 0 } }],
    ['imap.quotaSendPercent 101', { imap: { quotaSendPercent: 101 } }],
    ['unknown top-level key', { datadir: 'x' }],
    ['unknown nested key', { rpc: { prot: 1 } }],
    ['empty dataDir', { dataDir: '' }],
  ];
  for (const [name, input] of bad) {
    it(`refuses ${name}`, () => expect(configSchema.safeParse(input).success).toBe(false));
  }

  it('accepts the fewest IMAP connections per user that work', () => {
    expect(configSchema.safeParse({ imap: { maxConnectionsPerUser: 3 } }).success).toBe(true);
    expect(configSchema.safeParse({ imap: { maxConnectionsPerUser: 2, idle: false } }).success).toBe(true);
  });

  it('accepts quota levels from 1% to 100%, a send level below the default warning level alone too', () => {
    expect(configSchema.safeParse({ imap: { quotaWarningPercent: 1, quotaSendPercent: 1 } }).success).toBe(true);
    expect(configSchema.safeParse({ imap: { quotaWarningPercent: 100, quotaSendPercent: 100 } }).success).toBe(true);
    expect(configSchema.safeParse({ imap: { quotaSendPercent: 80 } }).success).toBe(true);
  });

  it('accepts the range ends', () => {
    const r = configSchema.safeParse({
      rpc: { port: 0, epmPort: -1, maxFragmentSize: 1432, maxRequestSize: 2 ** 30, advertiseAddress: '10.0.0.1' },
      server: { netbiosName: 'ABCDEFGHIJKLMNO' },
    });
    expect(r.success).toBe(true);
    expect(configSchema.safeParse({ rpc: { port: 65535, epmPort: 65535, maxFragmentSize: 65535, maxRequestSize: 65536 } }).success).toBe(true);
  });
});

describe('config schema: the LDAP provider', () => {
  it('takes filters and attribute names from the preset of directory.ldap.schema, each overridable', () => {
    const ad = configSchema.parse({
      directory: { provider: 'ldap', ldap: { url: 'ldaps://dc1.corp.test:636', baseDn: 'dc=corp,dc=test', schema: 'ad', attributes: { mail: 'userPrincipalName' } } },
    }).directory.ldap;
    expect(ad.userFilter).toBe('(&(objectCategory=person)(objectClass=user))');
    expect(ad.contactFilter).toBe('(objectClass=contact)');
    expect(ad.attributes).toMatchObject({ username: 'sAMAccountName', ntHash: '', userAccountControl: 'userAccountControl', mail: 'userPrincipalName' });
    const ol = configSchema.parse({ directory: { ldap: { contactFilter: '', groupFilter: '(objectClass=posixGroup)', attributes: { ntHash: '' } } } }).directory.ldap;
    expect(ol.groupFilter).toBe('(objectClass=posixGroup)');
    expect(ol.attributes.ntHash).toBe('');
    expect(ol.attributes.username).toBe('uid');
    expect(configSchema.safeParse({ directory: { provider: 'ldap', ldap: { url: 'ldap://[::1]:3389', baseDn: 'dc=x' } } }).success).toBe(true);
  });
});

describe('config key table', () => {
  it('has a description and an environment variable for every key', () => {
    expect(configKeys.length).toBe(25 + 16 + 32 + 7 + 18 + 13 + 19 + 1 + 11 + 25); // ... + emsmdb.* + store.*/index.* + autodiscover.* + http.* + smtp.* + imap.*
    for (const k of configKeys) {
      expect(k.description.length, k.name).toBeGreaterThan(5);
      expect(k.env).toMatch(/^OCNG_[A-Z0-9_]+$/);
    }
  });

  it('names environment variables as documented', () => {
    const env = Object.fromEntries(configKeys.map((k) => [k.name, k.env]));
    expect(env['rpc.port']).toBe('OCNG_RPC__PORT');
    expect(env['rpc.maxFragmentSize']).toBe('OCNG_RPC__MAX_FRAGMENT_SIZE');
    expect(env['log.level']).toBe('OCNG_LOG__LEVEL');
    expect(env['dataDir']).toBe('OCNG_DATA_DIR');
    expect(env['auth.allowNtlmV1']).toBe('OCNG_AUTH__ALLOW_NTLM_V1');
    expect(env['rpc.httpPorts.emsmdb']).toBe('OCNG_RPC__HTTP_PORTS__EMSMDB');
    expect(envNameOf(['a', 'bC'])).toBe('OCNG_A__B_C');
  });

  it('has no two keys that an environment variable could not tell apart', () => {
    const seen = new Set<string>();
    for (const k of configKeys) {
      const n = k.path.map(normalizeSegment).join('.');
      expect(seen.has(n), k.name).toBe(false);
      seen.add(n);
    }
    expect(new Set(configKeys.map((k) => k.env)).size).toBe(configKeys.length);
    expect(configKeys.some((k) => k.env === 'OCNG_CONFIG')).toBe(false);
  });
});
