// MS-OXCPERM folder permissions: RopGetPermissionsTable (a Table object over the folder's permissions list, read with
// the MS-OXCTABL ROPs of oxctabl.ts), RopModifyPermissions, and the rights lookup every handler asks through
// objects.ts folderRights(): the mailbox owner has every right; a delegate logon (another user's mailbox, see
// oxcstor.ts RopLogon) has what the folder's entry for that user grants, else what its Default member grants.
//
// Roles (MS-OXCPERM 2.2.7 / 3.1.4.1) are no more than combinations of the PidTagMemberRights bits; clients show the
// role whose bits match (ROLE below, the values Outlook and Exchange use):
//   Owner             ReadAny|Create|EditOwned|DeleteOwned|EditAny|DeleteAny|CreateSubFolder|FolderOwner|FolderContact|FolderVisible 0x7FB
//   PublishingEditor  ReadAny|Create|EditOwned|DeleteOwned|EditAny|DeleteAny|CreateSubFolder|FolderVisible                           0x4FB
//   Editor            ReadAny|Create|EditOwned|DeleteOwned|EditAny|DeleteAny|FolderVisible                                           0x47B
//   PublishingAuthor  ReadAny|Create|EditOwned|DeleteOwned|CreateSubFolder|FolderVisible                                             0x49B
//   Author            ReadAny|Create|EditOwned|DeleteOwned|FolderVisible                                                             0x41B
//   NonEditingAuthor  ReadAny|Create|DeleteOwned|FolderVisible                                                                       0x413
//   Reviewer          ReadAny|FolderVisible                                                                                          0x401
//   Contributor       Create|FolderVisible                                                                                           0x402
//   None              0
// plus, on a Calendar, FreeBusySimple 0x800 / FreeBusyDetailed 0x1000 (only with IncludeFreeBusy).
//
// Choices where the spec leaves room:
// - RopGetPermissionsTable needs FolderVisible (or FolderOwner) on the folder, RopModifyPermissions FolderOwner; the
//   mailbox owner always may (ecAccessDenied otherwise);
// - table rows: Default first (PidTagMemberName "", PidTagEntryId empty), Anonymous ("Anonymous", empty entry id),
//   then the users with their address-book EntryID (MS-OXCDATA 2.2.5.2), as MS-OXCPERM 4.1-4.3 show; without
//   IncludeFreeBusy the FreeBusy bits are left out of PidTagMemberRights (2.2.1.1); undefined TableFlags and
//   ModifyFlags bits are ignored;
// - RopModifyPermissions without IncludeFreeBusy keeps each entry's stored FreeBusy bits (2.2.2.1 says the server
//   applies them only with the flag); all rows are resolved first and applied in one store transaction, so a bad row
//   (ecInvalidParam: missing PidTagMemberId / PidTagEntryId / PidTagMemberRights, an undefined PermissionDataFlags
//   value, a non-AddRow row with ReplaceRows; ecInvalidEntryId: an EntryID that is no address-book EntryID;
//   ecNotFound: an unknown user or member id) changes nothing;
// - an AddRow with PidTagMemberId 0 or 0xFFFFFFFFFFFFFFFF sets the Default / Anonymous member (clients copying an
//   ACL with ReplaceRows send them so); ROW_EMPTY (AddRow|RemoveRow) rows are skipped;
// - a permissions table is read again through permissionRows() after its folder's list changed (the store reports
//   the change as ObjectModified of the folder; notif-tables.ts), so an open table shows the list as it is now.
import { addressBookEntryId, EntryIdError, MUID_ADDRESS_BOOK } from '../../mapi/entryid.js';
import type { PropValue, TaggedValue } from '../../mapi/props.js';
import { TableView } from '../../mapi/table/index.js';
import type { TableRow } from '../../mapi/table/index.js';
import { SEC, StoreError } from '../../mapistore/errors.js';
import {
  MEMBER_ID_ANONYMOUS, MEMBER_ID_DEFAULT, MEMBER_RIGHTS_FREEBUSY,
  type MailboxStore, type PermissionChange, type PermissionMember,
} from '../../mapistore/types.js';
import { readGuid } from '../../util/guid.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader } from '../types.js';
import type { PropTarget } from './prpt-target.js';
import { setTableRowsReader } from './notif-tables.js';
import {
  ALL_RIGHTS, checkedLogon, FolderObject, folderRights, guard, RIGHTS, setFolderRightsLookup, TableObject,
  type LogonObject, type MailboxHandlerDeps,
} from './objects.js';

// MS-OXCROPS 2.2.10 RopIds of the permission ROPs
export const PERM_ROP = {
  RopModifyPermissions: 0x40,
  RopGetPermissionsTable: 0x3e,
} as const;

/** MS-OXCPERM 2.2.1.1 TableFlags / 2.2.2.1 ModifyFlags. */
export const PERM_TABLE_INCLUDE_FREEBUSY = 0x02;
export const MODIFY_REPLACE_ROWS = 0x01;
export const MODIFY_INCLUDE_FREEBUSY = 0x02;
/** MS-OXCPERM 2.2.4 PermissionDataFlags (the MAPI ROWENTRY flags). */
export const ROW_ADD = 0x01;
export const ROW_MODIFY = 0x02;
export const ROW_REMOVE = 0x04;
const ROW_EMPTY = ROW_ADD | ROW_REMOVE;

/** MS-OXCPERM 2.2.3-2.2.8 the properties of a permissions row. */
export const PERM_TAG = {
  EntryId: 0x0fff0102,
  MemberId: 0x66710014,
  MemberName: 0x6672001f,
  MemberRights: 0x66730003,
} as const;

/** Roles as rights (see the head of this file). */
export const ROLE = {
  Owner: 0x7fb,
  PublishingEditor: 0x4fb,
  Editor: 0x47b,
  PublishingAuthor: 0x49b,
  Author: 0x41b,
  NonEditingAuthor: 0x413,
  Reviewer: 0x401,
  Contributor: 0x402,
  None: 0,
} as const;

export interface RopGetPermissionsTableRequest extends RopRequestHeader {
  TableFlags: number;
}
export interface PermissionData {
  DataFlags: number;
  PermissionDataEntries: TaggedValue[];
}
export interface RopModifyPermissionsRequest extends RopRequestHeader {
  ModifyFlags: number;
  PermissionsData: PermissionData[];
}

// ---- MS-OXCDATA 2.2.5.2 Address Book EntryID (the PidTagEntryId of a permissions row) ------------------------------

/** Flags (4) + ProviderUID (16) + Version (4) + Type (4) before the X500DN. */
const AB_FIXED = 28;
/** Longest DN accepted (the directory's DNs are far shorter). */
const AB_MAX_DN = 1024;

/** An Address Book EntryID's display type and X500 DN; EntryIdError for anything else. */
export function decodeAddressBookEntryId(b: Uint8Array): { type: number; dn: string } {
  if (b.length < AB_FIXED + 2) throw new EntryIdError('OC_ENTRYID_SHORT', `address book entry ID of ${b.length} bytes`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.readUInt32LE(0) !== 0) throw new EntryIdError('OC_ENTRYID_FLAGS', 'address book entry ID with nonzero Flags');
  if (readGuid(buf, 4) !== MUID_ADDRESS_BOOK) throw new EntryIdError('OC_ENTRYID_PROVIDER', 'not an address book entry ID');
  if (buf.readUInt32LE(20) !== 1) throw new EntryIdError('OC_ENTRYID_VERSION', 'address book entry ID version is not 1');
  const type = buf.readUInt32LE(24);
  const end = buf.indexOf(0, AB_FIXED);
  if (end !== buf.length - 1) throw new EntryIdError('OC_ENTRYID_DN', 'the X500 DN must end the entry ID with one NUL');
  const dn = buf.toString('latin1', AB_FIXED, end);
  // eslint-disable-next-line no-control-regex
  if (dn.length === 0 || dn.length > AB_MAX_DN || /[^\x01-\x7f]/.test(dn)) throw new EntryIdError('OC_ENTRYID_DN', 'bad X500 DN');
  return { type, dn };
}

// ---- rights ----------------------------------------------------------------------------------------------------------

/** The rights lookup installed into objects.ts: owner all, delegate what the folder's list grants (0 for no folder). */
export async function storeFolderRights(logon: LogonObject, fid: bigint): Promise<number> {
  if (logon.delegateUser === undefined) return ALL_RIGHTS;
  try {
    return await logon.store.rightsOf(fid, logon.delegateUser);
  } catch (e) {
    if (e instanceof StoreError && e.ec === SEC.NotFound) return 0;
    throw e;
  }
}

/**
 * True when the session user of `logon` has at least one of the `anyOf` rights on the folder (the mailbox owner:
 * always). FolderOwner counts as every right (MAPI's frightsOwner: "all the previous rights on the folder"), as the
 * message handlers read it too.
 */
export async function mayAny(logon: LogonObject, fid: bigint, anyOf: number): Promise<boolean> {
  if (logon.delegateUser === undefined) return true;
  return ((await folderRights(logon, fid)) & (anyOf | RIGHTS.FolderOwner)) !== 0;
}

/** MS-OXPROPS PidTagCreatorEntryId: who created a message (DeleteOwned / EditOwned compare it with the delegate). */
export const TAG_CREATOR_ENTRY_ID = 0x3ff90102;

/**
 * The messages of `mids` the user with `dn` created (their PidTagCreatorEntryId is that user's address-book
 * EntryID): what DeleteOwned lets a delegate delete. A message without the property belongs to the mailbox owner.
 */
export async function ownedMessages(store: MailboxStore, mids: readonly bigint[], dn: string): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const mid of mids) {
    let r;
    try {
      [r] = await store.getMessageProps(mid, [TAG_CREATOR_ENTRY_ID]);
    } catch (e) {
      if (e instanceof StoreError && e.ec === SEC.NotFound) continue;
      throw e;
    }
    const v = r && 'value' in r ? r.value : undefined;
    if (!Buffer.isBuffer(v)) continue;
    try {
      if (decodeAddressBookEntryId(v).dn.toLowerCase() === dn.toLowerCase()) out.push(mid);
    } catch (e) {
      if (!(e instanceof EntryIdError)) throw e;
    }
  }
  return out;
}

/** MS-OXPROPS PidTagRights: the session user's rights on the folder (MS-OXCPERM 2.2.7 bits, FreeBusy ones left out). */
export const TAG_RIGHTS = 0x66390003;

/** Refuses a change a delegate may not make (StoreError ecAccessDenied: the handler's guard answers it). */
export async function delegateDenied(): Promise<never> {
  throw new StoreError('OC_STORE_ACCESS_DENIED', SEC.AccessDenied, "a delegate cannot change the mailbox owner's store properties");
}

/**
 * The property calls of a folder opened through a delegate logon: PidTagRights answers the delegate's rights, and
 * changing properties (RopSetProperties, RopDeleteProperties, copies onto it) needs FolderOwner (ecAccessDenied).
 */
export function delegateFolderTarget(t: PropTarget, logon: LogonObject, fid: bigint): PropTarget {
  const needOwner = async (): Promise<void> => {
    if (!(await mayAny(logon, fid, RIGHTS.FolderOwner))) {
      throw new StoreError('OC_STORE_ACCESS_DENIED', SEC.AccessDenied, `FolderOwner right needed on folder 0x${fid.toString(16)}`);
    }
  };
  return {
    ...t,
    get: async (tags) => {
      const r = await t.get(tags);
      if (!r.some((x) => x.tag >>> 0 === TAG_RIGHTS)) return r;
      const rights = (await folderRights(logon, fid)) & ~MEMBER_RIGHTS_FREEBUSY;
      return r.map((x) => (x.tag >>> 0 === TAG_RIGHTS ? { tag: TAG_RIGHTS, value: rights } : x));
    },
    set: async (v) => {
      await needOwner();
      return t.set(v);
    },
    delete: async (tags) => {
      await needOwner();
      return t.delete(tags);
    },
  };
}

/**
 * A new subfolder's permissions list (RopCreateFolder): a copy of its parent's (as Exchange does), and the delegate
 * who created it, if one did, as its Owner. Nothing is written when there is nothing to copy.
 */
export async function inheritPermissions(store: MailboxStore, parent: bigint, child: bigint, creator?: PermissionMember): Promise<void> {
  const list = await store.getPermissions(parent);
  const changes: PermissionChange[] = [];
  for (const p of list) {
    if (p.memberId === MEMBER_ID_DEFAULT || p.memberId === MEMBER_ID_ANONYMOUS) {
      if (p.rights !== 0) changes.push({ op: 'modify', memberId: p.memberId, rights: p.rights });
    } else {
      changes.push({ op: 'add', member: { username: p.username, displayName: p.displayName, legacyDn: p.legacyDn }, rights: p.rights });
    }
  }
  if (creator) changes.push({ op: 'add', member: creator, rights: ROLE.Owner | (list.find((p) => p.username.toLowerCase() === creator.username.toLowerCase())?.rights ?? 0) });
  if (changes.length > 0) await store.modifyPermissions(child, changes);
}

// ---- the table ----------------------------------------------------------------------------------------------------------

/** Rows of the permissions table of `fid` (MS-OXCPERM 2.2.1): id = PidTagMemberId. */
export async function permissionRows(store: MailboxStore, fid: bigint, includeFreeBusy: boolean): Promise<TableRow[]> {
  const list = await store.getPermissions(fid);
  return list.map((p) => ({
    id: p.memberId,
    props: new Map<number, PropValue>([
      [PERM_TAG.MemberId, p.memberId],
      [PERM_TAG.MemberName, p.displayName],
      [PERM_TAG.MemberRights, includeFreeBusy ? p.rights : p.rights & ~MEMBER_RIGHTS_FREEBUSY],
      [PERM_TAG.EntryId, p.legacyDn === '' ? Buffer.alloc(0) : addressBookEntryId(p.legacyDn)],
    ]),
  }));
}

setTableRowsReader('permissions', (t) =>
  t.source.type === 'permissions' ? permissionRows(t.logon.store, t.source.fid, t.source.includeFreeBusy) : Promise.resolve([]),
);

/** The folder object the ROP runs on, with its logon checked against the request's LogonId. */
function folderOf(req: RopRequestHeader, ctx: RopContext): FolderObject | undefined {
  const logon = checkedLogon(req, ctx);
  const folder = ctx.input;
  return logon && folder instanceof FolderObject && folder.logon === logon ? folder : undefined;
}

const valueOf = (row: readonly TaggedValue[], tag: number): PropValue | undefined => row.find((v) => v.tag >>> 0 === tag)?.value;

/** A failure of one PermissionData row: the ROP's ec, and a log line naming the row. */
class RowError extends Error {
  constructor(readonly ec: number, message: string) {
    super(message);
  }
}

export function createPermissionHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  setFolderRightsLookup(storeFolderRights);
  const m = new Map<number, RopHandlerEntry>();

  // MS-OXCPERM 3.2.5.1 RopGetPermissionsTable
  m.set(PERM_ROP.RopGetPermissionsTable, {
    inputKinds: ['folder'],
    handle: (req: RopGetPermissionsTableRequest, ctx: RopContext) => {
      const folder = folderOf(req, ctx);
      if (!folder) return { ec: ec.NullObject };
      return guard(ctx, async () => {
        const logon = folder.logon;
        if (!(await mayAny(logon, folder.fid, RIGHTS.FolderVisible))) return { ec: ec.AccessDenied };
        const includeFreeBusy = (req.TableFlags & PERM_TABLE_INCLUDE_FREEBUSY) !== 0;
        const rows = await permissionRows(logon.store, folder.fid, includeFreeBusy);
        const table = new TableObject(req.LogonId, logon, logon, { type: 'permissions', fid: folder.fid, includeFreeBusy }, req.TableFlags, new TableView(rows));
        return { ec: ec.Success, created: table, response: {} };
      });
    },
  });

  /** One PermissionData row as a store change (directory lookups for AddRow). */
  const toChange = async (row: PermissionData, keepFreeBusy: boolean, replace: boolean): Promise<PermissionChange | null> => {
    const flags = row.DataFlags;
    if (flags === ROW_EMPTY) return null;
    if (flags !== ROW_ADD && flags !== ROW_MODIFY && flags !== ROW_REMOVE) throw new RowError(ec.InvalidParam, `PermissionDataFlags 0x${flags.toString(16)}`);
    if (replace && flags !== ROW_ADD) throw new RowError(ec.InvalidParam, 'ReplaceRows with a row that is not AddRow');
    const vals = row.PermissionDataEntries;
    const memberId = valueOf(vals, PERM_TAG.MemberId);
    if (memberId !== undefined && typeof memberId !== 'bigint') throw new RowError(ec.InvalidParam, 'PidTagMemberId is not PtypInteger64');
    if (flags === ROW_REMOVE) {
      if (memberId === undefined) throw new RowError(ec.InvalidParam, 'RemoveRow without PidTagMemberId');
      return { op: 'remove', memberId };
    }
    const rights = valueOf(vals, PERM_TAG.MemberRights);
    if (typeof rights !== 'number') throw new RowError(ec.InvalidParam, 'row without PidTagMemberRights');
    if (flags === ROW_MODIFY || (memberId !== undefined && (memberId === MEMBER_ID_DEFAULT || memberId === MEMBER_ID_ANONYMOUS))) {
      if (memberId === undefined) throw new RowError(ec.InvalidParam, 'ModifyRow without PidTagMemberId');
      return { op: 'modify', memberId, rights, keepFreeBusy };
    }
    const entryId = valueOf(vals, PERM_TAG.EntryId);
    if (!Buffer.isBuffer(entryId)) throw new RowError(ec.InvalidParam, 'AddRow without PidTagEntryId');
    let dn: string;
    try {
      dn = decodeAddressBookEntryId(entryId).dn;
    } catch (e) {
      if (e instanceof EntryIdError) throw new RowError(ec.InvalidEntryId, `AddRow PidTagEntryId: ${e.message}`);
      throw e;
    }
    const user = deps.directory ? await deps.directory.findUser(dn) : null;
    if (!user || user.legacyExchangeDN.toLowerCase() !== dn.toLowerCase() || user.enabled === false) {
      throw new RowError(ec.NotFound, `AddRow: no user ${dn}`);
    }
    return { op: 'add', member: { username: user.username, displayName: user.displayName, legacyDn: user.legacyExchangeDN }, rights, keepFreeBusy };
  };

  // MS-OXCPERM 3.2.5.2 RopModifyPermissions
  m.set(PERM_ROP.RopModifyPermissions, {
    inputKinds: ['folder'],
    handle: (req: RopModifyPermissionsRequest, ctx: RopContext) => {
      const folder = folderOf(req, ctx);
      if (!folder) return { ec: ec.NullObject };
      return guard(ctx, async () => {
        const logon = folder.logon;
        if (!(await mayAny(logon, folder.fid, RIGHTS.FolderOwner))) return { ec: ec.AccessDenied };
        if (!(await logon.store.folderExists(folder.fid))) return { ec: ec.NotFound };
        const replace = (req.ModifyFlags & MODIFY_REPLACE_ROWS) !== 0;
        const keepFreeBusy = (req.ModifyFlags & MODIFY_INCLUDE_FREEBUSY) === 0;
        const changes: PermissionChange[] = [];
        for (const [i, row] of req.PermissionsData.entries()) {
          try {
            const c = await toChange(row, keepFreeBusy, replace);
            if (c) changes.push(c);
          } catch (e) {
            if (!(e instanceof RowError)) throw e;
            ctx.log.info({ row: i, err: e.message }, 'RopModifyPermissions refused, nothing changed');
            return { ec: e.ec };
          }
        }
        try {
          await logon.store.modifyPermissions(folder.fid, changes, { replace });
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          ctx.log.info({ err: e.message }, 'RopModifyPermissions refused, nothing changed');
          return { ec: e.ec };
        }
        return { ec: ec.Success, response: {} };
      });
    },
  });

  return m;
}
