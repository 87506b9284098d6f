// MS-OXCFXICS 2.2.2.4 IDSET and CNSET (2.2.2.4.1 REPLID form, 2.2.2.4.2 REPLGUID form; serializing 3.1.5.4), built
// on the GLOBSET codec of ./globset.ts (2.2.2.6), plus the CNSET helpers ICS needs (MetaTagCnsetSeen,
// MetaTagCnsetSeenFAI, MetaTagCnsetRead, 2.2.1.1.2-2.2.1.1.4) and SizedXid (2.2.2.3.1).
//
// An IDSET maps a replica (REPLID u16 or REPLGUID) to a GlobSet of GLOBCNTs. On the wire it is, per replica, the
// replica key (REPLID 2 bytes little-endian, or the 16-byte GUID) then the GLOBSET commands through End; the IDSET
// ends where its bytes end (the caller knows the length: a property value or a state stream).
//
// Choices where the spec leaves room:
// - `IdSet<number>` is the REPLID form (keys are ReplicaIds), `IdSet<string>` the REPLGUID form (keys are lower-case
//   GUID strings as in src/util/guid.ts). The EID helpers (has/add/delete/eids/fromIds) exist on the REPLID form
//   only: an EID carries a ReplicaId.
// - Encoding writes replicas in the order the spec requires (REPLID ascending, 2.2.2.4.1; REPLGUID ascending by its
//   16 wire bytes, 2.2.2.4.2) and leaves out empty GlobSets, so encode(x) is canonical and decode(encode(x)) == x.
// - Decoding accepts replicas in any order, refuses one named twice (IdsetError OC_IDSET_DUPLICATE_REPLICA) and an
//   empty-bodied truncation (a key without its GLOBSET).
// - toReplId/toReplGuid drop replicas the mapping callback does not know (it returns undefined): a client's state
//   may name replicas this server never issued, and those can never match a server id.
// - CNs inside the program are EIDs (src/mapi/ids.ts); a CNSET holds GLOBCNTs per REPLGUID, so the CN helpers take
//   the CN's EID and the replica GUID and ignore the EID's ReplicaId.
import { readGuid, writeGuid } from '../util/guid.js';
import { GlobSet, IdsetError, IDSET_ERRORS, decodeGlobSet, encodeGlobSet, type GlobSetDecodeLimits } from './globset.js';
import { ProtocolError } from '../util/errors.js';

export { GlobSet, IdsetError, IDSET_ERRORS, decodeGlobSet, encodeGlobSet, GLOBCNT_LIMIT } from './globset.js';
export type { GlobRange, GlobSetDecodeLimits } from './globset.js';

// ---- EID <-> (ReplicaId, GLOBCNT as number) ------------------------------------------------------------------------
// An EID (src/mapi/ids.ts) is the 8 wire bytes read as a little-endian u64: ReplicaId in bits 0-15, then the GLOBCNT's
// 6 big-endian bytes in bits 16..63 (most significant GLOBCNT byte in bits 16-23).

/** ReplicaId of an EID. */
export function eidReplicaId(eid: bigint): number {
  return Number(eid & 0xffffn);
}

/** GLOBCNT of an EID, as a number. */
export function eidGlobcntNumber(eid: bigint): number {
  // wire bytes 2..7 (big-endian GLOBCNT) are bits 16..63 of the LE u64
  const hi = Number((eid >> 32n) & 0xffffffffn); // wire bytes 4..7: LE u32 of GLOBCNT bytes 2..5
  const lo = Number((eid >> 16n) & 0xffffn); // wire bytes 2..3: GLOBCNT bytes 0..1
  const b0 = lo & 0xff;
  const b1 = (lo >>> 8) & 0xff;
  const b2 = hi & 0xff;
  const b3 = (hi >>> 8) & 0xff;
  const b4 = (hi >>> 16) & 0xff;
  const b5 = (hi >>> 24) & 0xff;
  return ((b0 * 256 + b1) * 256 + b2) * 2 ** 24 + ((b3 * 256 + b4) * 256 + b5);
}

/** The EID of (replicaId, GLOBCNT number). */
export function eidFrom(replicaId: number, globcnt: number): bigint {
  let v = BigInt(replicaId & 0xffff);
  let g = globcnt;
  for (let k = 5; k >= 0; k--) {
    v |= BigInt(g % 256) << BigInt(8 * (2 + k));
    g = Math.floor(g / 256);
  }
  return v;
}

export type ReplKey = number | string;

/**
 * MS-OXCFXICS 2.2.2.4 IDSET: replica key -> GlobSet. `IdSet<number>` = REPLID form, `IdSet<string>` = REPLGUID form
 * (keys: lower-case GUID text, as readGuid gives). Mutating methods (add, addGlobcnt, delete, globset().add...) change
 * this set; union/difference/intersect/clone return new sets and leave their operands alone.
 */
export class IdSet<K extends ReplKey = number> {
  readonly map = new Map<K, GlobSet>();

  /** REPLID form holding the given EIDs (any order). */
  static fromIds(eids: Iterable<bigint>): IdSet<number> {
    const by = new Map<number, number[]>();
    for (const e of eids) {
      const r = eidReplicaId(e);
      let a = by.get(r);
      if (!a) by.set(r, (a = []));
      a.push(eidGlobcntNumber(e));
    }
    const s = new IdSet<number>();
    for (const [r, a] of by) s.map.set(r, GlobSet.fromValues(a));
    return s;
  }

  /** The GlobSet of a replica (undefined if none). */
  get(key: K): GlobSet | undefined {
    return this.map.get(key);
  }

  /** The GlobSet of a replica, created empty if missing. */
  globset(key: K): GlobSet {
    let g = this.map.get(key);
    if (!g) this.map.set(key, (g = new GlobSet()));
    return g;
  }

  /** Adds one GLOBCNT (or range) of a replica. */
  addGlobcnt(key: K, lo: number, hi = lo): this {
    this.globset(key).addRange(lo, hi);
    return this;
  }

  hasGlobcnt(key: K, v: number): boolean {
    return this.map.get(key)?.has(v) ?? false;
  }

  /** REPLID form: is the EID in the set? */
  has(this: IdSet<number>, eid: bigint): boolean {
    return this.hasGlobcnt(eidReplicaId(eid), eidGlobcntNumber(eid));
  }

  /** REPLID form: adds an EID. */
  add(this: IdSet<number>, eid: bigint): IdSet<number> {
    return this.addGlobcnt(eidReplicaId(eid), eidGlobcntNumber(eid));
  }

  /** REPLID form: removes an EID. */
  delete(this: IdSet<number>, eid: bigint): IdSet<number> {
    this.map.get(eidReplicaId(eid))?.remove(eidGlobcntNumber(eid));
    return this;
  }

  /** REPLID form: every EID, ascending by replica then GLOBCNT (beware of huge ranges). */
  *eids(this: IdSet<number>): IterableIterator<bigint> {
    for (const r of [...this.map.keys()].sort((a, b) => a - b)) {
      for (const v of this.map.get(r)?.values() ?? []) yield eidFrom(r, v);
    }
  }

  isEmpty(): boolean {
    for (const g of this.map.values()) if (!g.isEmpty()) return false;
    return true;
  }

  /** Number of ids over all replicas. */
  size(): number {
    let n = 0;
    for (const g of this.map.values()) n += g.size();
    return n;
  }

  /** Replica keys with a non-empty GlobSet. */
  replicas(): K[] {
    return [...this.map].filter(([, g]) => !g.isEmpty()).map(([k]) => k);
  }

  clone(): IdSet<K> {
    const s = new IdSet<K>();
    for (const [k, g] of this.map) if (!g.isEmpty()) s.map.set(k, g.clone());
    return s;
  }

  union(o: IdSet<K>): IdSet<K> {
    const s = this.clone();
    for (const [k, g] of o.map) {
      if (g.isEmpty()) continue;
      const mine = s.map.get(k);
      s.map.set(k, mine ? mine.union(g) : g.clone());
    }
    return s;
  }

  difference(o: IdSet<K>): IdSet<K> {
    const s = new IdSet<K>();
    for (const [k, g] of this.map) {
      const theirs = o.map.get(k);
      const d = theirs ? g.difference(theirs) : g.clone();
      if (!d.isEmpty()) s.map.set(k, d);
    }
    return s;
  }

  intersect(o: IdSet<K>): IdSet<K> {
    const s = new IdSet<K>();
    for (const [k, g] of this.map) {
      const theirs = o.map.get(k);
      if (!theirs) continue;
      const d = g.intersect(theirs);
      if (!d.isEmpty()) s.map.set(k, d);
    }
    return s;
  }

  equals(o: IdSet<K>): boolean {
    const a = this.replicas();
    const b = o.replicas();
    if (a.length !== b.length) return false;
    for (const k of a) {
      const g = o.map.get(k);
      if (!g || !g.equals(this.map.get(k) as GlobSet)) return false;
    }
    return true;
  }

  /** REPLID -> REPLGUID form; replicas the callback does not know are dropped. */
  toReplGuid(this: IdSet<number>, replIdToGuid: (replId: number) => string | undefined): IdSet<string> {
    const s = new IdSet<string>();
    for (const [k, g] of this.map) {
      const guid = replIdToGuid(k)?.toLowerCase();
      if (guid === undefined || g.isEmpty()) continue;
      const prev = s.map.get(guid);
      s.map.set(guid, prev ? prev.union(g) : g.clone());
    }
    return s;
  }

  /** REPLGUID -> REPLID form; replicas the callback does not know are dropped. */
  toReplId(this: IdSet<string>, guidToReplId: (guid: string) => number | undefined): IdSet<number> {
    const s = new IdSet<number>();
    for (const [k, g] of this.map) {
      const r = guidToReplId(k);
      if (r === undefined || g.isEmpty()) continue;
      const prev = s.map.get(r);
      s.map.set(r, prev ? prev.union(g) : g.clone());
    }
    return s;
  }

  toString(): string {
    return [...this.map]
      .filter(([, g]) => !g.isEmpty())
      .map(([k, g]) => `${String(k)}:${g.toString()}`)
      .join(' ');
  }
}

// ---- wire forms --------------------------------------------------------------------------------------------------

function guidWire(guid: string): Buffer {
  const b = Buffer.alloc(16);
  writeGuid(guid, b, 0);
  return b;
}

/** MS-OXCFXICS 2.2.2.4.1 IDSET in REPLID form: (ReplicaId u16 LE, GLOBSET)*. */
export function encodeIdsetReplId(set: IdSet<number>): Buffer {
  const chunks: Buffer[] = [];
  for (const k of set.replicas().sort((a, b) => a - b)) {
    const h = Buffer.alloc(2);
    h.writeUInt16LE(k & 0xffff, 0);
    chunks.push(h, encodeGlobSet(set.map.get(k) as GlobSet));
  }
  return Buffer.concat(chunks);
}

/** MS-OXCFXICS 2.2.2.4.2 IDSET in REPLGUID form: (REPLGUID 16 bytes, GLOBSET)*. */
export function encodeIdsetReplGuid(set: IdSet<string>): Buffer {
  const keyed = set.replicas().map((k) => ({ k, w: guidWire(k) }));
  keyed.sort((a, b) => Buffer.compare(a.w, b.w));
  const chunks: Buffer[] = [];
  for (const { k, w } of keyed) chunks.push(w, encodeGlobSet(set.map.get(k) as GlobSet));
  return Buffer.concat(chunks);
}

function trunc(what: string): IdsetError {
  return new IdsetError(IDSET_ERRORS.TRUNCATED, `IDSET truncated in ${what}`);
}

/** Decodes a whole buffer as an IDSET in REPLID form. Throws IdsetError on malformed input. */
export function decodeIdsetReplId(buf: Uint8Array, limits: GlobSetDecodeLimits = {}): IdSet<number> {
  const s = new IdSet<number>();
  let p = 0;
  while (p < buf.length) {
    if (p + 2 > buf.length) throw trunc('ReplicaId');
    const r = (buf[p] as number) | ((buf[p + 1] as number) << 8);
    p += 2;
    if (s.map.has(r)) throw new IdsetError(IDSET_ERRORS.DUPLICATE_REPLICA, `IDSET names ReplicaId ${r} twice`);
    const { set, end } = decodeGlobSet(buf, p, limits);
    s.map.set(r, set);
    p = end;
  }
  return s;
}

/** Decodes a whole buffer as an IDSET in REPLGUID form. Throws IdsetError on malformed input. */
export function decodeIdsetReplGuid(buf: Uint8Array, limits: GlobSetDecodeLimits = {}): IdSet<string> {
  const s = new IdSet<string>();
  let p = 0;
  while (p < buf.length) {
    if (p + 16 > buf.length) throw trunc('REPLGUID');
    const g = readGuid(buf, p);
    p += 16;
    if (s.map.has(g)) throw new IdsetError(IDSET_ERRORS.DUPLICATE_REPLICA, `IDSET names REPLGUID ${g} twice`);
    const { set, end } = decodeGlobSet(buf, p, limits);
    s.map.set(g, set);
    p = end;
  }
  return s;
}

// ---- CNSETs (MetaTagCnsetSeen, MetaTagCnsetSeenFAI, MetaTagCnsetRead: IDSETs of CNs in REPLGUID form) ------------

/** Is the change number `cnEid` (a CN as an EID, ReplicaId part ignored) of replica `replGuid` in the CNSET? */
export function cnsetContains(cnset: IdSet<string>, cnEid: bigint, replGuid: string): boolean {
  return cnset.hasGlobcnt(replGuid.toLowerCase(), eidGlobcntNumber(cnEid));
}

/** Adds the change number `cnEid` of replica `replGuid` to the CNSET. */
export function cnsetAdd(cnset: IdSet<string>, cnEid: bigint, replGuid: string): IdSet<string> {
  return cnset.addGlobcnt(replGuid.toLowerCase(), eidGlobcntNumber(cnEid));
}

/** The highest GLOBCNT of replica `replGuid` in the CNSET (0 if none). */
export function cnsetMaxGlobcnt(cnset: IdSet<string>, replGuid: string): number {
  return cnset.get(replGuid.toLowerCase())?.max() ?? 0;
}

/** The highest CN of replica `replGuid` in the CNSET as an EID with ReplicaId `replId` (0n if none). */
export function cnsetMaxCn(cnset: IdSet<string>, replGuid: string, replId: number): bigint {
  const m = cnset.get(replGuid.toLowerCase())?.max();
  return m === undefined ? 0n : eidFrom(replId, m);
}

/** A CNSET holding 1..maxCn of `replGuid` (the usual server form: every CN up to the last one sent). */
export function cnsetUpTo(replGuid: string, maxGlobcnt: number): IdSet<string> {
  const s = new IdSet<string>();
  if (maxGlobcnt >= 1) s.addGlobcnt(replGuid.toLowerCase(), 1, maxGlobcnt);
  return s;
}

// ---- SizedXid (MS-OXCFXICS 2.2.2.3.1): XidSize u8 + XID (NamespaceGuid 16 + LocalId 1..8 bytes) --------------------
// XIDs themselves: encodeXid/decodeXid in src/mapi/ids.ts.

/** The SizedXid of (guid, GLOBCNT): 0x16 then the 22-byte XID with a 6-byte LocalId. */
export function encodeSizedXid(guid: string, globcnt: number): Buffer {
  const b = Buffer.alloc(23);
  b[0] = 22;
  writeGuid(guid, b, 1);
  let g = globcnt;
  for (let k = 5; k >= 0; k--) {
    b[17 + k] = g % 256;
    g = Math.floor(g / 256);
  }
  return b;
}

/**
 * Reads one SizedXid at `offset`: the namespace GUID, its LocalId bytes and the offset after it. A LocalId of 6 bytes
 * (the GLOBCNT form used by Exchange and this server) is also given as `globcnt`. Throws ProtocolError
 * OC_MAPI_XID_SIZE when XidSize is outside 17..24 or runs past the buffer.
 */
export function decodeSizedXid(buf: Uint8Array, offset = 0): { guid: string; localId: Buffer; globcnt?: number; end: number } {
  const size = buf[offset];
  if (size === undefined || size < 17 || size > 24 || offset + 1 + size > buf.length) {
    throw new ProtocolError('OC_MAPI_XID_SIZE', `bad SizedXid at offset ${offset} (XidSize ${size ?? 'missing'})`);
  }
  const localId = Buffer.from(buf.subarray(offset + 17, offset + 1 + size));
  const out: { guid: string; localId: Buffer; globcnt?: number; end: number } = { guid: readGuid(buf, offset + 1), localId, end: offset + 1 + size };
  if (localId.length === 6) out.globcnt = localId.readUIntBE(0, 6);
  return out;
}

/** The GLOBCNT of a 22-byte XID (GUID + 6-byte LocalId), e.g. a PidTagSourceKey or PidTagChangeKey value. */
export function xidGlobcnt(xid: Uint8Array): { guid: string; globcnt: number } {
  if (xid.length !== 22) throw new ProtocolError('OC_MAPI_XID_SIZE', `a GLOBCNT XID has 22 bytes, not ${xid.length}`);
  return { guid: readGuid(xid, 0), globcnt: Buffer.from(xid.buffer, xid.byteOffset + 16, 6).readUIntBE(0, 6) };
}
