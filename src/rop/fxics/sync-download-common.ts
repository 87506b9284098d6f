// What the ICS download's modules (sync-download.ts and its sync-download-*.ts parts) share: the request's flag
// values (RopSynchronizationConfigure, MS-OXCFXICS 2.2.3.2.1.1.1; SendOptions 2.2.3.1.1.1.1), the ids objects are
// known to the client by (its namespace, 3.3.5.2.3 / 3.3.5.6), the final state's IDSET/CNSET arithmetic and the
// deletions element of both contentsSync and hierarchySync.
import { eidGlobcntNumber, IdSet, encodeIdsetReplId, xidGlobcnt } from '../../mapi/idset.js';
import { Marker, MetaTag } from './markers.js';
import type { FxSourceItem } from './writer.js';

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationType. */
export const SYNC_TYPE = { Contents: 0x01, Hierarchy: 0x02 } as const;

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationFlags. */
export const SYNC_FLAGS = {
  Unicode: 0x0001,
  NoDeletions: 0x0002,
  IgnoreNoLongerInScope: 0x0004,
  ReadState: 0x0008,
  FAI: 0x0010,
  Normal: 0x0020,
  OnlySpecifiedProperties: 0x0080,
  NoForeignIdentifiers: 0x0100,
  Reserved: 0x1000,
  BestBody: 0x2000,
  IgnoreSpecifiedOnFAI: 0x4000,
  Progress: 0x8000,
} as const;

/** MS-OXCFXICS 2.2.3.2.1.1.1 SynchronizationExtraFlags. */
export const SYNC_EXTRA = { Eid: 0x01, MessageSize: 0x02, Cn: 0x04, OrderByDeliveryTime: 0x08 } as const;

/** MS-OXCFXICS 2.2.3.1.1.1.1 SendOptions. */
export const SEND_OPTIONS = { Unicode: 0x01, UseCpid: 0x02, ForUpload: 0x03, RecoverMode: 0x04, ForceUnicode: 0x08, PartialItem: 0x10 } as const;

/** The first range of a CNSET's replica when it starts at GLOBCNT 1 (everything up to it was seen), else 0. */
export function contiguousSeen(cnset: IdSet<string>, replGuid: string): number {
  const g = cnset.get(replGuid.toLowerCase());
  const first = g?.ranges()[0];
  return first && first.lo <= 1 ? first.hi : 0;
}

/**
 * An id as the client knows it (REPLGUID form): the GUID and GLOBCNT of the object's PidTagSourceKey. An object the
 * client uploaded with its own source key (RopSynchronizationImportMessageChange / ImportHierarchyChange) is known by
 * that key: a GID of the IDs it reserved with RopGetLocalReplicaIds (MS-OXCFXICS 3.3.5.6 checkpointing), or an XID
 * of its own namespace (3.3.5.2.3); IDSETs hold 6-byte GLOBCNTs only, so a key with another LocalId length cannot be
 * named in one and the server's id stands for it.
 */
export interface ClientId {
  guid: string;
  globcnt: number;
}

/** The ClientId of a 22-byte source key; null for other lengths. */
export function clientIdOfKey(sk: Uint8Array): ClientId | null {
  if (sk.length !== 22) return null;
  const x = xidGlobcnt(sk);
  return { guid: x.guid.toLowerCase(), globcnt: x.globcnt };
}

/** A removed object: the id the client knows it by, and the server's id. */
export interface Removed {
  id: bigint;
  cid: ClientId;
}

/**
 * given + sent - removed, in REPLGUID form: sent objects under the id their source key names (the client's own for
 * its imports), removed ones out under both that id and the server's.
 */
export function idsetAfter(given: IdSet<string>, guid: string, sent: readonly ClientId[], removed: readonly Removed[]): IdSet<string> {
  const s = given.clone();
  for (const c of sent) s.addGlobcnt(c.guid, c.globcnt);
  for (const r of removed) {
    s.get(r.cid.guid)?.remove(r.cid.globcnt);
    s.get(guid)?.remove(eidGlobcntNumber(r.id));
  }
  for (const [k, g] of [...s.map]) if (g.isEmpty()) s.map.delete(k);
  return s;
}

/** cnset + 1..hw of this replica. */
export function withUpTo(cnset: IdSet<string>, guid: string, hw: number): IdSet<string> {
  const s = cnset.clone();
  if (hw >= 1) s.addGlobcnt(guid, 1, hw);
  return s;
}

/** MS-OXCFXICS 2.2.4.3.4 deletions: IncrSyncDel, MetaTagIdsetDeleted, MetaTagIdsetNoLongerInScope (REPLID IDSETs). */
export function* deletionsElement(deleted: readonly bigint[], nlis: readonly bigint[]): Generator<FxSourceItem> {
  yield { kind: 'marker', tag: Marker.IncrSyncDel };
  if (deleted.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetDeleted, value: encodeIdsetReplId(IdSet.fromIds(deleted)) };
  if (nlis.length > 0) yield { kind: 'prop', tag: MetaTag.MetaTagIdsetNoLongerInScope, value: encodeIdsetReplId(IdSet.fromIds(nlis)) };
}
