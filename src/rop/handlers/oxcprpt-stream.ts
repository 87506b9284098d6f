// MS-OXCPRPT 2.2.14-2.2.27 / 3.2.5.13-3.2.5.26 stream ROPs: RopOpenStream on folders, messages, embedded messages,
// attachments (and the logon, for store properties), then RopReadStream, RopWriteStream(Extended), RopCommitStream,
// RopGetStreamSize, RopSetStreamSize, RopSeekStream, RopCopyToStream on the Stream object; RopLockRegionStream,
// RopUnlockRegionStream, RopWriteAndCommitStream and RopCloneStream as Exchange 2010 and later answer them.
//
// Choices where the spec leaves room (each one place, below):
// - message and attachment streams are the store's PropStream (64 KiB chunks, never the whole value in memory);
//   RopCommitStream puts the value into the message/attachment object, which RopSaveChangesMessage /
//   RopSaveChangesAttachment then store. Folder and logon streams are MemoryPropStream (stream-object.ts), written
//   back with setFolderProps / setStoreProps at RopCommitStream. RopRelease without a commit drops the writes;
// - OpenModeFlags BestAccess (3) opens read/write when the parent object may be written, else read-only; ReadWrite on
//   a missing property is NotFound like ReadOnly (MS-OXCPRPT 2.2.14.1: Create "is required for a property that has
//   not been set"); write modes on a parent opened read-only are AccessDenied;
// - types: PtypBinary, PtypString8, PtypString on messages and attachments; PtypObject only as
//   PidTagAttachDataObject on an attachment, where it is the attachment's data (the PidTagAttachDataBinary value of
//   the same property id); any other PtypObject is NotFound. Folders and the logon: PtypBinary (2.2.14: the only type
//   a server MUST support there); other types NotSupported;
// - RopReadStream returns min(ByteCount, what fits in the ROP output buffer, 0xFFFF) bytes; ByteCount 0xBABE reads up
//   to MaximumByteCount the same way (the EMSMDB layer chains further rounds, MS-OXCRPC 3.1.4.2); reads come from a
//   read-ahead window of the Stream object (stream-object.ts);
// - a write that would pass the largest value the store keeps (LocalStoreOptions.maxValueSize, 2^31 at most) is
//   refused whole: ecTooBig, WrittenSize 0, the stream unchanged; a write to a read-only stream is
//   StreamAccessDenied (0x80030005);
// - RopSetStreamSize past 2^31 is StreamSizeError (STG_E_MEDIUMFULL), past the store's limit ecTooBig;
// - RopSeekStream (3.2.5.18): a bad Origin is StreamInvalidParam, a target before 0 or past 2^31 StreamSeekError;
//   past the end of a writable stream the stream is extended with zeros to the new position (as 3.2.5.18 says), and
//   when the store cannot hold that size StreamSeekError; a read-only stream keeps its size (reads there are empty);
// - RopCopyToStream copies min(ByteCount, bytes after the source's seek pointer) in 64 KiB steps; a destination that
//   is not a stream is NotSupported, a read-only one StreamAccessDenied; a destination past its limit stops the copy
//   with ecTooBig and the counts copied so far;
// - RopLockRegionStream, RopUnlockRegionStream, RopWriteAndCommitStream, RopCloneStream: Exchange 2010 and later do
//   not implement them (MS-OXCPRPT 3.2.5.21-3.2.5.24 "Servers MAY"; product behaviour notes), and answer
//   ecNotImplemented (0x80040FFF), which is what this server answers too (evidence: gromox exch/emsmdb/oxcprpt.cpp,
//   "just like exchange 2010 or later", read for the fact only).
import { PT, propId, propType } from '../../mapi/props.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import type { PropObject, PropStream, StreamMode } from '../../mapistore/types.js';
import { ec } from '../ec.js';
import type { ObjectKind, RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import {
  AttachmentServerObject, checkedLogon, FolderObject, folderRights, guard, LogonObject, MessageServerObject, RIGHTS,
  type MailboxHandlerDeps,
} from './objects.js';
import {
  MemoryPropStream, STREAM_EC, STREAM_MAX_POSITION, StreamServerObject, type MemoryStreamTarget, type StreamParentKind,
} from './stream-object.js';

// MS-OXCROPS 2.2.9 RopIds of the stream ROPs
export const STREAM_ROP = {
  RopOpenStream: 0x2b,
  RopReadStream: 0x2c,
  RopWriteStream: 0x2d,
  RopSeekStream: 0x2e,
  RopSetStreamSize: 0x2f,
  RopCopyToStream: 0x3a,
  RopCloneStream: 0x3b,
  RopLockRegionStream: 0x5b,
  RopUnlockRegionStream: 0x5c,
  RopCommitStream: 0x5d,
  RopGetStreamSize: 0x5e,
  RopWriteAndCommitStream: 0x90,
  RopWriteStreamExtended: 0xa3,
} as const;

/** MS-OXCPRPT 2.2.14.1 OpenModeFlags. */
export const STREAM_OPEN = { ReadOnly: 0x00, ReadWrite: 0x01, Create: 0x02, BestAccess: 0x03 } as const;
/** MS-OXCPRPT 2.2.15.1: ByteCount 0xBABE means "up to MaximumByteCount". */
export const READ_STREAM_BABE = 0xbabe;
/** MS-OXCPRPT 2.2.21.1 Origin. */
export const STREAM_SEEK = { Beginning: 0x00, Current: 0x01, End: 0x02 } as const;

/** RopReadStream response bytes before Data: RopId, HandleIndex, ReturnValue, DataSize. */
const READ_STREAM_HEAD = 1 + 1 + 4 + 2;
/** Step of RopCopyToStream (the store's chunk size). */
const COPY_STEP = 64 * 1024;
/** MS-OXPROPS PidTagAttachDataBinary / PidTagAttachDataObject share property id 0x3701. */
const PID_ATTACH_DATA = 0x3701;
/** MS-OXCMSG 2.2.3.1.1 OpenModeFlags bit ReadWrite (BestAccess 3 includes it). */
const MSG_OPEN_READWRITE = 0x01;

const PARENT_KINDS: readonly ObjectKind[] = ['logon', 'folder', 'message', 'embeddedMessage', 'attachment'];
const STREAM_ONLY: readonly ObjectKind[] = ['stream'];

// request shapes (field names of src/rop/codec/Rop*Stream*.ts)
type OpenStreamReq = RopRequestHeader & { PropertyTag: number; OpenModeFlags: number };
type ReadStreamReq = RopRequestHeader & { ByteCount: number; MaximumByteCount?: number };
type WriteStreamReq = RopRequestHeader & { Data: Buffer };
type SeekStreamReq = RopRequestHeader & { Origin: number; Offset: bigint };
type SetStreamSizeReq = RopRequestHeader & { StreamSize: bigint };
type CopyToStreamReq = RopRequestHeader & { DestHandleIndex: number; ByteCount: bigint };
type CopyBody = { ReadByteCount: bigint; WrittenByteCount: bigint };

const storeEc = (e: unknown): number | undefined => (e instanceof StoreError ? e.ec : undefined);

/** The stream object of a stream ROP, its logon checked against LogonId (else ecNullObject). */
function streamOf(req: RopRequestHeader, ctx: RopContext): StreamServerObject | undefined {
  const logon = checkedLogon(req, ctx);
  const s = ctx.input;
  return logon && s instanceof StreamServerObject && s.logon === logon ? s : undefined;
}

/**
 * Writes `data` at the seek pointer: the whole of it or nothing. StreamAccessDenied on a read-only stream, ecTooBig
 * past the 2^31 position or the store's limit (StoreError TooBig from the PropStream, nothing written).
 */
async function writeAt(s: StreamServerObject, data: Buffer, ctx: RopContext): Promise<{ ec: number; written: number }> {
  if (!s.writable) return { ec: STREAM_EC.StreamAccessDenied, written: 0 };
  if (data.length === 0) return { ec: ec.Success, written: 0 };
  const refused = () => {
    ctx.log.info({ tag: `0x${(s.value.tag >>> 0).toString(16)}`, at: s.position, bytes: data.length }, 'stream write past the size limit refused');
    return { ec: ec.TooBig, written: 0 };
  };
  if (s.position + data.length > STREAM_MAX_POSITION) return refused();
  s.changed();
  try {
    await s.value.write(s.position, data);
  } catch (e) {
    if (storeEc(e) === SEC.TooBig) return refused();
    throw e;
  }
  s.position += data.length;
  return { ec: ec.Success, written: data.length };
}

/** The PropStream mode for OpenModeFlags on a parent that may (or may not) be written; null for a bad value. */
function modeOf(flags: number, parentWritable: boolean): StreamMode | null {
  switch (flags) {
    case STREAM_OPEN.ReadOnly:
      return 'read';
    case STREAM_OPEN.ReadWrite:
      return 'readwrite';
    case STREAM_OPEN.Create:
      return 'create';
    case STREAM_OPEN.BestAccess:
      return parentWritable ? 'readwrite' : 'read';
    default:
      return null;
  }
}

/** MS-OXCPRPT 2.2.14.1: OpenModeFlags "MUST be set to one of" 0-3. */
function badMode(req: OpenStreamReq, ctx: RopContext): RopResult<{ StreamSize: number }> {
  ctx.log.info({ flags: req.OpenModeFlags }, 'RopOpenStream with unknown OpenModeFlags refused');
  return { ec: ec.InvalidParam };
}

/** Opens a PropStream on a message or attachment object; ReadWrite on a missing property is NotFound. */
async function openObjectStream(obj: PropObject, tag: number, mode: StreamMode): Promise<PropStream> {
  if (mode === 'readwrite') {
    // the store's readwrite starts empty on a missing value; the spec wants Create for that (2.2.14.1)
    const probe = await obj.openStream(tag, 'read');
    await probe.close();
  }
  return obj.openStream(tag, mode);
}

export function createStreamHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();
  /** A handler on a Stream object; `failBody` is what a failure carries (ROPs whose response body is always there). */
  const onStream = <Req extends RopRequestHeader, B>(
    id: number,
    failBody: Partial<B> | undefined,
    fn: (req: Req, s: StreamServerObject, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>,
  ): void => {
    m.set(id, {
      inputKinds: STREAM_ONLY,
      handle: async (req: Req, ctx: RopContext) => {
        const s = streamOf(req, ctx);
        if (!s) return { ec: ec.NullObject, ...(failBody ? { response: failBody } : {}) };
        const r = await guard(ctx, () => fn(req, s, ctx));
        return r.ec !== ec.Success && !r.response && failBody ? { ...r, response: failBody } : r;
      },
    });
  };

  // MS-OXCPRPT 3.2.5.13 RopOpenStream
  m.set(STREAM_ROP.RopOpenStream, {
    inputKinds: PARENT_KINDS,
    handle: (req: OpenStreamReq, ctx: RopContext) => {
      const logon = checkedLogon(req, ctx);
      if (!logon) return { ec: ec.NullObject };
      return guard<{ StreamSize: number }>(ctx, async () => {
        const input = ctx.input;
        let tag = req.PropertyTag >>> 0;
        const type = propType(tag);
        let parentKind: StreamParentKind;
        let value: PropStream | null;
        let writable: boolean;
        if (input instanceof MessageServerObject || input instanceof AttachmentServerObject) {
          if (input.logon !== logon) return { ec: ec.NullObject };
          if (type === PT.OBJECT) {
            // PidTagAttachDataObject: the attachment's data, kept under the PtypBinary tag of the same id
            if (!(input instanceof AttachmentServerObject) || propId(tag) !== PID_ATTACH_DATA) return { ec: ec.NotFound };
            tag = ((PID_ATTACH_DATA << 16) | PT.BINARY) >>> 0;
          } else if (type !== PT.BINARY && type !== PT.STRING8 && type !== PT.UNICODE) {
            return { ec: ec.NotSupported };
          }
          const parentWritable = (input.openMode & MSG_OPEN_READWRITE) !== 0;
          const mode = modeOf(req.OpenModeFlags, parentWritable);
          if (mode === null) return badMode(req, ctx);
          if (mode !== 'read' && !parentWritable) return { ec: ec.AccessDenied };
          const obj: PropObject = input instanceof MessageServerObject ? input.msg : input.att;
          value = await openObjectStream(obj, tag, mode);
          writable = mode !== 'read';
          parentKind = input.kind;
        } else if (input instanceof FolderObject || input instanceof LogonObject) {
          if (type !== PT.BINARY) return { ec: ec.NotSupported };
          const store = logon.store;
          let parentWritable: boolean;
          if (input instanceof FolderObject) {
            if (input.logon !== logon) return { ec: ec.NullObject };
            const rights = await folderRights(logon, input.fid);
            if ((rights & (RIGHTS.ReadAny | RIGHTS.FolderVisible | RIGHTS.FolderOwner)) === 0) return { ec: ec.AccessDenied };
            parentWritable = (rights & RIGHTS.FolderOwner) !== 0;
          } else {
            parentWritable = logon.delegateUser === undefined;
          }
          const mode = modeOf(req.OpenModeFlags, parentWritable);
          if (mode === null) return badMode(req, ctx);
          if (mode !== 'read' && !parentWritable) return { ec: ec.AccessDenied };
          const fid = input instanceof FolderObject ? input.fid : null;
          const target: MemoryStreamTarget =
            fid !== null
              ? { get: (tags) => store.getFolderProps(fid, tags), set: (v) => store.setFolderProps(fid, v) }
              : { get: (tags) => store.storeProps(tags), set: (v) => store.setStoreProps(v) };
          value = await MemoryPropStream.open(tag, mode === 'create', target);
          if (!value) return { ec: ec.NotFound };
          writable = mode !== 'read';
          parentKind = input instanceof FolderObject ? 'folder' : 'logon';
        } else {
          return { ec: ec.NotSupported };
        }
        const size = value.size();
        if (size > 0xffffffff) {
          await value.close();
          return { ec: ec.TooBig };
        }
        return {
          ec: ec.Success,
          created: new StreamServerObject(req.LogonId, input, logon, value, writable, parentKind),
          response: { StreamSize: size },
        };
      });
    },
  });

  // MS-OXCPRPT 3.2.5.14 RopReadStream: as many bytes as asked for and as fit the output buffer
  onStream<ReadStreamReq, { Data: Buffer }>(STREAM_ROP.RopReadStream, { Data: Buffer.alloc(0) }, async (req, s, ctx) => {
    const want = req.ByteCount === READ_STREAM_BABE ? (req.MaximumByteCount ?? 0) : req.ByteCount;
    const room = Math.max(0, ctx.outputSpace - READ_STREAM_HEAD);
    const n = Math.min(want, room, 0xffff);
    return { ec: ec.Success, response: { Data: await s.readNext(n) } };
  });

  // MS-OXCPRPT 3.2.5.15 RopWriteStream / 3.2.5.16 RopWriteStreamExtended
  for (const id of [STREAM_ROP.RopWriteStream, STREAM_ROP.RopWriteStreamExtended]) {
    onStream<WriteStreamReq, { WrittenSize: number }>(id, { WrittenSize: 0 }, async (req, s, ctx) => {
      const r = await writeAt(s, req.Data, ctx);
      return { ec: r.ec, response: { WrittenSize: r.written } };
    });
  }

  // MS-OXCPRPT 3.2.5.17 RopCommitStream: folder/logon values are stored now; message/attachment values go into their
  // object (stored by its save); nothing to do for a read-only stream
  onStream(STREAM_ROP.RopCommitStream, undefined, async (_req, s) => {
    if (s.writable) {
      s.changed();
      await s.value.commit();
    }
    return { ec: ec.Success };
  });

  // MS-OXCPRPT 3.2.5.19 RopGetStreamSize
  onStream<RopRequestHeader, { StreamSize: number }>(STREAM_ROP.RopGetStreamSize, undefined, (_req, s) => ({
    ec: ec.Success,
    response: { StreamSize: s.value.size() },
  }));

  // MS-OXCPRPT 3.2.5.20 RopSetStreamSize: truncates or zero-extends; the seek pointer stays where it is
  onStream<SetStreamSizeReq, Record<string, never>>(STREAM_ROP.RopSetStreamSize, undefined, async (req, s, ctx) => {
    if (!s.writable) return { ec: STREAM_EC.StreamAccessDenied };
    if (req.StreamSize > BigInt(STREAM_MAX_POSITION)) {
      ctx.log.info({ size: String(req.StreamSize) }, 'RopSetStreamSize past 2^31 refused');
      return { ec: STREAM_EC.StreamSizeError };
    }
    s.changed();
    try {
      await s.value.setSize(Number(req.StreamSize));
    } catch (e) {
      if (storeEc(e) !== SEC.TooBig) throw e;
      ctx.log.info({ size: String(req.StreamSize) }, 'RopSetStreamSize past the size limit refused');
      return { ec: ec.TooBig };
    }
    return { ec: ec.Success };
  });

  // MS-OXCPRPT 3.2.5.18 RopSeekStream
  onStream<SeekStreamReq, { NewPosition: bigint }>(STREAM_ROP.RopSeekStream, undefined, async (req, s) => {
    const size = s.value.size();
    let base: bigint;
    if (req.Origin === STREAM_SEEK.Beginning) base = 0n;
    else if (req.Origin === STREAM_SEEK.Current) base = BigInt(s.position);
    else if (req.Origin === STREAM_SEEK.End) base = BigInt(size);
    else return { ec: STREAM_EC.StreamInvalidParam };
    const target = base + req.Offset;
    if (target < 0n || target > BigInt(STREAM_MAX_POSITION)) return { ec: STREAM_EC.StreamSeekError };
    const pos = Number(target);
    if (pos > size && s.writable) {
      // 3.2.5.18: "the stream is extended, and zeros filled to the new seek location"
      s.changed();
      try {
        await s.value.setSize(pos);
      } catch (e) {
        if (storeEc(e) === SEC.TooBig) return { ec: STREAM_EC.StreamSeekError };
        throw e;
      }
    }
    s.position = pos;
    return { ec: ec.Success, response: { NewPosition: target } };
  });

  // MS-OXCPRPT 3.2.5.25 RopCopyToStream: from the source's seek pointer to the destination's; both advance
  const noCopy: CopyBody = { ReadByteCount: 0n, WrittenByteCount: 0n };
  onStream<CopyToStreamReq, CopyBody>(STREAM_ROP.RopCopyToStream, noCopy, async (req, src, ctx) => {
    const dst = ctx.resolve(req.DestHandleIndex);
    if (!(dst instanceof StreamServerObject) || dst.logon !== src.logon) return { ec: ec.NotSupported, response: noCopy };
    if (!dst.writable) return { ec: STREAM_EC.StreamAccessDenied, response: noCopy };
    const avail = Math.max(0, src.value.size() - src.position);
    let left = req.ByteCount < BigInt(avail) ? Number(req.ByteCount) : avail;
    let copied = 0;
    while (left > 0) {
      const at = src.position;
      const data = Buffer.from(await src.readNext(Math.min(COPY_STEP, left)));
      if (data.length === 0) break;
      const w = await writeAt(dst, data, ctx);
      if (w.ec !== ec.Success) {
        // the source did not advance past what was written
        src.position = at;
        const done = BigInt(copied);
        return { ec: w.ec, response: { ReadByteCount: done, WrittenByteCount: done } };
      }
      copied += data.length;
      left -= data.length;
    }
    const done = BigInt(copied);
    return { ec: ec.Success, response: { ReadByteCount: done, WrittenByteCount: done } };
  });

  // MS-OXCPRPT 3.2.5.21-3.2.5.24: not implemented by Exchange 2010 and later, nor here (see the header)
  onStream(STREAM_ROP.RopLockRegionStream, undefined, () => ({ ec: ec.NotImplemented }));
  onStream(STREAM_ROP.RopUnlockRegionStream, undefined, () => ({ ec: ec.NotImplemented }));
  onStream<WriteStreamReq, { WrittenSize: number }>(STREAM_ROP.RopWriteAndCommitStream, { WrittenSize: 0 }, () => ({
    ec: ec.NotImplemented,
    response: { WrittenSize: 0 },
  }));
  onStream(STREAM_ROP.RopCloneStream, undefined, () => ({ ec: ec.NotImplemented }));

  return m;
}
