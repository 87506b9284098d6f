// MS-OXCFXICS 3.2.5.8 FastTransfer copy ROPs: the download contexts of RopFastTransferSourceCopyTo,
// RopFastTransferSourceCopyProperties, RopFastTransferSourceCopyMessages and RopFastTransferSourceCopyFolder
// (server objects of kind 'fxSource' holding a lazy FxStreamProducer over the content producers of
// fxics/content.ts), RopFastTransferSourceGetBuffer (on those and on any object implementing FxSourceLike, such as
// the ICS download contexts), the upload contexts of RopFastTransferDestinationConfigure with
// RopFastTransferDestinationPutBuffer / PutBufferExtended (fxics/content-apply.ts), and RopTellVersion.
//
// Choices where the spec leaves room:
// - CopyFlags / SendOptions bits the spec does not define are ecInvalidParam (3.2.5.8.1.1: servers SHOULD fail the
//   ROP); Move is accepted (3.2.5.8.1.1 MAY) and produces the same stream: the client deletes the sources itself.
//   BestBody: bodies go out as stored (no RTF is made up), with or without the flag. PartialItem and RecoverMode are
//   accepted; a message that disappears while the stream is produced is skipped.
// - SendOptions -> strings: Unicode or ForceUnicode -> PtypString; UseCpid alone -> CodePageString in the logon's
//   code page; ForUpload (Unicode|UseCpid) -> each string in its stored width; none -> PtypString8 in the logon's
//   code page. Bodies the store keeps as blobs stream as PtypString except in the PtypString8 mode (content.ts).
// - A download context that fails for a reason without an ec (not a StoreError) answers ecError with TransferStatus
//   Error (the failure is logged once).
// - RopFastTransferSourceGetBuffer: BufferSize 0xBABE fills up to min(MaximumBufferSize, the room left in the ROP
//   output buffer); any other BufferSize is clamped to that room as well (a short buffer with TransferStatus Partial
//   is always valid, and no produced byte is lost to a RopBufferTooSmall). A producer failure answers TransferStatus
//   Error with the failure's ec as ReturnValue (ecError when it has none); the context then stays in Error.
// - The download context of a message or attachment reads the object's working copy (it is its child: releasing
//   the object releases the context); a folder's context belongs to the logon and reads the stored folder.
// - RopFastTransferDestinationPutBuffer: a lexically malformed stream is ecRpcFormat, markers out of order
//   (MS-OXCFXICS 2.2.4.3 grammar) are ecInvalidParam, a store failure its own ec; after a failure every further
//   PutBuffer on the context answers the same ec, and the staged item is dropped (nothing half-written, see
//   content-apply.ts). BufferUsedSize is the whole TransferData on success, 0 on failure. TransferStatus is Done
//   once a topFolder has ended, else Partial.
// - RopTellVersion is accepted on download and upload contexts and recorded; it changes nothing here.
import { CP_DEFAULT } from '../../mapi/codepage.js';
import { StoreError } from '../../mapistore/errors.js';
import { ProtocolError } from '../../util/errors.js';
import type { MailboxStore } from '../../mapistore/types.js';
import {
  attachmentContent, folderContent, messageContent, messageList, newStats, propFilter, topFolder,
  type ContentOptions, type ContentStats, type PropFilter,
} from '../fxics/content.js';
import { FxContentApplier, type DestinationRoot, type DestinationTarget } from '../fxics/content-apply.js';
import { FxStreamParser } from '../fxics/parser.js';
import { FxStreamError, type FxStringMode } from '../fxics/props.js';
import { isFxSourceLike, producerSource, TRANSFER_STATUS, type FxSourceBuffer, type FxSourceLike } from '../fxics/source.js';
import { effectiveBufferSize, FxStreamProducer, type FxSourceYield } from '../fxics/writer.js';
import { ec } from '../ec.js';
import type { ObjectKind, RopContext, RopHandlerEntry, RopRequestHeader, RopResult, ServerObject } from '../types.js';
import {
  AttachmentServerObject, checkedLogon, FolderObject, folderRights, guard, LogonObject, MessageServerObject, RIGHTS,
  type MailboxHandlerDeps,
} from './objects.js';

// MS-OXCROPS 2.2.12 RopIds
export const FXCOPY_ROP = {
  RopFastTransferSourceCopyMessages: 0x4b,
  RopFastTransferSourceCopyFolder: 0x4c,
  RopFastTransferSourceCopyTo: 0x4d,
  RopFastTransferSourceGetBuffer: 0x4e,
  RopFastTransferDestinationConfigure: 0x53,
  RopFastTransferDestinationPutBuffer: 0x54,
  RopFastTransferSourceCopyProperties: 0x69,
  RopTellVersion: 0x86,
  RopFastTransferDestinationPutBufferExtended: 0x9d,
} as const;

/** MS-OXCFXICS 2.2.3.1.1.1.1 CopyFlags of RopFastTransferSourceCopyTo (Unused bits listed so they are accepted). */
export const COPYTO_FLAGS = { Move: 0x00000001, Unused1: 0x00000002, Unused2: 0x00000004, Unused3: 0x00000200, Unused4: 0x00000400, Unused5: 0x00000800, BestBody: 0x00002000 } as const;
/** MS-OXCFXICS 2.2.3.1.1.2.1 CopyFlags of RopFastTransferSourceCopyProperties. */
export const COPYPROPS_FLAGS = { Move: 0x01, Unused1: 0x02, Unused2: 0x04 } as const;
/** MS-OXCFXICS 2.2.3.1.1.3.1 CopyFlags of RopFastTransferSourceCopyMessages. */
export const COPYMSGS_FLAGS = { Move: 0x01, Unused1: 0x02, Unused2: 0x04, Unused3: 0x08, BestBody: 0x10, SendEntryId: 0x20 } as const;
/** MS-OXCFXICS 2.2.3.1.1.4.1 CopyFlags of RopFastTransferSourceCopyFolder. */
export const COPYFOLDER_FLAGS = { Move: 0x01, Unused1: 0x02, Unused2: 0x04, Unused3: 0x08, CopySubfolders: 0x10 } as const;
/** MS-OXCFXICS 2.2.3.1.1.1.2 SendOptions. */
export const SEND_OPTIONS = { Unicode: 0x01, UseCpid: 0x02, ForUpload: 0x03, RecoverMode: 0x04, ForceUnicode: 0x08, PartialItem: 0x10 } as const;
/** MS-OXCFXICS 2.2.3.1.2.1.1 SourceOperation of RopFastTransferDestinationConfigure. */
export const SOURCE_OPERATION = { CopyTo: 0x01, CopyProperties: 0x02, CopyMessages: 0x03, CopyFolder: 0x04 } as const;
/** MS-OXCFXICS 2.2.3.1.2.1.1 CopyFlags of RopFastTransferDestinationConfigure. */
export const DEST_COPY_FLAGS = { Move: 0x01 } as const;

const mask = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a | b, 0);
const SEND_OPTIONS_KNOWN = mask(SEND_OPTIONS);

/** RopFastTransferSourceGetBuffer response bytes before TransferBuffer: RopId, HandleIndex, ReturnValue, status fields, size. */
export const GET_BUFFER_HEAD = 1 + 1 + 4 + 2 + 2 + 2 + 1 + 2;

/** The string mode of SendOptions (see the header comment). */
export function stringMode(sendOptions: number): FxStringMode {
  if (sendOptions & SEND_OPTIONS.ForceUnicode) return 'unicode';
  const u = (sendOptions & SEND_OPTIONS.Unicode) !== 0;
  const c = (sendOptions & SEND_OPTIONS.UseCpid) !== 0;
  if (u && c) return 'keep';
  if (u) return 'unicode';
  if (c) return 'cpid';
  return 'string8';
}

/** A FastTransfer download context of a copy ROP. */
export class FxSourceObject implements ServerObject, FxSourceLike {
  readonly kind = 'fxSource' as const;
  readonly producer: FxStreamProducer;
  readonly next: FxSourceLike['nextBuffer'];
  /** RopTellVersion's Version, when the client sent one. */
  version: number[] | null = null;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    source: AsyncIterable<FxSourceYield>,
    strings: FxStringMode,
    codePage: number,
    names: MailboxStore,
    /** What the content producers measured (tests, logs). */
    readonly stats: ContentStats,
    readAhead = 0,
  ) {
    this.producer = new FxStreamProducer(source, { strings, codePage, names, readAhead });
    this.next = producerSource(this.producer);
  }

  peekProducer(): FxStreamProducer {
    return this.producer;
  }

  nextBuffer(max: number): Promise<FxSourceBuffer> {
    return this.next(max);
  }
  dispose(): void {
    this.producer.close().catch(() => {});
  }
}

/** A FastTransfer upload context (RopFastTransferDestinationConfigure). */
export class FxDestinationObject implements ServerObject {
  readonly kind = 'fxDestination' as const;
  readonly parser: FxStreamParser;
  /** The ec every further PutBuffer answers after a failure. */
  failedEc: number | null = null;
  version: number[] | null = null;
  constructor(
    readonly logonId: number,
    public parent: ServerObject | null,
    readonly applier: FxContentApplier,
    codePage: number,
    maxValueSize: number,
  ) {
    this.parser = new FxStreamParser({ codePage, maxValueSize });
  }
  dispose(): void {
    // released with an element unfinished: the staged item is dropped (nothing half-written)
    this.applier.abort().catch(() => {});
  }
}

type CopyToReq = RopRequestHeader & { Level: number; CopyFlags: number; SendOptions: number; PropertyTags: number[] };
type CopyMessagesReq = RopRequestHeader & { MessageIds: bigint[]; CopyFlags: number; SendOptions: number };
type CopyFolderReq = RopRequestHeader & { CopyFlags: number; SendOptions: number };
type GetBufferReq = RopRequestHeader & { BufferSize: number; MaximumBufferSize?: number };
type ConfigureReq = RopRequestHeader & { SourceOperation: number; CopyFlags: number };
type PutBufferReq = RopRequestHeader & { TransferData: Buffer };
type TellVersionReq = RopRequestHeader & { Version: number[] };

const OBJECT_KINDS: readonly ObjectKind[] = ['folder', 'message', 'embeddedMessage', 'attachment'];
const FOLDER_ONLY: readonly ObjectKind[] = ['folder'];
const SOURCE_KINDS: readonly ObjectKind[] = ['fxSource', 'icsDownload'];
const DEST_KINDS: readonly ObjectKind[] = ['fxDestination'];
const CONTEXT_KINDS: readonly ObjectKind[] = ['fxSource', 'fxDestination', 'icsDownload', 'icsUpload'];

function refuse(ctx: RopContext, code: number, why: string): RopResult {
  ctx.log.info({ ec: code }, why);
  return { ec: code };
}

/** The logon and store of a ROP on folder/message/attachment objects of that logon (else undefined: ecNullObject). */
function inputOf(req: RopRequestHeader, ctx: RopContext): { logon: LogonObject; store: MailboxStore } | undefined {
  const logon = checkedLogon(req, ctx);
  if (!logon) return undefined;
  const o = ctx.input;
  if ((o instanceof FolderObject || o instanceof MessageServerObject || o instanceof AttachmentServerObject) && o.logon === logon) return { logon, store: logon.store };
  return undefined;
}

export function createFxCopyHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();

  /** RopFastTransferSourceCopyTo / CopyProperties: one object, a tag list that excludes or includes. */
  const copyObject = (mode: 'exclude' | 'include', knownFlags: number) => async (req: CopyToReq, ctx: RopContext): Promise<RopResult> =>
    guard(ctx, async () => {
      const io = inputOf(req, ctx);
      if (!io) return { ec: ec.NullObject };
      const o = ctx.input;
      if (req.CopyFlags & ~knownFlags) return refuse(ctx, ec.InvalidParam, `unknown CopyFlags 0x${req.CopyFlags.toString(16)}`);
      if (req.SendOptions & ~SEND_OPTIONS_KNOWN) return refuse(ctx, ec.InvalidParam, `unknown SendOptions 0x${req.SendOptions.toString(16)}`);
      if (req.CopyFlags & COPYTO_FLAGS.Move && o instanceof AttachmentServerObject) return refuse(ctx, ec.InvalidParam, 'Move on an attachment');
      if (o instanceof FolderObject && !((await folderRights(io.logon, o.fid)) & RIGHTS.ReadAny)) return { ec: ec.AccessDenied };
      // Level is ignored on attachments (MS-OXCFXICS 2.2.3.1.1.1.1)
      const sub = req.Level === 0 || o instanceof AttachmentServerObject;
      const f: PropFilter = propFilter(mode, req.PropertyTags ?? [], sub);
      const stats = newStats();
      const co: ContentOptions = { store: io.store, strings: stringMode(req.SendOptions), log: ctx.log, stats };
      let source: AsyncIterable<FxSourceYield>;
      let parent: ServerObject = io.logon;
      if (o instanceof FolderObject) source = folderContent(o.fid, f, { delProps: true, subfolders: true }, co);
      else if (o instanceof MessageServerObject) {
        source = messageContent(o.msg, f, co, true);
        parent = o;
      } else {
        source = attachmentContent((o as AttachmentServerObject).att, f, co, true);
        parent = o;
      }
      return { ec: ec.Success, response: {}, created: new FxSourceObject(req.LogonId, parent, source, co.strings, ctx.codePage || CP_DEFAULT, io.store, stats, deps.fastTransferReadAhead ?? 0) };
    });

  m.set(FXCOPY_ROP.RopFastTransferSourceCopyTo, { inputKinds: OBJECT_KINDS, handle: copyObject('exclude', mask(COPYTO_FLAGS)) });
  m.set(FXCOPY_ROP.RopFastTransferSourceCopyProperties, { inputKinds: OBJECT_KINDS, handle: copyObject('include', mask(COPYPROPS_FLAGS)) });

  m.set(FXCOPY_ROP.RopFastTransferSourceCopyMessages, {
    inputKinds: FOLDER_ONLY,
    handle: (req: CopyMessagesReq, ctx) =>
      guard(ctx, async () => {
        const io = inputOf(req, ctx);
        const f = ctx.input;
        if (!io || !(f instanceof FolderObject)) return { ec: ec.NullObject };
        if (req.CopyFlags & ~mask(COPYMSGS_FLAGS)) return refuse(ctx, ec.InvalidParam, `unknown CopyFlags 0x${req.CopyFlags.toString(16)}`);
        if (req.SendOptions & ~SEND_OPTIONS_KNOWN) return refuse(ctx, ec.InvalidParam, `unknown SendOptions 0x${req.SendOptions.toString(16)}`);
        if (!((await folderRights(io.logon, f.fid)) & RIGHTS.ReadAny)) return { ec: ec.AccessDenied };
        // messages of other folders are left out (as RopMoveCopyMessages skips them)
        const mids: { mid: bigint }[] = [];
        for (const mid of req.MessageIds ?? []) {
          if ((await io.store.folderOfMessage(mid).catch(() => null)) === f.fid) mids.push({ mid });
          else ctx.log.info({ mid: `0x${mid.toString(16)}` }, 'RopFastTransferSourceCopyMessages: message not in the folder; left out');
        }
        const stats = newStats();
        const co: ContentOptions = { store: io.store, strings: stringMode(req.SendOptions), log: ctx.log, stats };
        return { ec: ec.Success, response: {}, created: new FxSourceObject(req.LogonId, io.logon, messageList(mids, co), co.strings, ctx.codePage || CP_DEFAULT, io.store, stats, deps.fastTransferReadAhead ?? 0) };
      }),
  });

  m.set(FXCOPY_ROP.RopFastTransferSourceCopyFolder, {
    inputKinds: FOLDER_ONLY,
    handle: (req: CopyFolderReq, ctx) =>
      guard(ctx, async () => {
        const io = inputOf(req, ctx);
        const f = ctx.input;
        if (!io || !(f instanceof FolderObject)) return { ec: ec.NullObject };
        if (req.CopyFlags & ~mask(COPYFOLDER_FLAGS)) return refuse(ctx, ec.InvalidParam, `unknown CopyFlags 0x${req.CopyFlags.toString(16)}`);
        if (req.SendOptions & ~SEND_OPTIONS_KNOWN) return refuse(ctx, ec.InvalidParam, `unknown SendOptions 0x${req.SendOptions.toString(16)}`);
        if (!((await folderRights(io.logon, f.fid)) & RIGHTS.ReadAny)) return { ec: ec.AccessDenied };
        const stats = newStats();
        const co: ContentOptions = { store: io.store, strings: stringMode(req.SendOptions), log: ctx.log, stats };
        const source = topFolder(f.fid, (req.CopyFlags & COPYFOLDER_FLAGS.CopySubfolders) !== 0, co);
        return { ec: ec.Success, response: {}, created: new FxSourceObject(req.LogonId, io.logon, source, co.strings, ctx.codePage || CP_DEFAULT, io.store, stats, deps.fastTransferReadAhead ?? 0) };
      }),
  });

  m.set(FXCOPY_ROP.RopFastTransferSourceGetBuffer, {
    inputKinds: SOURCE_KINDS,
    handle: (req: GetBufferReq, ctx) =>
      guard(ctx, async () => {
        const logon = checkedLogon(req, ctx);
        const src = ctx.input;
        if (!logon || !isFxSourceLike(src)) return { ec: ec.NullObject };
        const room = Math.max(0, ctx.outputSpace - GET_BUFFER_HEAD);
        const size = effectiveBufferSize(req.BufferSize, req.MaximumBufferSize, Math.min(room, 0xffff));
        let b: FxSourceBuffer;
        try {
          b = await src.nextBuffer(size);
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          b = { data: Buffer.alloc(0), status: TRANSFER_STATUS.Error, progress: 0, total: 0, ec: e.ec };
        }
        const body = {
          TransferStatus: b.status,
          InProgressCount: Math.min(0xffff, b.progress),
          TotalStepCount: Math.min(0xffff, b.total),
          Reserved: 0,
          TransferBuffer: b.data,
        };
        if (b.status === TRANSFER_STATUS.Error) {
          const code = b.ec ?? ec.Error;
          ctx.log.info({ ec: code }, 'FastTransfer download stopped with an error');
          return { ec: code === ec.Success ? ec.Error : code, response: body };
        }
        return { ec: ec.Success, response: body };
      }),
  });

  m.set(FXCOPY_ROP.RopFastTransferDestinationConfigure, {
    inputKinds: OBJECT_KINDS,
    handle: (req: ConfigureReq, ctx) =>
      guard(ctx, async () => {
        const io = inputOf(req, ctx);
        if (!io) return { ec: ec.NullObject };
        const o = ctx.input;
        if (req.CopyFlags & ~mask(DEST_COPY_FLAGS)) return refuse(ctx, ec.InvalidParam, `unknown CopyFlags 0x${req.CopyFlags.toString(16)}`);
        let root: DestinationRoot;
        let target: DestinationTarget;
        let parent: ServerObject = io.logon;
        switch (req.SourceOperation) {
          case SOURCE_OPERATION.CopyTo:
          case SOURCE_OPERATION.CopyProperties:
            if (o instanceof FolderObject) {
              root = 'folderContent';
              target = { kind: 'folder', fid: o.fid };
            } else if (o instanceof MessageServerObject) {
              root = 'messageContent';
              target = { kind: 'message', msg: o.msg };
              parent = o;
            } else {
              root = 'attachmentContent';
              target = { kind: 'attachment', att: (o as AttachmentServerObject).att };
              parent = o;
            }
            break;
          case SOURCE_OPERATION.CopyMessages:
          case SOURCE_OPERATION.CopyFolder:
            if (!(o instanceof FolderObject)) return refuse(ctx, ec.InvalidParam, 'CopyMessages/CopyFolder upload into something else than a folder');
            root = req.SourceOperation === SOURCE_OPERATION.CopyMessages ? 'messageList' : 'topFolder';
            target = { kind: 'folder', fid: o.fid };
            break;
          default:
            return refuse(ctx, ec.InvalidParam, `unknown SourceOperation 0x${req.SourceOperation.toString(16)}`);
        }
        if (o instanceof FolderObject) {
          const need = root === 'topFolder' ? RIGHTS.CreateSubFolder : root === 'messageList' ? RIGHTS.Create : RIGHTS.FolderOwner;
          if (!((await folderRights(io.logon, o.fid)) & need)) return { ec: ec.AccessDenied };
        }
        const applier = new FxContentApplier(io.store, root, target, ctx.log);
        const maxValue = (io.store as { maxValueSize?: number }).maxValueSize ?? 64 * 1024 * 1024;
        return { ec: ec.Success, response: {}, created: new FxDestinationObject(req.LogonId, parent, applier, ctx.codePage || CP_DEFAULT, maxValue) };
      }),
  });

  const putBuffer = (extended: boolean) => (req: PutBufferReq, ctx: RopContext): Promise<RopResult> =>
    guard(ctx, async () => {
      const logon = checkedLogon(req, ctx);
      const d = ctx.input;
      if (!logon || !(d instanceof FxDestinationObject)) return { ec: ec.NullObject };
      const data = req.TransferData ?? Buffer.alloc(0);
      const body = (status: number, used: number) => ({
        TransferStatus: status,
        // u16 in RopFastTransferDestinationPutBuffer, u32 in the Extended form
        InProgressCount: Math.min(extended ? 0xffffffff : 0xffff, d.applier.stats.messagesSaved),
        TotalStepCount: Math.min(extended ? 0xffffffff : 0xffff, d.applier.stats.messagesSaved),
        Reserved: 0,
        BufferUsedSize: used,
      });
      if (d.failedEc !== null) return { ec: d.failedEc, response: body(TRANSFER_STATUS.Error, 0) };
      const fail = (code: number, why: string): RopResult => {
        d.failedEc = code;
        ctx.log.info({ ec: code, err: why, at: d.parser.offset, extended }, 'FastTransfer upload refused; staged item dropped');
        return { ec: code, response: body(TRANSFER_STATUS.Error, 0) };
      };
      try {
        const els = d.parser.push(data);
        await d.applier.feed(els);
        if (d.parser.atBoundary && d.applier.complete) await d.applier.finish();
      } catch (e) {
        await d.applier.abort();
        if (e instanceof FxStreamError) return fail(e.code === 'OC_FX_GRAMMAR' ? ec.InvalidParam : ec.RpcFormat, e.message);
        if (e instanceof StoreError) return fail(e.ec, e.message);
        // a value the stream carries but nothing below can take (e.g. an unknown code page): malformed for us
        if (e instanceof ProtocolError) return fail(ec.RpcFormat, e.message);
        ctx.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'FastTransfer upload failed');
        return fail(ec.Error, 'internal failure');
      }
      const done = d.applier.root === 'topFolder' && d.applier.complete;
      return { ec: ec.Success, response: body(done ? TRANSFER_STATUS.Done : TRANSFER_STATUS.Partial, data.length) };
    });

  m.set(FXCOPY_ROP.RopFastTransferDestinationPutBuffer, { inputKinds: DEST_KINDS, handle: putBuffer(false) });
  m.set(FXCOPY_ROP.RopFastTransferDestinationPutBufferExtended, { inputKinds: DEST_KINDS, handle: putBuffer(true) });

  m.set(FXCOPY_ROP.RopTellVersion, {
    inputKinds: CONTEXT_KINDS,
    handle: (req: TellVersionReq, ctx) => {
      const logon = checkedLogon(req, ctx);
      if (!logon) return { ec: ec.NullObject };
      const o = ctx.input as ServerObject & { version?: number[] | null };
      if ('version' in o) o.version = [...(req.Version ?? [])];
      return { ec: ec.Success, response: {} };
    },
  });

  return m;
}

