// IMAP -> mailbox mirror, the known messages of a folder (ImapMirror.syncFolder, mirror.ts): their flag changes and
// expunges, applied to the LocalMailbox and the index rows.
// - RFC 7162 3.1.4 / 3.2.5.2 (CONDSTORE, QRESYNC): UID FETCH 1:<uidnext-1> (FLAGS) (CHANGEDSINCE <HIGHESTMODSEQ>
//   VANISHED) gives the flag changes of known messages and, as VANISHED (EARLIER), the expunged ones; when the
//   HIGHESTMODSEQ of the SELECT equals the stored one nothing changed (RFC 7162 3.1.2.1: every change and expunge
//   raises it) and no command is sent;
// - without QRESYNC the expunged UIDs come from UID SEARCH UID 1:<uidnext-1> compared with the index, and without
//   CONDSTORE the flags of every known message are fetched: both cost O(folder) per sync.
// - the messages a sync cut short stored (index rows at or above the stored UIDNEXT) count as known: they are checked
//   for flag changes and expunges by the sync that goes on.
// - IMAP \Draft set or cleared after the first fetch is not reflected (MSGFLAG_UNSENT is fixed at creation);
//   \Deleted (not yet expunged) is kept in the index only.
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { IMAP_FLAG, type ImapFolderRow, type ImapMessageRow } from '../../index/types.js';
import { batches } from '../../../util/batches.js';
import { fidOf, type MirrorContext } from './folders.js';
import { flagBits, flagProps } from './import.js';
import { categoriesIn, categoriesOf, keywordsTag, sameCategories } from './keywords.js';
import type { FolderSyncResult } from './mirror.js';
import { searchUids, UID_QUERY_CHUNK } from './uids.js';

/**
 * VANISHED (EARLIER) UIDs kept for one sync. The set is the server's to choose ("1:4294967295" is a few bytes on the
 * wire; imapflow reports it one UID at a time, up to 2^24 of them per line); past this many distinct UIDs the mirror
 * stops collecting and asks the server which known UIDs are still there (UID SEARCH, as without QRESYNC).
 */
const MAX_VANISHED = 100_000;

/**
 * One past the highest UID of the folder's index rows that can have changed since the last finished sync: `from`
 * (its UIDNEXT), or past the rows at or above it, which a sync cut short before it stored UIDNEXT (or a write-back
 * APPEND or COPY) left. Their flags and expunges are checked with the rest: the next sync asks only for changes
 * since this one's HIGHESTMODSEQ, so what happened to them before would never be seen.
 */
export async function knownEnd(ctx: MirrorContext, row: ImapFolderRow, from: number): Promise<number> {
  let end = from;
  for (let after = from - 1; ; ) {
    const rows = await ctx.imap.messagesInFolder(row.folderGlobcnt, row.uidvalidity, after, 1000);
    if (rows.length === 0) return end;
    after = rows[rows.length - 1]!.uid;
    end = after + 1;
  }
}

/** Flag changes and expunges of the known messages (UIDs < from). */
/**
 * `highestModseq`: the HIGHESTMODSEQ of a SELECT/EXAMINE just made, or null on a kept selection (whose value is
 * only imapflow's estimate from the MODSEQs it has seen: an expunge does not raise it, so it cannot prove that
 * nothing changed).
 */
export async function changes(
  ctx: MirrorContext,
  client: ImapFlow, fid: bigint, row: ImapFolderRow, from: number, condstore: boolean, qresync: boolean, highestModseq: bigint | null, result: FolderSyncResult,
): Promise<void> {
  const known = `1:${from - 1}`;
  if (condstore && row.highestModseq > 0n) {
    if (highestModseq !== null && highestModseq === row.highestModseq) return; // nothing changed, nothing expunged (RFC 7162 3.1.2.1)
    // only UIDs below `from` can be in the index; a set larger than MAX_VANISHED is given up for a UID SEARCH, so
    // what is held stays bounded whatever range the server sends
    const vanished = new Set<number>();
    let tooMany = false;
    const selected = client.mailbox ? client.mailbox.path : null;
    const onExpunge = (p: { path?: string; uid?: number; vanished?: boolean }): void => {
      if (tooMany || !p.vanished || typeof p.uid !== 'number' || p.path !== selected || p.uid < 1 || p.uid >= from || vanished.has(p.uid)) return;
      if (vanished.size < MAX_VANISHED) vanished.add(p.uid);
      else {
        tooMany = true;
        vanished.clear();
      }
    };
    client.on('expunge', onExpunge);
    let fetched: FetchMessageObject[];
    try {
      fetched = await client.fetchAll(known, { uid: true, flags: true }, { uid: true, changedSince: row.highestModseq });
    } finally {
      client.off('expunge', onExpunge);
    }
    // applied in turn with the write-back (MirrorContext.exclusive), which writes the same rows
    await ctx.exclusive(async () => {
      await applyFlags(ctx, fid, row, fetched, result);
      if (qresync && !tooMany) await applyExpunges(ctx, fid, row, [...vanished], result);
      else await expungesBySearch(ctx, client, fid, row, from, result);
    });
    return;
  }
  // no CONDSTORE (or no HIGHESTMODSEQ stored yet): every known message's flags, O(folder)
  const fetched = await client.fetchAll(known, { uid: true, flags: true }, { uid: true });
  await ctx.exclusive(async () => {
    await applyFlags(ctx, fid, row, fetched, result);
    await expungesBySearch(ctx, client, fid, row, from, result);
  });
}

async function applyFlags(ctx: MirrorContext, fid: bigint, row: ImapFolderRow, fetched: FetchMessageObject[], result: FolderSyncResult): Promise<void> {
  const { imap, mb } = ctx;
  const bySeen = new Map<number, FetchMessageObject>();
  for (const f of fetched) if (f.flags) bySeen.set(f.uid, f);
  const uids = [...bySeen.keys()].sort((a, b) => a - b);
  for (const part of batches(uids, UID_QUERY_CHUNK)) {
    const rows = await imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, part);
    const read: bigint[] = [];
    const unread: bigint[] = [];
    const out: ImapMessageRow[] = [];
    const seenChanged: ImapMessageRow[] = [];
    for (const k of rows) {
      const f = bySeen.get(k.uid)!;
      const bits = flagBits(f.flags);
      const diff = bits ^ k.flags;
      const mid = fidOf(k.globcnt);
      // categories (keywords.ts): compared with the message's PidNameKeywords when either side has any
      let categories: string[] | null = null;
      if ((bits | k.flags) & IMAP_FLAG.Keywords && (await mb.messageExists(mid))) {
        const tag = await keywordsTag(mb, (bits & IMAP_FLAG.Keywords) !== 0);
        const [cur] = tag ? await mb.getMessageProps(mid, [tag]) : [];
        const have = categoriesIn(cur);
        const got = categoriesOf(f.flags);
        if (!sameCategories(have, got)) categories = got;
      }
      if (diff === 0 && categories === null) {
        if (f.modseq !== undefined && f.modseq !== k.modseq) out.push({ ...k, modseq: f.modseq });
        continue;
      }
      if (!(await mb.messageExists(mid))) continue;
      result.changed++;
      const next: ImapMessageRow = { ...k, flags: bits, modseq: f.modseq ?? k.modseq };
      if (categories !== null) {
        const tag = await keywordsTag(mb, categories.length > 0);
        if (categories.length > 0) await mb.setMessageProps(mid, [{ tag, value: categories }]);
        else if (tag) await mb.deleteMessageProps(mid, [tag]);
        next.cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
      }
      if (diff & IMAP_FLAG.Seen) {
        (bits & IMAP_FLAG.Seen ? read : unread).push(mid);
        seenChanged.push(next);
      }
      if (diff & (IMAP_FLAG.Flagged | IMAP_FLAG.Answered | IMAP_FLAG.Forwarded)) {
        const p = flagProps(bits);
        if (p.set.length > 0) await mb.setMessageProps(mid, p.set);
        if (p.del.length > 0) await mb.deleteMessageProps(mid, p.del);
        next.cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
      }
      out.push(next);
    }
    const folderOf = async (mids: bigint[]): Promise<Map<bigint, bigint[]>> => {
      // a message whose local move has not reached IMAP yet (write-back failed) keeps its row: set the flag where it is
      const m = new Map<bigint, bigint[]>();
      for (const mid of mids) {
        const f = (await mb.folderOfMessage(mid)) ?? fid;
        m.set(f, [...(m.get(f) ?? []), mid]);
      }
      return m;
    };
    for (const [f, mids] of await folderOf(read)) await mb.setReadFlags(f, mids, true);
    for (const [f, mids] of await folderOf(unread)) await mb.setReadFlags(f, mids, false);
    if (seenChanged.length > 0) {
      const readCn = eidGlobcnt(await mb.currentCn());
      for (const r of seenChanged) r.readCn = readCn;
    }
    if (out.length > 0) await imap.putMessages(out);
  }
}

async function applyExpunges(ctx: MirrorContext, fid: bigint, row: ImapFolderRow, uids: number[], result: FolderSyncResult): Promise<void> {
  const { imap, mb } = ctx;
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  for (const part of batches(sorted, UID_QUERY_CHUNK)) {
    const rows = await imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, part);
    if (rows.length === 0) continue;
    const mids: bigint[] = [];
    for (const r of rows) if (await mb.messageExists(fidOf(r.globcnt))) mids.push(fidOf(r.globcnt));
    if (mids.length > 0) await mb.deleteMessages(fid, mids, { hard: true });
    await imap.deleteMessages(row.folderGlobcnt, row.uidvalidity, rows.map((r) => r.uid));
    result.deleted += rows.length;
  }
}

/** Without QRESYNC: the UIDs the index knows that UID SEARCH no longer finds. O(folder). */
async function expungesBySearch(ctx: MirrorContext, client: ImapFlow, fid: bigint, row: ImapFolderRow, from: number, result: FolderSyncResult): Promise<void> {
  const present = new Set(await searchUids(client, row.imapName, { uid: `1:${from - 1}` }));
  const gone: number[] = [];
  for (let after = 0; after < from - 1; ) {
    const rows = await ctx.imap.messagesInFolder(row.folderGlobcnt, row.uidvalidity, after, 1000);
    if (rows.length === 0) break;
    // rows from `from` on came after the range was fixed (a write-back APPEND or COPY): the SEARCH did not look there
    for (const r of rows) if (r.uid < from && !present.has(r.uid)) gone.push(r.uid);
    after = rows[rows.length - 1]!.uid;
  }
  await applyExpunges(ctx, fid, row, gone, result);
}
