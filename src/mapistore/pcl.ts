// MS-OXCFXICS 2.2.2.4 PidTagPredecessorChangeList: a set of SizedXid (XidSize u8 + XID), at most one per namespace
// GUID, each holding the highest change seen from that namespace. Merging keeps, per GUID, the larger LocalId.
import { readGuid } from '../util/guid.js';
import { encodeXid } from '../mapi/ids.js';
import { StoreError, SEC } from './errors.js';

export interface PclEntry {
  guid: string;
  /** LocalId bytes (big-endian counter, 1..8 bytes; 6 for our GLOBCNTs). */
  localId: Buffer;
}

export function decodePcl(b: Uint8Array): PclEntry[] {
  const out: PclEntry[] = [];
  let o = 0;
  while (o < b.length) {
    const size = b[o] as number;
    if (size < 17 || size > 24 || o + 1 + size > b.length) {
      throw new StoreError('OC_STORE_BAD_PCL', SEC.InvalidParam, `bad SizedXid at offset ${o} (size ${size})`);
    }
    out.push({ guid: readGuid(b, o + 1), localId: Buffer.from(b.subarray(o + 17, o + 1 + size)) });
    o += 1 + size;
  }
  return out;
}

function cmpLocalId(a: Buffer, b: Buffer): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 0 : (a[i - (n - a.length)] as number);
    const y = i < n - b.length ? 0 : (b[i - (n - b.length)] as number);
    if (x !== y) return x - y;
  }
  return 0;
}

/** The merged PCL of several (MS-OXCFXICS 3.1.5.6.1): per namespace GUID the highest LocalId, sorted by GUID. */
export function mergePcl(...lists: PclEntry[][]): PclEntry[] {
  const m = new Map<string, Buffer>();
  for (const l of lists) {
    for (const e of l) {
      const cur = m.get(e.guid);
      if (!cur || cmpLocalId(e.localId, cur) > 0) m.set(e.guid, e.localId);
    }
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([guid, localId]) => ({ guid, localId }));
}

export function encodePcl(list: PclEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of list) {
    const xid = Buffer.concat([encodeXid(e.guid, 0n).subarray(0, 16), e.localId]);
    parts.push(Buffer.from([xid.length]), xid);
  }
  return Buffer.concat(parts);
}

/** PCL bytes after a local change `cn` (a GLOBCNT of replica `replGuid`) to an object whose PCL was `prev`. */
export function pclAfterChange(prev: Uint8Array | null, replGuid: string, cn: bigint): Buffer {
  const base = prev && prev.length > 0 ? decodePcl(prev) : [];
  return encodePcl(mergePcl(base, [{ guid: replGuid, localId: encodeXid(replGuid, cn).subarray(16) }]));
}

/** True when PCL `a` includes every change of PCL `b` (conflict detection, MS-OXCFXICS 3.1.5.6.2). */
export function pclIncludes(a: Uint8Array, b: Uint8Array): boolean {
  const have = new Map(decodePcl(a).map((e) => [e.guid, e.localId]));
  return decodePcl(b).every((e) => {
    const x = have.get(e.guid);
    return x !== undefined && cmpLocalId(x, e.localId) >= 0;
  });
}
