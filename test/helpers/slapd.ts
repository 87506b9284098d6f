// A throw-away OpenLDAP server for the LDAP provider tests: slapd (Debian packages slapd + ldap-utils) with a
// slapd.conf of its own in a temporary directory, two mdb databases loaded with slapadd, listening on 127.0.0.1 on a
// free high port, started as a foreground child process (-d 0) and stopped with SIGTERM. No systemd, nothing
// outside the temporary directory.
//
//   dc=example,dc=test   OpenLDAP-style: inetOrgPerson + sambaSamAccount users (500 by default, non-ASCII names),
//                        groupOfNames and posixGroup groups, inetOrgPerson contacts, a service account for ocng
//   dc=ad,dc=test        Active Directory-shaped entries (fixtures/ldap/ad-min.schema): user/group/contact classes,
//                        sAMAccountName, proxyAddresses, userAccountControl, memberOf, legacyExchangeDN
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ntHash } from '../../src/auth/md4.js';
import { freePort } from './ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SLAPD = '/usr/sbin/slapd';
export const SLAPADD = '/usr/sbin/slapadd';
export const LDAPMODIFY = '/usr/bin/ldapmodify';

export const BASE_DN = 'dc=example,dc=test';
export const AD_BASE_DN = 'dc=ad,dc=test';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const AD_ROOT_DN = `cn=admin,${AD_BASE_DN}`;
export const ROOT_PW = 'root-secret';
export const SERVICE_DN = `cn=ocng,ou=services,${BASE_DN}`;
export const SERVICE_PW = 'service-secret';
/** The filter that tells the fixture's contacts (inetOrgPerson without uid) from its users. */
export const CONTACT_FILTER = '(&(objectClass=inetOrgPerson)(!(uid=*)))';

export interface FixtureUser {
  uid: string;
  dn: string;
  cn: string;
  givenName: string;
  sn: string;
  mail: string;
  title: string;
  department: string;
  company: string;
  office: string;
  phone: string;
  mobile: string;
  password: string;
  /** Null for users without sambaSamAccount. */
  ntHash: Buffer | null;
  enabled: boolean;
}
export interface FixtureGroup {
  cn: string;
  dn: string;
  kind: 'groupOfNames' | 'posixGroup';
  members: string[];
}
export interface FixtureContact {
  cn: string;
  mail: string;
  company: string;
}
export interface Fixture {
  users: FixtureUser[];
  groups: FixtureGroup[];
  contacts: FixtureContact[];
}

const NAMES: Array<[string, string]> = [
  ['Zoë', 'Ångström'],
  ['雷', '李'],
  ['Émile', 'Zola'],
  ['Søren', 'Kierkegaard'],
  ['Łukasz', 'Żółć'],
  ['Ægir', 'Þórsson'],
  ['José', 'Núñez'],
  ['Ólafur', 'Jónsson'],
  ['Björk', 'Guðmundsdóttir'],
  ['Ana', 'García'],
];

/** The data the tests load: deterministic, so tests can compare what the provider lists with it. */
export function makeFixture(nUsers = 500, nGroups = 20, nContacts = 6): Fixture {
  const users: FixtureUser[] = [];
  for (let i = 1; i <= nUsers; i++) {
    const [given, sn] = NAMES[(i - 1) % NAMES.length] as [string, string];
    const uid = i === 1 ? 'zoe' : i === 2 ? 'lilei' : `user${String(i).padStart(3, '0')}`;
    const cn = i === 1 ? 'Zoë Ångström' : i === 2 ? '李雷' : `${given} ${sn} ${i}`;
    const password = `Pässwörd-${i}`;
    const samba = i % 50 !== 0;
    users.push({
      uid,
      dn: `uid=${uid},ou=people,${BASE_DN}`,
      cn,
      givenName: given,
      sn,
      mail: `${uid}@example.test`,
      title: ['Engineer', 'Manager', 'Director'][i % 3] as string,
      department: `Dept ${i % 7}`,
      company: 'Example Corp',
      office: `Building ${i % 4}`,
      phone: `+1 555 ${String(1000 + i)}`,
      mobile: `+1 555 ${String(5000 + i)}`,
      password,
      ntHash: samba ? ntHash(password) : null,
      enabled: !(samba && i % 100 === 7),
    });
  }
  const groups: FixtureGroup[] = [];
  for (let g = 1; g <= nGroups; g++) {
    const members = users.filter((_, i) => i % nGroups === g - 1).map((u) => u.uid);
    const posix = g > nGroups - 5;
    const cn = posix ? `posix-${g}` : `team-${g}`;
    groups.push({ cn, dn: `cn=${cn},ou=groups,${BASE_DN}`, kind: posix ? 'posixGroup' : 'groupOfNames', members });
  }
  const contacts: FixtureContact[] = [];
  for (let k = 1; k <= nContacts; k++) {
    contacts.push({ cn: k === 1 ? 'Müller GmbH Kontakt' : `Partner Contact ${k}`, mail: `ext${k}@partner.test`, company: `Partner ${k}` });
  }
  return { users, groups, contacts };
}

/** One LDIF line; values that are not plain ASCII (or start awkwardly) are base64 ("attr:: ..."). */
function line(attr: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = /^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) && !value.endsWith(' ');
  return safe ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export function ldifEntry(dn: string, attrs: Array<[string, string]>): string {
  return [line('dn', dn), ...attrs.map(([a, v]) => line(a, v))].join('\n') + '\n\n';
}

export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(Buffer.from(password, 'utf8')).update(salt).digest();
  return '{SSHA}' + Buffer.concat([digest, salt]).toString('base64');
}

function mainLdif(f: Fixture): string {
  let out = ldifEntry(BASE_DN, [
    ['objectClass', 'dcObject'],
    ['objectClass', 'organization'],
    ['dc', 'example'],
    ['o', 'Example'],
  ]);
  for (const ou of ['people', 'groups', 'contacts', 'services']) {
    out += ldifEntry(`ou=${ou},${BASE_DN}`, [
      ['objectClass', 'organizationalUnit'],
      ['ou', ou],
    ]);
  }
  out += ldifEntry(SERVICE_DN, [
    ['objectClass', 'organizationalRole'],
    ['objectClass', 'simpleSecurityObject'],
    ['cn', 'ocng'],
    ['userPassword', ssha(SERVICE_PW)],
  ]);
  f.users.forEach((u, i) => {
    const attrs: Array<[string, string]> = [
      ['objectClass', 'inetOrgPerson'],
      ['uid', u.uid],
      ['cn', u.cn],
      ['displayName', u.cn],
      ['givenName', u.givenName],
      ['sn', u.sn],
      ['mail', u.mail],
      ['title', u.title],
      ['ou', u.department],
      ['o', u.company],
      ['physicalDeliveryOfficeName', u.office],
      ['telephoneNumber', u.phone],
      ['mobile', u.mobile],
      ['userPassword', ssha(u.password)],
    ];
    if (u.ntHash) {
      attrs.push(
        ['objectClass', 'sambaSamAccount'],
        ['sambaSID', `S-1-5-21-1111-2222-3333-${1000 + i}`],
        ['sambaNTPassword', u.ntHash.toString('hex').toUpperCase()],
        ['sambaAcctFlags', u.enabled ? '[U          ]' : '[UD         ]'],
      );
    }
    out += ldifEntry(u.dn, attrs);
  });
  f.groups.forEach((g, i) => {
    const attrs: Array<[string, string]> = [['cn', g.cn]];
    if (g.kind === 'groupOfNames') {
      attrs.unshift(['objectClass', 'groupOfNames']);
      for (const m of g.members) attrs.push(['member', `uid=${m},ou=people,${BASE_DN}`]);
    } else {
      attrs.unshift(['objectClass', 'posixGroup']);
      attrs.push(['gidNumber', String(5000 + i)]);
      for (const m of g.members) attrs.push(['memberUid', m]);
    }
    out += ldifEntry(g.dn, attrs);
  });
  for (const c of f.contacts) {
    out += ldifEntry(`cn=${c.cn},ou=contacts,${BASE_DN}`, [
      ['objectClass', 'inetOrgPerson'],
      ['cn', c.cn],
      ['sn', c.cn.split(' ')[0] as string],
      ['mail', c.mail],
      ['o', c.company],
    ]);
  }
  return out;
}

/** The Active Directory-shaped tree (see fixtures/ldap/ad-min.schema). */
export const AD_PASSWORD = 'Ad-Pässwörd';
function adLdif(): string {
  const b = AD_BASE_DN;
  const ou = `OU=Staff,${b}`;
  const groupDn = (n: string) => `CN=${n},OU=Groups,${b}`;
  let out = ldifEntry(b, [
    ['objectClass', 'dcObject'],
    ['objectClass', 'organization'],
    ['dc', 'ad'],
    ['o', 'AD'],
  ]);
  for (const o of ['Staff', 'Groups', 'Contacts']) out += ldifEntry(`OU=${o},${b}`, [['objectClass', 'organizationalUnit'], ['ou', o]]);
  const user = (sam: string, cn: string, extra: Array<[string, string]>) =>
    ldifEntry(`CN=${cn},${ou}`, [
      ['objectClass', 'user'],
      ['objectCategory', 'person'],
      ['cn', cn],
      ['sn', cn.split(' ').at(-1) as string],
      ['sAMAccountName', sam],
      ['displayName', cn],
      ['userPassword', ssha(AD_PASSWORD)],
      ...extra,
    ]);
  out += user('jdoe', 'Jane Doe', [
    ['givenName', 'Jane'],
    ['mail', 'jane.doe@ad.test'],
    ['proxyAddresses', 'smtp:jdoe@ad.test'],
    ['proxyAddresses', 'SMTP:Jane.Doe@ad.test'],
    ['proxyAddresses', 'X500:/o=Old Org/ou=First Administrative Group/cn=Recipients/cn=jdoe'],
    ['userAccountControl', '512'],
    ['department', 'Sales'],
    ['company', 'AD Corp'],
    ['info', 'Prefers e-mail'],
    ['legacyExchangeDN', '/o=AD Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe'],
    ['memberOf', groupDn('Sales')],
  ]);
  out += user('bsmith', 'Bob Smith', [
    ['mail', 'bob.smith@ad.test'],
    ['userAccountControl', '514'], // ACCOUNTDISABLE
    ['memberOf', groupDn('Sales')],
  ]);
  out += user('ødegård', 'Øyvind Ødegård', [['userAccountControl', '66048']]); // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
  out += ldifEntry(groupDn('Sales'), [
    ['objectClass', 'group'],
    ['objectCategory', 'group'],
    ['cn', 'Sales'],
    ['sAMAccountName', 'Sales'],
    ['mail', 'sales@ad.test'],
    ['proxyAddresses', 'SMTP:sales@ad.test'],
    ['proxyAddresses', 'smtp:sales-team@ad.test'],
  ]);
  out += ldifEntry(groupDn('Everyone'), [
    ['objectClass', 'group'],
    ['objectCategory', 'group'],
    ['cn', 'Everyone'],
    ['sAMAccountName', 'Everyone'],
    ['member', `CN=Jane Doe,${ou}`],
    ['member', `cn=øyvind ødegård, ou=staff, ${b}`],
  ]);
  out += ldifEntry(`CN=Ext Partner,OU=Contacts,${b}`, [
    ['objectClass', 'contact'],
    ['objectCategory', 'person'],
    ['cn', 'Ext Partner'],
    ['sn', 'Partner'],
    ['mail', 'partner@elsewhere.test'],
    ['company', 'Elsewhere'],
  ]);
  return out;
}

function slapdConf(dir: string): string {
  const fx = path.join(ROOT, 'fixtures', 'ldap');
  return `# generated by test/helpers/slapd.ts
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include ${fx}/samba-min.schema
include ${fx}/ad-min.schema
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb

database mdb
maxsize 268435456
suffix "${BASE_DN}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PW}
directory ${dir}/main
index objectClass eq
index uid eq
limits * size.soft=unlimited size.hard=unlimited size.prtotal=unlimited
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to attrs=sambaNTPassword,sambaLMPassword
  by dn.exact="${SERVICE_DN}" read
  by * none
access to *
  by * read

database mdb
maxsize 268435456
suffix "${AD_BASE_DN}"
rootdn "${AD_ROOT_DN}"
rootpw ${ROOT_PW}
directory ${dir}/ad
limits * size.soft=unlimited size.hard=unlimited size.prtotal=unlimited
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by * read
`;
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}


function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Slapd {
  private child: ChildProcess | null = null;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly fixture: Fixture,
  ) {
    this.url = `ldap://127.0.0.1:${port}`;
  }

  /** Creates the databases (slapadd) and starts slapd. Throws with slapd's own words when it cannot. */
  static async create(fixture: Fixture = makeFixture()): Promise<Slapd> {
    for (const bin of [SLAPD, SLAPADD, LDAPMODIFY]) {
      if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: apt-get install -y --no-install-recommends slapd ldap-utils`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-slapd-'));
    fs.mkdirSync(path.join(dir, 'main'));
    fs.mkdirSync(path.join(dir, 'ad'));
    const conf = path.join(dir, 'slapd.conf');
    fs.writeFileSync(conf, slapdConf(dir));
    fs.writeFileSync(path.join(dir, 'main.ldif'), mainLdif(fixture));
    fs.writeFileSync(path.join(dir, 'ad.ldif'), adLdif());
    for (const [base, file] of [
      [BASE_DN, 'main.ldif'],
      [AD_BASE_DN, 'ad.ldif'],
    ] as const) {
      const r = await run(SLAPADD, ['-f', conf, '-b', base, '-l', path.join(dir, file)]);
      if (r.code !== 0) throw new Error(`slapadd ${file} failed (${r.code}): ${r.stderr || r.stdout}`);
    }
    const s = new Slapd(dir, await freePort(), fixture);
    await s.start();
    return s;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const log = fs.openSync(path.join(this.dir, 'slapd.log'), 'a');
    const child = spawn(SLAPD, ['-f', path.join(this.dir, 'slapd.conf'), '-h', `${this.url}/`, '-d', '0'], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    let exited: string | null = null;
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      if (this.child === child) this.child = null;
    });
    this.child = child;
    for (let i = 0; i < 200; i++) {
      if (exited) break;
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    const tail = fs.readFileSync(path.join(this.dir, 'slapd.log'), 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`slapd did not start on ${this.url} (${exited ?? 'timeout'}):\n${tail}`);
  }

  /** Stops slapd (SIGTERM, then SIGKILL after 5 s); the data stays for start(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops slapd and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs ldapmodify as the root DN of the database that holds the entries (LDIF with changetype lines). */
  async modify(ldif: string, rootDn = ROOT_DN): Promise<void> {
    const r = await run(LDAPMODIFY, ['-x', '-H', this.url, '-D', rootDn, '-w', ROOT_PW], ldif);
    if (r.code !== 0) throw new Error(`ldapmodify failed (${r.code}): ${r.stderr || r.stdout}`);
  }
}

/** A directory.ldap configuration for the main tree, read through the service account. */
export function ldapSettings(s: Slapd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: s.url,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PW,
    baseDn: BASE_DN,
    contactFilter: CONTACT_FILTER,
    timeoutSeconds: 5,
    ...extra,
  };
}
