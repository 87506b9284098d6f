// MS-OXOMSG ROPs (issue 6 item 3): RopSubmitMessage, RopAbortSubmit, RopGetAddressTypes, RopSetSpooler,
// RopSpoolerLockMessage, RopTransportSend, RopTransportNewMail, RopGetTransportFolder, RopOptionsData. Delivery
// itself (local Inboxes, SMTP relay, non-delivery reports) is src/transport; the handlers reach it through
// `deps.transport` (src/server.ts passes the configured one; without it a local-only transport is made here).
//
// Choices where the spec leaves room (each also at its handler):
// - RopSubmitMessage saves the message's pending changes first (as IMessage::SubmitMessage does) and delivers before
//   answering: local recipients and the sender's copy (Sent Items / deleted) are done when the response goes out,
//   the SMTP part continues in the background and answers failures with a non-delivery report;
// - SubmitFlags PreProcess (0x01) and NeedsSpooler (0x02) are recorded in PidTagSubmitFlags but the server still
//   delivers itself: Exchange 2010 and later have no client spooler role (a client spooler may still drive
//   RopSetSpooler / RopSpoolerLockMessage / RopTransportSend, which are answered consistently);
// - RopAbortSubmit: delivery is finished when RopSubmitMessage answers, so a submitted message is ecUnableToAbort
//   and any other ecNotInQueue (ecNotFound for a MID the folder does not hold);
// - RopTransportSend answers NoPropertiesReturned = 1 (no property values): the message is delivered by the server;
// - RopOptionsData answers as Exchange 2010 and later: Reserved 0x01, no OptionsInfo, no help file (there are no
//   transport option DLLs for EX or SMTP), for any address type.
import { ec } from '../ec.js';
import type { MailboxStore } from '../../mapistore/types.js';
import { MailTransport } from '../../transport/submit.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { checkedLogon, guard, logonEntry, MessageServerObject, sessionUserOf, type LogonObject, type MailboxHandlerDeps } from './objects.js';

// MS-OXCROPS 2.2.7 RopIds of the transport ROPs
export const OXOMSG_ROP = {
  RopSubmitMessage: 0x32,
  RopAbortSubmit: 0x34,
  RopSetSpooler: 0x47,
  RopSpoolerLockMessage: 0x48,
  RopGetAddressTypes: 0x49,
  RopTransportSend: 0x4a,
  RopTransportNewMail: 0x51,
  RopGetTransportFolder: 0x6d,
  RopOptionsData: 0x6f,
} as const;

// MS-OXCDATA 2.4 codes of these ROPs not (yet) in ../ec.ts
/** ecNotInQueue (MAPI_E_NOT_IN_QUEUE): RopAbortSubmit on a message that is not waiting to be sent. */
export const EC_NOT_IN_QUEUE = 0x80040601;

// MS-OXOMSG 2.2.3.1.1 SubmitFlags
export const SUBMIT_FLAGS = { None: 0x00, PreProcess: 0x01, NeedsSpooler: 0x02 } as const;
// MS-OXOMSG 2.2.3.5.1 LockState
export const LOCK_STATE = { Lock: 0x00, Unlock: 0x01, Finished: 0x02 } as const;

/** The address types this server sends to (MS-OXOMSG 2.2.3.3 RopGetAddressTypes). */
export const ADDRESS_TYPES = ['EX', 'SMTP'] as const;

/** What the handlers need of the transport (src/transport/submit.ts MailTransport is one). */
export interface MessageSubmitter {
  submit(req: {
    mailbox: MailboxStore;
    mid: bigint;
    sender?: { username: string; displayName: string; legacyExchangeDN: string };
    submitFlags?: number;
  }): Promise<unknown>;
  /** RopSpoolerLockMessage lstFinished: the sender's copy goes to Sent Items or is deleted. */
  finishSpooled(mailbox: MailboxStore, mid: bigint): Promise<void>;
}

const PidTagClientSubmitTime = 0x00390040;
const PidTagMessageFlags = 0x0e070003;
const mfUnsent = 0x08;

export function createMessagingHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const transport: MessageSubmitter =
    deps.transport ??
    new MailTransport({ store: deps.store, directory: deps.directory, log: deps.log, localDomain: 'localhost', heloName: 'localhost', smtp: null });
  const m = new Map<number, RopHandlerEntry>();

  const onLogon = <Req extends RopRequestHeader, B>(id: number, fn: (req: Req, logon: LogonObject, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>): void => {
    m.set(id, logonEntry(fn));
  };

  /** The top-level message a submit ROP runs on, saved (pending changes stored, a new message gets its MID). */
  const savedMessage = async (req: RopRequestHeader, ctx: RopContext): Promise<{ obj: MessageServerObject; logon: LogonObject } | number> => {
    const logon = checkedLogon(req, ctx);
    const obj = ctx.input;
    if (!logon || !(obj instanceof MessageServerObject) || obj.logon !== logon) return ec.NullObject;
    if (obj.msg.embedded) return ec.NotSupported;
    if (obj.openMode !== 0) await obj.msg.save();
    if (obj.mid === 0n) return ec.NotFound;
    return { obj, logon };
  };

  const submitOn = (id: number, answer: Record<string, unknown>) =>
    m.set(id, {
      inputKinds: ['message'],
      handle: (req: RopRequestHeader & { SubmitFlags?: number }, ctx: RopContext) =>
        guard(ctx, async () => {
          const s = await savedMessage(req, ctx);
          if (typeof s === 'number') return { ec: s };
          const user = sessionUserOf(ctx);
          await transport.submit({
            mailbox: s.logon.store,
            mid: s.obj.mid,
            sender: user ? { username: user.username, displayName: user.displayName, legacyExchangeDN: user.legacyExchangeDN } : undefined,
            submitFlags: req.SubmitFlags ?? 0,
          });
          return { ec: ec.Success, response: answer };
        }),
    });

  // MS-OXOMSG 3.2.5.1 RopSubmitMessage
  submitOn(OXOMSG_ROP.RopSubmitMessage, {});
  // MS-OXOMSG 3.2.5.6 RopTransportSend: delivered by the server, no property values returned
  submitOn(OXOMSG_ROP.RopTransportSend, { NoPropertiesReturned: 1, PropertyValues: [] });

  // MS-OXOMSG 3.2.5.2 RopAbortSubmit
  onLogon<RopRequestHeader & { FolderId: bigint; MessageId: bigint }, Record<string, never>>(OXOMSG_ROP.RopAbortSubmit, async (req, logon) => {
    const mb = logon.store;
    const fid = await mb.folderOfMessage(req.MessageId);
    if (fid === null) return { ec: EC_NOT_IN_QUEUE };
    if (fid !== req.FolderId && !(await mb.folderExists(req.FolderId))) return { ec: ec.NotFound };
    const [submitted, flags] = await mb.getMessageProps(req.MessageId, [PidTagClientSubmitTime, PidTagMessageFlags]);
    const wasSubmitted = submitted !== undefined && 'value' in submitted && flags !== undefined && 'value' in flags && ((flags.value as number) & mfUnsent) === 0;
    return { ec: wasSubmitted ? ec.UnableToAbort : EC_NOT_IN_QUEUE };
  });

  // MS-OXOMSG 3.2.5.3 RopGetAddressTypes
  onLogon<RopRequestHeader, { AddressTypes: string[] }>(OXOMSG_ROP.RopGetAddressTypes, () => ({ ec: ec.Success, response: { AddressTypes: [...ADDRESS_TYPES] } }));

  // MS-OXOMSG 3.2.5.4 RopSetSpooler: the client announces it acts as a spooler; nothing to keep
  onLogon<RopRequestHeader, Record<string, never>>(OXOMSG_ROP.RopSetSpooler, () => ({ ec: ec.Success }));

  // MS-OXOMSG 3.2.5.5 RopSpoolerLockMessage
  onLogon<RopRequestHeader & { MessageId: bigint; LockState: number }, Record<string, never>>(OXOMSG_ROP.RopSpoolerLockMessage, async (req, logon) => {
    if (req.LockState > LOCK_STATE.Finished) return { ec: ec.InvalidParam };
    if (!(await logon.store.messageExists(req.MessageId))) return { ec: ec.NotFound };
    if (req.LockState === LOCK_STATE.Finished) await transport.finishSpooled(logon.store, req.MessageId);
    return { ec: ec.Success };
  });

  // MS-OXOMSG 3.2.5.7 RopTransportNewMail: the NewMail event for a message the client placed
  onLogon<RopRequestHeader & { MessageId: bigint; FolderId: bigint; MessageClass: string; MessageFlags: number }, Record<string, never>>(
    OXOMSG_ROP.RopTransportNewMail,
    async (req, logon) => {
      if ((await logon.store.folderOfMessage(req.MessageId)) !== req.FolderId) return { ec: ec.NotFound };
      await logon.store.notifyNewMail(req.FolderId, req.MessageId);
      return { ec: ec.Success };
    },
  );

  // MS-OXOMSG 3.2.5.8 RopGetTransportFolder: the Outbox
  onLogon<RopRequestHeader, { FolderId: bigint }>(OXOMSG_ROP.RopGetTransportFolder, (_req, logon) => ({ ec: ec.Success, response: { FolderId: logon.store.special.outbox } }));

  // MS-OXOMSG 3.2.5.9 RopOptionsData: no transport options for EX or SMTP (Exchange 2010 and later)
  onLogon<RopRequestHeader & { AddressType: string; WantWin32: number }, { Reserved: number; OptionsInfo: Buffer; HelpFile: Buffer }>(OXOMSG_ROP.RopOptionsData, () => ({
    ec: ec.Success,
    response: { Reserved: 1, OptionsInfo: Buffer.alloc(0), HelpFile: Buffer.alloc(0) },
  }));

  return m;
}
