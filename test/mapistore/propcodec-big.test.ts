// A message row's large values out of its JSON text (src/mapistore/propcodec.ts encodeStored / decodeStored, the
// messages.big column): the stored form gives back exactly what the JSON-only form gave (values and order), a damaged
// big column never throws or yields a value of the wrong type, a mailbox file made before the column gets it and its
// rows stay readable, and the header read of a large binary (getMessagesProps' json_extract path) still answers it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PT, makeTag, propType, type PropValue } from '../../src/mapi/props.js';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { BIG_MIN, checkValue, decodeProps, decodeStored, encodeProps, encodeStored } from '../../src/mapistore/propcodec.js';
import { TAG } from '../../src/mapistore/tags.js';
import { val } from './store-helpers.js';

/** Any UTF-16 code units, lone surrogates included (UTF-8 cannot carry those). */
const units = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: min, maxLength: max }).map((a) => String.fromCharCode(...a));
/** Lengths on both sides of BIG_MIN. */
const sized = (max: number): fc.Arbitrary<string> => fc.oneof(units(0, 40), units(BIG_MIN - 2, max), fc.constant('x'.repeat(BIG_MIN)));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: BIG_MIN - 2, maxLength: 3000 })).map((b) => Buffer.from(b));

const value = (type: number): fc.Arbitrary<PropValue> => {
  switch (type) {
    case PT.UNICODE:
    case PT.STRING8:
      return sized(3000);
    case PT.BINARY:
    case PT.SVREID:
    case PT.SRESTRICT:
    case PT.ACTIONS:
      return bytes;
    case PT.LONG:
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case PT.I8:
    case PT.SYSTIME:
      return fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });
    case PT.BOOLEAN:
      return fc.boolean();
    case PT.MV_UNICODE:
      return fc.array(sized(1500), { maxLength: 3 });
    default:
      return fc.array(bytes, { maxLength: 3 });
  }
};
const TYPES = [PT.UNICODE, PT.STRING8, PT.BINARY, PT.SVREID, PT.SRESTRICT, PT.ACTIONS, PT.LONG, PT.I8, PT.SYSTIME, PT.BOOLEAN, PT.MV_UNICODE, PT.MV_BINARY];
const props = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 0xfffe }), fc.constantFrom(...TYPES)), { selector: ([id]) => id, maxLength: 12 })
  .chain((defs) => fc.tuple(...defs.map(([id, type]) => value(type).map((v) => [makeTag(id, type), v] as [number, PropValue]))))
  .map((entries) => new Map<number, PropValue>(entries));

describe('messages.big (propcodec encodeStored / decodeStored)', () => {
  it('gives back what the JSON text alone gave: the same values in the same order', () => {
    fc.assert(
      fc.property(props, (m) => {
        for (const [tag, v] of m) expect(checkValue(tag, v)).toBe(true);
        const s = encodeStored(m);
        expect([...decodeStored(s.text, s.big)]).toEqual([...decodeProps(encodeProps(m))]);
        // single-valued strings and binaries from BIG_MIN on are out of the text, nothing else is
        const out = [...m].filter(([tag, v]) => !(propType(tag) & 0x1000) && (typeof v === 'string' || Buffer.isBuffer(v)) && v.length >= BIG_MIN);
        expect(s.big === null).toBe(out.length === 0);
        const text = JSON.parse(s.text) as Record<string, unknown>;
        for (const [tag] of out) expect(text[tag >>> 0]).toBe(0);
        // the text alone: every value but those
        const small = decodeStored(s.text, null);
        expect([...small.keys()].sort()).toEqual([...m.keys()].filter((t) => !out.some(([o]) => o === t)).map((t) => t >>> 0).sort());
      }),
      { numRuns: 150 },
    );
  });

  it('a body of 9 KB of text is stored as its UTF-8 bytes, a text with a lone surrogate as UTF-16LE', () => {
    const body = 'Weekly report.\r\n'.repeat(600);
    const odd = `${'a'.repeat(BIG_MIN)}\ud800z`;
    const m = new Map<number, PropValue>([[TAG.Subject, 'hi'], [0x1000001f, body], [0x1001001f, odd]]);
    const s = encodeStored(m);
    expect(s.text.length).toBeLessThan(100);
    expect(s.big!.length).toBe(2 * 9 + body.length + odd.length * 2);
    expect(decodeStored(s.text, s.big).get(0x1000001f)).toBe(body);
    expect(decodeStored(s.text, s.big).get(0x1001001f)).toBe(odd);
  });

  it('a damaged big column never throws and never gives a value of the wrong type', () => {
    fc.assert(
      fc.property(props, fc.uint8Array({ maxLength: 400 }), fc.nat(), (m, junk, cut) => {
        const s = encodeStored(m);
        const damaged = [
          s.big ? s.big.subarray(0, cut % (s.big.length + 1)) : Buffer.alloc(0),
          Buffer.from(junk),
          s.big ? Buffer.concat([Buffer.from(junk), s.big]) : Buffer.from(junk),
        ];
        for (const big of damaged) {
          const back = decodeStored(s.text, big);
          for (const [tag, v] of back) expect(checkValue(tag, v)).toBe(true);
          for (const tag of back.keys()) expect(m.has(tag)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
const PidTagBody8 = 0x1000001e;
const PidTagSearchKeyBig = makeTag(0x6ff1, PT.BINARY);

describe('messages.big in the embedded store', () => {
  let dir: string;
  let store: LocalStore;
  let mb: LocalMailbox;
  const open = async (): Promise<void> => {
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
  };
  const file = (): string => {
    const d = path.join(dir, 'mailboxes');
    return path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.sqlite'))!);
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-big-'));
    await open();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores a large body and binary in the column and reads them back through every path', async () => {
    const body = 'Lorem ipsum dolor sit amet.\n'.repeat(400);
    const bin = Buffer.alloc(5000, 7);
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: 'big' }, { tag: PidTagBody8, value: body }, { tag: PidTagSearchKeyBig, value: bin }]);
    const mid = await m.save();
    await m.discard();
    const row = mb.db.prepare('SELECT props, big FROM messages WHERE mid = ?').get(Number(eidGlobcnt(mid))) as { props: string; big: Buffer | null };
    expect(row.props.length).toBeLessThan(1000);
    expect(row.big!.length).toBeGreaterThan(body.length + bin.length);
    expect(val(await mb.getMessageProps(mid, [PidTagBody8]), PidTagBody8)).toBe(body);
    const opened = await mb.openMessage(mid);
    expect(val(await opened.getProps([PidTagBody8, PidTagSearchKeyBig]), PidTagSearchKeyBig)).toEqual(bin);
    await opened.discard();
    // the header read (json_extract of the text) finds the mark and reads the whole row for it
    const [few] = await mb.getMessagesProps!([mid], [PidTagSearchKeyBig, TAG.MessageFlags]);
    expect(val(few!, PidTagSearchKeyBig)).toEqual(bin);
    // a change of a small value keeps the large ones
    await mb.setMessageProps(mid, [{ tag: TAG.Subject, value: 'changed' }]);
    expect(val(await mb.getMessageProps(mid, [PidTagBody8]), PidTagBody8)).toBe(body);
  });

  it('gives a mailbox file made before the column the column; its rows stay readable and are rewritten in the new form', async () => {
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: 'old' }]);
    const mid = await m.save();
    await m.discard();
    await store.close();
    // the file as an older server left it: no big column, the body in the JSON text
    const body = 'x'.repeat(4000);
    const db = new Database(file());
    const g = Number(eidGlobcnt(mid));
    const text = (db.prepare('SELECT props FROM messages WHERE mid = ?').get(g) as { props: string }).props;
    db.exec('ALTER TABLE messages DROP COLUMN big');
    db.prepare('UPDATE messages SET props = ? WHERE mid = ?').run(encodeProps(new Map([...decodeProps(text), [PidTagBody8, body]])), g);
    db.close();
    await open();
    expect(val(await mb.getMessageProps(mid, [PidTagBody8, TAG.Subject]), PidTagBody8)).toBe(body);
    await mb.setMessageProps(mid, [{ tag: TAG.Subject, value: 'new' }]);
    const row = mb.db.prepare('SELECT props, big FROM messages WHERE mid = ?').get(g) as { props: string; big: Buffer | null };
    expect(row.big).not.toBeNull();
    expect(val(await mb.getMessageProps(mid, [PidTagBody8]), PidTagBody8)).toBe(body);
  });
});
