// MS-OXCDATA 2.2.4 Exchange store entry IDs: 2.2.4.1 Folder EntryID (46 bytes), 2.2.4.2 Message EntryID (70 bytes),
// 2.2.4.3 Store Object EntryID (the wrapped form Outlook keeps in PidTagStoreEntryId). GUIDs are in the program's
// text form; GlobalCounters are 48-bit bigints (written big-endian, see ids.ts).
import { globcntBytes, globcntFromBytes } from './ids.js';
import { ProtocolError } from '../util/errors.js';
import { readGuid, writeGuid } from '../util/guid.js';

/** A byte string that is not the entry ID it should be (callers answer ecInvalidEntryId). */
export class EntryIdError extends ProtocolError {}

// MS-OXCDATA 2.2.4.1 / 2.2.4.2 FolderType / MessageType values
export const EIT = {
  eitLTPrivateFolder: 0x0001,
  eitLTPublicFolder: 0x0003,
  eitLTWackyFolder: 0x0005,
  eitLTPrivateMessage: 0x0007,
  eitLTPublicMessage: 0x0009,
  eitLTWackyMessage: 0x000b,
  eitLTPublicFolderByName: 0x000c,
} as const;

/** MS-OXCDATA 2.2.4.3: ProviderUID of a store object entry ID (muidStoreWrap). */
export const MUID_STORE_WRAP = '10bba138-e505-1a10-a1bb-08002b2a56c2';
/** WrappedProviderUID of a private mailbox (g_muidStorePrivate). */
export const MUID_STORE_PRIVATE = '20fa551b-66aa-cd11-9bc8-00aa002fc45a';
/** WrappedProviderUID of public folders (g_muidStorePublic). */
export const MUID_STORE_PUBLIC = '1002831c-66aa-cd11-9bc8-00aa002fc45a';
/** ProviderUID of public-folder entry IDs (pbLongTermNonPrivateGuid). */
export const LONG_TERM_NON_PRIVATE_GUID = '9073441a-66aa-cd11-9bc8-00aa002fc45a';

// MS-OXCDATA 2.2.4.3 WrappedType values
export const WRAPPED_TYPE_PRIVATE = 0x0000000c;
export const WRAPPED_TYPE_PUBLIC = 0x00000006;

export const FOLDER_ENTRYID_SIZE = 46;
export const MESSAGE_ENTRYID_SIZE = 70;

export interface FolderEntryId {
  flags: number;
  providerUid: string;
  folderType: number;
  databaseGuid: string;
  globcnt: bigint;
}

export interface MessageEntryId {
  flags: number;
  providerUid: string;
  messageType: number;
  folderDatabaseGuid: string;
  folderGlobcnt: bigint;
  messageDatabaseGuid: string;
  messageGlobcnt: bigint;
}

export function encodeFolderEntryId(e: FolderEntryId): Buffer {
  const b = Buffer.alloc(FOLDER_ENTRYID_SIZE);
  b.writeUInt32LE(e.flags >>> 0, 0);
  writeGuid(e.providerUid, b, 4);
  b.writeUInt16LE(e.folderType, 20);
  writeGuid(e.databaseGuid, b, 22);
  globcntBytes(e.globcnt).copy(b, 38);
  return b; // Pad (2) at 44 stays 0
}

export function decodeFolderEntryId(b: Uint8Array): FolderEntryId {
  if (b.length !== FOLDER_ENTRYID_SIZE) throw new EntryIdError('OC_MAPI_ENTRYID', `a folder entry ID has 46 bytes, not ${b.length}`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const folderType = buf.readUInt16LE(20);
  if (folderType !== EIT.eitLTPrivateFolder && folderType !== EIT.eitLTPublicFolder && folderType !== EIT.eitLTWackyFolder) {
    throw new EntryIdError('OC_MAPI_ENTRYID', `not a folder entry ID type: 0x${folderType.toString(16)}`);
  }
  return {
    flags: buf.readUInt32LE(0),
    providerUid: readGuid(buf, 4),
    folderType,
    databaseGuid: readGuid(buf, 22),
    globcnt: globcntFromBytes(buf, 38),
  };
}

export function encodeMessageEntryId(e: MessageEntryId): Buffer {
  const b = Buffer.alloc(MESSAGE_ENTRYID_SIZE);
  b.writeUInt32LE(e.flags >>> 0, 0);
  writeGuid(e.providerUid, b, 4);
  b.writeUInt16LE(e.messageType, 20);
  writeGuid(e.folderDatabaseGuid, b, 22);
  globcntBytes(e.folderGlobcnt).copy(b, 38);
  writeGuid(e.messageDatabaseGuid, b, 46);
  globcntBytes(e.messageGlobcnt).copy(b, 62);
  return b;
}

export function decodeMessageEntryId(b: Uint8Array): MessageEntryId {
  if (b.length !== MESSAGE_ENTRYID_SIZE) throw new EntryIdError('OC_MAPI_ENTRYID', `a message entry ID has 70 bytes, not ${b.length}`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const messageType = buf.readUInt16LE(20);
  if (messageType !== EIT.eitLTPrivateMessage && messageType !== EIT.eitLTPublicMessage && messageType !== EIT.eitLTWackyMessage) {
    throw new EntryIdError('OC_MAPI_ENTRYID', `not a message entry ID type: 0x${messageType.toString(16)}`);
  }
  return {
    flags: buf.readUInt32LE(0),
    providerUid: readGuid(buf, 4),
    messageType,
    folderDatabaseGuid: readGuid(buf, 22),
    folderGlobcnt: globcntFromBytes(buf, 38),
    messageDatabaseGuid: readGuid(buf, 46),
    messageGlobcnt: globcntFromBytes(buf, 62),
  };
}

/** A private-mailbox folder entry ID (provider UID = mailbox GUID). */
export function privateFolderEntryId(mailboxGuid: string, replGuid: string, globcnt: bigint): Buffer {
  return encodeFolderEntryId({ flags: 0, providerUid: mailboxGuid, folderType: EIT.eitLTPrivateFolder, databaseGuid: replGuid, globcnt });
}

export function privateMessageEntryId(mailboxGuid: string, replGuid: string, folderGlobcnt: bigint, messageGlobcnt: bigint): Buffer {
  return encodeMessageEntryId({
    flags: 0,
    providerUid: mailboxGuid,
    messageType: EIT.eitLTPrivateMessage,
    folderDatabaseGuid: replGuid,
    folderGlobcnt,
    messageDatabaseGuid: replGuid,
    messageGlobcnt,
  });
}

// ---- MS-OXCDATA 2.2.4.3 Store Object EntryID ----------------------------------------------------------------------

export interface StoreEntryId {
  flags: number;
  /** MUID_STORE_PRIVATE or MUID_STORE_PUBLIC. */
  wrappedProviderUid: string;
  wrappedType: number;
  serverShortname: string;
  /** The mailbox's legacyExchangeDN (private stores only). */
  mailboxDn?: string;
}

const DLL_NAME = 'emsmdb.dll';
const DLL_FIELD = 14;

function cstr(buf: Buffer, at: number, what: string): [string, number] {
  const end = buf.indexOf(0, at);
  if (end < 0) throw new EntryIdError('OC_MAPI_ENTRYID', `unterminated ${what} in a store entry ID`);
  return [buf.toString('latin1', at, end), end + 1];
}

export function encodeStoreEntryId(e: StoreEntryId): Buffer {
  const head = Buffer.alloc(4 + 16 + 1 + 1 + DLL_FIELD + 4 + 16 + 4);
  head.writeUInt32LE(e.flags >>> 0, 0);
  writeGuid(MUID_STORE_WRAP, head, 4);
  // Version 0, Flag 0 at 20-21
  head.write(DLL_NAME, 22, 'latin1');
  head.writeUInt32LE(0, 36); // WrappedFlags
  writeGuid(e.wrappedProviderUid, head, 40);
  head.writeUInt32LE(e.wrappedType >>> 0, 56);
  const parts = [head, Buffer.from(`${e.serverShortname}\0`, 'latin1')];
  if (e.mailboxDn !== undefined) parts.push(Buffer.from(`${e.mailboxDn}\0`, 'latin1'));
  return Buffer.concat(parts);
}

export function decodeStoreEntryId(b: Uint8Array): StoreEntryId {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length < 61) throw new EntryIdError('OC_MAPI_ENTRYID', `a store entry ID has at least 61 bytes, not ${buf.length}`);
  if (readGuid(buf, 4) !== MUID_STORE_WRAP) throw new EntryIdError('OC_MAPI_ENTRYID', 'not a wrapped store entry ID');
  const dll = buf.toString('latin1', 22, 22 + DLL_FIELD).replace(/\0+$/, '');
  if (dll.toLowerCase() !== DLL_NAME) throw new EntryIdError('OC_MAPI_ENTRYID', `store entry ID for ${dll}`);
  const wrappedProviderUid = readGuid(buf, 40);
  const wrappedType = buf.readUInt32LE(56);
  const [serverShortname, next] = cstr(buf, 60, 'ServerShortname');
  const out: StoreEntryId = { flags: buf.readUInt32LE(0), wrappedProviderUid, wrappedType, serverShortname };
  if (next < buf.length && wrappedProviderUid === MUID_STORE_PRIVATE) out.mailboxDn = cstr(buf, next, 'MailboxDN')[0];
  return out;
}

// MS-OXCDATA 2.2.5.2 Address Book EntryID: Flags (4, 0), ProviderUID (16) = the NSPI provider's
// DCA740C8-C042-101A-B4B9-08002B2FE182, Version (4, 1), Type (4: the object's display type, 0 DT_MAILUSER), X500DN
// (NUL-terminated 7-bit). The same bytes as MS-OXNSPI's PermanentEntryID.
export const MUID_ADDRESS_BOOK = 'c840a7dc-42c0-1a10-b4b9-08002b2fe182';

export function addressBookEntryId(x500Dn: string, type = 0): Buffer {
  // eslint-disable-next-line no-control-regex
  if (x500Dn.length === 0 || /[^\x01-\x7f]/.test(x500Dn)) throw new EntryIdError('OC_ENTRYID_DN', 'an X500 DN in an entry ID must be non-empty 7-bit text');
  const b = Buffer.alloc(28 + x500Dn.length + 1);
  writeGuid(MUID_ADDRESS_BOOK, b, 4);
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(type >>> 0, 24);
  b.write(x500Dn, 28, 'latin1');
  return b;
}
