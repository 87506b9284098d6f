// The address book data set of the NSPI interop tests, the same for both directory providers: 500 users (non-ASCII
// names such as "Zoë Ångström" and "李雷", title, department, company, office, phones), 20 groups with members and 6
// contacts; the LDAP fixture of test/helpers/slapd.ts (makeFixture) plus the logon user alice. startNspServer
// starts the whole server on it with the built-in directory (filled through DirectoryAdmin) or with the LDAP
// provider against a real slapd holding the same entries.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASSWORD, startTestServer, type TestServer } from './full-server.js';
import { ntHash } from '../../src/auth/md4.js';
import type { DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import { BASE_DN, ldapSettings, makeFixture, Slapd, type Fixture, type FixtureContact, type FixtureUser } from './slapd.js';

export type Provider = 'builtin' | 'ldap';
export const PROVIDERS: readonly Provider[] = ['builtin', 'ldap'];

/** The user the clients log on as (password PASSWORD, ASCII, so that tshark can decrypt with it). */
export const LOGON = 'alice';

/** A DER certificate of alice's (fixtures/nsp/alice-smime.pem): published through NspiModProps, or in LDAP. */
export const ALICE_CERT: Buffer = new X509Certificate(
  readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/nsp/alice-smime.pem')),
).raw;

/** 499 fixture users + alice = 500 users; 20 groups (15 groupOfNames, 5 posixGroup); 6 contacts. */
export function nspFixture(): Fixture {
  const f = makeFixture(499, 20, 6);
  const alice: FixtureUser = {
    uid: LOGON,
    dn: `uid=${LOGON},ou=people,${BASE_DN}`,
    cn: 'Alice Liddell',
    givenName: 'Alice',
    sn: 'Liddell',
    mail: 'alice@example.test',
    title: 'Explorer',
    department: 'Wonderland',
    company: 'Example Corp',
    office: 'Rabbit Hole 1',
    phone: '+1 555 0100',
    mobile: '+1 555 0101',
    password: PASSWORD,
    ntHash: ntHash(PASSWORD),
    enabled: true,
  };
  f.users.push(alice);
  // alice is in the first team, beside the fixture's members
  f.groups[0]!.members.push(LOGON);
  return f;
}

/** The built-in directory's name of a fixture contact (user, group and contact names are [A-Za-z0-9._-]). */
export function builtinContactName(c: FixtureContact): string {
  return (
    c.cn
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'contact'
  );
}

/** Fills the built-in directory with the fixture through DirectoryAdmin, as `ocng user/group/contact add` would. */
export async function populateBuiltin(admin: DirectoryAdmin, f: Fixture): Promise<void> {
  // a few users at a time: each addUser hashes the password (scrypt in the thread pool)
  const batch = 8;
  for (let i = 0; i < f.users.length; i += batch) {
    await Promise.all(
      f.users.slice(i, i + batch).map((u) =>
        admin.addUser({
          username: u.uid,
          password: u.password,
          displayName: u.cn,
          smtpAddress: u.mail,
          attributes: {
            givenName: u.givenName,
            surname: u.sn,
            title: u.title,
            department: u.department,
            company: u.company,
            office: u.office,
            businessPhone: u.phone,
            mobilePhone: u.mobile,
          },
        }),
      ),
    );
  }
  for (const u of f.users) if (!u.enabled) await admin.setEnabled(u.uid, false);
  for (const g of f.groups) {
    // the LDAP provider's default for a group without mail: <name>@<server.dnsDomain>, display name = cn
    await admin.addGroup({ name: g.cn, displayName: g.cn });
    for (const m of g.members) await admin.addMember(g.cn, m);
  }
  for (const c of f.contacts) {
    await admin.addContact({
      name: builtinContactName(c),
      displayName: c.cn,
      smtpAddress: c.mail,
      attributes: { surname: c.cn.split(' ')[0] as string, company: c.company },
    });
  }
}

export interface NspServer {
  provider: Provider;
  ts: TestServer;
  fixture: Fixture;
  slapd: Slapd | null;
  close(): Promise<void>;
}

/** The whole server on the data set, with the given provider; `over` is merged into the configuration. */
export async function startNspServer(provider: Provider, over: DeepPartial<Config> = {}): Promise<NspServer> {
  const fixture = nspFixture();
  if (provider === 'builtin') {
    const ts = await startTestServer(over, [], { scryptN: 1024, populate: (admin) => populateBuiltin(admin, fixture) });
    return { provider, ts, fixture, slapd: null, close: () => ts.close() };
  }
  const slapd = await Slapd.create(fixture);
  try {
    // the LDAP provider is read-only for ocng: alice's certificate is published in LDAP (userCertificate;binary)
    await slapd.modify(
      `dn: uid=${LOGON},ou=people,${BASE_DN}\nchangetype: modify\nadd: userCertificate;binary\nuserCertificate;binary:: ${ALICE_CERT.toString('base64')}\n`,
    );
    const ts = await startTestServer({
      ...over,
      directory: { provider: 'ldap', ldap: ldapSettings(slapd) as DeepPartial<Config['directory']['ldap']> },
    });
    return {
      provider,
      ts,
      fixture,
      slapd,
      async close() {
        await ts.close();
        await slapd.close();
      },
    };
  } catch (e) {
    await slapd.close();
    throw e;
  }
}
