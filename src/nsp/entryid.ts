// MS-OXNSPI 2.2.9 address book entry IDs (the PidTagEntryId values of NSPI objects): hand-written codecs with
// bounded decoders. Minimal Entry IDs (2.2.9.1) are plain DWORDs and need none.
import { ProtocolError } from '../util/errors.js';
import { readGuid, writeGuid } from '../util/guid.js';

// MS-OXNSPI 2.2.1.7 Permanent Entry ID GUID
export const GUID_NSPI = 'c840a7dc-42c0-1a10-b4b9-08002b2fe182';

/** ID Type of an Ephemeral Entry ID (MS-OXNSPI 2.2.9.2). */
export const ENTRYID_TYPE_EPHEMERAL = 0x87;
/** ID Type of a Permanent Entry ID (MS-OXNSPI 2.2.9.3). */
export const ENTRYID_TYPE_PERMANENT = 0x00;
/** Longest DN a Permanent Entry ID may carry here (bytes, without the terminator). */
export const MAX_ENTRYID_DN = 4096;

const HEADER = 28; // ID Type, R1-R3, ProviderUID, R4, Display Type

// MS-OXNSPI 2.2.9.2 EphemeralEntryID
export interface EphemeralEntryID {
  type: 'ephemeral';
  /** The GUID of the server that issued it (NspiBind's server GUID). */
  providerUid: string;
  displayType: number;
  mid: number;
}

// MS-OXNSPI 2.2.9.3 PermanentEntryID
export interface PermanentEntryID {
  type: 'permanent';
  displayType: number;
  /** The object's DN (its PidTagEmailAddress / legacyExchangeDN). */
  dn: string;
}

export type AddressBookEntryID = EphemeralEntryID | PermanentEntryID;

function badEntryId(message: string): ProtocolError {
  return new ProtocolError('OC_NSPI_BAD_ENTRYID', message);
}

function header(out: Buffer, idType: number, provider: string, displayType: number): void {
  out[0] = idType; // R1, R2, R3 stay 0
  writeGuid(provider, out, 4);
  out.writeUInt32LE(1, 20); // R4: MUST be 0x00000001
  out.writeUInt32LE(displayType >>> 0, 24);
}

/** The 32 bytes of an Ephemeral Entry ID. */
export function encodeEphemeralEntryId(e: { providerUid: string; displayType: number; mid: number }): Buffer {
  const out = Buffer.alloc(32);
  header(out, ENTRYID_TYPE_EPHEMERAL, e.providerUid, e.displayType);
  out.writeUInt32LE(e.mid >>> 0, 28);
  return out;
}

/** A Permanent Entry ID: the header with GUID_NSPI, then the DN as a NUL-terminated 8-bit string. */
export function encodePermanentEntryId(e: { displayType: number; dn: string }): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/[^\x01-\x7f]/.test(e.dn)) throw new ProtocolError('OC_NSPI_BAD_DN', 'a DN in an entry ID must be non-empty 7-bit text without NUL');
  if (e.dn.length === 0 || e.dn.length > MAX_ENTRYID_DN) throw new ProtocolError('OC_NSPI_BAD_DN', `DN of ${e.dn.length} characters`);
  const out = Buffer.alloc(HEADER + e.dn.length + 1);
  header(out, ENTRYID_TYPE_PERMANENT, GUID_NSPI, e.displayType);
  out.write(e.dn, HEADER, 'latin1');
  return out;
}

/**
 * Decodes either kind; throws ProtocolError OC_NSPI_BAD_ENTRYID for anything else: too short, another ID type, a
 * Permanent Entry ID whose ProviderUID is not GUID_NSPI or whose DN is missing its terminator, empty or longer
 * than MAX_ENTRYID_DN. Bytes after an Ephemeral Entry ID's MId or a DN's terminator are ignored.
 */
export function decodeEntryId(b: Uint8Array): AddressBookEntryID {
  if (b.length < HEADER + 1) throw badEntryId(`entry ID of ${b.length} bytes`);
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const idType = buf[0] as number;
  const providerUid = readGuid(buf, 4);
  const displayType = buf.readUInt32LE(24);
  if (idType === ENTRYID_TYPE_EPHEMERAL) {
    if (buf.length < 32) throw badEntryId(`Ephemeral Entry ID of ${buf.length} bytes`);
    return { type: 'ephemeral', providerUid, displayType, mid: buf.readUInt32LE(28) };
  }
  if (idType !== ENTRYID_TYPE_PERMANENT) throw badEntryId(`entry ID type 0x${idType.toString(16)}`);
  if (providerUid !== GUID_NSPI) throw badEntryId(`Permanent Entry ID of provider ${providerUid}`);
  const limit = Math.min(buf.length, HEADER + MAX_ENTRYID_DN + 1);
  const rel = buf.subarray(HEADER, limit).indexOf(0);
  const nul = rel < 0 ? -1 : HEADER + rel;
  if (nul < 0) throw badEntryId('Permanent Entry ID without a terminated DN (or one too long)');
  if (nul === HEADER) throw badEntryId('Permanent Entry ID with an empty DN');
  return { type: 'permanent', displayType, dn: buf.toString('latin1', HEADER, nul) };
}

/** True when `b` looks like an NSPI entry ID (first byte and length), without validating it. */
export function isAddressBookEntryId(b: Uint8Array): boolean {
  return b.length >= HEADER + 1 && (b[0] === ENTRYID_TYPE_EPHEMERAL || b[0] === ENTRYID_TYPE_PERMANENT);
}
