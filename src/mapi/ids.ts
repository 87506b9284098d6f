// MS-OXCDATA 2.2.1 Folder, message and change-number IDs (EIDs), long-term IDs and XIDs.
//
// An EID is 8 bytes on the wire: ReplicaId (u16, little-endian) then a 6-byte GLOBCNT in big-endian order. Inside the
// program an EID is a bigint holding those 8 bytes read as one little-endian u64, so it is written back unchanged
// with writeBigUInt64LE. GLOBCNTs are plain numbers-as-bigint (48 bits, counting up).
import { readGuid, writeGuid } from '../util/guid.js';
import { ProtocolError } from '../util/errors.js';

export const GLOBCNT_MAX = (1n << 48n) - 1n;

/** The EID of (replId, globcnt). */
export function makeEid(replId: number, globcnt: bigint): bigint {
  if (globcnt < 0n || globcnt > GLOBCNT_MAX) throw new RangeError(`GLOBCNT out of range: ${globcnt}`);
  // bytes 0-1: replId LE; bytes 2-7: globcnt BE
  let v = BigInt(replId & 0xffff);
  for (let i = 0; i < 6; i++) {
    const byte = (globcnt >> BigInt(8 * (5 - i))) & 0xffn;
    v |= byte << BigInt(8 * (2 + i));
  }
  return v;
}

export function eidReplId(eid: bigint): number {
  return Number(eid & 0xffffn);
}

export function eidGlobcnt(eid: bigint): bigint {
  let g = 0n;
  for (let i = 0; i < 6; i++) g = (g << 8n) | ((eid >> BigInt(8 * (2 + i))) & 0xffn);
  return g;
}

/** The 6 big-endian bytes of a GLOBCNT. */
export function globcntBytes(globcnt: bigint): Buffer {
  const b = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) b[i] = Number((globcnt >> BigInt(8 * (5 - i))) & 0xffn);
  return b;
}

export function globcntFromBytes(b: Uint8Array, offset = 0): bigint {
  let g = 0n;
  for (let i = 0; i < 6; i++) g = (g << 8n) | BigInt(b[offset + i] ?? 0);
  return g;
}

// MS-OXCDATA 2.2.1.3.1 LongTermID: DatabaseGuid (16) + GlobalCounter (6) + Pad (2) = 24 bytes
export interface LongTermId {
  guid: string;
  globcnt: bigint;
}

export function encodeLongTermId(l: LongTermId): Buffer {
  const b = Buffer.alloc(24);
  writeGuid(l.guid, b, 0);
  globcntBytes(l.globcnt).copy(b, 16);
  return b;
}

export function decodeLongTermId(b: Uint8Array, offset = 0): LongTermId {
  if (b.length - offset < 24) throw new ProtocolError('OC_MAPI_LTID_SHORT', 'a LongTermID needs 24 bytes');
  return { guid: readGuid(b, offset), globcnt: globcntFromBytes(b, offset + 16) };
}

// MS-OXCFXICS 2.2.2.2 XID: NamespaceGuid (16) + LocalId (1-8 bytes; 6 for our GLOBCNTs) = 22 bytes
export function encodeXid(guid: string, globcnt: bigint): Buffer {
  const b = Buffer.alloc(22);
  writeGuid(guid, b, 0);
  globcntBytes(globcnt).copy(b, 16);
  return b;
}

export function decodeXid(b: Uint8Array): { guid: string; localId: Buffer } {
  if (b.length < 17 || b.length > 24) throw new ProtocolError('OC_MAPI_XID_SIZE', `an XID has 17-24 bytes, not ${b.length}`);
  return { guid: readGuid(b, 0), localId: Buffer.from(b.subarray(16)) };
}
