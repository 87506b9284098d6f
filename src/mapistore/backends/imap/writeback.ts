// MAPI -> IMAP write-back (issue 8 items 1, 2, 7): the changes Outlook makes to mirrored mail folders and their
// messages go to the IMAP server, which stays the source of truth, and the index rows (imap_messages,
// imap_folders) are brought in line so that ImapMirror.syncFolder afterwards sees nothing new (no echo, no
// duplicate). Commands: RFC 9051 6.4.6 UID STORE, 6.3.12 APPEND, 6.4.7 COPY, RFC 6851 MOVE, RFC 4315 UIDPLUS (UID
// EXPUNGE, APPENDUID, COPYUID), RFC 7162 MODSEQ in FETCH. Folder operations are writeback-folders.ts; flags and
// shared helpers writeback-util.ts.
//
// How the mirror is kept quiet: every message the write-back puts on IMAP gets its imap_messages row (UID, MODSEQ,
// flag bits, size) before the next sync, so the sync's UID SEARCH of new UIDs skips it; every UID it expunges loses
// its row, so VANISHED finds nothing to delete; every flag it changes is recorded in the row's bits, so the
// CHANGEDSINCE fetch finds no difference. The folder's HIGHESTMODSEQ and UIDNEXT are left alone: raising them
// would hide changes another client made in between (the sync then costs one CHANGEDSINCE fetch that changes
// nothing).
//
// Choices where the specs leave room:
// - only the flag bits the operation changed are taken from the server's answer into the index row: a \Flagged set
//   by another client in between is still reported by the next sync.
// - UIDPLUS is required (OC_IMAP_NO_UIDPLUS): a plain EXPUNGE would also remove other clients' \Deleted messages,
//   and without COPYUID/APPENDUID the next sync would fetch our own messages again as duplicates.
// - APPEND, COPY and MOVE are not retried after a lost connection (the server may have done them: a retry could
//   store the message twice); flag changes and expunges are (pool.run), since doing them twice changes nothing.
// - an APPEND, COPY or MOVE the server refuses over quota (quota.ts isOverQuota: NO [OVERQUOTA], or an older server's
//   NO [ALERT] ... quota) throws OC_IMAP_QUOTA (ecQuotaExceeded) naming the user and the mailbox; ImapMailbox then takes
//   the local change back (the local store keeps nothing the server did not get).
// - an APPEND that fails otherwise leaves the local message as it is and throws OC_IMAP_APPEND; a message that
//   buildMimeForStore will not write (calendar items, other non-mail items) stays local-only with a warning; an
//   S/MIME message keeps its IMAP copy (its original MIME holds the signature).
// - an edit is APPEND of the new version, then UID EXPUNGE of the old UID; the new MID keeps the message's MID.
// - a message Outlook moves from a local-only folder into a mirrored one is APPENDed; one moved from a mirrored
//   folder into a local-only one is expunged on IMAP (it lives locally only from then on).
// - a message (or embedded message) with PidTagRtfCompressed but neither PidTagHtml nor PidTagBody (Outlook saving
//   an RTF-only body) gets its bodies from the RTF before the MIME is built (bodiesFromRtf, docs/rtf.md): HTML
//   encapsulated in RTF becomes text/html (in the code page bodiesFromRtf chose, which replaces
//   PidTagInternetCodepage in the loaded copy only) plus the text an RTF reader shows as text/plain; \fromtext and
//   plain RTF become text/plain. The local message is not changed. An RTF value that cannot be read is logged
//   (warn) and the message is written without a body, as before.
import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import { bodiesFromRtfOnly, buildMimeForStore, loadMessage, type LoadedMessage, type StoreMimeOptions } from '../../../transport/mime.js';
import type { MailAddress } from '../../../transport/mime-encode.js';
import { T, filetimeToDate } from '../../../transport/tags.js';
import { SEC, StoreError } from '../../errors.js';
import { IMAP_FLAG, type ImapFolderRow, type ImapMessageRow } from '../../index/types.js';
import type { PropResult } from '../../types.js';
import { fidOf, type MirrorContext } from './folders.js';
import { flagBits } from './import.js';
import { categoriesIn, categoryKeywords, categoryOf, keywordOf, keywordsTag } from './keywords.js';
import { MIME_MAX_MESSAGE_BYTES } from '../../../mime/parse.js';
import { uidSet, type ImapMirror } from './mirror.js';
import { isOverQuota, isQuotaRefusal, quotaError } from './quota.js';
import { checkFolderMove, createFolder, deleteFolder, renameFolder } from './writeback-folders.js';
import {
  FLAG_PROP_TAGS, checkValidity, once, flagNames, imapError, mirroredFolder, needUidplus, notMirrored, openRw, rowsOf, wantedBits, type Mirrored,
} from './writeback-util.js';

export interface WriteBackOptions {
  /** Domain of generated Message-IDs (server.dnsDomain); default the part after '@' of the user name, else 'localhost'. */
  domain?: string;
  /** From of a message that names no sender (a new draft): normally the mailbox owner. */
  defaultFrom?: MailAddress;
  /** SMTP address of a non-SMTP (EX) address, see buildMimeForStore. */
  resolveAddress?: StoreMimeOptions['resolveAddress'];
}

const toResults = (m: LoadedMessage): PropResult[] => [...m.values].map(([tag, value]) => ({ tag, value }));

export class ImapWriteBack {
  private readonly ctx: MirrorContext;
  private readonly mimeOpts: StoreMimeOptions;

  constructor(mirror: ImapMirror, opts: WriteBackOptions = {}) {
    this.ctx = mirror.ctx;
    const at = this.ctx.username.lastIndexOf('@');
    this.mimeOpts = {
      domain: opts.domain ?? (at >= 0 ? this.ctx.username.slice(at + 1) : 'localhost'),
      ...(opts.defaultFrom ? { defaultFrom: opts.defaultFrom } : {}),
      ...(opts.resolveAddress ? { resolveAddress: opts.resolveAddress } : {}),
    };
  }

  /** A Message-ID of the form buildMimeForStore generates (ImapMailbox sets it on a message before its save). */
  newMessageId(): string {
    return `<${randomBytes(16).toString('hex')}@${this.mimeOpts.domain}>`;
  }

  /** Is this folder mirrored from IMAP (has an imap_folders row, not \Noselect)? */
  async isMirrored(fid: bigint): Promise<boolean> {
    return (await mirroredFolder(this.ctx, fid)) !== null;
  }

  /** After the local store changed read flags: UID STORE +/-FLAGS (\Seen) for the mirrored ones. */
  async setReadFlags(fid: bigint, mids: readonly bigint[], read: boolean): Promise<void> {
    const m = await mirroredFolder(this.ctx, fid);
    if (!m) return;
    const rows = await rowsOf(this.ctx, m.row, mids);
    if (rows.length === 0) return;
    await this.retrying(async (client) => {
      const row = await openRw(this.ctx, client, m);
      await this.store(client, row, rows, read ? IMAP_FLAG.Seen : 0, read ? 0 : IMAP_FLAG.Seen);
      await this.record(client, row, rows, IMAP_FLAG.Seen, false);
    });
  }

  /** Before the local delete: UID STORE +FLAGS (\Deleted) + UID EXPUNGE of exactly those UIDs; index rows removed. */
  async deleteMessages(fid: bigint, mids: readonly bigint[]): Promise<void> {
    const m = await mirroredFolder(this.ctx, fid);
    if (!m) return;
    const rows = await rowsOf(this.ctx, m.row, mids);
    if (rows.length > 0) await this.expunge(m, rows);
  }

  /**
   * After a local move/copy (ids: source MID -> new MID in dst): UID MOVE / UID COPY with the index rows re-keyed to
   * the COPYUID UIDs (both mirrored), APPEND (src not mirrored, or a message of src that is not on IMAP), or UID
   * EXPUNGE (a move from a mirrored folder into a local-only one).
   */
  async moveCopy(src: bigint, dst: bigint, ids: ReadonlyMap<bigint, bigint>, copy: boolean): Promise<void> {
    const s = await mirroredFolder(this.ctx, src);
    const d = await mirroredFolder(this.ctx, dst);
    if (!s && !d) return;
    const rows = s ? await rowsOf(this.ctx, s.row, [...ids.keys()]) : [];
    if (!d) {
      if (!copy && rows.length > 0) await this.expunge(s!, rows);
      return;
    }
    const onImap = new Set(rows.map((r) => r.globcnt));
    const newMid = new Map<bigint, bigint>();
    for (const [from, to] of ids) newMid.set(eidGlobcnt(from), to);
    if (s && rows.length > 0) await this.transfer(s, d, rows, newMid, copy);
    let failure: unknown = null;
    for (const [from, to] of ids) {
      if (onImap.has(eidGlobcnt(from))) continue;
      try {
        await this.saveMessage(dst, to);
      } catch (e) {
        // a refusal over quota is the one thrown (the caller takes back what the server did not get and logs it)
        const quota = (e as { code?: string }).code === 'OC_IMAP_QUOTA';
        if (!quota) this.ctx.log.warn({ user: this.ctx.username, mid: `0x${to.toString(16)}`, err: (e as Error).message }, 'IMAP write-back: APPEND of a moved/copied message failed; it stays local-only');
        if (!failure || (quota && (failure as { code?: string }).code !== 'OC_IMAP_QUOTA')) failure = e;
      }
    }
    if (failure) throw failure;
  }

  /**
   * After a local save of a message in a mirrored folder: APPEND its MIME (buildMimeForStore) with its flags, then
   * UID EXPUNGE of its old UID when it had one (an edit); index row written.
   */
  async saveMessage(fid: bigint, mid: bigint): Promise<void> {
    const m = await mirroredFolder(this.ctx, fid);
    if (!m) throw notMirrored(fid);
    const g = eidGlobcnt(mid);
    const old = (await this.ctx.imap.messagesById([g])).find((r) => r.folderGlobcnt === m.row.folderGlobcnt) ?? null;
    if (old && old.size > MIME_MAX_MESSAGE_BYTES) {
      // its copy here is a stand-in (import.ts stubSource): an APPEND would replace the whole message with it
      this.ctx.log.warn(
        { user: this.ctx.username, mailbox: m.row.imapName, uid: old.uid, size: old.size },
        'IMAP write-back: a message too large to convert is not rewritten on the server; only its flags are',
      );
      await this.setFlags(fid, mid, { seen: true });
      return;
    }
    const loaded = await this.load(mid);
    const mime = await this.mimeOf(mid, loaded, old !== null);
    if (!mime) return;
    const dt = loaded.values.get(T.MessageDeliveryTime);
    const tag = await keywordsTag(this.ctx.mb, false);
    const cats = tag ? loaded.values.get(tag) : undefined;
    const keywords = categoriesIn(cats).map(keywordOf);
    await this.append(m, mid, mime, wantedBits(toResults(loaded)).bits, typeof dt === 'bigint' ? filetimeToDate(dt) : undefined, old, keywords);
  }

  /**
   * Flag status / last verb / \Draft changes without content change: setProps of those tags only, or (`seen`) a
   * message save whose IMAP copy keeps its content (contentKey), where the read state is among the changes too.
   * False when the message has no IMAP copy in fid (the caller APPENDs it then).
   */
  async setFlags(fid: bigint, mid: bigint, opts: { seen?: boolean } = {}): Promise<boolean> {
    const m = await mirroredFolder(this.ctx, fid);
    if (!m) return false;
    const [r] = await rowsOf(this.ctx, m.row, [mid]);
    if (!r) return false;
    const tag = await keywordsTag(this.ctx.mb, false);
    const props = await this.ctx.mb.getMessageProps(mid, tag ? [...FLAG_PROP_TAGS, tag] : FLAG_PROP_TAGS);
    const w = wantedBits(props);
    const mask = opts.seen ? w.mask : w.mask & ~IMAP_FLAG.Seen;
    const add = w.bits & mask & ~r.flags;
    const del = ~w.bits & mask & r.flags;
    // categories (keywords.ts): looked at when the message has some, or its IMAP copy had some
    const catProp = tag ? props.find((p) => p.tag >>> 0 === tag) : undefined;
    const categories = categoriesIn(catProp);
    const keywords = categories.length > 0 || (r.flags & IMAP_FLAG.Keywords) !== 0;
    if (!add && !del && !keywords) return true; // the IMAP flags already say so: no command
    await this.retrying(async (client) => {
      const row = await openRw(this.ctx, client, m);
      await this.store(client, row, [r], add, del);
      const changed = keywords && (await this.storeKeywords(client, row, r, categories));
      await this.record(client, row, [r], add | del | (changed ? IMAP_FLAG.Keywords : 0), true);
    });
    return true;
  }

  createFolder(parentFid: bigint, fid: bigint, name: string): Promise<void> {
    return createFolder(this.ctx, parentFid, fid, name);
  }

  renameFolder(fid: bigint, newParentFid: bigint, newName: string): Promise<void> {
    return renameFolder(this.ctx, fid, newParentFid, newName);
  }

  checkFolderMove(newParentFid: bigint): Promise<void> {
    return checkFolderMove(this.ctx, newParentFid);
  }

  deleteFolder(fid: bigint): Promise<void> {
    return deleteFolder(this.ctx, fid);
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private retrying<X>(fn: (client: ImapFlow) => Promise<X>): Promise<X> {
    return this.ctx.pool.run(this.ctx.username, fn);
  }

  private async load(mid: bigint): Promise<LoadedMessage> {
    const msg = await this.ctx.mb.openMessage(mid);
    try {
      return await loadMessage(msg);
    } finally {
      await msg.discard();
    }
  }

  /** The MIME to APPEND, or null when the message stays as it is on IMAP / local-only. */
  private async mimeOf(mid: bigint, loaded: LoadedMessage, onImap: boolean): Promise<Buffer | null> {
    const log = { user: this.ctx.username, mid: `0x${mid.toString(16)}` };
    for (const e of bodiesFromRtfOnly(loaded)) {
      this.ctx.log.warn({ ...log, code: (e as { code?: string }).code, err: e.message }, 'IMAP write-back: PidTagRtfCompressed unreadable; the message is written without that body');
    }
    const r = buildMimeForStore(loaded, this.mimeOpts);
    if (r.kind === 'original') {
      if (!onImap) this.ctx.log.warn({ ...log, messageClass: r.messageClass }, 'IMAP write-back: S/MIME message has no original MIME on IMAP; kept local-only');
      return null;
    }
    if (r.kind === 'unsupported') {
      this.ctx.log.warn({ ...log, code: r.code, messageClass: r.messageClass }, 'IMAP write-back: not a mail item; kept local-only');
      return null;
    }
    if (r.generatedMessageId) {
      // the local message carries the Message-ID the IMAP copy got, so a later edit keeps it
      await this.ctx.mb.setMessageProps(mid, [{ tag: T.InternetMessageId, value: r.messageId }]);
      loaded.values.set(T.InternetMessageId, r.messageId);
    }
    return r.mime;
  }

  /** UID STORE +FLAGS / -FLAGS of these rows' UIDs. */
  private async store(client: ImapFlow, row: ImapFolderRow, rows: readonly ImapMessageRow[], add: number, del: number): Promise<void> {
    const set = uidSet(rows.map((r) => r.uid));
    if (add && !(await client.messageFlagsAdd(set, flagNames(add), { uid: true, silent: true }))) {
      throw imapError('OC_IMAP_STORE', `UID STORE +FLAGS (${flagNames(add).join(' ')}) refused in ${row.imapName}`);
    }
    if (del && !(await client.messageFlagsRemove(set, flagNames(del), { uid: true, silent: true }))) {
      throw imapError('OC_IMAP_STORE', `UID STORE -FLAGS (${flagNames(del).join(' ')}) refused in ${row.imapName}`);
    }
  }

  /**
   * The category keywords of one message made those of `categories` (UID FETCH FLAGS, then UID STORE +FLAGS / -FLAGS
   * of the difference; other keywords and flags are left alone); true when something was stored.
   */
  private async storeKeywords(client: ImapFlow, row: ImapFolderRow, r: ImapMessageRow, categories: readonly string[]): Promise<boolean> {
    const [f] = await client.fetchAll(String(r.uid), { uid: true, flags: true }, { uid: true });
    if (!f) return false; // expunged meanwhile: the next sync's VANISHED handles it
    const have = categoryKeywords(f.flags);
    const haveCats = have.map(categoryOf);
    const add = categories.filter((c) => !haveCats.includes(c)).map(keywordOf);
    const del = have.filter((k) => !categories.includes(categoryOf(k)));
    // removed first: on a server that matches keywords without regard to case, a keyword spelt otherwise than ours is
    // the same keyword, and adding ours before removing it would leave none
    if (del.length > 0 && !(await client.messageFlagsRemove(String(r.uid), del, { uid: true, silent: true }))) {
      throw imapError('OC_IMAP_STORE', `UID STORE -FLAGS (${del.join(' ')}) refused in ${row.imapName}`);
    }
    if (add.length > 0 && !(await client.messageFlagsAdd(String(r.uid), add, { uid: true, silent: true }))) {
      throw imapError('OC_IMAP_STORE', `UID STORE +FLAGS (${add.join(' ')}) refused in ${row.imapName}`);
    }
    return add.length > 0 || del.length > 0;
  }

  /** Reads back FLAGS and MODSEQ of these rows and records the `mask` bits (and CN / read CN) in the index. */
  private async record(client: ImapFlow, row: ImapFolderRow, rows: readonly ImapMessageRow[], mask: number, content: boolean): Promise<void> {
    const fetched = await client.fetchAll(uidSet(rows.map((r) => r.uid)), { uid: true, flags: true }, { uid: true });
    const byUid = new Map(fetched.map((f) => [f.uid, f]));
    const cn = eidGlobcnt(await this.ctx.mb.currentCn());
    const out: ImapMessageRow[] = [];
    for (const r of rows) {
      const f = byUid.get(r.uid);
      if (!f) continue; // expunged by someone else meanwhile: the next sync's VANISHED handles it
      const next: ImapMessageRow = { ...r, uidvalidity: row.uidvalidity, flags: (r.flags & ~mask) | (flagBits(f.flags) & mask), modseq: f.modseq ?? r.modseq };
      if (mask & IMAP_FLAG.Seen) next.readCn = cn;
      if (content && (await this.ctx.mb.messageExists(fidOf(r.globcnt)))) next.cn = eidGlobcnt((await this.ctx.mb.messageChangeInfo(fidOf(r.globcnt))).cn);
      out.push(next);
    }
    if (out.length > 0) await this.ctx.imap.putMessages(out);
  }

  /** UID STORE +FLAGS (\Deleted) + UID EXPUNGE of exactly these rows, then their index rows go. */
  private async expunge(m: Mirrored, rows: readonly ImapMessageRow[]): Promise<void> {
    await this.retrying(async (client) => {
      const row = await openRw(this.ctx, client, m);
      needUidplus(client);
      const uids = rows.map((r) => r.uid);
      if (!(await client.messageDelete(uidSet(uids), { uid: true }))) {
        throw imapError('OC_IMAP_EXPUNGE', `UID STORE \\Deleted / UID EXPUNGE ${uidSet(uids)} refused in ${row.imapName}`);
      }
      await this.ctx.imap.deleteMessages(row.folderGlobcnt, row.uidvalidity, uids);
    });
  }

  /** UID COPY / UID MOVE of rows from s to d; the destination rows keyed by COPYUID. */
  private async transfer(s: Mirrored, d: Mirrored, rows: readonly ImapMessageRow[], newMid: ReadonlyMap<bigint, bigint>, copy: boolean): Promise<void> {
    const { imap, mb } = this.ctx;
    await once(this.ctx, async (client) => {
      const srow = await openRw(this.ctx, client, s);
      needUidplus(client);
      const uids = rows.map((r) => r.uid);
      const what = `UID ${copy ? 'COPY' : 'MOVE'} ${uidSet(uids)} ${srow.imapName} -> ${d.row.imapName}`;
      // imapflow answers a refused COPY / MOVE with false; its 'response' event still names the status and code
      let refusal: { code?: string } | null = null;
      const onResponse = (r: { response?: string; code?: string }): void => {
        if (r.response === 'NO' || r.response === 'BAD') refusal = { ...(r.code ? { code: r.code } : {}) };
      };
      client.on('response', onResponse);
      let res;
      try {
        res = copy ? await client.messageCopy(uidSet(uids), d.state.path, { uid: true }) : await client.messageMove(uidSet(uids), d.state.path, { uid: true });
      } finally {
        client.off('response', onResponse);
      }
      if (!res) {
        const no = refusal as { code?: string } | null;
        if (no && isOverQuota(no.code, undefined)) throw quotaError(this.ctx.username, d.row.imapName, copy ? 'UID COPY' : 'UID MOVE', no);
        throw imapError(copy ? 'OC_IMAP_COPY' : 'OC_IMAP_MOVE', `${what} refused${no?.code ? ` [${no.code}]` : ''}`);
      }
      if (!copy) await imap.deleteMessages(srow.folderGlobcnt, srow.uidvalidity, uids);
      // the local messages in d whose new UID the server did not tell: the destination's next sync fetches them as
      // messages of their own, so these go (else each would be there twice, one of them never removed)
      const unmapped: bigint[] = [];
      if (!res.uidMap || !res.uidValidity) {
        for (const r of rows) {
          const mid = newMid.get(r.globcnt);
          if (mid !== undefined) unmapped.push(mid);
        }
        await dropLocal(this.ctx, d.row, unmapped);
        throw new StoreError('OC_IMAP_NO_COPYUID', SEC.Error, `${what}: the server sent no COPYUID; the next sync fetches the messages again`);
      }
      const drow = await checkValidity(this.ctx, d.row, res.uidValidity);
      const out: ImapMessageRow[] = [];
      for (const r of rows) {
        const uid = res.uidMap.get(r.uid);
        const mid = newMid.get(r.globcnt);
        if (mid === undefined) continue;
        if (uid === undefined) {
          unmapped.push(mid);
          continue;
        }
        const cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
        out.push({ folderGlobcnt: drow.folderGlobcnt, uidvalidity: drow.uidvalidity, uid, globcnt: eidGlobcnt(mid), modseq: 0n, cn, readCn: cn, flags: r.flags, size: r.size });
      }
      if (out.length > 0) await imap.putMessages(out);
      await dropLocal(this.ctx, d.row, unmapped);
    });
  }

  /** APPEND with APPENDUID into m; index row for `mid` (when given); then the old UID (an edit) expunged. */
  private async append(m: Mirrored, mid: bigint | null, mime: Buffer, bits: number, idate: Date | undefined, old: ImapMessageRow | null, keywords: string[] = []): Promise<void> {
    const { imap, mb } = this.ctx;
    await once(this.ctx, async (client) => {
      const row = await openRw(this.ctx, client, m);
      needUidplus(client);
      let res;
      try {
        res = await client.append(m.state.path, mime, [...flagNames(bits), ...keywords], idate);
      } catch (e) {
        if (isQuotaRefusal(e)) {
          const err = e as { serverResponseCode?: string; responseText?: string };
          throw quotaError(this.ctx.username, row.imapName, 'APPEND', { ...(err.serverResponseCode ? { code: err.serverResponseCode } : {}), ...(err.responseText ? { text: err.responseText } : {}) });
        }
        throw imapError('OC_IMAP_APPEND', `APPEND to ${row.imapName} refused; the message stays local`, e);
      }
      // a UID without UIDVALIDITY is imapflow's guess from a SEARCH of the last sequence number (no APPENDUID came):
      // another message delivered at the same time could be that one, so it is not taken as ours
      if (!res || !res.uid || res.uidValidity === undefined) throw imapError('OC_IMAP_APPEND', `APPEND to ${row.imapName} gave no APPENDUID`);
      if (Number(res.uidValidity) !== row.uidvalidity) {
        throw new StoreError('OC_IMAP_UIDVALIDITY', SEC.ObjectModified, `UIDVALIDITY of ${row.imapName} changed during APPEND`);
      }
      if (mid === null) return;
      const [f] = await client.fetchAll(String(res.uid), { uid: true, flags: true, size: true }, { uid: true });
      const cn = eidGlobcnt((await mb.messageChangeInfo(mid)).cn);
      // one index row per MID: the old version's row goes before the new one is written
      if (old) await imap.deleteMessages(old.folderGlobcnt, old.uidvalidity, [old.uid]);
      await imap.putMessages([{
        folderGlobcnt: row.folderGlobcnt, uidvalidity: row.uidvalidity, uid: res.uid, globcnt: eidGlobcnt(mid), modseq: f?.modseq ?? 0n, cn, readCn: cn,
        flags: f ? flagBits(f.flags) : bits, size: f?.size ?? mime.length,
      }]);
      if (!old || old.uid === res.uid) return;
      if (old.uidvalidity === row.uidvalidity && !(await client.messageDelete(String(old.uid), { uid: true }))) {
        throw imapError('OC_IMAP_EXPUNGE', `the new version is UID ${res.uid}, but UID EXPUNGE of the old UID ${old.uid} in ${row.imapName} was refused`);
      }
    });
  }
}

/**
 * Deletes (hard) local messages of mirrored folder `row` that the server holds under UIDs it did not tell (no COPYUID,
 * or a UID missing from it): the folder's next sync brings them in from IMAP. A failure is logged: the messages are then
 * there twice until deleted.
 */
async function dropLocal(ctx: MirrorContext, row: ImapFolderRow, mids: readonly bigint[]): Promise<void> {
  if (mids.length === 0) return;
  try {
    await ctx.mb.deleteMessages(fidOf(row.folderGlobcnt), mids, { hard: true });
    ctx.log.warn({ user: ctx.username, mailbox: row.imapName, messages: mids.length }, 'IMAP write-back: the server gave no UID for moved or copied messages; their local copies go, the next sync fetches them');
  } catch (e) {
    ctx.log.error({ user: ctx.username, mailbox: row.imapName, err: (e as Error).message }, 'IMAP write-back: local copies without a UID could not be removed');
  }
}
