// Independent judge: the corpus of test/mime/corpus.ts parsed by Python's email package (test/mime/judge.py,
// email.policy.default) and by src/mime (parse.ts + to-mapi.ts); both must agree on subject, from, to, cc, date,
// text body, html body and attachment file names.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { PropValue } from '../../src/mapi/props.js';
import { MAPI_CC, MAPI_TO } from '../../src/mapistore/types.js';
import { parseMime, type MimePart } from '../../src/mime/parse.js';
import { MT } from '../../src/mime/tags.js';
import { decodeCharset } from '../../src/mime/text.js';
import { mimeToMapi } from '../../src/mime/to-mapi.js';
import { T, filetimeToDate } from '../../src/transport/tags.js';
import { corpus, leafNames, lf, type Judged } from './corpus.js';


const here = path.dirname(fileURLToPath(import.meta.url));
const messages = corpus();
const dir = mkdtempSync(path.join(tmpdir(), 'ocng-mime-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = messages.map((m, i) => {
  const f = path.join(dir, `${String(i).padStart(2, '0')}-${m.name}.eml`);
  writeFileSync(f, m.bytes);
  return f;
});
const run = spawnSync('/usr/bin/python3', [path.join(here, 'judge.py'), ...files], { encoding: 'utf8' });
if (run.status !== 0) throw new Error(`judge.py failed: ${run.stderr}`);
const judged = JSON.parse(run.stdout) as Judged[];

describe('corpus judged by Python email', () => {
  it('has about 60 distinct messages', () => {
    expect(messages.length).toBeGreaterThanOrEqual(58);
    expect(new Set(messages.map((m) => m.name)).size).toBe(messages.length);
    expect(judged).toHaveLength(messages.length);
    // the judge saw what the corpus is meant to exercise (so the comparisons below are not vacuous)
    expect(judged.filter((j) => j.html !== null).length).toBeGreaterThanOrEqual(10);
    expect(judged.filter((j) => j.files.length > 0).length).toBeGreaterThanOrEqual(20);
    expect(judged.filter((j) => j.text !== null && /[^\x00-\x7f]/.test(j.text)).length).toBeGreaterThanOrEqual(20);
    expect(judged.every((j) => j.date !== null && j.subject !== null)).toBe(true);
  });

  it('meeting requests and signed messages get their message classes', () => {
    const cls = (name: string): PropValue | undefined => mimeToMapi(parseMime(messages.find((m) => m.name === name)!.bytes)).values.get(T.MessageClass);
    expect(cls('calendar-0')).toBe('IPM.Schedule.Meeting.Request');
    expect(cls('calendar-2')).toBe('IPM.Schedule.Meeting.Canceled');
    expect(cls('signed-1')).toBe('IPM.Note.SMIME.MultipartSigned');
    expect(cls('forward-1')).toBe('IPM.Note');
  });

  it.each(messages.map((m, i) => [m.name, i] as const))('%s', (_name, i) => {
    const py = judged[i]!;
    const parsed = parseMime(messages[i]!.bytes);
    const m = mimeToMapi(parsed);
    const v = m.values;
    expect(v.get(T.Subject) ?? null).toBe(py.subject);
    const from = py.from[0];
    if (from) {
      expect(v.get(T.SentRepresentingName)).toBe(from[0] || from[1]);
      expect(v.get(T.SentRepresentingSmtpAddress)).toBe(from[1]);
    }
    const rows = (type: number): [PropValue | undefined, PropValue | undefined][] =>
      m.recipients.filter((r) => r.recipientType === type).map((r) => [r.props.find((p) => p.tag === T.DisplayName)?.value, r.props.find((p) => p.tag === T.SmtpAddress)?.value]);
    // our rows use the address as display name when there is none (what Outlook shows)
    expect(rows(MAPI_TO)).toEqual(py.to.map(([n, a]) => [n || a, a]));
    expect(rows(MAPI_CC)).toEqual(py.cc.map(([n, a]) => [n || a, a]));
    const submit = v.get(T.ClientSubmitTime);
    expect(typeof submit === 'bigint' ? filetimeToDate(submit).getTime() / 1000 : null).toBe(py.date);
    const body = v.get(T.Body);
    expect(typeof body === 'string' ? lf(body) : null).toBe(py.text === null ? null : lf(py.text));
    const html = v.get(T.Html);
    const cp = v.get(MT.InternetCodepage);
    const htmlCharset = parsedHtmlCharset(parsed.root);
    expect(Buffer.isBuffer(html) ? lf(decodeCharset(html, htmlCharset)) : null).toBe(py.html === null ? null : lf(py.html));
    if (Buffer.isBuffer(html)) expect(typeof cp).toBe('number');
    const ours = m.attachments.map((a) => a.values.get(T.AttachLongFilename)).filter((n): n is string => typeof n === 'string');
    if (v.get(T.MessageClass) === 'IPM.Note.SMIME.MultipartSigned') {
      // a signed message keeps its signed entity whole as smime.p7m (MS-OXOSMIME); Python lists the parts inside it,
      // so the judge's names are compared with the names inside our smime.p7m
      expect(ours).toEqual(['smime.p7m']);
      const blob = m.attachments[0]!.values.get(T.AttachDataBinary) as Buffer;
      expect(leafNames(parseMime(blob).root, []).sort()).toEqual([...py.files].sort());
    } else expect([...ours].sort()).toEqual([...py.files].sort());
  });
});

function parsedHtmlCharset(p: MimePart): string | undefined {
  if (p.contentType === 'text/html' && p.disposition !== 'attachment') return p.params.get('charset');
  if (p.message) return undefined;
  for (const c of p.parts) {
    const cs = parsedHtmlCharset(c);
    if (cs) return cs;
  }
  return undefined;
}
