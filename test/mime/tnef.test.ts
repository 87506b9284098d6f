// TNEF decoder (src/mime/tnef.ts, MS-OXTNEF 2.1) on streams built by tnef-build.ts: message attributes, MAPI
// properties of each type, named properties, attachments, an embedded message, checksums and limits; fast-check
// properties on arbitrary and mutated bytes (a value or a TnefError, never anything else); and the merge of a
// winmail.dat part by mimeToMapi (src/mime/to-mapi.ts, MS-OXCMAIL 2.1.3.3).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PS_PUBLIC_STRINGS } from '../../src/mapi/named.js';
import { PT, makeTag, toFileTime } from '../../src/mapi/props.js';
import { parseMime } from '../../src/mime/parse.js';
import { MT, NATIVE_BODY } from '../../src/mime/tags.js';
import { TnefError, decodeTnef, IID_ISTORAGE } from '../../src/mime/tnef.js';
import { mimeToMapi } from '../../src/mime/to-mapi.js';
import { T } from '../../src/transport/tags.js';
import { ATT, LVL_ATTACHMENT as A, LVL_MESSAGE as M, attr, date, embeddedProp, props, renddata, str8, stream, type BuildProp } from './tnef-build.js';

const PSETID_COMMON = '00062008-0000-0000-c000-000000000046';
const sent = new Date(Date.UTC(2004, 1, 17, 11, 25, 35));

function fileAttachment(name: string, data: Buffer, extra: BuildProp[] = []) {
  return [
    attr(A, ATT.attAttachRenddata, renddata(1, 0)),
    attr(A, ATT.attAttachTitle, str8(name.slice(0, 8).toUpperCase())),
    attr(A, ATT.attAttachData, data),
    attr(A, ATT.attAttachment, props([{ type: PT.UNICODE, id: 0x3707, value: name }, { type: PT.LONG, id: 0x3705, value: 1 }, ...extra])),
  ];
}

const innerStream = stream([
  attr(M, ATT.attMessageClass, str8('IPM.Microsoft Mail.Note')),
  attr(M, ATT.attMAPIProps, props([{ type: PT.UNICODE, id: 0x0037, value: 'inner subject' }])),
  ...fileAttachment('deep.txt', Buffer.from('deep')),
]);

const fullStream = stream([
  attr(M, ATT.attTnefVersion, Buffer.from([0, 0, 1, 0])),
  attr(M, ATT.attOemCodepage, Buffer.from([0xe4, 0x04, 0, 0, 0, 0, 0, 0])),
  attr(M, ATT.attMessageClass, str8('IPM.Microsoft Mail.Note')),
  attr(M, ATT.attPriority, Buffer.from([1, 0])),
  attr(M, ATT.attSubject, str8('legacy subject')),
  attr(M, ATT.attDateSent, date(sent)),
  attr(M, ATT.attBody, str8('legacy body caf\xe9')),
  attr(
    M,
    ATT.attMAPIProps,
    props([
      { type: PT.UNICODE, id: 0x0037, value: 'MAPI subject' },
      { type: PT.I2, id: 0x6601, value: -2 },
      { type: PT.LONG, id: 0x0036, value: 2 },
      { type: PT.R4, id: 0x6602, value: 1.5 },
      { type: PT.DOUBLE, id: 0x6603, value: 2.25 },
      { type: PT.CURRENCY, id: 0x6604, value: -5n },
      { type: PT.APPTIME, id: 0x6605, value: 3.5 },
      { type: PT.ERROR, id: 0x6606, value: 0x8004010f },
      { type: PT.BOOLEAN, id: 0x0023, value: true },
      { type: PT.I8, id: 0x6607, value: 1n << 40n },
      { type: PT.SYSTIME, id: 0x0039, value: 130000000000000000n },
      { type: PT.CLSID, id: 0x6608, value: PSETID_COMMON },
      { type: PT.STRING8, id: 0x0070, value: 'topic \xe9' },
      { type: PT.BINARY, id: 0x1009, value: Buffer.from([1, 2, 3, 4, 5]) },
      { type: PT.MV_I2, id: 0x6609, value: [1, -1] },
      { type: PT.MV_LONG, id: 0x660a, value: [7, 8, 9] },
      { type: PT.MV_SYSTIME, id: 0x660b, value: [1n, 2n] },
      { type: PT.MV_CLSID, id: 0x660c, value: [PSETID_COMMON] },
      { type: PT.MV_STRING8, id: 0x660d, value: ['a', 'bc'] },
      { type: PT.MV_UNICODE, id: 0x660e, value: ['x', 'yz\u00fc'] },
      { type: PT.MV_BINARY, id: 0x660f, value: [Buffer.from([9]), Buffer.alloc(0)] },
      { type: PT.LONG, id: 0x8001, name: { guid: PSETID_COMMON, lid: 0x8582 }, value: 1 },
      { type: PT.UNICODE, id: 0x8002, name: { guid: PS_PUBLIC_STRINGS, name: 'Keywords-x' }, value: 'named value' },
      { type: PT.MV_UNICODE, id: 0x8003, name: { guid: PS_PUBLIC_STRINGS, name: 'abc' }, value: ['k1', 'k2'] },
    ]),
  ),
  ...fileAttachment('report.pdf', Buffer.from('%PDF-1.4 data')),
  ...fileAttachment('notes.txt', Buffer.from('hello notes'), [{ type: PT.BOOLEAN, id: 0x8005, name: { guid: PSETID_COMMON, lid: 0x8514 }, value: true }]),
  attr(A, ATT.attAttachRenddata, renddata(1, -1)),
  attr(A, ATT.attAttachment, props([{ type: PT.UNICODE, id: 0x3001, value: 'inner subject' }, { type: PT.LONG, id: 0x3705, value: 5 }, embeddedProp(innerStream)])),
]);

describe('decodeTnef', () => {
  const r = decodeTnef(fullStream);

  it('reads message attributes; MAPI properties win over legacy attributes', () => {
    expect(r.warnings).toEqual([]);
    expect(r.values.get(T.Subject)).toBe('MAPI subject');
    expect(r.values.get(T.MessageClass)).toBe('IPM.Note');
    expect(r.values.get(T.Importance)).toBe(2);
    expect(r.values.get(T.Body)).toBe('legacy body caf\u00e9');
    expect(r.values.get(T.ClientSubmitTime)).toBe(130000000000000000n); // from attMAPIProps, not attDateSent
  });

  it('reads attDateSent when attMAPIProps has no submit time', () => {
    const x = decodeTnef(stream([attr(M, ATT.attDateSent, date(sent))]));
    expect(x.values.get(T.ClientSubmitTime)).toBe(toFileTime(sent));
  });

  it('decodes each property type', () => {
    const v = r.values;
    expect(v.get(makeTag(0x6601, PT.I2))).toBe(-2);
    expect(v.get(T.Sensitivity)).toBe(2);
    expect(v.get(makeTag(0x6602, PT.R4))).toBe(1.5);
    expect(v.get(makeTag(0x6603, PT.DOUBLE))).toBe(2.25);
    expect(v.get(makeTag(0x6604, PT.CURRENCY))).toBe(-5n);
    expect(v.get(makeTag(0x6605, PT.APPTIME))).toBe(3.5);
    expect(v.get(makeTag(0x6606, PT.ERROR))).toBe(0x8004010f);
    expect(v.get(makeTag(0x0023, PT.BOOLEAN))).toBe(true);
    expect(v.get(makeTag(0x6607, PT.I8))).toBe(1n << 40n);
    expect(v.get(makeTag(0x6608, PT.CLSID))).toBe(PSETID_COMMON);
    expect(v.get(makeTag(0x0070, PT.UNICODE))).toBe('topic \u00e9'); // STRING8 returned under the PT_UNICODE tag
    expect(v.has(makeTag(0x0070, PT.STRING8))).toBe(false);
    expect(v.get(makeTag(0x1009, PT.BINARY))).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(v.get(makeTag(0x6609, PT.MV_I2))).toEqual([1, -1]);
    expect(v.get(makeTag(0x660a, PT.MV_LONG))).toEqual([7, 8, 9]);
    expect(v.get(makeTag(0x660b, PT.MV_SYSTIME))).toEqual([1n, 2n]);
    expect(v.get(makeTag(0x660c, PT.MV_CLSID))).toEqual([PSETID_COMMON]);
    expect(v.get(makeTag(0x660d, PT.MV_UNICODE))).toEqual(['a', 'bc']);
    expect(v.get(makeTag(0x660e, PT.MV_UNICODE))).toEqual(['x', 'yz\u00fc']);
    expect(v.get(makeTag(0x660f, PT.MV_BINARY))).toEqual([Buffer.from([9]), Buffer.alloc(0)]);
  });

  it('returns named properties apart with their names', () => {
    expect(r.named).toEqual([
      { name: { guid: PSETID_COMMON, lid: 0x8582 }, type: PT.LONG, value: 1 },
      { name: { guid: PS_PUBLIC_STRINGS, name: 'Keywords-x' }, type: PT.UNICODE, value: 'named value' },
      { name: { guid: PS_PUBLIC_STRINGS, name: 'abc' }, type: PT.MV_UNICODE, value: ['k1', 'k2'] },
    ]);
    for (const tag of r.values.keys()) expect(tag >>> 16).toBeLessThan(0x8000);
  });

  it('reads attachments with their data, names and named properties', () => {
    expect(r.attachments).toHaveLength(3);
    const [a, b] = r.attachments;
    expect(a!.values.get(T.AttachLongFilename)).toBe('report.pdf');
    expect(a!.values.get(T.AttachFilename)).toBe('REPORT.P');
    expect(a!.values.get(T.AttachDataBinary)).toEqual(Buffer.from('%PDF-1.4 data'));
    expect(a!.values.get(T.AttachMethod)).toBe(1);
    expect(a!.values.get(MT.RenderingPosition)).toBe(0);
    expect(b!.values.get(T.AttachLongFilename)).toBe('notes.txt');
    expect(b!.values.get(T.AttachDataBinary)).toEqual(Buffer.from('hello notes'));
    expect(b!.named).toEqual([{ name: { guid: PSETID_COMMON, lid: 0x8514 }, type: PT.BOOLEAN, value: true }]);
  });

  it('decodes an embedded message from its own TNEF stream', () => {
    const e = r.attachments[2]!;
    expect(e.values.get(T.AttachMethod)).toBe(5);
    expect(e.values.get(T.DisplayName)).toBe('inner subject');
    expect(e.embedded?.values.get(T.Subject)).toBe('inner subject');
    expect(e.embedded?.values.get(T.MessageClass)).toBe('IPM.Note');
    expect(e.embedded?.attachments[0]?.values.get(T.AttachDataBinary)).toEqual(Buffer.from('deep'));
  });

  it('keeps OLE object data after the IID as binary', () => {
    const x = decodeTnef(
      stream([attr(A, ATT.attAttachRenddata, renddata(2)), attr(A, ATT.attAttachment, props([{ type: PT.OBJECT, id: 0x3701, value: { iid: IID_ISTORAGE, data: Buffer.from('ole') } }]))]),
    );
    expect(x.attachments[0]!.values.get(T.AttachMethod)).toBe(6);
    expect(x.attachments[0]!.values.get(T.AttachDataBinary)).toEqual(Buffer.from('ole'));
  });

  it('warns on a bad checksum and on unknown attributes, and keeps reading', () => {
    const x = decodeTnef(stream([attr(M, ATT.attSubject, str8('s'), true), attr(M, 0x00061234, Buffer.from([1])), attr(7, ATT.attBody, str8('b'))]));
    expect(x.values.get(T.Subject)).toBe('s');
    expect(x.warnings).toHaveLength(3);
    expect(x.warnings[0]).toMatch(/checksum/);
  });

  it('keeps the properties before one it cannot read, with a warning', () => {
    const good = props([{ type: PT.LONG, id: 0x0036, value: 1 }]);
    const bad = Buffer.concat([Buffer.from([2, 0, 0, 0]), good.subarray(4), Buffer.from([0x99, 0x00, 0x01, 0x66, 0, 0, 0, 0])]);
    const x = decodeTnef(stream([attr(M, ATT.attMAPIProps, bad)]));
    expect(x.values.get(T.Sensitivity)).toBe(1);
    expect(x.warnings.join()).toMatch(/OC_TNEF_BAD_PROPERTY/);
  });

  it('rejects what is not TNEF and enforces its limits with coded errors', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof TnefError) return e.code;
        throw e;
      }
      return undefined;
    };
    expect(code(() => decodeTnef(Buffer.from('PK\x03\x04 not tnef')))).toBe('OC_TNEF_BAD_SIGNATURE');
    expect(code(() => decodeTnef(fullStream.subarray(0, fullStream.length - 10)))).toBe('OC_TNEF_SHORT');
    expect(decodeTnef(fullStream.subarray(0, fullStream.length - 1)).warnings).toEqual(['attribute 0x00069005: checksum missing at the end of the stream']);
    expect(code(() => decodeTnef(fullStream, { maxSize: 100 }))).toBe('OC_TNEF_TOO_LARGE');
    expect(code(() => decodeTnef(fullStream, { maxAttachments: 2 }))).toBe('OC_TNEF_TOO_MANY');
    expect(code(() => decodeTnef(fullStream, { maxDepth: 0 }))).toBe('OC_TNEF_TOO_DEEP');
    // a huge value count is refused before any allocation (warning: the attribute is dropped)
    const huge = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from([0x03, 0x10, 0x01, 0x66]), Buffer.from([0xff, 0xff, 0xff, 0x7f])]);
    expect(decodeTnef(stream([attr(M, ATT.attMAPIProps, huge)])).warnings.join()).toMatch(/OC_TNEF_TOO_MANY|OC_TNEF_SHORT/);
  });
});

describe('decodeTnef tolerances seen in real winmail.dat files', () => {
  it('bytes after the last attribute are a warning, not an error', () => {
    const r = decodeTnef(Buffer.concat([stream([attr(M, ATT.attMessageClass, Buffer.from('Report.IPM.Note.IPNRN\0'))]), Buffer.from([0])]));
    expect(r.values.get(T.MessageClass)).toBe('Report.IPM.Note.IPNRN');
    expect(r.warnings).toEqual(['1 trailing bytes after the last attribute ignored']);
  });
});

describe('decodeTnef on arbitrary and mutated bytes', () => {
  const check = (b: Buffer): void => {
    try {
      const r = decodeTnef(b, { maxDepth: 4 });
      expect(r.values).toBeInstanceOf(Map);
    } catch (e) {
      if (!(e instanceof TnefError)) throw e;
      expect(e.code).toMatch(/^OC_TNEF_/);
    }
  };
  it('arbitrary bytes (with and without the signature) give a value or a TnefError', () => {
    const head = Buffer.from([0x78, 0x9f, 0x3e, 0x22, 1, 0]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (a, sig) => check(sig ? Buffer.concat([head, Buffer.from(a)]) : Buffer.from(a))),
      { numRuns: 500 },
    );
  });
  it.each([
    ['the built stream', fullStream],
  ])('mutations of %s give a value or a TnefError', (_n, base) => {
    const mutation = fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'dup')), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(mutation, (ops) => {
        let b = Buffer.from(base);
        for (const [pos, v, op] of ops) {
          const p = pos % Math.max(1, b.length);
          if (op === 'set') b[p] = v;
          else if (op === 'cut') b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + (v % 16))]);
          else b = Buffer.concat([b.subarray(0, p), b.subarray(p, p + (v % 32)), b.subarray(p)]);
        }
        check(b);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('mimeToMapi with a winmail.dat part', () => {
  const mime = (tnef: Buffer, type = 'application/ms-tnef; name="winmail.dat"'): Buffer =>
    Buffer.from(
      [
        'From: Ann <ann@example.org>',
        'To: bob@example.org',
        'Subject: MIME subject',
        'Date: Tue, 17 Feb 2004 11:25:35 +0000',
        'Message-ID: <m1@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'plain rendering',
        '--b1',
        `Content-Type: ${type}`,
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="winmail.dat"',
        '',
        tnef.toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b1--',
        '',
      ].join('\r\n'),
    );

  it('shows the unpacked attachments instead of winmail.dat and merges the message properties', () => {
    const m = mimeToMapi(parseMime(mime(fullStream)));
    const names = m.attachments.map((a) => a.values.get(T.AttachLongFilename) ?? a.values.get(T.DisplayName));
    expect(names).toEqual(['report.pdf', 'notes.txt', 'inner subject']);
    expect(m.attachments[2]!.embedded?.attachments[0]?.values.get(T.AttachDataBinary)).toEqual(Buffer.from('deep'));
    expect(m.values.get(T.Subject)).toBe('MAPI subject'); // TNEF wins for content properties
    expect(m.values.get(T.Importance)).toBe(2);
    expect(m.values.get(T.InternetMessageId)).toBe('<m1@example.org>');
    expect(m.values.get(T.ClientSubmitTime)).toBe(toFileTime(sent)); // MIME keeps the transport properties
    expect(m.values.get(T.SenderEmailAddress)).toBe('ann@example.org');
    expect(m.values.get(0x10090102)).toEqual(Buffer.from([1, 2, 3, 4, 5])); // PidTagRtfCompressed from TNEF
    expect(m.values.get(MT.NativeBody)).toBe(NATIVE_BODY.Rtf);
    expect(m.named.map((n) => n.name.lid ?? n.name.name)).toEqual([0x8582, 'Keywords-x', 'abc']);
    expect(m.recipients).toHaveLength(1);
  });

  it('recognises winmail.dat by name; a TNEF body replaces the MIME one', () => {
    const tnef = stream([attr(M, ATT.attMAPIProps, props([{ type: PT.UNICODE, id: 0x1000, value: 'TNEF body' }, { type: PT.BINARY, id: 0x1013, value: Buffer.from('<p>x</p>') }]))]);
    const m = mimeToMapi(parseMime(mime(tnef, 'application/octet-stream; name="WINMAIL.DAT"')));
    expect(m.attachments).toEqual([]);
    expect(m.values.get(T.Body)).toBe('TNEF body');
    expect(m.values.get(T.Html)).toEqual(Buffer.from('<p>x</p>'));
    expect(m.values.get(MT.NativeBody)).toBe(NATIVE_BODY.Html);
    expect(m.values.get(T.Subject)).toBe('MIME subject');
    expect(m.named).toEqual([]);
  });

  it('keeps an undecodable winmail.dat as a plain attachment with a warning', () => {
    const m = mimeToMapi(parseMime(mime(Buffer.from('this is not TNEF at all'))));
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]!.values.get(T.AttachLongFilename)).toBe('winmail.dat');
    expect(m.values.get(T.Subject)).toBe('MIME subject');
    expect(m.warnings.join()).toMatch(/OC_TNEF_BAD_SIGNATURE/);
  });
});
