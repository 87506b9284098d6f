// The message objects ImapMailbox hands out (newMessage, openMessage, prefetchMessages; docs/imap.md "Store wiring"):
// the LocalMailbox's objects, whose save() also writes a top-level message of a mirrored folder to IMAP through the
// ImapWriter, and whose getProps() makes PidTagRtfCompressed on demand.
//
// - a save that leaves what the MIME holds as it was (content.ts contentKey before and after: a flag, the read state,
//   a category, a reminder; Outlook saves a whole message for those, and cached mode uploads it whole) only STOREs
//   flags (writer.setFlags); any other save is writer.saveMessage (a new APPEND, the old UID expunged). A failure is
//   logged and the save succeeds (the next sync repairs), as for every write-back after the local change;
// - except an APPEND the IMAP server refuses over quota (OC_IMAP_QUOTA, quota.ts): it is the save's error
//   (ecQuotaExceeded), and the save is taken back (takeBackSave): a message stored before is that version again (the
//   copy opened before the save, saved again with ForceSave), a new one is deleted, so the local store keeps nothing
//   the server did not get. Only while the message is still what the refused save stored (its change number): a
//   change made meanwhile (a sync, another session) is not overwritten; the message then stays on this server only
//   (warn line) and the client still gets the error. A cached-mode upload (a save with ICS `tracking`) is never taken
//   back: the refusal is logged and the save succeeds, the message stays on this server only (restoring the old
//   version would keep the client's PCL, so its edit would later be overwritten silently; deleting a new one would
//   leave a tombstone that makes every retry of the upload fail). After a take-back the client's changes stay in its
//   object, unsaved: from then on the object works on a fresh copy of them over the version the store has, so a later
//   save (once there is room) stores them without a conflict with the take-back, and a release drops them. Attachment and stream objects the client opened on the
//   message before belong to the copy it had: changes saved through them after the refusal are not in the retry.
// - a top-level message saved into a mirrored folder without PidTagInternetMessageId gets one (writer.newMessageId)
//   as part of that save: the write-back then has nothing to record locally after the save, so the client's open
//   object stays current (a later RopSaveChangesMessage or RopSubmitMessage on it is not ecObjectModified).
// - MS-OXCMSG 2.2.1.56.x: PidTagRtfCompressed is produced on demand for mirrored mail (MIME carries HTML or text,
//   Outlook may ask for RTF): the HTML encapsulated in RTF (MS-OXRTFEX) or the text in RTF.
import { rtfFromHtml, rtfFromText } from '../../../mapi/rtf/body.js';
import { copyMessageInto } from '../../../transport/copy.js';
import { loadMessage } from '../../../transport/mime.js';
import type { Logger } from '../../../util/log.js';
import { SEC, type StoreError } from '../../errors.js';
import type { MessageObject } from '../../types.js';
import type { LocalMailbox } from '../local/mailbox.js';
import { TAG } from '../../tags.js';
import { contentKey } from './content.js';
import type { ImapWriter } from './mailbox.js';

/** What the save of a wrapped object needs from its ImapMailbox. */
export interface SaveWiring {
  local: LocalMailbox;
  writer: ImapWriter;
  log: Logger;
  /** A writer call after the local change: a failure is logged, the next sync repairs. */
  after(what: string, fid: bigint, fn: () => Promise<void>): Promise<void>;
  /** after(), except that a refusal over quota is returned (logged with `refusedMsg` if given, the quota asked again). */
  afterOrRefused(what: string, fid: bigint, fn: () => Promise<void>, refusedMsg?: string): Promise<StoreError | null>;
}

const PidTagInternetMessageId = 0x1035001f;
const PidTagRtfCompressed = 0x10090102;
const PidTagHtml = 0x10130102;
const PidTagBody = 0x1000001f;
const PidTagInternetCodepage = 0x3fde0003;
const UPLOAD_REFUSED = 'IMAP server refused a cached-mode upload over quota; the message stays on this server only';
const hex = (id: bigint): string => `0x${id.toString(16)}`;

/** The content key (content.ts) of a stored message. */
async function storedContent(local: LocalMailbox, mid: bigint): Promise<string> {
  const msg = await local.openMessage(mid);
  try {
    return contentKey(await loadMessage(msg));
  } finally {
    await msg.discard();
  }
}

/** The change number of stored message `mid` (null when it cannot be read, e.g. the message is gone). */
async function changeNumber(local: LocalMailbox, mid: bigint): Promise<bigint | null> {
  try {
    const [cn] = await local.getMessageProps(mid, [TAG.ChangeNumber]);
    return cn && 'value' in cn && typeof cn.value === 'bigint' ? cn.value : null;
  } catch {
    return null;
  }
}

/** The object the client gets for `first` (an embedded message as it is): see the top of this file. */
export function wrapSave(w: SaveWiring, first: MessageObject): MessageObject {
  if (first.embedded) return first;
  let m = first;
  // methods bound once per object (a FastTransfer download reads a message through many calls)
  const bound = new Map<PropertyKey, unknown>();
  const save: MessageObject['save'] = async (opts) => {
    const mirrored = await w.writer.isMirrored(m.fid);
    if (mirrored && w.writer.newMessageId) {
      const [id] = await m.getProps([PidTagInternetMessageId]);
      if (!id || !('value' in id) || !String(id.value).trim()) await m.setProps([{ tag: PidTagInternetMessageId, value: w.writer.newMessageId() }]);
    }
    // the stored version, kept open until the write-back is done: a save refused over quota puts it back
    const prev = mirrored && m.mid !== null && (await w.local.messageExists(m.mid)) ? await w.local.openMessage(m.mid) : null;
    try {
      const before = prev ? contentKey(await loadMessage(prev)) : null;
      const mid = await m.save(opts);
      if (mid === 0n || !mirrored) return mid;
      // what the save stored: a take-back puts the old version back only while the message is still that (one column)
      const cn = opts?.tracking ? null : await changeNumber(w.local, mid);
      const fid = m.fid;
      if (before !== null && before === (await storedContent(w.local, mid))) {
        // (a STORE that fails is logged and left to the next sync, as for setMessageProps: no APPEND then)
        const r: { kept: boolean | void } = { kept: true };
        await w.after('setFlags', fid, async () => {
          r.kept = await w.writer.setFlags(fid, mid, { seen: true });
        });
        if (r.kept !== false) return mid;
      }
      if (opts?.tracking) {
        // a cached-mode upload is not taken back (top of this file): logged, the save succeeds
        await w.afterOrRefused('saveMessage', fid, () => w.writer.saveMessage(fid, mid), UPLOAD_REFUSED);
        return mid;
      }
      const refused = await w.afterOrRefused('saveMessage', fid, () => w.writer.saveMessage(fid, mid));
      if (refused) {
        m = await takeBackSave(w, m, mid, prev, cn);
        bound.clear();
        throw refused;
      }
      return mid;
    } finally {
      await prev?.discard().catch(() => undefined);
    }
  };
  const getProps: MessageObject['getProps'] = async (tags) => {
    const r = await m.getProps(tags);
    const i = tags ? tags.findIndex((x) => x >>> 0 === PidTagRtfCompressed) : -1;
    const got = r[i];
    if (i >= 0 && got && 'error' in got && got.error === SEC.NotFound) {
      const rtf = await rtfOnDemand(m);
      if (rtf) r[i] = { tag: PidTagRtfCompressed, value: rtf };
    }
    return r;
  };
  return new Proxy(first, {
    get: (_t, k) => {
      if (k === 'save') return save;
      if (k === 'getProps') return getProps;
      const v = Reflect.get(m, k, m) as unknown;
      if (typeof v !== 'function') return v;
      let b = bound.get(k);
      if (b === undefined) bound.set(k, (b = (v as (...a: unknown[]) => unknown).bind(m)));
      return b;
    },
  });
}

/**
 * Takes back save `mid` of `m` that the IMAP server refused over quota: the version stored before (`prev`, opened
 * before the save) is saved again (ForceSave), or a message that was new is deleted (hard: it never existed on IMAP).
 * Only while the stored message still has change number `cn` (what that save stored; null: unknown, nothing is
 * taken back): a newer change made meanwhile (a sync applying another client's flag, another session's save) is kept.
 * Returns the object the client works on from then on: a copy of `m`'s changes, unsaved, over the version the store
 * now has. When the take-back is not done or fails, it is logged and `m` stays: the message is then local-only, as
 * after any other failed write-back.
 */
async function takeBackSave(w: SaveWiring, m: MessageObject, mid: bigint, prev: MessageObject | null, cn: bigint | null): Promise<MessageObject> {
  const where = { user: w.local.owner.username, fid: hex(m.fid), mid: hex(mid) };
  const now = await changeNumber(w.local, mid);
  if (cn === null || now !== cn) {
    w.log.warn({ ...where, cn: cn === null ? null : hex(cn), now: now === null ? null : hex(now) }, 'a save the IMAP server refused over quota is not taken back: the message changed since; it stays on this server only');
    return m;
  }
  let fresh: MessageObject | null = null;
  try {
    if (prev) {
      await prev.save({ force: true });
      fresh = await w.local.openMessage(mid);
      await clearMessage(fresh);
    } else {
      fresh = await w.local.newMessage(m.fid);
    }
    // (before the delete below: the copy reads the values the saved message keeps in the store)
    await copyMessageInto(m, fresh);
    if (!prev) await w.local.deleteMessages(m.fid, [mid], { hard: true });
  } catch (e) {
    await fresh?.discard().catch(() => undefined);
    w.log.error({ ...where, code: (e as { code?: string }).code, err: (e as Error).message }, 'a save the IMAP server refused over quota could not be taken back: the message stays local-only');
    return m;
  }
  await m.discard().catch(() => undefined);
  w.log.info({ ...where, restored: prev !== null }, prev ? 'save refused over quota: the message is back at its previous version' : 'save refused over quota: the new message is removed again');
  return fresh;
}

/** Empties an open message (properties, recipients, attachments), unsaved: copyMessageInto then gives it other content. */
async function clearMessage(msg: MessageObject): Promise<void> {
  await msg.deleteProps(await msg.listProps()); // (the store's computed properties are refused, and stay)
  await msg.setRecipients([]);
  for (const a of await msg.attachmentTable([])) await msg.deleteAttachment(a.attachNum);
}

/** Compressed RTF made from a message's HTML (else text) body; null when it has neither inline. */
async function rtfOnDemand(m: MessageObject): Promise<Buffer | null> {
  const [html, cpid, body] = await m.getProps([PidTagHtml, PidTagInternetCodepage, PidTagBody]);
  const cp = cpid && 'value' in cpid && typeof cpid.value === 'number' && cpid.value > 0 ? cpid.value : 65001;
  if (html && 'value' in html && Buffer.isBuffer(html.value)) return rtfFromHtml(html.value, cp);
  if (body && 'value' in body && typeof body.value === 'string') return rtfFromText(body.value);
  return null;
}
