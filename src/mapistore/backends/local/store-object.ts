// The store object of the embedded backend (MS-OXCSTOR 2.2.2): the properties the store computes (entry IDs of the
// special folders, owner, size, the send-size limit) over those a client stored (meta 'store_props'); the limits the
// server decides are never a client's (STORE_LIMITS). Called by LocalMailbox (mailbox.ts), which serializes the changes.
import { eidGlobcnt } from '../../../mapi/ids.js';
import { propId, type PropValue, type TaggedValue } from '../../../mapi/props.js';
import { addressBookEntryId } from '../../../mapi/entryid.js';
import { guidToBytes } from '../../../util/guid.js';
import { SEC } from '../../errors.js';
import { pickProps } from '../../proppick.js';
import { checkValue, decodeProps, encodeProps } from '../../propcodec.js';
import { TAG } from '../../tags.js';
import type { PropertyProblem, PropResult, SpecialFolderName } from '../../types.js';
import { deleteSameId, g2n } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';

/**
 * Store-object properties no client sets (ecComputed), besides those storeComputed gives: the mailbox size, and the
 * limits the server decides (smtp.maxSendSizeKb; the IMAP backend's quota, docs/imap.md "Quota"), also where it has none
 * (a value set there would show as a quota the server does not enforce).
 */
const STORE_LIMITS = [TAG.MessageSizeExtended, TAG.MaximumSubmitMessageSize, TAG.ProhibitReceiveQuota, TAG.ProhibitSendQuota, TAG.StorageQuotaLimit];
const LIMIT_IDS = new Set(STORE_LIMITS.map((t) => propId(t)));

/**
 * The properties a client stored on the store object. A limit stored before the limits were refused (a client could
 * set them until 2026-11-28) is left out: it would show, and be enforced at submit, as a quota the server does not
 * have; the next change of the store's properties drops it for good.
 */
function clientProps(mb: LocalMailbox): Map<number, PropValue> {
  const m = decodeProps(mb.meta('store_props'));
  for (const t of [...m.keys()]) if (LIMIT_IDS.has(propId(t))) m.delete(t);
  return m;
}

/**
 * Properties of the store object the store computes (not settable). `withSize` false leaves out the mailbox size
 * (PidTagMessageSizeExtended: a sum over every message) for reads that do not ask for it.
 */
function storeComputed(mb: LocalMailbox, withSize = true): Map<number, PropValue> {
  const sp = mb.special;
  const fe = (k: SpecialFolderName) => mb.feid(g2n(eidGlobcnt(sp[k])));
  const m = new Map<number, PropValue>([
    [TAG.ObjectType, 1],
    [TAG.DisplayName, `Mailbox - ${mb.owner.displayName}`],
    [TAG.MailboxOwnerName, mb.owner.displayName],
    // a private mailbox is opened by its owner: the logged-on user is the owner
    [TAG.UserName, mb.owner.displayName],
    [TAG.RecordKey, guidToBytes(mb.mailboxGuid)],
    [TAG.MappingSignature, guidToBytes(mb.mailboxGuid)],
    [TAG.IpmSubtreeEntryId, fe('ipmSubtree')],
    [TAG.IpmOutboxEntryId, fe('outbox')],
    [TAG.IpmWastebasketEntryId, fe('deletedItems')],
    [TAG.IpmSentMailEntryId, fe('sentItems')],
    [TAG.ViewsEntryId, fe('views')],
    [TAG.CommonViewsEntryId, fe('commonViews')],
    [TAG.FinderEntryId, fe('finder')],
    // MS-OXCSTOR PidTagValidFolderMask: every FM_VALID_* bit (all special folders exist)
    [TAG.ValidFolderMask, 0xff],
    [TAG.StoreState, 0],
  ]);
  // MS-OXCSTOR: the largest message the owner may submit, which Outlook checks before it submits
  if (mb.opts.maxSubmitKb) m.set(TAG.MaximumSubmitMessageSize, mb.opts.maxSubmitKb);
  if (/^[\x01-\x7f]+$/.test(mb.owner.legacyDn)) {
    const ab = addressBookEntryId(mb.owner.legacyDn);
    m.set(TAG.MailboxOwnerEntryId, ab);
    m.set(TAG.UserEntryId, ab);
  }
  if (!withSize) return m;
  const size = (mb.db.prepare('SELECT coalesce(sum(size), 0) AS n FROM messages').get() as { n: number }).n;
  m.set(TAG.MessageSizeExtended, BigInt(size));
  return m;
}

/** `size: false`: without PidTagMessageSizeExtended, not summed (the IMAP backend's quota gives the usage). */
export function storeProps(mb: LocalMailbox, tags?: readonly number[], opts: { size?: boolean } = {}): PropResult[] {
  const m = clientProps(mb);
  const sizeId = propId(TAG.MessageSizeExtended);
  for (const [t, v] of storeComputed(mb, opts.size !== false && (!tags || tags.some((t) => propId(t) === sizeId)))) m.set(t, v);
  return pickProps(m, tags);
}

export function changeStoreProps(mb: LocalMailbox, values: readonly TaggedValue[], tags: readonly number[]): PropertyProblem[] {
  const computed = new Set([...storeComputed(mb, false).keys(), ...STORE_LIMITS].map((t) => propId(t)));
  const m = clientProps(mb);
  const problems: PropertyProblem[] = [];
  values.forEach((v, index) => {
    if (computed.has(propId(v.tag))) return problems.push({ index, tag: v.tag, error: SEC.Computed });
    if (!checkValue(v.tag, v.value)) return problems.push({ index, tag: v.tag, error: SEC.InvalidParam });
    deleteSameId(m, v.tag);
    m.set(v.tag >>> 0, v.value);
  });
  tags.forEach((tag, index) => {
    if (computed.has(propId(tag))) return problems.push({ index, tag, error: SEC.Computed });
    deleteSameId(m, tag);
  });
  mb.st.setMeta.run('store_props', encodeProps(m));
  return problems;
}
