// The IMAP-store form of the MIME writer (src/transport/mime.ts buildMimeForStore, issue 8) and the header folding
// fixes: a LoadedMessage written and parsed back with src/mime/to-mapi.ts (mimeToMapi) gives the same values for
// every property the store form carries (fast-check and fixed cases); Python's email package (policy.default) reads
// every message written without defects (test/transport/check_eml.py); no header line passes 998 characters and
// lines made of short words stay within 78.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PropValue } from '../../src/mapi/props.js';
import { ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type RecipientRow } from '../../src/mapistore/types.js';
import { parseMime } from '../../src/mime/parse.js';
import { MT } from '../../src/mime/tags.js';
import { mimeToMapi } from '../../src/mime/to-mapi.js';
import { buildMime, buildMimeForStore, type LoadedAttachment, type LoadedMessage, type StoreMimeOptions } from '../../src/transport/mime.js';
import { formatAddress, mimeParamPieces } from '../../src/transport/mime-encode.js';
import { T, filetimeNow } from '../../src/transport/tags.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const emlDir = mkdtempSync(path.join(tmpdir(), 'ocng-mime-store-'));
afterAll(() => rmSync(emlDir, { recursive: true, force: true }));
let emlCount = 0;
/** Keeps a written message for the Python check; returns its file name. */
function keep(mime: Buffer): string {
  const name = `m${String(emlCount++).padStart(5, '0')}.eml`;
  writeFileSync(path.join(emlDir, name), mime);
  return name;
}

interface PyInfo {
  defects: string[];
  subject: string | null;
  from: string | null;
  sender: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  message_id: string | null;
  content_language: string | null;
  addresses: Record<'from' | 'sender' | 'to' | 'cc' | 'bcc', string[]>;
  files: { type: string; filename: string | null; size: number }[];
}
function pythonCheck(): Record<string, PyInfo> {
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'check_eml.py'), emlDir], { maxBuffer: 256 * 1024 * 1024 });
  expect(r.status, r.stderr.toString()).toBe(0);
  return JSON.parse(r.stdout.toString()) as Record<string, PyInfo>;
}

const opts: StoreMimeOptions = { domain: 'mail.example.org', now: new Date(Date.UTC(2026, 10, 27, 12, 0, 0)) };
const PidTagConversationIndex = 0x00710102;
const PidTagConversationTopic = 0x0070001f;
const PidTagMessageLocaleId = 0x3ff10003;

function headerBlock(mime: Buffer): string[] {
  const s = mime.toString('latin1');
  return s.slice(0, s.indexOf('\r\n\r\n')).split('\r\n');
}
/** Every line of the message (header blocks of parts included) within 998 characters, CRLF line ends only. */
function expectLinesOk(mime: Buffer): void {
  const s = mime.toString('latin1');
  expect(/\r(?!\n)|(?<!\r)\n/.test(s)).toBe(false);
  for (const line of s.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
}

function stored(m: LoadedMessage, o: StoreMimeOptions = opts): { mime: Buffer; messageId: string; generated: boolean } {
  const r = buildMimeForStore(m, o);
  if (r.kind !== 'mime') throw new Error(`expected MIME, got ${r.kind}`);
  return { mime: r.mime, messageId: r.messageId, generated: r.generatedMessageId };
}

const rowProp = (r: RecipientRow, tag: number): PropValue | undefined => r.props.find((p) => p.tag === tag)?.value;
const row = (i: number, type: number, name: string, address: string): RecipientRow => ({
  rowId: i,
  recipientType: type,
  props: [
    { tag: T.RecipientType, value: type },
    { tag: T.DisplayName, value: name },
    { tag: T.AddressType, value: 'SMTP' },
    { tag: T.EmailAddress, value: address },
    { tag: T.SmtpAddress, value: address },
  ],
});

// ---- generators -----------------------------------------------------------------------------------------------------

/** Characters that stress the encoders: specials, `=?`, quotes, tabs, non-ASCII incl. astral, plus printable ASCII. */
const ch = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(' ', ' ', '=?', '?=', '=?utf-8?q?A?=', '=?UTF-8?B?QQ==?=', '"', '\\', ',', ';', ':', '<', '>', '(', ')', '@', '\t', 'é', 'ß', 'Ω', '中文', '😀', 'ﬀ') },
);
const text = (max: number, min = 0) => fc.array(ch, { minLength: min, maxLength: max }).map((a) => a.join(''));
/** A word list that makes a long printable header (folding). */
const longWords = fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), { minLength: 0, maxLength: 60 }).map((w) => w.join(' '));
const address = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,6}([._-][a-z0-9]{1,5}){0,2}$/), fc.constantFrom('example.org', 'b.example', 'xn--bcher-kva.example')).map(([l, d]) => `${l}@${d}`);
const person = fc.record({ name: text(30), address });
const msgId = fc.tuple(fc.stringMatching(/^[A-Za-z0-9$_-]{1,12}(\.[A-Za-z0-9$_-]{1,10}){0,2}$/), fc.constantFrom('example.org', 'host.b.example')).map(([l, d]) => `<${l}@${d}>`);
const cidArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}@[a-z]{1,8}$/);
const mimeType = fc.constantFrom('application/pdf', 'image/png', 'application/octet-stream', 'text/plain', 'application/vnd.ms-excel');
const attArb = fc.record({
  name: text(120, 1).filter((s) => s.trim() !== ''),
  data: fc.uint8Array({ maxLength: 400 }),
  type: mimeType,
  inline: fc.boolean(),
  cid: cidArb,
  location: fc.option(fc.constantFrom('http://example.org/a.png', 'logo.png'), { nil: undefined }),
});
const filetime = fc.integer({ min: Date.UTC(1980, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 }).map((s) => filetimeNow(s * 1000));

interface Gen {
  subject: string;
  body: string | undefined;
  html: string | undefined;
  from: { name: string; address: string };
  sender: { name: string; address: string } | undefined;
  to: { name: string; address: string }[];
  cc: { name: string; address: string }[];
  bcc: { name: string; address: string }[];
  atts: { name: string; data: Uint8Array; type: string; inline: boolean; cid: string; location: string | undefined }[];
  embedded: { subject: string; body: string; display: string | undefined; from: { name: string; address: string }; to: { name: string; address: string }[]; id: string | undefined; time: bigint | undefined } | undefined;
  importance: number;
  sensitivity: number;
  messageId: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  index: Uint8Array | undefined;
  topic: string | undefined;
  time: bigint | undefined;
}

const genArb: fc.Arbitrary<Gen> = fc.record({
  subject: fc.oneof(text(80), longWords),
  body: fc.option(fc.oneof(text(200), fc.array(text(40), { maxLength: 5 }).map((l) => l.join('\n'))), { nil: undefined }),
  html: fc.option(text(200), { nil: undefined }),
  from: person,
  sender: fc.option(person, { nil: undefined }),
  to: fc.array(person, { maxLength: 4 }),
  cc: fc.array(person, { maxLength: 3 }),
  bcc: fc.array(person, { maxLength: 3 }),
  atts: fc.array(attArb, { maxLength: 3 }),
  embedded: fc.option(
    fc.record({ subject: text(40), body: text(60), display: fc.option(text(40, 1).filter((s) => s.trim() !== ''), { nil: undefined }), from: person, to: fc.array(person, { maxLength: 2 }), id: fc.option(msgId, { nil: undefined }), time: fc.option(filetime, { nil: undefined }) }),
    { nil: undefined },
  ),
  importance: fc.constantFrom(0, 1, 2),
  sensitivity: fc.constantFrom(0, 1, 2, 3),
  messageId: fc.option(msgId, { nil: undefined }),
  inReplyTo: fc.option(msgId, { nil: undefined }),
  references: fc.array(msgId, { maxLength: 40 }),
  index: fc.option(fc.uint8Array({ minLength: 22, maxLength: 120 }), { nil: undefined }),
  topic: fc.option(text(60, 1).filter((s) => s.trim() !== ''), { nil: undefined }),
  time: fc.option(filetime, { nil: undefined }),
});

function partyValues(prefix: 'Sender' | 'SentRepresenting', p: { name: string; address: string }): [number, PropValue][] {
  const t = T as Record<string, number>;
  return [
    [t[`${prefix}Name`]!, p.name],
    [t[`${prefix}AddressType`]!, 'SMTP'],
    [t[`${prefix}EmailAddress`]!, p.address],
    [t[`${prefix}SmtpAddress`]!, p.address],
  ];
}

function loadedOf(g: Gen): LoadedMessage {
  const values = new Map<number, PropValue>([[T.MessageClass, 'IPM.Note'], [T.Subject, g.subject], [T.Importance, g.importance], [T.Sensitivity, g.sensitivity]]);
  for (const [t, v] of partyValues('SentRepresenting', g.from)) values.set(t, v);
  for (const [t, v] of partyValues('Sender', g.sender ?? g.from)) values.set(t, v);
  if (g.body !== undefined) values.set(T.Body, g.body);
  const inline = g.atts.filter((a) => a.inline);
  if (g.html !== undefined) {
    const imgs = inline.map((a) => `<img src="cid:${a.cid}">`).join('');
    values.set(T.Html, Buffer.from(`<html><body>${g.html}${imgs}</body></html>`, 'utf8'));
    values.set(MT.InternetCodepage, 65001);
  }
  if (g.messageId) values.set(T.InternetMessageId, g.messageId);
  if (g.inReplyTo) values.set(T.InReplyToId, g.inReplyTo);
  if (g.references.length > 0) values.set(T.InternetReferences, g.references.join(' '));
  if (g.index) values.set(PidTagConversationIndex, Buffer.from(g.index));
  if (g.topic) values.set(PidTagConversationTopic, g.topic);
  if (g.time !== undefined) values.set(T.ClientSubmitTime, g.time);
  let n = 0;
  const recipients = [
    ...g.to.map((p) => row(n++, MAPI_TO, p.name, p.address)),
    ...g.cc.map((p) => row(n++, MAPI_CC, p.name, p.address)),
    ...g.bcc.map((p) => row(n++, MAPI_BCC, p.name, p.address)),
  ];
  const attachments: LoadedAttachment[] = g.atts.map((a) => {
    const v = new Map<number, PropValue>([
      [T.AttachMethod, ATTACH_BY_VALUE], [T.AttachLongFilename, a.name], [T.DisplayName, a.name], [T.AttachDataBinary, Buffer.from(a.data)],
      [T.AttachMimeTag, a.type], [T.AttachContentId, a.cid],
    ]);
    if (a.inline) {
      v.set(MT.AttachFlags, 0x04);
      v.set(MT.AttachmentHidden, true);
    }
    if (a.location) v.set(MT.AttachContentLocation, a.location);
    return { values: v };
  });
  if (g.embedded) {
    const e = g.embedded;
    const ev = new Map<number, PropValue>([[T.MessageClass, 'IPM.Note'], [T.Subject, e.subject], [T.Body, e.body], ...partyValues('SentRepresenting', e.from), ...partyValues('Sender', e.from)]);
    if (e.id) ev.set(T.InternetMessageId, e.id);
    if (e.time !== undefined) ev.set(T.ClientSubmitTime, e.time);
    const av = new Map<number, PropValue>([[T.AttachMethod, ATTACH_EMBEDDED_MSG]]);
    if (e.display) av.set(T.DisplayName, e.display);
    attachments.push({ values: av, embedded: { values: ev, recipients: e.to.map((p, i) => row(i, MAPI_TO, p.name, p.address)), attachments: [] } });
  }
  return { values, recipients, attachments };
}

// ---- expected values after a round trip -----------------------------------------------------------------------------

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');
/** A display name as read back: the writer trims it (and drops CR/LF); none (or the address itself) reads back as the address. */
const nameBack = (p: { name: string; address: string }): string => oneLine(p.name).trim() || p.address;
const crlf = (s: string): string => s.replace(/\r\n|\r|\n/g, '\r\n');
const secs = (ft: bigint): bigint => (ft / 10_000_000n) * 10_000_000n;
const people = (rows: RecipientRow[], type: number) =>
  rows.filter((r) => r.recipientType === type).map((r) => ({ name: rowProp(r, T.DisplayName), address: rowProp(r, T.SmtpAddress) }));

const BODY_A = 0x1000001e;

function checkRoundTrip(g: Gen, mime: Buffer, messageId: string): void {
  const back = mimeToMapi(parseMime(mime));
  const v = back.values;
  expect(v.get(T.Subject)).toBe(oneLine(g.subject));
  // a message without any body gets an empty text/plain part (so it has a body to show): PidTagBody '' back
  // either width: pure-ASCII text of 64+ characters comes back as PtypString8 (src/mime/to-mapi.ts narrowAscii)
  expect(v.get(T.Body) ?? v.get(BODY_A)).toBe(g.body === undefined ? (g.html === undefined && g.atts.length === 0 && !g.embedded ? '' : undefined) : crlf(g.body));
  if (g.html !== undefined) {
    expect((v.get(T.Html) as Buffer).toString('utf8')).toContain(g.html);
    expect(v.get(MT.InternetCodepage)).toBe(65001);
  } else expect(v.get(T.Html)).toBeUndefined();
  expect(v.get(T.SentRepresentingName)).toBe(nameBack(g.from));
  expect(v.get(T.SentRepresentingSmtpAddress)).toBe(g.from.address);
  const sender = g.sender && g.sender.address.toLowerCase() !== g.from.address.toLowerCase() ? g.sender : g.from;
  expect(v.get(T.SenderName)).toBe(nameBack(sender));
  expect(v.get(T.SenderSmtpAddress)).toBe(sender.address);
  for (const [list, type] of [[g.to, MAPI_TO], [g.cc, MAPI_CC], [g.bcc, MAPI_BCC]] as const) {
    expect(people(back.recipients, type)).toEqual(list.map((p) => ({ name: nameBack(p), address: p.address })));
  }
  expect(v.get(T.InternetMessageId)).toBe(g.messageId ?? messageId);
  expect(v.get(T.InReplyToId)).toBe(g.inReplyTo);
  expect(v.get(T.InternetReferences)).toBe(g.references.length > 0 ? g.references.join(' ') : undefined);
  expect(v.get(T.ClientSubmitTime)).toBe(g.time !== undefined ? secs(g.time) : filetimeNow(opts.now!.getTime()));
  expect(v.get(T.Importance)).toBe(g.importance);
  expect(v.get(T.Sensitivity)).toBe(g.sensitivity);
  expect(v.get(MT.ConversationIndex)).toEqual(g.index ? Buffer.from(g.index) : undefined);
  if (g.topic) expect(v.get(MT.ConversationTopic)).toBe(oneLine(g.topic));
  // attachments: the inline ones (in multipart/related beside the HTML) first, then the others in order
  const related = g.html !== undefined ? g.atts.filter((a) => a.inline) : [];
  const rest = g.atts.filter((a) => !related.includes(a));
  const expected = [...related, ...rest];
  const byValue = back.attachments.filter((a) => !a.embedded);
  expect(byValue).toHaveLength(expected.length);
  byValue.forEach((a, i) => {
    const e = expected[i]!;
    expect(a.values.get(T.AttachLongFilename)).toBe(e.name);
    expect(a.values.get(T.DisplayName)).toBe(e.name);
    expect(a.values.get(T.AttachDataBinary)).toEqual(Buffer.from(e.data));
    expect(a.values.get(T.AttachMimeTag)).toBe(e.type);
    expect(a.values.get(T.AttachContentId)).toBe(e.cid);
    expect(a.values.get(MT.AttachContentLocation)).toBe(e.location);
    const hidden = related.includes(e);
    expect(a.values.get(MT.AttachmentHidden)).toBe(hidden ? true : undefined);
    expect(a.values.get(MT.AttachFlags)).toBe(hidden ? 0x04 : undefined);
  });
  const emb = back.attachments.filter((a) => a.embedded);
  expect(emb).toHaveLength(g.embedded ? 1 : 0);
  if (g.embedded) {
    const e = g.embedded;
    const a = emb[0]!;
    const ev = a.embedded!.values;
    expect(a.values.get(T.AttachMethod)).toBe(ATTACH_EMBEDDED_MSG);
    expect(a.values.get(T.DisplayName)).toBe(e.display ?? oneLine(e.subject));
    expect(ev.get(T.Subject)).toBe(oneLine(e.subject));
    expect(ev.get(T.Body)).toBe(crlf(e.body));
    expect(ev.get(T.SentRepresentingSmtpAddress)).toBe(e.from.address);
    expect(ev.get(T.SentRepresentingName)).toBe(nameBack(e.from));
    expect(ev.get(T.InternetMessageId)).toBe(e.id);
    expect(ev.get(T.ClientSubmitTime)).toBe(e.time !== undefined ? secs(e.time) : undefined);
    expect(people(a.embedded!.recipients, MAPI_TO)).toEqual(e.to.map((p) => ({ name: nameBack(p), address: p.address })));
  }
}

// ---- tests ----------------------------------------------------------------------------------------------------------

const pyExpect = new Map<string, { subject: string; bcc: string[]; files: number }>();

describe('buildMimeForStore round trip through mimeToMapi', () => {
  it('every carried property reads back the same (fast-check)', () => {
    fc.assert(
      fc.property(genArb, (g) => {
        const { mime, messageId, generated } = stored(loadedOf(g));
        expect(generated).toBe(g.messageId === undefined);
        if (generated) expect(messageId).toMatch(/^<[0-9a-f]{32}@mail\.example\.org>$/);
        expectLinesOk(mime);
        checkRoundTrip(g, mime, messageId);
        const name = keep(mime);
        pyExpect.set(name, { subject: oneLine(g.subject), bcc: g.bcc.map((p) => p.address), files: g.atts.length });
      }),
      { numRuns: 150 },
    );
  });

  const fixed: Gen = {
    subject: 'Réunion: ' + 'quarterly figures and the budget for next year '.repeat(30).trim(),
    body: 'Hallo,\nsiehe Anhang.\n\n-- \nJörg',
    html: '<p>Hallo, siehe <b>Anhang</b>.</p>',
    from: { name: 'Müller, Jörg', address: 'joerg@example.org' },
    sender: { name: 'Assistant =?utf-8?q?x?=', address: 'assist@example.org' },
    to: [{ name: 'Ann  Smith', address: 'ann@example.org' }, { name: 'bob@example.org', address: 'bob@example.org' }],
    cc: [{ name: '"Quoted" \\ name', address: 'q@b.example' }],
    bcc: [{ name: 'Secret Person', address: 'secret@b.example' }],
    atts: [
      { name: 'logo.png', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), type: 'image/png', inline: true, cid: 'logo@example', location: undefined },
      { name: 'Übersicht über die Zahlen des Quartals mit einem sehr langen Dateinamen für Tests 2026.pdf', data: new Uint8Array(3000).fill(7), type: 'application/pdf', inline: false, cid: 'pdf@x', location: undefined },
      { name: 'report =?x?= ' + 'long name '.repeat(12) + '.txt', data: new Uint8Array([65, 66]), type: 'text/plain', inline: false, cid: 'txt@x', location: 'http://example.org/a.png' },
    ],
    embedded: { subject: 'Inner note', body: 'inner text', display: 'Forwarded: Inner note', from: { name: 'Inner Sender', address: 'inner@b.example' }, to: [{ name: 'Ann', address: 'ann@example.org' }], id: '<inner@example.org>', time: filetimeNow(Date.UTC(2025, 5, 1, 8, 0, 0)) },
    importance: 2,
    sensitivity: 3,
    messageId: undefined,
    inReplyTo: '<prev@example.org>',
    references: Array.from({ length: 40 }, (_, i) => `<reference-number-${i}@host.example.org>`),
    index: new Uint8Array(22 + 5 * 30).fill(0xab),
    topic: 'quarterly figures',
    time: undefined,
  };

  it('a fixed message: round trip, folded header lines, a new Message-ID on the configured domain', () => {
    const { mime, messageId, generated } = stored(loadedOf(fixed));
    expect(generated).toBe(true);
    expect(messageId).toMatch(/@mail\.example\.org>$/);
    expectLinesOk(mime);
    checkRoundTrip(fixed, mime, messageId);
    const head = headerBlock(mime);
    // every line made of short words within 78 characters (Thread-Index is one base64 word)
    for (const line of head) if (!line.startsWith('Thread-Index:')) expect(line.length, line).toBeLessThanOrEqual(78);
    expect(head.filter((l) => l.startsWith('References:') || l.startsWith(' <reference-')).length).toBeGreaterThan(10);
    expect(head).toContain('Bcc: Secret Person <secret@b.example>');
    expect(head).toContain('Importance: high');
    expect(head).toContain('X-Priority: 1');
    expect(head).toContain('Sensitivity: Company-Confidential');
    expect(head).toContain('X-MS-Has-Attach: yes');
    expect(head).toContain('Date: Fri, 27 Nov 2026 12:00:00 +0000');
    // the sender's name holds `=?`: written as encoded-words, not as a quoted string
    expect(head.find((l) => l.startsWith('Sender:'))).toMatch(/^Sender: =\?UTF-8\?B\?/);
    // the body structure: mixed [ related [ alternative [plain, html], png ], pdf, txt, message/rfc822 ]
    const root = parseMime(mime).root;
    expect(root.contentType).toBe('multipart/mixed');
    expect(root.parts.map((p) => p.contentType)).toEqual(['multipart/related', 'application/pdf', 'text/plain', 'message/rfc822']);
    expect(root.parts[0]!.params.get('type')).toBe('multipart/alternative');
    expect(root.parts[0]!.parts.map((p) => p.contentType)).toEqual(['multipart/alternative', 'image/png']);
    expect(root.parts[0]!.parts[1]!.disposition).toBe('inline');
    pyExpect.set(keep(mime), { subject: oneLine(fixed.subject), bcc: ['secret@b.example'], files: 3 });
  });

  it('a message without text keeps its ids and date; Content-Language from PidTagMessageLocaleId', () => {
    const g: Gen = { ...fixed, subject: '', body: undefined, html: undefined, atts: [], embedded: undefined, messageId: '<given@example.org>', time: filetimeNow(Date.UTC(2024, 1, 29, 23, 59, 59)), sender: undefined, references: [], index: undefined, topic: undefined, importance: 0, sensitivity: 1 };
    const m = loadedOf(g);
    m.values.set(PidTagMessageLocaleId, 1031);
    const { mime, messageId, generated } = stored(m);
    expect(generated).toBe(false);
    expect(messageId).toBe('<given@example.org>');
    checkRoundTrip(g, mime, messageId);
    const head = headerBlock(mime);
    expect(head).toContain('Content-Language: de-DE');
    expect(head).toContain('X-Priority: 5');
    expect(head).not.toContain('X-MS-Has-Attach: yes');
    expect(head.some((l) => l.startsWith('Sender:'))).toBe(false);
    pyExpect.set(keep(mime), { subject: '', bcc: ['secret@b.example'], files: 0 });
  });

  it('a message without sender takes defaultFrom; EX addresses go through resolveAddress, unknown ones are left out', () => {
    const m: LoadedMessage = {
      values: new Map<number, PropValue>([[T.Subject, 'draft']]),
      recipients: [
        { rowId: 0, recipientType: MAPI_TO, props: [{ tag: T.DisplayName, value: 'Bob' }, { tag: T.AddressType, value: 'EX' }, { tag: T.EmailAddress, value: '/o=ocng/cn=bob' }] },
        { rowId: 1, recipientType: MAPI_CC, props: [{ tag: T.DisplayName, value: 'Nobody' }, { tag: T.AddressType, value: 'EX' }, { tag: T.EmailAddress, value: '/o=ocng/cn=nobody' }] },
      ],
      attachments: [],
    };
    const { mime } = stored(m, { ...opts, defaultFrom: { name: 'Alice', address: 'alice@example.org' }, resolveAddress: (t, a) => (t === 'EX' && a === '/o=ocng/cn=bob' ? 'bob@example.org' : null) });
    const back = mimeToMapi(parseMime(mime));
    expect(back.values.get(T.SentRepresentingSmtpAddress)).toBe('alice@example.org');
    expect(back.recipients.map((r) => [r.recipientType, rowProp(r, T.SmtpAddress)])).toEqual([[MAPI_TO, 'bob@example.org']]);
    pyExpect.set(keep(mime), { subject: 'draft', bcc: [], files: 0 });
  });

  it('S/MIME messages say "keep the original"; calendar and other non-mail items get a code', () => {
    const of = (cls: string) => buildMimeForStore({ values: new Map<number, PropValue>([[T.MessageClass, cls]]), recipients: [], attachments: [] }, opts);
    expect(of('IPM.Note.SMIME')).toEqual({ kind: 'original', messageClass: 'IPM.Note.SMIME' });
    expect(of('IPM.Note.SMIME.MultipartSigned')).toEqual({ kind: 'original', messageClass: 'IPM.Note.SMIME.MultipartSigned' });
    expect(of('IPM.Appointment')).toMatchObject({ kind: 'unsupported', code: 'OC_MIME_CALENDAR_ITEM' });
    expect(of('IPM.Schedule.Meeting.Request')).toMatchObject({ kind: 'unsupported', code: 'OC_MIME_CALENDAR_ITEM' });
    expect(of('IPM.Contact')).toMatchObject({ kind: 'unsupported', code: 'OC_MIME_NOT_MAIL' });
    expect(of('IPM.Task')).toMatchObject({ kind: 'unsupported', code: 'OC_MIME_NOT_MAIL' });
    expect(of('IPM.Note.Custom').kind).toBe('mime');
    expect(of('IPM.Post').kind).toBe('mime');
    expect(of('IPM.Notes').kind).toBe('mime');
  });

  it("Python's email package reads every written message without defects", () => {
    const out = pythonCheck();
    expect(pyExpect.size).toBeGreaterThan(100);
    expect(Object.keys(out).sort()).toEqual([...pyExpect.keys()].sort());
    for (const [name, info] of Object.entries(out)) {
      const e = pyExpect.get(name)!;
      expect(info.defects, name).toEqual([]);
      // Python unfolds and joins encoded-words; compare with whitespace runs made one space
      const ws = (s: string | null): string => (s ?? '').replace(/\s+/g, ' ').trim();
      expect(ws(info.subject), name).toBe(ws(e.subject));
      expect(info.addresses.bcc, name).toEqual(e.bcc);
      expect(info.files.filter((f) => f.type !== 'message/rfc822').length, name).toBeGreaterThanOrEqual(e.files);
    }
    expect(Object.values(out).some((i) => i.content_language === 'de-DE')).toBe(true);
  });
});

describe('header folding and names (the writer fixes)', () => {
  it('long printable subjects and References are folded: no line past 998, short-word lines within 78 (SMTP form)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9,.!]{1,20}$/), { minLength: 1, maxLength: 200 }), fc.array(msgId, { maxLength: 60 }), (words, refs) => {
        const values = new Map<number, PropValue>([[T.Subject, words.join(' ')], [T.InternetReferences, refs.join(' ')]]);
        const mime = buildMime({ values, recipients: [], attachments: [] }, { from: { name: 'Me', address: 'me@example.org' }, date: new Date(0), messageId: '<x@y>', addressOf: () => null });
        for (const line of headerBlock(mime)) expect(line.length, line).toBeLessThanOrEqual(78);
        const back = mimeToMapi(parseMime(mime)).values;
        expect(back.get(T.Subject)).toBe(words.join(' '));
        expect(back.get(T.InternetReferences)).toBe(refs.length > 0 ? refs.join(' ') : undefined);
      }),
    );
  });

  it('a word longer than 998 characters becomes encoded-words; any subject reads back (within 998)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.stringMatching(/^[a-z]{900,1500}$/), text(200)), (subject) => {
        const mime = buildMime({ values: new Map([[T.Subject, subject]]), recipients: [], attachments: [] }, { from: { name: 'Me', address: 'me@example.org' }, date: new Date(0), messageId: '<x@y>', addressOf: () => null });
        expectLinesOk(mime);
        expect(mimeToMapi(parseMime(mime)).values.get(T.Subject)).toBe(oneLine(subject));
      }),
    );
  });

  it('a printable display name with `=?` is encoded, not quoted; space runs are quoted', () => {
    expect(formatAddress({ name: 'a =?utf-8?q?b?= c', address: 'x@y' })).toMatch(/^=\?UTF-8\?B\?[^ ]+\?= .*<x@y>$/);
    expect(formatAddress({ name: 'Ann  Smith', address: 'a@b' })).toBe('"Ann  Smith" <a@b>');
    expect(formatAddress({ name: 'Ann Smith', address: 'a@b' })).toBe('Ann Smith <a@b>');
    fc.assert(
      fc.property(person, (p) => {
        const values = new Map<number, PropValue>([[T.Subject, 's']]);
        const mime = buildMime({ values, recipients: [row(0, MAPI_TO, p.name, p.address)], attachments: [] }, { from: p, date: new Date(0), messageId: '<x@y>', addressOf: () => p });
        const back = mimeToMapi(parseMime(mime));
        expect(back.values.get(T.SentRepresentingName)).toBe(nameBack(p));
        expect(rowProp(back.recipients[0]!, T.DisplayName)).toBe(nameBack(p));
      }),
    );
  });

  it('long parameters become RFC 2231 continuations that read back', () => {
    fc.assert(
      fc.property(text(300, 1), (name) => {
        const pieces = mimeParamPieces('filename', name);
        for (const p of pieces) expect(p.length).toBeLessThanOrEqual(75);
        const { root } = parseMime(Buffer.from(`Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n ${pieces.join(';\r\n ')}\r\n\r\nx`, 'latin1'));
        expect(root.dispositionParams.get('filename')).toBe(name);
      }),
    );
  });
});
