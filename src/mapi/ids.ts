// MS-OXCDATA 2.2.1 Folder, message and change-number IDs (EIDs), long-term IDs and XIDs.
//
// An EID is 8 bytes on the wire: ReplicaId (u16, little-endian) then a 6-byte GLOBCNT in big-endian order. Inside the
// program an EID is a bigint holding those 8 bytes read as one little-endian u64, so it is written back unchanged
// with writeBigUInt64LE. GLOBCNTs are plain numbers-as-bigint (48 bits, counting up).
import { readGuid, writeGuid } from '../util/guid.js';
import { ProtocolError } from '../util/errors.js';

export const GLOBCNT_MAX = (1n << 48n) - 1n;

/** Scratch for the EID <-> GLOBCNT conversions (hot in ICS: several per message). */
const ID_DV = new DataView(new ArrayBuffer(8));

/** The EID of (replId, globcnt). */
export function makeEid(replId: number, globcnt: bigint): bigint {
  if (globcnt < 0n || globcnt > GLOBCNT_MAX) throw new RangeError(`GLOBCNT out of range: ${globcnt}`);
  // bytes 0-1: replId LE; bytes 2-7: globcnt BE (48 bits: exact as a number; one bigint made, not a dozen)
  const g = Number(globcnt);
  ID_DV.setUint16(0, replId & 0xffff, true);
  ID_DV.setUint16(2, Math.floor(g / 0x100000000), false);
  ID_DV.setUint32(4, g >>> 0, false);
  return ID_DV.getBigUint64(0, true);
}

export function eidReplId(eid: bigint): number {
  return Number(eid & 0xffffn);
}

export function eidGlobcnt(eid: bigint): bigint {
  ID_DV.setBigUint64(0, BigInt.asUintN(64, eid), true);
  return BigInt(ID_DV.getUint16(2, false) * 0x100000000 + ID_DV.getUint32(4, false));
}

/** The 6 big-endian bytes of a GLOBCNT. */
export function globcntBytes(globcnt: bigint): Buffer {
  const b = Buffer.alloc(6);
  const g = Number(BigInt.asUintN(48, globcnt)); // the low 48 bits, as the byte-wise shifts took them
  const hi = Math.floor(g / 0x100000000);
  const lo = g >>> 0;
  b[0] = hi >>> 8;
  b[1] = hi & 0xff;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
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
