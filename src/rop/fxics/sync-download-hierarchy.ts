// The hierarchySync stream of an ICS download (MS-OXCFXICS 2.2.4.2, 3.2.5.3): the free async generator the
// IcsDownloadContext (sync-download.ts) hands to its FastTransfer producer for a hierarchy synchronization, and the
// folderChange element of each changed folder (2.2.4.3.5).
//
//   hierarchySync = *folderChange [deletions] state IncrSyncEnd
//
// - Hierarchy: the live subtree below the synchronization folder, breadth first, so that a parent's folderChange
//   comes before its children's; a folder is a change when its CN is not in MetaTagCnsetSeen.
//
// Choices where the spec leaves room:
// - PidTagParentSourceKey of a folder directly below the synchronization folder is empty (0 bytes): the source key
//   of the root of a hierarchy synchronization is zero-length (2.2.1.2.5); the others carry the parent's source key.
// - folderChange carries the folder's own properties; computed ones that describe contents (counts, sizes, access,
//   entry ids) are left out. Eid adds PidTagFolderId and PidTagParentFolderId, Cn adds PidTagChangeNumber.
import { eidFrom, eidGlobcntNumber } from '../../mapi/idset.js';
import { PT, propId, propType, type PropValue } from '../../mapi/props.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import { TAG } from '../../mapistore/tags.js';
import type { ChangeEntry, PropResult } from '../../mapistore/types.js';
import { Marker } from './markers.js';
import type { FxElement } from './props.js';
import {
  clientIdOfKey, contiguousSeen, deletionsElement, idsetAfter, SYNC_EXTRA, SYNC_FLAGS, withUpTo, type ClientId, type Removed,
} from './sync-download-common.js';
import type { IcsDownloadContext } from './sync-download.js';
import { stateElements, type IcsState } from './sync-state.js';
import type { FxSourceYield } from './writer.js';

/** Folder properties computed from contents or position, not sent in folderChange. */
const FOLDER_NOT_SENT = new Set<number>(
  [
    TAG.EntryId, TAG.ParentEntryId, TAG.RecordKey, TAG.InstanceKey, TAG.ObjectType, TAG.ContentCount, TAG.ContentUnreadCount,
    TAG.AssociatedContentCount, TAG.Subfolders, TAG.FolderChildCount, TAG.MessageSize, TAG.MessageSizeExtended, TAG.Access,
    TAG.Rights, TAG.Depth, TAG.AccessLevel, TAG.FolderId, TAG.ParentFolderId, TAG.ChangeNumber, TAG.SourceKey,
    TAG.ParentSourceKey, TAG.ChangeKey, TAG.PredecessorChangeList, TAG.LastModificationTime, TAG.DisplayName,
  ].map((t) => propId(t)),
);

/** The hierarchySync items of `ctx` (IcsDownloadContext.items: this generator itself, see there). */
export async function* hierarchyItems(ctx: IcsDownloadContext): AsyncGenerator<FxSourceYield> {
  const { mb, config } = ctx;
  const guid = mb.replGuid.toLowerCase();
  const st = ctx.holder.state;
  const hw = eidGlobcntNumber(await mb.currentCn());
  const since = contiguousSeen(st.cnsetSeen, guid);
  const given = st.idsetGiven;
  const sent: ClientId[] = [];
  const live = new Set<bigint>();
  const tombs: ChangeEntry[] = [];
  // breadth first over the live subtree: parents before children
  const queue: bigint[] = [config.fid];
  while (queue.length > 0) {
    const fid = queue.shift() as bigint;
    let kids: bigint[];
    let changes: ChangeEntry[];
    try {
      [kids, changes] = await Promise.all([mb.children(fid), mb.changesSince(fid, 'folder', eidFrom(1, since))]);
    } catch (e) {
      if (e instanceof StoreError && e.ec === SEC.NotFound && fid !== config.fid) continue; // deleted meanwhile
      throw e;
    }
    ctx.stats.storeCalls += 2;
    for (const k of kids) {
      live.add(k);
      queue.push(k);
    }
    for (const c of changes) {
      const g = eidGlobcntNumber(c.cn);
      if (g > hw) continue;
      if (c.deleted) {
        tombs.push(c);
        continue;
      }
      if (st.cnsetSeen.hasGlobcnt(guid, g)) continue;
      const el = await folderChange(ctx, c.id, fid);
      ctx.stats.storeCalls++;
      if (!el) continue;
      yield* el.items;
      sent.push(el.cid);
      ctx.stats.foldersSent++;
    }
  }
  const deleted: Removed[] = [];
  if ((config.flags & SYNC_FLAGS.NoDeletions) === 0) {
    const seen = new Set<bigint>();
    for (const t of tombs) {
      if (live.has(t.id) || seen.has(t.id)) continue;
      seen.add(t.id);
      const r = await ctx.given('folder', t.id);
      if (r) deleted.push(r);
    }
  }
  ctx.stats.deleted = deleted.length;
  if (deleted.length > 0) yield* deletionsElement(deleted.map((r) => ctx.wireId(r)), []);
  const fin: IcsState = {
    idsetGiven: idsetAfter(given, guid, sent, deleted),
    cnsetSeen: withUpTo(st.cnsetSeen, guid, hw),
    cnsetSeenFAI: st.cnsetSeenFAI.clone(),
    cnsetRead: st.cnsetRead.clone(),
  };
  ctx.finalState = fin;
  yield* stateElements(fin, 'hierarchy');
  yield { kind: 'marker', tag: Marker.IncrSyncEnd };
}

/** MS-OXCFXICS 2.2.4.3.5 folderChange of `fid` (whose parent is `parent`); null when the folder is gone. */
async function folderChange(ctx: IcsDownloadContext, fid: bigint, parent: bigint): Promise<{ items: FxElement[]; cid: ClientId } | null> {
  let props: PropResult[];
  try {
    props = await ctx.mb.getFolderProps(fid);
  } catch (e) {
    if (e instanceof StoreError && e.ec === SEC.NotFound) return null;
    throw e;
  }
  const map = new Map<number, PropValue>();
  for (const r of props) if ('value' in r) map.set(r.tag >>> 0, r.value);
  const x = ctx.config.extraFlags;
  const nf = ctx.noForeign;
  const storedSk = map.get(TAG.SourceKey);
  const sk = nf ? ctx.serverKey(fid) : Buffer.isBuffer(storedSk) ? storedSk : ctx.serverKey(fid);
  const parentSk = parent === ctx.config.fid ? Buffer.alloc(0) : nf ? ctx.serverKey(parent) : (map.get(TAG.ParentSourceKey) ?? Buffer.alloc(0));
  const out: FxElement[] = [
    { kind: 'marker', tag: Marker.IncrSyncChg },
    { kind: 'prop', tag: TAG.ParentSourceKey, value: parentSk },
    { kind: 'prop', tag: TAG.SourceKey, value: sk },
    { kind: 'prop', tag: TAG.LastModificationTime, value: map.get(TAG.LastModificationTime) ?? 0n },
    { kind: 'prop', tag: TAG.ChangeKey, value: map.get(TAG.ChangeKey) ?? Buffer.alloc(0) },
    { kind: 'prop', tag: TAG.PredecessorChangeList, value: map.get(TAG.PredecessorChangeList) ?? Buffer.alloc(0) },
    { kind: 'prop', tag: TAG.DisplayName, value: map.get(TAG.DisplayName) ?? '' },
  ];
  if (x & SYNC_EXTRA.Eid) {
    out.push({ kind: 'prop', tag: TAG.FolderId, value: fid });
    out.push({ kind: 'prop', tag: TAG.ParentFolderId, value: parent });
  }
  if (x & SYNC_EXTRA.Cn) out.push({ kind: 'prop', tag: TAG.ChangeNumber, value: map.get(TAG.ChangeNumber) ?? 0n });
  const { flags, propertyTags } = ctx.config;
  const only = (flags & SYNC_FLAGS.OnlySpecifiedProperties) !== 0;
  const listed = new Set(propertyTags.map((t) => propId(t)));
  for (const [tag, value] of map) {
    const id = propId(tag);
    if (FOLDER_NOT_SENT.has(id) || propType(tag) === PT.ERROR) continue;
    if (only ? !listed.has(id) : listed.has(id)) continue;
    out.push({ kind: 'prop', tag, value });
  }
  const cid = clientIdOfKey(sk) ?? { guid: ctx.mb.replGuid.toLowerCase(), globcnt: eidGlobcntNumber(fid) };
  return { items: out, cid };
}
