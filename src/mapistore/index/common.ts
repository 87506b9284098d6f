// Rules shared by the index providers.
import { createHash } from 'node:crypto';
import { PS_MAPI, propertyNameKey, type PropertyName } from '../../mapi/named.js';
import { StoreError, SEC } from '../errors.js';
import { NAMED_ID_MAX, type ImapFolderRow, type ImapMessageRow } from './types.js';

/** MS-OXCPRPT 3.2.5.8/9: a PS_MAPI name with a LID is the tagged property of that id; no mapping is stored. */
export function fixedIdOf(n: PropertyName): number | null {
  return n.guid.toLowerCase() === PS_MAPI && n.lid !== undefined && n.lid > 0 && n.lid < 0x8000 ? n.lid : null;
}

/** 40-hex key under which a name is unique per mailbox (names may be long; the key fits an index). */
export function nameHash(n: PropertyName): string {
  return createHash('sha1').update(propertyNameKey(n)).digest('hex');
}

export function checkName(n: PropertyName): void {
  if ((n.lid === undefined) === (n.name === undefined)) {
    throw new StoreError('OC_STORE_BAD_NAME', SEC.InvalidParam, 'a PropertyName has exactly one of lid / name');
  }
}

export function namedFull(): StoreError {
  return new StoreError('OC_STORE_NAMED_FULL', SEC.Error, `no named-property ids left (max 0x${NAMED_ID_MAX.toString(16)})`);
}

export function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 1 << 30) {
    throw new StoreError('OC_STORE_BAD_COUNT', SEC.InvalidParam, `cannot allocate ${count} ids`);
  }
}

/** Throws when a range [first, first+count) would leave the 48-bit GLOBCNT space (MS-OXCDATA 2.2.1.1). */
export function checkRange(first: bigint, count: number): bigint {
  if (first + BigInt(count) - 1n > (1n << 48n) - 1n) {
    throw new StoreError('OC_STORE_IDS_EXHAUSTED', SEC.Error, 'the 48-bit ID counter of this mailbox is exhausted');
  }
  return first;
}

export const rowName = (guid: string, kind: number, lid: number | null, name: string | null): PropertyName =>
  kind === 0 ? { guid, lid: lid ?? 0 } : { guid, name: name ?? '' };

const big = (v: unknown): bigint => BigInt(typeof v === 'bigint' ? v : String(v));

/** An imap_folders row as both providers return it (BIGINT columns as bigint, number or string). */
export const imapFolderFromRow = (r: Record<string, unknown>): ImapFolderRow => ({
  folderGlobcnt: big(r.folder_globcnt),
  imapName: r.imap_name as string,
  uidvalidity: Number(r.uidvalidity),
  uidnext: Number(r.uidnext),
  highestModseq: big(r.highest_modseq),
  lastSyncCn: big(r.last_sync_cn),
  syncState: (r.sync_state as string | null) ?? null,
});

/** An imap_messages row as both providers return it. */
export const imapMessageFromRow = (r: Record<string, unknown>): ImapMessageRow => ({
  folderGlobcnt: big(r.folder_globcnt),
  uidvalidity: Number(r.uidvalidity),
  uid: Number(r.uid),
  globcnt: big(r.globcnt),
  modseq: big(r.modseq),
  cn: big(r.cn),
  readCn: big(r.read_cn),
  flags: Number(r.flags),
  size: Number(r.size),
});
