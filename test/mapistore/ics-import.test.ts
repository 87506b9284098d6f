// The store side of ICS uploads (backends/local/ics-import.ts, objects.ts, computed.ts): a message saved with imported
// change tracking stores both in one transaction (a save that fails, or a draft dropped, leaves nothing), and the
// client's keys of imported objects are what every reader sees: contents and hierarchy tables, getFolderProps,
// getMessageProps, opened message objects, change info, after a reopen too; a later server change gives the server's
// change key back. Reading tables costs no query per row.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeXid } from '../../src/mapi/ids.js';
import { toFileTime } from '../../src/mapi/props.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { SEC } from '../../src/mapistore/errors.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { encodePcl, mergePcl, pclIncludes } from '../../src/mapistore/pcl.js';
import { TAG } from '../../src/mapistore/tags.js';
import type { IcsImportTracking, MailboxStore, Store } from '../../src/mapistore/types.js';
import { readGuid } from '../../src/util/guid.js';
import { ecOf, val } from './store-helpers.js';

const USER = { username: 'Alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
/** The client's replica GUID (foreign source keys and change keys). */
const CG = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const cx = (n: number): Buffer => encodeXid(CG, BigInt(n));
const pclOf = (...xids: Buffer[]): Buffer => encodePcl(mergePcl(...xids.map((x) => [{ guid: readGuid(x, 0), localId: Buffer.from(x.subarray(16)) }])));
const LMT = toFileTime(new Date('2026-03-04T05:06:07.891Z')) + 1234n; // not a whole millisecond: kept exactly
const KEYS = [TAG.SourceKey, TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.LastModificationTime];

describe('ICS import in the store', () => {
  let dir: string;
  let store: Store;
  let mb: MailboxStore;
  const open = async () => {
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')), idBatch: 16 });
    mb = await store.openMailbox(USER);
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-ics-import-'));
    await open();
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const tracking = (sk: Buffer, ck = sk): IcsImportTracking => ({ sourceKey: sk, changeKey: ck, pcl: pclOf(ck), pclMode: 'replace', lastModified: LMT });

  /** A new message with `t` as its tracking, saved in one go. */
  async function importMessage(fid: bigint, t: IcsImportTracking, subject = 'offline'): Promise<bigint> {
    const m = await mb.newMessage(fid);
    await m.setProps([{ tag: TAG.MessageClass, value: 'IPM.Note' }, { tag: TAG.Subject, value: subject }]);
    return m.save({ tracking: t });
  }

  /** An imported folder below the IPM subtree. */
  async function importFolder(sk: Buffer, name: string): Promise<bigint> {
    return mb.importFolder(null, { parent: mb.special.ipmSubtree, displayName: name, props: [], tracking: { sourceKey: sk, changeKey: sk, pcl: pclOf(sk), lastModified: LMT } });
  }

  /** The values of the change-tracking properties from every reader of a message; all must agree. */
  async function messageViews(fid: bigint, mid: bigint): Promise<unknown[][]> {
    const pick = (get: (t: number) => unknown) => KEYS.map(get);
    const row = (await mb.contentsRows(fid, { tags: KEYS })).find((r) => r.id === mid);
    expect(row).toBeDefined();
    const props = await mb.getMessageProps(mid, KEYS);
    const m = await mb.openMessage(mid);
    const opened = await m.getProps(KEYS);
    await m.discard();
    return [pick((t) => row!.props.get(t)), pick((t) => val(props, t)), pick((t) => val(opened, t))];
  }

  it('saves a message and its imported tracking in one transaction, seen the same by every reader', async () => {
    const fsk = cx(0x10);
    const fid = await importFolder(fsk, 'Offline');
    const sk = cx(0x11);
    const mid = await importMessage(fid, tracking(sk));
    const want = [sk, fsk, sk, pclOf(sk), LMT];
    for (const v of await messageViews(fid, mid)) expect(v).toEqual(want);
    const info = await mb.messageChangeInfo(mid);
    expect([info.sourceKey, info.changeKey, info.pcl, info.lastModified]).toEqual([sk, sk, pclOf(sk), LMT]);
    expect(await mb.findBySourceKey('message', sk)).toEqual({ id: mid, deleted: false });
    // the folder: hierarchy table, folder props, change info
    const frow = (await mb.hierarchyRows(mb.special.ipmSubtree, { tags: KEYS })).find((r) => r.id === fid)!;
    const fprops = await mb.getFolderProps(fid, KEYS);
    const fwant = [fsk, (await mb.folderChangeInfo(mb.special.ipmSubtree)).sourceKey, fsk, pclOf(fsk), LMT];
    expect(KEYS.map((t) => frow.props.get(t))).toEqual(fwant);
    expect(KEYS.map((t) => val(fprops, t))).toEqual(fwant);
    expect((await mb.folderChangeInfo(fid)).changeKey).toEqual(fsk);
    // the same after the mailbox is opened again (read from the file)
    await store.close();
    await open();
    for (const v of await messageViews(fid, mid)) expect(v).toEqual(want);
    expect(KEYS.map((t) => val(fprops, t))).toEqual(fwant);
  });

  it('a later server change reports the server change key and time again, the client source key stays', async () => {
    const fid = mb.special.inbox;
    const sk = cx(0x21);
    const mid = await importMessage(fid, tracking(sk));
    await mb.setMessageProps(mid, [{ tag: TAG.Subject, value: 'server edit' }]);
    const info = await mb.messageChangeInfo(mid);
    expect(info.sourceKey).toEqual(sk);
    expect(info.changeKey).not.toEqual(sk);
    expect(pclIncludes(info.pcl, pclOf(sk))).toBe(true);
    const want = [sk, (await mb.folderChangeInfo(fid)).sourceKey, info.changeKey, info.pcl, info.lastModified];
    for (const v of await messageViews(fid, mid)) expect(v).toEqual(want);
    expect(info.lastModified).not.toBe(LMT);
  });

  it('a save whose tracking fails inside the transaction stores nothing: neither the message nor its keys', async () => {
    const fid = mb.special.inbox;
    const taken = cx(0x31);
    const other = await importMessage(fid, tracking(taken), 'first');
    const before = (await mb.contentsRows(fid)).length;
    // a new message claiming a source key another message has: refused at the ics_keys write, after the message row
    const m = await mb.newMessage(fid);
    await m.setProps([{ tag: TAG.Subject, value: 'duplicate' }]);
    expect(await ecOf(m.save({ tracking: tracking(taken, cx(0x32)) }))).toBe(SEC.InvalidParam);
    await m.discard();
    expect((await mb.contentsRows(fid)).length).toBe(before);
    expect(await mb.findBySourceKey('message', taken)).toEqual({ id: other, deleted: false });
    // an existing message updated the same way keeps its stored version and keys
    const sk = cx(0x33);
    const mid = await importMessage(fid, tracking(sk), 'kept');
    const info = await mb.messageChangeInfo(mid);
    const upd = await mb.openMessage(mid);
    await upd.setProps([{ tag: TAG.Subject, value: 'lost' }]);
    expect(await ecOf(upd.save({ tracking: tracking(taken, cx(0x34)) }))).toBe(SEC.InvalidParam);
    await upd.discard();
    expect(await mb.messageChangeInfo(mid)).toEqual(info);
    expect(val(await mb.getMessageProps(mid, [TAG.Subject]), TAG.Subject)).toBe('kept');
    // malformed tracking is refused before anything is written; an embedded message takes none
    const bad = await mb.newMessage(fid);
    expect(await ecOf(bad.save({ tracking: { ...tracking(cx(0x35)), pcl: Buffer.from([9, 1]) } }))).not.toBe(0);
    expect(await ecOf(bad.save({ tracking: tracking(Buffer.alloc(4), cx(0x37)) }))).toBe(SEC.InvalidParam);
    const att = await bad.createAttachment();
    const emb = await att.openEmbeddedMessage(true);
    expect(await ecOf(emb.save({ tracking: tracking(cx(0x36)) }))).toBe(SEC.InvalidParam);
    await bad.discard();
    expect((await mb.contentsRows(fid)).length).toBe(before + 1);
    // a draft dropped without save leaves nothing either
    const dropped = await mb.newMessage(fid);
    await dropped.setProps([{ tag: TAG.Subject, value: 'dropped' }]);
    await dropped.discard();
    expect((await mb.contentsRows(fid)).length).toBe(before + 1);
    expect(await mb.findBySourceKey('message', cx(0x35))).toBeNull();
  });

  it('arbitrary tracking: the save stores message and keys together, or nothing', async () => {
    const fid = mb.special.drafts;
    let n = 0x1000;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)), fc.constant(null)),
        fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), fc.constant(null)),
        fc.boolean(),
        async (skRaw, pclRaw, replace) => {
          const sk = skRaw ?? cx(++n);
          const ck = cx(++n);
          const t: IcsImportTracking = { sourceKey: sk, changeKey: ck, pcl: pclRaw ?? pclOf(ck), pclMode: replace ? 'replace' : 'merge', lastModified: LMT };
          const before = (await mb.contentsRows(fid)).length;
          const m = await mb.newMessage(fid);
          let mid: bigint | null = null;
          try {
            mid = await m.save({ tracking: t });
          } catch {
            await m.discard();
          }
          const rows = (await mb.contentsRows(fid, { tags: [TAG.SourceKey, TAG.ChangeKey] })).length;
          if (mid === null) {
            expect(rows).toBe(before);
          } else {
            expect(rows).toBe(before + 1);
            const info = await mb.messageChangeInfo(mid);
            expect([info.sourceKey, info.changeKey]).toEqual([sk, ck]);
            expect(pclIncludes(info.pcl, pclOf(ck))).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('tables of a mailbox with imports run no query per row', async () => {
    const fid = mb.special.inbox;
    await mb.bulkInsertMessages(fid, Array.from({ length: 200 }, (_, i) => ({ props: [{ tag: TAG.Subject, value: `m${i}` }] })));
    await importMessage(fid, tracking(cx(0x41)));
    await importFolder(cx(0x42), 'Imported');
    const db = (mb as LocalMailbox).db;
    const prepare = db.prepare.bind(db);
    let calls = 0;
    db.prepare = ((sql: string) => {
      calls++;
      return prepare(sql);
    }) as typeof db.prepare;
    try {
      const rows = await mb.contentsRows(fid, { tags: KEYS });
      expect(rows.length).toBe(201);
      await mb.hierarchyRows(mb.special.ipmSubtree, { tags: KEYS, recursive: true });
    } finally {
      db.prepare = prepare;
    }
    expect(calls).toBeLessThanOrEqual(2);
  });
});
