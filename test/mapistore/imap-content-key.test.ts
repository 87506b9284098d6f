// contentKey (src/mapistore/backends/imap/content.ts): the key of what a mirrored message's IMAP copy holds. Equal
// keys let a save STORE flags instead of APPENDing a new version, so it must ignore exactly what the MIME writer never
// writes (named properties, read / follow-up / verb state, store-kept identifiers and times) and see everything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PropValue } from '../../src/mapi/props.js';
import { contentKey } from '../../src/mapistore/backends/imap/content.js';
import type { LoadedMessage } from '../../src/transport/mime.js';

const PidTagSubject = 0x0037001f;
const PidTagBody = 0x1000001f;
const PidTagMessageFlags = 0x0e070003;
const PidTagRead = 0x0e69000b;
const PidTagFlagStatus = 0x10900003;
const PidTagChangeKey = 0x65e20102;
const PidTagLastModificationTime = 0x30080040;
const PidTagRowid = 0x30000003;
const PidTagAttachNumber = 0x0e210003;
const PidTagAttachLongFilename = 0x3707001f;
const PidTagDisplayName = 0x3001001f;

const base = (): LoadedMessage => ({
  values: new Map<number, PropValue>([[PidTagSubject, 'Budget'], [PidTagBody, 'Hello.\r\n'], [PidTagMessageFlags, 0]]),
  recipients: [{ rowId: 0, recipientType: 1, props: [{ tag: PidTagRowid, value: 0 }, { tag: PidTagDisplayName, value: 'Bob' }] }],
  attachments: [{ values: new Map<number, PropValue>([[PidTagAttachNumber, 0], [PidTagAttachLongFilename, 'a.pdf']]) }],
});

describe('contentKey', () => {
  it('is the same after the read state, the follow-up flag, change tracking, row numbers and named properties change', () => {
    const a = base();
    const b = base();
    b.values.set(PidTagMessageFlags, 1).set(PidTagRead, true).set(PidTagFlagStatus, 2).set(PidTagChangeKey, Buffer.from('ck'));
    b.values.set(PidTagLastModificationTime, 134403210610280000n).set(0x8503000b, true).set(0x8001101f, ['Red category']);
    b.recipients[0]!.props[0] = { tag: PidTagRowid, value: 7 };
    b.attachments[0]!.values.set(PidTagAttachNumber, 3);
    expect(contentKey(b)).toBe(contentKey(a));
  });

  it('counts a string by its text (PtypString8 or PtypString), and the RTF only when there is no PidTagBody or PidTagHtml', () => {
    const k = contentKey(base());
    const s8 = base();
    s8.values.delete(PidTagBody);
    s8.values.set(0x1000001e, 'Hello.\r\n'); // the same body as PtypString8
    expect(contentKey(s8)).toBe(k);
    const rtf = base();
    rtf.values.set(0x10090102, Buffer.from('compressed rtf'));
    expect(contentKey(rtf)).toBe(k);
    // an RTF-only message: the RTF is its body
    const only = base();
    only.values.delete(PidTagBody);
    const onlyRtf = base();
    onlyRtf.values.delete(PidTagBody);
    onlyRtf.values.set(0x10090102, Buffer.from('compressed rtf'));
    expect(contentKey(onlyRtf)).not.toBe(contentKey(only));
    const otherText = base();
    otherText.values.set(PidTagBody, 'Hello!\r\n');
    expect(contentKey(otherText)).not.toBe(k);
  });

  it('changes with the subject, a recipient, an attachment name, or an attachment more', () => {
    const k = contentKey(base());
    const s = base();
    s.values.set(PidTagSubject, 'Budget v2');
    const r = base();
    r.recipients[0]!.props[1] = { tag: PidTagDisplayName, value: 'Carol' };
    const t = base();
    t.recipients[0]!.recipientType = 2;
    const n = base();
    n.attachments[0]!.values.set(PidTagAttachLongFilename, 'b.pdf');
    const more = base();
    more.attachments.push({ values: new Map() });
    for (const m of [s, r, t, n, more]) expect(contentKey(m)).not.toBe(k);
  });

  it('tells any two different content values apart, and one value from the same value of another tag (fast-check)', () => {
    const value = fc.oneof(
      fc.integer(), fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), fc.boolean(), fc.string(), fc.constant(null),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)), fc.array(fc.string(), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(value, value, (x, y) => {
        const a = base();
        a.values.set(0x1001001f, x as PropValue);
        const b = base();
        b.values.set(0x1001001f, y as PropValue);
        const same = JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `b${v}` : v)) === JSON.stringify(y, (_k, v) => (typeof v === 'bigint' ? `b${v}` : v))
          && typeof x === typeof y && Buffer.isBuffer(x) === Buffer.isBuffer(y);
        expect(contentKey(a) === contentKey(b)).toBe(same);
        const c = base();
        c.values.set(0x1002001f, x as PropValue);
        expect(contentKey(c)).not.toBe(contentKey(a));
      }),
      { numRuns: 1000 },
    );
  });
});
