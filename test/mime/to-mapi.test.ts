// MS-OXCMAIL MIME -> MAPI mapping (src/mime/to-mapi.ts): message properties, recipients, bodies, attachments,
// S/MIME and meeting-request message classes, and a fast-check round trip through the MIME writer of
// src/transport/mime.ts (build a LoadedMessage, write it, parse it back: subject, bodies, recipients, attachments).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PropValue } from '../../src/mapi/props.js';
import { ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type RecipientRow } from '../../src/mapistore/types.js';
import { MimeError, parseMime } from '../../src/mime/parse.js';
import { corpus } from './corpus.js';
import { MT } from '../../src/mime/tags.js';
import { asciiText, crlf as toCrlf, mimeToMapi, splitSubject } from '../../src/mime/to-mapi.js';
import { buildMime, type LoadedAttachment, type LoadedMessage } from '../../src/transport/mime.js';
import { T, filetimeNow } from '../../src/transport/tags.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');
const convert = (s: string | Buffer, deliveryTime?: Date) => mimeToMapi(parseMime(typeof s === 'string' ? crlf(s) : s), { deliveryTime });
const rowProp = (r: RecipientRow, tag: number): PropValue | undefined => r.props.find((p) => p.tag === tag)?.value;

describe('message properties', () => {
  const msg = `From: "Müller, Jörg" <joerg@example.de>
Sender: Secretary <sec@example.de>
To: Ann <ann@example.org>, bob@example.org
Cc: =?utf-8?q?Cl=C3=A9o?= <cleo@example.fr>
Bcc: hidden@example.org
Subject: =?iso-8859-1?q?AW:_Caf=E9?=
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <abc@example.de>
In-Reply-To: <prev@example.org>
References: <first@example.org>
 <prev@example.org>
X-Priority: 1 (Highest)
Sensitivity: Company-Confidential
Thread-Index: AQHZ
Content-Type: text/plain; charset=iso-8859-2
Content-Transfer-Encoding: quoted-printable

=A3=F3d=BC
line 2
`;
  const m = convert(msg, new Date('2003-07-01T09:00:00Z'));
  it('maps the header fields', () => {
    const v = m.values;
    expect(v.get(T.Subject)).toBe('AW: Café');
    expect(v.get(T.SubjectPrefix)).toBe('AW: ');
    expect(v.get(T.NormalizedSubject)).toBe('Café');
    expect(v.get(T.MessageClass)).toBe('IPM.Note');
    expect(v.get(T.SentRepresentingName)).toBe('Müller, Jörg');
    expect(v.get(T.SentRepresentingSmtpAddress)).toBe('joerg@example.de');
    expect(v.get(T.SentRepresentingAddressType)).toBe('SMTP');
    expect(v.get(T.SenderName)).toBe('Secretary');
    expect(v.get(T.SenderEmailAddress)).toBe('sec@example.de');
    expect(v.get(T.ClientSubmitTime)).toBe(filetimeNow(Date.UTC(2003, 6, 1, 8, 52, 37)));
    expect(v.get(T.MessageDeliveryTime)).toBe(filetimeNow(Date.UTC(2003, 6, 1, 9)));
    expect(v.get(T.InternetMessageId)).toBe('<abc@example.de>');
    expect(v.get(T.InReplyToId)).toBe('<prev@example.org>');
    expect(v.get(T.InternetReferences)).toBe('<first@example.org> <prev@example.org>');
    expect(v.get(T.Importance)).toBe(2);
    expect(v.get(MT.Priority)).toBeUndefined(); // only a Priority header sets it
    expect(v.get(T.Sensitivity)).toBe(3);
    expect(v.get(MT.ConversationIndex)).toEqual(Buffer.from([0x01, 0x01, 0xd9]));
    expect(v.get(T.Body)).toBe('Łódź\r\nline 2\r\n');
    expect(v.get(MT.NativeBody)).toBe(1);
    expect(v.get(MT.InternetCodepage)).toBe(28592);
    expect(v.get(T.Html)).toBeUndefined();
    expect(String(v.get(MT.TransportMessageHeaders))).toMatch(/^From: .*\r\nSender: .*References: <first@example.org>\r\n <prev@example.org>\r\n.*Content-Transfer-Encoding: quoted-printable\r\n$/s);
  });
  it('maps To/Cc/Bcc to recipient rows', () => {
    expect(m.recipients.map((r) => [r.recipientType, rowProp(r, T.DisplayName), rowProp(r, T.SmtpAddress), rowProp(r, T.AddressType)])).toEqual([
      [MAPI_TO, 'Ann', 'ann@example.org', 'SMTP'],
      [MAPI_TO, 'bob@example.org', 'bob@example.org', 'SMTP'],
      [MAPI_CC, 'Cléo', 'cleo@example.fr', 'SMTP'],
      [MAPI_BCC, 'hidden@example.org', 'hidden@example.org', 'SMTP'],
    ]);
    expect(m.recipients.map((r) => rowProp(r, T.RecipientType))).toEqual([1, 1, 2, 3]);
  });
  it.each([
    ['Re: x', 'Re: ', 'x'],
    ['Fwd: x', 'Fwd: ', 'x'],
    ['SV:x', 'SV:', 'x'],
    ['Meeting 10:30', '', 'Meeting 10:30'],
    ['Re x', '', 'Re x'],
  ])('subject prefix of %s', (s, prefix, normalized) => {
    expect(splitSubject(s)).toEqual({ prefix, normalized });
  });
  it.each([
    ['Importance: low', 0, undefined],
    ['X-Priority: 5', 0, undefined],
    ['Priority: non-urgent\nImportance: high', 2, -1],
    ['Priority: urgent\nX-Priority: 5', 2, 1],
    ['X-Priority: 3 (Normal)\nX-MSMail-Priority: High', 1, undefined],
    ['X-MSMail-Priority: Low', 0, undefined],
    ['', 1, undefined],
  ])('importance and priority of %j', (h, importance, priority) => {
    const v = convert(`${h}${h ? '\n' : ''}Subject: x\n\nb`).values;
    expect([v.get(T.Importance), v.get(MT.Priority)]).toEqual([importance, priority]);
  });
});

describe('bodies and attachments', () => {
  const html = '<html><body><p>Hi <img src="cid:logo@x"></p></body></html>';
  const msg = `From: a@b.c
Subject: pics
Content-Type: multipart/mixed; boundary=M

--M
Content-Type: multipart/alternative; boundary=A

--A
Content-Type: text/plain; charset=utf-8

Hi
--A
Content-Type: multipart/related; boundary=R

--R
Content-Type: text/html; charset=windows-1252

${html}
--R
Content-Type: image/png; name=logo.png
Content-ID: <logo@x>
Content-Disposition: inline; filename=logo.png
Content-Transfer-Encoding: base64

iVBORw==
--R--
--A--
--M
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERg==
--M
Content-Type: message/rfc822
Content-Disposition: attachment

From: c@d.e
Subject: Inner
Content-Type: text/plain

inner body
--M--
`;
  const m = convert(msg);
  it('text, html with code page, native body', () => {
    expect(m.values.get(T.Body)).toBe('Hi');
    expect(m.values.get(T.Html)).toEqual(Buffer.from(html));
    expect(m.values.get(MT.InternetCodepage)).toBe(1252);
    expect(m.values.get(MT.NativeBody)).toBe(3);
  });
  it('inline image referenced by cid is hidden and rendered in body', () => {
    const img = m.attachments[0]!.values;
    expect(img.get(T.AttachMethod)).toBe(ATTACH_BY_VALUE);
    expect(img.get(T.AttachContentId)).toBe('logo@x');
    expect(img.get(MT.AttachmentHidden)).toBe(true);
    expect(img.get(MT.AttachFlags)).toBe(4);
    expect(img.get(T.AttachDataBinary)).toEqual(Buffer.from('89504e47', 'hex'));
    expect(img.get(T.AttachMimeTag)).toBe('image/png');
  });
  it('attachment by value with a RFC 2231 name', () => {
    const pdf = m.attachments[1]!.values;
    expect(pdf.get(T.AttachLongFilename)).toBe('résumé.pdf');
    expect(pdf.get(T.AttachFilename)).toBe('RSUM.PDF');
    expect(pdf.get(T.DisplayName)).toBe('résumé.pdf');
    expect(pdf.get(MT.AttachExtension)).toBe('.pdf');
    expect(pdf.get(MT.AttachSize)).toBe(4);
    expect(pdf.get(MT.AttachmentHidden)).toBeUndefined();
  });
  it('message/rfc822 becomes an embedded message', () => {
    const e = m.attachments[2]!;
    expect(e.values.get(T.AttachMethod)).toBe(ATTACH_EMBEDDED_MSG);
    expect(e.values.get(T.DisplayName)).toBe('Inner');
    expect(e.embedded?.values.get(T.Subject)).toBe('Inner');
    expect(e.embedded?.values.get(T.Body)).toBe('inner body'); // the line break before the delimiter belongs to it
    expect(e.embedded?.values.get(T.SentRepresentingSmtpAddress)).toBe('c@d.e');
    expect(m.attachments).toHaveLength(3);
  });
});

describe('edge cases', () => {
  it('an empty multipart gives no body and no attachment; a multipart without boundary is a text body', () => {
    const empty = convert('Subject: e\nContent-Type: multipart/mixed; boundary=b\n\n--b--\n');
    expect(empty.attachments).toEqual([]);
    expect(empty.values.get(T.Body)).toBeUndefined();
    const noBoundary = convert('Subject: e\nContent-Type: multipart/mixed\n\nhello');
    expect(noBoundary.values.get(T.Body)).toBe('hello');
    expect(noBoundary.warnings.length).toBeGreaterThan(0);
  });
  it('text attachments stay attachments; an unnamed part gets a display name but no file name', () => {
    const m = convert('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\nnotes\n--b\nContent-Type: image/gif\n\nGIF\n--b--\n');
    expect(m.values.get(T.Body)).toBe('body');
    expect(m.attachments.map((a) => [a.values.get(T.AttachLongFilename), a.values.get(T.DisplayName), String(a.values.get(T.AttachDataBinary))])).toEqual([
      ['notes.txt', 'notes.txt', 'notes'],
      [undefined, 'attachment.gif', 'GIF'],
    ]);
  });
});

describe('message classes', () => {
  it('meeting request keeps the calendar as an attachment', () => {
    const ics = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const m = convert(`Subject: m\nContent-Type: multipart/alternative; boundary=A\n\n--A\nContent-Type: text/plain\n\nInvite\n--A\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n${ics}\n--A--\n`);
    expect(m.values.get(T.MessageClass)).toBe('IPM.Schedule.Meeting.Request');
    expect(m.values.get(T.Body)).toBe('Invite');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]!.values.get(T.AttachMimeTag)).toBe('text/calendar');
    expect(String(m.attachments[0]!.values.get(T.AttachDataBinary))).toContain('METHOD:REQUEST');
  });
  it('multipart/signed passes the signed entity through untouched', () => {
    const signed = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nsigned text  \r\n';
    const raw = `From: a@b.c\r\nSubject: s\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary=S\r\n\r\n--S\r\n${signed}\r\n--S\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--S--\r\n`;
    const m = convert(Buffer.from(raw));
    expect(m.values.get(T.MessageClass)).toBe('IPM.Note.SMIME.MultipartSigned');
    expect(m.values.get(T.Body)).toBe('signed text  \r\n');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0]!.values;
    expect(a.get(T.AttachMimeTag)).toBe('multipart/signed');
    const data = String(a.get(T.AttachDataBinary));
    expect(data.startsWith('Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary=S\r\n\r\n--S\r\n')).toBe(true);
    expect(data).toContain(`--S\r\n${signed}\r\n--S\r\n`);
  });
  it('application/pkcs7-mime is IPM.Note.SMIME', () => {
    const m = convert('Subject: e\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nAQID\n');
    expect(m.values.get(T.MessageClass)).toBe('IPM.Note.SMIME');
    expect(m.attachments[0]!.values.get(T.AttachDataBinary)).toEqual(Buffer.from([1, 2, 3]));
    expect(m.values.get(T.Body)).toBeUndefined();
    const o = convert('Subject: e\nContent-Type: application/octet-stream; name="smime.p7m"\nContent-Transfer-Encoding: base64\n\nAQID\n');
    expect(o.values.get(T.MessageClass)).toBe('IPM.Note.SMIME');
    const plain = convert('Subject: e\nContent-Type: application/octet-stream; name="x.bin"\n\nzz');
    expect(plain.values.get(T.MessageClass)).toBe('IPM.Note');
  });
});

describe('round trip through the MIME writer (src/transport/mime.ts)', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 60 });
  const addr = fc.tuple(fc.stringMatching(/^[a-z0-9._]{1,10}$/), fc.constantFrom('example.org', 'b.example', 'xn--bcher-kva.example')).map(([l, d]) => `${l}@${d}`);
  const rcpt = fc.record({ type: fc.constantFrom(MAPI_TO, MAPI_CC), name: text, address: addr });
  const att = fc.record({ name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), data: fc.uint8Array({ maxLength: 300 }) });
  it('subject, bodies, recipients, attachment names and data survive', () => {
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), fc.array(rcpt, { maxLength: 4 }), fc.array(att, { maxLength: 3 }), (subject, body, html, rcpts, atts) => {
        const values = new Map<number, PropValue>([[T.Subject, subject]]);
        if (body !== undefined) values.set(T.Body, body);
        if (html !== undefined) values.set(T.Html, Buffer.from(html, 'utf8'));
        const recipients: RecipientRow[] = rcpts.map((r, i) => ({ rowId: i, recipientType: r.type, props: [{ tag: T.DisplayName, value: r.name }, { tag: T.SmtpAddress, value: r.address }] }));
        const attachments: LoadedAttachment[] = atts.map((a) => ({ values: new Map<number, PropValue>([[T.AttachMethod, 1], [T.AttachLongFilename, a.name], [T.AttachDataBinary, Buffer.from(a.data)]]) }));
        const loaded: LoadedMessage = { values, recipients, attachments };
        const byRow = new Map(rcpts.map((r, i) => [i, r]));
        const mime = buildMime(loaded, { from: { name: 'Me', address: 'me@example.org' }, date: new Date(0), messageId: '<x@y>', addressOf: (r) => byRow.get(r.rowId)! });
        const back = mimeToMapi(parseMime(mime));
        // the writer turns CR/LF in the subject into spaces; written as is (printable ASCII), the value loses its
        // surrounding blanks; written as encoded-words it keeps everything
        const subj = subject.replace(/[\r\n]+/g, ' ');
        expect(back.values.get(T.Subject) ?? '').toBe(subj);
        // PidTagBody comes back with CRLF line ends (the writer writes CRLF too)
        const nl = (s: string): string => s.replace(/\r\n|\r|\n/g, '\n');
        expect(nl(String(back.values.get(T.Body) ?? ''))).toBe(body === undefined ? '' : nl(body));
        if (html !== undefined) expect(back.values.get(T.Html)).toEqual(Buffer.from(html, 'utf8'));
        else expect(back.values.get(T.Html)).toBeUndefined();
        // the writer trims names; a name written bare (atext and spaces) has its space runs collapsed by any
        // RFC 5322 reader; quoted or encoded names keep their spaces; no name (or the address) -> the address
        const expectName = (r: { name: string; address: string }): string => {
          const n = r.name.replace(/[\r\n]+/g, ' ').trim();
          if (!n || n === r.address) return r.address;
          return n;
        };
        expect(back.recipients.map((r) => [r.recipientType, rowProp(r, T.SmtpAddress), rowProp(r, T.DisplayName)])).toEqual(
          [...rcpts.filter((r) => r.type === MAPI_TO), ...rcpts.filter((r) => r.type === MAPI_CC)].map((r) => [r.type, r.address, expectName(r)]),
        );
        expect(back.attachments.map((a) => [a.values.get(T.AttachLongFilename), a.values.get(T.AttachDataBinary)])).toEqual(atts.map((a) => [a.name, Buffer.from(a.data)]));
      }),
      { numRuns: 300 },
    );
  });
});

describe('conversion of damaged messages', () => {
  const seeds = corpus().map((m) => m.bytes);
  it('mutated corpus messages convert or fail with a MimeError', () => {
    const op = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'del', 'cut', 'dup'));
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(op, { maxLength: 10 }), (k, ops) => {
        let b = Buffer.from(seeds[k]!);
        for (const [at, v, kind] of ops) {
          const i = at % Math.max(1, b.length);
          if (kind === 'set') b[i] = v;
          else if (kind === 'del') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          else if (kind === 'cut') b = b.subarray(0, i);
          else b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + 64), b.subarray(i)]);
        }
        try {
          const m = mimeToMapi(parseMime(b, { maxDepth: 10, maxParts: 300 }));
          expect(m.values.get(T.MessageClass)).toMatch(/^IPM\./);
        } catch (e) {
          expect(e).toBeInstanceOf(MimeError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('pure-ASCII long text is kept as PtypString8', () => {
  const head = (ct: string) => `From: a@example.org\nTo: b@example.org\nSubject: s\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nContent-Type: ${ct}\n\n`;
  const BODY_A = 0x1000001e;
  const HEADERS_A = 0x007d001e;
  const ascii = 'The quarterly report is attached; please review it before Friday.\n'.repeat(20);

  it('an ASCII text body and ASCII headers of 64+ characters are PtypString8, with the same text', () => {
    const m = convert(head('text/plain; charset=us-ascii') + ascii);
    expect(m.values.get(BODY_A)).toBe(ascii.replace(/\n/g, '\r\n'));
    expect(m.values.has(T.Body)).toBe(false);
    expect(String(m.values.get(HEADERS_A))).toContain('Subject: s');
    expect(m.values.has(MT.TransportMessageHeaders)).toBe(false);
  });

  it('non-ASCII, NUL-bearing and short bodies stay PtypString', () => {
    const accented = convert(head('text/plain; charset=utf-8') + ascii + 'Café\n');
    expect(String(accented.values.get(T.Body))).toContain('Café');
    expect(accented.values.has(BODY_A)).toBe(false);
    const short = convert(head('text/plain') + 'Hello.\n');
    expect(short.values.get(T.Body)).toBe('Hello.\r\n');
    expect(short.values.has(BODY_A)).toBe(false);
    const nul = convert(Buffer.concat([crlf(head('text/plain; charset=us-ascii') + ascii), Buffer.from([0x41, 0x00, 0x42, 0x0d, 0x0a])]));
    expect(nul.values.has(BODY_A)).toBe(false);
  });

  it('an embedded message/rfc822 gets the same rule', () => {
    const b = 'XyZ';
    const m = convert(head(`multipart/mixed; boundary="${b}"`) + `--${b}\nContent-Type: text/plain\n\nsee attached\n--${b}\nContent-Type: message/rfc822\n\n` +
      head('text/plain; charset=us-ascii') + ascii + `--${b}--\n`);
    const emb = m.attachments.find((a) => a.embedded)?.embedded;
    // the line end before the closing boundary belongs to the boundary (RFC 2046 5.1.1)
    expect(emb?.values.get(BODY_A)).toBe(ascii.replace(/\n/g, '\r\n').slice(0, -2));
  });
});

describe('the text helpers give what the expressions they replaced gave', () => {
  // any mix of CR, LF, CRLF, NUL, ASCII, Latin-1, astral characters and lone surrogates
  const piece = fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\0', 'a', ' ', '\x7f', '\x80', 'é', '\u2028', '😀', '\ud800', '\udc00');
  const text = fc.array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 40 }).map((a) => a.join(''));

  it('crlf: every lone CR and LF becomes CRLF, CRLF stays (the earlier /\\r\\n|\\r|\\n/g replace)', () => {
    fc.assert(fc.property(text, (s) => toCrlf(s) === s.replace(/\r\n|\r|\n/g, '\r\n')), { numRuns: 2000 });
  });

  it('asciiText: every character in 0x01-0x7F (the earlier /^[\\x01-\\x7f]*$/)', () => {
    fc.assert(fc.property(text, (s) => asciiText(s) === /^[\x01-\x7f]*$/.test(s)), { numRuns: 2000 });
    expect(asciiText('plain text\r\n')).toBe(true);
    expect(asciiText('a\0b')).toBe(false);
    expect(asciiText('caf\u00e9')).toBe(false);
    expect(asciiText('\ud800')).toBe(false);
  });
});
