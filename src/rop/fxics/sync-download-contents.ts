// The contentsSync stream of an ICS download (MS-OXCFXICS 2.2.4.3, 3.2.5.3): the free async generator the
// IcsDownloadContext (sync-download.ts) hands to its FastTransfer producer for a contents synchronization.
//
//   contentsSync  = [progressTotal] *([progressPerMessage] messageChange) [deletions] [readStateChanges] state IncrSyncEnd
//
// - Contents: a normal message is a change when Normal is set and its CN is not in MetaTagCnsetSeen; an FAI message
//   when FAI is set and its CN is not in MetaTagCnsetSeenFAI. A change that fails the restriction is reported as
//   no longer in scope when the client has it (MetaTagIdsetGiven) and IgnoreNoLongerInScope is not set.
// - Read-state changes (ReadState): messages whose read CN is above the first range of MetaTagCnsetRead and not in
//   it, that the client has and that are not sent whole in this stream (a full change carries PidTagMessageFlags).
// - Each message's change header, content options and conflicting versions: sync-download-message.ts.
//
// Choices where the spec leaves room:
// - OrderByDeliveryTime: FAI messages first, then normal messages newest PidTagMessageDeliveryTime first; without
//   it, CN order (oldest change first).
// - Messages are read in groups of BATCH (header properties of a group at once) and each message's content is
//   streamed by the FastTransfer producer as the client pulls buffers, so memory does not grow with the folder.
import { eidFrom, eidGlobcntNumber, IdSet, encodeIdsetReplId } from '../../mapi/idset.js';
import { RestrictionEvaluator } from '../../mapi/table/evaluate.js';
import type { TableRestriction } from '../../mapi/table/types.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import type { ChangeEntry, MessageObject } from '../../mapistore/types.js';
import { Marker, MetaTag } from './markers.js';
import {
  contiguousSeen, deletionsElement, idsetAfter, SYNC_EXTRA, SYNC_FLAGS, withUpTo, type ClientId, type Removed,
} from './sync-download-common.js';
import {
  candidateOf, conflictVersions, contentOpts, headerResults, headerTags, messageChange, progressTotal, readHeader, readHeaders,
  sendInConflict, type Candidate, type Queued,
} from './sync-download-message.js';
import type { IcsDownloadContext } from './sync-download.js';
import { stateElements, type IcsState } from './sync-state.js';
import type { FxSourceItem, FxSourceYield } from './writer.js';

/** Messages whose header properties are read together. */
export const BATCH = 64;
/** Messages whose stored rows an ICS download reads at a time (MailboxStore.prefetchMessages). */
const PREFETCH_RUN = 16;

/** The contentsSync items of `ctx` (IcsDownloadContext.items: this generator itself, see there). */
export async function* contentsItems(ctx: IcsDownloadContext): AsyncGenerator<FxSourceYield> {
  const { mb, config } = ctx;
  const guid = mb.replGuid.toLowerCase();
  const st = ctx.holder.state;
  const flags = config.flags;
  const wantNormal = (flags & SYNC_FLAGS.Normal) !== 0;
  const wantFai = (flags & SYNC_FLAGS.FAI) !== 0;
  const hw = eidGlobcntNumber(await mb.currentCn());
  ctx.stats.storeCalls++;

  // candidates: CN > since, CN <= hw, not in the CNSET of their kind
  let since = hw;
  if (wantNormal) since = Math.min(since, contiguousSeen(st.cnsetSeen, guid));
  if (wantFai) since = Math.min(since, contiguousSeen(st.cnsetSeenFAI, guid));
  const needDeletes = (flags & SYNC_FLAGS.NoDeletions) === 0;
  let changes: ChangeEntry[] = wantNormal || wantFai || needDeletes ? await mb.changesSince(config.fid, 'message', eidFrom(1, since)) : [];
  ctx.stats.storeCalls++;
  const given = st.idsetGiven;

  const live = new Set<bigint>();
  let wanted: ChangeEntry[] = [];
  const tombs: ChangeEntry[] = [];
  for (const c of changes) {
    const g = eidGlobcntNumber(c.cn);
    if (!c.deleted) live.add(c.id); // live again (moved back): its tombstone is no deletion, even past hw
    if (g > hw) continue;
    if (c.deleted) {
      tombs.push(c);
      continue;
    }
    if (c.associated ? !wantFai || st.cnsetSeenFAI.hasGlobcnt(guid, g) : !wantNormal || st.cnsetSeen.hasGlobcnt(guid, g)) continue;
    wanted.push(c);
  }
  ctx.stats.candidates = wanted.length;

  // header properties in groups; the restriction decides what is in scope
  const evaluator = config.restriction ? new RestrictionEvaluator(config.restriction as TableRestriction) : null;
  // up to keepHeadersUpTo messages keep their whole change header from this reading; more keep only Queued
  const keep = wanted.length <= ctx.keepHeadersUpTo;
  const sendList: Queued[] = [];
  const outOfScope: bigint[] = [];
  for (let i = 0; i < wanted.length; i += BATCH) {
    const group = wanted.slice(i, i + BATCH);
    let heads: Array<Candidate | null | undefined>;
    if (evaluator === null && mb.getMessagesProps) {
      heads = await readHeaders(ctx, group);
      ctx.stats.storeCalls++;
    } else {
      heads = await Promise.all(group.map((c) => readHeader(ctx, c, evaluator)));
      ctx.stats.storeCalls += group.length;
    }
    group.forEach((c, k) => {
      const h = heads[k];
      if (h === undefined) return; // gone meanwhile: the next synchronization sees its tombstone
      if (h === null) {
        outOfScope.push(c.id);
        return;
      }
      sendList.push(keep ? h : { id: h.id, cn: h.cn, assoc: h.assoc, size: h.size, delivery: h.delivery });
    });
  }
  // (what the deletions below need of the change list is in tombs and live: the rest is let go now)
  changes = [];
  wanted = [];
  if (config.extraFlags & SYNC_EXTRA.OrderByDeliveryTime) {
    sendList.sort((a, b) => (a.assoc !== b.assoc ? (a.assoc ? -1 : 1) : a.assoc ? 0 : a.delivery > b.delivery ? -1 : a.delivery < b.delivery ? 1 : 0));
  }

  // progressTotal
  const progress = (flags & SYNC_FLAGS.Progress) !== 0;
  if (progress) yield* progressTotal(sendList);

  // messageChange elements
  const sent: ClientId[] = [];
  const sentIds = new Set<bigint>();
  const total = sendList.length;
  let n = 0;
  // The rows of PREFETCH_RUN messages are read at a time where the store can (MailboxStore.prefetchMessages: a row
  // costs ~3 times more read alone, between encoding and compressing); each message is built from its row when its
  // turn comes and discarded once its content is out. (Built a run at a time, the decoded messages waiting their
  // turn outlived V8's minor GCs: in the IMAP bench's first sync of 10,000 messages ~136 MB went into the old
  // generation against ~30 MB one at a time, and the server's peak RSS was 274-304 MB against 222-224 MB.)
  // Beyond keepHeadersUpTo, a message's change header is read from the message itself once it is open (its row has
  // just been read: see Queued), as it is then, with the order and the size of the first reading.
  let openers = new Map<bigint, () => Promise<MessageObject>>();
  for (let i = 0; i < sendList.length; i++) {
    const q = sendList[i]!;
    // the progress note goes out with the message's change header (one yield: see content.ts objectPropList)
    const note: FxSourceItem = { kind: 'progress', inProgressCount: n, totalStepCount: total };
    let m: Candidate | null = keep ? (q as Candidate) : null;
    let items = m ? messageChange(ctx, m, progress) : null;
    if (m && items === null) {
      yield note;
      continue;
    }
    if (mb.prefetchMessages && !openers.has(q.id)) {
      const run = sendList.slice(i, i + PREFETCH_RUN).map((c) => c.id);
      const got = await mb.prefetchMessages(run);
      ctx.stats.storeCalls++;
      openers = new Map(run.map((id, k) => [id, got[k]!]));
    }
    let msg: MessageObject;
    try {
      const open = openers.get(q.id);
      openers.delete(q.id);
      if (!open) ctx.stats.storeCalls++;
      msg = await (open ? open() : mb.openMessage(q.id));
    } catch (e) {
      if (e instanceof StoreError && (e.ec === SEC.NotFound || e.ec === SEC.ObjectDeleted)) {
        yield note;
        continue; // gone meanwhile
      }
      throw e;
    }
    if (!m) {
      try {
        const entry: ChangeEntry = { kind: 'message', id: q.id, cn: q.cn, associated: q.assoc, deleted: false, hard: false };
        m = { ...candidateOf(ctx, entry, headerResults(await msg.getProps(headerTags(ctx)))), size: q.size, delivery: q.delivery };
      } catch (e) {
        await msg.discard();
        throw e;
      }
      items = messageChange(ctx, m, progress);
      if (items === null) {
        await msg.discard();
        yield note;
        continue;
      }
    }
    // MS-OXCFXICS 3.1.5.6.2.1: a conflict resolve message is not synchronized itself; its conflicting versions
    // are, each as a messageChange of the same source key with its own change key and PCL, and the client builds
    // its own resolve message from them (the same winner rule, 3.1.5.6.2.2)
    const versions = (await sendInConflict(m, msg)) ? await conflictVersions(ctx, msg, m.id) : null;
    try {
      if (versions) {
        yield note;
        for (const [k, ver] of versions.entries()) {
          yield messageChange(ctx, m, progress && k === 0, ver) ?? [];
          yield* ctx.content(ver.msg, contentOpts(ctx, m.assoc));
        }
        ctx.stats.conflictVersions += versions.length;
      } else {
        items!.unshift(note);
        yield items!;
        yield* ctx.content(msg, contentOpts(ctx, m.assoc));
      }
    } finally {
      for (const ver of versions ?? []) await ver.msg.discard();
      await msg.discard();
    }
    sent.push(m.cid);
    sentIds.add(m.id);
    n++;
    ctx.stats.messagesSent++;
  }
  yield { kind: 'progress', inProgressCount: n, totalStepCount: total };

  // deletions: only what the client has, and not live again in the folder
  const deleted: Removed[] = [];
  if (needDeletes) {
    for (const t of tombs) {
      if (live.has(t.id)) continue;
      const r = await ctx.given('message', t.id);
      if (r) deleted.push(r);
    }
  }
  const ignoreNlis = (flags & SYNC_FLAGS.IgnoreNoLongerInScope) !== 0;
  const nlis: Removed[] = [];
  if (!ignoreNlis) {
    for (const id of outOfScope) {
      const r = await ctx.given('message', id);
      if (r) nlis.push(r);
    }
  }
  ctx.stats.deleted = deleted.length;
  ctx.stats.noLongerInScope = nlis.length;
  if (deleted.length > 0 || nlis.length > 0) yield* deletionsElement(deleted.map((r) => ctx.wireId(r)), nlis.map((r) => ctx.wireId(r)));

  // readStateChanges
  // (a client without any id - a first synchronization - has no read state to be told about)
  if (flags & SYNC_FLAGS.ReadState && !given.isEmpty()) {
    const readSince = contiguousSeen(st.cnsetRead, guid);
    const reads = await mb.readChangesSince(config.fid, eidFrom(1, readSince));
    ctx.stats.storeCalls++;
    const read: bigint[] = [];
    const unread: bigint[] = [];
    for (const r of reads) {
      const g = eidGlobcntNumber(r.cn);
      // readChangesSince lists messages of this folder only
      if (g > hw || st.cnsetRead.hasGlobcnt(guid, g) || sentIds.has(r.id)) continue;
      const known = await ctx.given('message', r.id);
      if (known) (r.read ? read : unread).push(ctx.wireId(known));
    }
    ctx.stats.readChanges = read.length + unread.length;
    if (read.length > 0 || unread.length > 0) yield* readStateElement(read, unread);
  }

  // final state
  const fin: IcsState = {
    idsetGiven: idsetAfter(given, guid, sent, [...deleted, ...nlis]),
    cnsetSeen: wantNormal ? withUpTo(st.cnsetSeen, guid, hw) : st.cnsetSeen.clone(),
    cnsetSeenFAI: wantFai ? withUpTo(st.cnsetSeenFAI, guid, hw) : st.cnsetSeenFAI.clone(),
    cnsetRead: flags & SYNC_FLAGS.ReadState ? withUpTo(st.cnsetRead, guid, hw) : st.cnsetRead.clone(),
  };
  ctx.finalState = fin;
  yield* stateElements(fin, 'contents');
  yield { kind: 'marker', tag: Marker.IncrSyncEnd };
}

/** MS-OXCFXICS 2.2.4.3.22 readStateChanges: IncrSyncRead, MetaTagIdsetRead, MetaTagIdsetUnread (REPLID IDSETs). */
function* readStateElement(read: readonly bigint[], unread: readonly bigint[]): Generator<FxSourceItem> {
  yield { kind: 'marker', tag: Marker.IncrSyncRead };
  if (read.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetRead, value: encodeIdsetReplId(IdSet.fromIds(read)) };
  if (unread.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetUnread, value: encodeIdsetReplId(IdSet.fromIds(unread)) };
}
