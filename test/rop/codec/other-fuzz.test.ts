// fast-check properties for every codec of OTHER_CODECS: arbitrary and mutated bytes into each request decoder give
// a value or a coded error (never RangeError/TypeError, never a hang); requests and responses generated from each
// ROP's field layout round-trip byte for byte, and a decoder consumes exactly its request (the dispatcher walks past
// ROPs it does not implement with decodeRequest).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { PT } from '../../../src/mapi/props.js';
import type { Field, FieldEnv, KitCodec } from '../../../src/rop/codec/kit.js';
import { OTHER_CODECS } from '../../../src/rop/codec/other.js';
import type { LogonAwareCodecContext } from '../../../src/rop/codec/kit-logon.js';
import { ec } from '../../../src/rop/ec.js';
import { OcError } from '../../../src/util/errors.js';

const ctx: LogonAwareCodecContext = { codePage: 1252 };
const publicCtx: LogonAwareCodecContext = { codePage: 1252, isPublicLogon: () => true };
const codecs = OTHER_CODECS as unknown as KitCodec[];
const SERVER_ONLY = new Set([0x2a, 0x6e, 0xf9, 0xff]);
const clientRops = codecs.filter((c) => !SERVER_ONLY.has(c.RopId));

/** Decoding must end in a value or a coded OcError; anything else (RangeError, TypeError...) fails the property. */
function decodeOrCodedError(c: KitCodec, bytes: Uint8Array, cx = ctx): unknown {
  const r = new RopReader(bytes);
  try {
    const v = c.decodeRequest(r, cx);
    expect(r.pos).toBeLessThanOrEqual(r.end);
    return v;
  } catch (e) {
    if (!(e instanceof OcError) || typeof e.code !== 'string') throw e;
    return undefined;
  }
}

// ---- value generators from the field layouts ----------------------------------------------------------------------

const ascii = fc.string({ unit: fc.integer({ min: 1, max: 0x7f }).map((n) => String.fromCharCode(n)), maxLength: 12 });
const wide = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0'));
const buf = (max = 40) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** Tagged values of types whose ROP encoding round-trips exactly. */
const taggedValue = fc.oneof(
  fc.record({ tag: fc.integer({ min: 1, max: 0xfffe }).map((id) => ((id << 16) | PT.LONG) >>> 0), value: i32 }),
  fc.record({ tag: fc.integer({ min: 1, max: 0xfffe }).map((id) => ((id << 16) | PT.UNICODE) >>> 0), value: wide }),
  fc.record({ tag: fc.integer({ min: 1, max: 0xfffe }).map((id) => ((id << 16) | PT.BINARY) >>> 0), value: buf() }),
  fc.record({ tag: fc.integer({ min: 1, max: 0xfffe }).map((id) => ((id << 16) | PT.BOOLEAN) >>> 0), value: fc.boolean() }),
  fc.record({
    tag: fc.integer({ min: 1, max: 0xfffe }).map((id) => ((id << 16) | PT.I8) >>> 0),
    value: u64, // PtypInteger64 is unsigned inside the program (EIDs)
  }),
);

/** The recipient columns generated rows are written over: LONG, UNICODE, BINARY. */
const RECIPIENT_COLUMNS = [0x0ffe0003, 0x3001001f, 0x0fff0102];
const cellOf = [i32, wide, buf()] as const;

const recipientRow = (raw: boolean) =>
  fc
    .record({
      type: fc.constantFrom(0, 1, 3, 6),
      bits: fc.subarray([0x0008, 0x0010, 0x0020, 0x0040, 0x0080, 0x0100, 0x0200, 0x0400, 0x8000]),
      n: fc.integer({ min: 0, max: 3 }),
      AddressPrefixUsed: fc.integer({ min: 0, max: 255 }),
      DisplayType: fc.integer({ min: 0, max: 255 }),
      X500DN: ascii,
      EntryId: buf(),
      SearchKey: buf(),
      AddressType: ascii,
      s: fc.tuple(ascii, wide, ascii, wide),
      cells: fc.tuple(...cellOf),
      rawProps: buf(),
    })
    .map((g) => {
      const flags = g.bits.reduce((a, b) => a | b, g.type);
      const uni = (flags & 0x0200) !== 0;
      const row: Record<string, unknown> = { RecipientFlags: flags };
      if (g.type === 1) Object.assign(row, { AddressPrefixUsed: g.AddressPrefixUsed, DisplayType: g.DisplayType, X500DN: g.X500DN });
      if (g.type === 6) Object.assign(row, { EntryId: g.EntryId, SearchKey: g.SearchKey });
      if (g.type === 0 && flags & 0x8000) row.AddressType = g.AddressType;
      const str = uni ? g.s[1] : g.s[0];
      if (flags & 0x0008) row.EmailAddress = str;
      if (flags & 0x0010) row.DisplayName = uni ? g.s[3] : g.s[2];
      if (flags & 0x0400) row.SimpleDisplayName = str;
      if (flags & 0x0020) row.TransmittableDisplayName = str;
      row.RecipientColumnCount = raw ? g.n : g.n;
      row.RecipientProperties = raw ? g.rawProps : g.cells.slice(0, g.n);
      return row;
    });

const CUSTOM: Record<string, fc.Arbitrary<unknown>> = {
  typedString: fc.oneof(
    fc.constantFrom(0, 1).map((t) => ({ StringType: t })),
    ascii.map((s) => ({ StringType: 2, String: s })),
    ascii.map((s) => ({ StringType: 3, String: s })),
    wide.map((s) => ({ StringType: 4, String: s })),
  ),
  openRecipientRows: fc.array(
    fc.record({ RecipientType: fc.integer({ min: 0, max: 255 }), CodePageId: fc.integer({ min: 0, max: 0xffff }), Reserved: fc.integer({ min: 0, max: 0xffff }), RecipientRow: recipientRow(false) }),
    { maxLength: 3 },
  ),
  modifyRecipientRows: fc.array(
    fc.oneof(
      fc.record({ RowId: fc.nat(), RecipientType: fc.integer({ min: 0, max: 255 }), RecipientRow: recipientRow(false) }),
      fc.record({ RowId: fc.nat(), RecipientType: fc.integer({ min: 0, max: 255 }) }),
    ),
    { maxLength: 3 },
  ),
  readRecipientRows: fc.array(
    fc.record({
      RowId: fc.nat(),
      RecipientType: fc.integer({ min: 0, max: 255 }),
      CodePageId: fc.integer({ min: 0, max: 0xffff }),
      Reserved: fc.integer({ min: 0, max: 0xffff }),
      RecipientRow: recipientRow(true),
    }),
    { maxLength: 3 },
  ),
  taggedValues16: fc.array(taggedValue, { maxLength: 4 }),
  sizedRestriction: fc.oneof(
    fc.constant(null),
    fc.nat().map((t) => ({ type: 'exist', propTag: t })),
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => ({ type: 'and', res: [{ type: 'exist', propTag: a }, { type: 'not', res: { type: 'exist', propTag: b } }] })),
  ),
  version: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })),
  addressTypes: fc.array(ascii, { maxLength: 5 }),
  readStates: fc.array(fc.record({ MessageId: buf(24), MarkAsRead: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
  ltidRanges: fc.array(
    fc.record({ MinLongTermId: fc.uint8Array({ minLength: 24, maxLength: 24 }).map((b) => Buffer.from(b)), MaxLongTermId: fc.uint8Array({ minLength: 24, maxLength: 24 }).map((b) => Buffer.from(b)) }),
    { maxLength: 3 },
  ),
  rest: buf(),
  babe: fc.constant(0xbabe),
};

function arbOf(f: Field): fc.Arbitrary<unknown> {
  const inner = f.inner;
  switch (f.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
      return fc.nat().map((n) => n >>> 0);
    case 'i32':
      return i32;
    case 'u64':
      return u64;
    case 'i64':
      return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case 'guid':
      return fc.uuid();
    case 'fixed':
      return fc.uint8Array({ minLength: f.size!, maxLength: f.size! }).map((b) => Buffer.from(b));
    case 'str8':
      return ascii;
    case 'strW':
      return wide;
    case 'sized':
      return buf();
    case 'counted':
      return fc.array(arbOf(inner!), { maxLength: 4 });
    case 'struct':
      return objOf(f.fields!);
    default: {
      if (f.cond && inner) return arbOf(inner);
      const a = CUSTOM[f.kind];
      if (!a) throw new Error(`no generator for field kind ${f.kind} (${f.name})`);
      return a;
    }
  }
}

/** An object for `fields`, with the conditional fields whose condition is false left out. */
function objOf(fields: readonly Field[], req?: Record<string, unknown>, cx = ctx, base: Record<string, unknown> = {}): fc.Arbitrary<Record<string, unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) rec[f.name] = f.kind === 'counted' && f.name === 'RecipientColumns' ? fc.constant(RECIPIENT_COLUMNS) : arbOf(f);
  return fc.record(rec).map((o) => {
    const obj: Record<string, unknown> = { ...base };
    const env: FieldEnv = { ctx: cx, obj, req };
    for (const f of fields) {
      if (f.cond && !f.cond(env)) continue;
      obj[f.name] = o[f.name];
    }
    return obj;
  });
}

function requestArb(c: KitCodec, cx = ctx): fc.Arbitrary<Record<string, unknown>> {
  const head = fc.record({
    LogonId: fc.integer({ min: 0, max: 255 }),
    InputHandleIndex: fc.integer({ min: 0, max: 255 }),
    OutputHandleIndex: fc.integer({ min: 0, max: 255 }),
    ResponseHandleIndex: fc.integer({ min: 0, max: 255 }),
    babe: fc.boolean(),
  });
  return head.chain((h) => {
    const base: Record<string, unknown> = { RopId: c.RopId, LogonId: h.LogonId };
    if (c.layout.responseHandle) base.ResponseHandleIndex = h.ResponseHandleIndex;
    base.InputHandleIndex = h.InputHandleIndex;
    if (c.createsObject) base.OutputHandleIndex = h.OutputHandleIndex;
    const fields = c.layout.request.map((f) =>
      h.babe && f.kind === 'u16' && (f.name === 'ByteCount' || f.name === 'BufferSize') ? ({ ...f, kind: 'babe' } as Field) : f,
    );
    return objOf(fields, undefined, cx, base);
  });
}

const encodeReq = (c: KitCodec, req: Record<string, unknown>, cx = ctx): Buffer => {
  const w = new RopWriter();
  c.encodeRequest(w, req as never, cx);
  return Buffer.from(w.result());
};

describe('OTHER_CODECS', () => {
  it('has one codec per RopId, each named Rop*', () => {
    const ids = codecs.map((c) => c.RopId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of codecs) expect(c.name).toMatch(/^Rop[A-Z]/);
  });
});

describe.each(clientRops.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it('arbitrary bytes after the RopId: a value or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.boolean(), (tail, pub) => {
        decodeOrCodedError(c, Buffer.concat([Buffer.from([c.RopId]), tail]), pub ? publicCtx : ctx);
      }),
      { numRuns: 300 },
    );
  });

  it('generated requests round-trip and decode consumes exactly their bytes', () => {
    for (const cx of [ctx, publicCtx]) {
      fc.assert(
        fc.property(requestArb(c, cx), fc.uint8Array({ maxLength: 8 }), (req, trailer) => {
          const bytes = encodeReq(c, req, cx);
          const r = new RopReader(Buffer.concat([bytes, trailer]));
          const back = c.decodeRequest(r, cx) as Record<string, unknown>;
          expect(r.pos).toBe(bytes.length);
          expect(back).toEqual(req);
          expect(encodeReq(c, back, cx).equals(bytes)).toBe(true);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('mutated requests (byte flips, truncation, insertion): a value or a coded error', () => {
    fc.assert(
      fc.property(
        requestArb(c),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 4 }),
        (req, muts) => {
          let b = encodeReq(c, req);
          for (const [at, v, op] of muts) {
            const i = b.length === 0 ? 0 : at % b.length;
            if (op === 'flip' && b.length > 1) b[Math.max(1, i)] = v;
            else if (op === 'cut') b = b.subarray(0, Math.max(1, i));
            else if (op === 'insert') b = Buffer.concat([b.subarray(0, Math.max(1, i)), Buffer.from([v]), b.subarray(Math.max(1, i))]);
          }
          decodeOrCodedError(c, b);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('responses (success and failure) round-trip; the prefix carries responseHandleIndex(req)', () => {
    fc.assert(
      fc.property(
        requestArb(c).chain((req) =>
          fc.tuple(
            fc.constant(req),
            fc.constantFrom(0, ec.NotImplemented, ec.NullObject, ec.DstNullObject, ec.ServerBusy, ec.Error),
          ),
        ),
        ([req, rv]) => {
          const mode = c.layout.body ?? 'success';
          const fields = mode === 'success' ? (rv === 0 ? c.layout.response : []) : mode === 'always' ? c.layout.response : (mode(rv) ?? []);
          const resArb = objOf(fields, req, ctx, { RopId: c.RopId, HandleIndex: c.responseHandleIndex(req as never), ReturnValue: rv });
          fc.assert(
            fc.property(resArb, (res) => {
              const w = new RopWriter();
              c.encodeResponse(w, res as never, ctx, req as never);
              const bytes = Buffer.from(w.result());
              expect(bytes[0]).toBe(c.RopId);
              expect(bytes[1]).toBe(c.responseHandleIndex(req as never));
              expect(bytes.readUInt32LE(2)).toBe(rv);
              if (fields.length === 0) expect(bytes.length).toBe(6);
              const r = new RopReader(bytes);
              expect(c.decodeResponse(r, ctx, req as never)).toEqual(res);
              expect(r.left).toBe(0);
            }),
            { numRuns: 5 },
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
