// Properties of address book objects (MS-OXOABK 2.2; MS-OXNSPI 3.1.4.2 Required Properties), computed on demand
// from the entry so that a 50,000-object snapshot costs no per-property storage. A value is read in the type the
// client asks for: the string types convert either way (MS-OXNSPI 3.1.4.3.3; the wire layer encodes PT_STRING8 in
// the call's code page), PT_UNSPECIFIED gets the native type (2.2.1.1), anything else that does not fit is
// PT_ERROR NotFound, as is a property the object does not have (3.1.4.1.7 constraint 12).
import type { UserSelfService } from '../../directory/types.js';
import { MAPI_E, PT, makeTag, propId, propType, type PropValue, type TaggedValue } from '../../mapi/props.js';
import { guidToBytes } from '../../util/guid.js';
import { AB_RECIPIENTS, AB_UNMODIFIABLE, GUID_NSPI } from './constants.js';
import { encodeEphemeralEntryId, encodePermanentEntryId } from '../entryid.js';
import type { AbEntry } from './entry.js';
import type { Snapshot } from './snapshot.js';
import { objectGuidOf, printableName } from './snapshot.js';
import * as T from './tags.js';

/** Prefetched self-service data of the users a call reads (see AddressBook.prefetch). */
export interface SelfServiceView {
  of(username: string): UserSelfService | null | undefined;
  /** Users that list `username` among their delegates (PR_EMS_AB_PUBLIC_DELEGATES_BL); undefined: not loaded. */
  delegatorsOf(username: string): readonly string[] | undefined;
}

export const NO_SELF_SERVICE: SelfServiceView = { of: () => undefined, delegatorsOf: () => undefined };

export interface PropContext {
  readonly snap: Snapshot;
  readonly serverGuid: string;
  /** fEphID: PR_ENTRYID (and PR_RECORD_KEY) in Ephemeral form (MS-OXNSPI 3.1.4.1.7 constraints 7-8). */
  readonly ephemeral: boolean;
  /** The ContainerID of the call's STAT (PidTagAddressBookContainerId of a row). */
  readonly containerId: number;
  readonly self: SelfServiceView;
}

/** A link (object-valued, PtypEmbeddedTable) property: the objects it refers to. */
export class Link {
  constructor(readonly entries: readonly AbEntry[]) {}
}

type Raw = PropValue | Link;
type Getter = (e: AbEntry, ctx: PropContext) => Raw | undefined;

export interface PropDef {
  /** The tag with its native type (what NspiGetPropList and NspiQueryColumns report, types adjusted). */
  readonly tag: number;
  readonly get: Getter;
  /** Whether the property is served from self-service data (needs a prefetch). */
  readonly selfService?: 'user' | 'backlinks';
}

const defs = new Map<number, PropDef>();
function def(tag: number, get: Getter, selfService?: PropDef['selfService']): void {
  defs.set(propId(tag), { tag, get, selfService });
}

const str = (s: string | undefined): string | undefined => (s ? s : undefined);
const mail = (e: AbEntry) => e.kind === 'user' || e.kind === 'group' || e.kind === 'contact';
const person = (e: AbEntry) => e.kind === 'user' || e.kind === 'contact';
const GUID_NSPI_BYTES = guidToBytes(GUID_NSPI);

function entryId(e: AbEntry, ctx: PropContext): Buffer {
  return ctx.ephemeral
    ? encodeEphemeralEntryId({ providerUid: ctx.serverGuid, displayType: e.displayType, mid: e.mid })
    : encodePermanentEntryId({ displayType: e.displayType, dn: e.dn });
}

// MS-OXOABK 2.2.3 properties of every object
def(T.PidTagEntryId, entryId);
def(T.PidTagRecordKey, entryId); // MS-OXOABK 2.2.3.4: the object's EntryID
def(T.PidTagTemplateid, (e) => encodePermanentEntryId({ displayType: e.displayType, dn: e.dn })); // MS-OXOABK 2.2.3.3
def(T.PidTagInstanceKey, (e) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(e.mid >>> 0, 0);
  return b;
});
// MS-OXOABK 2.2.3.5: "EX:" and the DN, upper-case, NUL-terminated
def(T.PidTagSearchKey, (e) => Buffer.from(`EX:${e.dn.toUpperCase()}\0`, 'latin1'));
def(T.PidTagMappingSignature, () => Buffer.from(GUID_NSPI_BYTES));
def(T.PidTagObjectType, (e) => e.objectType);
def(T.PidTagDisplayType, (e) => e.displayType);
def(T.PidTagDisplayTypeEx, (e) => e.displayTypeEx);
def(T.PidTagAddressBookDisplayTypeExtended, (e) => e.displayTypeEx);
def(T.PidTagDisplayName, (e) => e.displayName);
def(T.PidTagTransmittableDisplayName, (e) => e.displayName);
def(T.PidTagAddressBookDisplayNamePrintable, (e) => printableName(e.displayName, e.account));
def(T.PidTagAddressType, () => 'EX');
def(T.PidTagEmailAddress, (e) => e.dn);
def(T.PidTagAddressBookObjectDistinguishedName, (e) => e.dn);
def(T.PidTagAddressBookContainerId, (_e, ctx) => ctx.containerId);
def(T.PidTagInitialDetailsPane, () => 0);
def(T.PidTagAddressBookObjectGuid, (e) => guidToBytes(objectGuidOf(e)));
def(T.PidTagSendRichInfo, (e) => (mail(e) ? true : undefined));

// addresses
def(T.PidTagAccount, (e) => str(e.account));
def(T.PidTagSmtpAddress, (e) => str(e.smtpAddress));
def(T.PidTagAddressBookProxyAddresses, (e) => (e.proxyAddresses.length > 0 ? [...e.proxyAddresses] : undefined));

// MS-OXOABK 2.2.4 person properties (users and contacts)
const attr = (k: keyof AbEntry['attributes']): Getter => (e) => (person(e) ? str(e.attributes[k]) : undefined);
def(T.PidTagGivenName, attr('givenName'));
def(T.PidTagSurname, attr('surname'));
def(T.PidTagInitials, attr('initials'));
def(T.PidTagTitle, attr('title'));
def(T.PidTagDepartmentName, attr('department'));
def(T.PidTagCompanyName, attr('company'));
def(T.PidTagOfficeLocation, attr('office'));
def(T.PidTagBusinessTelephoneNumber, attr('businessPhone'));
def(T.PidTagPrimaryTelephoneNumber, attr('businessPhone'));
def(T.PidTagMobileTelephoneNumber, attr('mobilePhone'));
def(T.PidTagHomeTelephoneNumber, attr('homePhone'));
def(T.PidTagBusinessFaxNumber, attr('fax'));
def(T.PidTagStreetAddress, attr('streetAddress'));
def(T.PidTagLocality, attr('locality'));
def(T.PidTagStateOrProvince, attr('stateOrProvince'));
def(T.PidTagPostalCode, attr('postalCode'));
def(T.PidTagCountry, attr('country'));
def(T.PidTagComment, attr('comment'));

// mailbox, membership and delegation (MS-OXOABK 2.2.4.x, 2.2.5.5, 2.2.6)
def(T.PidTagAddressBookHomeMessageDatabase, (e, ctx) => (e.kind === 'user' ? ctx.snap.storeDN : undefined));
def(T.PidTagAddressBookMember, (e) => (e.kind === 'group' ? new Link(e.members) : undefined));
def(T.PidTagAddressBookIsMemberOfDistributionList, (e) => (e.memberOf.length > 0 ? new Link(e.memberOf) : undefined));
def(T.PidTagContainerContents, (e) => (e.kind === 'group' ? new Link([]) : undefined)); // MS-OXPROPS 2.638: always empty
def(T.PidTagContainerFlags, (e) => (e.kind === 'group' ? (AB_RECIPIENTS | AB_UNMODIFIABLE) >>> 0 : undefined));
def(
  T.PidTagAddressBookX509Certificate,
  (e, ctx) => {
    const certs = e.username ? ctx.self.of(e.username)?.certificates : undefined;
    return certs && certs.length > 0 ? certs.map((c) => Buffer.from(c)) : undefined;
  },
  'user',
);
def(
  T.PidTagAddressBookPublicDelegates,
  (e, ctx) => {
    const d = e.username ? ctx.self.of(e.username)?.delegates : undefined;
    const list = d ? linkUsers(ctx.snap, d) : [];
    return list.length > 0 ? new Link(list) : undefined;
  },
  'user',
);
def(
  T.PR_EMS_AB_PUBLIC_DELEGATES_BL,
  (e, ctx) => {
    const d = e.username ? ctx.self.delegatorsOf(e.username) : undefined;
    const list = d ? linkUsers(ctx.snap, d) : [];
    return list.length > 0 ? new Link(list) : undefined;
  },
  'backlinks',
);

// the server object (MS-OXOABK 2.2.4.x PidTagAddressBookNetworkAddress)
def(T.PidTagAddressBookNetworkAddress, (e, ctx) => (e.kind === 'server' ? [...ctx.snap.networkAddresses] : undefined));

function linkUsers(snap: Snapshot, usernames: readonly string[]): AbEntry[] {
  const out: AbEntry[] = [];
  for (const u of usernames) {
    const e = snap.byUsername.get(u.toLowerCase());
    if (e) out.push(e);
  }
  return out;
}

export function propDef(tag: number): PropDef | undefined {
  return defs.get(propId(tag));
}

/** Every property the server knows (NspiQueryColumns, MS-OXNSPI 3.1.4.1.5), native types. */
export function knownTags(): number[] {
  return [...defs.values()].map((d) => d.tag);
}

const STRING_TYPES = new Set<number>([PT.STRING8, PT.UNICODE]);
const MV_STRING_TYPES = new Set<number>([PT.MV_STRING8, PT.MV_UNICODE]);

export function isStringType(type: number): boolean {
  return STRING_TYPES.has(type) || MV_STRING_TYPES.has(type);
}

/** The tag with string types made PT_STRING8 or PT_UNICODE (NspiGetPropList, NspiQueryColumns). */
export function withStringType(tag: number, unicode: boolean): number {
  const t = propType(tag);
  if (STRING_TYPES.has(t)) return makeTag(propId(tag), unicode ? PT.UNICODE : PT.STRING8);
  if (MV_STRING_TYPES.has(t)) return makeTag(propId(tag), unicode ? PT.MV_UNICODE : PT.MV_STRING8);
  return tag;
}

export function errorValue(tag: number, ec: number = MAPI_E.NOT_FOUND): TaggedValue {
  return { tag: makeTag(propId(tag), PT.ERROR), value: ec >>> 0 };
}

/** The value of `tag` on `e` in the requested type, or a PT_ERROR NotFound value. */
export function readProp(e: AbEntry, tag: number, ctx: PropContext): TaggedValue {
  const d = defs.get(propId(tag));
  if (!d) return errorValue(tag);
  const raw = d.get(e, ctx);
  if (raw === undefined) return errorValue(tag);
  const want = propType(tag);
  const native = propType(d.tag);
  if (raw instanceof Link) {
    if (want === PT.OBJECT || want === PT.UNSPECIFIED) return { tag: makeTag(propId(tag), PT.OBJECT), value: 0 };
    if (MV_STRING_TYPES.has(want) && raw.entries.length > 0) return { tag, value: raw.entries.map((x) => x.dn) };
    return errorValue(tag);
  }
  if (want === native) return { tag, value: raw };
  if (want === PT.UNSPECIFIED) return { tag: d.tag, value: raw };
  if ((STRING_TYPES.has(want) && STRING_TYPES.has(native)) || (MV_STRING_TYPES.has(want) && MV_STRING_TYPES.has(native))) {
    return { tag, value: raw };
  }
  return errorValue(tag);
}

/** The native value of a property for restriction evaluation (links as DN lists); undefined when absent. */
export function rawProp(e: AbEntry, tag: number, ctx: PropContext): { type: number; value: PropValue } | undefined {
  const d = defs.get(propId(tag));
  if (!d) return undefined;
  const raw = d.get(e, ctx);
  if (raw === undefined) return undefined;
  if (raw instanceof Link) return { type: PT.MV_STRING8, value: raw.entries.map((x) => x.dn) };
  return { type: propType(d.tag), value: raw };
}

/** The tags `e` has values for (NspiGetPropList, MS-OXNSPI 3.1.4.1.6), native types. */
export function presentTags(e: AbEntry, ctx: PropContext): number[] {
  const out: number[] = [];
  for (const d of defs.values()) if (d.get(e, ctx) !== undefined) out.push(d.tag);
  return out;
}

/**
 * Which kinds of self-service data reading `tags` needs. null stands for "every property the object has"
 * (NspiGetPropList): the users' own data, but not the delegate back-links, which cost a read of every user and are
 * only served when asked for by tag.
 */
export function selfServiceNeeds(tags: readonly number[] | null): { user: boolean; backlinks: boolean } {
  if (tags === null) return { user: true, backlinks: false };
  let user = false;
  let backlinks = false;
  for (const t of tags) {
    const d = defs.get(propId(t));
    if (d?.selfService === 'user') user = true;
    if (d?.selfService === 'backlinks') backlinks = true;
  }
  return { user, backlinks };
}
