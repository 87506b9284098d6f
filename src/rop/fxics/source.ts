// The contract between RopFastTransferSourceGetBuffer (MS-OXCFXICS 2.2.3.1.1.5, handlers/oxcfxics-copy.ts) and the
// server objects it reads from: the FastTransfer download contexts of the copy ROPs (RopFastTransferSourceCopyTo,
// CopyProperties, CopyMessages, CopyFolder; kind 'fxSource') and the ICS download contexts of
// RopSynchronizationConfigure / RopSynchronizationGetTransferState (kind 'icsDownload'). GetBuffer serves any server
// object that implements FxSourceLike; it looks the method up structurally (isFxSourceLike), so the ICS code need
// not import the copy handlers. `producerSource` adapts K2's FxStreamProducer (writer.ts) to the interface.
import { TransferStatus, type FxStreamProducer } from './writer.js';

/** MS-OXCFXICS 2.2.3.1.1.5.2 TransferStatus values (the same table as writer.ts TransferStatus). */
export const TRANSFER_STATUS = TransferStatus;

/** One buffer of a FastTransfer stream as GetBuffer sends it. */
export interface FxSourceBuffer {
  /** The next bytes of the stream (at most `max`; may be shorter, and empty only with status Done, NoRoom or Error). */
  data: Buffer;
  /** TRANSFER_STATUS.Partial while more follows, Done with the last buffer, NoRoom, or Error after a failure (see `ec`). */
  status: number;
  /** InProgressCount / TotalStepCount (MS-OXCFXICS 2.2.3.1.1.5.2: progress steps, e.g. messages sent of all). */
  progress: number;
  total: number;
  /** With status Error: the ec value GetBuffer returns (default ecError). */
  ec?: number;
}

/**
 * A FastTransfer download stream behind a server object (kind 'fxSource' or 'icsDownload').
 * nextBuffer(max) returns the next at most `max` bytes of the stream, produced lazily (memory bounded by the
 * object's own buffering, not by the size of what is transferred). Calls are sequential (never overlapping).
 * After Done, further calls return an empty buffer with status Done. A failure inside the producer is reported
 * as status Error (with `ec`), or by rejecting with a StoreError (GetBuffer answers its ec).
 */
export interface FxSourceLike {
  nextBuffer(max: number): Promise<FxSourceBuffer>;
  /**
   * The producer whose bytes nextBuffer hands out as they are (data = TransferBuffer, status, progress and total
   * unchanged), for work that only reads ahead of it (src/emsmdb/compress-ahead.ts); absent when there is none yet.
   */
  peekProducer?(): FxStreamProducer | undefined;
}

/** True when `obj` is a server object GetBuffer can read from. */
export function isFxSourceLike(obj: unknown): obj is FxSourceLike {
  return typeof obj === 'object' && obj !== null && typeof (obj as { nextBuffer?: unknown }).nextBuffer === 'function';
}

/**
 * nextBuffer over a writer.ts FxStreamProducer. `errorEc` turns the producer's error (FxBuffer.error) into the
 * ReturnValue (default: ecError; a StoreError's own ec when it carries one).
 */
export function producerSource(p: FxStreamProducer, errorEc?: (e: unknown) => number): FxSourceLike['nextBuffer'] {
  return async (max: number): Promise<FxSourceBuffer> => {
    const b = await p.getBuffer(max);
    const out: FxSourceBuffer = { data: b.TransferBuffer, status: b.TransferStatus, progress: b.InProgressCount, total: b.TotalStepCount };
    if (b.TransferStatus === TransferStatus.Error) out.ec = errorEc ? errorEc(b.error) : defaultEc(b.error);
    return out;
  };
}

/** The ec of a producer failure: a StoreError-like `ec` field, else ecError (0x80004005). */
function defaultEc(e: unknown): number {
  const v = (e as { ec?: unknown } | null | undefined)?.ec;
  return typeof v === 'number' ? v : 0x80004005;
}
