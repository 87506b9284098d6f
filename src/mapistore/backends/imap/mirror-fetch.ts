// IMAP -> mailbox mirror, the new messages of a folder (ImapMirror.syncFolder, mirror.ts): UID SEARCH UID <uidnext>:*
// for their UIDs, UID SEARCH LARGER and UID FETCH (RFC822.SIZE) for the sizes of the large ones, then UID FETCH of
// batches of at most `batchSize` UIDs and `batchBytes` bytes (a larger message alone) with UID, FLAGS, INTERNALDATE,
// RFC822.SIZE, MODSEQ and BODY.PEEK[] (never a round trip per message; the next batch is fetched while this one is
// stored, so about two batches are held in memory; the batches of a whole folder newest first), each made into a
// message by import.ts.
// - a message already in the index for its UID is not created again, so a sync cut short (connection lost, the pool
//   retries it) resumes without duplicates.
// - a batch is stored in turn with the write-back (MirrorContext.exclusive): a message the write-back APPENDed, copied
//   or moved here meanwhile is skipped.
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import type { MessageObject } from '../../types.js';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { SEC, StoreError } from '../../errors.js';
import { IMAP_FLAG, type ImapFolderRow, type ImapMessageRow } from '../../index/types.js';
import { MIME_MAX_MESSAGE_BYTES } from '../../../mime/parse.js';
import { batches } from '../../../util/batches.js';
import { fidOf, type MirrorContext } from './folders.js';
import { flagBits, importFallback, prepareImport, saveOrFallback, stubSource, type ImportInput, type ImportResult } from './import.js';
import { categoriesOf } from './keywords.js';
import type { FolderSyncResult } from './mirror.js';
import { searchUids, uidSet, UID_QUERY_CHUNK } from './uids.js';

/** Converted messages stored together by MailboxStore.saveNewMessages (storeBatch). */
const SAVE_GROUP = 32;

/** A converted message of a fetched batch waiting for its group's save. */
interface Pending {
  m: FetchMessageObject;
  input: ImportInput;
  msg: MessageObject;
  warnings: string[];
}

/** A batch of new UIDs: those already mirrored (known) and what the FETCH brought for the others. */
interface FetchedBatch {
  uids: number[];
  known: Set<number>;
  fetched: FetchMessageObject[];
}

/** New UIDs in fetch batches, and those too large to convert (fetched as their header only: import.ts stubSource). */
interface Batches {
  batches: number[][];
  headersOnly: Set<number>;
}

/**
 * The new messages of mirrored folder `fid` (UIDs from `from` on), fetched in batches and stored; returns the highest
 * UID of those batches (0 for none).
 */
export async function fetchNew(
  ctx: MirrorContext, client: ImapFlow, fid: bigint, row: ImapFolderRow, from: number, result: FolderSyncResult,
): Promise<number> {
  let maxUid = 0;
  const found = await searchUids(client, row.imapName, { uid: `${from}:*` });
  const uids = found.filter((u) => u >= from).sort((a, b) => a - b);
  // the next batch is fetched while this one is converted and stored (Dovecot and the network work meanwhile; one
  // batch ahead at most). The whole folder (a first sync, a UIDVALIDITY change): newest batch first, so that a
  // mailbox whose first mirror outlasts the logon (imap.logonSyncSeconds) shows its recent mail first
  const { batches: fetches, headersOnly } = await batchesOf(ctx, client, row.imapName, uids);
  if (from === 1) fetches.reverse();
  const fetchAhead = (k: number): Promise<FetchedBatch> | null => {
    if (k >= fetches.length) return null;
    const p = fetchBatch(ctx, client, row, fetches[k]!, headersOnly);
    // handled from the start: a fetch that fails while the batch before it is stored is thrown by the await below,
    // not reported as an unhandled rejection (and nothing waits for it if storing failed first)
    p.catch(() => undefined);
    return p;
  };
  let next = fetchAhead(0);
  for (let i = 0; next; i++) {
    // the mailbox is closing (a first mirror going on in the background, a server shutting down): stop before the
    // next batch; nothing more is recorded, so the next sync fetches what is left (the stored UIDs are skipped)
    if (ctx.stopped) throw new StoreError('OC_IMAP_STOPPED', SEC.NetworkError, 'the mailbox was closed during the sync');
    const got = await next;
    next = fetchAhead(i + 1);
    maxUid = Math.max(maxUid, await storeBatch(ctx, fid, row, got, result));
  }
  return maxUid;
}

/**
 * New UIDs (ascending) in fetch batches bounded by count and by RFC822.SIZE. Only a message over batchBytes /
 * batchSize bytes can make a full batch too large: those are found with UID SEARCH LARGER and their sizes asked for;
 * every other message counts as that much. (Asking the size of every message cost the first mirror of 10,000
 * messages ~10-15% more CPU, imapflow's parsing of the answers.) A message larger than the MIME parser takes
 * (MIME_MAX_MESSAGE_BYTES) is fetched as its header only, alone in its batch.
 */
async function batchesOf(ctx: MirrorContext, client: ImapFlow, mailbox: string, uids: number[]): Promise<Batches> {
  if (uids.length === 0) return { batches: [], headersOnly: new Set() };
  const { batchSize, batchBytes } = ctx;
  const small = Math.floor(batchBytes / batchSize);
  // one range from the lowest to the highest new UID: the UIDs in it are those the SEARCH found
  const large = (await searchUids(client, mailbox, { uid: `${uids[0]}:${uids[uids.length - 1]}`, larger: small })).sort((a, b) => a - b);
  const size = new Map<number, number>();
  for (const part of batches(large, UID_QUERY_CHUNK)) {
    for (const m of await client.fetchAll(uidSet(part), { uid: true, size: true }, { uid: true })) size.set(m.uid, m.size ?? small);
  }
  const headersOnly = new Set([...size].filter(([, n]) => n > MIME_MAX_MESSAGE_BYTES).map(([u]) => u));
  // weighed as a full batch: alone in its batch, as it would be fetched whole (fetchBatch copes with a mixed one too)
  return { batches: batches(uids, batchSize, batchBytes, (u) => (headersOnly.has(u) ? batchBytes : (size.get(u) ?? small))), headersOnly };
}

/** The messages of one batch of new UIDs not mirrored yet, fetched whole (or, too large, their header only). */
async function fetchBatch(ctx: MirrorContext, client: ImapFlow, row: ImapFolderRow, uids: number[], headersOnly: ReadonlySet<number>): Promise<FetchedBatch> {
  const known = new Set((await ctx.imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, uids)).map((r) => r.uid));
  const todo = uids.filter((u) => !known.has(u));
  const whole = todo.filter((u) => !headersOnly.has(u));
  const heads = todo.filter((u) => headersOnly.has(u));
  const fetched: FetchMessageObject[] = [];
  if (whole.length > 0) fetched.push(...(await client.fetchAll(uidSet(whole), { uid: true, flags: true, internalDate: true, size: true, source: true }, { uid: true })));
  if (heads.length > 0) {
    for (const m of await client.fetchAll(uidSet(heads), { uid: true, flags: true, internalDate: true, size: true, headers: true }, { uid: true })) {
      if (m.headers) fetched.push({ ...m, source: stubSource(m.headers, m.size ?? 0) });
    }
  }
  return { uids, known, fetched };
}

/**
 * Creates the messages of a fetched batch; returns the batch's highest UID. In turn with the write-back
 * (MirrorContext.exclusive), and the UIDs it has mapped since fetchBatch looked are skipped: a message the write-back
 * APPENDed (or copied, or moved here) is in this batch when the SEARCH came after the server took it.
 */
async function storeBatch(ctx: MirrorContext, fid: bigint, row: ImapFolderRow, batch: FetchedBatch, result: FolderSyncResult): Promise<number> {
  return ctx.exclusive(async () => {
    for (const r of await ctx.imap.messagesByUid(row.folderGlobcnt, row.uidvalidity, batch.uids)) batch.known.add(r.uid);
    return storeBatchNow(ctx, fid, row, batch, result);
  });
}

async function storeBatchNow(ctx: MirrorContext, fid: bigint, row: ImapFolderRow, batch: FetchedBatch, result: FolderSyncResult): Promise<number> {
  const { imap, mb, log } = ctx;
  const { uids, known, fetched } = batch;
  const g = row.folderGlobcnt;
  const last = uids[uids.length - 1] ?? 0;
  if (fetched.length === 0) return last;
  // a FETCH hands over every FETCH line that came with it: unsolicited ones too (another message's flags, a message
  // that arrived meanwhile, a line without UID), which are not this batch's and must neither be stored nor counted
  const requested = new Set(uids);
  const rows: ImapMessageRow[] = [];
  const record = async (m: FetchMessageObject, input: ImportInput, r: ImportResult, knownCn: bigint | null): Promise<void> => {
    if (r.fallback) {
      result.failed++;
      log.warn({ user: ctx.username, mailbox: row.imapName, uid: m.uid, warnings: r.warnings }, 'IMAP message could not be converted; mirrored as raw MIME');
    } else if (r.warnings.length > 0) {
      log.debug({ user: ctx.username, mailbox: row.imapName, uid: m.uid, warnings: r.warnings }, 'IMAP message converted with warnings');
    }
    const cn = eidGlobcnt(knownCn ?? (await mb.messageChangeInfo(r.mid)).cn);
    rows.push({ folderGlobcnt: g, uidvalidity: row.uidvalidity, uid: m.uid, globcnt: eidGlobcnt(r.mid), modseq: m.modseq ?? 0n, cn, readCn: cn, flags: input.flags, size: m.size ?? input.source.length });
    result.added++;
  };
  // converted messages wait in groups of SAVE_GROUP and are stored together (MailboxStore.saveNewMessages: one
  // transaction step, one folder read and one counts read for the group instead of one each per message); small
  // groups, so that the converted values waiting for their save do not outlive V8's minor GCs
  let group: Pending[] = [];
  const flush = async (): Promise<void> => {
    const todo = group;
    group = [];
    if (todo.length === 0) return;
    let saved: { mid: bigint; cn: bigint }[] | null = null;
    try {
      if (mb.saveNewMessages) saved = await mb.saveNewMessages(fid, todo.map((p) => p.msg));
    } catch (e) {
      if (!(e instanceof StoreError)) {
        for (const p of todo) await p.msg.discard();
        throw e;
      }
      // one of them cannot be stored with the others: each on its own (a refused one kept as raw MIME)
      log.debug({ user: ctx.username, mailbox: row.imapName, err: e.message }, 'IMAP mirror: a group save failed; saving its messages one by one');
    }
    let done = 0; // copies discarded so far (saveOrFallback discards its own, whatever happens)
    try {
      for (const [k, p] of todo.entries()) {
        const got = saved?.[k];
        done = k + 1;
        if (got) await p.msg.discard();
        const r: ImportResult = got ? { mid: got.mid, warnings: p.warnings, fallback: false } : await saveOrFallback(mb, fid, p.input, p.msg, p.warnings);
        await record(p.m, p.input, r, got ? got.cn : null);
      }
    } finally {
      for (const p of todo.slice(done)) await p.msg.discard();
    }
  };
  // one local transaction for the batch (LocalMailbox.writeBatch): the index rows below are written after it
  try {
    await mb.writeBatch(async () => {
      try {
        for (const m of fetched) {
          if (typeof m.uid !== 'number' || !requested.has(m.uid) || known.has(m.uid) || !m.source) continue;
          known.add(m.uid);
          result.fetchedBodies++;
          const flags = flagBits(m.flags);
          const date = m.internalDate instanceof Date ? m.internalDate : typeof m.internalDate === 'string' ? new Date(m.internalDate) : null;
          const input: ImportInput = { uid: m.uid, source: m.source, internalDate: date && !Number.isNaN(date.getTime()) ? date : null, flags };
          if (flags & IMAP_FLAG.Keywords) input.categories = categoriesOf(m.flags);
          const p = await prepareImport(mb, fid, input);
          if (!p.msg) {
            // the messages before it first, so that MIDs and CNs keep the fetch order
            await flush();
            await record(m, input, await importFallback(mb, fid, input, p.warnings), null);
            continue;
          }
          group.push({ m, input, msg: p.msg, warnings: p.warnings });
          if (group.length >= SAVE_GROUP) await flush();
        }
        await flush();
      } finally {
        // a failure before the group was stored: its copies are dropped (the next sync fetches those UIDs again)
        for (const p of group) await p.msg.discard();
        group = [];
      }
    });
  } catch (e) {
    // writeBatch commits the messages saved before the failure: they get their index rows too, or the next sync
    // would fetch those UIDs again and create them a second time (duplicates that no expunge removes)
    await keepRows(ctx, row, rows).catch((err: unknown) => {
      log.warn({ user: ctx.username, mailbox: row.imapName, err: (err as Error).message }, 'IMAP mirror: index rows of a failed batch not written; the next sync may create those messages again');
    });
    throw e;
  }
  if (rows.length > 0) await imap.putMessages(rows);
  // the batch's highest UID: one not in the FETCH's answer was expunged meanwhile (UIDs are never used again)
  return last;
}

/** Writes the index rows of the messages that are really in the mailbox (a mailbox closed meanwhile committed none). */
async function keepRows(ctx: MirrorContext, row: ImapFolderRow, rows: readonly ImapMessageRow[]): Promise<void> {
  const kept: ImapMessageRow[] = [];
  for (const r of rows) if (await ctx.mb.messageExists(fidOf(r.globcnt))) kept.push(r);
  if (kept.length > 0) await ctx.imap.putMessages(kept);
  ctx.log.debug({ user: ctx.username, mailbox: row.imapName, kept: kept.length }, 'IMAP mirror: index rows of a failed batch written');
}
