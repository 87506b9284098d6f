// A deterministic corpus of ~60 realistic RFC 5322 / MIME messages for test/mime/corpus.test.ts, written the way
// common mailers write them (Outlook, Thunderbird, Apple Mail, Gmail, mailing lists): non-ASCII subjects in many
// charsets (RFC 2047 B and Q), bodies in quoted-printable, base64, 7bit and 8bit, multipart/alternative,
// multipart/related inline images referenced by cid:, attachments with RFC 2231 and RFC 2047 names, folded headers,
// obsolete dates, address forms, a calendar invitation, multipart/signed S/MIME (fake signature bytes),
// message/rfc822 forwards and a missing final boundary. Legacy-charset bytes are literal hex (Node has no encoder
// for them); everything else is built here, independently of src/transport/mime.ts.
import { partFilename, type MimePart } from '../../src/mime/parse.js';

// Python's get_content() keeps the line ends as parsed while PidTagBody always has CRLF: compare with LF.
export const lf = (s: string): string => s.replace(/\r\n/g, '\n');

/** File names of the leaves (and message/rfc822 parts) of a MIME tree, as judge.py lists them. */
export function leafNames(p: MimePart, out: string[] = []): string[] {
  const n = partFilename(p);
  if (p.message || p.parts.length === 0) {
    if (n !== undefined) out.push(n);
  } else for (const c of p.parts) leafNames(c, out);
  return out;
}

/** What test/mime/judge.py (Python's email package) prints for one message. */
export interface Judged {
  subject: string | null;
  from: [string, string][];
  to: [string, string][];
  cc: [string, string][];
  date: number | null;
  text: string | null;
  html: string | null;
  files: string[];
}

export interface CorpusMessage {
  name: string;
  bytes: Buffer;
}

/** [charset, text, the text's bytes in that charset (hex)]. */
const CHARSETS: [string, string, string][] = [
  ['iso-8859-1', 'Café crème à la française', '436166e9206372e86d6520e0206c61206672616ee761697365'],
  ['iso-8859-2', 'Zażółć gęślą jaźń', '5a61bff3b3e62067eab66cb1206a61bcf1'],
  ['iso-8859-15', 'Prix: 15 € net', '507269783a20313520a4206e6574'],
  ['koi8-r', 'Привет, мир', 'f0d2c9d7c5d42c20cdc9d2'],
  ['windows-1251', 'Отчёт за квартал', 'cef2f7b8f220e7e020eae2e0f0f2e0eb'],
  ['windows-1252', '“Smart” quotes – €100', '93536d617274942071756f74657320962080313030'],
  ['shift_jis', '会議の議事録', '89ef8b6382cc8b638e96985e'],
  ['iso-2022-jp', '日本語のメール本文です', '1b2442467c4b5c386c244e2561213c256b4b5c4a38244724391b2842'],
  ['gb2312', '你好世界', 'c4e3bac3cac0bde7'],
  ['big5', '繁體中文測試', 'c163c5e9a4a4a4e5b4fab8d5'],
  ['euc-kr', '안녕하세요', 'bec8b3e7c7cfbcbcbfe4'],
  ['iso-8859-7', 'Καλημέρα', 'cae1ebe7ecddf1e1'],
  ['windows-1250', 'Příliš žluťoučký kůň', '50f8ed6c699a209e6c759d6f75e86bfd206bf9f2'],
];

const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');

function b64(b: Buffer, width = 76): string {
  const s = b.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < s.length; i += width) out.push(s.slice(i, i + width));
  return out.join('\r\n');
}

/** Quoted-printable of bytes whose line breaks are CRLF (RFC 2045 6.7), lines at most 76 characters. */
function qp(b: Buffer): string {
  const lines: string[] = [];
  for (const line of b.toString('latin1').split('\r\n')) {
    let cur = '';
    const bytes = Buffer.from(line, 'latin1');
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      const last = i === bytes.length - 1;
      const enc = (c >= 33 && c <= 126 && c !== 61) || (c === 32 && !last) ? String.fromCharCode(c) : '=' + c.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + enc.length > 75) {
        lines.push(cur + '=');
        cur = '';
      }
      cur += enc;
    }
    lines.push(cur);
  }
  return lines.join('\r\n');
}

/** One RFC 2047 encoded-word. */
function ew(charset: string, bytes: Buffer, kind: 'B' | 'Q'): string {
  if (kind === 'B') return `=?${charset}?B?${bytes.toString('base64')}?=`;
  let s = '';
  for (const c of bytes) s += (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? String.fromCharCode(c) : c === 0x20 ? '_' : '=' + c.toString(16).toUpperCase().padStart(2, '0');
  return `=?${charset}?Q?${s}?=`;
}

/** RFC 2231 extended value of UTF-8 text. */
function pct(s: string): string {
  return [...u8(s)].map((b) => (/[A-Za-z0-9.\-_]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');
}

/** A small deterministic generator (LCG) so the corpus is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');

function msg(headers: string[], body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

const FROMS = [
  'Alice Example <alice@example.org>',
  '"Bloggs, Joe" <joe.bloggs@example.com>',
  '=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.de>',
  'carol@example.net',
  '"=?iso-8859-1?Q?Ren=E9_Dupont?=" <rene@example.fr>',
];
const DATES = ['Tue, 1 Jul 2003 10:52:37 +0200', 'Mon, 24 Nov 2025 14:22:01 -0500', 'Wed, 05 Mar 2025 12:00:00 GMT', 'Fri, 21 Nov 1997 09:55 -0600', '3 Jan 2024 08:00:00 +0900'];

export function corpus(): CorpusMessage[] {
  const out: CorpusMessage[] = [];
  const r = rng(20261127);
  const pick = <X>(a: readonly X[]): X => a[Math.floor(r() * a.length)]!;
  const base = (i: number, subject: string, extra: string[] = []): string[] => [
    `From: ${FROMS[i % FROMS.length]}`,
    `To: Bob <bob@example.org>${i % 3 === 0 ? ', "Dana D." <dana@example.org>' : ''}`,
    ...(i % 4 === 1 ? ['Cc: team@example.org, =?utf-8?q?Zo=C3=AB?= <zoe@example.org>'] : []),
    `Subject: ${subject}`,
    `Date: ${DATES[i % DATES.length]}`,
    `Message-ID: <corpus.${i}@example.org>`,
    'MIME-Version: 1.0',
    ...extra,
  ];

  // A. subjects and single-part bodies in 13 charsets, transfer encodings rotating
  CHARSETS.forEach(([cs, text, hex], i) => {
    const bytes = Buffer.from(hex, 'hex');
    const body = Buffer.concat([bytes, Buffer.from('\r\nSecond line.\r\n', 'latin1'), bytes, Buffer.from('\r\n', 'latin1')]);
    const cte = cs === 'iso-2022-jp' ? '7bit' : (['quoted-printable', 'base64', '8bit'] as const)[i % 3]!;
    const encoded = cte === 'quoted-printable' ? Buffer.from(qp(body) + '\r\n') : cte === 'base64' ? Buffer.from(b64(body) + '\r\n') : body;
    out.push({
      name: `charset-${cs}`,
      bytes: msg(base(i, `${ew(cs, bytes, i % 2 ? 'Q' : 'B')} (${text.length})`, [`Content-Type: text/plain; charset=${cs}`, `Content-Transfer-Encoding: ${cte}`]), encoded),
    });
  });

  // B. multipart/alternative text + html
  for (let i = 0; i < 5; i++) {
    const words = ['Meeting', 'notes', 'für', 'naïve', 'café', 'déjà', 'vu', 'Grüße', 'Łódź', '€'];
    const text = Array.from({ length: 30 + i * 20 }, () => pick(words)).join(' ') + '\r\n-- \r\nSig';
    const html = `<html><body><p>${text.replace(/\r\n/g, '<br>')}</p></body></html>`;
    const b = `----=_Part_${i}_alt`;
    const tcte = i % 2 ? 'base64' : 'quoted-printable';
    const enc = (s: string): string => (tcte === 'base64' ? b64(u8(s)) : qp(u8(s)));
    const body = `This is a multi-part message in MIME format.\r\n\r\n--${b}\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: ${tcte}\r\n\r\n${enc(text)}\r\n--${b}\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: ${tcte}\r\n\r\n${enc(html)}\r\n--${b}--\r\n`;
    out.push({ name: `alternative-${i}`, bytes: msg(base(i, `Alternative ${i}: ${ew('utf-8', u8('résumé'), 'Q')}`, [`Content-Type: multipart/alternative;\r\n\tboundary="${b}"`]), body) });
  }

  // C. mixed > alternative > related with inline images referenced by cid:, plus an attachment
  for (let i = 0; i < 4; i++) {
    const cid = `image00${i}.png@01DA${i}F00.ABCDEF0${i}`;
    const html = `<html><body><p>Logo:</p><img src="cid:${cid}" alt="logo"><p>Bye ${i}</p></body></html>`;
    const body =
      `--mixed${i}\r\nContent-Type: multipart/alternative; boundary="alt${i}"\r\n\r\n--alt${i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nLogo:\r\n[logo]\r\nBye ${i}\r\n` +
      `--alt${i}\r\nContent-Type: multipart/related; boundary="rel${i}"; type="text/html"\r\n\r\n--rel${i}\r\nContent-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(u8(html))}\r\n` +
      `--rel${i}\r\nContent-Type: image/png; name="image00${i}.png"\r\nContent-Description: image00${i}.png\r\nContent-Disposition: inline; filename="image00${i}.png"; size=${PNG.length}\r\nContent-ID: <${cid}>\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(PNG)}\r\n--rel${i}--\r\n\r\n--alt${i}--\r\n` +
      `--mixed${i}\r\nContent-Type: application/pdf; name="report-${i}.pdf"\r\nContent-Disposition: attachment; filename="report-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(PDF)}\r\n--mixed${i}--\r\n`;
    out.push({ name: `related-${i}`, bytes: msg(base(i + 1, `Inline image ${i}`, [`Content-Type: multipart/mixed; boundary="mixed${i}"`]), body) });
  }

  // D. attachment names: RFC 2231 (UTF-8, latin1, continuations), RFC 2047 in quoted strings, plain with spaces
  const names: [string, string][] = [
    ['Übersicht 2025.pdf', `Content-Type: application/pdf; name*=utf-8''${pct('Übersicht 2025.pdf')}\r\nContent-Disposition: attachment; filename*=utf-8''${pct('Übersicht 2025.pdf')}`],
    ['été.txt', `Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename*=iso-8859-1'fr'%E9t%E9.txt`],
    ['日本語の長いファイル名の添付ファイル.pdf', `Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''${pct('日本語の長いファイル')};\r\n filename*1*=${pct('名の添付ファイル')};\r\n filename*2=".pdf"`],
    ['Résumé final.pdf', `Content-Type: application/pdf; name="${ew('utf-8', u8('Résumé final.pdf'), 'B')}"\r\nContent-Disposition: attachment; filename="${ew('utf-8', u8('Résumé final.pdf'), 'B')}"`],
    ['Zażółć.docx', `Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n name="${ew('iso-8859-2', Buffer.from('5a61bff3b3e62e646f6378', 'hex'), 'Q')}"\r\nContent-Disposition: attachment;\r\n filename="${ew('iso-8859-2', Buffer.from('5a61bff3b3e62e646f6378', 'hex'), 'Q')}"`],
    ['Quarterly report (final).xlsx', `Content-Type: application/vnd.ms-excel; name="Quarterly report (final).xlsx"\r\nContent-Disposition: attachment; filename="Quarterly report (final).xlsx"`],
    ['data.csv', `Content-Type: text/csv; name=data.csv\r\nContent-Disposition: attachment; filename=data.csv`],
    ['Отчёт.zip', `Content-Type: application/zip; name="${ew('koi8-r', Buffer.from('efd4dea3d4', 'hex'), 'B')}.zip"\r\nContent-Disposition: attachment; filename*=koi8-r''%EF%D4%DE%A3%D4.zip`],
  ];
  names.forEach(([, headers], i) => {
    const data = i % 2 ? PDF : Buffer.from(Array.from({ length: 200 + i * 37 }, (_, k) => (k * 7 + i) & 0xff));
    const body = `--att${i}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSee attached (${i}) – thanks.\r\n--att${i}\r\n${headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(data)}\r\n--att${i}--\r\n`;
    out.push({ name: `attachment-name-${i}`, bytes: msg(base(i + 2, `Attachment ${i}`, [`Content-Type: multipart/mixed; boundary="att${i}"`]), body) });
  });

  // E. calendar invitations (Outlook style: alternative text + text/calendar METHOD:REQUEST)
  for (let i = 0; i < 3; i++) {
    const ics = `BEGIN:VCALENDAR\r\nMETHOD:${i === 2 ? 'CANCEL' : 'REQUEST'}\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:corpus-${i}@example.org\r\nSUMMARY;LANGUAGE=de-DE:Besprechung ${i}\r\nDTSTART:2025031${i}T090000Z\r\nDTEND:2025031${i}T100000Z\r\nORGANIZER;CN=Alice:mailto:alice@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const body = `--cal${i}\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(u8(`Wann: 1${i}. März 2025 10:00-11:00\r\nWo: Raum ${i}`))}\r\n--cal${i}\r\nContent-Type: text/calendar; charset="utf-8"; method=${i === 2 ? 'CANCEL' : 'REQUEST'}${i === 1 ? '; name="invite.ics"' : ''}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(u8(ics))}\r\n--cal${i}--\r\n`;
    out.push({ name: `calendar-${i}`, bytes: msg(base(i, `Einladung: Besprechung ${i}`, [`Content-Type: multipart/alternative; boundary="cal${i}"`]), body) });
  }

  // F. multipart/signed S/MIME (fake signature bytes)
  for (let i = 0; i < 3; i++) {
    const inner =
      i === 0
        ? `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(u8('Signed message – bitte prüfen.\r\n'))}`
        : `Content-Type: multipart/mixed; boundary="in${i}"\r\n\r\n--in${i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSigned with attachment ${i}\r\n--in${i}\r\nContent-Type: application/pdf; name="signed-${i}.pdf"\r\nContent-Disposition: attachment; filename="signed-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(PDF)}\r\n--in${i}--\r\n`;
    const sig = Buffer.from(Array.from({ length: 300 }, (_, k) => (k * 31 + i) & 0xff));
    const body = `This is a cryptographically signed message in MIME format.\r\n\r\n--sig${i}\r\n${inner}\r\n--sig${i}\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n${b64(sig, 64)}\r\n--sig${i}--\r\n`;
    out.push({ name: `signed-${i}`, bytes: msg(base(i, `Signed ${i}`, [`Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n\tboundary="sig${i}"`]), body) });
  }

  // G. forwards as message/rfc822
  for (let i = 0; i < 4; i++) {
    const inner = Buffer.concat([
      msg([`From: Original Sender <orig${i}@example.com>`, 'To: alice@example.org', `Subject: ${ew('utf-8', u8(`Ursprüngliche Nachricht ${i}`), 'B')}`, 'Date: Mon, 3 Feb 2025 08:00:00 +0100', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], `Inner body ${i} – äöü\r\n`),
    ]);
    const disp = i % 2 ? `Content-Disposition: attachment; filename="forwarded-${i}.eml"` : 'Content-Disposition: inline';
    const body = `--fwd${i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nForwarding ${i}.\r\n--fwd${i}\r\nContent-Type: message/rfc822\r\n${disp}\r\n\r\n${inner.toString('latin1')}\r\n--fwd${i}--\r\n`;
    out.push({ name: `forward-${i}`, bytes: msg(base(i, `Fwd: ${ew('utf-8', u8(`Ursprüngliche Nachricht ${i}`), 'Q')}`, [`Content-Type: multipart/mixed; boundary="fwd${i}"`]), Buffer.from(body, 'latin1')) });
  }

  // H. missing final boundary (truncated by a broken mailer)
  for (let i = 0; i < 3; i++) {
    const body = `--trunc${i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFirst part ${i}\r\n--trunc${i}\r\nContent-Type: application/octet-stream; name="blob${i}.bin"\r\nContent-Disposition: attachment; filename="blob${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from([1, 2, 3, 4, 5, i]))}\r\n`;
    out.push({ name: `missing-final-boundary-${i}`, bytes: msg(base(i, `Truncated ${i}`, [`Content-Type: multipart/mixed; boundary="trunc${i}"`]), body) });
  }

  // I. dates in obsolete and unusual forms
  ['Mon, 24 Nov 97 14:22:01 EST', 'Sun, 2 Mar 2025 23:59:59 PST', '2 Mar 2025 23:59 +0100', 'Thu, 13 Feb 1969 23:32:54 -0330', 'Tue, 01 Apr 2025 07:05:00 +0000 (UTC)'].forEach((d, i) => {
    out.push({ name: `date-${i}`, bytes: msg([`From: dates@example.org`, 'To: bob@example.org', `Subject: Date ${i}`, `Date: ${d}`], `Date test ${i}\r\n`) });
  });

  // J. address forms
  [
    ['To: "Doe, Jane" <jane@example.org>, john@example.org', 'Cc: "=?utf-8?B?w4ltaWxl?=" <emile@example.fr>'],
    ['To: Team: ann@example.org, "Bo B" <bo@example.org>;', 'Cc: undisclosed-recipients:;'],
    ['To: =?iso-8859-1?Q?Fran=E7ois?= <francois@example.fr>,\r\n =?utf-8?B?5bGx55Sw5aSq6YOO?= <yamada@example.jp>', 'Cc: <bare@example.org>'],
    ['To: "Joe \\"JJ\\" Smith" <joe@example.org>', 'Cc: Mary Smith <mary@x.test>, jdoe@one.test'],
    ['To: Pat <pat@bücher.example>', 'Cc: Chris Jones <c@a.test>'],
    ['To: a@example.org, b@example.org, c@example.org, d@example.org,\r\n\te@example.org, f@example.org', 'Cc: "O\'Brien, Sean" <sean@example.ie>'],
  ].forEach(([to, cc], i) => {
    out.push({ name: `address-${i}`, bytes: msg([`From: ${FROMS[(i + 2) % FROMS.length]}`, to!, cc!, `Subject: Addresses ${i}`, 'Date: Wed, 05 Mar 2025 12:00:00 +0000', 'Content-Type: text/plain; charset=utf-8'], `Addresses ${i}\r\n`) });
  });

  // K. folded headers: long subjects folded between words and between encoded-words
  for (let i = 0; i < 3; i++) {
    const long = `Re: Quarterly planning for the ${i}rd period, including budget review and\r\n staffing, vendor contracts, and the offsite`;
    const words = u8('Längere Betreffzeile mit Umlauten: äöü ÄÖÜ ß und noch mehr Text');
    const subj = i === 0 ? long : i === 1 ? `${ew('utf-8', words.subarray(0, 30), 'B')}\r\n ${ew('utf-8', words.subarray(30), 'B')}` : `AW: ${ew('iso-8859-1', Buffer.from('Gr\xfc\xdfe', 'latin1'), 'Q')}\r\n\t${ew('iso-8859-1', Buffer.from(' aus M\xfcnchen', 'latin1'), 'Q')}`;
    out.push({ name: `folded-${i}`, bytes: msg(base(i, subj, ['Content-Type: text/plain;\r\n charset="us-ascii"']), `Folded ${i}\r\n`) });
  }

  // L. windows-1252 QP text and html
  for (let i = 0; i < 2; i++) {
    const t = Buffer.from('93536d617274942071756f74657320962080313030', 'hex');
    const body = `--w${i}\r\nContent-Type: text/plain; charset="Windows-1252"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(Buffer.concat([t, Buffer.from('\r\nCaf\xe9\r\n', 'latin1')]))}\r\n--w${i}\r\nContent-Type: text/html; charset="Windows-1252"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(Buffer.concat([Buffer.from('<p>'), t, Buffer.from('</p>')]))}\r\n--w${i}--\r\n`;
    out.push({ name: `windows-1252-${i}`, bytes: msg(base(i, ew('windows-1252', t, 'Q'), [`Content-Type: multipart/alternative; boundary="w${i}"`]), body) });
  }
  return out;
}
