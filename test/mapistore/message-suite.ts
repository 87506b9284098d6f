// The full message model (issue 6 store side), run by suite.ts once per index provider: message objects with
// recipients, attachments, an embedded message and streamed large values; drafts, save, reopen, limits.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PT, makeTag } from '../../src/mapi/props.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { trackedOpenCopies } from '../../src/mapistore/backends/local/objects.js';
import type { IndexProvider } from '../../src/mapistore/index/types.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { TAG } from '../../src/mapistore/tags.js';
import {
  ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type MailboxStore, type PropResult, type PropStream, type Store,
} from '../../src/mapistore/types.js';
import { ecOf, val } from './store-helpers.js';

const USER = { username: 'MsgModel', displayName: 'Message Model', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=msgmodel' };
const PidTagRecipientType = 0x0c150003;
const PidTagEmailAddress = 0x3003001f;
const PidTagAddressType = 0x3002001f;
const PidTagAttachMethod = 0x37050003;
const PidTagAttachFilename = 0x3704001f;
const PidTagAttachDataBinary = 0x37010102;
const PidTagBody = 0x1000001f;
const PidTagHasAttachments = 0x0e1b000b;
const PidTagDisplayTo = makeTag(0x0e04, PT.UNICODE);

/** The error reported for `tag` (under its PT_ERROR tag, as pickProps reports errors). */
const err = (r: PropResult[], tag: number): number | undefined => {
  const x = r.find((p) => p.tag >>> 0 === makeTag(tag >>> 16, PT.ERROR) >>> 0);
  return x && 'error' in x ? x.error : undefined;
};

async function writeChunks(s: PropStream, data: Buffer, chunk: number): Promise<void> {
  for (let o = 0; o < data.length; o += chunk) await s.write(o, data.subarray(o, o + chunk));
}

/** Reads the whole stream in pieces of odd sizes starting at odd offsets, checking each against `want`. */
async function readOdd(s: PropStream, want: Buffer): Promise<Buffer> {
  expect(s.size()).toBe(want.length);
  const parts: Buffer[] = [];
  let o = 0;
  let step = 4093;
  while (o < want.length) {
    const b = await s.read(o, step);
    expect(b.length).toBe(Math.min(step, want.length - o));
    parts.push(b);
    o += b.length;
    step = step === 4093 ? 0xbabe : step === 0xbabe ? 65537 : 4093;
  }
  for (const at of [1, 65535, 65536, 65537, want.length - 3]) {
    if (at < 0 || at >= want.length) continue;
    expect((await s.read(at, 7)).equals(want.subarray(at, at + 7))).toBe(true);
  }
  expect((await s.read(want.length + 5, 10)).length).toBe(0);
  return Buffer.concat(parts);
}

export function messageModelSuite(name: string, makeIndexIn: (dir: string) => Promise<IndexProvider>, available = true): void {
  describe.skipIf(!available)(`mapistore message model (${name} index)`, () => {
    let dir: string;
    let store: Store;
    let mb: MailboxStore;
    const open = async (maxValueSize?: number) => {
      store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: await makeIndexIn(dir), idBatch: 16, ...(maxValueSize ? { maxValueSize } : {}) });
      mb = await store.openMailbox(USER);
    };
    const reopen = async (maxValueSize?: number) => {
      await store.close();
      await open(maxValueSize);
    };
    const bin1m = crypto.randomBytes(1024 * 1024);
    const unit = 'línea ✓ body text\r\n';
    const body5m = Buffer.from(unit.repeat(Math.ceil((5 * 1024 * 1024) / 2 / unit.length)).slice(0, (5 * 1024 * 1024) / 2), 'utf16le');
    let mid = 0n;
    let cnAfterSave = 0n;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-msgmodel-'));
      await open();
    });
    afterAll(async () => {
      await store?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('composes a draft with 3 recipients, 2 attachments and an embedded message, invisible until saved', async () => {
      const inbox = mb.special.inbox;
      const countBefore = (await mb.contentsRows(inbox)).length;
      const cnBefore = await mb.currentCn();
      const m = await mb.newMessage(inbox);
      expect(m.mid).toBeNull();
      expect(await m.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: 'Quarterly report' }, { tag: TAG.Mid, value: 5n }]))
        .toEqual([{ index: 2, tag: TAG.Mid, error: SEC.Computed }]);
      await m.modifyRecipients([
        { rowId: 0, props: [{ tag: PidTagRecipientType, value: MAPI_TO }, { tag: TAG.DisplayName, value: 'Bob' }, { tag: PidTagAddressType, value: 'EX' }, { tag: PidTagEmailAddress, value: '/o=x/cn=bob' }] },
        { rowId: 1, props: [{ tag: PidTagRecipientType, value: MAPI_CC }, { tag: TAG.DisplayName, value: 'Carol' }, { tag: PidTagAddressType, value: 'SMTP' }, { tag: PidTagEmailAddress, value: 'carol@example.org' }] },
        { rowId: 2, props: [{ tag: PidTagRecipientType, value: MAPI_BCC }, { tag: TAG.DisplayName, value: 'Dan' }, { tag: PidTagAddressType, value: 'SMTP' }, { tag: PidTagEmailAddress, value: 'dan@example.org' }] },
        { rowId: 7, props: [{ tag: PidTagRecipientType, value: MAPI_TO }, { tag: TAG.DisplayName, value: 'gone' }] },
      ]);
      await m.modifyRecipients([{ rowId: 7, props: null }]);
      // a bad row changes nothing
      expect(await ecOf(m.modifyRecipients([{ rowId: 0, props: [] }, { rowId: 3, props: [{ tag: PidTagRecipientType, value: 'x' }] }]))).toBe(SEC.InvalidParam);
      expect((await m.readRecipients()).map((r) => [r.rowId, r.recipientType])).toEqual([[0, MAPI_TO], [1, MAPI_CC], [2, MAPI_BCC]]);

      const a1 = await m.createAttachment();
      expect(a1.attachNum).toBe(0);
      await a1.setProps([{ tag: PidTagAttachMethod, value: ATTACH_BY_VALUE }, { tag: PidTagAttachFilename, value: 'data.bin' }]);
      const s = await a1.openStream(PidTagAttachDataBinary, 'create');
      await writeChunks(s, bin1m, 4096);
      expect(s.size()).toBe(bin1m.length);
      await s.commit();
      await s.close();
      await a1.save();

      const a2 = await m.createAttachment();
      expect(a2.attachNum).toBe(1);
      const e = await a2.openEmbeddedMessage(true);
      expect(e.embedded).toBe(true);
      await e.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: 'Forwarded' }, { tag: PidTagBody, value: 'inner body' }]);
      await e.modifyRecipients([{ rowId: 0, props: [{ tag: PidTagRecipientType, value: MAPI_TO }, { tag: TAG.DisplayName, value: 'Eve' }] }]);
      const ea = await e.createAttachment();
      await ea.setProps([{ tag: PidTagAttachMethod, value: ATTACH_BY_VALUE }, { tag: PidTagAttachDataBinary, value: Buffer.from('inner attachment') }]);
      await ea.save();
      await e.save();
      await a2.setProps([{ tag: PidTagAttachFilename, value: 'fwd.msg' }]);
      await a2.save();
      expect((await m.attachmentTable([PidTagAttachMethod])).map((r) => [r.attachNum, val(r.props, PidTagAttachMethod)])).toEqual([[0, ATTACH_BY_VALUE], [1, ATTACH_EMBEDDED_MSG]]);

      // not yet stored: no contents row, no CN used
      expect((await mb.contentsRows(inbox)).length).toBe(countBefore);
      expect(await mb.currentCn()).toBe(cnBefore);
      mid = await m.save();
      expect(m.mid).toBe(mid);
      const rows = await mb.contentsRows(inbox, { tags: [TAG.Subject, TAG.MessageSize, PidTagHasAttachments] });
      expect(rows.length).toBe(countBefore + 1);
      const row = rows.find((r) => r.id === mid);
      expect(row?.props.get(TAG.Subject)).toBe('Quarterly report');
      expect(row?.props.get(TAG.MessageSize) as number).toBeGreaterThan(bin1m.length);
      expect(val(await mb.getFolderProps(inbox, [TAG.ContentCount]), TAG.ContentCount)).toBe(countBefore + 1);
      cnAfterSave = (await mb.messageChangeInfo(mid)).cn;
      expect(cnAfterSave > cnBefore).toBe(true);
      expect(await mb.currentCn()).toBe(cnAfterSave);
      const p = await m.getProps([TAG.Mid, PidTagHasAttachments, PidTagAttachDataBinary]);
      expect(val(p, TAG.Mid)).toBe(mid);
      expect(val(p, PidTagHasAttachments)).toBe(true);
      await m.discard(); // release after save keeps everything
    });

    it('reads everything back byte-identical from a new store instance', async () => {
      await reopen();
      const m = await mb.openMessage(mid);
      expect(m.fid).toBe(mb.special.inbox);
      expect(val(await m.getProps([TAG.Subject]), TAG.Subject)).toBe('Quarterly report');
      const rc = await m.readRecipients();
      expect(rc.map((r) => [r.rowId, r.recipientType, val(r.props.map((x) => ({ tag: x.tag, value: x.value })), PidTagEmailAddress)])).toEqual([
        [0, MAPI_TO, '/o=x/cn=bob'], [1, MAPI_CC, 'carol@example.org'], [2, MAPI_BCC, 'dan@example.org'],
      ]);
      expect((await m.readRecipients(1, 1)).map((r) => r.rowId)).toEqual([1]);
      const a1 = await m.openAttachment(0);
      // a 1 MB value is not returned by GetProps (MS-OXCPRPT: ecMAPIOOM, read it with a stream)
      expect(err(await a1.getProps([PidTagAttachDataBinary]), PidTagAttachDataBinary)).toBe(SEC.NotEnoughMemory);
      expect(val(await a1.getProps([PidTagAttachFilename]), PidTagAttachFilename)).toBe('data.bin');
      const s = await a1.openStream(PidTagAttachDataBinary, 'read');
      expect((await readOdd(s, bin1m)).equals(bin1m)).toBe(true);
      await s.close();
      const a2 = await m.openAttachment(1);
      expect(val(await a2.getProps([PidTagAttachMethod]), PidTagAttachMethod)).toBe(ATTACH_EMBEDDED_MSG);
      const e = await a2.openEmbeddedMessage(false);
      expect(val(await e.getProps([TAG.Subject, PidTagBody]), PidTagBody)).toBe('inner body');
      expect((await e.readRecipients()).map((r) => r.recipientType)).toEqual([MAPI_TO]);
      const ea = await e.openAttachment(0);
      expect((val(await ea.getProps([PidTagAttachDataBinary]), PidTagAttachDataBinary) as Buffer).toString()).toBe('inner attachment');
      const es = await e.openStream(PidTagBody, 'read');
      expect((await es.read(0, 1000)).toString('utf16le')).toBe('inner body');
      expect(await ecOf(m.openAttachment(9))).toBe(SEC.NotFound);
    });

    it('an open message keeps its computed properties current: own changes, saves by another object', async () => {
      const a = await mb.openMessage(mid);
      const b = await mb.openMessage(mid);
      const tags = [TAG.Subject, TAG.ChangeKey, TAG.ChangeNumber, TAG.MessageSize, PidTagHasAttachments];
      const first = await a.getProps(tags);
      expect(val(first, TAG.ChangeKey)).toEqual(val(await mb.getMessageProps(mid, [TAG.ChangeKey]), TAG.ChangeKey));
      // the store's few-properties path answers as the full one
      const header = [TAG.SourceKey, TAG.LastModificationTime, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.Associated, TAG.Mid, TAG.MessageSize, TAG.ChangeNumber];
      const full = await mb.getMessageProps(mid);
      for (const t of header) expect(val(await mb.getMessageProps(mid, header), t)).toEqual(val(full, t));
      expect(val(await mb.getMessageProps(mid, [TAG.MessageFlags]), TAG.MessageFlags)).toEqual(val(full, TAG.MessageFlags));
      // another object saves: a's change tracking follows the stored row, its own values stay
      await b.save();
      const second = await a.getProps(tags);
      expect(val(second, TAG.ChangeNumber) as bigint > (val(first, TAG.ChangeNumber) as bigint)).toBe(true);
      expect(val(second, TAG.ChangeKey)).toEqual(val(await mb.getMessageProps(mid, [TAG.ChangeKey]), TAG.ChangeKey));
      expect(val(second, TAG.Subject)).toBe('Quarterly report');
      // a's own changes: a property, recipients (size), an attachment saved into it
      await a.setProps([{ tag: TAG.Subject, value: 'changed, not saved' }]);
      expect(val(await a.getProps([TAG.Subject]), TAG.Subject)).toBe('changed, not saved');
      expect(await a.listProps()).toContain(TAG.Subject);
      const size1 = val(await a.getProps([TAG.MessageSize]), TAG.MessageSize) as number;
      await a.modifyRecipients([{ rowId: 7, props: [{ tag: PidTagRecipientType, value: MAPI_TO }, { tag: TAG.DisplayName, value: 'x'.repeat(500) }] }]);
      const size2 = val(await a.getProps([TAG.MessageSize]), TAG.MessageSize) as number;
      expect(size2).toBeGreaterThan(size1);
      const att = await a.createAttachment();
      await att.setProps([{ tag: PidTagAttachFilename, value: 'y'.repeat(300) }]);
      await att.save();
      expect(val(await a.getProps([TAG.MessageSize]), TAG.MessageSize) as number).toBeGreaterThan(size2);
      await a.discard();
      await b.discard();
      expect(val(await mb.getMessageProps(mid, [TAG.Subject]), TAG.Subject)).toBe('Quarterly report');
    });

    it('prefetchMessages: each opener gives what openMessage gives at that moment, and NotFound for a message not there', async () => {
      const other = await mb.createMessage(mb.special.inbox, { props: [{ tag: TAG.Subject, value: 'second' }] });
      const gone = (1n << 48n) | 0xfffff0n; // replica 1, a GLOBCNT never allocated
      const openers = await mb.prefetchMessages!([mid, gone, other, mid]);
      expect(openers).toHaveLength(4);
      const tags = [TAG.Subject, TAG.ChangeKey, TAG.MessageSize, PidTagHasAttachments, TAG.Mid];
      for (const [k, id] of [[0, mid], [3, mid]] as const) {
        const o = await openers[k]!();
        const one = await mb.openMessage(id);
        expect(await o.getProps(tags)).toEqual(await one.getProps(tags));
        expect(await o.readRecipients()).toEqual(await one.readRecipients());
        expect(await o.attachmentTable()).toEqual(await one.attachmentTable());
        await one.discard();
        await o.discard();
      }
      expect(await ecOf(openers[1]!())).toBe(SEC.NotFound);
      // a change after the rows were read: the opener reads the row again
      await mb.setMessageProps(other, [{ tag: TAG.Subject, value: 'changed after the prefetch' }]);
      const o = await openers[2]!();
      expect(val(await o.getProps([TAG.Subject]), TAG.Subject)).toBe('changed after the prefetch');
      await o.discard();
      // and one deleted after it is not found
      const [late] = await mb.prefetchMessages!([other]);
      await mb.deleteMessages(mb.special.inbox, [other], { hard: true });
      expect(await ecOf(late!())).toBe(SEC.NotFound);
    });

    it('getMessagesProps: each answer is the one getMessageProps gives, null for a message not there, past one run of the statement', async () => {
      const PidTagMessageDeliveryTime = 0x0e060040;
      const mids: bigint[] = [];
      for (let i = 0; i < 45; i++) {
        const props = [{ tag: TAG.Subject, value: `batch ${i}` }];
        if (i % 3 === 0) props.push({ tag: PidTagMessageDeliveryTime, value: 133_000_000_000_000_000n + BigInt(i) } as never);
        if (i % 4 === 0) props.push({ tag: TAG.MessageFlags, value: 0x8 } as never);
        mids.push(await mb.createMessage(mb.special.inbox, { props, associated: i % 9 === 0 }));
      }
      await mb.setReadFlags(mb.special.inbox, mids.slice(0, 10), true);
      const gone = (1n << 48n) | 0xfffff0n; // replica 1, a GLOBCNT never allocated
      const foreign = (5n << 48n) | 0x10n; // another replica
      const asked = [...mids.slice(0, 20), gone, mids[3]!, foreign, ...mids.slice(20)];
      const header = [TAG.SourceKey, TAG.LastModificationTime, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.Associated, TAG.Mid, TAG.MessageSize, TAG.ChangeNumber];
      for (const tags of [header, [...header, PidTagMessageDeliveryTime, TAG.MessageFlags, PidTagHasAttachments], [TAG.Subject, TAG.Mid]]) {
        const got = await mb.getMessagesProps!(asked, tags);
        expect(got).toHaveLength(asked.length);
        for (const [k, id] of asked.entries()) {
          if (id === gone || id === foreign) expect(got[k]).toBeNull();
          else expect(got[k]).toEqual(await mb.getMessageProps(id, tags));
        }
      }
    });

    it('tracks only open copies that refer to stored blobs, forgets them when discarded, and an opened copy reads its computed properties from its row', async () => {
      const local = mb as unknown as LocalMailbox;
      const before = trackedOpenCopies(local);
      const tags = [TAG.Subject, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.MessageSize, TAG.MessageFlags, TAG.EntryId, TAG.Mid, TAG.LastModificationTime];
      const stored = await mb.getMessageProps(mid, tags);
      for (let i = 0; i < 600; i++) {
        const o = await mb.openMessage(mid);
        if (i % 100 === 0) expect(await o.getProps(tags)).toEqual(stored);
        await o.discard();
      }
      expect(trackedOpenCopies(local)).toBe(before);
      // copies still open stay tracked (a save of another copy must find the values they hold)
      const open = await Promise.all([1, 2, 3].map(() => mb.openMessage(mid)));
      expect(trackedOpenCopies(local)).toBe(before + 3);
      for (const o of open) await o.discard();
      expect(trackedOpenCopies(local)).toBe(before);
      // a copy that refers to no stored blob is not tracked (nothing of it can be dropped by another copy's save)
      const small = await mb.createMessage(mb.special.inbox, { props: [{ tag: TAG.Subject, value: 'no blobs' }] });
      const plain = await mb.openMessage(small);
      expect(trackedOpenCopies(local)).toBe(before);
      await plain.discard();
      // a new message saved with a large value is tracked from its save on, until it is discarded
      const fresh = await mb.newMessage(mb.special.inbox);
      const s = await fresh.openStream(PidTagBody, 'create');
      await writeChunks(s, Buffer.from('b'.repeat(64 * 1024), 'utf16le'), 4096);
      await s.commit();
      await s.close();
      expect(trackedOpenCopies(local)).toBe(before);
      const freshMid = await fresh.save();
      const grew = trackedOpenCopies(local) > before;
      await fresh.discard();
      expect(trackedOpenCopies(local)).toBe(before);
      await mb.deleteMessages(mb.special.inbox, [small, freshMid], { hard: true });
      expect(grew).toBe(true);
    });

    it('modifies a saved message and moves its change number on save', async () => {
      const m = await mb.openMessage(mid);
      const before = await mb.messageChangeInfo(mid);
      await m.modifyRecipients([{ rowId: 1, props: [{ tag: PidTagRecipientType, value: MAPI_TO }, { tag: TAG.DisplayName, value: 'Carol B' }] }]);
      await m.setProps([{ tag: TAG.Subject, value: 'Quarterly report v2' }]);
      await m.deleteAttachment(1);
      // unsaved changes are not visible through the store
      expect(val(await mb.getMessageProps(mid, [TAG.Subject]), TAG.Subject)).toBe('Quarterly report');
      await m.save();
      const after = await mb.messageChangeInfo(mid);
      expect(after.cn > before.cn).toBe(true);
      expect(after.changeKey.equals(before.changeKey)).toBe(false);
      expect(after.pcl.equals(before.pcl)).toBe(false);
      expect(val(await mb.getMessageProps(mid, [TAG.Subject]), TAG.Subject)).toBe('Quarterly report v2');
      const again = await mb.openMessage(mid);
      expect((await again.readRecipients()).find((r) => r.rowId === 1)?.recipientType).toBe(MAPI_TO);
      expect((await again.attachmentTable()).map((r) => r.attachNum)).toEqual([0]);
      // a new attachment never reuses a number
      expect((await again.createAttachment()).attachNum).toBe(2);
      const s = await (await again.openAttachment(0)).openStream(PidTagAttachDataBinary, 'read');
      expect((await s.read(12345, 100)).equals(bin1m.subarray(12345, 12445))).toBe(true);
      await again.discard();
    });

    it('streams a 5 MB body in and out', async () => {
      const m = await mb.newMessage(mb.special.drafts);
      await m.setProps([{ tag: TAG.Subject, value: 'long' }]);
      const w = await m.openStream(PidTagBody, 'create');
      await writeChunks(w, body5m, 4096);
      await w.commit();
      await w.close();
      const id = await m.save();
      await reopen();
      const r = await (await mb.openMessage(id)).openStream(PidTagBody, 'read');
      expect((await readOdd(r, body5m)).equals(body5m)).toBe(true);
      expect(val(await mb.getMessageProps(id, [TAG.MessageSize]), TAG.MessageSize) as number).toBeGreaterThan(body5m.length);
      // a read-write stream changes a copy: the stored value stays until commit + save
      const m2 = await mb.openMessage(id);
      const rw = await m2.openStream(PidTagBody, 'readwrite');
      await rw.write(2, Buffer.from('XY', 'utf16le'));
      expect((await rw.read(0, 8)).equals(Buffer.concat([body5m.subarray(0, 2), Buffer.from('XY', 'utf16le'), body5m.subarray(6, 8)]))).toBe(true);
      await rw.close();
      await m2.discard();
      const again = await (await mb.openMessage(id)).openStream(PidTagBody, 'read');
      expect((await again.read(0, 8)).equals(body5m.subarray(0, 8))).toBe(true);
    });

    it('discards a draft without a trace', async () => {
      const before = (await mb.contentsRows(mb.special.drafts)).length;
      const blobs = () => ((mb as LocalMailbox).db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n;
      const nb = blobs();
      const m = await mb.newMessage(mb.special.drafts);
      const s = await m.openStream(PidTagBody, 'create');
      await writeChunks(s, body5m.subarray(0, 200_000), 4096);
      await s.commit();
      expect(blobs()).toBe(nb + 1);
      await m.discard();
      expect(blobs()).toBe(nb);
      expect((await mb.contentsRows(mb.special.drafts)).length).toBe(before);
    });

    it('refuses a value past the configured maximum with ecTooBig and loses nothing stored', async () => {
      await reopen(1024 * 1024);
      const m = await mb.openMessage(mid);
      const a = await m.openAttachment(0);
      const s = await a.openStream(PidTagAttachDataBinary, 'readwrite');
      await s.write(0, Buffer.alloc(4096, 1));
      const e = await s.write(bin1m.length - 10, Buffer.alloc(4096, 2)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StoreError);
      expect((e as StoreError).ec).toBe(SEC.TooBig);
      expect(await ecOf(s.setSize(bin1m.length + 1))).toBe(SEC.TooBig);
      expect(s.size()).toBe(bin1m.length);
      await s.close();
      expect((await a.setProps([{ tag: PidTagDisplayTo, value: 'x'.repeat(600_000) }]))[0]?.error).toBe(SEC.TooBig);
      await m.discard();
      const r = await (await (await mb.openMessage(mid)).openAttachment(0)).openStream(PidTagAttachDataBinary, 'read');
      expect((await readOdd(r, bin1m)).equals(bin1m)).toBe(true);
    });

    it('refuses a save that would refer to a value another save replaced (ecObjectModified)', async () => {
      const d = await mb.newMessage(mb.special.drafts);
      const w = await d.openStream(PidTagBody, 'create');
      await writeChunks(w, body5m.subarray(0, 100_000), 4096);
      await w.commit();
      const id = await d.save();
      const a = await mb.openMessage(id);
      const b = await mb.openMessage(id);
      const wa = await a.openStream(PidTagBody, 'create');
      await wa.write(0, body5m.subarray(100_000, 200_000));
      await wa.commit();
      await a.save();
      await b.setProps([{ tag: TAG.Subject, value: 'stale' }]);
      expect(await ecOf(b.save())).toBe(SEC.ObjectModified);
      const r = await (await mb.openMessage(id)).openStream(PidTagBody, 'read');
      expect((await r.read(0, 100_000)).equals(body5m.subarray(100_000, 200_000))).toBe(true);
      expect(val(await mb.getMessageProps(id, [TAG.Subject]), TAG.Subject)).toBeUndefined();
    });

    it('deletes the content of deleted messages and copies it with copied ones', async () => {
      const copy = await mb.moveCopyMessages(mb.special.inbox, [mid], mb.special.drafts, true);
      const cmid = copy.ids.get(mid) as bigint;
      await mb.deleteMessages(mb.special.inbox, [mid], { hard: true });
      expect(await ecOf(mb.openMessage(mid))).toBe(SEC.NotFound);
      const c = await mb.openMessage(cmid);
      expect((await c.readRecipients()).length).toBe(3);
      const r = await (await c.openAttachment(0)).openStream(PidTagAttachDataBinary, 'read');
      expect((await r.read(0, bin1m.length)).equals(bin1m)).toBe(true);
    });
  });
}
