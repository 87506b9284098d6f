// The NSPI interface (src/nsp/nspi.ts) without sockets: request values encoded with the opnum table's codecs,
// decoded, handled with a fake call context, the reply encoded and decoded again. Checks the NDR <-> model
// conversions (code pages, rows, restrictions, names), the context handle, and the error paths.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AssociationGroup, NULL_HANDLE, type ContextHandle } from '../../src/dcerpc/association.js';
import type { CallContext, InterfaceDef } from '../../src/dcerpc/interface.js';
import { RpcFault } from '../../src/dcerpc/interface.js';
import { encode as cpEncode } from '../../src/mapi/codepage.js';
import { MAPI_E } from '../../src/mapi/props.js';
import { createNspiInterface } from '../../src/nsp/nspi.js';
import * as T from '../../src/nsp/ab/tags.js';
import { decodeEntryId } from '../../src/nsp/entryid.js';
import type { PropertyValue_r, Restriction_r, STAT } from '../../src/nsp/idl.js';
import { fromPropertyValue, fromRestriction, toPropertyValue } from '../../src/nsp/wire.js';
import { silentLogger } from '../../src/util/log.js';
import { dnOf, newAddressBook, population, SERVER_DN } from './ab/fake-directory.js';
import { newStat } from '../../src/nsp/ab/position.js';

const stat = newStat;

function setup(user: string | null = 'alice') {
  const ab = newAddressBook(population());
  const iface: InterfaceDef = createNspiInterface({ addressBook: ab });
  const group = new AssociationGroup(1, '127.0.0.1', 100);
  const ctx = (opnum: number, who: string | null = user): CallContext => ({
    connection: { cid: 1, transport: 'ncacn_ip_tcp', peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 },
    user: who ? { username: who, domain: 'TEST', workstation: 'W' } : null,
    authType: 10,
    authLevel: 6,
    assocGroup: group,
    objectUuid: null,
    opnum,
    log: silentLogger(),
    signal: new AbortController().signal,
  });
  /** Encodes the request, decodes it, handles it, encodes and decodes the reply. */
  async function call(opnum: number, req: unknown, who: string | null = user): Promise<Record<string, unknown>> {
    const def = iface.ops[opnum];
    if (!def) throw new Error(`no opnum ${opnum}`);
    const decoded = def.request.decode(def.request.encode(req));
    const res = await def.handle(decoded, ctx(opnum, who));
    return def.response.decode(def.response.encode(res)) as Record<string, unknown>;
  }
  async function bind(cp = 1252): Promise<ContextHandle> {
    const r = await call(0, { dwFlags: 0, pStat: stat({ CodePage: cp }), pServerGuid: '00000000-0000-0000-0000-000000000000' });
    expect(r.result).toBe(0);
    return r.contextHandle as ContextHandle;
  }
  return { ab, iface, group, call, bind };
}

const tags = (t: number[]) => ({ cValues: t.length, aulPropTag: t });
type Row = { lpProps: PropertyValue_r[] | null };
const values = (row: Row) => (row.lpProps ?? []).map((v) => (v.Value as { value: unknown }).value);

describe('NSPI interface: binding', () => {
  it('NspiBind returns a context handle and the server GUID; NspiUnbind destroys it', async () => {
    const t = setup();
    const r = await t.call(0, { dwFlags: 0, pStat: stat(), pServerGuid: '00000000-0000-0000-0000-000000000000' });
    expect(r.result).toBe(0);
    expect(r.pServerGuid).toBe(t.ab.serverGuid);
    expect(t.group.handles.size).toBe(1);
    const u = await t.call(1, { contextHandle: r.contextHandle, Reserved: 0 });
    expect(u).toEqual({ contextHandle: NULL_HANDLE, result: 1 });
    expect(t.group.handles.size).toBe(0);
    const again = await t.call(1, { contextHandle: r.contextHandle, Reserved: 0 });
    expect(again.result).toBe(2); // UnbindFailure
  });

  it('a NULL pServerGuid stays NULL; an unknown code page is refused without a handle', async () => {
    const t = setup();
    const r = await t.call(0, { dwFlags: 0, pStat: stat(), pServerGuid: null });
    expect(r.pServerGuid).toBeNull();
    const bad = await t.call(0, { dwFlags: 0, pStat: stat({ CodePage: 1200 }), pServerGuid: null });
    expect(bad.result).toBe(MAPI_E.UNKNOWN_CPID);
    expect(bad.contextHandle).toEqual(NULL_HANDLE);
  });

  it('an unauthenticated bind is LogonFailed; an unknown handle is a context-mismatch fault', async () => {
    const t = setup(null);
    const r = await t.call(0, { dwFlags: 0, pStat: stat(), pServerGuid: null });
    expect(r.result).toBe(MAPI_E.LOGON_FAILED);
    const t2 = setup();
    await expect(t2.call(16, { hRpc: { attributes: 0, uuid: '12345678-1234-1234-1234-123456789abc' }, Reserved: 0, dwFlags: 0 })).rejects.toBeInstanceOf(RpcFault);
  });

  it('a handle serves only the user that bound it', async () => {
    const t = setup();
    const h = await t.bind();
    await expect(t.call(16, { hRpc: h, Reserved: 0, dwFlags: 0 }, 'bob')).rejects.toBeInstanceOf(RpcFault);
  });
});

describe('NSPI interface: rows and code pages', () => {
  it('NspiQueryRows encodes PT_STRING8 in the STAT\'s code page and PT_UNICODE as is', async () => {
    const t = setup();
    const h = await t.bind();
    const r = await t.call(3, { hRpc: h, dwFlags: 0, pStat: stat({ ContainerID: 0 }), dwETableCount: 0, lpETable: null, Count: 100, pPropTags: tags([0x3001001e, 0x3001001f]) });
    expect(r.result).toBe(0);
    const rows = (r.ppRows as { aRow: Row[] }).aRow;
    const zoe = rows.find((row) => values(row)[1] === 'Zoë Ångström') as Row;
    expect(values(zoe)[0]).toEqual(cpEncode('Zoë Ångström', 1252));
    const lilei = rows.find((row) => values(row)[1] === '李雷') as Row;
    expect(values(lilei)[0]).toEqual(Buffer.from('??')); // not in 1252: "?" as WideCharToMultiByte does
    expect((r.pStat as STAT).CurrentRec).toBe(2);
  });

  it('CP_ACP (0) in a call means the session\'s code page', async () => {
    const t = setup();
    const h = await t.bind(1250);
    const r = await t.call(3, { hRpc: h, dwFlags: 0, pStat: stat({ CodePage: 0 }), dwETableCount: 0, lpETable: null, Count: 100, pPropTags: tags([0x3001001e]) });
    const bytes = (r.ppRows as { aRow: Row[] }).aRow.map((row) => values(row)[0] as Buffer);
    expect(bytes).toContainEqual(cpEncode('Zoë Ångström', 1250));
  });

  it('NspiGetProps: values, PT_ERROR values and ErrorsReturned, entry IDs, server addresses', async () => {
    const t = setup();
    const h = await t.bind();
    const snap = await t.ab.snapshot();
    const server = snap.byDn.get(SERVER_DN.toLowerCase())?.mid;
    const r = await t.call(9, { hRpc: h, dwFlags: 0, pStat: stat({ CurrentRec: server }), pPropTags: tags([T.PidTagAddressBookNetworkAddress, 0x8170101e, T.PidTagTitle, T.PidTagEntryId]) });
    expect(r.result).toBe(MAPI_E.ERRORS_RETURNED);
    const row = r.ppRows as Row;
    const v = values(row);
    expect((v[0] as { lppszW: string[] }).lppszW).toEqual(['ncacn_ip_tcp:exch01.example.com', 'ncacn_http:exch01.example.com']);
    expect((v[1] as { lppszA: Buffer[] }).lppszA.map((b) => b.toString())).toEqual(['ncacn_ip_tcp:exch01.example.com', 'ncacn_http:exch01.example.com']);
    expect(row.lpProps?.[2]?.ulPropTag).toBe(0x3a17000a);
    expect(v[2]).toBe(MAPI_E.NOT_FOUND);
    expect(decodeEntryId((v[3] as { lpb: Buffer }).lpb)).toMatchObject({ type: 'permanent', dn: SERVER_DN });
  });

  it('NspiResolveNames decodes the 8-bit names in the STAT\'s code page; NspiResolveNamesW takes Unicode', async () => {
    const t = setup();
    const h = await t.bind();
    const snap = await t.ab.snapshot();
    const zoe = snap.byUsername.get('zoe')?.mid;
    const a = await t.call(19, { hRpc: h, Reserved: 0, pStat: stat(), pPropTags: tags([0x3001001e]), paStr: { Count: 2, Strings: [cpEncode('Zoë', 1252), null] } });
    expect((a.ppMIds as { aulPropTag: number[] }).aulPropTag).toEqual([zoe, 0]);
    const w = await t.call(20, { hRpc: h, Reserved: 0x80000000, pStat: stat(), pPropTags: null, paWStr: { Count: 3, Strings: ['李雷', 'ali', 'nobody'] } });
    expect((w.ppMIds as { aulPropTag: number[] }).aulPropTag).toEqual([snap.byUsername.get('lilei')?.mid, 1, 0]);
    expect((w.ppRows as { cRows: number }).cRows).toBe(1);
  });

  it('NspiDNToMId, NspiGetPropList, NspiQueryColumns, NspiGetSpecialTable, NspiGetTemplateInfo', async () => {
    const t = setup();
    const h = await t.bind();
    const snap = await t.ab.snapshot();
    const d = await t.call(7, { hRpc: h, Reserved: 0, pNames: { Count: 2, Strings: [Buffer.from(dnOf('bob')), null] } });
    expect((d.ppOutMIds as { aulPropTag: number[] }).aulPropTag).toEqual([snap.byUsername.get('bob')?.mid, 0]);
    const pl = await t.call(8, { hRpc: h, dwFlags: 0, dwMId: snap.byUsername.get('bob')?.mid, CodePage: 1252 });
    expect((pl.ppPropTags as { aulPropTag: number[] }).aulPropTag).toContain(0x3001001e);
    const qc = await t.call(16, { hRpc: h, Reserved: 0, dwFlags: 0x80000000 });
    expect((qc.ppColumns as { aulPropTag: number[] }).aulPropTag).toContain(0x3001001f);
    const st = await t.call(12, { hRpc: h, dwFlags: 4, pStat: stat(), lpVersion: 0 });
    expect((st.ppRows as { cRows: number }).cRows).toBe(5);
    const again = await t.call(12, { hRpc: h, dwFlags: 4, pStat: stat(), lpVersion: st.lpVersion });
    expect(again).toMatchObject({ lpVersion: st.lpVersion, ppRows: { cRows: 0 }, result: 0 });
    const ti = await t.call(13, { hRpc: h, dwFlags: 1, ulType: 0, pDN: null, dwCodePage: 1252, dwLocaleID: 0x409 });
    expect(ti.result).toBe(0);
    expect((ti.ppData as Row).lpProps?.[0]?.ulPropTag).toBe(T.PidTagTemplateData);
    const tiDn = await t.call(13, { hRpc: h, dwFlags: 1, ulType: 0, pDN: Buffer.from('/o=x'), dwCodePage: 1252, dwLocaleID: 0x409 });
    expect(tiDn).toEqual({ ppData: null, result: MAPI_E.UNKNOWN_LCID });
  });
});

describe('NSPI interface: restrictions and names', () => {
  it('NspiGetMatches with an Outlook-style restriction in 8-bit strings', async () => {
    const t = setup();
    const h = await t.bind();
    const pv = (tag: number, value: unknown) => ({ ulPropTag: tag, ulReserved: 0, Value: { tag: tag & 0xffff, value } });
    const Filter: Restriction_r = {
      rt: 0,
      res: {
        tag: 0,
        value: {
          cRes: 2,
          lpRes: [
            { rt: 4, res: { tag: 4, value: { relop: 4, ulPropTag: 0x360c001e, lpProp: pv(0x360c001e, cpEncode('ång', 1252)) as PropertyValue_r } } },
            { rt: 2, res: { tag: 2, value: { lpRes: { rt: 8, res: { tag: 8, value: { ulReserved1: 0, ulPropTag: 0x8cdd000b, ulReserved2: 0 } } } } } },
          ],
        },
      },
    };
    const r = await t.call(5, { hRpc: h, Reserved1: 0, pStat: stat(), pReserved: null, Reserved2: 0, Filter, lpPropName: null, ulRequested: 10, pPropTags: tags([0x3001001f]) });
    expect(r.result).toBe(0);
    expect(((r.ppRows as { aRow: Row[] }).aRow).map((row) => values(row)[0])).toEqual(['Zoë Ångström']);
  });

  it('a malformed restriction is InvalidParameter', async () => {
    const t = setup();
    const h = await t.bind();
    const Filter: Restriction_r = { rt: 2, res: { tag: 2, value: { lpRes: null } } };
    const r = await t.call(5, { hRpc: h, Reserved1: 0, pStat: stat(), pReserved: null, Reserved2: 0, Filter, lpPropName: null, ulRequested: 10, pPropTags: null });
    expect(r).toMatchObject({ ppOutMIds: null, ppRows: null, result: MAPI_E.INVALID_PARAMETER });
  });

  it('NspiGetNamesFromIDs and NspiGetIDsFromNames round-trip', async () => {
    const t = setup();
    const h = await t.bind();
    const n = await t.call(17, { hRpc: h, Reserved: 0, lpguid: null, pPropTags: tags([0x3001001f, 0x8009000d]) });
    const names = (n.ppNames as { aNames: Array<{ lpguid: string; lID: number }> }).aNames;
    expect(names.length).toBe(2);
    const ids = await t.call(18, { hRpc: h, Reserved: 0, dwFlags: 0, cPropNames: 2, pNames: names.map((x) => ({ ...x, ulReserved: 0 })) });
    expect((ids.ppPropTags as { aulPropTag: number[] }).aulPropTag).toEqual([0x3001001f, 0x8009000d]);
  });
});

describe('NSPI interface: modifications', () => {
  it('NspiModProps refuses another user\'s object; NspiModLinkAtt adds a delegate by entry ID', async () => {
    const t = setup();
    const h = await t.bind();
    const snap = await t.ab.snapshot();
    const bob = snap.byUsername.get('bob')?.mid as number;
    const alice = snap.byUsername.get('alice')?.mid as number;
    const pRow = { Reserved: 0, cValues: 1, lpProps: [toPropertyValue({ tag: T.PidTagAddressBookX509Certificate, value: [Buffer.from('3003020101', 'hex')] }, 1252)] };
    const m = await t.call(11, { hRpc: h, Reserved: 0, pStat: stat({ CurrentRec: bob }), pPropTags: tags([]), pRow });
    expect(m.result).toBe(MAPI_E.NO_ACCESS);
    const eid = (await t.call(9, { hRpc: h, dwFlags: 2, pStat: stat({ CurrentRec: bob }), pPropTags: tags([T.PidTagEntryId]) })).ppRows as Row;
    const lpb = (values(eid)[0] as { lpb: Buffer }).lpb;
    const l = await t.call(14, { hRpc: h, dwFlags: 0, ulPropTag: T.PidTagAddressBookPublicDelegates, dwMId: alice, lpEntryIds: { cValues: 1, lpbin: [{ cb: lpb.length, lpb }] } });
    expect(l.result).toBe(0);
  });
});

describe('wire conversions', () => {
  it('round-trip every PROP_VAL_UNION type the model produces', () => {
    const cases = [
      { tag: 0x30010003, value: -5 },
      { tag: 0x3001000b, value: true },
      { tag: 0x3001001e, value: 'Zoë' },
      { tag: 0x3001001f, value: '李雷' },
      { tag: 0x30010102, value: Buffer.from([1, 2, 3]) },
      { tag: 0x3001000a, value: MAPI_E.NOT_FOUND },
      { tag: 0x30010040, value: 0x01d9a1b2c3d4e5f6n },
      { tag: 0x3001101e, value: ['a', 'ö'] },
      { tag: 0x3001101f, value: ['李', 'b'] },
      { tag: 0x30011102, value: [Buffer.from([9]), Buffer.alloc(0)] },
      { tag: 0x30011003, value: [1, -2] },
      { tag: 0x30010048, value: '01020304-0506-0708-090a-0b0c0d0e0f10' },
    ];
    for (const c of cases) expect(fromPropertyValue(toPropertyValue(c, 1252), 1252)).toEqual(c);
  });

  it('cuts strings at a NUL the wire cannot carry; reports unencodable types as not found', () => {
    expect(fromPropertyValue(toPropertyValue({ tag: 0x3001001f, value: 'a\0b' }, 1252), 1252).value).toBe('a');
    expect(toPropertyValue({ tag: 0x30010014, value: 5n }, 1252)).toMatchObject({ ulPropTag: 0x3001000a, Value: { tag: 10, value: MAPI_E.NOT_FOUND } });
  });

  it('turns every restriction type into the model, and NULL sub-restrictions into null', () => {
    const leaf = (rt: number, value: unknown) => ({ rt, res: { tag: rt, value } }) as unknown as Restriction_r;
    const all = leaf(1, {
      cRes: 8,
      lpRes: [
        leaf(3, { ulFuzzyLevel: 1, ulPropTag: 0x3001001f, lpProp: null }),
        leaf(4, { relop: 4, ulPropTag: 0x39000003, lpProp: { ulPropTag: 0x39000003, ulReserved: 0, Value: { tag: 3, value: 1 } } }),
        leaf(5, { relop: 0, ulPropTag1: 1, ulPropTag2: 2 }),
        leaf(6, { relBMR: 1, ulPropTag: 3, ulMask: 4 }),
        leaf(7, { relop: 2, ulPropTag: 5, cb: 6 }),
        leaf(8, { ulReserved1: 0, ulPropTag: 7, ulReserved2: 0 }),
        leaf(9, { ulSubObject: 0x0e12000d, lpRes: leaf(0, { cRes: 0, lpRes: null }) }),
        leaf(2, { lpRes: leaf(8, { ulReserved1: 0, ulPropTag: 9, ulReserved2: 0 }) }),
      ],
    });
    expect(fromRestriction(all, 1252)).toEqual({
      type: 'or',
      res: [
        { type: 'content', fuzzyLevel: 1, propTag: 0x3001001f, value: { tag: 0x3001001f, value: null } },
        { type: 'property', relop: 4, propTag: 0x39000003, value: { tag: 0x39000003, value: 1 } },
        { type: 'compareProps', relop: 0, propTag1: 1, propTag2: 2 },
        { type: 'bitmask', relBMR: 1, propTag: 3, mask: 4 },
        { type: 'size', relop: 2, propTag: 5, cb: 6 },
        { type: 'exist', propTag: 7 },
        { type: 'sub', subObject: 0x0e12000d, res: { type: 'and', res: [] } },
        { type: 'not', res: { type: 'exist', propTag: 9 } },
      ],
    });
    expect(fromRestriction(leaf(0, { cRes: 2, lpRes: [leaf(8, { ulPropTag: 1 })] }), 1252)).toBeNull();
    expect(fromRestriction(leaf(9, { ulSubObject: 1, lpRes: null }), 1252)).toBeNull();
  });
});

describe('MS-OXNSPI section 4 example sequence', () => {
  const fixture = (name: string) =>
    Buffer.from((JSON.parse(readFileSync(new URL(`../../fixtures/nsp/${name}.json`, import.meta.url), 'utf8')) as { hex: string }).hex, 'hex');

  it('NspiBind, NspiGetSpecialTable, NspiQueryRows (Count 2, 4 columns), NspiUnbind answer as in the example', async () => {
    const t = setup();
    const run = async (opnum: number, req: unknown) => {
      const def = t.iface.ops[opnum];
      if (!def) throw new Error('no op');
      const res = await def.handle(req, {
        connection: { cid: 1, transport: 'ncacn_ip_tcp', peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 },
        user: { username: 'alice', domain: 'TEST', workstation: 'W' },
        authType: 10,
        authLevel: 6,
        assocGroup: t.group,
        objectUuid: null,
        opnum,
        log: silentLogger(),
        signal: new AbortController().signal,
      });
      return def.response.decode(def.response.encode(res)) as Record<string, unknown>;
    };
    const decode = (opnum: number, name: string) => t.iface.ops[opnum]?.request.decode(fixture(name)) as Record<string, unknown>;
    const bound = await run(0, decode(0, 'ms-oxnspi-4_NspiBind_in'));
    expect(bound.result).toBe(0);
    expect(bound.pServerGuid).toBe(t.ab.serverGuid);
    const h = bound.contextHandle;
    const special = await run(12, { ...decode(12, 'ms-oxnspi-4_NspiGetSpecialTable_in'), hRpc: h });
    expect(special.result).toBe(0);
    for (const row of (special.ppRows as { aRow: Row[] }).aRow) {
      expect(row.lpProps?.map((v) => v.ulPropTag)).toEqual([0x0fff0102, 0x36000003, 0x30050003, 0xfffd0003, 0x3001001f, 0xfffb000b]);
      expect(row.lpProps?.every((v) => v.ulReserved === 0)).toBe(true);
    }
    const q = await run(3, { ...decode(3, 'ms-oxnspi-4_NspiQueryRows_in'), hRpc: h });
    const snap = await t.ab.snapshot();
    const gal = snap.table(snap.gal, 0x409).entries;
    expect(q.result).toBe(0);
    expect(q.pStat).toEqual(stat({ CurrentRec: gal[2]?.mid, NumPos: 2, TotalRecs: gal.length, Delta: 0 }));
    const rows = (q.ppRows as { cRows: number; aRow: Row[] });
    expect(rows.cRows).toBe(2);
    expect(rows.aRow.map((r) => r.lpProps?.length)).toEqual([4, 4]);
    const u = await run(1, { contextHandle: h, Reserved: 0 });
    expect(u.result).toBe(1);
  });
});

describe('NSPI interface: hostile input', () => {
  it('a Filter nested past the decoder\'s limit is TooComplex (MS-OXNSPI 3.1.4.1.10 constraint 8)', async () => {
    const t = setup();
    const h = await t.bind();
    const def = t.iface.ops[5];
    const res = await def?.handle(
      { hRpc: h, Reserved1: 0, pStat: stat(), pReserved: null, Reserved2: 0, Filter: null, lpPropName: null, ulRequested: 0, pPropTags: null, filterTooComplex: true },
      {
        connection: { cid: 1, transport: 'ncacn_ip_tcp', peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 },
        user: { username: 'alice', domain: 'TEST', workstation: 'W' },
        authType: 10,
        authLevel: 6,
        assocGroup: t.group,
        objectUuid: null,
        opnum: 5,
        log: silentLogger(),
        signal: new AbortController().signal,
      },
    );
    expect(res).toEqual({ pStat: stat(), ppOutMIds: null, ppRows: null, result: MAPI_E.TOO_COMPLEX });
  });

  it('a directory failure inside a call is GeneralFailure with cleared outputs, not a fault', async () => {
    const t = setup();
    const h = await t.bind();
    const dir = t.ab.directory as unknown as { generation: () => Promise<number>; listUsers: () => Promise<unknown> };
    dir.generation = async () => 999;
    dir.listUsers = async () => {
      throw new Error('LDAP down');
    };
    // the old snapshot keeps serving (the refresh failure is logged) ...
    await t.ab.load();
    const q = await t.call(3, { hRpc: h, dwFlags: 0, pStat: stat(), dwETableCount: 0, lpETable: null, Count: 1, pPropTags: null });
    expect(q.result).toBe(0);
    // ... and a failure with nothing to fall back on becomes GeneralFailure
    const t2 = setup();
    const d2 = t2.ab.directory as unknown as { listUsers: () => Promise<unknown> };
    d2.listUsers = async () => {
      throw new Error('LDAP down');
    };
    const r = await t2.call(0, { dwFlags: 0, pStat: stat(), pServerGuid: null });
    expect(r).toMatchObject({ result: MAPI_E.CALL_FAILED, contextHandle: NULL_HANDLE });
  });
});
