// MS-OXCFXICS ICS download ROPs (3.2.5.9.1-3): RopSynchronizationConfigure (contents and hierarchy synchronization
// on a folder, creating the 'icsDownload' object whose stream RopFastTransferSourceGetBuffer serves),
// RopSynchronizationUploadStateStreamBegin/Continue/End (on a download context or an upload collector) and
// RopSynchronizationGetTransferState (a FastTransfer source whose stream is the context's current ICS state).
//
// Choices where the spec leaves room (each one place, below):
// - SynchronizationType other than Contents (0x01) or Hierarchy (0x02): ecInvalidParam (3.2.5.9.1.1 "MUST fail").
// - SendOptions bits outside 0x7F, a restriction the evaluator refuses (ecTooComplex) and a configure on a folder
//   that is gone (ecNotFound) fail the ROP; undefined SynchronizationFlags / SynchronizationExtraFlags bits are ignored
//   (logged), as are ReadState, FAI, Normal, the restriction and OnlySpecifiedProperties... on a hierarchy
//   synchronization, where they mean nothing.
// - the context's parent is the logon (RopRelease of the folder leaves the context usable, as Outlook expects).
// - the state ROPs are answered on any object that carries an IcsStateHolder (`holder`): the download context here and
//   K5's upload collector; GetTransferState snapshots the state (download: the initial state until the stream is done,
//   then the final one; upload: the checkpoint state, without MetaTagIdsetGiven: 3.2.5.2.1 "does not download it back
//   to the client in the final ICS state obtained ... through RopSynchronizationGetTransferState", 3.3.5.13).
// - a state property that does not decode as an IDSET: ecRpcFormat (3.1.5.4.3.2 SHOULD), see sync-state.ts.
import { eidGlobcntNumber } from '../../mapi/idset.js';
import { validateRestriction } from '../../mapi/table/evaluate.js';
import type { TableRestriction } from '../../mapi/table/types.js';
import { TableError } from '../../mapi/table/index.js';
import type { RopRestriction } from '../../mapi/ropres.js';
import {
  IcsDownloadContext, SYNC_EXTRA, SYNC_FLAGS, SYNC_TYPE, type MessageContentProducer,
} from '../fxics/sync-download.js';
import { syncMessageContent } from '../fxics/sync-content.js';
import { cloneState, IcsStateHolder, StateTransferSource, type IcsState } from '../fxics/sync-state.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult, ServerObject } from '../types.js';
import { checkedLogon, FolderObject, folderRights, guard, RIGHTS, type MailboxHandlerDeps } from './objects.js';

// MS-OXCROPS 2.2.13 RopIds
export const SYNC_ROP = {
  RopSynchronizationConfigure: 0x70,
  RopSynchronizationUploadStateStreamBegin: 0x75,
  RopSynchronizationUploadStateStreamContinue: 0x76,
  RopSynchronizationUploadStateStreamEnd: 0x77,
  RopSynchronizationGetTransferState: 0x82,
} as const;

type ConfigureReq = RopRequestHeader & {
  SynchronizationType: number;
  SendOptions: number;
  SynchronizationFlags: number;
  RestrictionData: RopRestriction | null;
  SynchronizationExtraFlags: number;
  PropertyTags: number[];
};
type BeginReq = RopRequestHeader & { StateProperty: number; TransferBufferSize: number };
type ContinueReq = RopRequestHeader & { StreamData: Buffer };

const KNOWN_SYNC_FLAGS = Object.values(SYNC_FLAGS).reduce((a, b) => a | b, 0);
const KNOWN_EXTRA_FLAGS = Object.values(SYNC_EXTRA).reduce((a, b) => a | b, 0);
const KNOWN_SEND_OPTIONS = 0x7f;

/** An object the state ROPs work on (the download context, K5's upload collector). */
export interface IcsStateCarrier extends ServerObject {
  readonly holder: IcsStateHolder;
  readonly syncKind: 'contents' | 'hierarchy';
  /** The state GetTransferState returns; default: the holder's current state. */
  transferState?(): IcsState;
}

function carrierOf(ctx: RopContext): IcsStateCarrier | undefined {
  const o = ctx.input as Partial<IcsStateCarrier>;
  return o.holder instanceof IcsStateHolder ? (o as IcsStateCarrier) : undefined;
}

/**
 * The ICS download handlers. `content` produces one message's propList + messageChildren (K3's messageContent);
 * tests may pass their own.
 */
export function createSyncDownloadHandlers(deps: MailboxHandlerDeps, content?: MessageContentProducer): Map<number, RopHandlerEntry> {
  void deps;
  const m = new Map<number, RopHandlerEntry>();
  const on = <Req extends RopRequestHeader>(id: number, kinds: RopHandlerEntry['inputKinds'], fn: (req: Req, ctx: RopContext) => Promise<RopResult> | RopResult): void => {
    m.set(id, { inputKinds: kinds, handle: (req: Req, ctx: RopContext) => guard(ctx, () => fn(req, ctx)) });
  };

  // MS-OXCFXICS 3.2.5.9.1.1 RopSynchronizationConfigure
  on<ConfigureReq>(SYNC_ROP.RopSynchronizationConfigure, ['folder'], async (req, ctx) => {
    const logon = checkedLogon(req, ctx);
    const folder = ctx.input;
    if (!logon || !(folder instanceof FolderObject)) return { ec: ec.NullObject };
    const type = req.SynchronizationType === SYNC_TYPE.Contents ? 'contents' : req.SynchronizationType === SYNC_TYPE.Hierarchy ? 'hierarchy' : null;
    if (!type) {
      ctx.log.info({ SynchronizationType: req.SynchronizationType }, 'RopSynchronizationConfigure: unknown SynchronizationType');
      return { ec: ec.InvalidParam };
    }
    if (req.SendOptions & ~KNOWN_SEND_OPTIONS) {
      ctx.log.info({ SendOptions: req.SendOptions }, 'RopSynchronizationConfigure: unknown SendOptions');
      return { ec: ec.InvalidParam };
    }
    if ((req.SynchronizationFlags & ~KNOWN_SYNC_FLAGS) || (req.SynchronizationExtraFlags & ~KNOWN_EXTRA_FLAGS)) {
      ctx.log.debug({ flags: req.SynchronizationFlags, extra: req.SynchronizationExtraFlags }, 'RopSynchronizationConfigure: undefined flag bits ignored');
    }
    const restriction = type === 'contents' ? req.RestrictionData : null;
    if (restriction) {
      try {
        validateRestriction(restriction as TableRestriction);
      } catch (e) {
        if (e instanceof TableError) return { ec: e.ec };
        throw e;
      }
    }
    const store = logon.store;
    if (!(await store.folderExists(folder.fid))) return { ec: ec.NotFound };
    const rights = await folderRights(logon, folder.fid);
    if (!(rights & (RIGHTS.ReadAny | RIGHTS.FolderOwner | RIGHTS.FolderVisible))) return { ec: ec.AccessDenied };
    // a backend that mirrors another server (IMAP) picks up that server's changes first (rate-limited by the backend)
    if (type === 'contents' && store.refreshFolder) await store.refreshFolder(folder.fid);
    if (type === 'hierarchy' && store.refreshHierarchy) await store.refreshHierarchy();
    let flags = req.SynchronizationFlags & KNOWN_SYNC_FLAGS;
    if (type === 'hierarchy') flags &= ~(SYNC_FLAGS.ReadState | SYNC_FLAGS.FAI | SYNC_FLAGS.Normal | SYNC_FLAGS.IgnoreSpecifiedOnFAI | SYNC_FLAGS.BestBody | SYNC_FLAGS.Progress);
    const producer = content ?? syncMessageContent;
    const obj = new IcsDownloadContext(
      req.LogonId,
      logon,
      store,
      {
        type,
        fid: folder.fid,
        sendOptions: req.SendOptions,
        flags,
        extraFlags: req.SynchronizationExtraFlags & KNOWN_EXTRA_FLAGS,
        restriction,
        propertyTags: req.PropertyTags,
        codePage: ctx.codePage,
        readAhead: deps.fastTransferReadAhead ?? 0,
      },
      producer,
      ctx.log,
    );
    return { ec: ec.Success, created: obj };
  });

  // MS-OXCFXICS 3.2.5.9.2.1-3 RopSynchronizationUploadStateStreamBegin / Continue / End
  const STATE_KINDS = ['icsDownload', 'icsUpload'] as const;
  on<BeginReq>(SYNC_ROP.RopSynchronizationUploadStateStreamBegin, STATE_KINDS, (req, ctx) => {
    const c = carrierOf(ctx);
    if (!checkedLogon(req, ctx) || !c) return { ec: ec.NullObject };
    return { ec: c.holder.begin(req.StateProperty, req.TransferBufferSize, ctx.log) };
  });
  on<ContinueReq>(SYNC_ROP.RopSynchronizationUploadStateStreamContinue, STATE_KINDS, (req, ctx) => {
    const c = carrierOf(ctx);
    if (!checkedLogon(req, ctx) || !c) return { ec: ec.NullObject };
    return { ec: c.holder.continue(req.StreamData, ctx.log) };
  });
  on<RopRequestHeader>(SYNC_ROP.RopSynchronizationUploadStateStreamEnd, STATE_KINDS, async (req, ctx) => {
    const c = carrierOf(ctx);
    const logon = checkedLogon(req as RopRequestHeader & { LogonId: number }, ctx);
    if (!logon || !c) return { ec: ec.NullObject };
    return { ec: c.holder.end(ctx.log, eidGlobcntNumber(await logon.store.currentCn())) };
  });

  // MS-OXCFXICS 3.2.5.9.3.1 RopSynchronizationGetTransferState
  on<RopRequestHeader>(SYNC_ROP.RopSynchronizationGetTransferState, STATE_KINDS, (req, ctx) => {
    const logon = checkedLogon(req as RopRequestHeader & { LogonId: number }, ctx);
    const c = carrierOf(ctx);
    if (!logon || !c) return { ec: ec.NullObject };
    const snapshot = c.transferState ? c.transferState() : cloneState(c.holder.state);
    // MS-OXCFXICS 3.2.5.2.1 / 3.3.5.13: an upload context's state has no MetaTagIdsetGiven
    const upload = c.kind === 'icsUpload';
    const src = new StateTransferSource(req.LogonId, logon, snapshot, c.syncKind, { strings: 'keep', codePage: ctx.codePage }, { idsetGiven: !upload });
    return { ec: ec.Success, created: src };
  });

  return m;
}
