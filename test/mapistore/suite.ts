// The store behaviour suite, run once per index provider (SQLite and MariaDB): provisioning, IDs, change
// tracking, folders, messages, named properties, receive folders, per-user data, the index mapping table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt, eidReplId, encodeXid, makeEid } from '../../src/mapi/ids.js';
import { PT, MAPI_E, type PropValue } from '../../src/mapi/props.js';
import { PS_MAPI, PS_PUBLIC_STRINGS } from '../../src/mapi/named.js';
import { readGuid } from '../../src/util/guid.js';
import { messageModelSuite } from './message-suite.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { IndexProvider } from '../../src/mapistore/index/types.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { decodePcl } from '../../src/mapistore/pcl.js';
import { decodeProps, encodeProps } from '../../src/mapistore/propcodec.js';
import { SPECIAL_FOLDERS } from '../../src/mapistore/special.js';
import { TAG } from '../../src/mapistore/tags.js';
import {
  DEL_FOLDERS, DEL_MESSAGES, FOLDER_SEARCH, LOGON_FOLDER_ORDER, type MailboxStore, type Store,
} from '../../src/mapistore/types.js';
import { ecOf, val } from './store-helpers.js';

const USER = { username: 'Alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
const PSETID_COMMON = '00062008-0000-0000-c000-000000000046';

/** Folder entry ID -> GLOBCNT (bytes 38..43) after checking the provider and replica GUIDs. */
function globcntOfEntryId(mb: MailboxStore, b: Buffer): bigint {
  expect(b.length).toBe(46);
  expect(readGuid(b, 4)).toBe(mb.mailboxGuid);
  expect(b.readUInt16LE(20)).toBe(1);
  expect(readGuid(b, 22)).toBe(mb.replGuid);
  return BigInt('0x' + b.subarray(38, 44).toString('hex'));
}

const note = (subject: string, read = false) => ({
  read,
  props: [
    { tag: TAG.MessageClass, value: 'IPM.Note' },
    { tag: TAG.Subject, value: subject },
  ],
});

export function storeSuite(name: string, makeIndexIn: (dir: string) => Promise<IndexProvider>, available = true): void {
  describe.skipIf(!available)(`mapistore (${name} index)`, () => {
    let dir: string;
    let store: Store;
    let mb: MailboxStore;
    const makeIndex = () => makeIndexIn(dir);
    const open = async () => {
      store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: await makeIndex(), idBatch: 16 });
      mb = await store.openMailbox(USER);
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-mapistore-'));
      await open();
    });
    afterAll(async () => {
      await store?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('provisions every special folder with its parent, class and type', async () => {
      const sp = mb.special;
      const fids = Object.values(sp);
      expect(new Set(fids).size).toBe(SPECIAL_FOLDERS.length);
      for (const f of fids) expect(eidReplId(f)).toBe(1);
      for (const d of SPECIAL_FOLDERS) {
        const props = await mb.getFolderProps(sp[d.key], [TAG.DisplayName, TAG.ContainerClass, TAG.FolderType, TAG.ParentFolderId]);
        expect(val(props, TAG.DisplayName)).toBe(d.displayName);
        if (d.containerClass) expect(val(props, TAG.ContainerClass)).toBe(d.containerClass);
        expect(val(props, TAG.FolderType)).toBe(d.folderType);
        expect(await mb.parentOf(sp[d.key])).toBe(d.parent === null ? null : sp[d.parent]);
      }
      expect(val(await mb.getFolderProps(sp.reminders, [TAG.FolderType]), TAG.FolderType)).toBe(FOLDER_SEARCH);
      expect(LOGON_FOLDER_ORDER.map((k) => sp[k]).length).toBe(13);
      const ipm = await mb.hierarchyRows(sp.ipmSubtree);
      expect(ipm.map((r) => r.props.get(TAG.DisplayName))).toEqual([
        'Inbox', 'Outbox', 'Sent Items', 'Deleted Items', 'Drafts', 'Calendar', 'Contacts', 'Tasks', 'Notes', 'Journal', 'Junk E-mail', 'Sync Issues',
      ]);
    });

    it('puts the special-folder entry IDs on the root and the Inbox (MS-OXOSFLD 2.2)', async () => {
      const sp = mb.special;
      const want: [number, keyof typeof sp][] = [
        [TAG.IpmAppointmentEntryId, 'calendar'], [TAG.IpmContactEntryId, 'contacts'], [TAG.IpmJournalEntryId, 'journal'],
        [TAG.IpmNoteEntryId, 'notes'], [TAG.IpmTaskEntryId, 'tasks'], [TAG.RemindersOnlineEntryId, 'reminders'], [TAG.IpmDraftsEntryId, 'drafts'],
      ];
      for (const fid of [sp.root, sp.inbox]) {
        const props = await mb.getFolderProps(fid);
        for (const [tag, key] of want) expect(globcntOfEntryId(mb, val(props, tag) as Buffer)).toBe(eidGlobcnt(sp[key]));
        const ren = val(props, TAG.AdditionalRenEntryIds) as Buffer[];
        expect(ren.map((b) => globcntOfEntryId(mb, b))).toEqual(['conflicts', 'syncIssues', 'localFailures', 'serverFailures', 'junk'].map((k) => eidGlobcnt(sp[k as keyof typeof sp])));
        const ex = val(props, TAG.AdditionalRenEntryIdsEx) as Buffer;
        expect(ex.readUInt16LE(0)).toBe(0x8004);
        expect(ex.readUInt16LE(4)).toBe(0x0001);
        expect(globcntOfEntryId(mb, ex.subarray(8, 8 + ex.readUInt16LE(6)))).toBe(eidGlobcnt(sp.todoSearch));
      }
      expect(val(await mb.getFolderProps(sp.outbox), TAG.IpmNoteEntryId)).toBeUndefined();
      const store = await mb.storeProps([TAG.IpmSubtreeEntryId, TAG.IpmWastebasketEntryId, TAG.FinderEntryId, TAG.MailboxOwnerName]);
      expect(globcntOfEntryId(mb, val(store, TAG.IpmSubtreeEntryId) as Buffer)).toBe(eidGlobcnt(sp.ipmSubtree));
      expect(globcntOfEntryId(mb, val(store, TAG.IpmWastebasketEntryId) as Buffer)).toBe(eidGlobcnt(sp.deletedItems));
      expect(globcntOfEntryId(mb, val(store, TAG.FinderEntryId) as Buffer)).toBe(eidGlobcnt(sp.finder));
      expect(val(store, TAG.MailboxOwnerName)).toBe('Alice Example');
      // MS-OXCDATA 2.2.5.2 Address Book EntryIDs of the owner (the logged-on user of a private mailbox)
      const owner = val(await mb.storeProps([TAG.MailboxOwnerEntryId]), TAG.MailboxOwnerEntryId) as Buffer;
      // ProviderUID bytes as MS-OXCDATA 2.2.5.2 prints them
      expect(owner.subarray(0, 28).toString('hex')).toBe('00000000' + 'dca740c8c042101ab4b908002b2fe182' + '01000000' + '00000000');
      expect(owner.subarray(28).toString('latin1')).toBe(`${USER.legacyDn}\0`);
      expect(val(await mb.storeProps([TAG.UserEntryId]), TAG.UserEntryId)).toEqual(owner);
      expect(await mb.setStoreProps([{ tag: 0x6700001f, value: 'x' }, { tag: TAG.IpmSubtreeEntryId, value: Buffer.alloc(46) }])).toEqual([
        { index: 1, tag: TAG.IpmSubtreeEntryId, error: SEC.Computed },
      ]);
      // the limits the server decides (send size, quota) and the size: never a client's
      const limits = [TAG.MaximumSubmitMessageSize, TAG.ProhibitReceiveQuota, TAG.ProhibitSendQuota, TAG.StorageQuotaLimit];
      expect(await mb.setStoreProps(limits.map((tag) => ({ tag, value: 1 })))).toEqual(limits.map((tag, index) => ({ index, tag, error: SEC.Computed })));
      expect(await mb.setStoreProps([{ tag: TAG.MessageSizeExtended, value: 1n }])).toEqual([{ index: 0, tag: TAG.MessageSizeExtended, error: SEC.Computed }]);
      expect(await mb.deleteStoreProps([TAG.StorageQuotaLimit])).toEqual([{ index: 0, tag: TAG.StorageQuotaLimit, error: SEC.Computed }]);
      expect((await mb.storeProps(limits)).every((p) => 'error' in p)).toBe(true);
      // limits a client stored before they were refused: neither shown (submit would enforce them) nor kept
      const meta = (mb as unknown as { st: { setMeta: { run(k: string, v: string): void } } }).st.setMeta;
      meta.run('store_props', encodeProps(new Map<number, PropValue>([[TAG.ProhibitSendQuota, 5], [TAG.StorageQuotaLimit, 4], [0x6702001f, 'kept'], [0x6700001f, 'x']])));
      expect(await mb.storeProps([TAG.ProhibitSendQuota, TAG.StorageQuotaLimit, 0x6702001f])).toEqual([
        { tag: (TAG.ProhibitSendQuota & 0xffff0000) | 0x000a, error: MAPI_E.NOT_FOUND },
        { tag: (TAG.StorageQuotaLimit & 0xffff0000) | 0x000a, error: MAPI_E.NOT_FOUND },
        { tag: 0x6702001f, value: 'kept' },
      ]);
      expect((await mb.storeProps()).some((p) => p.tag === TAG.ProhibitSendQuota)).toBe(false);
      expect(await mb.deleteStoreProps([0x6702001f])).toEqual([]);
      expect([...decodeProps((mb as unknown as { meta(k: string): string | null }).meta('store_props')).keys()]).not.toContain(TAG.ProhibitSendQuota);
      expect(val(await mb.storeProps([0x6700001f]), 0x6700001f)).toBe('x');
      expect(await mb.deleteStoreProps([0x6700001f])).toEqual([]);
      expect(val(await mb.storeProps(), 0x6700001f)).toBeUndefined();
      expect(typeof val(await mb.storeProps([TAG.MessageSizeExtended]), TAG.MessageSizeExtended)).toBe('bigint');
    });

    it('answers receive folders by longest class prefix (MS-OXCSTOR RopGetReceiveFolder)', async () => {
      const sp = mb.special;
      expect(await mb.getReceiveFolder('')).toEqual({ fid: sp.inbox, explicitClass: '' });
      expect(await mb.getReceiveFolder('IPM.Note.Custom')).toEqual({ fid: sp.inbox, explicitClass: 'IPM' });
      expect(await mb.getReceiveFolder('report.ipm.note.NDR')).toEqual({ fid: sp.inbox, explicitClass: 'Report.IPM' });
      expect(await mb.getReceiveFolder('IPC.Foo')).toEqual({ fid: sp.root, explicitClass: 'IPC' });
      expect(await mb.getReceiveFolder('X.Y')).toEqual({ fid: sp.inbox, explicitClass: '' });
      await mb.setReceiveFolder('IPM.Note.Special', sp.calendar);
      expect(await mb.getReceiveFolder('IPM.Note.Special.Sub')).toEqual({ fid: sp.calendar, explicitClass: 'IPM.Note.Special' });
      expect(await mb.getReceiveFolder('IPM.Note.Specialist')).toEqual({ fid: sp.inbox, explicitClass: 'IPM' });
      const table = await mb.receiveFolderTable();
      expect(table.map((r) => r.messageClass).sort()).toEqual(['', 'IPC', 'IPM', 'IPM.Note.Special', 'Report.IPM']);
      await mb.setReceiveFolder('IPM.Note.Special', 0n);
      expect((await mb.getReceiveFolder('IPM.Note.Special')).explicitClass).toBe('IPM');
      expect(await ecOf(mb.setReceiveFolder('', 0n))).toBe(SEC.Error);
      expect(await ecOf(mb.getReceiveFolder('bad..class'))).toBe(SEC.InvalidParam);
      expect(await ecOf(mb.setReceiveFolder('IPM.X', makeEid(1, 0xffffffn)))).toBe(SEC.NotFound);
    });

    it('keeps SourceKey, and moves ChangeKey, CN and the merged PCL on every change', async () => {
      const { fid } = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Projects', containerClass: 'IPF.Note' });
      const a = await mb.folderChangeInfo(fid);
      expect(a.sourceKey).toEqual(encodeXid(mb.replGuid, eidGlobcnt(fid)));
      expect(a.changeKey).toEqual(encodeXid(mb.replGuid, eidGlobcnt(a.cn)));
      expect(a.pcl).toEqual(Buffer.concat([Buffer.from([22]), a.changeKey]));
      const props = await mb.getFolderProps(fid, [TAG.SourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.ChangeNumber, TAG.ParentSourceKey]);
      expect(val(props, TAG.ChangeNumber)).toBe(a.cn);
      expect(val(props, TAG.ParentSourceKey)).toEqual(encodeXid(mb.replGuid, eidGlobcnt(mb.special.ipmSubtree)));
      expect(await mb.setFolderProps(fid, [{ tag: TAG.Comment, value: 'work' }])).toEqual([]);
      const b = await mb.folderChangeInfo(fid);
      expect(b.sourceKey).toEqual(a.sourceKey);
      expect(eidGlobcnt(b.cn)).toBeGreaterThan(eidGlobcnt(a.cn));
      expect(b.changeKey).toEqual(encodeXid(mb.replGuid, eidGlobcnt(b.cn)));
      const pcl = decodePcl(b.pcl);
      expect(pcl).toHaveLength(1);
      expect(pcl[0]?.localId).toEqual(b.changeKey.subarray(16));
      expect(b.lastModified).toBeGreaterThanOrEqual(a.lastModified);
      expect(eidGlobcnt(await mb.currentCn())).toBeGreaterThanOrEqual(eidGlobcnt(b.cn));
    });

    it('applies the folder name rules: duplicate, openExisting, special folders reused and protected', async () => {
      const sp = mb.special;
      expect(await ecOf(mb.createFolder(sp.ipmSubtree, { displayName: 'projects' }))).toBe(SEC.DuplicateName);
      const again = await mb.createFolder(sp.ipmSubtree, { displayName: 'Projects', openExisting: true });
      expect(again.existing).toBe(true);
      expect(again.fid).toBe(await mb.findChild(sp.ipmSubtree, 'PROJECTS'));
      expect(await mb.createFolder(sp.ipmSubtree, { displayName: 'Calendar', openExisting: true })).toEqual({ fid: sp.calendar, existing: true });
      expect(await ecOf(mb.createFolder(sp.ipmSubtree, { displayName: 'Calendar', containerClass: 'IPF.Appointment' }))).toBe(SEC.DuplicateName);
      for (const k of ['inbox', 'calendar', 'root', 'ipmSubtree', 'conflicts'] as const) {
        expect(await ecOf(mb.deleteFolder(sp[k], DEL_FOLDERS | DEL_MESSAGES))).toBe(SEC.AccessDenied);
      }
      expect(await ecOf(mb.moveFolder(sp.calendar, sp.inbox))).toBe(SEC.AccessDenied);
      const hidden = await mb.getFolderProps(sp.calendar, [TAG.Access]);
      expect((val(hidden, TAG.Access) as number) & 0x04).toBe(0);
    });

    it('moves, copies and deletes folders (cycles refused, tombstones recorded)', async () => {
      const sp = mb.special;
      const a = (await mb.createFolder(sp.inbox, { displayName: 'A' })).fid;
      const b = (await mb.createFolder(a, { displayName: 'B' })).fid;
      const c = (await mb.createFolder(b, { displayName: 'C' })).fid;
      await mb.bulkInsertMessages(b, [note('b1'), note('b2', true)]);
      expect(await ecOf(mb.moveFolder(a, c))).toBe(SEC.FolderCycle);
      expect(await ecOf(mb.moveFolder(a, a))).toBe(SEC.FolderCycle);
      expect(await ecOf(mb.copyFolder(a, b, { recursive: true }))).toBe(SEC.FolderCycle);
      const before = await mb.currentCn();
      await mb.moveFolder(b, sp.drafts, 'B2');
      expect(await mb.parentOf(b)).toBe(sp.drafts);
      expect(val(await mb.getFolderProps(b, [TAG.DisplayName]), TAG.DisplayName)).toBe('B2');
      expect(await mb.parentOf(c)).toBe(b);
      const gone = await mb.changesSince(a, 'folder', before);
      expect(gone).toEqual([expect.objectContaining({ id: b, deleted: true })]);
      const came = await mb.changesSince(sp.drafts, 'folder', before);
      expect(came).toEqual([expect.objectContaining({ id: b, deleted: false })]);
      // recursive copy: new FIDs and MIDs, same names and contents
      const copy = await mb.copyFolder(b, sp.inbox, { recursive: true, newName: 'B copy' });
      expect(copy).not.toBe(b);
      const rows = await mb.hierarchyRows(copy, { recursive: true });
      expect(rows.map((r) => r.props.get(TAG.DisplayName))).toEqual(['C']);
      expect(rows[0]?.id).not.toBe(c);
      const copied = await mb.contentsRows(copy, { tags: [TAG.Subject, TAG.Mid] });
      expect(copied.map((r) => r.props.get(TAG.Subject))).toEqual(['b1', 'b2']);
      const orig = await mb.contentsRows(b);
      expect(new Set([...copied, ...orig].map((r) => r.id)).size).toBe(4);
      const fprops = await mb.getFolderProps(copy, [TAG.ContentCount, TAG.ContentUnreadCount, TAG.Subfolders, TAG.FolderChildCount]);
      expect([val(fprops, TAG.ContentCount), val(fprops, TAG.ContentUnreadCount), val(fprops, TAG.Subfolders), val(fprops, TAG.FolderChildCount)]).toEqual([2, 1, true, 1]);
      // delete: without DEL_MESSAGES a folder with messages stays
      expect(await mb.deleteFolder(copy, DEL_FOLDERS)).toEqual({ partial: true, reason: SEC.HasMessages });
      expect(await mb.deleteFolder(copy, DEL_MESSAGES)).toEqual({ partial: true, reason: SEC.HasFolders });
      expect(await mb.folderExists(copy)).toBe(true);
      const cnBefore = await mb.currentCn();
      expect(await mb.deleteFolder(copy, DEL_FOLDERS | DEL_MESSAGES)).toEqual({ partial: false });
      expect(await mb.folderExists(copy)).toBe(false);
      expect(await mb.folderExists(rows[0]?.id as bigint)).toBe(false);
      const dels = await mb.changesSince(sp.inbox, 'folder', cnBefore);
      expect(dels).toEqual([expect.objectContaining({ id: copy, deleted: true })]);
      expect(await ecOf(mb.getFolderProps(copy))).toBe(SEC.NotFound);
    });

    it('stores messages with computed properties and tracks reads, moves, copies and deletes', async () => {
      const sp = mb.special;
      const f = (await mb.createFolder(sp.inbox, { displayName: 'Msgs' })).fid;
      const m1 = await mb.createMessage(f, note('one'));
      const m2 = await mb.createMessage(f, note('two', true));
      const fai = await mb.createMessage(f, { associated: true, props: [{ tag: TAG.MessageClass, value: 'IPM.Configuration.X' }] });
      const p = await mb.getMessageProps(m1);
      expect(val(p, TAG.Mid)).toBe(m1);
      expect(val(p, TAG.FolderId)).toBe(f);
      expect(val(p, TAG.MessageFlags)).toBe(0);
      expect(val(p, TAG.SourceKey)).toEqual(encodeXid(mb.replGuid, eidGlobcnt(m1)));
      expect((val(p, TAG.EntryId) as Buffer).length).toBe(70);
      expect(val(p, TAG.MessageSize) as number).toBeGreaterThan(0);
      expect(val(await mb.getMessageProps(fai, [TAG.MessageFlags]), TAG.MessageFlags)).toBe(0x40);
      expect((await mb.contentsRows(f)).map((r) => r.id)).toEqual([m1, m2]);
      expect((await mb.contentsRows(f, { associated: true })).map((r) => r.id)).toEqual([fai]);
      const counts = async () => {
        const r = await mb.getFolderProps(f, [TAG.ContentCount, TAG.ContentUnreadCount, TAG.AssociatedContentCount]);
        return [val(r, TAG.ContentCount), val(r, TAG.ContentUnreadCount), val(r, TAG.AssociatedContentCount)];
      };
      expect(await counts()).toEqual([2, 1, 1]);
      // read flags: a read CN, not a change CN
      const cn0 = await mb.currentCn();
      const ci = await mb.messageChangeInfo(m1);
      expect(await mb.setReadFlags(f, [m1, m2], true)).toEqual([m1]);
      expect(await counts()).toEqual([2, 0, 1]);
      expect((await mb.messageChangeInfo(m1)).cn).toBe(ci.cn);
      expect(await mb.readChangesSince(f, cn0)).toEqual([expect.objectContaining({ id: m1, read: true })]);
      expect(val(await mb.getMessageProps(m1, [TAG.MessageFlags]), TAG.MessageFlags)).toBe(1);
      // string width conversion and not-found errors
      const w = await mb.getMessageProps(m1, [0x0037001e, 0x12340003]);
      expect(w[0]).toEqual({ tag: 0x0037001e, value: 'one' });
      expect(w[1]).toEqual({ tag: 0x12340003 & 0xffff0000 | PT.ERROR, error: MAPI_E.NOT_FOUND });
      // property updates
      expect(await mb.setMessageProps(m1, [{ tag: TAG.Subject, value: 'uno' }, { tag: TAG.Mid, value: 5n }])).toEqual([{ index: 1, tag: TAG.Mid, error: SEC.Computed }]);
      const after = await mb.messageChangeInfo(m1);
      expect(eidGlobcnt(after.cn)).toBeGreaterThan(eidGlobcnt(ci.cn));
      expect(await mb.deleteMessageProps(m1, [TAG.Subject])).toEqual([]);
      expect(val(await mb.getMessageProps(m1), TAG.Subject)).toBeUndefined();
      // move: same MID and SourceKey, new CN, tombstone in the source
      const dst = (await mb.createFolder(sp.inbox, { displayName: 'Dst' })).fid;
      const cn1 = await mb.currentCn();
      const bogus = makeEid(1, 0xfffffffn);
      const mv = await mb.moveCopyMessages(f, [m1, bogus], dst, false);
      expect(mv.partial).toBe(true);
      expect(mv.ids.get(m1)).toBe(m1);
      expect(await mb.folderOfMessage(m1)).toBe(dst);
      const moved = await mb.messageChangeInfo(m1);
      expect(moved.sourceKey).toEqual(after.sourceKey);
      expect(decodePcl(moved.pcl)).toHaveLength(1);
      expect(await mb.changesSince(f, 'message', cn1)).toEqual([expect.objectContaining({ id: m1, deleted: true, hard: false })]);
      expect(await mb.changesSince(dst, 'message', cn1)).toEqual([expect.objectContaining({ id: m1, deleted: false })]);
      // copy: new MID, new SourceKey
      const cp = await mb.moveCopyMessages(f, [m2], dst, true);
      expect(cp.partial).toBe(false);
      const m2c = cp.ids.get(m2) as bigint;
      expect(m2c).not.toBe(m2);
      expect(await mb.folderOfMessage(m2)).toBe(f);
      expect(val(await mb.getMessageProps(m2c, [TAG.Subject]), TAG.Subject)).toBe('two');
      expect((await mb.messageChangeInfo(m2c)).sourceKey).toEqual(encodeXid(mb.replGuid, eidGlobcnt(m2c)));
      // delete
      const cn2 = await mb.currentCn();
      expect(await mb.deleteMessages(dst, [m1, m2], { hard: true })).toEqual({ partial: true });
      expect(await mb.messageExists(m1)).toBe(false);
      expect(await mb.changesSince(dst, 'message', cn2)).toEqual([expect.objectContaining({ id: m1, deleted: true, hard: true })]);
      // empty folder: normal messages only unless asked
      await mb.emptyFolder(f);
      expect(await counts()).toEqual([0, 0, 1]);
      await mb.emptyFolder(f, { associated: true });
      expect(await counts()).toEqual([0, 0, 0]);
    });

    it('refuses to set or delete computed folder properties (MS-OXCPRPT PropertyProblem)', async () => {
      const f = (await mb.createFolder(mb.special.inbox, { displayName: 'Props' })).fid;
      const probs = await mb.setFolderProps(f, [
        { tag: TAG.FolderId, value: 1n },
        { tag: TAG.DisplayName, value: 'Props 2' },
        { tag: 0x6700001f, value: 'custom' },
        { tag: TAG.ContentCount, value: 3 },
      ]);
      expect(probs).toEqual([{ index: 0, tag: TAG.FolderId, error: SEC.Computed }, { index: 3, tag: TAG.ContentCount, error: SEC.Computed }]);
      const p = await mb.getFolderProps(f, [TAG.DisplayName, 0x6700001e]);
      expect(p.map((x) => ('value' in x ? x.value : x.error))).toEqual(['Props 2', 'custom']);
      expect(await mb.deleteFolderProps(f, [0x6700001f, TAG.SourceKey])).toEqual([{ index: 1, tag: TAG.SourceKey, error: SEC.Computed }]);
      expect(await mb.listFolderProps(f)).not.toContain(0x6700001f);
      const dup = await mb.setFolderProps(f, [{ tag: TAG.DisplayName, value: 'Msgs' }]);
      expect(dup).toEqual([{ index: 0, tag: TAG.DisplayName, error: SEC.DuplicateName }]);
    });

    it('lists the hierarchy recursively with PidTagDepth', async () => {
      const rows = await mb.hierarchyRows(mb.special.root, { recursive: true, tags: [TAG.DisplayName, TAG.Depth, TAG.FolderId] });
      const byName = new Map(rows.map((r) => [r.props.get(TAG.DisplayName), r.props.get(TAG.Depth)]));
      expect(byName.get('Top of Information Store')).toBe(0);
      expect(byName.get('Sync Issues')).toBe(1);
      expect(byName.get('Conflicts')).toBe(2);
      expect(rows.length).toBeGreaterThanOrEqual(SPECIAL_FOLDERS.length - 1);
      expect(rows.every((r) => r.props.get(TAG.FolderId) === r.id)).toBe(true);
    });

    it('allocates IDs from one 48-bit counter in ranges that never overlap, with long-term IDs', async () => {
      const r1 = await mb.allocateRange(100);
      const r2 = await mb.allocateRange(10);
      expect(r2).toBeGreaterThanOrEqual(r1 + 100n);
      const id = await mb.newId();
      expect(eidGlobcnt(id)).toBeGreaterThanOrEqual(r2 + 10n);
      const ltid = mb.longTermIdFromId(mb.special.inbox);
      expect(ltid.length).toBe(24);
      expect(mb.idFromLongTermId(ltid)).toBe(mb.special.inbox);
      const foreign = Buffer.from(ltid);
      foreign[0] = (foreign[0] as number) ^ 0xff;
      expect(() => mb.idFromLongTermId(foreign)).toThrow(StoreError);
      expect(() => mb.longTermIdFromId(makeEid(2, 5n))).toThrow(StoreError);
    });

    it('maps named properties per mailbox, PS_MAPI to fixed ids', async () => {
      const names = [{ guid: PSETID_COMMON, lid: 0x8501 }, { guid: PS_PUBLIC_STRINGS, name: 'Keywords' }, { guid: PS_MAPI, lid: 0x0037 }];
      expect(await mb.getNamedIds(names, false)).toEqual([0, 0, 0x0037]);
      const ids = await mb.getNamedIds(names, true);
      expect(ids[0]).toBeGreaterThanOrEqual(0x8000);
      expect(ids[1]).toBeGreaterThanOrEqual(0x8000);
      expect(ids[0]).not.toBe(ids[1]);
      expect(ids[2]).toBe(0x0037);
      expect(await mb.getNamedIds([names[1] as (typeof names)[number], names[0] as (typeof names)[number]], false)).toEqual([ids[1], ids[0]]);
      expect(await mb.getNames([ids[0] as number, 0x0037, 0xfffe])).toEqual([
        { guid: PSETID_COMMON, lid: 0x8501 }, { guid: PS_MAPI, lid: 0x0037 }, null,
      ]);
      expect((await mb.queryNamedProps(PS_PUBLIC_STRINGS)).map((e) => e.name)).toEqual([{ guid: PS_PUBLIC_STRINGS, name: 'Keywords' }]);
      expect((await mb.queryNamedProps()).length).toBe(2);
    });

    it('keeps per-user information for public folders', async () => {
      const pf = '9073441a-66aa-cd11-9bc8-00aa002fc45a';
      const ltid = Buffer.alloc(24);
      ltid.set(Buffer.from('1a447390aa6611cd9bc800aa002fc45a', 'hex'), 0);
      ltid.writeUInt8(7, 21);
      await mb.writePerUserInformation(ltid, 0, Buffer.from('hello '), false, pf);
      await mb.writePerUserInformation(ltid, 6, Buffer.from('world'), true);
      expect(await ecOf(mb.writePerUserInformation(ltid, 3, Buffer.from('x'), true))).toBe(SEC.InvalidParam);
      expect(await mb.readPerUserInformation(ltid, 0, 6)).toEqual({ data: Buffer.from('hello '), hasFinished: false });
      expect(await mb.readPerUserInformation(ltid, 6, 100)).toEqual({ data: Buffer.from('world'), hasFinished: true });
      expect(await mb.perUserGuid(ltid)).toBe(pf);
      expect(await mb.perUserLongTermIds(pf)).toEqual([ltid]);
      expect(await ecOf(mb.perUserGuid(Buffer.alloc(24)))).toBe(SEC.NotFound);
    });

    it('bulk-inserts 10,000 messages quickly and lists them', async () => {
      const f = (await mb.createFolder(mb.special.inbox, { displayName: 'Bulk' })).fid;
      const t0 = performance.now();
      const msgs = Array.from({ length: 10_000 }, (_, i) => ({
        read: i % 3 === 0,
        props: [
          { tag: TAG.MessageClass, value: 'IPM.Note' },
          { tag: TAG.Subject, value: `message ${i}` },
          { tag: TAG.MessageDeliveryTime, value: 133000000000000000n + BigInt(i) * 10_000_000n },
        ],
      }));
      const mids = await mb.bulkInsertMessages(f, msgs);
      const ms = performance.now() - t0;
      expect(mids).toHaveLength(10_000);
      expect(new Set(mids).size).toBe(10_000);
      expect(ms).toBeLessThan(5000);
      const rows = await mb.contentsRows(f, { tags: [TAG.Subject, TAG.MessageDeliveryTime] });
      expect(rows).toHaveLength(10_000);
      expect(rows[9999]?.props.get(TAG.MessageDeliveryTime)).toBe(133000000000000000n + 9999n * 10_000_000n);
      const c = await mb.getFolderProps(f, [TAG.ContentCount, TAG.ContentUnreadCount]);
      expect([val(c, TAG.ContentCount), val(c, TAG.ContentUnreadCount)]).toEqual([10_000, 6666]);
      expect(await mb.changesSince(f, 'message', 0n)).toHaveLength(10_000);
    });

    it('keeps IDs, special folders and named properties across a reopen', async () => {
      const sp = { ...mb.special };
      const guid = mb.mailboxGuid;
      const named = await mb.getNamedIds([{ guid: PSETID_COMMON, lid: 0x8501 }], false);
      const last = await mb.currentCn();
      await store.close();
      await open();
      expect(mb.mailboxGuid).toBe(guid);
      expect({ ...mb.special }).toEqual(sp);
      expect(await mb.getNamedIds([{ guid: PSETID_COMMON, lid: 0x8501 }], false)).toEqual(named);
      const rows = await mb.hierarchyRows(sp.ipmSubtree);
      expect(rows.filter((r) => r.props.get(TAG.DisplayName) === 'Calendar')).toHaveLength(1);
      const f = (await mb.createFolder(sp.inbox, { displayName: 'After reopen' })).fid;
      expect(eidGlobcnt(f)).toBeGreaterThan(eidGlobcnt(last));
      expect(eidGlobcnt((await mb.folderChangeInfo(f)).cn)).toBeGreaterThan(eidGlobcnt(last));
    });

    it('gives another user another mailbox with its own GUIDs', async () => {
      const bob = await store.openMailbox({ username: 'bob', displayName: 'Bob', legacyDn: '/o=x/cn=bob' });
      expect(bob.mailboxGuid).not.toBe(mb.mailboxGuid);
      expect(bob.replGuid).not.toBe(mb.replGuid);
      expect(await bob.getNamedIds([{ guid: PSETID_COMMON, lid: 0x8501 }], false)).toEqual([0]);
      expect(await store.openMailbox({ ...USER, username: 'ALICE' })).toBe(mb);
    });

    it('serializes concurrent changes: unique IDs, rising CNs, one winner per name', async () => {
      const parent = (await mb.createFolder(mb.special.inbox, { displayName: 'Concurrent' })).fid;
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => mb.createFolder(parent, { displayName: `F${i}` })),
        ...Array.from({ length: 5 }, () => mb.createFolder(parent, { displayName: 'Same' })),
        ...Array.from({ length: 20 }, (_, i) => mb.createMessage(parent, note(`m${i}`))),
      ]);
      const same = results.slice(20, 25);
      expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4);
      const fids = (await mb.children(parent));
      expect(new Set(fids).size).toBe(21);
      const changes = await mb.changesSince(parent, 'message', 0n);
      expect(changes).toHaveLength(20);
      const cns = changes.map((c) => eidGlobcnt(c.cn));
      expect([...cns].sort((a, b) => (a < b ? -1 : 1))).toEqual(cns);
      expect(new Set(cns).size).toBe(20);
    });

    it('hands out the same named-property ids to two index connections racing', async () => {
      const p1 = await makeIndex();
      const p2 = await makeIndex();
      const a = await p1.openMailbox('erin');
      const b = await p2.openMailbox('erin');
      const names = Array.from({ length: 30 }, (_, i) => ({ guid: PS_PUBLIC_STRINGS, name: `race-${i}` }));
      const [x, y] = await Promise.all([a.namedIds(names, true), b.namedIds([...names].reverse(), true)]);
      expect([...(y as number[])].reverse()).toEqual(x);
      expect(new Set(x).size).toBe(30);
      const [r1, r2] = await Promise.all([a.allocate(1000), b.allocate(1000)]);
      expect(r1 === r2).toBe(false);
      expect(r1 > r2 ? r1 - r2 : r2 - r1).toBeGreaterThanOrEqual(1000n);
      await p1.close();
      await p2.close();
    });

    it('maps backend items onto IDs in the index (IMAP/CalDAV mapping table)', async () => {
      const provider = await makeIndex();
      const ix = await provider.openMailbox('carol');
      const g = await ix.allocate(3);
      await ix.putMapping({ kind: 'folder', globcnt: g, folderGlobcnt: 0n, backendKey: 'imap:INBOX', modseq: null, etag: null, version: '1700000000', cn: g + 2n });
      await ix.putMapping({ kind: 'message', globcnt: g + 1n, folderGlobcnt: g, backendKey: 'imap:INBOX/1700000000/42', modseq: 18446744073709551615n, etag: null, version: null, cn: g + 2n });
      expect(await ix.mappingByKey('message', 'imap:INBOX/1700000000/42')).toEqual({
        kind: 'message', globcnt: g + 1n, folderGlobcnt: g, backendKey: 'imap:INBOX/1700000000/42', modseq: 18446744073709551615n, etag: null, version: null, cn: g + 2n,
      });
      await ix.putMapping({ kind: 'message', globcnt: g + 1n, folderGlobcnt: g, backendKey: 'imap:INBOX/1700000000/42', modseq: 7n, etag: '"abc"', version: null, cn: g + 2n });
      expect((await ix.mappingById('message', g + 1n))?.etag).toBe('"abc"');
      expect((await ix.mappingsInFolder(g)).map((m) => m.globcnt)).toEqual([g + 1n]);
      await ix.deleteMapping('message', g + 1n);
      expect(await ix.mappingByKey('message', 'imap:INBOX/1700000000/42')).toBeNull();
      expect(await ix.lastAllocated()).toBeGreaterThanOrEqual(g + 2n);
      await provider.close();
    });
  });
  messageModelSuite(name, makeIndexIn, available);
}
