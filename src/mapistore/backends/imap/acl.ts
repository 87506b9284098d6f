// Folder permissions (MS-OXCPERM 2.2.7 PidTagMemberRights) <-> IMAP access rights (RFC 4314 2.1 "lrswipkxtea",
// 2.1.1 the obsolete "c" and "d", 2.2 identifiers; docs/imap.md "ACL"). Pure functions: the rights mapping both ways,
// the merge of a GETACL row with the local permissions row, and the reader of GETACL / MYRIGHTS responses (outside
// bytes: every malformed answer is an AclError with a stable code, never a RangeError).
//
// Choices where the specs leave room:
// - FolderVisible -> l; ReadAny -> r s (reading includes keeping \Seen); Create -> i p; EditOwned or EditAny -> w
//   (IMAP messages cannot be edited in place, only their flags; an edit through the write-back APPENDs, so it needs
//   Create too); DeleteOwned or DeleteAny -> t e; CreateSubFolder -> k; FolderOwner -> a x (deleting the folder needs
//   FolderOwner in MAPI). FolderContact and FreeBusySimple/Detailed have no IMAP right: they stay in the local
//   permissions table only (LOCAL_ONLY_RIGHTS).
// - IMAP has no message ownership: EditOwned and EditAny give the same w, DeleteOwned and DeleteAny the same t e. The
//   reverse mapping therefore gives both bits of a pair; the local row keeps the exact MAPI bits, and mergeRights
//   keeps them as long as they still map to what GETACL shows.
// - reverse: l FolderVisible, r ReadAny, i Create, w EditOwned|EditAny, t or d DeleteOwned|DeleteAny, k or c
//   CreateSubFolder, a FolderOwner; s, p, e, x alone give nothing (no MAPI right is that small); unknown letters
//   (RFC 4314 2.1: servers may add their own) are ignored.
// - identifiers: the MAPI Default member is "anyone" (RFC 4314 2.2; Dovecot's "authenticated" reads as Default too);
//   the Anonymous member stays local (the server never lets anonymous users reach IMAP); negative rights
//   ("-user", 2.2) and group identifiers ("$group", Dovecot "group=", "group-override=") are not shown as members:
//   MS-OXCPERM has no negative rights, and groups are not members here (docs/permissions.md "Not done").
import { MEMBER_RIGHTS_ALL } from '../../types.js';

/** MS-OXCPERM 2.2.7 PidTagMemberRights bits. */
export const RIGHT = {
  ReadAny: 0x1,
  Create: 0x2,
  EditOwned: 0x8,
  DeleteOwned: 0x10,
  EditAny: 0x20,
  DeleteAny: 0x40,
  CreateSubFolder: 0x80,
  FolderOwner: 0x100,
  FolderContact: 0x200,
  FolderVisible: 0x400,
  FreeBusySimple: 0x800,
  FreeBusyDetailed: 0x1000,
} as const;

/** Bits with no IMAP right: kept in the local permissions table only. */
export const LOCAL_ONLY_RIGHTS = RIGHT.FolderContact | RIGHT.FreeBusySimple | RIGHT.FreeBusyDetailed;

/** RFC 4314 identifier of the MAPI Default member. */
export const ANYONE = 'anyone';

export class AclError extends Error {
  constructor(readonly code: 'OC_IMAP_ACL_PARSE', message: string) {
    super(message);
    this.name = 'AclError';
  }
}

/** The order rights are written in (RFC 4314 2.1). */
const ORDER = 'lrswipkxtea';

/** RFC 4314 rights of MAPI rights (letters in ORDER, no duplicates; '' for none). */
export function mapiToImap(rights: number): string {
  const r = rights >>> 0;
  const set = new Set<string>();
  const add = (s: string) => {
    for (const c of s) set.add(c);
  };
  if (r & RIGHT.FolderVisible) add('l');
  if (r & RIGHT.ReadAny) add('rs');
  if (r & RIGHT.Create) add('ip');
  if (r & (RIGHT.EditOwned | RIGHT.EditAny)) add('w');
  if (r & (RIGHT.DeleteOwned | RIGHT.DeleteAny)) add('te');
  if (r & RIGHT.CreateSubFolder) add('k');
  if (r & RIGHT.FolderOwner) add('ax');
  return [...ORDER].filter((c) => set.has(c)).join('');
}

/**
 * Letters a MAPI rights value decides on: the ones mapiToImap writes, and the obsolete c and d, which read back as MAPI
 * rights too. Any other letter is the server's own (RFC 4314 2.1 lets servers add rights): a change leaves it alone.
 */
const OWNED = new Set([...ORDER, 'c', 'd']);

/**
 * What a change sends for one ACL identifier of a member: `current` is the identifier's rights in GETACL (undefined:
 * no row), `after` the member's MAPI rights after the change (undefined: the member is removed). null: nothing to
 * send; '': DELETEACL; else the rights to SETACL. The decision looks at what the server holds, not at the member's
 * MAPI rights before: letters that map to no MAPI right (s, p, e, x alone) would otherwise never be taken away.
 */
export function aclUpdate(current: string | undefined, after: number | undefined): string | null {
  const now = (current ?? '').toLowerCase();
  if (after === undefined) return now === '' ? null : '';
  const foreign = [...new Set([...now].filter((c) => !OWNED.has(c)))].join('');
  const want = mapiToImap(after) + foreign;
  // a server may write the obsolete c and d next to the rights they stand for (Dovecot: c with x, d with e); such a
  // row already holds what SETACL would write, as long as it reads back as the same MAPI rights
  const modern = (s: string): string => [...ORDER].filter((c) => s.includes(c)).join('');
  if (modern(now) === modern(want) && imapToMapi(now) === imapToMapi(want)) return null;
  return want;
}

/** MAPI rights of RFC 4314 rights (letters other servers or clients set included). */
export function imapToMapi(rights: string): number {
  let r = 0;
  for (const c of rights.toLowerCase()) {
    switch (c) {
      case 'l': r |= RIGHT.FolderVisible; break;
      case 'r': r |= RIGHT.ReadAny; break;
      case 'i': r |= RIGHT.Create; break;
      case 'w': r |= RIGHT.EditOwned | RIGHT.EditAny; break;
      case 't': case 'd': r |= RIGHT.DeleteOwned | RIGHT.DeleteAny; break;
      case 'k': case 'c': r |= RIGHT.CreateSubFolder; break;
      case 'a': r |= RIGHT.FolderOwner; break;
      default: break;
    }
  }
  return r;
}

/**
 * A member's rights from its GETACL row (undefined: none) and its local row (undefined: none); undefined when the
 * member has no entry any more. The local bits win while they still map to the same IMAP rights; otherwise (another
 * client changed the ACL) the IMAP rights count, plus the local-only bits.
 */
export function mergeRights(local: number | undefined, imap: string | undefined): number | undefined {
  const l = local === undefined ? undefined : (local >>> 0) & MEMBER_RIGHTS_ALL;
  if (imap === undefined) {
    if (l === undefined) return undefined;
    if (mapiToImap(l) === '') return l;
    const kept = l & LOCAL_ONLY_RIGHTS;
    return kept === 0 ? undefined : kept;
  }
  const fromImap = imapToMapi(imap);
  if (l !== undefined && imapToMapi(mapiToImap(l)) === fromImap) return l;
  return fromImap | ((l ?? 0) & LOCAL_ONLY_RIGHTS);
}

/** What an identifier of a GETACL row is for this mailbox. */
export type AclIdentifier = { kind: 'default' } | { kind: 'user'; username: string } | { kind: 'skip' };

export function identifierKind(id: string): AclIdentifier {
  const lower = id.toLowerCase();
  if (lower === ANYONE || lower === 'authenticated') return { kind: 'default' };
  if (id === '' || id.startsWith('-') || id.startsWith('$') || lower.startsWith('group=') || lower.startsWith('group-override=') || lower === 'anonymous' || lower === 'owner') {
    return { kind: 'skip' };
  }
  return { kind: 'user', username: id };
}

/** One untagged response as imapflow's parser gives it (attributes with type and value). */
export interface RawUntagged {
  /** The response's name (ACL, MYRIGHTS, QUOTA, ...), as imapflow's parser gives it. */
  command?: string;
  attributes?: unknown[];
}

function text(a: unknown, what: string): string {
  const v = (a as { value?: unknown } | null | undefined)?.value;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new AclError('OC_IMAP_ACL_PARSE', `${what} is not an atom or string`);
}

const RIGHTS_RE = /^[a-z0-9]*$/i;

/** RFC 4314 3.6 `* ACL <mailbox> (<identifier> <rights>)*`: identifier -> rights (a repeated identifier: the last). */
export function parseAclResponse(u: RawUntagged): { mailbox: string; entries: Map<string, string> } {
  const a = u.attributes;
  if (!Array.isArray(a) || a.length < 1) throw new AclError('OC_IMAP_ACL_PARSE', 'ACL response without a mailbox');
  const mailbox = text(a[0], 'ACL mailbox');
  if ((a.length - 1) % 2 !== 0) throw new AclError('OC_IMAP_ACL_PARSE', 'ACL response with an identifier without rights');
  const entries = new Map<string, string>();
  for (let i = 1; i < a.length; i += 2) {
    const id = text(a[i], 'ACL identifier');
    const rights = text(a[i + 1], 'ACL rights');
    if (!RIGHTS_RE.test(rights)) throw new AclError('OC_IMAP_ACL_PARSE', `ACL rights of ${JSON.stringify(id)} are not letters`);
    entries.set(id, rights.toLowerCase());
  }
  return { mailbox, entries };
}

/** RFC 4314 3.8 `* MYRIGHTS <mailbox> <rights>`. */
export function parseMyRightsResponse(u: RawUntagged): { mailbox: string; rights: string } {
  const a = u.attributes;
  if (!Array.isArray(a) || a.length !== 2) throw new AclError('OC_IMAP_ACL_PARSE', 'MYRIGHTS response needs a mailbox and rights');
  const mailbox = text(a[0], 'MYRIGHTS mailbox');
  const rights = text(a[1], 'MYRIGHTS rights');
  if (!RIGHTS_RE.test(rights)) throw new AclError('OC_IMAP_ACL_PARSE', 'MYRIGHTS rights are not letters');
  return { mailbox, rights: rights.toLowerCase() };
}

/** The legacyExchangeDN of a user known only by an ACL identifier: the owner's DN with its last cn= replaced. */
export function siblingDn(ownerDn: string, username: string): string {
  const i = ownerDn.toLowerCase().lastIndexOf('/cn=');
  return i < 0 ? '' : `${ownerDn.slice(0, i)}/cn=${username}`;
}
