// MS-OXCTABL table ROPs end to end: RopLogon, RopOpenFolder and RopGetContentsTable through the real registry and
// dispatcher over a real LocalStore holding 10,000 messages; every answer decoded with the codecs (rows with
// readPropertyRow and the table's columns) and checked against what the store holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RopReader } from '../../../src/mapi/buffer.js';
import { FL, RELOP } from '../../../src/mapi/restriction.js';
import { PT, makeTag, type PropValue } from '../../../src/mapi/props.js';
import { readPropertyRow, type RowCell } from '../../../src/mapi/ropprops.js';
import { TAG } from '../../../src/mapistore/tags.js';
import type { MailboxStore, MessageInit, Store } from '../../../src/mapistore/types.js';
import { encodeRopRequests, RopRunner, splitRopBuffer } from '../../../src/rop/dispatch.js';
import { ec } from '../../../src/rop/ec.js';
import { createMailboxHandlers } from '../../../src/rop/handlers/index.js';
import { ecUnableToAbort } from '../../../src/rop/handlers/oxctabl.js';
import type { RopRegistry } from '../../../src/rop/registry.js';
import type { RopRequestHeader, RopResponse } from '../../../src/rop/types.js';
import { ALICE, N, SERVER_DN, logonReq, openFolder } from './harness.js';
import { makeEnv as harnessEnv } from './harness.js';

type Req = RopRequestHeader & Record<string, unknown>;
type Res = RopResponse & Record<string, unknown>;

const PidTagImportance = 0x00170003;
const PidTagSenderName = 0x0c1a001f;
const PidTagRowType = 0x0ff50003;
const PidTagInstID = 0x674d0014;
const PidTagDepth = 0x30050003;
const PidTagContentCount = 0x36020003;
const PidTagContentUnreadCount = 0x36030003;
const MESSAGES = 10_000;
const SENDERS = 7;
const BASE_TIME = 133_000_000_000_000_000n;
const MINUTE = 600_000_000n;

/** PT_I8 cells decode signed; EIDs compare as the u64 the store hands out. */
const u64 = (v: RowCell): bigint => BigInt.asUintN(64, v as bigint);

/** A permutation so that insertion order is not delivery order. */
const slot = (i: number): number => (i * 7919) % MESSAGES;

const r = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const setColumns = (tags: number[]) => r(0x12, 0, { SetColumnsFlags: 0, PropertyTags: tags });
const sortTable = (orders: Array<[number, number]>, cat = 0, exp = 0) =>
  r(0x13, 0, { SortTableFlags: 0, CategorizedCount: cat, ExpandedCount: exp, SortOrders: orders.map(([PropertyTag, Order]) => ({ PropertyTag, Order })) });
const restrict = (Restriction?: unknown) => r(0x14, 0, { RestrictFlags: 0, ...(Restriction ? { Restriction } : { RestrictionData: Buffer.alloc(0) }) });
const queryRows = (RowCount: number, Columns: number[], ForwardRead = 1, QueryRowsFlags = 0) => r(0x15, 0, { QueryRowsFlags, ForwardRead, RowCount, Columns });
const seekRow = (Origin: number, RowCount: number) => r(0x18, 0, { Origin, RowCount, WantRowMovedCount: 1 });
const queryPosition = () => r(0x17, 0);

interface Env {
  dir: string;
  store: Store;
  registry: RopRegistry;
  runner: RopRunner;
  mb: MailboxStore;
  logonHandle: number;
}

async function makeEnv(): Promise<Env> {
  // the shared harness builds the store, registry (all mailbox handlers) and runner and logs Alice on
  const h = await harnessEnv(ALICE, createMailboxHandlers, { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-tabl-')) });
  const { handle, mb } = await h.logon();
  return { dir: h.dir, store: h.store, registry: h.registry, runner: h.runner, mb, logonHandle: handle };
}

async function call(env: Pick<Env, 'registry' | 'runner'>, requests: Req[], handles: number[], maxOutput?: number): Promise<{ res: Res[]; handles: number[] }> {
  const out = await env.runner.run(encodeRopRequests(env.registry, requests, handles), maxOutput);
  if (!out.ok) throw out.error;
  const { rops, handles: outHandles } = splitRopBuffer(out.output);
  const rd = new RopReader(rops);
  const res: Res[] = [];
  for (const q of requests) {
    const codec = env.registry.codec(q.RopId)!;
    if (!codec.hasResponse || rd.left === 0) continue;
    res.push(codec.decodeResponse(rd, { codePage: 1252 }, q) as Res);
  }
  return { res, handles: outHandles };
}

/** Decodes RowData into rows and the byte size of each. */
function rows(res: Res, columns: number[]): { cells: RowCell[][]; sizes: number[] } {
  const data = (res.RowData as Buffer | undefined) ?? Buffer.alloc(0);
  const rd = new RopReader(data);
  const cells: RowCell[][] = [];
  const sizes: number[] = [];
  for (let i = 0; i < (res.RowCount as number ?? 1); i++) {
    const at = rd.pos;
    cells.push(readPropertyRow(rd, columns, 1252));
    sizes.push(rd.pos - at);
  }
  expect(rd.left).toBe(0);
  return { cells, sizes };
}

describe('MS-OXCTABL handlers over a 10,000-message contents table', () => {
  let env: Env;
  let inbox: bigint;
  let table: number;
  const subjects = new Map<bigint, string>();
  const times = new Map<bigint, bigint>();

  /** Opens Inbox and a new contents table on it; returns the table handle. */
  const openTable = async (tableFlags = 0): Promise<number> => {
    const { res, handles } = await call(env, [openFolder(0, 1, inbox), r(0x05, 1, { OutputHandleIndex: 2, TableFlags: tableFlags })], [env.logonHandle, N, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0]);
    expect(res[1]!.RowCount).toBe(MESSAGES);
    return handles[2]!;
  };
  const run = async (reqs: Req[], maxOutput?: number) => (await call(env, reqs, [table], maxOutput)).res;

  beforeAll(async () => {
    env = await makeEnv();
    inbox = env.mb.special.inbox;
    const msgs: MessageInit[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      msgs.push({
        read: i % 4 === 0,
        props: [
          { tag: TAG.MessageClass, value: 'IPM.Note' },
          { tag: TAG.Subject, value: `msg ${i}` },
          { tag: TAG.MessageDeliveryTime, value: BASE_TIME + BigInt(slot(i)) * MINUTE },
          { tag: PidTagImportance, value: i % 3 },
          { tag: PidTagSenderName, value: `sender ${i % SENDERS}` },
        ],
      });
    }
    const mids = await env.mb.bulkInsertMessages(inbox, msgs);
    mids.forEach((mid, i) => {
      subjects.set(mid, `msg ${i}`);
      times.set(mid, BASE_TIME + BigInt(slot(i)) * MINUTE);
    });
    table = await openTable();
  }, 60_000);
  afterAll(async () => {
    env?.runner.state.clear();
    await env?.store.close();
    if (env) fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it('answers ecNullObject for RopQueryRows before RopSetColumns, ecUnableToAbort and TBLSTAT_COMPLETE', async () => {
    const t = await openTable();
    const res = (await call(env, [queryRows(10, [TAG.Mid]), r(0x38, 0), r(0x16, 0), r(0x4f, 0, { FindRowFlags: 0, Restriction: { type: 'exist', propTag: TAG.Subject }, Origin: 0, Bookmark: Buffer.alloc(0) })], [t])).res;
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NullObject, ecUnableToAbort, 0, ec.NullObject]);
    expect(res[2]!.TableStatus).toBe(0);
  });

  it('pages the table sorted by delivery time descending: whole rows that fit, the cursor moves by exactly those', async () => {
    const cols = [TAG.Mid, TAG.Subject, TAG.MessageDeliveryTime];
    let res = await run([setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]])]);
    expect(res.map((x) => [x.ReturnValue, x.TableStatus])).toEqual([[0, 0], [0, 0]]);
    const maxOutput = 700;
    const space = maxOutput - 2 - 4 - 9; // RopSize, one handle, the response's fixed part
    const seen: Array<[bigint, string, bigint]> = [];
    let prevLen = -1;
    let position = 0;
    for (let round = 0; round < 2000; round++) {
      res = await run([queryRows(1000, cols)], maxOutput);
      const q = res[0]!;
      expect(q.ReturnValue).toBe(0);
      const { cells, sizes } = rows(q, cols);
      const bytes = sizes.reduce((a, b) => a + b, 0);
      expect(bytes).toBeLessThanOrEqual(space);
      // the previous page could not have taken this page's first row as well
      if (prevLen >= 0 && sizes.length > 0) expect(prevLen + sizes[0]!).toBeGreaterThan(space);
      prevLen = bytes;
      for (const c of cells) seen.push([u64(c[0]), c[1] as string, c[2] as bigint]);
      position += cells.length;
      const p = (await run([queryPosition()]))[0]!;
      expect(p.Numerator).toBe(position);
      expect(p.Denominator).toBe(MESSAGES);
      if (q.Origin === 2) break;
      expect(q.Origin).toBe(1);
    }
    expect(seen.length).toBe(MESSAGES);
    for (let i = 0; i < seen.length; i++) {
      const [mid, subject, time] = seen[i]!;
      expect(subject).toBe(subjects.get(mid));
      expect(time).toBe(times.get(mid));
      if (i > 0) expect(time < seen[i - 1]![2]).toBe(true);
    }
    // at the end: no rows, Origin END
    const end = (await run([queryRows(10, cols)]))[0]!;
    expect([end.ReturnValue, end.RowCount, end.Origin]).toEqual([0, 0, 2]);
  });

  it('property: any start, RowCount, direction and output size returns a contiguous run and moves the cursor by it', async () => {
    const cols = [TAG.Mid];
    await run([setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]]), seekRow(0, 0)]);
    const order: bigint[] = [];
    for (;;) {
      const q = (await run([queryRows(0x1000, cols)]))[0]!;
      for (const c of rows(q, cols).cells) order.push(u64(c[0]));
      if (q.Origin === 2) break;
    }
    expect(order.length).toBe(MESSAGES);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: MESSAGES }),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        fc.integer({ min: 40, max: 3000 }),
        fc.boolean(),
        async (start, count, forward, maxOutput, noAdvance) => {
          const res = await run([seekRow(0, start), queryRows(count, cols, forward ? 1 : 0, noAdvance ? 1 : 0)], maxOutput);
          const q = res[1];
          const pos = (await run([queryPosition()]))[0]!.Numerator as number;
          if (!q || q.ReturnValue === ec.BufferTooSmall) {
            expect(pos).toBe(start);
            return;
          }
          expect(q.ReturnValue).toBe(0);
          const got = rows(q, cols).cells.map((c) => u64(c[0]));
          const k = got.length;
          expect(k).toBeLessThanOrEqual(count);
          const avail = forward ? MESSAGES - start : start;
          if (avail > 0) expect(k).toBeGreaterThan(0);
          const from = forward ? start : start - k;
          expect(got).toEqual(order.slice(from, from + k));
          expect(pos).toBe(noAdvance ? start : forward ? start + k : start - k);
          const edge = forward ? start + k >= MESSAGES : start - k <= 0;
          expect(q.Origin).toBe(edge ? (forward ? 2 : 0) : 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads backwards and with NoAdvance without moving the cursor', async () => {
    const cols = [TAG.Mid, TAG.MessageDeliveryTime];
    await run([setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]])]);
    let res = await run([seekRow(0, 100), queryRows(5, cols, 1, 0x01), queryPosition()]);
    expect(res[1]!.RowCount).toBe(5);
    expect(res[2]!.Numerator).toBe(100);
    const ahead = rows(res[1]!, cols).cells;
    res = await run([queryRows(3, cols, 0), queryPosition()]);
    expect(res[0]!.RowCount).toBe(3);
    expect(res[0]!.Origin).toBe(1);
    expect(res[1]!.Numerator).toBe(97);
    const back = rows(res[0]!, cols).cells;
    // table order: rows 97, 98, 99, each later than row 100
    expect((back[2]![1] as bigint) > (ahead[0]![1] as bigint)).toBe(true);
    expect((back[0]![1] as bigint) > (back[1]![1] as bigint)).toBe(true);
    res = await run([seekRow(0, 2), queryRows(10, cols, 0), queryPosition()]);
    expect([res[1]!.RowCount, res[1]!.Origin, res[2]!.Numerator]).toEqual([2, 0, 0]);
  });

  it('answers ecBufferTooSmall when not even one row fits', async () => {
    const cols = [TAG.Mid, TAG.Subject];
    await run([setColumns(cols), seekRow(0, 0)]);
    const out = await env.runner.run(encodeRopRequests(env.registry, [queryRows(10, cols)], [table]), 2 + 4 + 9 + 5);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const { rops } = splitRopBuffer(out.output);
    const q = env.registry.codec(0x15)!.decodeResponse(new RopReader(rops), { codePage: 1252 }, queryRows(10, cols) as never);
    expect(q.ReturnValue).toBe(ec.BufferTooSmall);
    expect((await run([queryPosition()]))[0]!.Numerator).toBe(0);
  });

  it('restricts by a property and by content', async () => {
    const cols = [TAG.Mid, PidTagImportance, TAG.Subject];
    let res = await run([setColumns(cols), restrict({ type: 'property', relop: RELOP.RELOP_EQ, propTag: PidTagImportance, value: { tag: PidTagImportance, value: 2 } }), queryPosition()]);
    expect(res[1]!.ReturnValue).toBe(0);
    const expected = Math.floor((MESSAGES - 3) / 3) + 1;
    expect(res[2]!.Denominator).toBe(expected);
    res = await run([queryRows(50, cols)]);
    for (const c of rows(res[0]!, cols).cells) expect(c[1]).toBe(2);
    // content: substring, case-insensitive ("MSG 12" matches msg 12, msg 120..129, msg 1200..1299)
    res = await run([restrict({ type: 'content', fuzzyLevel: FL.FL_SUBSTRING | FL.FL_IGNORECASE, propTag: TAG.Subject, value: { tag: TAG.Subject, value: 'MSG 12' } }), queryPosition()]);
    const want = [...subjects.values()].filter((s) => s.includes('msg 12')).length;
    expect(res[1]!.Denominator).toBe(want);
    res = await run([queryRows(1000, cols)]);
    const got = rows(res[0]!, cols).cells.map((c) => c[2] as string);
    expect(got.length).toBe(want);
    for (const s of got) expect(s.includes('msg 12')).toBe(true);
    // a restriction over the limits: ecTooComplex; removing the restriction brings every row back
    let deep: unknown = { type: 'exist', propTag: TAG.Subject };
    for (let i = 0; i < 300; i++) deep = { type: 'not', res: deep };
    res = await run([restrict(deep)]);
    expect(res[0]!.ReturnValue).toBe(ec.TooComplex);
    res = await run([restrict(), queryPosition()]);
    expect(res[1]!.Denominator).toBe(MESSAGES);
  });

  it('categorizes by a column, expands and collapses with counts, saves and restores the collapse state', async () => {
    const cols = [PidTagSenderName, TAG.Subject, PidTagRowType, PidTagInstID, PidTagDepth, PidTagContentCount, PidTagContentUnreadCount];
    let res = await run([setColumns(cols), sortTable([[PidTagSenderName, 0], [TAG.MessageDeliveryTime, 1]], 1, 0), queryPosition()]);
    expect(res[1]!.ReturnValue).toBe(0);
    expect(res[2]!.Denominator).toBe(SENDERS);
    res = await run([queryRows(100, cols)]);
    const heads = rows(res[0]!, cols).cells;
    expect(heads.map((h) => h[0])).toEqual(Array.from({ length: SENDERS }, (_, i) => `sender ${i}`));
    const perSender = (k: number) => Math.floor((MESSAGES - 1 - k) / SENDERS) + 1;
    const unreadPerSender = (k: number) => Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => i % SENDERS === k && i % 4 !== 0).length;
    heads.forEach((h, k) => {
      expect(h[2]).toBe(4); // TBL_COLLAPSED_CATEGORY
      expect(h[4]).toBe(0);
      expect(h[5]).toBe(perSender(k));
      expect(h[6]).toBe(unreadPerSender(k));
      expect((h[1] as { error: number }).error).toBe(0x8004010f);
    });
    const cat0 = heads[0]![3] as bigint;
    const cat3 = heads[3]![3] as bigint;
    res = (await call(env, [r(0x59, 0, { MaxRowCount: 5, CategoryId: cat0, Columns: cols })], [table])).res;
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[0]!.ExpandedRowCount).toBe(perSender(0));
    const leaves = rows(res[0]!, cols).cells;
    expect(leaves.length).toBe(5);
    for (const l of leaves) {
      expect(l[0]).toBe('sender 0');
      expect(l[2]).toBe(1); // TBL_LEAF_ROW
      expect(l[4]).toBe(1);
    }
    res = await run([queryPosition()]);
    expect(res[0]!.Denominator).toBe(SENDERS + perSender(0));
    // expanding again: ecNotCollapsed; an unknown category: ecNotFound
    res = (await call(env, [r(0x59, 0, { MaxRowCount: 0, CategoryId: cat0, Columns: cols }), r(0x59, 0, { MaxRowCount: 0, CategoryId: 0x7777n, Columns: cols })], [table])).res;
    expect(res.map((x) => x.ReturnValue)).toEqual([ec.NotCollapsed, ec.NotFound]);
    // collapse state: taken with category 0 expanded, restored after collapsing it
    res = await run([r(0x6b, 0, { RowId: cat3, RowInstanceNumber: 0 })]);
    const state = res[0]!.CollapseState as Buffer;
    res = await run([r(0x5a, 0, { CategoryId: cat0 }), queryPosition()]);
    expect(res[0]!.CollapsedRowCount).toBe(perSender(0));
    expect(res[1]!.Denominator).toBe(SENDERS);
    res = await run([r(0x5a, 0, { CategoryId: cat0 })]);
    expect(res[0]!.ReturnValue).toBe(ec.NotExpanded);
    res = await run([r(0x6c, 0, { CollapseState: state })]);
    expect(res[0]!.ReturnValue).toBe(0);
    const bm = res[0]!.Bookmark as Buffer;
    res = await run([queryPosition(), r(0x19, 0, { Bookmark: bm, RowCount: 0, WantRowMovedCount: 1 }), queryRows(1, cols)]);
    expect(res[0]!.Denominator).toBe(SENDERS + perSender(0));
    expect(res[1]!.ReturnValue).toBe(0);
    const back = rows(res[2]!, cols).cells[0]!;
    expect(back[0]).toBe('sender 3');
    expect(back[3]).toBe(cat3);
    // expanded from the start
    res = await run([sortTable([[PidTagSenderName, 0], [TAG.MessageDeliveryTime, 1]], 1, 1), queryPosition(), queryRows(2, cols)]);
    expect(res[1]!.Denominator).toBe(SENDERS + MESSAGES);
    const two = rows(res[2]!, cols).cells;
    expect(two[0]![2]).toBe(3); // TBL_EXPANDED_CATEGORY
    expect(two[1]![2]).toBe(1);
    await run([sortTable([[TAG.MessageDeliveryTime, 1]])]);
  });

  it('creates, seeks to and frees bookmarks; a freed or foreign bookmark is ecInvalidBookmark', async () => {
    const cols = [TAG.Mid];
    let res = await run([setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]]), seekRow(0, 1234), r(0x1b, 0), queryRows(1, cols)]);
    const bm = res[3]!.Bookmark as Buffer;
    const at1234 = rows(res[4]!, cols).cells[0]![0];
    res = await run([seekRow(0, 0), r(0x19, 0, { Bookmark: bm, RowCount: 10, WantRowMovedCount: 1 }), queryPosition()]);
    expect(res[1]).toMatchObject({ ReturnValue: 0, RowNoLongerVisible: 0, HasSoughtLess: 0, RowsSought: 10 });
    expect(res[2]!.Numerator).toBe(1244);
    res = await run([r(0x19, 0, { Bookmark: bm, RowCount: 0, WantRowMovedCount: 1 }), queryRows(1, cols)]);
    expect(rows(res[1]!, cols).cells[0]![0]).toBe(at1234);
    // seeking past the end from a bookmark: HasSoughtLess
    res = await run([r(0x19, 0, { Bookmark: bm, RowCount: MESSAGES, WantRowMovedCount: 1 })]);
    expect(res[0]).toMatchObject({ HasSoughtLess: 1, RowsSought: MESSAGES - 1234 });
    res = await run([r(0x89, 0, { Bookmark: bm }), r(0x19, 0, { Bookmark: bm, RowCount: 0, WantRowMovedCount: 1 }), r(0x89, 0, { Bookmark: bm })]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.InvalidBookmark, ec.InvalidBookmark]);
    res = await run([r(0x19, 0, { Bookmark: Buffer.from('nonsense'), RowCount: 0, WantRowMovedCount: 1 })]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidBookmark);
    // a bookmark does not survive a re-sort
    res = await run([r(0x1b, 0), sortTable([[TAG.MessageDeliveryTime, 0]])]);
    const stale = res[0]!.Bookmark as Buffer;
    res = await run([r(0x19, 0, { Bookmark: stale, RowCount: 0, WantRowMovedCount: 1 })]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidBookmark);
  });

  it('finds rows forwards and backwards, from the beginning, the cursor, the end and a bookmark', async () => {
    const cols = [TAG.Mid, TAG.Subject, PidTagImportance];
    await run([setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]])]);
    const find = (Restriction: unknown, Origin: number, backwards = false, Bookmark: Buffer = Buffer.alloc(0)) =>
      r(0x4f, 0, { FindRowFlags: backwards ? 1 : 0, Restriction, Origin, Bookmark, Columns: cols });
    const subj = (s: string) => ({ type: 'property', relop: RELOP.RELOP_EQ, propTag: TAG.Subject, value: { tag: TAG.Subject, value: s } });
    let res = await run([find(subj('msg 5000'), 0), queryPosition()]);
    expect(res[0]).toMatchObject({ ReturnValue: 0, RowNoLongerVisible: 0, HasRowData: 1 });
    const row = rows({ ...res[0]!, RowCount: 1 } as Res, cols).cells[0]!;
    expect(row[1]).toBe('msg 5000');
    const pos5000 = res[1]!.Numerator as number;
    expect(pos5000).toBe(MESSAGES - 1 - slot(5000));
    // forward from the cursor finds the same row (the cursor row counts); backwards from END too
    res = await run([find(subj('msg 5000'), 1), queryPosition(), find(subj('msg 5000'), 2, true), queryPosition()]);
    expect(res[1]!.Numerator).toBe(pos5000);
    expect(res[2]!.ReturnValue).toBe(0);
    expect(res[3]!.Numerator).toBe(pos5000);
    // backwards from a bookmark before the row: not found, cursor unchanged
    res = await run([seekRow(0, 10), r(0x1b, 0), seekRow(0, 3)]);
    const bm = res[1]!.Bookmark as Buffer;
    res = await run([find(subj('msg 5000'), 3, true, bm), queryPosition()]);
    expect(res[0]!.ReturnValue).toBe(ec.NotFound);
    expect(res[1]!.Numerator).toBe(3);
    // forwards from the bookmark: the first row with Importance 2 at or after row 10
    res = await run([find({ type: 'property', relop: RELOP.RELOP_EQ, propTag: PidTagImportance, value: { tag: PidTagImportance, value: 2 } }, 3, false, bm), queryPosition()]);
    expect(res[0]!.ReturnValue).toBe(0);
    expect(res[1]!.Numerator).toBeGreaterThanOrEqual(10);
    const found = rows({ ...res[0]!, RowCount: 1 } as Res, cols).cells[0]!;
    expect(found[2]).toBe(2);
    // no restriction: ecInvalidParam
    res = await run([r(0x4f, 0, { FindRowFlags: 0, RestrictionData: Buffer.alloc(0), Origin: 0, Bookmark: Buffer.alloc(0), Columns: cols })]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
  });

  it('seeks fractionally and reports the position; SeekRow clamps with HasSoughtLess', async () => {
    await run([setColumns([TAG.Mid]), sortTable([[TAG.MessageDeliveryTime, 1]])]);
    let res = await run([r(0x1a, 0, { Numerator: 1, Denominator: 2 }), queryPosition()]);
    expect(res[1]).toMatchObject({ Numerator: MESSAGES / 2, Denominator: MESSAGES });
    res = await run([r(0x1a, 0, { Numerator: 3, Denominator: 3 }), queryPosition(), r(0x1a, 0, { Numerator: 0, Denominator: 5 }), queryPosition()]);
    expect(res[1]!.Numerator).toBe(MESSAGES);
    expect(res[3]!.Numerator).toBe(0);
    res = await run([r(0x1a, 0, { Numerator: 1, Denominator: 0 })]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
    res = await run([seekRow(2, -10), queryPosition(), seekRow(1, 50)]);
    expect(res[0]).toMatchObject({ HasSoughtLess: 0, RowsSought: -10 });
    expect(res[1]!.Numerator).toBe(MESSAGES - 10);
    expect(res[2]).toMatchObject({ HasSoughtLess: 1, RowsSought: 10 });
    res = await run([seekRow(7, 1)]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
  });

  it('lists every column with RopQueryColumnsAll; RopResetTable drops the columns', async () => {
    let res = await run([r(0x37, 0)]);
    const tags = res[0]!.PropertyTags as number[];
    for (const t of [TAG.Subject, TAG.MessageDeliveryTime, PidTagImportance, PidTagSenderName, TAG.Mid, TAG.MessageClass]) expect(tags).toContain(t);
    res = await run([r(0x81, 0), queryRows(1, [TAG.Mid]), setColumns([TAG.Mid]), queryPosition()]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.NullObject, 0, 0]);
    expect(res[3]).toMatchObject({ Numerator: 0, Denominator: MESSAGES });
  });

  it('writes PT_STRING8 columns in the code page and PT_UNSPECIFIED columns with the value type UseUnicode selects', async () => {
    const s8 = makeTag(TAG.Subject >>> 16, PT.STRING8);
    const unspec = makeTag(TAG.Subject >>> 16, PT.UNSPECIFIED);
    const timeU = makeTag(TAG.MessageDeliveryTime >>> 16, PT.UNSPECIFIED);
    const cols = [s8, unspec, timeU];
    for (const [flags, type] of [[0, PT.STRING8], [0x40, PT.UNICODE]] as const) {
      const t = await openTable(flags);
      const res = (await call(env, [setColumns(cols), sortTable([[TAG.MessageDeliveryTime, 1]]), queryRows(1, cols)], [t])).res;
      expect(res[2]!.RowCount).toBe(1);
      const c = rows(res[2]!, cols).cells[0]!;
      const newest = [...times.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
      expect(c[0]).toBe(subjects.get(newest[0]));
      expect(c[1]).toEqual({ type, value: subjects.get(newest[0]) as PropValue });
      expect(c[2]).toEqual({ type: PT.SYSTIME, value: newest[1] });
    }
  });

  it('walks the IPM subtree through a recursive hierarchy table sorted by name', async () => {
    const cols = [TAG.DisplayName, PidTagDepth, TAG.FolderId];
    const ipm = env.mb.special.ipmSubtree;
    const { res } = await call(
      env,
      [
        openFolder(0, 1, ipm),
        r(0x04, 1, { OutputHandleIndex: 2, TableFlags: 0x04 | 0x40 }),
        { ...setColumns(cols), InputHandleIndex: 2 },
        { ...sortTable([[TAG.DisplayName, 0]]), InputHandleIndex: 2 },
        { ...queryRows(4096, cols), InputHandleIndex: 2 },
      ],
      [env.logonHandle, N, N],
    );
    expect(res.map((x) => x.ReturnValue)).toEqual([0, 0, 0, 0, 0]);
    const got = rows(res[4]!, cols).cells;
    expect(got.length).toBe(res[1]!.RowCount);
    expect(res[4]!.Origin).toBe(2);
    const names = got.map((c) => c[0] as string);
    expect(names).toContain('Inbox');
    expect(names).toEqual([...names].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())));
    const inboxRow = got.find((c) => c[0] === 'Inbox')!;
    expect(u64(inboxRow[2])).toBe(inbox);
    // the store numbers depths from the immediate children; a grandchild is one deeper
    const depthOf = (n: string) => got.find((c) => c[0] === n)![1] as number;
    expect(depthOf('Conflicts')).toBe(depthOf('Sync Issues') + 1);
    expect(inboxRow[1]).toBe(depthOf('Sync Issues'));
  });

  it('answers ecNotSupported for a table ROP on a folder', async () => {
    const { res } = await call(env, [openFolder(0, 1, inbox), r(0x12, 1, { SetColumnsFlags: 0, PropertyTags: [TAG.Mid] })], [env.logonHandle, N]);
    expect(res.map((x) => x.ReturnValue)).toEqual([0, ec.NotSupported]);
  });
});
