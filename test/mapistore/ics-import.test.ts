// The store side of ICS uploads (backends/local/ics-import.ts, objects.ts, computed.ts): a message saved with imported
// change tracking stores both in one transaction (a save that fails, or a draft dropped, leaves nothing), and the
// client's keys of imported objects are what every reader sees: contents and hierarchy tables, getFolderProps,
// getMessageProps, opened message objects, change info, after a reopen too; a later server change gives the server's
// change key back. Reading tables costs no query per row. IDs the client reserved (RopGetLocalReplicaIds) and names
// in a source key become the object's ID (MS-OXCFXICS 3.3.5.2.1), for new messages, new folders and moves; a move is
// one transaction with its tracking. PidTagMessageFlags / PidTagHasAttachments agree in every reader.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eidGlobcnt, encodeXid, makeEid } from '../../src/mapi/ids.js';
import { toFileTime } from '../../src/mapi/props.js';
import { backfillHasAttachments } from '../../src/mapistore/backends/local/objects.js';
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

/**
 * Gives each test of the enclosing describe a fresh LocalStore in a temp directory named from `prefix`, closed and
 * removed after it; `use` receives the mailbox every time it is opened. Returns `reopen`: close the store and open it
 * again (the mailbox read back from its files).
 */
function tempMailbox(prefix: string, use: (mb: MailboxStore) => void): () => Promise<void> {
  let dir = '';
  let store: Store | undefined;
  const open = async (): Promise<void> => {
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')), idBatch: 16 });
    use(await store.openMailbox(USER));
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    await open();
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return async () => {
    await store?.close();
    await open();
  };
}

describe('ICS import in the store', () => {
  let mb: MailboxStore;
  const reopen = tempMailbox('ocng-ics-import-', (m) => (mb = m));

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
    await reopen();
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

describe('IDs the client reserved (MS-OXCFXICS 3.3.5.2.1, 2.2.3.2.4.7)', () => {
  let mb: MailboxStore;
  tempMailbox('ocng-ics-ids-', (m) => (mb = m));

  const own = (g: bigint): Buffer => encodeXid(mb.replGuid, g);
  const t = (sk: Buffer): IcsImportTracking & { sourceKey: Buffer } => ({ sourceKey: sk, changeKey: cx(0x99), pcl: pclOf(cx(0x99)), pclMode: 'replace', lastModified: LMT });
  async function save(sk: Buffer, subject = 'offline'): Promise<bigint> {
    const m = await mb.newMessage(mb.special.inbox);
    await m.setProps([{ tag: TAG.Subject, value: subject }]);
    return m.save({ tracking: t(sk) });
  }

  it('a new message and a new folder take the reserved ID their source key names; others get fresh IDs', async () => {
    const first = await mb.allocateClientRange(8);
    const mid = await save(own(first + 2n));
    expect(mid).toBe(makeEid(1, first + 2n));
    expect(await mb.findBySourceKey('message', own(first + 2n))).toEqual({ id: mid, deleted: false });
    expect((await mb.messageChangeInfo(mid)).sourceKey).toEqual(own(first + 2n));
    const fid = await mb.importFolder(null, { parent: mb.special.ipmSubtree, displayName: 'Offline', props: [], tracking: { ...t(own(first + 3n)), pclMode: undefined } });
    expect(fid).toBe(makeEid(1, first + 3n));
    expect((await mb.getFolderProps(fid, [TAG.SourceKey]))[0]).toEqual({ tag: TAG.SourceKey, value: own(first + 3n) });
    // a GID of this replica that was never reserved, one given up, a foreign XID: fresh IDs, the key kept as the client's
    const notReserved = own(eidGlobcnt(await mb.newId()) + 1000n);
    await mb.recordDeletedRanges([{ first: first + 5n, last: first + 5n }]);
    for (const sk of [notReserved, own(first + 5n), cx(0x77)]) {
      const m = await save(sk);
      expect(eidGlobcnt(m)).not.toBe(globcntOf(sk));
      expect(await mb.findBySourceKey('message', sk)).toEqual({ id: m, deleted: false });
      expect(val(await mb.getMessageProps(m, [TAG.SourceKey]), TAG.SourceKey)).toEqual(sk);
    }
  });

  it('a reserved ID is used once: a second save naming it stores nothing (ecInvalidParam)', async () => {
    const first = await mb.allocateClientRange(2);
    const a = await mb.newMessage(mb.special.inbox);
    const b = await mb.newMessage(mb.special.inbox);
    await a.setProps([{ tag: TAG.Subject, value: 'a' }]);
    await b.setProps([{ tag: TAG.Subject, value: 'b' }]);
    expect(await a.save({ tracking: t(own(first)) })).toBe(makeEid(1, first));
    const cn = await mb.currentCn();
    const rows = (await mb.contentsRows(mb.special.inbox)).length;
    expect(await ecOf(b.save({ tracking: t(own(first)) }))).toBe(SEC.InvalidParam);
    expect(await mb.currentCn()).toBe(cn);
    expect((await mb.contentsRows(mb.special.inbox)).length).toBe(rows);
    // a folder cannot take a message's ID either
    const f = await mb.importFolder(null, { parent: mb.special.ipmSubtree, displayName: 'X', props: [], tracking: { ...t(own(first + 1n)), pclMode: undefined } });
    expect(f).toBe(makeEid(1, first + 1n));
    expect(await ecOf(save(own(first + 1n)))).toBe(SEC.InvalidParam);
  });

  it('property: the ID is taken exactly when reserved, not given up and unused', async () => {
    const first = await mb.allocateClientRange(16);
    const givenUp = new Set<bigint>();
    const used = new Set<bigint>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -4, max: 20 }), fc.boolean(), async (off, giveUp) => {
        // offsets past the range name IDs far beyond it: IDs just after it are the ones the server hands out next,
        // and a fresh MID equal to the key's ID would look like the key's ID being taken
        const g = first + BigInt(off < 16 ? off : off + 1_000_000);
        if (giveUp && off >= 0 && off < 16 && !used.has(g)) {
          await mb.recordDeletedRanges([{ first: g, last: g }]);
          givenUp.add(g);
        }
        const sk = own(g);
        if ((await mb.findBySourceKey('message', sk)) !== null) return; // known: an update, not a new message
        const expectOwn = off >= 0 && off < 16 && !givenUp.has(g) && !used.has(g);
        const r = await ecOf(save(sk).then((m) => {
          expect(m === makeEid(1, g)).toBe(expectOwn);
          if (expectOwn) used.add(g);
        }));
        // a GID of ours naming an ID the server uses (live) is someone else's key
        expect(expectOwn ? [0] : [0, SEC.InvalidParam]).toContain(r);
      }),
      { numRuns: 40 },
    );
  });

  it('a move takes the reserved ID of its destination key, in one transaction with its tracking', async () => {
    const first = await mb.allocateClientRange(4);
    const inbox = mb.special.inbox;
    const drafts = mb.special.drafts;
    const m = await mb.newMessage(inbox);
    await m.setProps([{ tag: TAG.Subject, value: 'moving' }]);
    await m.setRecipients([{ rowId: 0, props: [{ tag: 0x0c150003, value: 1 }, { tag: 0x3001001f, value: 'Bob' }] }]);
    const att = await m.createAttachment();
    await att.setProps([{ tag: 0x37050003, value: 1 }, { tag: 0x37010102, value: Buffer.from('data') }]);
    await att.save();
    const mid = await m.save({ tracking: t(cx(0x501)) });
    await mb.setReadFlags(inbox, [mid], true);
    const moved = await mb.importMessageMove(mid, drafts, { sourceKey: own(first), changeKey: cx(0x502), pcl: pclOf(cx(0x501), cx(0x502)), pclMode: 'replace' });
    expect(moved).toBe(makeEid(1, first));
    expect(await mb.messageExists(mid)).toBe(false);
    expect(await mb.folderOfMessage(moved)).toBe(drafts);
    const o = await mb.openMessage(moved);
    expect(val(await o.getProps([TAG.Subject, TAG.Read]), TAG.Subject)).toBe('moving');
    expect(val(await o.getProps([TAG.Read]), TAG.Read)).toBe(true);
    expect(await o.readRecipients()).toHaveLength(1);
    expect(await o.attachmentTable()).toHaveLength(1);
    await o.discard();
    const info = await mb.messageChangeInfo(moved);
    expect([info.sourceKey, info.changeKey]).toEqual([own(first), cx(0x502)]);
    expect(await mb.findBySourceKey('message', own(first))).toEqual({ id: moved, deleted: false });
    expect((await mb.findBySourceKey('message', cx(0x501)))?.deleted).toBe(true);
    const gone = await mb.changesSince(inbox, 'message', 0n);
    expect(gone.some((c) => c.id === mid && c.deleted)).toBe(true);
    // a key another object has (a live ID of ours, another message's client key): nothing moves, no tracking, no CN
    const other = await save(cx(0x601), 'other');
    const cn = await mb.currentCn();
    const before = await mb.messageChangeInfo(other);
    for (const sk of [own(first), cx(0x501)]) {
      expect(await ecOf(mb.importMessageMove(other, drafts, { sourceKey: sk, changeKey: cx(0x602), pcl: pclOf(cx(0x602)) }))).toBe(SEC.InvalidParam);
    }
    expect(await mb.currentCn()).toBe(cn);
    expect(await mb.folderOfMessage(other)).toBe(inbox);
    expect(await mb.messageChangeInfo(other)).toEqual(before);
    // a foreign destination key: the MID stays, the key is the client's
    const kept = await mb.importMessageMove(other, drafts, { sourceKey: cx(0x603), changeKey: cx(0x604), pcl: pclOf(cx(0x601), cx(0x604)), pclMode: 'replace' });
    expect(kept).toBe(other);
    expect(await mb.folderOfMessage(other)).toBe(drafts);
    expect((await mb.messageChangeInfo(other)).sourceKey).toEqual(cx(0x603));
  });
});

const globcntOf = (sk: Buffer): bigint => BigInt('0x' + sk.subarray(16).toString('hex'));

describe('PidTagMessageFlags and PidTagHasAttachments: every reader agrees', () => {
  let mb: MailboxStore;
  const reopen = tempMailbox('ocng-ics-flags-', (m) => (mb = m));
  const TAGS = [TAG.MessageFlags, 0x0e1b000b];

  /** [flags, has] from the contents table, getMessageProps and an opened message object. */
  async function views(mid: bigint): Promise<unknown[][]> {
    const fid = (await mb.folderOfMessage(mid))!;
    const row = (await mb.contentsRows(fid, { tags: TAGS })).find((r) => r.id === mid)!;
    const props = await mb.getMessageProps(mid, TAGS);
    const m = await mb.openMessage(mid);
    const opened = await m.getProps(TAGS);
    await m.discard();
    return [TAGS.map((x) => row.props.get(x)), TAGS.map((x) => val(props, x)), TAGS.map((x) => val(opened, x))];
  }
  const agree = async (mid: bigint, has: boolean) => {
    const v = await views(mid);
    for (const x of v) expect([((x[0] as number) & 0x10) !== 0, x[1]]).toEqual([has, has]);
    expect(v[1]).toEqual(v[0]);
    expect(v[2]).toEqual(v[0]);
  };

  it('messages with and without attachments, made by createMessage, bulkInsertMessages and message objects; attachment changes', async () => {
    const inbox = mb.special.inbox;
    // a client cannot set the store's bit or PidTagHasAttachments
    const c = await mb.createMessage(inbox, { props: [{ tag: TAG.MessageFlags, value: 0x10 | 0x08 }, { tag: 0x0e1b000b, value: true }] });
    await agree(c, false);
    expect((val(await mb.getMessageProps(c, [TAG.MessageFlags]), TAG.MessageFlags) as number) & 0x08).toBe(0x08);
    const [b] = await mb.bulkInsertMessages(inbox, [{ props: [{ tag: TAG.MessageFlags, value: 0x10 }] }]);
    await agree(b!, false);
    expect((await mb.setMessageProps(c, [{ tag: 0x0e1b000b, value: true }, { tag: TAG.MessageFlags, value: 0x10 }]))[0]?.error).toBe(SEC.Computed);
    await agree(c, false);
    expect((await mb.deleteMessageProps(c, [0x0e1b000b]))[0]?.error).toBe(SEC.Computed);
    // a message object with an attachment, then without, then with one again
    const m = await mb.newMessage(inbox);
    const a = await m.createAttachment();
    await a.setProps([{ tag: 0x37050003, value: 1 }]);
    await a.save();
    const mid = await m.save();
    await agree(mid, true);
    const o = await mb.openMessage(mid);
    await o.deleteAttachment((await o.attachmentTable())[0]!.attachNum);
    await o.save();
    await agree(mid, false);
    const o2 = await mb.openMessage(mid);
    await (await o2.createAttachment()).save();
    await o2.save();
    await agree(mid, true);
    // an embedded message carries its own
    const e = await mb.openMessage(mid);
    const ea = await e.createAttachment();
    const em = await ea.openEmbeddedMessage(true);
    await (await em.createAttachment()).save();
    await em.save();
    await ea.save();
    await e.save();
    const e2 = await mb.openMessage(mid);
    const inner = await (await e2.openAttachment((await e2.attachmentTable()).at(-1)!.attachNum)).openEmbeddedMessage(false);
    expect(((val(await inner.getProps([TAG.MessageFlags]), TAG.MessageFlags) as number) & 0x10)).toBe(0x10);
    await e2.discard();
    // after a reopen too
    await reopen();
    await agree(mid, true);
    await agree(c, false);
  });

  it('messages stored before PidTagHasAttachments was kept get it once, when the mailbox opens', async () => {
    const m = await mb.newMessage(mb.special.inbox);
    await (await m.createAttachment()).save();
    const mid = await m.save();
    const db = (mb as LocalMailbox).db;
    const g = Number(eidGlobcnt(mid));
    const row = db.prepare('SELECT props FROM messages WHERE mid = ?').get(g) as { props: string };
    const legacy = JSON.parse(row.props) as Record<string, unknown>;
    delete legacy[String(0x0e1b000b)];
    db.prepare('UPDATE messages SET props = ? WHERE mid = ?').run(JSON.stringify(legacy), g);
    db.prepare("DELETE FROM meta WHERE k = 'has_attachments_stored'").run();
    expect(val(await mb.getMessageProps(mid, [0x0e1b000b]), 0x0e1b000b)).toBe(false);
    backfillHasAttachments(mb as LocalMailbox);
    await agree(mid, true);
  });
});
