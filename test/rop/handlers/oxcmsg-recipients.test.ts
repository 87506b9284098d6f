// Recipient rows between the store and the wire (oxcmsg-recipients.ts): a stored recipient written as a RecipientRow,
// encoded and decoded with the codec, and read back as a RopModifyRecipients change gives the same properties; bad
// RecipientColumns are named; rows fitted to the output space.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { propId, type PropValue } from '../../../src/mapi/props.js';
import { readRecipientRow, writeRecipientRow } from '../../../src/rop/codec/recipient-row.js';
import {
  PidTagAddressBookDisplayNamePrintable, PidTagAddressType, PidTagDisplayName, PidTagDisplayType, PidTagEmailAddress, PidTagEntryId,
  PidTagRecipientType, PidTagSearchKey, PidTagSendRichInfo, PidTagTransmittableDisplayName, badRecipientColumns, openMessageBody,
  recipientColumns, toRecipientChange, toRecipientRow,
} from '../../../src/rop/handlers/oxcmsg-recipients.js';
import type { RecipientRow as StoreRecipient } from '../../../src/mapistore/types.js';

const PidTagRecipientFlags = 0x5ffd0003;
const PidTagRecipientTrackStatusTime = 0x5ffb0040;
const PidTagCustomBin = 0x67010102;

const ascii = fc.string({ minLength: 0, maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));
const text = fc.string({ maxLength: 40, unit: 'binary' }).map((s) => s.replace(/\0/g, ' ').replace(/[\ud800-\udfff]/g, '?'));

const recipient = fc
  .record({
    addr: fc.constantFrom('EX', 'SMTP', 'MSMAIL', 'FAX', 'PROFS', 'MAPIPDL', 'X-CUSTOM', undefined),
    email: ascii,
    displayType: fc.integer({ min: 0, max: 255 }),
    name: fc.option(text, { nil: undefined }),
    simple: fc.option(text, { nil: undefined }),
    transmittable: fc.option(text, { nil: undefined }),
    rich: fc.boolean(),
    type: fc.integer({ min: 1, max: 3 }),
    flags: fc.option(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { nil: undefined }),
    time: fc.option(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), { nil: undefined }),
    bin: fc.option(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), { nil: undefined }),
    entry: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
  })
  .map((g) => {
    const p = new Map<number, PropValue>();
    p.set(PidTagRecipientType, g.type);
    if (g.addr !== undefined) {
      p.set(PidTagAddressType, g.addr);
      p.set(PidTagEmailAddress, g.email);
    }
    if (g.addr === 'EX') p.set(PidTagDisplayType, g.displayType);
    if (g.addr === 'MAPIPDL') {
      p.set(PidTagEntryId, g.entry);
      p.set(PidTagSearchKey, g.entry);
    }
    if (g.name !== undefined) p.set(PidTagDisplayName, g.name);
    if (g.simple !== undefined) p.set(PidTagAddressBookDisplayNamePrintable, g.simple);
    if (g.transmittable !== undefined) p.set(PidTagTransmittableDisplayName, g.transmittable);
    p.set(PidTagSendRichInfo, g.rich);
    if (g.flags !== undefined) p.set(PidTagRecipientFlags, g.flags);
    if (g.time !== undefined) p.set(PidTagRecipientTrackStatusTime, g.time);
    if (g.bin !== undefined) p.set(PidTagCustomBin, g.bin);
    return p;
  });

const asStore = (rows: Map<number, PropValue>[]): StoreRecipient[] =>
  rows.map((p, rowId) => ({ rowId, recipientType: p.get(PidTagRecipientType) as number, props: [...p].map(([tag, value]) => ({ tag, value })) }));

const byId = (props: readonly { tag: number; value: PropValue }[]): Map<number, PropValue> => new Map(props.map((v) => [propId(v.tag), v.value]));

describe('recipient rows (MS-OXCDATA 2.8.3) between the store and the wire', () => {
  it('a stored recipient survives RecipientRow encode, decode and RopModifyRecipients conversion unchanged', () => {
    fc.assert(
      fc.property(fc.array(recipient, { minLength: 1, maxLength: 5 }), (rows) => {
        const stored = asStore(rows);
        const cols = recipientColumns(stored);
        expect(badRecipientColumns(cols)).toBeNull();
        for (const r of stored) {
          const row = toRecipientRow(r, cols);
          const w = new RopWriter(64);
          writeRecipientRow(w, row, cols, 1252);
          const back = readRecipientRow(new RopReader(Buffer.from(w.result())), cols, 1252);
          const change = toRecipientChange({ RowId: r.rowId, RecipientType: r.recipientType, RecipientRow: back }, cols, '');
          expect(change.rowId).toBe(r.rowId);
          expect(byId(change.props!)).toEqual(byId(r.props));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rebuilds an abbreviated X500DN from the session user DN (AddressPrefixUsed)', () => {
    const dn = '/o=Org/ou=Group/cn=Recipients/cn=alice';
    const c = toRecipientChange(
      { RowId: 4, RecipientType: 1, RecipientRow: { RecipientFlags: 0x0201, AddressPrefixUsed: '/o=Org/ou=Group/cn=Recipients/'.length, DisplayType: 0, X500DN: 'bob', RecipientColumnCount: 0, RecipientProperties: [] } },
      [],
      dn,
    );
    expect(byId(c.props!).get(propId(PidTagEmailAddress))).toBe('/o=Org/ou=Group/cn=Recipients/bob');
    expect(toRecipientChange({ RowId: 4, RecipientType: 1 }, [], dn)).toEqual({ rowId: 4, props: null });
  });

  it('names bad RecipientColumns: row-carried properties, PidTagRowid, duplicates, types a recipient cannot hold', () => {
    expect(badRecipientColumns([PidTagRecipientFlags, PidTagCustomBin])).toBeNull();
    for (const bad of [[PidTagDisplayName], [0x3001001e], [PidTagEntryId], [0x0ff60102], [PidTagSendRichInfo], [0x30000003], [0x6700000d], [0x6700000a], [0x67000000], [PidTagCustomBin, 0x67010102]]) {
      expect(badRecipientColumns(bad), bad.map((t) => t.toString(16)).join()).not.toBeNull();
    }
  });

  it('fits the open-message recipient rows into the space given, at most 255, counting all', () => {
    const many = asStore(Array.from({ length: 400 }, (_, i) => new Map<number, PropValue>([[PidTagRecipientType, 1], [PidTagAddressType, 'SMTP'], [PidTagEmailAddress, `u${i}@example.com`]])));
    const all = openMessageBody({ hasNamed: false, prefix: '', normalized: 's' }, many, 1252, 1 << 20);
    expect(all.RecipientCount).toBe(400);
    expect(all.RecipientRows.length).toBe(255);
    const few = openMessageBody({ hasNamed: false, prefix: undefined, normalized: undefined }, many, 1252, 600);
    expect(few.RecipientRows.length).toBeGreaterThan(0);
    expect(few.RecipientRows.length).toBeLessThan(30);
    expect(few.SubjectPrefix).toEqual({ StringType: 0 });
  });
});
