// The address book (NSPI, MS-OXNSPI) against real clients, once per directory provider (the built-in directory
// filled through DirectoryAdmin, and the LDAP provider on a real slapd holding the same entries): impacket over
// ncacn_ip_tcp at PKT_PRIVACY (test/interop/impacket_nspi.py: every opnum), impacket's example exchanger.py's NSPI
// flows with its transport swapped for TCP (exchanger_tcp.py), and Samba's Python bindings with raw NSPI stubs
// sealed over SPNEGO (samba_nspi.py). Every value is compared with the directory (test/helpers/nsp-expect.ts works
// out what the address book must show from the Directory's own lists and the documented collation and ANR rules).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxStoreDn, serverDn } from '../../src/mapi/dn.js';
import { PASSWORD, runPythonJson } from '../helpers/full-server.js';
import { ALICE_CERT, LOGON, PROVIDERS, startNspServer, type NspServer, type Provider } from '../helpers/nsp-dataset.js';
import { anrMatches, anrResolve, expectedBook, galCompare, type ExpectedBook, type ExpectedEntry } from '../helpers/nsp-expect.js';

// ---- what impacket_nspi.py prints ------------------------------------------------------------------------------
type Value = number | boolean | string | { a: string } | { bin: string } | { err: number } | { obj: number } | Value[];
type Row = Array<[number, Value]>;
interface Stat {
  SortType: number;
  ContainerID: number;
  CurrentRec: number;
  Delta: number;
  NumPos: number;
  TotalRecs: number;
  CodePage: number;
  TemplateLocale: number;
  SortLocale: number;
}
interface Page {
  result: number;
  stat: Stat;
  rows: Row[] | null;
}
interface Props {
  result: number;
  row: Row | null;
}
interface Matches {
  result: number;
  stat: Stat;
  mids: number[] | null;
  rows: Row[] | null;
}
interface Suite {
  ok: boolean;
  error?: string;
  trace?: string;
  bind: { result: number; guid: string | null };
  special: { result: number; version: number; rows: Row[] };
  special8: Row[];
  special_same_version: { result: number; rows: number };
  special_impacket: { result: number; rows: Row[] };
  forward: Page[];
  backward: Page[];
  lists: Record<string, { result: number; total: number; names: string[] }>;
  default_columns: { result: number; rows: Row[] };
  update_stat: { result: number; stat: Stat; delta: number };
  update_stat_fraction: { result: number; stat: Stat };
  seek: Record<string, Page>;
  dntomid: number[];
  props: Record<string, { w: Props; eph: Props }>;
  props8: Record<string, Props>;
  props_impacket_helper: Props & { fault?: string };
  proplist: Record<string, { result: number; tags: number[]; unicode_skip: number[] }>;
  columns: { result: number; tags: number[]; unicode: number[] };
  anr: Record<string, Matches>;
  members: Matches;
  member_of: Matches;
  resort: { result: number; in: number[]; out: number[] };
  resolve: { result: number; mids: number[]; rows: Row[] };
  resolve8: { result: number; mids: number[]; rows: Row[] };
  names: { result: number; tags: number[]; names: Array<{ guid: string | null; id: number }> };
  ids: { result: number; tags: number[] };
  compare: Record<string, { result: number; value: number }>;
  template: Record<string, { result: number; row: Row } | number>;
  modprops: { self: number; other: number; self_after: Props; other_after: Props };
  modlinkatt: { add: number; after_add: Props; backlink: Props; other_refused: number; members_refused: number; delete: number; after_delete: Props };
  unbind: number;
}

// ---- tags and codes ---------------------------------------------------------------------------------------------
const PR = {
  ENTRYID: 0x0fff0102,
  OBJECT_TYPE: 0x0ffe0003,
  INSTANCE_KEY: 0x0ff60102,
  DISPLAY_NAME_W: 0x3001001f,
  DISPLAY_NAME_A: 0x3001001e,
  ADDRTYPE_W: 0x3002001f,
  EMAIL_ADDRESS_W: 0x3003001f,
  COMMENT_W: 0x3004001f,
  DEPTH: 0x30050003,
  CONTAINER_FLAGS: 0x36000003,
  DISPLAY_TYPE: 0x39000003,
  DISPLAY_TYPE_EX: 0x39050003,
  SMTP_ADDRESS_W: 0x39fe001f,
  ACCOUNT_W: 0x3a00001f,
  GIVEN_NAME_W: 0x3a06001f,
  BUSINESS_PHONE_W: 0x3a08001f,
  SURNAME_W: 0x3a11001f,
  COMPANY_W: 0x3a16001f,
  TITLE_W: 0x3a17001f,
  TITLE_A: 0x3a17001e,
  DEPARTMENT_W: 0x3a18001f,
  OFFICE_W: 0x3a19001f,
  MOBILE_W: 0x3a1c001f,
  HOME_MDB_W: 0x8006001f,
  HOME_MDB_A: 0x8006001e,
  MEMBER_OF_W: 0x8008101f,
  MEMBER: 0x8009000d,
  MEMBER_W: 0x8009101f,
  PROXY_ADDRESSES_W: 0x800f101f,
  PUBLIC_DELEGATES_W: 0x8015101f,
  DELEGATES_BL_W: 0x8110101f,
  NETWORK_ADDRESS_W: 0x8170101f,
  X509_CERT: 0x8c6a1102,
  OBJECT_GUID: 0x8c6d0102,
  IS_MASTER: 0xfffb000b,
  CONTAINER_ID: 0xfffd0003,
  TEMPLATE_DATA: 0x00010102,
} as const;
const MAPI_E_NOT_FOUND = 0x8004010f;
const MAPI_E_NO_ACCESS = 0x80070005;
const MAPI_E_UNKNOWN_LCID = 0x8004011f;
const MAPI_W_ERRORS_RETURNED = 0x00040380;
const MID_END_OF_TABLE = 2;
const GUID_NSPI_WIRE = 'dca740c8c042101ab4b908002b2fe182';
const PS_MAPI = '00020328-0000-0000-c000-000000000046';

const PAGE = 37;
const RESOLVE8 = ['Zoë Ångström 11', 'Søren Kierkegaard 4', 'alice', 'Zoë Ångström'];
/** The columns the GAL is paged with. */
const COLUMNS = [
  PR.DISPLAY_NAME_W,
  PR.SMTP_ADDRESS_W,
  PR.EMAIL_ADDRESS_W,
  PR.INSTANCE_KEY,
  PR.ENTRYID,
  PR.DISPLAY_TYPE,
  PR.OBJECT_TYPE,
  PR.TITLE_W,
  PR.COMPANY_W,
  PR.OFFICE_W,
  PR.BUSINESS_PHONE_W,
  PR.ACCOUNT_W,
];
const USER_TAGS = [
  PR.DISPLAY_NAME_W,
  PR.ADDRTYPE_W,
  PR.EMAIL_ADDRESS_W,
  PR.SMTP_ADDRESS_W,
  PR.ACCOUNT_W,
  PR.GIVEN_NAME_W,
  PR.SURNAME_W,
  PR.TITLE_W,
  PR.DEPARTMENT_W,
  PR.COMPANY_W,
  PR.OFFICE_W,
  PR.BUSINESS_PHONE_W,
  PR.MOBILE_W,
  PR.HOME_MDB_W,
  PR.PROXY_ADDRESSES_W,
  PR.DISPLAY_TYPE,
  PR.DISPLAY_TYPE_EX,
  PR.OBJECT_TYPE,
  PR.ENTRYID,
  PR.MEMBER_OF_W,
  PR.COMMENT_W,
  PR.X509_CERT,
];
const GROUP_TAGS = [PR.DISPLAY_NAME_W, PR.SMTP_ADDRESS_W, PR.EMAIL_ADDRESS_W, PR.MEMBER_W, PR.PROXY_ADDRESSES_W, PR.DISPLAY_TYPE, PR.OBJECT_TYPE, PR.HOME_MDB_W];

// ---- helpers ----------------------------------------------------------------------------------------------------
const cp1252 = new TextDecoder('windows-1252');
const utf8 = new TextDecoder('utf-8');

/** The value of `tag` in a row (the first one with its id and type, or its PT_ERROR form). */
function get(row: Row | null | undefined, tag: number): Value | undefined {
  const err = ((tag & 0xffff0000) | 0x000a) >>> 0;
  return row?.find(([t]) => t >>> 0 === tag >>> 0 || t >>> 0 === err)?.[1];
}
const hexOf = (v: Value | undefined): string => (v as { bin: string }).bin;
const midOfRow = (row: Row): number => Buffer.from(hexOf(get(row, PR.INSTANCE_KEY)), 'hex').readUInt32LE(0);

/** A Permanent Entry ID's DN (MS-OXNSPI 2.2.9.3), checked field by field. */
function permanentDn(hex: string, displayType: number): string {
  const b = Buffer.from(hex, 'hex');
  expect(b[0]).toBe(0); // ID Type
  expect(b.subarray(4, 20).toString('hex')).toBe(GUID_NSPI_WIRE);
  expect(b.readUInt32LE(20)).toBe(1); // R4
  expect(b.readUInt32LE(24)).toBe(displayType);
  expect(b[b.length - 1]).toBe(0);
  return b.subarray(28, b.length - 1).toString('latin1');
}

/** The values of a row of the paging columns, as the expectation has them. */
function pagedRow(e: ExpectedEntry) {
  const a = e.attributes;
  const str = (v: string | undefined) => (v ? v : { err: MAPI_E_NOT_FOUND });
  const person = e.kind !== 'group';
  return {
    [PR.DISPLAY_NAME_W]: e.displayName,
    [PR.SMTP_ADDRESS_W]: e.smtp,
    [PR.EMAIL_ADDRESS_W]: e.dn,
    [PR.DISPLAY_TYPE]: e.displayType,
    [PR.OBJECT_TYPE]: e.objectType,
    [PR.TITLE_W]: str(person ? a.title : undefined),
    [PR.COMPANY_W]: str(person ? a.company : undefined),
    [PR.OFFICE_W]: str(person ? a.office : undefined),
    [PR.BUSINESS_PHONE_W]: str(person ? a.businessPhone : undefined),
    [PR.ACCOUNT_W]: e.account,
  };
}

function checkPagedRow(row: Row, e: ExpectedEntry): void {
  const want = pagedRow(e);
  for (const [t, v] of Object.entries(want)) expect(get(row, Number(t)), `${e.displayName} 0x${Number(t).toString(16)}`).toEqual(v);
  expect(permanentDn(hexOf(get(row, PR.ENTRYID)), e.displayType)).toBe(e.dn);
}

const ERR = (code: number) => ({ err: code });

// ---- what exchanger_tcp.py and samba_nspi.py print ----------------------------------------------------------------
interface ExchangerRun {
  args: string[];
  stdout: string;
  log: string[];
  exit: number | string | null;
}
interface SambaResult {
  ok: boolean;
  error?: string;
  trace?: string;
  bind: { result: number; guid: string };
  special: { result: number; rows: Row[] };
  pages: Page[];
  resolve: { result: number; mids: number[]; rows: Row[] };
  unbind: number;
}

/** exchanger.py's record output (-debug: "<name>, 0x<tag>: <value>" lines, records ended by its DELIMITER). */
function exchangerRecords(stdout: string): Array<Map<number, string>> {
  const out: Array<Map<number, string>> = [];
  let cur = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    if (line === '=======================') {
      out.push(cur);
      cur = new Map();
      continue;
    }
    const m = /^.*?, 0x([0-9a-f]{8}): (.*)$/.exec(line);
    if (m) cur.set(parseInt(m[1] as string, 16), m[2] as string);
  }
  if (cur.size > 0) out.push(cur); // a single object (guid-known -guid) is printed without a delimiter
  return out;
}

/** A GUID string's 16 bytes as stored (the first three fields little-endian), upper-case hex. */
function guidWireHex(g: string): string {
  const h = g.replace(/-/g, '');
  const sw = (x: string) => (x.match(/../g) as string[]).reverse().join('');
  return (sw(h.slice(0, 8)) + sw(h.slice(8, 12)) + sw(h.slice(12, 16)) + h.slice(16)).toUpperCase();
}

/** How exchanger.py prints a list value (Python's repr of a list of str). */
const pyList = (l: string[]) => `[${l.map((x) => `'${x}'`).join(', ')}]`;

for (const provider of PROVIDERS) {
  describe(`NSPI against the ${provider} directory (500 users, 20 groups, 6 contacts)`, () => {
    let ns: NspServer;
    let book: ExpectedBook;
    let dir: string;
    let suite: Suite;
    let exchanger: ExchangerRun[];
    let exBindings: string[];
    let zoeGuid: string;
    let samba: SambaResult;
    let srvDn: string;
    let storeDn: string;
    const dnOf = (account: string): string => (book.byAccount.get(account.toLowerCase()) as ExpectedEntry).dn;
    const entry = (account: string): ExpectedEntry => book.byAccount.get(account.toLowerCase()) as ExpectedEntry;
    /** MId of each GAL entry, from the forward pages' PR_INSTANCE_KEY. */
    const mids = new Map<string, number>();
    const midOf = (account: string) => mids.get(dnOf(account).toLowerCase()) as number;

    beforeAll(async () => {
      ns = await startNspServer(provider);
      book = await expectedBook(ns.ts.directory);
      srvDn = serverDn(ns.ts.config.server);
      storeDn = mailboxStoreDn(srvDn);
      dir = mkdtempSync(path.join(tmpdir(), 'ocng-nspi-'));
      const contact = ns.fixture.contacts[0]!;
      const contactEntry = book.gal.find((e) => e.kind === 'contact' && e.displayName === contact.cn) as ExpectedEntry;
      const spec = {
        page: PAGE,
        columns: COLUMNS,
        seek: ['Zo', 'zoë å', '李', 'partner', 'team-1', 'Émile', '\u{ffff}'],
        dns: [dnOf(LOGON), dnOf('zoe'), dnOf('lilei'), dnOf('team-1'), contactEntry.dn, srvDn, storeDn, '/o=Nowhere/cn=x', dnOf('zoe').toUpperCase()],
        props: {
          [dnOf('zoe')]: USER_TAGS,
          [dnOf(LOGON)]: USER_TAGS,
          [dnOf('team-1')]: GROUP_TAGS,
          [contactEntry.dn]: [...USER_TAGS.slice(0, 13), PR.DISPLAY_TYPE, PR.OBJECT_TYPE, PR.HOME_MDB_W],
          [srvDn]: [PR.NETWORK_ADDRESS_W, PR.DISPLAY_NAME_W, PR.EMAIL_ADDRESS_W, PR.DISPLAY_TYPE],
          [storeDn]: [PR.DISPLAY_NAME_W, PR.EMAIL_ADDRESS_W],
        },
        props8: { dn: dnOf('zoe'), tags: [PR.DISPLAY_NAME_A, PR.TITLE_A, PR.HOME_MDB_A] },
        proplist: [dnOf('zoe'), dnOf('team-1'), srvDn],
        anr: ['kierkeg', 'ångström', 'Zoë Å', 'posix', 'Partner Contact', '李', 'Building 3 user01', 'nobody-at-all'],
        resolve: ['zoe', 'Kierkegaard', 'nobody-at-all', '李雷', 'user123@example.test', '=Alice Liddell', 'SMTP:alice@example.test', dnOf('zoe'), 'Partner Contact 2', 'team-1', 'Alice', 'Ana García 10'],
        resolve8: RESOLVE8,
        name_tags: [PR.DISPLAY_NAME_W, PR.MEMBER, PR.SMTP_ADDRESS_W],
        compare: [
          [dnOf(LOGON), dnOf('zoe')],
          [dnOf('zoe'), dnOf(LOGON)],
          [dnOf('zoe'), dnOf('zoe')],
          [dnOf('lilei'), dnOf('team-1')],
        ],
        group: dnOf('team-1'),
        self: dnOf(LOGON),
        other: dnOf('zoe'),
        cert: ALICE_CERT.toString('hex'),
      };
      const specFile = path.join(dir, 'spec.json');
      writeFileSync(specFile, JSON.stringify(spec));
      suite = await runPythonJson<Suite>('impacket_nspi.py', ['suite', '--port', String(ns.ts.server.ports.rpc), '-u', LOGON, '-p', PASSWORD, '--spec', specFile], 120_000);
      if (!suite.ok) throw new Error(`impacket_nspi.py suite failed: ${suite.error}\n${suite.trace}`);
      for (const p of suite.forward) for (const r of p.rows ?? []) mids.set((get(r, PR.EMAIL_ADDRESS_W) as string).toLowerCase(), midOfRow(r));

      // impacket's exchanger.py, its own command line, over TCP
      const port = String(ns.ts.server.ports.rpc);
      const flows = [
        ['nspi', 'list-tables', '-count'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'GAL', '-lookup-type', 'MINIMAL'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'GAL', '-lookup-type', 'EXTENDED', '-rows-per-request', '100'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'GAL', '-lookup-type', 'GUIDS'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'GAL', '-lookup-type', 'FULL'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'All Users', '-lookup-type', 'EXTENDED'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'All Groups', '-lookup-type', 'EXTENDED'],
        ['-debug', 'nspi', 'dump-tables', '-name', 'All Contacts', '-lookup-type', 'EXTENDED'],
        // exchanger asks each NspiQueryRows for 50 rows whatever -rows-per-request says: ranges of 50 MIds
        ['-debug', 'nspi', 'dnt-lookup', '-start-dnt', '0', '-stop-dnt', '1000', '-rows-per-request', '50', '-lookup-type', 'EXTENDED'],
      ];
      const ex = await runPythonJson<{ runs: ExchangerRun[]; bindings: string[] }>(
        'exchanger_tcp.py',
        [port, LOGON, PASSWORD, ...flows.flatMap((f) => ['--', ...f])],
        180_000,
      );
      exchanger = ex.runs;
      exBindings = ex.bindings;
      // guid-known with the objectGUID the GUIDS dump gave for zoe (the dump is in GAL order)
      const guids = exchanger[3]!.stdout.split('\n').filter((l) => /^[0-9a-f-]{36}$/.test(l));
      zoeGuid = guids[book.gal.findIndex((e) => e.account === 'zoe')] ?? '';
      const known = await runPythonJson<{ runs: ExchangerRun[] }>('exchanger_tcp.py', [
        port, LOGON, PASSWORD, '--', '-debug', 'nspi', 'guid-known', '-guid', zoeGuid, '-lookup-type', 'EXTENDED',
      ]);
      exchanger.push(known.runs[0]!);

      // Samba: raw NSPI sealed over SPNEGO (Samba's default), replies parsed by impacket's classes
      samba = await runPythonJson<SambaResult>('samba_nspi.py', [
        `ncacn_ip_tcp:127.0.0.1[${port},seal]`, LOGON, PASSWORD, 'all', '--page', '100', '--resolve', 'zoe', '--resolve', 'nobody-at-all',
      ]);
    }, 240_000);

    afterAll(async () => {
      await ns?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the directory holds the data set (names, addresses and attributes as the fixture has them)', () => {
      const f = ns.fixture;
      expect(book.gal.filter((e) => e.kind === 'user')).toHaveLength(500);
      expect(book.gal.filter((e) => e.kind === 'group')).toHaveLength(20);
      expect(book.gal.filter((e) => e.kind === 'contact')).toHaveLength(6);
      for (const u of f.users) {
        const e = entry(u.uid);
        expect(e, u.uid).toMatchObject({ displayName: u.cn, smtp: u.mail });
        expect(e.attributes).toMatchObject({ title: u.title, company: u.company, office: u.office, businessPhone: u.phone, department: u.department });
      }
      for (const g of f.groups) expect(entry(g.cn).members.length, g.cn).toBe(g.members.length);
      expect(entry('zoe').displayName).toBe('Zoë Ångström');
      expect(entry('lilei').displayName).toBe('李雷');
      // every DN fits a Permanent Entry ID (7-bit): the LDAP contact "Müller GmbH Kontakt" included
      for (const e of book.gal) expect(e.dn, e.displayName).toMatch(/^[\x20-\x7e]+$/);
    });

    it('NspiBind at PKT_PRIVACY answers success and the server GUID; NspiUnbind answers UnbindSuccess', () => {
      expect(suite.bind.result).toBe(0);
      expect(suite.bind.guid).toMatch(/^[0-9a-f-]{36}$/);
      expect(suite.unbind).toBe(1);
    });

    it('NspiGetSpecialTable: the hierarchy (GAL, All Address Lists > All Contacts / All Groups / All Users), Unicode and 8-bit', () => {
      expect(suite.special.result).toBe(0);
      const rows = suite.special.rows;
      expect(rows.map((r) => r.map(([t]) => t >>> 0))).toEqual(
        rows.map(() => [PR.ENTRYID, PR.CONTAINER_FLAGS, PR.DEPTH, PR.CONTAINER_ID, PR.DISPLAY_NAME_W, PR.IS_MASTER]),
      );
      expect(rows.map((r) => [get(r, PR.DISPLAY_NAME_W), get(r, PR.DEPTH), get(r, PR.CONTAINER_FLAGS), get(r, PR.IS_MASTER)])).toEqual([
        ['Global Address List', 0, 0x9, false], // AB_RECIPIENTS | AB_UNMODIFIABLE
        ['All Address Lists', 0, 0xa, false], // AB_SUBCONTAINERS | AB_UNMODIFIABLE
        ['All Contacts', 1, 0x9, false],
        ['All Groups', 1, 0x9, false],
        ['All Users', 1, 0x9, false],
      ]);
      expect(get(rows[0], PR.CONTAINER_ID)).toBe(0);
      const ids = rows.slice(1).map((r) => get(r, PR.CONTAINER_ID) as number);
      for (const id of ids) expect(id).toBeGreaterThanOrEqual(0x10);
      expect(new Set(ids).size).toBe(4);
      // PR_ENTRYID: Permanent, DT_CONTAINER, the GAL's DN "/", the lists' "/guid=<32 hex>"
      const dns = rows.map((r) => permanentDn(hexOf(get(r, PR.ENTRYID)), 0x100));
      expect(dns[0]).toBe('/');
      for (const d of dns.slice(1)) expect(d).toMatch(/^\/guid=[0-9A-F]{32}$/);
      // without NspiUnicodeStrings the names are PT_STRING8 in the code page
      expect(suite.special8.map((r) => cp1252.decode(Buffer.from((get(r, PR.DISPLAY_NAME_A) as { a: string }).a, 'hex')))).toEqual(
        rows.map((r) => get(r, PR.DISPLAY_NAME_W)),
      );
      // the version the client holds: no rows; impacket's own helper ([unique] pStat, NULL lpVersion): the table
      expect(suite.special_same_version).toEqual({ result: 0, rows: 0 });
      expect(suite.special_impacket.rows).toEqual(rows);
    });

    it('NspiQueryRows pages the whole GAL forwards in the promised order, every row as the directory has it', () => {
      const got = suite.forward.flatMap((p) => p.rows ?? []);
      expect(got.map((r) => get(r, PR.DISPLAY_NAME_W))).toEqual(book.gal.map((e) => e.displayName));
      got.forEach((r, i) => checkPagedRow(r, book.gal[i] as ExpectedEntry));
      // the promised order, checked pairwise, and where the non-ASCII names sort
      for (let i = 1; i < got.length; i++) expect(galCompare(get(got[i - 1], PR.DISPLAY_NAME_W) as string, get(got[i], PR.DISPLAY_NAME_W) as string)).toBeLessThan(0);
      const names = got.map((r) => get(r, PR.DISPLAY_NAME_W) as string);
      expect(names.indexOf('Ægir Þórsson 6')).toBeLessThan(names.indexOf('Alice Liddell')); // Æ sorts as AE
      expect(names.indexOf('李雷')).toBeGreaterThan(names.indexOf('Zoë Ångström')); // Han after Latin
      // each page's STAT: moved past its rows, CurrentRec the next row's MId, MID_END_OF_TABLE at the end
      let seen = 0;
      suite.forward.forEach((p, k) => {
        expect(p.result).toBe(0);
        seen += p.rows?.length ?? 0;
        expect(p.stat.NumPos).toBe(seen);
        expect(p.stat.TotalRecs).toBe(book.gal.length);
        const next = suite.forward[k + 1]?.rows?.[0];
        expect(p.stat.CurrentRec).toBe(next ? midOfRow(next) : MID_END_OF_TABLE);
      });
      expect(suite.forward).toHaveLength(Math.ceil(book.gal.length / PAGE));
      expect(new Set(mids.values()).size).toBe(book.gal.length);
    });

    it('NspiQueryRows pages backwards (negative Delta from MID_END_OF_TABLE and from bookmarks) to the same rows', () => {
      const pages = [...suite.backward].reverse();
      const got = pages.flatMap((p) => p.rows ?? []);
      expect(got.map((r) => get(r, PR.EMAIL_ADDRESS_W))).toEqual(book.gal.map((e) => e.dn));
      got.forEach((r, i) => checkPagedRow(r, book.gal[i] as ExpectedEntry));
      for (const p of suite.backward) expect(p.result).toBe(0);
    });

    it('each address list holds its kind of entries in GAL order (QueryRows with its ContainerID)', () => {
      const names = (k: string) => book.gal.filter((e) => e.kind === k).map((e) => e.displayName);
      expect(suite.lists['Global Address List']).toEqual({ result: 0, total: book.gal.length, names: book.gal.map((e) => e.displayName) });
      expect(suite.lists['All Users']).toEqual({ result: 0, total: 500, names: names('user') });
      expect(suite.lists['All Groups']).toEqual({ result: 0, total: 20, names: names('group') });
      expect(suite.lists['All Contacts']).toEqual({ result: 0, total: 6, names: names('contact') });
      expect(suite.lists['All Address Lists']).toEqual({ result: 0, total: 0, names: [] });
    });

    it('NspiQueryRows without columns gives the default columns, strings in code page 1252', () => {
      expect(suite.default_columns.result).toBe(0);
      const rows = suite.default_columns.rows;
      expect(rows).toHaveLength(5);
      rows.forEach((r, i) => {
        const e = book.gal[i] as ExpectedEntry;
        expect(r.map(([t]) => t >>> 0)).toEqual([PR.CONTAINER_ID, PR.OBJECT_TYPE, PR.DISPLAY_TYPE, PR.DISPLAY_NAME_A, 0x3a1a001e, 0x3a18001e, 0x3a19001e]);
        expect(get(r, PR.CONTAINER_ID)).toBe(0);
        expect(get(r, PR.OBJECT_TYPE)).toBe(e.objectType);
        expect(get(r, PR.DISPLAY_TYPE)).toBe(e.displayType);
        expect(cp1252.decode(Buffer.from((get(r, PR.DISPLAY_NAME_A) as { a: string }).a, 'hex'))).toBe(e.displayName);
        const phone = get(r, 0x3a1a001e);
        if (e.attributes.businessPhone) expect(cp1252.decode(Buffer.from((phone as { a: string }).a, 'hex'))).toBe(e.attributes.businessPhone);
        else expect(phone).toEqual(ERR(MAPI_E_NOT_FOUND));
      });
    });

    it('NspiUpdateStat moves by Delta (plDelta reported) and positions fractionally', () => {
      const g = book.gal;
      expect(suite.update_stat.result).toBe(0);
      expect(suite.update_stat.stat).toMatchObject({ CurrentRec: midOf(g[10]!.account), NumPos: 10, TotalRecs: g.length, Delta: 0 });
      expect(suite.update_stat.delta).toBe(10);
      const half = Math.floor(g.length / 2);
      expect(suite.update_stat_fraction.stat).toMatchObject({ CurrentRec: midOf(g[half]!.account), NumPos: half, TotalRecs: g.length });
    });

    it('NspiSeekEntries finds the first row at or after the target (collation order), NotFound past the end', () => {
      const collator = new Intl.Collator('en-US', { sensitivity: 'base' });
      for (const [target, r] of Object.entries(suite.seek)) {
        const i = book.gal.findIndex((e) => collator.compare(e.displayName, target) >= 0);
        if (i < 0) {
          expect(r.result, target).toBe(MAPI_E_NOT_FOUND);
          continue;
        }
        const e = book.gal[i] as ExpectedEntry;
        expect(r.result, target).toBe(0);
        expect(r.stat, target).toMatchObject({ CurrentRec: midOf(e.account), NumPos: i, TotalRecs: book.gal.length });
        expect(r.rows, target).toEqual([[[PR.DISPLAY_NAME_W, e.displayName]]]);
      }
      expect(suite.seek['Zo']!.rows?.[0]?.[0]?.[1]).toBe('Zoë Ångström');
      expect(suite.seek['\u{ffff}']!.result).toBe(MAPI_E_NOT_FOUND);
    });

    it('NspiDNToMId maps DNs (any case) to the MIds the tables use, the server objects too; unknown DNs to 0', () => {
      const [alice, zoe, lilei, team, contact, srv, store, nowhere, zoeUpper] = suite.dntomid as number[];
      expect([alice, zoe, lilei, team]).toEqual([midOf(LOGON), midOf('zoe'), midOf('lilei'), midOf('team-1')]);
      expect(contact).toBe(mids.get(book.gal.find((e) => e.kind === 'contact' && e.displayName === ns.fixture.contacts[0]!.cn)!.dn.toLowerCase()));
      for (const m of [srv, store]) expect(m).toBeGreaterThanOrEqual(0x10);
      expect(new Set(suite.dntomid.filter(Boolean)).size).toBe(7);
      expect(nowhere).toBe(0);
      expect(zoeUpper).toBe(zoe);
    });

    it('NspiGetProps reads a user: names, addresses, attributes, PR_EMS_AB_HOME_MDB, proxy addresses, membership', () => {
      for (const account of ['zoe', LOGON]) {
        const e = entry(account);
        const p = suite.props[e.dn]!.w;
        const a = e.attributes;
        const groups = book.gal.filter((g) => g.kind === 'group' && g.members.includes(e.dn)).map((g) => g.dn);
        expect(p.row?.map(([t]) => t >>> 0).slice(0, 18)).toEqual(USER_TAGS.slice(0, 18));
        const want: Record<number, Value> = {
          [PR.DISPLAY_NAME_W]: e.displayName,
          [PR.ADDRTYPE_W]: 'EX',
          [PR.EMAIL_ADDRESS_W]: e.dn,
          [PR.SMTP_ADDRESS_W]: e.smtp,
          [PR.ACCOUNT_W]: account,
          [PR.GIVEN_NAME_W]: a.givenName!,
          [PR.SURNAME_W]: a.surname!,
          [PR.TITLE_W]: a.title!,
          [PR.DEPARTMENT_W]: a.department!,
          [PR.COMPANY_W]: a.company!,
          [PR.OFFICE_W]: a.office!,
          [PR.BUSINESS_PHONE_W]: a.businessPhone!,
          [PR.MOBILE_W]: a.mobilePhone!,
          [PR.HOME_MDB_W]: storeDn,
          [PR.PROXY_ADDRESSES_W]: e.proxyAddresses,
          [PR.DISPLAY_TYPE]: 0,
          [PR.DISPLAY_TYPE_EX]: 0x40000000, // DTE_FLAG_ACL_CAPABLE | DT_MAILUSER
          [PR.OBJECT_TYPE]: 6,
          [PR.COMMENT_W]: ERR(MAPI_E_NOT_FOUND),
        };
        for (const [t, v] of Object.entries(want)) expect(get(p.row, Number(t)), `${account} 0x${Number(t).toString(16)}`).toEqual(v);
        expect(e.proxyAddresses).toContain(`SMTP:${e.smtp}`);
        expect(storeDn).toMatch(/\/cn=Configuration\/cn=Servers\/cn=EXCH01\/cn=Microsoft Private MDB$/);
        const memberOf = get(p.row, PR.MEMBER_OF_W);
        if (groups.length) expect([...(memberOf as string[])].sort()).toEqual([...groups].sort());
        else expect(memberOf).toEqual(ERR(MAPI_E_NOT_FOUND));
        expect(permanentDn(hexOf(get(p.row, PR.ENTRYID)), 0)).toBe(e.dn);
        // some values are PT_ERROR: ErrorsReturned
        expect(p.result).toBe(MAPI_W_ERRORS_RETURNED);
        // fEphID: an Ephemeral Entry ID with this server's GUID and the MId
        const eph = Buffer.from(hexOf(get(suite.props[e.dn]!.eph.row, PR.ENTRYID)), 'hex');
        expect(eph).toHaveLength(32);
        expect(eph[0]).toBe(0x87);
        expect(eph.readUInt32LE(28)).toBe(midOf(account));
      }
      expect(entry(LOGON).members).toEqual([]);
      expect(book.gal.find((g) => g.account === 'team-1')!.members).toContain(dnOf(LOGON));
    });

    it('NspiGetProps reads a group (PR_EMS_AB_MEMBER as DNs), a contact, the server (PR_EMS_AB_NETWORK_ADDRESS) and its store', () => {
      const team = entry('team-1');
      const g = suite.props[team.dn]!.w.row;
      expect(get(g, PR.DISPLAY_NAME_W)).toBe('team-1');
      expect(get(g, PR.SMTP_ADDRESS_W)).toBe(team.smtp);
      expect(team.smtp).toBe('team-1@test.local'); // <name>@<server.dnsDomain> in both providers
      expect(get(g, PR.EMAIL_ADDRESS_W)).toBe(team.dn);
      expect([...(get(g, PR.MEMBER_W) as string[])].sort()).toEqual([...team.members].sort());
      expect(team.members).toHaveLength(ns.fixture.groups[0]!.members.length);
      expect(get(g, PR.PROXY_ADDRESSES_W)).toEqual([`SMTP:${team.smtp}`]);
      expect([get(g, PR.DISPLAY_TYPE), get(g, PR.OBJECT_TYPE)]).toEqual([1, 8]); // DT_DISTLIST, MAPI_DISTLIST
      expect(get(g, PR.HOME_MDB_W)).toEqual(ERR(MAPI_E_NOT_FOUND));

      const fc = ns.fixture.contacts[0]!;
      const c = book.gal.find((e) => e.kind === 'contact' && e.displayName === fc.cn) as ExpectedEntry;
      const cr = suite.props[c.dn]!.w.row;
      expect(get(cr, PR.DISPLAY_NAME_W)).toBe('Müller GmbH Kontakt');
      expect(get(cr, PR.SMTP_ADDRESS_W)).toBe(fc.mail);
      expect(get(cr, PR.COMPANY_W)).toBe(fc.company);
      expect(get(cr, PR.SURNAME_W)).toBe('Müller');
      expect([get(cr, PR.DISPLAY_TYPE), get(cr, PR.OBJECT_TYPE)]).toEqual([6, 6]); // DT_REMOTE_MAILUSER
      expect(get(cr, PR.HOME_MDB_W)).toEqual(ERR(MAPI_E_NOT_FOUND));

      const s = suite.props[srvDn]!.w;
      expect(get(s.row, PR.NETWORK_ADDRESS_W)).toEqual(['ncacn_ip_tcp:exch01.test.local', 'ncacn_http:exch01.test.local']);
      expect(get(s.row, PR.DISPLAY_NAME_W)).toBe('EXCH01');
      expect(get(s.row, PR.EMAIL_ADDRESS_W)).toBe(srvDn);
      expect(get(suite.props[storeDn]!.w.row, PR.EMAIL_ADDRESS_W)).toBe(storeDn);
    });

    it('NspiGetProps in 8-bit code pages (1252, UTF-8), and impacket\'s own hNspiGetProps helper reads the object it names', () => {
      const zoe = entry('zoe');
      const row1252 = suite.props8['1252']!.row;
      const row8 = suite.props8['65001']!.row;
      const a8 = (r: Row | null, t: number, d: { decode(b: Uint8Array): string }) => d.decode(Buffer.from((get(r, t) as { a: string }).a, 'hex'));
      expect(a8(row1252, PR.DISPLAY_NAME_A, cp1252)).toBe('Zoë Ångström');
      expect(a8(row1252, PR.TITLE_A, cp1252)).toBe(zoe.attributes.title);
      expect(a8(row1252, PR.HOME_MDB_A, cp1252)).toBe(storeDn);
      expect(a8(row8, PR.DISPLAY_NAME_A, utf8)).toBe('Zoë Ångström');
      // impacket 0.10's hNspiGetProps sends cValues one above its tags (and pStat [unique]): it gets zoe's values
      expect(suite.props_impacket_helper.fault).toBeUndefined();
      expect(suite.props_impacket_helper.result).toBe(0);
      expect(suite.props_impacket_helper.row).toEqual([
        [PR.DISPLAY_NAME_W, 'Zoë Ångström'],
        [PR.SMTP_ADDRESS_W, zoe.smtp],
      ]);
    });

    it('NspiGetPropList lists the properties an object has (types by code page, fSkipObjects), NspiQueryColumns all', () => {
      const user = suite.proplist[dnOf('zoe')]!;
      expect(user.result).toBe(0);
      for (const t of [PR.DISPLAY_NAME_A, 0x39fe001e, PR.HOME_MDB_A, PR.ENTRYID, 0x3a17001e, 0x800f101e]) expect(user.tags).toContain(t);
      expect(user.tags).not.toContain(PR.DISPLAY_NAME_W);
      expect(user.tags).not.toContain(0x3004001e); // no comment in the data set
      for (const t of [PR.DISPLAY_NAME_W, 0x39fe001f, PR.HOME_MDB_W]) expect(user.unicode_skip).toContain(t);
      const group = suite.proplist[dnOf('team-1')]!;
      expect(group.tags).toContain(PR.MEMBER);
      expect(group.tags).not.toContain(PR.HOME_MDB_A);
      expect(group.unicode_skip.filter((t) => (t & 0xffff) === 0x000d)).toEqual([]);
      expect(suite.proplist[srvDn]!.tags).toContain(0x8170101e);
      expect(suite.columns.result).toBe(0);
      const toW = (t: number) => ((t & 0xffff) === 0x1e ? (t & 0xffff0000) | 0x1f : (t & 0xffff) === 0x101e ? (t & 0xffff0000) | 0x101f : t) >>> 0;
      expect(suite.columns.unicode).toEqual(suite.columns.tags.map(toW));
      for (const t of [PR.DISPLAY_NAME_W, PR.SMTP_ADDRESS_W, PR.NETWORK_ADDRESS_W, PR.MEMBER, PR.X509_CERT, PR.OBJECT_GUID]) expect(suite.columns.unicode).toContain(t);
      for (const t of user.unicode_skip) expect(suite.columns.unicode, `0x${t.toString(16)}`).toContain(t);
    });

    it('NspiGetMatches with PR_ANR restrictions finds what ANR promises, in GAL order', () => {
      for (const [q, r] of Object.entries(suite.anr)) {
        const want = anrMatches(book, q);
        expect(r.result, q).toBe(0);
        expect(r.rows?.map((x) => get(x, PR.DISPLAY_NAME_W)), q).toEqual(want.map((e) => e.displayName));
        expect(r.mids, q).toEqual(want.map((e) => midOf(e.account)));
      }
      const n = (q: string) => suite.anr[q]!.mids!.length;
      expect(n('kierkeg')).toBe(ns.fixture.users.filter((u) => u.sn === 'Kierkegaard').length);
      expect(n('ångström')).toBe(ns.fixture.users.filter((u) => u.sn === 'Ångström').length);
      expect(suite.anr['posix']!.rows!.map((x) => get(x, PR.DISPLAY_NAME_W))).toEqual(['posix-16', 'posix-17', 'posix-18', 'posix-19', 'posix-20']);
      expect(n('Partner Contact')).toBe(5);
      expect(n('nobody-at-all')).toBe(0);
      expect(n('李')).toBeGreaterThanOrEqual(1);
    });

    it('NspiGetMatches lists a group\'s members (PR_EMS_AB_MEMBER) and a user\'s groups (PR_EMS_AB_IS_MEMBER_OF_DL)', () => {
      const team = entry('team-1');
      const want = book.gal.filter((e) => team.members.includes(e.dn));
      expect(suite.members.result).toBe(0);
      expect(suite.members.rows?.map((r) => [get(r, PR.DISPLAY_NAME_W), get(r, PR.EMAIL_ADDRESS_W)])).toEqual(want.map((e) => [e.displayName, e.dn]));
      expect(suite.members.mids).toEqual(want.map((e) => midOf(e.account)));
      expect(suite.member_of.rows?.map((r) => get(r, PR.DISPLAY_NAME_W))).toEqual(['team-1']);
    });

    it('NspiResortRestriction sorts MIds by display name', () => {
      expect(suite.resort.result).toBe(0);
      const pos = (m: number) => book.gal.findIndex((e) => midOf(e.account) === m);
      const inGal = suite.resort.in.filter((m) => pos(m) >= 0);
      expect(suite.resort.out.filter((m) => pos(m) >= 0)).toEqual([...inGal].sort((a, b) => pos(a) - pos(b)));
      expect([...suite.resort.out].sort()).toEqual([...suite.resort.in].sort());
    });

    it('NspiResolveNamesW: unique, ambiguous and unresolved names; rows for the resolved ones; NspiResolveNames in 1252', () => {
      const names = ['zoe', 'Kierkegaard', 'nobody-at-all', '李雷', 'user123@example.test', '=Alice Liddell', 'SMTP:alice@example.test', dnOf('zoe'), 'Partner Contact 2', 'team-1', 'Alice', 'Ana García 10'];
      expect(suite.resolve.result).toBe(0);
      const want = names.map((n) => anrResolve(book, n));
      expect(suite.resolve.mids).toEqual(want.map((w) => (w.kind === 'resolved' ? midOf(w.entry.account) : w.kind === 'ambiguous' ? 1 : 0)));
      const resolved = want.filter((w) => w.kind === 'resolved').map((w) => (w as { entry: ExpectedEntry }).entry);
      expect(suite.resolve.rows).toEqual(resolved.map((e) => [[PR.DISPLAY_NAME_W, e.displayName], [PR.SMTP_ADDRESS_W, e.smtp], [PR.EMAIL_ADDRESS_W, e.dn]]));
      // the three outcomes are all there
      expect(suite.resolve.mids.slice(0, 4)).toEqual([midOf('zoe'), 1, 0, midOf('lilei')]);
      expect(suite.resolve.mids[5]).toBe(midOf(LOGON));
      // 8-bit names in code page 1252; "Zoë Ångström" is also every Zoë Ångström's given name and surname: ambiguous
      const want8 = RESOLVE8.map((n) => anrResolve(book, n));
      expect(suite.resolve8.mids).toEqual(want8.map((w) => (w.kind === 'resolved' ? midOf(w.entry.account) : w.kind === 'ambiguous' ? 1 : 0)));
      expect(suite.resolve8.mids).toEqual([midOf('user011'), midOf('user004'), midOf(LOGON), 1]);
      expect(suite.resolve8.rows.map((r) => get(r, PR.DISPLAY_NAME_W))).toEqual(['Zoë Ångström 11', 'Søren Kierkegaard 4', 'Alice Liddell']);
    });

    it('NspiGetNamesFromIDs and NspiGetIDsFromNames (MS-NSPI opnums 17, 18) round-trip PS_MAPI names', () => {
      expect(suite.names.result).toBe(0);
      expect(suite.names.tags).toEqual([PR.DISPLAY_NAME_W, PR.MEMBER, PR.SMTP_ADDRESS_W]);
      // ids below 0x8000 are named in PS_MAPI; the address book's own (0x8000 and up) in the server's property set
      const [dn, member, smtp] = suite.names.names;
      expect([dn, smtp]).toEqual([{ guid: PS_MAPI, id: 0x3001 }, { guid: PS_MAPI, id: 0x39fe }]);
      expect(member?.id).toBe(0x8009);
      expect(member?.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(member?.guid).not.toBe(PS_MAPI);
      expect(suite.ids.result).toBe(0);
      expect(suite.ids.tags).toEqual([PR.DISPLAY_NAME_W, PR.MEMBER, PR.SMTP_ADDRESS_W]);
    });

    it('NspiCompareMIds compares positions in the GAL', () => {
      const sign = (a: string, b: string) => Math.sign(galCompare(entry(a).displayName, entry(b).displayName));
      const want = [sign(LOGON, 'zoe'), sign('zoe', LOGON), 0, sign('lilei', 'team-1')];
      expect(Object.values(suite.compare).map((c) => c.result)).toEqual([0, 0, 0, 0]);
      expect(Object.values(suite.compare).map((c) => Math.sign(c.value))).toEqual(want);
      expect(want).toEqual([-1, 1, 0, 1]);
    });

    it('NspiGetTemplateInfo returns the details templates of users and distribution lists for 0x409', () => {
      for (const typ of ['0', '1']) {
        const t = suite.template[typ] as { result: number; row: Row };
        expect(t.result, typ).toBe(0);
        const blob = Buffer.from(hexOf(get(t.row, PR.TEMPLATE_DATA)), 'hex');
        expect(blob.length, typ).toBeGreaterThan(100);
        // MS-OXOABKT 2.2.2: version 1, then the control count
        expect(blob.readUInt32LE(0)).toBe(1);
        expect(blob.readUInt32LE(4)).toBeGreaterThan(3);
      }
      // another language gets the English template (better than none: Outlook shows no dialog without one)
      const other = suite.template.other_locale as { result: number; row: Row };
      expect(other.result).toBe(0);
      expect(get(other.row, PR.TEMPLATE_DATA)).toEqual(get((suite.template['0'] as { row: Row }).row, PR.TEMPLATE_DATA));
      // a display type without a template: InvalidLocale (MS-OXNSPI 3.1.4.1.18 constraint 5)
      expect(suite.template.unknown_type).toBe(MAPI_E_UNKNOWN_LCID);
    });

    it(`NspiModProps: a user may publish its own certificate${provider === 'ldap' ? ' (not through ocng: LDAP is read-only)' : ''}, never another's`, () => {
      const m = suite.modprops;
      expect(m.other).toBe(MAPI_E_NO_ACCESS);
      expect(get(m.other_after.row, PR.X509_CERT)).toEqual(ERR(MAPI_E_NOT_FOUND));
      // builtin: published now; LDAP: refused, and the certificate LDAP holds is the one served
      expect(m.self).toBe(provider === 'builtin' ? 0 : MAPI_E_NO_ACCESS);
      expect(get(m.self_after.row, PR.X509_CERT)).toEqual([{ bin: ALICE_CERT.toString('hex') }]);
    });

    it(`NspiModLinkAtt edits the user's own delegates${provider === 'ldap' ? ' (refused: LDAP is read-only)' : ''}; another's and group members are refused`, () => {
      const m = suite.modlinkatt;
      expect(m.other_refused).toBe(MAPI_E_NO_ACCESS);
      expect(m.members_refused).toBe(MAPI_E_NO_ACCESS);
      if (provider === 'builtin') {
        expect(m.add).toBe(0);
        expect(get(m.after_add.row, PR.PUBLIC_DELEGATES_W)).toEqual([dnOf('zoe')]);
        expect(get(m.backlink.row, PR.DELEGATES_BL_W)).toEqual([dnOf(LOGON)]);
        expect(m.delete).toBe(0);
      } else {
        expect(m.add).toBe(MAPI_E_NO_ACCESS);
        expect(m.delete).toBe(0); // removing a delegate the user does not have changes nothing (constraint 7)
        expect(get(m.after_add.row, PR.PUBLIC_DELEGATES_W)).toEqual(ERR(MAPI_E_NOT_FOUND));
      }
      expect(get(m.after_delete.row, PR.PUBLIC_DELEGATES_W)).toEqual(ERR(MAPI_E_NOT_FOUND));
    });

    // ---- impacket's exchanger.py ----------------------------------------------------------------------------
    it('exchanger.py: every flow ran to its end over TCP in place of its RPC over HTTP binding', () => {
      expect(exchanger).toHaveLength(10);
      for (const r of exchanger) {
        expect(r.exit, r.args.join(' ')).toBeNull();
        expect(r.log.filter((l) => l.startsWith('[-] ') || l.startsWith('[!] ')), r.args.join(' ')).toEqual([]);
      }
      expect(new Set(exBindings)).toEqual(new Set(['ncacn_http:[6004,RpcProxy=127.0.0.1:443]']));
    });

    it('exchanger.py nspi list-tables -count: the address lists and their sizes', () => {
      const out = exchanger[0]!.stdout;
      const tables = [...out.matchAll(/^( *)(\S.*)\n\1TotalRecs: (\d+)\n\1Guid: (\S+)$/gm)].map((m) => [m[1]!.length / 4, m[2], Number(m[3]), m[4]]);
      expect(tables.map(([d, n, c]) => [d, n, c])).toEqual([
        [0, 'Default Global Address List', book.gal.length],
        [0, 'All Address Lists', 0],
        [1, 'All Contacts', 6],
        [1, 'All Groups', 20],
        [1, 'All Users', 500],
      ]);
      // the Guid printed is the one in the list's PR_ENTRYID DN ("/guid=<its bytes>")
      const dns = suite.special.rows.map((r) => permanentDn(hexOf(get(r, PR.ENTRYID)), 0x100));
      expect(tables[0]![3]).toBe('None');
      tables.slice(1).forEach((t, i) => expect(`/guid=${guidWireHex(t[3] as string)}`).toBe(dns[i + 1]));
    });

    it('exchanger.py dump-tables -name GAL (MINIMAL, EXTENDED, FULL, GUIDS): every entry as the directory has it', () => {
      const minimal = exchangerRecords(exchanger[1]!.stdout);
      expect(minimal.map((r) => [r.get(0x3a00001f), r.get(0x39fe001f)])).toEqual(book.gal.map((e) => [e.account, e.smtp]));
      const ext = exchangerRecords(exchanger[2]!.stdout);
      expect(ext).toHaveLength(book.gal.length);
      ext.forEach((r, i) => {
        const e = book.gal[i] as ExpectedEntry;
        const a = e.attributes;
        expect(r.get(PR.DISPLAY_NAME_W), e.account).toBe(e.displayName);
        expect(r.get(0x3a20001f)).toBe(e.displayName); // PR_TRANSMITABLE_DISPLAY_NAME
        expect(r.get(PR.ENTRYID)).toBe(e.dn); // impacket prints a Permanent Entry ID as its DN
        expect(r.get(PR.PROXY_ADDRESSES_W)).toBe(pyList(e.proxyAddresses));
        expect(r.get(PR.OBJECT_TYPE)).toBe(String(e.objectType));
        expect(r.get(PR.DISPLAY_TYPE)).toBe(String(e.displayType));
        expect(r.get(PR.TITLE_W)).toBe(e.kind === 'group' ? undefined : a.title);
        expect(r.get(PR.COMPANY_W)).toBe(e.kind === 'group' ? undefined : a.company);
        expect(r.get(PR.INSTANCE_KEY)).toBe(String(midOf(e.account)));
        expect(r.get(0x39ff001f), e.displayName).toMatch(/^[\x20-\x7e]+$/); // displayNamePrintable
      });
      expect(ext.find((r) => r.get(0x3a00001f) === 'user006')?.get(0x39ff001f)).toBe('AEgir Thorsson 6');
      const full = exchangerRecords(exchanger[4]!.stdout);
      expect(full.map((r) => r.get(PR.EMAIL_ADDRESS_W))).toEqual(book.gal.map((e) => e.dn));
      full.forEach((r, i) => {
        const e = book.gal[i] as ExpectedEntry;
        expect(r.get(PR.SMTP_ADDRESS_W)).toBe(e.smtp);
        expect(r.get(PR.HOME_MDB_W)).toBe(e.kind === 'user' ? storeDn : undefined);
        expect(r.get(0x3a08001f)).toBe(e.kind === 'group' ? undefined : e.attributes.businessPhone);
      });
      const guids = exchanger[3]!.stdout.split('\n').filter((l) => /^[0-9a-f-]{36}$/.test(l));
      expect(guids).toEqual(minimal.map((r) => r.get(PR.OBJECT_GUID)));
      expect(new Set(guids).size).toBe(book.gal.length);
    });

    it('exchanger.py dump-tables of All Users / All Groups / All Contacts: the entries of each kind', () => {
      for (const [i, kind] of [[5, 'user'], [6, 'group'], [7, 'contact']] as const) {
        const recs = exchangerRecords(exchanger[i]!.stdout);
        expect(recs.map((r) => [r.get(PR.DISPLAY_NAME_W), r.get(0x39fe001f)]), kind).toEqual(
          book.gal.filter((e) => e.kind === kind).map((e) => [e.displayName, e.smtp]),
        );
      }
    });

    it('exchanger.py dnt-lookup walks MIds 0-1000: every GAL entry, the server and its store', () => {
      const recs = exchangerRecords(exchanger[8]!.stdout);
      const names = recs.map((r) => r.get(PR.DISPLAY_NAME_W) as string).sort();
      expect(names).toEqual([...book.gal.map((e) => e.displayName), 'EXCH01', 'Mailbox Store (EXCH01)'].sort());
      // networkAddress, asked for as PT_MV_STRING8 (0x8170101e)
      expect(recs.find((r) => r.get(PR.DISPLAY_NAME_W) === 'EXCH01')?.get(0x8170101e)).toBe(pyList(['ncacn_ip_tcp:exch01.test.local', 'ncacn_http:exch01.test.local']));
      for (const r of recs) {
        const e = book.byDn.get((r.get(PR.ENTRYID) ?? '').toLowerCase());
        if (!e) continue; // the server and the store
        expect([r.get(0x3a00001f), r.get(0x39fe001f), r.get(PR.DISPLAY_NAME_W)]).toEqual([e.account, e.smtp, e.displayName]);
        expect(r.get(PR.INSTANCE_KEY)).toBe(String(midOf(e.account)));
      }
    });

    it('exchanger.py guid-known finds an object by its objectGUID (NspiResolveNamesW of a GUID DN)', () => {
      expect(zoeGuid).toMatch(/^[0-9a-f-]{36}$/);
      const recs = exchangerRecords(exchanger[9]!.stdout);
      expect(recs.map((r) => [r.get(0x3a00001f), r.get(PR.DISPLAY_NAME_W), r.get(PR.OBJECT_GUID)])).toEqual([['zoe', 'Zoë Ångström', zoeGuid]]);
    });

    // ---- RFR ------------------------------------------------------------------------------------------------
    it('RFR (impacket oxabref, PKT_PRIVACY): RfrGetNewDSA for a directory user, RfrGetFQDNFromServerDN for the home MDB', async () => {
      const r = await runPythonJson<{ ok: boolean; error?: string; new_dsa: string; fqdn: Record<string, string> }>('impacket_rfr.py', [
        '--port', String(ns.ts.server.ports.rpc), '--level', '6', '-u', LOGON, '-p', PASSWORD, '--user-dn', dnOf('zoe'), '--dn', srvDn, '--dn', storeDn, '--dn', dnOf('zoe'),
      ]);
      expect(r.error).toBeUndefined();
      expect(r.new_dsa).toBe('exch01.test.local');
      expect(r.fqdn).toEqual({ [srvDn]: 'exch01.test.local', [storeDn]: 'exch01.test.local', [dnOf('zoe')]: 'error 0x80070057' });
      // the home MDB a user's PR_EMS_AB_HOME_MDB names is the store the FQDN was asked for
      expect(get(suite.props[dnOf('zoe')]!.w.row, PR.HOME_MDB_W)).toBe(storeDn);
    });

    // ---- Samba ----------------------------------------------------------------------------------------------
    it('Samba (SPNEGO, sealed): NspiBind, NspiGetSpecialTable, NspiQueryRows through the whole GAL, ResolveNamesW, Unbind', () => {
      expect(samba.error, samba.trace).toBeUndefined();
      expect(samba.bind.result).toBe(0);
      expect(samba.bind.guid).toBe(suite.bind.guid); // one server GUID for every session
      expect(samba.special.rows.map((r) => get(r, PR.DISPLAY_NAME_W))).toEqual(suite.special.rows.map((r) => get(r, PR.DISPLAY_NAME_W)));
      const rows = samba.pages.flatMap((p) => p.rows ?? []);
      expect(rows.map((r) => [get(r, PR.DISPLAY_NAME_W), get(r, PR.SMTP_ADDRESS_W), get(r, PR.EMAIL_ADDRESS_W)])).toEqual(
        book.gal.map((e) => [e.displayName, e.smtp, e.dn]),
      );
      rows.forEach((r, i) => {
        const e = book.gal[i] as ExpectedEntry;
        expect(get(r, PR.TITLE_W)).toEqual(e.kind === 'group' || !e.attributes.title ? ERR(MAPI_E_NOT_FOUND) : e.attributes.title);
      });
      expect(samba.pages.at(-1)?.stat.CurrentRec).toBe(MID_END_OF_TABLE);
      expect(samba.resolve.mids).toEqual([midOf('zoe'), 0]);
      expect(samba.resolve.rows).toEqual([[[PR.DISPLAY_NAME_W, 'Zoë Ångström'], [PR.SMTP_ADDRESS_W, entry('zoe').smtp]]]);
      expect(samba.unbind).toBe(1);
    });
  });
}

export type { Provider };
