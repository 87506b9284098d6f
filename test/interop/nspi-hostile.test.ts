// Bad input at the wire, against the running server: raw NSPI stubs (our RpcClient, sealed NTLM at PKT_PRIVACY;
// stubs from the schemas of src/nsp/idl.ts, then damaged, or built by hand where the schemas refuse to encode them)
// with malformed STATs, a restriction nested 1,000 deep, counts past the data and unknown code pages. Each gets the
// error MS-OXNSPI (or, for stubs that are not NDR, MS-RPCE: nca_s_fault_ndr) prescribes, and after each one the same
// connection and session go on answering, as do new connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, RpcClientError } from '../../src/dcerpc/client.js';
import { FAULT } from '../../src/dcerpc/constants.js';
import { NSPI } from '../../src/dcerpc/well-known.js';
import type { ContextHandle } from '../../src/dcerpc/association.js';
import * as N from '../../src/nsp/idl.js';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/full-server.js';
import { newStat } from '../../src/nsp/ab/position.js';

const MAPI = {
  SUCCESS: 0,
  CALL_FAILED: 0x80004005,
  INVALID_PARAMETER: 0x80070057,
  NO_SUPPORT: 0x80040102,
  NOT_FOUND: 0x8004010f,
  TOO_COMPLEX: 0x80040117,
  INVALID_BOOKMARK: 0x80040405,
  UNKNOWN_CPID: 0x8004011e,
};
const MID_END_OF_TABLE = 2;
const PR_DISPLAY_NAME_W = 0x3001001f;
const PR_ANR_W = 0x360c001f;
const USERS = ['zoe', 'lilei', 'bob', 'carol', 'dave'];

let ts: TestServer;
let port: number;
beforeAll(async () => {
  ts = await startTestServer({}, [['alice', PASSWORD]], {
    scryptN: 1024,
    populate: async (admin) => {
      for (const u of USERS) await admin.addUser({ username: u, password: PASSWORD, displayName: u === 'zoe' ? 'Zoë Ångström' : u === 'lilei' ? '李雷' : u });
    },
  });
  port = ts.server.ports.rpc;
});
afterAll(async () => ts?.close());

const stat = newStat;
const tags = (t: number[]) => ({ cValues: t.length, aulPropTag: t });

type Answer = { stub: Buffer; fault?: undefined } | { fault: number; stub?: undefined };

class Session {
  private constructor(
    readonly client: RpcClient,
    public handle: ContextHandle,
  ) {}

  static async open(): Promise<Session> {
    const client = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: 10, level: 6, username: 'alice', password: PASSWORD, domain: 'TEST' } });
    await client.bind({ uuid: NSPI.uuid, major: NSPI.major, minor: NSPI.minor });
    const s = new Session(client, { attributes: 0, uuid: '00000000-0000-0000-0000-000000000000' });
    const b = await s.bind(stat());
    expect(b.result).toBe(0);
    s.handle = b.contextHandle;
    return s;
  }

  async raw(opnum: number, stub: Buffer): Promise<Answer> {
    try {
      return { stub: await this.client.call(opnum, stub) };
    } catch (e) {
      if (e instanceof RpcClientError && e.code === 'OC_RPC_CLIENT_FAULT') return { fault: e.status as number };
      throw e;
    }
  }

  async bind(pStat: N.STAT): Promise<N.NspiBind_out> {
    const a = await this.raw(0, N.NspiBind_in.encode({ dwFlags: 0, pStat, pServerGuid: null }));
    return N.NspiBind_out.decode(a.stub as Buffer);
  }

  queryRowsStub(pStat: N.STAT, count = 10, t: number[] | null = [PR_DISPLAY_NAME_W]): Buffer {
    return N.NspiQueryRows_in.encode({ hRpc: this.handle, dwFlags: 0, pStat, dwETableCount: 0, lpETable: null, Count: count, pPropTags: t ? tags(t) : null });
  }

  async queryRows(pStat: N.STAT, count = 10): Promise<N.NspiQueryRows_out> {
    const a = await this.raw(3, this.queryRowsStub(pStat, count));
    expect(a.fault).toBeUndefined();
    return N.NspiQueryRows_out.decode(a.stub as Buffer);
  }

  /** The session still answers: the whole GAL (the test users and the server's other objects are not in it). */
  async stillWorks(): Promise<void> {
    const r = await this.queryRows(stat(), 100);
    expect(r.result).toBe(0);
    expect(r.ppRows?.aRow.map((x) => (x.lpProps?.[0]?.Value as { value: unknown }).value)).toEqual(['alice', 'bob', 'carol', 'dave', 'Zoë Ångström', '李雷']);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** NspiGetMatches with Filter = NOT(NOT(...(EXIST PR_DISPLAY_NAME))) `depth` deep, marshalled by hand. */
function deepGetMatches(handle: ContextHandle, depth: number): Buffer {
  const parts: Buffer[] = [N.NSPI_HANDLE.encode(handle)];
  const u32 = (...v: number[]) => {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i));
    parts.push(b);
  };
  u32(0); // Reserved1
  parts.push(N.STAT.encode(stat()));
  u32(0, 0); // pReserved NULL, Reserved2
  let ref = 0x20000;
  u32(ref); // Filter: a [unique] pointer, its referent follows
  for (let i = 0; i < depth - 1; i++) u32(N.RT.NOT, N.RT.NOT, (ref += 4)); // rt, union tag, lpRes referent id
  u32(N.RT.EXIST, N.RT.EXIST, 0, PR_DISPLAY_NAME_W, 0); // ExistRestriction_r
  u32(0, 100, 0); // lpPropName NULL, ulRequested, pPropTags NULL
  return Buffer.concat(parts);
}

describe('NSPI hostile input at the wire (sealed NTLM, PKT_PRIVACY)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await Session.open();
  });
  afterAll(async () => s?.close());

  it('the hand-marshalled deep restriction is what the schema encodes (checked at a depth it accepts)', () => {
    let f: N.Restriction_r = { rt: N.RT.EXIST, res: { tag: 8, value: { ulReserved1: 0, ulPropTag: PR_DISPLAY_NAME_W, ulReserved2: 0 } } };
    for (let i = 1; i < 5; i++) f = { rt: N.RT.NOT, res: { tag: 2, value: { lpRes: f } } };
    const viaSchema = N.NspiGetMatches_in.encode({ hRpc: s.handle, Reserved1: 0, pStat: stat(), pReserved: null, Reserved2: 0, Filter: f, lpPropName: null, ulRequested: 100, pPropTags: null });
    expect(deepGetMatches(s.handle, 5).toString('hex')).toBe(viaSchema.toString('hex'));
  });

  it('NspiBind with a code page the server does not convert: MAPI_E_UNKNOWN_CPID and no handle', async () => {
    for (const cp of [0xffff, 1200 /* CP_WINUNICODE cannot be a session's */, 0x12345678]) {
      const b = await s.bind(stat({ CodePage: cp }));
      expect(b.result, `code page ${cp}`).toBe(MAPI.UNKNOWN_CPID);
      expect(b.contextHandle.uuid).toBe('00000000-0000-0000-0000-000000000000');
    }
    // CP_ACP (0) and a real code page bind
    for (const cp of [0, 1252, 65001, 20261]) {
      const b = await s.bind(stat({ CodePage: cp }));
      expect(b.result, `code page ${cp}`).toBe(0);
      const u = N.NspiUnbind_out.decode((await s.raw(1, N.NspiUnbind_in.encode({ contextHandle: b.contextHandle, Reserved: 0 }))).stub as Buffer);
      expect(u.result).toBe(1);
    }
    await s.stillWorks();
  });

  it('malformed STATs get the spec\'s errors and the STAT back unchanged', async () => {
    const cases: Array<[string, Partial<N.STAT>, number]> = [
      ['unknown SortType', { SortType: 7 }, MAPI.CALL_FAILED],
      ['SortTypePhoneticDisplayName (not kept)', { SortType: 3 }, MAPI.CALL_FAILED],
      ['unknown ContainerID', { ContainerID: 0xdead }, MAPI.INVALID_BOOKMARK],
      ['CodePage 0xFFFF', { CodePage: 0xffff }, MAPI.UNKNOWN_CPID],
      ['CodePage CP_WINUNICODE', { CodePage: 1200 }, MAPI.NO_SUPPORT],
      ['CurrentRec naming no object', { CurrentRec: 0x7777 }, MAPI.NOT_FOUND],
    ];
    for (const [what, over, ec] of cases) {
      const st = stat(over);
      const r = await s.queryRows(st);
      expect(r.result, what).toBe(ec);
      expect(r.pStat, what).toEqual(st);
      expect(r.ppRows, what).toBeNull();
      await s.stillWorks();
    }
    // Count 0 is InvalidParameter (MS-OXNSPI 3.1.4.1.8 constraint 2)
    expect((await s.queryRows(stat(), 0)).result).toBe(MAPI.INVALID_PARAMETER);
  });

  it('extreme positions are clamped, not errors: Delta past either end, NumPos past TotalRecs, a huge Count', async () => {
    const end = await s.queryRows(stat({ Delta: 0x7fffffff }));
    expect(end.result).toBe(0);
    expect(end.pStat).toMatchObject({ CurrentRec: MID_END_OF_TABLE, NumPos: 6, TotalRecs: 6 });
    expect(end.ppRows?.cRows).toBe(0);
    const start = await s.queryRows(stat({ CurrentRec: MID_END_OF_TABLE, Delta: -0x80000000 }), 2);
    expect(start.ppRows?.cRows).toBe(2);
    expect(start.pStat.NumPos).toBe(2);
    const frac = await s.queryRows(stat({ CurrentRec: 1 /* MID_CURRENT */, NumPos: 0xffffffff, TotalRecs: 3 }));
    expect(frac.pStat).toMatchObject({ CurrentRec: MID_END_OF_TABLE, NumPos: 6 });
    const all = await s.queryRows(stat(), 0xffffffff);
    expect(all.ppRows?.cRows).toBe(6);
  });

  it('other operations check their STAT too (SeekEntries, GetMatches, CompareMIds, GetProps, UpdateStat)', async () => {
    const seek = (st: N.STAT) =>
      N.NspiSeekEntries_in.encode({ hRpc: s.handle, Reserved: 0, pStat: st, pTarget: { ulPropTag: PR_DISPLAY_NAME_W, ulReserved: 0, Value: { tag: 0x1f, value: 'c' } }, lpETable: null, pPropTags: null });
    const r1 = N.NspiSeekEntries_out.decode((await s.raw(4, seek(stat({ SortType: 0x3e8 })))).stub as Buffer);
    expect(r1.result).toBe(MAPI.CALL_FAILED); // 3.1.4.1.9 constraint 9
    const r1b = N.NspiSeekEntries_out.decode((await s.raw(4, seek(stat({ ContainerID: 0xdead })))).stub as Buffer);
    expect(r1b.result).toBe(MAPI.INVALID_BOOKMARK);
    const anr = { rt: N.RT.PROPERTY, res: { tag: 4, value: { relop: 4, ulPropTag: PR_ANR_W, lpProp: { ulPropTag: PR_ANR_W, ulReserved: 0, Value: { tag: 0x1f, value: 'zo' } } } } } as N.Restriction_r;
    const gm = async (st: N.STAT) => {
      const stub = N.NspiGetMatches_in.encode({ hRpc: s.handle, Reserved1: 0, pStat: st, pReserved: null, Reserved2: 0, Filter: anr, lpPropName: null, ulRequested: 100, pPropTags: null });
      return N.NspiGetMatches_out.decode((await s.raw(5, stub)).stub as Buffer);
    };
    expect((await gm(stat({ SortType: 0x3e8 }))).result).toBe(MAPI.NO_SUPPORT); // 3.1.4.1.10 constraint 2
    expect((await gm(stat({ ContainerID: 0xdead }))).result).toBe(MAPI.INVALID_BOOKMARK);
    expect((await gm(stat({ CodePage: 0xffff }))).result).toBe(MAPI.UNKNOWN_CPID);
    expect((await gm(stat())).ppOutMIds?.cValues).toBe(1);
    const cmp = N.NspiCompareMIds_out.decode((await s.raw(10, N.NspiCompareMIds_in.encode({ hRpc: s.handle, Reserved: 0, pStat: stat({ ContainerID: 0xdead }), MId1: 16, MId2: 17 }))).stub as Buffer);
    expect(cmp.result).toBe(MAPI.INVALID_BOOKMARK);
    for (const [over, ec] of [
      [{ ContainerID: 0xdead }, MAPI.INVALID_BOOKMARK],
      [{ CodePage: 0xffff }, MAPI.UNKNOWN_CPID],
    ] as const) {
      const a = await s.raw(9, N.NspiGetProps_in.encode({ hRpc: s.handle, dwFlags: 0, pStat: stat({ CurrentRec: 16, ...over }), pPropTags: tags([PR_DISPLAY_NAME_W]) }));
      expect(N.NspiGetProps_out.decode(a.stub as Buffer).result).toBe(ec);
    }
    const us = N.NspiUpdateStat_out.decode((await s.raw(2, N.NspiUpdateStat_in.encode({ hRpc: s.handle, Reserved: 0, pStat: stat({ SortType: 99 }), plDelta: 0 }))).stub as Buffer);
    expect(us.result).toBe(MAPI.CALL_FAILED);
    await s.stillWorks();
  });

  it('a restriction nested 1,000 deep is TooComplex (MAPI_E_TOO_COMPLEX), and so is one just over the limit', async () => {
    for (const depth of [1000, N.RESTRICTION_MAX_DEPTH + 1]) {
      const a = await s.raw(5, deepGetMatches(s.handle, depth));
      expect(a.fault, `depth ${depth}`).toBeUndefined();
      const r = N.NspiGetMatches_out.decode(a.stub as Buffer);
      expect(r.result, `depth ${depth}`).toBe(MAPI.TOO_COMPLEX);
      expect(r.ppOutMIds).toBeNull();
      await s.stillWorks();
    }
    // a nesting the server evaluates: NOT^(2k) (EXIST) matches every row
    const ok = N.NspiGetMatches_out.decode((await s.raw(5, deepGetMatches(s.handle, 31))).stub as Buffer);
    expect(ok.result).toBe(0);
    expect(ok.ppOutMIds?.cValues).toBe(6);
  });

  it('counts past the data are refused as malformed stubs (nca_s_fault_ndr), without allocating what they claim', async () => {
    const bad: Array<[string, number, Buffer]> = [];
    // NspiQueryRows: pPropTags says 1000 tags (max_count 1001, cValues and actual_count 1000) and carries 2
    const q = s.queryRowsStub(stat(), 10, [PR_DISPLAY_NAME_W, 0x39fe001f]);
    const qt = Buffer.from(q);
    const at = q.length - 4 * 6; // max_count, cValues, offset, actual_count, 2 tags
    qt.writeUInt32LE(1001, at);
    qt.writeUInt32LE(1000, at + 4);
    qt.writeUInt32LE(1000, at + 12);
    bad.push(['QueryRows pPropTags cValues 1000 with 2 tags', 3, qt]);
    // NspiQueryRows: dwETableCount 50, lpETable with 2 MIds
    const e = N.NspiQueryRows_in.encode({ hRpc: s.handle, dwFlags: 0, pStat: stat(), dwETableCount: 2, lpETable: [16, 17], Count: 10, pPropTags: null });
    const e50 = Buffer.from(e);
    e50.writeUInt32LE(50, 60); // dwETableCount after hRpc(20) dwFlags(4) pStat(36)
    e50.writeUInt32LE(50, 68); // the array's max_count after the pointer
    bad.push(['QueryRows dwETableCount 50 with 2 MIds', 3, e50]);
    // NspiQueryRows: counts of 4 billion
    const huge = Buffer.from(qt);
    huge.writeUInt32LE(0xffffffff, at);
    huge.writeUInt32LE(0xffffffff, at + 4);
    huge.writeUInt32LE(0xffffffff, at + 12);
    bad.push(['QueryRows pPropTags cValues 0xFFFFFFFF', 3, huge]);
    // NspiDNToMId: StringsArray_r Count 10 with 2 strings
    const dn = N.NspiDNToMId_in.encode({ hRpc: s.handle, Reserved: 0, pNames: { Count: 2, Strings: [Buffer.from('/o=x'), Buffer.from('/o=y')] } });
    const dn10 = Buffer.from(dn);
    dn10.writeUInt32LE(10, 24); // Count
    dn10.writeUInt32LE(10, 28); // max_count
    bad.push(['DNToMId Count 10 with 2 strings', 7, dn10]);
    // NspiResolveNamesW: paWStr Count 0xFFFFFFFF
    const rn = N.NspiResolveNamesW_in.encode({ hRpc: s.handle, Reserved: 0, pStat: stat(), pPropTags: null, paWStr: { Count: 1, Strings: ['zoe'] } });
    const rnHuge = Buffer.from(rn);
    rnHuge.writeUInt32LE(0xffffffff, 64);
    rnHuge.writeUInt32LE(0xffffffff, 68);
    bad.push(['ResolveNamesW Count 0xFFFFFFFF', 20, rnHuge]);
    // NspiModProps: a Binary_r whose cb runs past the stub
    const mp = N.NspiModProps_in.encode({
      hRpc: s.handle,
      Reserved: 0,
      pStat: stat({ CurrentRec: 16 }),
      pPropTags: tags([0x8c6a1102]),
      pRow: { Reserved: 0, cValues: 1, lpProps: [{ ulPropTag: 0x8c6a1102, ulReserved: 0, Value: { tag: 0x1102, value: { cValues: 1, lpbin: [{ cb: 3, lpb: Buffer.from('300100', 'hex') }] } } }] },
    });
    // Binary_r { cb 3, lpb -> max_count 3, 30 01 00 }: cb and max_count say 1 MiB
    const dataAt = mp.lastIndexOf(Buffer.from('03000000300100', 'hex'));
    const cbAt = mp.lastIndexOf(Buffer.from('03000000', 'hex'), dataAt - 1);
    expect([dataAt > 0, cbAt > 0 && cbAt < dataAt]).toEqual([true, true]);
    const mpBig = Buffer.from(mp);
    mpBig.writeUInt32LE(0x100000, cbAt);
    mpBig.writeUInt32LE(0x100000, dataAt);
    bad.push(['ModProps Binary_r cb past the stub', 11, mpBig]);
    // a stub cut short, and one with bytes after its parameters
    bad.push(['QueryRows cut short', 3, q.subarray(0, q.length - 3)]);
    bad.push(['QueryRows with 8 bytes after the parameters', 3, Buffer.concat([q, Buffer.alloc(8, 0x41)])]);
    bad.push(['empty GetProps stub', 9, Buffer.alloc(0)]);
    for (const [what, opnum, stub] of bad) {
      const a = await s.raw(opnum, stub);
      expect(a.fault, what).toBe(FAULT.nca_s_fault_ndr);
      await s.stillWorks();
    }
  });

  it('an opnum NSPI does not have, and a context handle the server never issued, are faults', async () => {
    for (const opnum of [15, 21, 0xffff]) {
      expect((await s.raw(opnum, Buffer.alloc(24))).fault, `opnum ${opnum}`).toBe(FAULT.nca_s_op_rng_error);
    }
    const other = { attributes: 0, uuid: '12345678-1234-1234-1234-123456789abc' };
    const a = await s.raw(3, N.NspiQueryRows_in.encode({ hRpc: other, dwFlags: 0, pStat: stat(), dwETableCount: 0, lpETable: null, Count: 1, pPropTags: null }));
    expect(a.fault).toBe(FAULT.nca_s_fault_context_mismatch);
    await s.stillWorks();
  });

  it('after all of it the server serves new connections, and the first session still answers', async () => {
    const t = await Session.open();
    try {
      await t.stillWorks();
      const r = N.NspiResolveNamesW_out.decode(
        (await t.raw(20, N.NspiResolveNamesW_in.encode({ hRpc: t.handle, Reserved: 0, pStat: stat(), pPropTags: tags([PR_DISPLAY_NAME_W]), paWStr: { Count: 1, Strings: ['zoe'] } }))).stub as Buffer,
      );
      expect(r.result).toBe(0);
      expect((r.ppRows?.aRow[0]?.lpProps?.[0]?.Value as { value: unknown }).value).toBe('Zoë Ångström');
    } finally {
      await t.close();
    }
    await s.stillWorks();
  });
});
