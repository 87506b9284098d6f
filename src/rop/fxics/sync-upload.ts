// MS-OXCFXICS 2.2.3.2.4 / 3.2.5.9.4 the ICS synchronization upload context (RopSynchronizationOpenCollector: the
// 'icsUpload' server object) and the rules the RopSynchronizationImport* handlers (handlers/oxcfxics-upload.ts) share:
// the fixed-position property lists of the requests, conflict detection by PCL (3.1.5.6.1) and the last writer wins
// algorithm (3.1.5.6.2.2).
//
// Choices where the spec leaves room:
// - the collector keeps an ICS state (sync-state.ts IcsStateHolder, uploaded with RopSynchronizationUploadStateStream*
//   and read back with RopSynchronizationGetTransferState): every change it imports adds its new CN to CnsetSeen
//   (CnsetSeenFAI for FAI messages) and its id to IdsetGiven, every read state its CN to CnsetRead, every delete takes
//   the id out of IdsetGiven, so a download started from that state does not send the client's own changes back
//   (3.2.5.9.4.2-6). A conflict the server resolves (a conflict resolve message, or a server version that won) is not
//   added: the client has to download the result;
// - IdsetGiven and the CNSETs hold server ids and CNs (REPLGUID form with the mailbox's replica GUID).
import { decodePcl, pclIncludes } from '../../mapistore/pcl.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import { eidGlobcnt } from '../../mapi/ids.js';
import type { PropValue, TaggedValue } from '../../mapi/props.js';
import { cnsetAdd } from '../../mapi/idset.js';
import type { ServerObject } from '../types.js';
import type { LogonObject } from '../handlers/objects.js';
import { IcsStateHolder } from './sync-state.js';

// MS-OXPROPS tags of the fixed-position lists (MS-OXCFXICS 2.2.3.2.4.2.1, 2.2.3.2.4.3.1)
export const PidTagSourceKey = 0x65e00102;
export const PidTagParentSourceKey = 0x65e10102;
export const PidTagChangeKey = 0x65e20102;
export const PidTagPredecessorChangeList = 0x65e30102;
export const PidTagLastModificationTime = 0x30080040;
export const PidTagDisplayNameW = 0x3001001f;
export const PidTagDisplayNameA = 0x3001001e;

/** MS-OXCFXICS 2.2.3.2.4.2.1 ImportFlag. */
export const IMPORT_FLAG = { Associated: 0x10, FailOnConflict: 0x40 } as const;
/** MS-OXCFXICS 2.2.3.2.4.5.1 ImportDeleteFlags. */
export const IMPORT_DELETE_FLAG = { Hierarchy: 0x01, HardDelete: 0x02 } as const;

/** The client's view of one version (the fixed-position values of an import). */
export interface ImportedVersion {
  sourceKey: Buffer;
  lastModified: bigint;
  changeKey: Buffer;
  pcl: Buffer;
}

/** An import request that breaks the spec's rules: answered with `ec` (InvalidParam), nothing stored changes. */
export class ImportFormatError extends StoreError {
  constructor(message: string) {
    super('OC_ICS_BAD_IMPORT', SEC.InvalidParam, message);
  }
}

const isXid = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length >= 17 && b.length <= 24;

function need(values: readonly TaggedValue[], i: number, tags: readonly number[], what: string): PropValue {
  const v = values[i];
  if (!v || !tags.includes(v.tag >>> 0)) throw new ImportFormatError(`${what} missing at position ${i}`);
  return v.value;
}

/** Checks the SourceKey, LastModificationTime, ChangeKey and PCL values at `at`.. (fixed positions). */
function versionAt(values: readonly TaggedValue[], at: number): ImportedVersion {
  const sourceKey = need(values, at, [PidTagSourceKey], 'PidTagSourceKey');
  const lastModified = need(values, at + 1, [PidTagLastModificationTime], 'PidTagLastModificationTime');
  const changeKey = need(values, at + 2, [PidTagChangeKey], 'PidTagChangeKey');
  const pcl = need(values, at + 3, [PidTagPredecessorChangeList], 'PidTagPredecessorChangeList');
  if (!isXid(sourceKey)) throw new ImportFormatError('PidTagSourceKey is not an XID');
  if (!isXid(changeKey)) throw new ImportFormatError('PidTagChangeKey is not an XID');
  if (typeof lastModified !== 'bigint') throw new ImportFormatError('PidTagLastModificationTime is not a time');
  if (!Buffer.isBuffer(pcl)) throw new ImportFormatError('PidTagPredecessorChangeList is not binary');
  try {
    decodePcl(pcl);
  } catch {
    throw new ImportFormatError('PidTagPredecessorChangeList does not parse');
  }
  return { sourceKey, lastModified, changeKey, pcl };
}

/**
 * MS-OXCFXICS 2.2.3.2.4.2.1 PropertyValues of RopSynchronizationImportMessageChange: PidTagSourceKey,
 * PidTagLastModificationTime, PidTagChangeKey, PidTagPredecessorChangeList at fixed positions 0..3 (more may follow:
 * they are ignored, the message's content comes with the ROPs on the returned object).
 */
export function parseMessageChange(values: readonly TaggedValue[]): ImportedVersion {
  return versionAt(values, 0);
}

/**
 * MS-OXCFXICS 2.2.3.2.4.3.1 HierarchyValues of RopSynchronizationImportHierarchyChange: PidTagParentSourceKey
 * (empty: the collector's folder), PidTagSourceKey, PidTagLastModificationTime, PidTagChangeKey,
 * PidTagPredecessorChangeList, PidTagDisplayName at fixed positions 0..5.
 */
export function parseHierarchyChange(values: readonly TaggedValue[]): ImportedVersion & { parentSourceKey: Buffer; displayName: string } {
  const parent = need(values, 0, [PidTagParentSourceKey], 'PidTagParentSourceKey');
  if (!Buffer.isBuffer(parent) || (parent.length !== 0 && !isXid(parent))) throw new ImportFormatError('PidTagParentSourceKey is not empty or an XID');
  const v = versionAt(values, 1);
  const name = need(values, 5, [PidTagDisplayNameW, PidTagDisplayNameA], 'PidTagDisplayName');
  if (typeof name !== 'string' || name === '') throw new ImportFormatError('PidTagDisplayName is empty');
  return { ...v, parentSourceKey: parent, displayName: name };
}

/** MS-OXCFXICS 3.1.5.6.1: how the client's version relates to the server's. */
export type PclVerdict = 'serverNewer' | 'clientNewer' | 'conflict';

/**
 * Conflict detection (MS-OXCFXICS 3.1.5.6.1) for a change sent from the client to the server: the server's PCL
 * includes the client's (equal included) -> the server has it already; the client's includes the server's -> the
 * client's is newer; neither -> conflict.
 */
export function comparePcl(server: Uint8Array, client: Uint8Array): PclVerdict {
  if (pclIncludes(server, client)) return 'serverNewer';
  if (pclIncludes(client, server)) return 'clientNewer';
  return 'conflict';
}

/**
 * MS-OXCFXICS 3.1.5.6.2.2 last writer wins: the later PidTagLastModificationTime; on a tie, for messages the larger
 * NamespaceGuid of the change keys (byte by byte), the imported one when equal; for folders the server's.
 */
export function lastWriterWins(
  server: { lastModified: bigint; changeKey: Uint8Array },
  client: { lastModified: bigint; changeKey: Uint8Array },
  kind: 'folder' | 'message',
): 'server' | 'client' {
  if (client.lastModified > server.lastModified) return 'client';
  if (client.lastModified < server.lastModified) return 'server';
  if (kind === 'folder') return 'server';
  const c = Buffer.compare(Buffer.from(client.changeKey.subarray(0, 16)), Buffer.from(server.changeKey.subarray(0, 16)));
  return c < 0 ? 'server' : 'client';
}

/** MS-OXCFXICS 2.2.3.2.4.1 the synchronization upload context of RopSynchronizationOpenCollector. */
export class IcsUploadObject implements ServerObject {
  readonly kind = 'icsUpload' as const;
  /** The ICS state (uploaded by the client, updated by every import): see the header comment. */
  readonly holder: IcsStateHolder;

  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly logon: LogonObject,
    /** The folder the collector was opened on. */
    readonly fid: bigint,
    /** IsContentsCollector: messages (true) or the folder hierarchy below `fid` (false). */
    readonly contents: boolean,
  ) {
    this.holder = new IcsStateHolder(logon.store.replGuid);
  }

  /** 'contents' or 'hierarchy' (the kind of the `state` element RopSynchronizationGetTransferState returns). */
  get syncKind(): 'contents' | 'hierarchy' {
    return this.contents ? 'contents' : 'hierarchy';
  }

  private get guid(): string {
    return this.logon.store.replGuid.toLowerCase();
  }

  /** An imported change the client has: its CN seen, its id given. */
  noteChange(id: bigint, cn: bigint, associated: boolean): void {
    const s = this.holder.state;
    if (associated) s.cnsetSeenFAI = cnsetAdd(s.cnsetSeenFAI, cn, this.guid);
    else s.cnsetSeen = cnsetAdd(s.cnsetSeen, cn, this.guid);
    s.idsetGiven = s.idsetGiven.addGlobcnt(this.guid, Number(eidGlobcnt(id)));
  }

  /** Imported read states: their CN. */
  noteRead(cn: bigint): void {
    this.holder.state.cnsetRead = cnsetAdd(this.holder.state.cnsetRead, cn, this.guid);
  }

  /** Imported deletes: the client does not have these ids any more. */
  noteDeleted(ids: readonly bigint[]): void {
    const g = this.holder.state.idsetGiven.get(this.guid);
    if (!g) return;
    for (const id of ids) g.remove(Number(eidGlobcnt(id)));
  }
}
