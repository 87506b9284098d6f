// The destination side of FastTransfer copy (RopFastTransferDestinationConfigure / PutBuffer, MS-OXCFXICS
// 3.2.5.8.2): applies the elements of an uploaded stream (parsed by parser.ts) to the store, checking the grammar of
// MS-OXCFXICS 2.2.4.3 (see content.ts for it) for the root element the SourceOperation and the target object give:
//   folder + CopyTo/CopyProperties   -> folderContent (onto the folder)
//   message + CopyTo/CopyProperties  -> messageContent (into the open message object; the client saves it)
//   attachment + CopyTo/CopyProperties -> attachmentContent (into the open attachment object; the client saves it)
//   folder + CopyMessages            -> messageList (new messages in the folder)
//   folder + CopyFolder              -> topFolder (a new subfolder of the folder, its messages and subfolders)
//
// Choices where the spec leaves room:
// - Atomicity is per item: a new message is staged in a MessageObject (recipients, attachments and embedded messages
//   in its working copy, large values in staged blobs) and saved only at its EndMessage; a folder is created when
//   its propList is complete. A stream refused half-way (grammar, lexical error, store error) or cut off (the
//   destination released before the element ended) discards the staged message: no half-written item. Messages
//   and folders completed before stay (the stream has no commit point: MS-OXCFXICS 3.2.5.8.2 ends with the root).
// - An out-of-order marker, a property where only markers may come, an element after a completed topFolder, or a
//   MetaTagFXDelProp naming something else than the subobjects of 2.2.1.7: FxStreamError OC_FX_GRAMMAR.
// - MetaTagFXDelProp before recipients / attachments of messageContent removes the object's existing ones (the
//   stream replaces them); before folder message lists and subfolders it only marks the list (existing messages and
//   subfolders of the destination folder stay).
// - Properties the store computes (PidTagMid, keys, sizes, ...) are dropped silently, as RopCopyTo does; the
//   attachment number after NewAttach is not kept (the destination numbers its attachments itself).
// - Values past 32 KiB of streamable types are written through PropStream (the store keeps them as blobs).
// - Named properties are mapped to the mailbox's ids (created on first use) by NamedPropMapper.
import { PT, propId, propType, type TaggedValue } from '../../mapi/props.js';
import type { FolderInit, MailboxStore, MessageObject, AttachmentObject, PropObject, RecipientChange } from '../../mapistore/types.js';
import { TAG } from '../../mapistore/tags.js';
import type { Logger } from '../../util/log.js';
import { Marker, MetaTag, describeTag } from './markers.js';
import { FxStreamError, NamedPropMapper, type FxElement, type FxProp } from './props.js';
import { PidTagAttachNumber, PidTagRowid, SUBOBJECT } from './content.js';

export type DestinationRoot = 'folderContent' | 'messageContent' | 'attachmentContent' | 'messageList' | 'topFolder';

export type DestinationTarget =
  | { kind: 'folder'; fid: bigint }
  | { kind: 'message'; msg: MessageObject }
  | { kind: 'attachment'; att: AttachmentObject };

/** Values at least this large are written through a PropStream. */
const STREAM_WRITE_MIN = 32 * 1024;
const STREAMABLE = new Set<number>([PT.BINARY, PT.UNICODE, PT.STRING8]);
/** Deepest nesting of frames (folders, messages, attachments, embedded messages). */
const MAX_DEPTH = 64;

const grammar = (msg: string): FxStreamError => new FxStreamError('OC_FX_GRAMMAR', msg);

type MsgPhase = 'props' | 'recips' | 'atts';
interface MsgFrame {
  t: 'msg';
  obj: MessageObject;
  phase: MsgPhase;
  /** EndMessage (top-level, saved at the end), EndEmbed (embedded), or null (root messageContent). */
  end: number | null;
  props: FxProp[];
  recipients: RecipientChange[];
  nextRow: number;
  clearRecipients: boolean;
}
interface RecipFrame { t: 'recip'; props: TaggedValue[] }
interface AttFrame { t: 'att'; obj: AttachmentObject; phase: 'num' | 'props' | 'embedded'; props: FxProp[]; root: boolean }
interface FolderFrame {
  t: 'folder';
  /** The folder once it exists (root folderContent: at once; new folders: after their propList). */
  fid: bigint | null;
  parent: bigint | null;
  phase: 'props' | 'messages' | 'subfolders';
  props: FxProp[];
  /** topFolder / subFolder (ended by EndFolder) or the root folderContent (ended by the stream). */
  end: boolean;
}
interface ListFrame { t: 'list'; fid: bigint }
type Frame = MsgFrame | RecipFrame | AttFrame | FolderFrame | ListFrame;

export interface ApplyStats {
  messagesSaved: number;
  foldersCreated: number;
}

/**
 * Applies one upload. feed() takes the parser's elements in order (awaiting each call in turn); abort() drops what
 * is staged (the destination object is released, or the stream was refused).
 */
export class FxContentApplier {
  private readonly stack: Frame[] = [];
  private rootDone = false;
  private failed: Error | null = null;
  readonly stats: ApplyStats = { messagesSaved: 0, foldersCreated: 0 };
  private readonly names: NamedPropMapper;

  constructor(
    private readonly store: MailboxStore,
    readonly root: DestinationRoot,
    target: DestinationTarget,
    private readonly log?: Logger,
  ) {
    this.names = new NamedPropMapper(store);
    switch (root) {
      case 'messageContent':
        if (target.kind !== 'message') throw new TypeError('messageContent needs a message');
        this.stack.push(newMsgFrame(target.msg, null));
        break;
      case 'attachmentContent':
        if (target.kind !== 'attachment') throw new TypeError('attachmentContent needs an attachment');
        this.stack.push({ t: 'att', obj: target.att, phase: 'props', props: [], root: true });
        break;
      case 'folderContent':
        if (target.kind !== 'folder') throw new TypeError('folderContent needs a folder');
        this.stack.push({ t: 'folder', fid: target.fid, parent: null, phase: 'props', props: [], end: false });
        break;
      case 'messageList':
        if (target.kind !== 'folder') throw new TypeError('messageList needs a folder');
        this.stack.push({ t: 'list', fid: target.fid });
        break;
      case 'topFolder':
        if (target.kind !== 'folder') throw new TypeError('topFolder needs a folder');
        this.topParent = target.fid;
        break;
    }
  }

  private topParent: bigint | null = null;

  /** True when the stream so far ends at a place where the root element may end (nothing staged is pending). */
  get complete(): boolean {
    if (this.failed) return false;
    if (this.root === 'topFolder') return this.rootDone;
    if (this.root === 'messageList') return this.stack.length === 1;
    return this.stack.length === 1;
  }

  async feed(els: readonly FxElement[]): Promise<void> {
    if (this.failed) throw this.failed;
    try {
      for (const el of els) await this.one(el);
    } catch (e) {
      this.failed = e instanceof Error ? e : new Error(String(e));
      await this.abort();
      throw e;
    }
  }

  /** The stream ended (the client released the destination): the root's own properties are flushed. */
  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    const top = this.stack[this.stack.length - 1];
    if (this.stack.length === 1 && top) {
      if (top.t === 'msg' && top.end === null) await this.flushMsg(top);
      else if (top.t === 'att' && top.root) await this.flushProps(top.obj, top.props);
      else if (top.t === 'folder' && !top.end) await this.flushFolder(top);
    }
  }

  /** Drops every staged object (messages not yet saved are discarded). */
  async abort(): Promise<void> {
    while (this.stack.length > 0) {
      const f = this.stack.pop() as Frame;
      if (f.t === 'msg' && f.end === Marker.EndMessage) await f.obj.discard().catch(() => {});
    }
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private push(f: Frame): void {
    if (this.stack.length >= MAX_DEPTH) throw grammar(`nesting deeper than ${MAX_DEPTH}`);
    this.stack.push(f);
  }

  private async one(el: FxElement): Promise<void> {
    if (this.rootDone) throw grammar(`${describeTag(el.tag)} after the end of the topFolder`);
    const f = this.top();
    if (!f) {
      // topFolder before its start marker
      if (el.kind === 'marker' && el.tag === Marker.StartTopFld) {
        this.push({ t: 'folder', fid: null, parent: this.topParent, phase: 'props', props: [], end: true });
        return;
      }
      throw grammar(`${describeTag(el.tag)} where StartTopFld must come`);
    }
    switch (f.t) {
      case 'msg':
        return this.inMessage(f, el);
      case 'recip':
        return this.inRecipient(f, el);
      case 'att':
        return this.inAttachment(f, el);
      case 'folder':
        return this.inFolder(f, el);
      case 'list':
        return this.inList(f.fid, el);
    }
  }

  // ---- messages ----------------------------------------------------------------------------------------------------

  private async inList(fid: bigint, el: FxElement): Promise<void> {
    if (el.kind === 'prop' && el.tag === MetaTag.MetaTagEcWarning) return;
    if (el.kind === 'marker' && (el.tag === Marker.StartMessage || el.tag === Marker.StartFAIMsg)) {
      const msg = await this.store.newMessage(fid, { associated: el.tag === Marker.StartFAIMsg });
      this.push(newMsgFrame(msg, Marker.EndMessage));
      return;
    }
    throw grammar(`${describeTag(el.tag)} where a message must start`);
  }

  private async inMessage(f: MsgFrame, el: FxElement): Promise<void> {
    if (el.kind === 'prop') {
      if (el.tag === MetaTag.MetaTagFXDelProp) {
        const sub = (el.value as number) >>> 0;
        if (sub === SUBOBJECT.PidTagMessageRecipients && f.phase === 'props') {
          await this.flushMsgProps(f);
          f.phase = 'recips';
          f.clearRecipients = true;
          return;
        }
        if (sub === SUBOBJECT.PidTagMessageAttachments && f.phase !== 'atts') {
          await this.flushMsg(f);
          f.phase = 'atts';
          for (const a of await f.obj.attachmentTable([])) await f.obj.deleteAttachment(a.attachNum);
          return;
        }
        throw grammar(`MetaTagFXDelProp ${describeTag(sub)} out of place in a message`);
      }
      if (isMeta(el.tag)) throw grammar(`${describeTag(el.tag)} inside a message`);
      if (f.phase !== 'props') throw grammar(`property ${describeTag(el.tag)} after the recipients or attachments of a message`);
      f.props.push(el);
      if (f.props.length >= 256) await this.flushMsgProps(f);
      return;
    }
    switch (el.tag) {
      case Marker.StartRecip:
        if (f.phase === 'atts') throw grammar('StartRecip after the attachments of a message');
        await this.flushMsgProps(f);
        f.phase = 'recips';
        this.push({ t: 'recip', props: [] });
        return;
      case Marker.NewAttach: {
        await this.flushMsg(f);
        f.phase = 'atts';
        const att = await f.obj.createAttachment();
        this.push({ t: 'att', obj: att, phase: 'num', props: [], root: false });
        return;
      }
      case Marker.EndMessage:
      case Marker.EndEmbed: {
        if (f.end !== el.tag) throw grammar(`${describeTag(el.tag)} does not end this element`);
        await this.flushMsg(f);
        this.stack.pop();
        await f.obj.save();
        if (el.tag === Marker.EndMessage) {
          // a top-level message is done with once saved (an embedded one belongs to its attachment until that is saved)
          await f.obj.discard();
          this.stats.messagesSaved++;
        } else {
          const att = this.top();
          if (att?.t === 'att') att.phase = 'embedded';
        }
        return;
      }
      default:
        throw grammar(`${describeTag(el.tag)} inside a message`);
    }
  }

  private async inRecipient(f: RecipFrame, el: FxElement): Promise<void> {
    if (el.kind === 'prop' && !isMeta(el.tag)) {
      const p = await this.names.localize(el);
      if (p) f.props.push({ tag: p.tag, value: p.value });
      return;
    }
    if (el.kind === 'marker' && el.tag === Marker.EndToRecip) {
      this.stack.pop();
      const m = this.top() as MsgFrame;
      const rid = f.props.find((p) => propId(p.tag) === propId(PidTagRowid));
      const rowId = typeof rid?.value === 'number' && rid.value >= 0 ? rid.value : m.nextRow;
      m.nextRow = Math.max(m.nextRow, rowId + 1);
      m.recipients.push({ rowId, props: f.props.filter((p) => propId(p.tag) !== propId(PidTagRowid)) });
      return;
    }
    throw grammar(`${describeTag(el.tag)} inside a recipient`);
  }

  private async inAttachment(f: AttFrame, el: FxElement): Promise<void> {
    if (f.phase === 'num') {
      if (el.kind === 'prop' && el.tag >>> 0 === PidTagAttachNumber) {
        f.phase = 'props';
        return;
      }
      throw grammar(`${describeTag(el.tag)} where PidTagAttachNumber must follow NewAttach`);
    }
    if (el.kind === 'prop') {
      if (isMeta(el.tag)) throw grammar(`${describeTag(el.tag)} inside an attachment`);
      if (f.phase !== 'props') throw grammar(`property ${describeTag(el.tag)} after the embedded message of an attachment`);
      f.props.push(el);
      if (f.props.length >= 256) await this.flushProps(f.obj, f.props);
      return;
    }
    if (el.tag === Marker.StartEmbed && f.phase === 'props') {
      await this.flushProps(f.obj, f.props);
      const emb = await f.obj.openEmbeddedMessage(true);
      this.push(newMsgFrame(emb, Marker.EndEmbed));
      return;
    }
    if (el.tag === Marker.EndAttach && !f.root) {
      await this.flushProps(f.obj, f.props);
      this.stack.pop();
      await f.obj.save();
      return;
    }
    throw grammar(`${describeTag(el.tag)} inside an attachment`);
  }

  // ---- folders -----------------------------------------------------------------------------------------------------

  private async inFolder(f: FolderFrame, el: FxElement): Promise<void> {
    if (el.kind === 'prop') {
      if (el.tag === MetaTag.MetaTagFXDelProp) {
        const sub = (el.value as number) >>> 0;
        await this.flushFolder(f);
        if ((sub === SUBOBJECT.PidTagContainerContents || sub === SUBOBJECT.PidTagFolderAssociatedContents) && f.phase !== 'subfolders') {
          f.phase = 'messages';
          return;
        }
        if (sub === SUBOBJECT.PidTagContainerHierarchy) {
          f.phase = 'subfolders';
          return;
        }
        throw grammar(`MetaTagFXDelProp ${describeTag(sub)} out of place in a folder`);
      }
      if (el.tag === MetaTag.MetaTagNewFXFolder) {
        if (f.phase !== 'props') throw grammar('MetaTagNewFXFolder after the messages of a folder');
        await this.flushFolder(f);
        f.phase = 'messages';
        return;
      }
      if (el.tag === MetaTag.MetaTagEcWarning && f.phase !== 'subfolders') {
        await this.flushFolder(f);
        f.phase = 'messages';
        return;
      }
      if (isMeta(el.tag)) throw grammar(`${describeTag(el.tag)} inside a folder`);
      if (f.phase !== 'props') throw grammar(`property ${describeTag(el.tag)} after the messages or subfolders of a folder`);
      f.props.push(el);
      if (f.props.length >= 1024) throw grammar('more than 1024 properties on a folder');
      return;
    }
    switch (el.tag) {
      case Marker.StartMessage:
      case Marker.StartFAIMsg: {
        if (f.phase === 'subfolders') throw grammar(`${describeTag(el.tag)} after the subfolders of a folder`);
        const fid = await this.flushFolder(f);
        f.phase = 'messages';
        const msg = await this.store.newMessage(fid, { associated: el.tag === Marker.StartFAIMsg });
        this.push(newMsgFrame(msg, Marker.EndMessage));
        return;
      }
      case Marker.StartSubFld: {
        const fid = await this.flushFolder(f);
        f.phase = 'subfolders';
        this.push({ t: 'folder', fid: null, parent: fid, phase: 'props', props: [], end: true });
        return;
      }
      case Marker.EndFolder: {
        if (!f.end) throw grammar('EndFolder without StartTopFld or StartSubFld');
        await this.flushFolder(f);
        this.stack.pop();
        if (this.stack.length === 0) this.rootDone = true;
        return;
      }
      default:
        throw grammar(`${describeTag(el.tag)} inside a folder`);
    }
  }

  /** Creates the folder of a frame (new folders) or stores the root folder's properties; returns its FID. */
  private async flushFolder(f: FolderFrame): Promise<bigint> {
    const values = await this.localized(f.props);
    f.props = [];
    if (f.fid !== null) {
      if (values.length > 0) await this.store.setFolderProps(f.fid, values.filter((v) => propId(v.tag) !== propId(TAG.DisplayName) || typeof v.value === 'string'));
      return f.fid;
    }
    const name = values.find((v) => propId(v.tag) === propId(TAG.DisplayName));
    if (!name || typeof name.value !== 'string' || name.value === '') throw grammar('a new folder without PidTagDisplayName');
    const rest = values.filter((v) => ![TAG.DisplayName, TAG.Comment, TAG.ContainerClass].some((t) => propId(t) === propId(v.tag)));
    const comment = values.find((v) => propId(v.tag) === propId(TAG.Comment));
    const cls = values.find((v) => propId(v.tag) === propId(TAG.ContainerClass));
    const init: FolderInit = { displayName: name.value, props: rest };
    if (typeof comment?.value === 'string') init.comment = comment.value;
    if (typeof cls?.value === 'string') init.containerClass = cls.value;
    const { fid } = await this.store.createFolder(f.parent as bigint, init);
    this.stats.foldersCreated++;
    f.fid = fid;
    return fid;
  }

  // ---- property writes ---------------------------------------------------------------------------------------------

  private async localized(props: readonly FxProp[]): Promise<TaggedValue[]> {
    const out: TaggedValue[] = [];
    for (const p of props) {
      const l = await this.names.localize(p);
      if (l) out.push({ tag: l.tag >>> 0, value: l.value });
    }
    return out;
  }

  private async flushMsgProps(f: MsgFrame): Promise<void> {
    await this.flushProps(f.obj, f.props);
  }

  /** The message's staged properties and recipients into its object. */
  private async flushMsg(f: MsgFrame): Promise<void> {
    await this.flushMsgProps(f);
    if (f.clearRecipients || f.recipients.length > 0) {
      if (f.clearRecipients) await f.obj.setRecipients(f.recipients);
      else await f.obj.modifyRecipients(f.recipients);
      f.clearRecipients = false;
      f.recipients = [];
    }
  }

  /** Sets staged properties: large streamable values through a PropStream, the rest with setProps. */
  private async flushProps(obj: PropObject, props: FxProp[]): Promise<void> {
    if (props.length === 0) return;
    const values = await this.localized(props);
    props.length = 0;
    const small: TaggedValue[] = [];
    for (const v of values) {
      if (propId(v.tag) === propId(PidTagAttachNumber)) continue;
      const t = propType(v.tag);
      const bytes = STREAMABLE.has(t) ? valueBytes(t, v.value) : null;
      if (bytes && bytes.length >= STREAM_WRITE_MIN) {
        const s = await obj.openStream(v.tag, 'create');
        try {
          for (let off = 0; off < bytes.length; off += 1 << 20) await s.write(off, bytes.subarray(off, Math.min(bytes.length, off + (1 << 20))));
          await s.commit();
        } finally {
          await s.close();
        }
      } else small.push(v);
    }
    if (small.length > 0) {
      const problems = await obj.setProps(small);
      for (const p of problems) {
        if (p.error !== 0x8004011a /* ecComputed */) this.log?.info({ tag: describeTag(p.tag), error: p.error }, 'FastTransfer upload: property not set');
      }
    }
  }
}

function newMsgFrame(obj: MessageObject, end: number | null): MsgFrame {
  return { t: 'msg', obj, phase: 'props', end, props: [], recipients: [], nextRow: 0, clearRecipients: false };
}

/** Meta-properties and ICS state properties (ids 0x4000..0x7FFF of the markers table, MS-OXCFXICS 2.2.4.1.5). */
function isMeta(tag: number): boolean {
  return Object.values(MetaTag).includes(tag >>> 0 as never);
}

function valueBytes(type: number, v: unknown): Buffer | null {
  if (type === PT.BINARY) return Buffer.isBuffer(v) ? v : null;
  if (type === PT.UNICODE) return typeof v === 'string' ? Buffer.from(v, 'utf16le') : null;
  if (type === PT.STRING8) return typeof v === 'string' ? Buffer.from(v, 'latin1') : null;
  return null;
}
