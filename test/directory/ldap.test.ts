// The LDAP directory provider against a real slapd (test/helpers/slapd.ts): what it lists, NT hashes, HTTP Basic by
// bind, reloads (picked up, unchanged, failed), paging, start-up errors, and the Active Directory preset.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ntHash } from '../../src/auth/md4.js';
import { loadConfig, type DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { LdapDirectory, openLdapDirectory } from '../../src/directory/ldap.js';
import { openConfiguredDirectory } from '../../src/directory/open.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../config/helpers.js';
import {
  AD_BASE_DN,
  AD_PASSWORD,
  AD_ROOT_DN,
  BASE_DN,
  ldapSettings,
  ldifEntry,
  ROOT_DN,
  Slapd,
  ssha,
} from '../helpers/slapd.js';

let slapd: Slapd;
let tmp: { dir: string; cleanup: () => void };
beforeAll(async () => {
  slapd = await Slapd.create();
  tmp = tempDir('ocng-ldap-');
});
afterAll(async () => {
  await slapd?.close();
  tmp?.cleanup();
});

function config(ldap: Record<string, unknown> = {}): Config {
  const over: DeepPartial<Config> = {
    dataDir: tmp.dir,
    server: { hostname: 'mail.example.test' },
    directory: { provider: 'ldap', ldap: ldapSettings(slapd, ldap) as DeepPartial<Config['directory']['ldap']> },
  };
  return loadConfig({ env: {}, cwd: tmp.dir, overrides: over });
}

async function withDir<T>(ldap: Record<string, unknown>, fn: (d: LdapDirectory) => Promise<T>): Promise<T> {
  const d = await openLdapDirectory(config(ldap), silentLogger());
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DirectoryError);
    return (e as DirectoryError).code;
  }
  throw new Error('expected a DirectoryError');
}

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');
const DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=';

describe('LDAP provider (OpenLDAP + Samba schema)', () => {
  it('lists exactly the users, groups and contacts slapd holds', async () => {
    await withDir({}, async (d) => {
      const f = slapd.fixture;
      const users = await d.listUsers();
      expect(users.map((u) => u.username).sort()).toEqual(f.users.map((u) => u.uid).sort());
      for (const fu of f.users) {
        const u = users.find((x) => x.username === fu.uid);
        expect(u, fu.uid).toEqual({
          id: expect.any(Number),
          username: fu.uid,
          displayName: fu.cn,
          smtpAddress: fu.mail,
          legacyExchangeDN: DN + fu.uid,
          enabled: fu.enabled,
          attributes: {
            givenName: fu.givenName,
            surname: fu.sn,
            title: fu.title,
            department: fu.department,
            company: fu.company,
            office: fu.office,
            businessPhone: fu.phone,
            mobilePhone: fu.mobile,
          },
          proxyAddresses: ['SMTP:' + fu.mail],
        });
      }
      expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
      expect((await d.findUser('zoe'))?.displayName).toBe('Zoë Ångström');
      expect((await d.findUser('LILEI@example.test'))?.displayName).toBe('李雷');
      expect((await d.findUser(DN + 'ZOE'))?.username).toBe('zoe');
      expect(await d.findUser('nobody')).toBeNull();

      const groups = await d.listGroups();
      expect(groups.map((g) => [g.name, g.members]).sort()).toEqual(f.groups.map((g) => [g.cn, [...g.members].sort()]).sort());
      const team = await d.findGroup('TEAM-1');
      expect(team).toMatchObject({ name: 'team-1', smtpAddress: 'team-1@example.test', legacyExchangeDN: DN + 'team-1', proxyAddresses: ['SMTP:team-1@example.test'] });
      expect((await d.findGroup('posix-20'))?.members.length).toBe(25);

      const contacts = await d.listContacts();
      expect(contacts.map((c) => [c.name, c.smtpAddress, c.attributes.company]).sort()).toEqual(
        f.contacts.map((c) => [c.cn, c.mail, c.company]).sort(),
      );
      // a 7-bit DN (MS-OXNSPI 2.2.9.3) for a name that is not: ASCII letters and a hash of the name
      expect(contacts.find((c) => c.name === 'Müller GmbH Kontakt')?.legacyExchangeDN).toBe(DN + 'Muller GmbH Kontakt-' + sha1('Müller GmbH Kontakt').slice(0, 8));
      expect(d.stats).toMatchObject({ users: 500, groups: 20, contacts: 6, failures: 0 });
    });
  });

  it('hands out the sambaNTPassword NT hashes, none for users without one or disabled ones', async () => {
    await withDir({}, async (d) => {
      let withHash = 0;
      for (const fu of slapd.fixture.users) {
        const h = await d.getNtHash(fu.uid);
        if (fu.ntHash && fu.enabled) {
          expect(h?.equals(ntHash(fu.password)), fu.uid).toBe(true);
          withHash++;
        } else {
          expect(h, fu.uid).toBeNull();
        }
      }
      expect(withHash).toBe(485);
      expect(await d.getNtHash('zoe@example.test')).not.toBeNull();
      expect(await d.getNtHash('nobody')).toBeNull();
    });
  });

  it('says once per user, at info, why NTLM fails for a user without an NT hash', async () => {
    const lines: Array<{ level: number; msg: string; user?: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const d = await openLdapDirectory(config(), log);
    try {
      const noHash = slapd.fixture.users.filter((u) => !u.ntHash);
      for (let i = 0; i < 3; i++) for (const u of noHash) expect(await d.getNtHash(u.uid)).toBeNull();
      const said = lines.filter((l) => /NTLM needs the Samba schema's sambaNTPassword in LDAP, or the built-in directory/.test(l.msg));
      expect(said.map((l) => [l.user, l.level])).toEqual(noHash.map((u) => [u.uid, 30]));
    } finally {
      await d.close();
    }
  });

  it('checks HTTP Basic passwords by binding as the user', async () => {
    await withDir({}, async (d) => {
      const zoe = slapd.fixture.users[0]!;
      expect((await d.verifyPassword('zoe', zoe.password))?.username).toBe('zoe');
      expect((await d.verifyPassword('ZOE@example.test', zoe.password))?.username).toBe('zoe');
      expect(await d.verifyPassword('zoe', zoe.password + 'x')).toBeNull();
      expect(await d.verifyPassword('zoe', '')).toBeNull(); // never an unauthenticated bind
      expect(await d.verifyPassword('nobody', zoe.password)).toBeNull();
      const noHash = slapd.fixture.users.find((u) => !u.ntHash)!;
      expect((await d.verifyPassword(noHash.uid, noHash.password))?.username).toBe(noHash.uid); // Basic works without it
      const disabled = slapd.fixture.users.find((u) => !u.enabled)!;
      expect(await d.verifyPassword(disabled.uid, disabled.password)).toBeNull();
    });
  });

  it('is read-only for self-service data', async () => {
    await withDir({}, async (d) => {
      expect(await d.getSelfService('zoe')).toEqual({ certificates: [], delegates: [] });
      expect(await code(d.setCertificates('zoe', []))).toBe('OC_DIR_READ_ONLY');
      expect(await code(d.setDelegates('zoe', []))).toBe('OC_DIR_READ_ONLY');
      expect(await d.getSelfService('nobody')).toBeNull();
    });
  });

  it('reads every page when the page size is smaller than the result', async () => {
    await withDir({ pageSize: 7 }, async (d) => {
      expect((await d.listUsers()).length).toBe(500);
      expect((await d.listGroups()).length).toBe(20);
      // 500 users in pages of 7, 20 groups, 6 contacts
      expect(d.stats.pages).toBe(Math.ceil(500 / 7) + Math.ceil(20 / 7) + 1);
    });
  });

  it('refuses to start with clear coded errors', async () => {
    const log = silentLogger();
    expect(await code(openLdapDirectory(config({ url: 'ldap://127.0.0.1:1', timeoutSeconds: 2 }), log))).toBe('OC_DIR_LDAP_UNREACHABLE');
    expect(await code(openLdapDirectory(config({ bindPassword: 'wrong' }), log))).toBe('OC_DIR_LDAP_BIND_FAILED');
    expect(await code(openLdapDirectory(config({ baseDn: 'dc=nowhere,dc=test' }), log))).toBe('OC_DIR_LDAP_SEARCH_FAILED');
    expect(await code(openLdapDirectory(config({ bindPassword: '', bindPasswordFile: path.join(tmp.dir, 'missing') }), log))).toBe('OC_DIR_LDAP_CONFIG');
    expect(await code(openLdapDirectory(config({ bindPassword: '' }), log))).toBe('OC_DIR_LDAP_CONFIG');
    // This slapd has no TLS: StartTLS is refused, and that is no reason to go on in the clear.
    expect(await code(openLdapDirectory(config({ tls: { startTls: true } }), log))).toBe('OC_DIR_LDAP_UNREACHABLE');
    try {
      await openLdapDirectory(config({ bindPassword: 'wrong' }), log);
    } catch (e) {
      expect((e as Error).message).toContain('directory.ldap.bindDn');
    }
    // The password may come from a file.
    const file = path.join(tmp.dir, 'bindpw');
    fs.writeFileSync(file, 'service-secret\n');
    await withDir({ bindPassword: '', bindPasswordFile: file }, async (d) => expect((await d.listUsers()).length).toBe(500));
  });

  it('opens through openConfiguredDirectory, without admin functions', async () => {
    const r = await openConfiguredDirectory(config(), silentLogger());
    try {
      expect(r.admin).toBeNull();
      expect((await r.directory.listUsers()).length).toBe(500);
    } finally {
      await r.directory.close();
    }
  });

  it('picks up a change within refreshSeconds and moves the generation; nothing changed, nothing moves', async () => {
    await withDir({ refreshSeconds: 1 }, async (d) => {
      const g0 = await d.generation();
      expect(await d.refresh()).toBe(false);
      expect(await d.generation()).toBe(g0);
      await slapd.modify(
        `dn: uid=zoe,ou=people,${BASE_DN}\nchangetype: modify\nreplace: title\ntitle: Chief Ångström Officer\n\n` +
          ldifEntry(`uid=newbie,ou=people,${BASE_DN}`, [
            ['changetype', 'add'],
            ['objectClass', 'inetOrgPerson'],
            ['uid', 'newbie'],
            ['cn', 'Nöah Newbie'],
            ['sn', 'Newbie'],
            ['userPassword', ssha('newbie-pw')],
          ]) +
          `dn: cn=team-1,ou=groups,${BASE_DN}\nchangetype: modify\nadd: member\nmember: uid=newbie,ou=people,${BASE_DN}\n\n`,
      );
      const t0 = Date.now();
      while (Date.now() - t0 < 5000 && (await d.generation()) === g0) await new Promise((r) => setTimeout(r, 100));
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await d.findUser('zoe'))?.attributes.title).toBe('Chief Ångström Officer');
      expect((await d.findUser('newbie'))?.smtpAddress).toBe('newbie@example.test');
      expect((await d.findGroup('team-1'))?.members).toContain('newbie');
      expect((await d.verifyPassword('newbie', 'newbie-pw'))?.displayName).toBe('Nöah Newbie');
      const g1 = await d.generation();
      expect(await d.refresh()).toBe(false);
      expect(await d.generation()).toBe(g1);
      // A changed NT hash is picked up too, though it moves no generation (the address book does not show it).
      await slapd.modify(`dn: uid=zoe,ou=people,${BASE_DN}\nchangetype: modify\nreplace: sambaNTPassword\nsambaNTPassword: ${ntHash('new').toString('hex')}\n\n`);
      expect(await d.refresh()).toBe(false);
      expect((await d.getNtHash('zoe'))?.equals(ntHash('new'))).toBe(true);
    });
  });

  it('keeps the previous index when slapd is down at a reload, and recovers', async () => {
    await withDir({ refreshSeconds: 1, timeoutSeconds: 2 }, async (d) => {
      const before = await d.listUsers();
      const g = await d.generation();
      await slapd.stop();
      try {
        expect(await d.refresh()).toBe(false);
        expect(d.stats.failures).toBeGreaterThanOrEqual(1);
        expect(d.stats.lastError).toMatch(/OC_DIR_LDAP_UNREACHABLE/);
        expect(await d.listUsers()).toEqual(before);
        expect(await d.generation()).toBe(g);
        expect(await d.getNtHash('zoe')).not.toBeNull();
        expect(await d.verifyPassword('zoe', 'anything')).toBeNull(); // Basic needs the server
      } finally {
        await slapd.start();
      }
      expect(await d.refresh()).toBe(false);
      expect(d.stats.lastError).toBeNull();
    });
  });
});

describe('LDAP provider (Active Directory preset)', () => {
  const ad = () => ({ schema: 'ad', baseDn: AD_BASE_DN, bindDn: AD_ROOT_DN, bindPassword: 'root-secret', contactFilter: undefined });

  it('maps sAMAccountName, proxyAddresses, userAccountControl, memberOf/member and legacyExchangeDN', async () => {
    await withDir(ad(), async (d) => {
      const users = await d.listUsers();
      expect(users.map((u) => [u.username, u.enabled])).toEqual([
        ['bsmith', false],
        ['jdoe', true],
        ['ødegård', true],
      ]);
      const jdoe = users[1]!;
      expect(jdoe).toMatchObject({
        displayName: 'Jane Doe',
        smtpAddress: 'Jane.Doe@ad.test',
        legacyExchangeDN: '/o=AD Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe',
        attributes: { givenName: 'Jane', surname: 'Doe', department: 'Sales', company: 'AD Corp', comment: 'Prefers e-mail' },
      });
      // The SMTP: proxy is the primary; mail (the same address) adds nothing.
      expect(jdoe.proxyAddresses).toEqual([
        'SMTP:Jane.Doe@ad.test',
        'smtp:jdoe@ad.test',
        'X500:/o=Old Org/ou=First Administrative Group/cn=Recipients/cn=jdoe',
      ]);
      for (const key of ['jdoe@ad.test', 'JANE.DOE@AD.TEST', '/o=Old Org/ou=First Administrative Group/cn=Recipients/cn=jdoe', jdoe.legacyExchangeDN]) {
        expect((await d.findUser(key))?.username, key).toBe('jdoe');
      }
      expect(users[2]?.legacyExchangeDN).toBe(DN + 'odegard-' + sha1('ødegård').slice(0, 8));
      expect((await d.findGroup('Sales'))?.members).toEqual(['bsmith', 'jdoe']); // from the users' memberOf
      expect((await d.findGroup('sales-team@ad.test'))?.name).toBe('Sales');
      expect((await d.findGroup('Everyone'))?.members).toEqual(['jdoe', 'ødegård']); // from member DNs
      expect((await d.listContacts()).map((c) => [c.name, c.smtpAddress, c.attributes.company])).toEqual([
        ['Ext Partner', 'partner@elsewhere.test', 'Elsewhere'],
      ]);
      // No NT hash can be read from AD: NTLM fails, Basic binds.
      expect(await d.getNtHash('jdoe')).toBeNull();
      expect((await d.verifyPassword('jdoe', AD_PASSWORD))?.username).toBe('jdoe');
      expect(await d.verifyPassword('bsmith', AD_PASSWORD)).toBeNull(); // disabled
    });
  });
});
