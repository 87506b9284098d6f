// MS-OXCSTOR store ROPs: RopLogon (private mailbox; public folders refused), receive folders, store state, owning
// servers, ghosting, long-term IDs and the per-user information of public folders kept in a private mailbox.
//
// Choices where the spec leaves room (each documented at its handler):
// - a public-folder logon (LogonFlags without Private) is answered ecLoginFailure: this server hosts no public
//   folder container, which MS-OXCSTOR 3.2.5.1.2 treats as a failed lookup (EcDoConnectEx's AUX_EXORGINFO says so too);
// - RopLogon answers LogonTime in the server's local time (MS-OXCSTOR 2.2.1.1.3) and a GwartTime fixed at start-up;
// - undefined LogonFlags/OpenFlags bits are ignored (clients send more than the spec lists);
// - a private logon with another user's Essdn (how Outlook opens shared folders and delegate mailboxes) succeeds for
//   an enabled user of the directory: the LogonObject carries the session user as `delegateUser`, ResponseFlags has
//   neither OwnerRight nor SendAsRight, and every folder ROP asks the folder's permissions (oxcperm.ts); the owner's
//   store-level settings (RopSetReceiveFolder, RopWritePerUserInformation) are ecAccessDenied to it; ecLoginPerm
//   stays for a server without a directory;
// - RopGetOwningServers on a private logon answers this server's DN for an existing folder (the spec only says the
//   ROP SHOULD be sent on a public logon; the folder's one replica is here).
import type { MailboxOwner } from '../../mapistore/types.js';
import { LOGON_FOLDER_ORDER } from '../../mapistore/types.js';
import { toFileTime } from '../../mapi/props.js';
import { describeError } from '../../util/errors.js';
import { LogonFlags, ResponseFlags, type LogonTime, type RopLogonRequest, type RopLogonResponse } from '../codec/RopLogon.js';
import type { RopGetReceiveFolderRequest, RopGetReceiveFolderResponse } from '../codec/RopGetReceiveFolder.js';
import type { RopSetReceiveFolderRequest } from '../codec/RopSetReceiveFolder.js';
import type { RopGetReceiveFolderTableResponse } from '../codec/RopGetReceiveFolderTable.js';
import type { RopGetOwningServersRequest, RopGetOwningServersResponse } from '../codec/RopGetOwningServers.js';
import type { RopPublicFolderIsGhostedRequest, RopPublicFolderIsGhostedResponse } from '../codec/RopPublicFolderIsGhosted.js';
import type { RopLongTermIdFromIdRequest, RopLongTermIdFromIdResponse } from '../codec/RopLongTermIdFromId.js';
import type { RopIdFromLongTermIdRequest, RopIdFromLongTermIdResponse } from '../codec/RopIdFromLongTermId.js';
import type { RopGetPerUserLongTermIdsRequest, RopGetPerUserLongTermIdsResponse } from '../codec/RopGetPerUserLongTermIds.js';
import type { RopGetPerUserGuidRequest, RopGetPerUserGuidResponse } from '../codec/RopGetPerUserGuid.js';
import type { RopReadPerUserInformationRequest, RopReadPerUserInformationResponse } from '../codec/RopReadPerUserInformation.js';
import type { RopWritePerUserInformationRequest } from '../codec/RopWritePerUserInformation.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { guard, LogonObject, logonEntry, sessionUserOf, type LogonUser, type MailboxHandlerDeps } from './objects.js';

// MS-OXCROPS 2.2.3 RopIds of the store ROPs
export const STORE_ROP = {
  RopLogon: 0xfe,
  RopGetReceiveFolder: 0x27,
  RopSetReceiveFolder: 0x26,
  RopGetReceiveFolderTable: 0x68,
  RopGetStoreState: 0x7b,
  RopGetOwningServers: 0x42,
  RopPublicFolderIsGhosted: 0x45,
  RopLongTermIdFromId: 0x43,
  RopIdFromLongTermId: 0x44,
  RopGetPerUserLongTermIds: 0x60,
  RopGetPerUserGuid: 0x61,
  RopReadPerUserInformation: 0x63,
  RopWritePerUserInformation: 0x64,
} as const;

/** MS-OXCSTOR 2.2.1.1.3 ResponseFlags of the owner's own mailbox, as Exchange answers it. */
export const OWNER_RESPONSE_FLAGS = ResponseFlags.Reserved | ResponseFlags.OwnerRight | ResponseFlags.SendAsRight;
/** ResponseFlags of a delegate logon (another user's mailbox): neither OwnerRight nor SendAsRight. */
export const DELEGATE_RESPONSE_FLAGS = ResponseFlags.Reserved;

/** MS-OXCROPS 2.2.3.1.2 LogonTime of a Date, in the server's local time. */
export function localLogonTime(d: Date): LogonTime {
  return {
    Seconds: d.getSeconds(),
    Minutes: d.getMinutes(),
    Hour: d.getHours(),
    DayOfWeek: d.getDay(),
    Day: d.getDate(),
    Month: d.getMonth() + 1,
    Year: d.getFullYear(),
  };
}

/** Bytes of a RopReadPerUserInformation response besides Data: RopId, InputHandleIndex, ReturnValue, HasFinished, DataSize. */
const READ_PER_USER_OVERHEAD = 1 + 1 + 4 + 1 + 2;

const sameDn = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function ownerOf(u: LogonUser): MailboxOwner {
  return { username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN };
}

export function createStoreHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const gwartTime = toFileTime(new Date());
  const m = new Map<number, RopHandlerEntry>();
  const onLogon = <Req extends RopRequestHeader, B>(id: number, fn: (req: Req, logon: LogonObject, ctx: RopContext) => Promise<RopResult<B>> | RopResult<B>): void => {
    m.set(id, logonEntry(fn));
  };

  // MS-OXCSTOR 3.2.5.1 RopLogon
  m.set(STORE_ROP.RopLogon, {
    inputKinds: 'any',
    handle: (req: RopLogonRequest, ctx: RopContext) =>
      guard<RopLogonResponse>(ctx, async () => {
        if ((req.LogonFlags & LogonFlags.Private) === 0) {
          // no public folder container on this server (see the head of this file)
          ctx.log.info({ logonId: req.LogonId }, 'RopLogon to public folders refused: none hosted here');
          return { ec: ec.LoginFailure };
        }
        const me = sessionUserOf(ctx);
        if (!me) return { ec: ec.LoginFailure };
        if (me.enabled === false) return { ec: ec.UnknownUser };
        let owner: LogonUser = me;
        if (!sameDn(req.Essdn, me.legacyExchangeDN)) {
          // 3.2.5.1.1: an unknown DN is ecUnknownUser; another user's mailbox is a delegate logon (see the head)
          if (!deps.directory) return { ec: ec.LoginPerm };
          let other: LogonUser | null;
          try {
            other = await deps.directory.findUser(req.Essdn);
          } catch (e) {
            ctx.log.warn({ err: describeError(e) }, 'RopLogon: directory lookup failed');
            return { ec: ec.LoginFailure };
          }
          if (!other || !sameDn(other.legacyExchangeDN, req.Essdn) || other.enabled === false) return { ec: ec.UnknownUser };
          ctx.log.info({ essdn: req.Essdn }, "RopLogon to another user's mailbox: delegate access by folder permissions");
          owner = other;
        }
        const delegate = owner === me ? undefined : me.username;
        const store = await deps.store.openMailbox(ownerOf(owner));
        store.loggedOn?.();
        const logon = new LogonObject(req.LogonId, store, req.LogonFlags, req.OpenFlags, delegate);
        return {
          ec: ec.Success,
          created: logon,
          response: {
            LogonFlags: req.LogonFlags & (LogonFlags.Private | LogonFlags.Undercover | LogonFlags.Ghosted),
            FolderIds: LOGON_FOLDER_ORDER.map((k) => store.special[k]),
            ResponseFlags: delegate === undefined ? OWNER_RESPONSE_FLAGS : DELEGATE_RESPONSE_FLAGS,
            MailboxGuid: store.mailboxGuid,
            ReplId: store.replId,
            ReplGuid: store.replGuid,
            LogonTime: localLogonTime(new Date()),
            GwartTime: gwartTime,
            StoreState: 0,
          },
        };
      }),
  });

  // MS-OXCSTOR 3.2.5.2 RopGetReceiveFolder: the entry of the longest matching class prefix ("" matches all)
  onLogon<RopGetReceiveFolderRequest, RopGetReceiveFolderResponse>(STORE_ROP.RopGetReceiveFolder, async (req, logon) => {
    const r = await logon.store.getReceiveFolder(req.MessageClass);
    return { ec: ec.Success, response: { FolderId: r.fid, ExplicitMessageClass: r.explicitClass } };
  });

  // MS-OXCSTOR 3.2.5.3 RopSetReceiveFolder: FolderId 0 removes the class's entry (not the default "" one)
  onLogon<RopSetReceiveFolderRequest, Record<string, never>>(STORE_ROP.RopSetReceiveFolder, async (req, logon) => {
    // the mailbox owner's setting: not a delegate's to change
    if (logon.delegateUser !== undefined) return { ec: ec.AccessDenied };
    if (req.FolderId !== 0n && !(await logon.store.folderExists(req.FolderId))) return { ec: ec.NotFound };
    await logon.store.setReceiveFolder(req.MessageClass, req.FolderId);
    return { ec: ec.Success };
  });

  // MS-OXCSTOR 3.2.5.4 RopGetReceiveFolderTable
  onLogon<RopRequestHeader, RopGetReceiveFolderTableResponse>(STORE_ROP.RopGetReceiveFolderTable, async (_req, logon) => {
    const rows = await logon.store.receiveFolderTable();
    return {
      ec: ec.Success,
      response: { Rows: rows.map((r) => ({ FolderId: r.fid, MessageClass: r.messageClass, LastModificationTime: r.lastModified })) },
    };
  });

  // MS-OXCSTOR 3.2.5.5 RopGetStoreState: no search folders are being populated in the background
  onLogon<RopRequestHeader, { StoreState: number }>(STORE_ROP.RopGetStoreState, () => ({ ec: ec.Success, response: { StoreState: 0 } }));

  // MS-OXCSTOR 3.2.5.6 RopGetOwningServers
  onLogon<RopGetOwningServersRequest, RopGetOwningServersResponse>(STORE_ROP.RopGetOwningServers, async (req, logon) => {
    if (!(await logon.store.folderExists(req.FolderId))) return { ec: ec.NotFound };
    return { ec: ec.Success, response: { OwningServers: [deps.serverDn], CheapServersCount: 1 } };
  });

  // MS-OXCSTOR 3.2.5.7 RopPublicFolderIsGhosted: MUST be FALSE on a private mailbox
  onLogon<RopPublicFolderIsGhostedRequest, RopPublicFolderIsGhostedResponse>(STORE_ROP.RopPublicFolderIsGhosted, () => ({
    ec: ec.Success,
    response: { IsGhosted: 0 },
  }));

  // MS-OXCSTOR 3.2.5.8 RopLongTermIdFromId / 3.2.5.9 RopIdFromLongTermId (unknown replica: ecNotFound)
  onLogon<RopLongTermIdFromIdRequest, RopLongTermIdFromIdResponse>(STORE_ROP.RopLongTermIdFromId, (req, logon) => ({
    ec: ec.Success,
    response: { LongTermId: logon.store.longTermIdFromId(req.ObjectId) },
  }));
  onLogon<RopIdFromLongTermIdRequest, RopIdFromLongTermIdResponse>(STORE_ROP.RopIdFromLongTermId, (req, logon) => ({
    ec: ec.Success,
    response: { ObjectId: logon.store.idFromLongTermId(req.LongTermId) },
  }));

  // MS-OXCSTOR 3.2.5.10-13 per-user information of public folders, cached in the private mailbox
  onLogon<RopGetPerUserLongTermIdsRequest, RopGetPerUserLongTermIdsResponse>(STORE_ROP.RopGetPerUserLongTermIds, async (req, logon) => ({
    ec: ec.Success,
    response: { LongTermIds: await logon.store.perUserLongTermIds(req.DatabaseGuid) },
  }));
  onLogon<RopGetPerUserGuidRequest, RopGetPerUserGuidResponse>(STORE_ROP.RopGetPerUserGuid, async (req, logon) => ({
    ec: ec.Success,
    response: { DatabaseGuid: await logon.store.perUserGuid(req.LongTermId) },
  }));
  onLogon<RopReadPerUserInformationRequest, RopReadPerUserInformationResponse>(STORE_ROP.RopReadPerUserInformation, async (req, logon, ctx) => {
    // what fits in the output buffer (the client reads on from DataOffset + DataSize); with no room at all the
    // dispatcher answers RopBufferTooSmall
    const room = ctx.outputSpace - READ_PER_USER_OVERHEAD;
    const max = room > 0 ? Math.min(req.MaxDataSize, room) : req.MaxDataSize;
    const r = await logon.store.readPerUserInformation(req.FolderId, req.DataOffset, max);
    return { ec: ec.Success, response: { HasFinished: r.hasFinished ? 1 : 0, Data: r.data } };
  });
  onLogon<RopWritePerUserInformationRequest, Record<string, never>>(STORE_ROP.RopWritePerUserInformation, async (req, logon) => {
    if (logon.delegateUser !== undefined) return { ec: ec.AccessDenied };
    await logon.store.writePerUserInformation(req.FolderId, req.DataOffset, req.Data, req.HasFinished !== 0, req.ReplGuid);
    return { ec: ec.Success };
  });

  return m;
}
