// LocalMailbox.saveNewMessages (src/mapistore/backends/local/objects.ts), the IMAP mirror's group save: new message
// objects of one folder stored in one step. Each is stored exactly as its own save() stores it (the rows compared
// column by column for random messages with bodies, recipients, attachments and embedded messages), the objects
// become saved copies, the events are one objectCreated per message and one ObjectModified of the folder, and a
// group with a message that cannot be saved this way stores nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import type { TaggedValue } from '../../src/mapi/props.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { StoreError } from '../../src/mapistore/errors.js';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { pclAfterChange } from '../../src/mapistore/pcl.js';
import { TAG } from '../../src/mapistore/tags.js';
import type { MessageObject } from '../../src/mapistore/types.js';
import { T } from '../../src/transport/tags.js';

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
const PidTagBody8 = 0x1000001e;

interface Spec {
  subject: string;
  body: string;
  read: boolean;
  recipients: { name: string; address: string; type: number }[];
  attachments: { name: string; data: Uint8Array; embedded: string | null }[];
}

const spec: fc.Arbitrary<Spec> = fc.record({
  subject: fc.string({ maxLength: 40 }),
  // short and long bodies: a long one is stored in the row's `big` column
  body: fc.oneof(fc.string({ maxLength: 50 }), fc.string({ minLength: 1000, maxLength: 3000, unit: 'binary' })),
  read: fc.boolean(),
  recipients: fc.array(fc.record({ name: fc.string({ maxLength: 20 }), address: fc.stringMatching(/^[a-z]{1,8}@example\.org$/), type: fc.constantFrom(1, 2, 3) }), { maxLength: 3 }),
  attachments: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), data: fc.uint8Array({ maxLength: 2000 }), embedded: fc.option(fc.string({ maxLength: 30 }), { nil: null }) }), { maxLength: 2 }),
});

async function build(mb: LocalMailbox, fid: bigint, s: Spec): Promise<MessageObject> {
  const m = await mb.newMessage(fid);
  const props: TaggedValue[] = [
    { tag: TAG.MessageClass, value: 'IPM.Note' },
    { tag: TAG.Subject, value: s.subject },
    { tag: PidTagBody8, value: s.body.replace(/[^\x01-\x7f]/g, 'x') },
    { tag: TAG.MessageFlags, value: s.read ? 1 : 0 },
  ];
  expect(await m.setProps(props)).toEqual([]);
  if (s.recipients.length > 0) {
    await m.setRecipients(s.recipients.map((r, i) => ({
      rowId: i,
      props: [{ tag: T.RecipientType, value: r.type }, { tag: T.DisplayName, value: r.name }, { tag: 0x3003001f, value: r.address }],
    })));
  }
  for (const a of s.attachments) {
    const att = await m.createAttachment();
    await att.setProps([{ tag: T.AttachLongFilename, value: a.name }, { tag: 0x37050003, value: a.embedded === null ? 1 : 5 }]);
    if (a.embedded === null) await att.setProps([{ tag: T.AttachDataBinary, value: Buffer.from(a.data) }]);
    else {
      const inner = await att.openEmbeddedMessage(true);
      await inner.setProps([{ tag: TAG.Subject, value: a.embedded }]);
      await inner.save();
    }
    await att.save();
  }
  return m;
}

/** The stored form of message `mid`: its row (ids, CN and times left out) and its content row. */
function stored(mb: LocalMailbox, mid: bigint): Record<string, unknown> {
  const g = Number(eidGlobcnt(mid));
  const row = mb.db.prepare('SELECT fid, assoc, read, read_cn, size, props, big FROM messages WHERE mid = ?').get(g) as Record<string, unknown>;
  const content = mb.db.prepare('SELECT data FROM message_content WHERE mid = ?').get(g) as { data: string } | undefined;
  return { ...row, content: content?.data ?? null };
}

describe('LocalMailbox.saveNewMessages', () => {
  let dir: string;
  let store: LocalStore;
  let mb: LocalMailbox;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-savenew-'));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores each message as its own save() stores it, with the MID and CN it returns', async () => {
    const inbox = mb.special.inbox;
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 4 }), async (specs) => {
        const single: bigint[] = [];
        for (const s of specs) {
          const m = await build(mb, inbox, s);
          single.push(await m.save());
          await m.discard();
        }
        const objs = await Promise.all(specs.map((s) => build(mb, inbox, s)));
        const got = await mb.saveNewMessages(inbox, objs);
        expect(got).toHaveLength(specs.length);
        for (const [k, o] of objs.entries()) {
          const { mid, cn } = got[k]!;
          expect(o.mid).toBe(mid);
          expect(stored(mb, mid)).toEqual(stored(mb, single[k]!));
          const info = await mb.messageChangeInfo(mid);
          expect(info.cn).toBe(cn);
          const pcl = mb.db.prepare('SELECT pcl FROM messages WHERE mid = ?').get(Number(eidGlobcnt(mid))) as { pcl: Buffer };
          expect(pcl.pcl.equals(pclAfterChange(null, mb.replGuid, eidGlobcnt(cn)))).toBe(true);
          // read through the store API too
          const a = await mb.openMessage(single[k]!);
          const b = await mb.openMessage(mid);
          expect(await b.readRecipients()).toEqual(await a.readRecipients());
          expect(await b.attachmentTable()).toEqual(await a.attachmentTable());
          const pick = [TAG.Subject, PidTagBody8, TAG.MessageFlags, TAG.MessageSize, 0x0e1b000b];
          expect(await b.getProps(pick)).toEqual(await a.getProps(pick));
          await a.discard();
          await b.discard();
          await o.discard();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the saved objects are saved copies: a later change and save() keeps the MID', async () => {
    const inbox = mb.special.inbox;
    const [m] = [await build(mb, inbox, { subject: 'first', body: 'b', read: false, recipients: [], attachments: [] })];
    const [{ mid, cn }] = await mb.saveNewMessages(inbox, [m!]) as [{ mid: bigint; cn: bigint }];
    await m!.setProps([{ tag: TAG.Subject, value: 'second' }]);
    expect(await m!.save()).toBe(mid);
    expect(eidGlobcnt((await mb.messageChangeInfo(mid)).cn)).toBeGreaterThan(eidGlobcnt(cn));
    const r = await mb.getMessageProps(mid, [TAG.Subject]);
    expect(r[0]).toMatchObject({ value: 'second' });
    await m!.discard();
  });

  it('reports one objectCreated per message, in order, and one ObjectModified of the folder with the counts after', async () => {
    const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Events' });
    const seen: MailboxEvent[] = [];
    const off = mb.events.subscribe((e) => seen.push(e));
    try {
      const objs = await Promise.all([0, 1, 2].map((i) => build(mb, f.fid, { subject: `m${i}`, body: '', read: i === 0, recipients: [], attachments: [] })));
      const got = await mb.saveNewMessages(f.fid, objs);
      const created = seen.filter((e) => e.type === 'objectCreated' && e.mid !== undefined);
      expect(created.map((e) => e.mid)).toEqual(got.map((g) => g.mid));
      const modified = seen.filter((e) => e.type === 'objectModified' && e.fid === f.fid);
      expect(modified).toHaveLength(1);
      expect(modified[0]).toMatchObject({ totalCount: 3, unreadCount: 2 });
      for (const o of objs) await o.discard();
    } finally {
      off();
    }
  });

  it('a group with a message that cannot be stored this way stores none of them', async () => {
    const f = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'All or nothing' });
    const other = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Elsewhere' });
    const count = async (): Promise<number> => (await mb.contentsRows(f.fid, {})).length;
    const fresh = await build(mb, f.fid, { subject: 'fresh', body: '', read: false, recipients: [], attachments: [] });
    const saved = await build(mb, f.fid, { subject: 'saved', body: '', read: false, recipients: [], attachments: [] });
    await saved.save();
    const foreign = await build(mb, other.fid, { subject: 'foreign', body: '', read: false, recipients: [], attachments: [] });
    const before = await count();
    // a message saved before, one of another folder, the same object twice
    for (const group of [[fresh, saved], [fresh, foreign], [fresh, fresh]]) {
      const e = await mb.saveNewMessages(f.fid, group).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StoreError);
      expect((e as StoreError).code).toBe('OC_STORE_NOT_BATCHABLE');
      expect(await count()).toBe(before);
      expect(fresh.mid).toBeNull();
    }
    // the message left unsaved can still be saved on its own
    expect(await fresh.save()).not.toBe(0n);
    expect(await count()).toBe(before + 1);
    for (const o of [fresh, saved, foreign]) await o.discard();
  });
});
