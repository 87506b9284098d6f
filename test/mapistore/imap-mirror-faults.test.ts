// The IMAP mirror (src/mapistore/backends/imap/mirror.ts) against answers a well-behaved Dovecot does not give on
// demand: a UID SEARCH refused with NO/BAD (imapflow resolves it as `false`), unsolicited FETCH lines in the middle of
// a body FETCH (imapflow hands them to the caller and raises the live mailbox's UIDNEXT for them), a batch whose store
// fails after part of it was saved, and a VANISHED (EARLIER) set far larger than the folder. The IMAP side is a fake
// ImapFlow (just the calls the mirror makes, answering as imapflow 2.10 does); the mailbox and its index are the real
// LocalMailbox on SQLite. (The mirror against a real Dovecot: test/integration/imap-mirror.test.ts.)
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import { ImapMirror } from '../../src/mapistore/backends/imap/mirror.js';
import type { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { hasImapIndex, type ImapFolderRow, type ImapIndex } from '../../src/mapistore/index/types.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { TAG } from '../../src/mapistore/tags.js';
import { T } from '../../src/transport/tags.js';
import { silentLogger } from '../../src/util/log.js';

const USER = { username: 'alice', displayName: 'Alice Example', legacyDn: '/o=First Organization/ou=x/cn=Recipients/cn=alice' };
/** Not INBOX: the mirror keeps no selection for it, so every sync starts with an EXAMINE. */
const BOX = 'Work';

interface FakeMessage {
  uid: number;
  flags: Set<string>;
  modseq: bigint;
  source: Buffer;
}

/** The UIDs of an RFC 9051 sequence-set (UIDs; `*` is the highest UID in use). */
function inSet(set: string, uid: number, highest: number): boolean {
  return set.split(',').some((part) => {
    const [a, b = a] = part.split(':').map((x) => (x === '*' ? highest : Number(x)));
    return uid >= Math.min(a!, b!) && uid <= Math.max(a!, b!);
  });
}

/** One mailbox on a fake IMAP server, and a fake ImapFlow on it. */
class FakeImap extends EventEmitter {
  usable = true;
  enabled: Set<string>;
  mailbox: (Record<string, unknown> & { path: string; uidNext: number; exists: number }) | false = false;
  readonly messages = new Map<number, FakeMessage>();
  /** Expunged UID -> the MODSEQ of its expunge (for VANISHED). */
  readonly expunged = new Map<number, bigint>();
  uidNext = 1;
  modseq = 1n;
  readonly uidValidity = 4242n;
  /** Replaces the answer to a UID SEARCH (return false for a refusal: imapflow's answer to NO/BAD). */
  searchHook: ((query: { uid?: string; larger?: number }) => number[] | false | undefined) | null = null;
  /** Called after each UID SEARCH (a message arriving right after it). */
  afterSearch: (() => void) | null = null;
  /** More FETCH lines for a body FETCH: those the server sends unsolicited with it. */
  extraBodyRows: ((requested: string) => Partial<FetchMessageObject>[]) | null = null;
  /**
   * The VANISHED (EARLIER) UIDs the next FETCH CHANGEDSINCE reports instead of those expunged since, as imapflow reports
   * them: one 'expunge' event per UID.
   */
  vanished: Iterable<number> | null = null;
  searches: { uid?: string; larger?: number }[] = [];
  /** When set: the body FETCH that brings the count down to 0 fails (a connection lost mid-folder). */
  failBodyFetchIn: number | null = null;

  constructor(capabilities: string[] = []) {
    super();
    this.enabled = new Set(capabilities);
  }

  add(subject: string, flags: string[] = []): number {
    const uid = this.uidNext++;
    this.messages.set(uid, { uid, flags: new Set(flags), modseq: ++this.modseq, source: Buffer.from(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`) });
    return uid;
  }

  setFlag(uid: number, flag: string): void {
    const m = this.messages.get(uid)!;
    m.flags.add(flag);
    m.modseq = ++this.modseq;
  }

  expunge(uid: number): void {
    this.messages.delete(uid);
    this.expunged.set(uid, ++this.modseq);
  }

  private get highest(): number {
    return Math.max(0, ...this.messages.keys());
  }

  async mailboxOpen(p: string): Promise<unknown> {
    const condstore = this.enabled.has('CONDSTORE');
    this.mailbox = { path: p, uidValidity: this.uidValidity, uidNext: this.uidNext, exists: this.messages.size, noModseq: !condstore, ...(condstore ? { highestModseq: this.modseq } : {}) };
    return this.mailbox;
  }

  async noop(): Promise<void> {}

  async search(query: { uid?: string; larger?: number }): Promise<number[] | false | undefined> {
    this.searches.push(query);
    let got: number[] | false | undefined;
    const hooked = this.searchHook?.(query);
    if (hooked !== undefined) {
      // imapflow reports the tagged answer as a 'response' event, then resolves a refusal as false
      if (hooked === false) this.emit('response', { response: 'NO', code: 'SERVERBUG' });
      got = hooked;
    } else {
      got = [...this.messages.values()]
        .filter((m) => (query.uid === undefined || inSet(query.uid, m.uid, this.highest)) && (query.larger === undefined || m.source.length > query.larger))
        .map((m) => m.uid);
    }
    this.afterSearch?.();
    return got;
  }

  async fetchAll(range: string, query: { source?: boolean; size?: boolean }, opts: { changedSince?: bigint } = {}): Promise<FetchMessageObject[]> {
    const box = this.mailbox;
    if (!box) throw new Error('no mailbox selected');
    if (query.source && this.failBodyFetchIn !== null && --this.failBodyFetchIn === 0) {
      this.failBodyFetchIn = null;
      throw new Error('injected: connection lost during UID FETCH');
    }
    const since = this.enabled.has('CONDSTORE') ? opts.changedSince : undefined;
    if (since !== undefined && this.enabled.has('QRESYNC')) {
      const gone = this.vanished ?? [...this.expunged].filter(([uid, at]) => at > since && inSet(range, uid, this.highest)).map(([uid]) => uid);
      for (const uid of gone) this.emit('expunge', { path: box.path, uid, vanished: true, earlier: true });
      this.vanished = null;
    }
    const rows: Partial<FetchMessageObject>[] = [...this.messages.values()]
      .filter((m) => inSet(range, m.uid, this.highest) && (since === undefined || m.modseq > since))
      .map((m) => ({
        seq: 1, uid: m.uid, flags: new Set(m.flags), modseq: m.modseq, size: m.source.length, internalDate: new Date('2026-01-02T03:04:05Z'),
        ...(query.source ? { source: m.source } : {}),
      }));
    if (query.source && this.extraBodyRows) rows.push(...this.extraBodyRows(range));
    // imapflow raises the live mailbox's UIDNEXT for every FETCH line with a UID it sees, asked for or not
    for (const r of rows) if (typeof r.uid === 'number' && box.uidNext <= r.uid) box.uidNext = r.uid + 1;
    return rows as FetchMessageObject[];
  }
}

describe('IMAP mirror against a fake IMAP server', () => {
  let dir: string;
  let store: LocalStore;
  let mb: LocalMailbox;
  let imap: ImapIndex;
  let fid: bigint;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-mirror-faults-'));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')), idBatch: 16 });
    mb = (await store.openMailbox(USER)) as LocalMailbox;
    if (!hasImapIndex(mb.index)) throw new Error('the SQLite index has no IMAP tables');
    imap = mb.index.imap;
    fid = (await mb.createFolder(mb.special.ipmSubtree, { displayName: BOX, containerClass: 'IPF.Note' })).fid;
    // the row syncHierarchy would have made for the mailbox
    await imap.putFolders([{
      folderGlobcnt: eidGlobcnt(fid), imapName: BOX, uidvalidity: 0, uidnext: 0, highestModseq: 0n, lastSyncCn: 0n,
      syncState: JSON.stringify({ path: BOX, delimiter: '/', noselect: false }),
    }]);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const mirrorOn = (server: FakeImap, batchSize = 200): ImapMirror => {
    const pool = { run: async <R>(_u: string, fn: (c: ImapFlow) => Promise<R>): Promise<R> => fn(server as unknown as ImapFlow), credentials: { loginName: (u: string) => u } };
    return new ImapMirror({ mailbox: mb, pool: pool as unknown as ImapPool, username: 'alice', log: silentLogger(), batchSize });
  };
  const subjects = async (): Promise<string[]> => (await mb.contentsRows(fid, { tags: [T.Subject] })).map((r) => String(r.props.get(T.Subject))).sort();
  const folderRow = async (): Promise<ImapFolderRow> => (await imap.folderById(eidGlobcnt(fid)))!;
  const indexUids = async (): Promise<number[]> => (await imap.messagesInFolder(eidGlobcnt(fid), Number((await folderRow()).uidvalidity))).map((r) => r.uid);

  describe('a UID SEARCH the server refuses (imapflow: false) fails the sync and changes nothing', () => {
    it('the SEARCH for expunges (no QRESYNC): no mirrored message counts as expunged', async () => {
      const server = new FakeImap();
      for (const s of ['a', 'b', 'c']) server.add(s);
      const mirror = mirrorOn(server);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 3 });
      server.expunge(2);
      const before = await folderRow();
      server.searchHook = (q) => (q.uid === '1:3' ? false : undefined);
      await expect(mirror.syncFolder(fid)).rejects.toMatchObject({ code: 'OC_IMAP_SEARCH', message: expect.stringMatching(/Work.*NO \[SERVERBUG\]/) });
      expect(await subjects()).toEqual(['a', 'b', 'c']);
      expect(await folderRow()).toEqual(before);
      // the server answers again: only the message really expunged goes
      server.searchHook = null;
      expect(await mirror.syncFolder(fid)).toMatchObject({ deleted: 1 });
      expect(await subjects()).toEqual(['a', 'c']);
    });

    it('the SEARCH for new messages: UIDNEXT is not stored, so the next sync fetches them', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      server.add('a');
      const mirror = mirrorOn(server);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 1 });
      server.add('b');
      server.add('c');
      const before = await folderRow();
      server.searchHook = (q) => (q.uid === '2:*' ? false : undefined);
      await expect(mirror.syncFolder(fid)).rejects.toMatchObject({ code: 'OC_IMAP_SEARCH' });
      expect(await folderRow()).toEqual(before);
      server.searchHook = null;
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 2 });
      expect(await subjects()).toEqual(['a', 'b', 'c']);
    });

    it('the SEARCH LARGER that plans the batches: nothing is fetched without the size limits', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (const s of ['a', 'b']) server.add(s);
      const mirror = mirrorOn(server);
      server.searchHook = (q) => (q.larger !== undefined ? false : undefined);
      await expect(mirror.syncFolder(fid)).rejects.toMatchObject({ code: 'OC_IMAP_SEARCH' });
      expect(await subjects()).toEqual([]);
      expect((await folderRow()).uidnext).toBe(1);
      server.searchHook = null;
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 2, full: true });
    });
  });

  describe('unsolicited FETCH lines during a body FETCH', () => {
    it('a message that arrived after the SEARCH, announced by a FETCH line, is not stepped over: the next sync fetches it', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (const s of ['a', 'b']) server.add(s);
      const mirror = mirrorOn(server);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 2 });
      server.add('c'); // UID 3, there at the EXAMINE
      let late = 0;
      server.afterSearch = () => {
        // UID 4 arrives right after the SEARCH for new UIDs; another client flags it, and the server tells this
        // session with the body FETCH of UID 3: "* 4 FETCH (UID 4 FLAGS (\Seen))"
        if (late === 0) late = server.add('d', ['\\Seen']);
        server.afterSearch = null;
      };
      server.extraBodyRows = () => [{ seq: 4, uid: late, flags: new Set(['\\Seen']), modseq: server.modseq }];
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 1, fetchedBodies: 1 });
      expect(await subjects()).toEqual(['a', 'b', 'c']);
      expect((await folderRow()).uidnext).toBe(4);
      server.extraBodyRows = null;
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 1 });
      expect(await subjects()).toEqual(['a', 'b', 'c', 'd']);
    });

    it('a FETCH line without UID (or of a UID not asked for) is left alone, never a NaN UIDNEXT', async () => {
      const server = new FakeImap();
      for (const s of ['a', 'b']) server.add(s);
      server.extraBodyRows = () => [{ seq: 7, flags: new Set(['\\Flagged']) }, { seq: 1, uid: 1, flags: new Set(['\\Seen']), source: Buffer.from('Subject: not asked for\r\n\r\nx\r\n') }];
      const mirror = mirrorOn(server, 1);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 2, fetchedBodies: 2, failed: 0 });
      expect(await subjects()).toEqual(['a', 'b']);
      expect((await folderRow()).uidnext).toBe(3);
      expect(await indexUids()).toEqual([1, 2]);
    });
  });

  it('a batch that fails part-way keeps the index rows of the messages it saved: no duplicates at the next sync', async () => {
    const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
    for (let i = 0; i < 40; i++) server.add(`m${String(i).padStart(2, '0')}`);
    const mirror = mirrorOn(server);
    const saveNew = mb.saveNewMessages.bind(mb);
    let calls = 0;
    // the first group (32 messages) is saved; the second group's save fails as a broken store would (not a refusal of
    // one message, which would be retried one by one)
    mb.saveNewMessages = async (f, msgs) => {
      if (++calls === 2) throw new Error('injected: the store failed');
      return saveNew(f, msgs);
    };
    try {
      await expect(mirror.syncFolder(fid)).rejects.toThrow(/injected/);
    } finally {
      mb.saveNewMessages = saveNew;
    }
    expect((await subjects()).length).toBe(32);
    expect((await indexUids()).length).toBe(32);
    expect(await mirror.syncFolder(fid)).toMatchObject({ added: 8 });
    const all = await subjects();
    expect(all.length).toBe(40);
    expect(new Set(all).size).toBe(40);
    expect((await indexUids()).length).toBe(40);
  });

  describe('a sync that goes on after one cut short checks the messages that one stored', () => {
    const readOf = async (): Promise<Map<string, unknown>> =>
      new Map((await mb.contentsRows(fid, { tags: [T.Subject, TAG.Read] })).map((r) => [String(r.props.get(T.Subject)), r.props.get(TAG.Read)]));

    it('a first mirror cut short: the rest is fetched as a whole folder (no new mail), and flags and expunges of what it stored are seen', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (let i = 1; i <= 40; i++) server.add(`m${i}`);
      const mirror = mirrorOn(server, 10);
      // batches newest first (31-40, 21-30, 11-20, 1-10): the third FETCH fails
      server.failBodyFetchIn = 3;
      await expect(mirror.syncFolder(fid)).rejects.toThrow(/injected/);
      const stored = await indexUids();
      expect(stored).toContain(35);
      expect(stored).toContain(36);
      expect(stored).not.toContain(1);
      server.setFlag(35, '\\Seen');
      server.expunge(36);
      const r = await mirror.syncFolder(fid);
      expect(r).toMatchObject({ full: true, changed: 1, deleted: 1, added: 39 - stored.length + 1 });
      // and nothing is left for a later sync (whose CHANGEDSINCE starts after those changes)
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 0, changed: 0, deleted: 0, full: false });
      const read = await readOf();
      expect(read.size).toBe(39);
      expect(read.has('m36')).toBe(false);
      expect(read.get('m35')).toBe(true);
      expect(read.get('m34')).toBe(false);
    });

    it('new messages cut short after a finished sync: the ones stored are checked at the next sync', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (let i = 1; i <= 3; i++) server.add(`m${i}`);
      const mirror = mirrorOn(server, 10);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 3, full: true });
      for (let i = 4; i <= 23; i++) server.add(`m${i}`);
      // batches oldest first (4-13, 14-23): the second FETCH fails
      server.failBodyFetchIn = 2;
      await expect(mirror.syncFolder(fid)).rejects.toThrow(/injected/);
      expect(await indexUids()).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      server.setFlag(5, '\\Seen');
      server.expunge(6);
      expect(await mirror.syncFolder(fid)).toMatchObject({ full: false, changed: 1, deleted: 1, added: 10 });
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 0, changed: 0, deleted: 0 });
      const read = await readOf();
      expect(read.size).toBe(22);
      expect(read.has('m6')).toBe(false);
      expect(read.get('m5')).toBe(true);
    });
  });

  describe('VANISHED (EARLIER) far larger than the folder', () => {
    /** Counts the UIDs the mirror looks up in the index. */
    const countLookups = (): (() => number) => {
      let n = 0;
      const orig = imap.messagesByUid.bind(imap);
      imap.messagesByUid = async (g, uv, uids) => {
        n += uids.length;
        return orig(g, uv, uids);
      };
      return () => n;
    };

    it('UIDs at or above the stored UIDNEXT are not collected nor looked up', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (let i = 1; i <= 5; i++) server.add(`m${i}`);
      const mirror = mirrorOn(server);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 5 });
      server.expunge(3);
      // "VANISHED (EARLIER) 3,6:1000000", as imapflow reports it
      server.vanished = (function* () {
        yield 3;
        for (let u = 6; u <= 1_000_000; u++) yield u;
      })();
      const lookups = countLookups();
      expect(await mirror.syncFolder(fid)).toMatchObject({ deleted: 1, added: 0 });
      expect(await subjects()).toEqual(['m1', 'm2', 'm4', 'm5']);
      expect(lookups()).toBeLessThan(20);
    });

    it('more UIDs below UIDNEXT than the mirror keeps: the known UIDs are checked with UID SEARCH instead', async () => {
      const server = new FakeImap(['CONDSTORE', 'QRESYNC']);
      for (let i = 1; i <= 3; i++) server.add(`m${i}`);
      server.uidNext = 250_000;
      server.add('m250000');
      const mirror = mirrorOn(server);
      expect(await mirror.syncFolder(fid)).toMatchObject({ added: 4 });
      server.expunge(2);
      // "VANISHED (EARLIER) 1:4294967295" (imapflow walks it one UID at a time, up to 2^24; 1,000,000 here)
      server.vanished = (function* () {
        for (let u = 1; u <= 1_000_000; u++) yield u;
      })();
      server.searches = [];
      const lookups = countLookups();
      expect(await mirror.syncFolder(fid)).toMatchObject({ deleted: 1 });
      expect(await subjects()).toEqual(['m1', 'm250000', 'm3']);
      expect(server.searches).toContainEqual({ uid: '1:250000' });
      expect(lookups()).toBeLessThan(20);
    });
  });
});
