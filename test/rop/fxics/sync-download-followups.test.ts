// ICS download follow-ups (src/rop/fxics/sync-download.ts, sync-content.ts): objects the client knows by its own source
// keys (GIDs of RopGetLocalReplicaIds ranges, XIDs of its own namespace; MS-OXCFXICS 3.3.5.2.3, 3.3.5.6) get their
// deletions, no-longer-in-scope and read changes in that namespace, and the state names them so; NoForeignIdentifiers
// keeps everything in the server's; MetaTagFXDelProp before recipients and attachments of each messageChange
// (2.2.4.1.5.1); a conflict resolve message goes out as its conflicting versions (3.1.5.6.2.1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eidFrom, encodeIdsetReplGuid, IdSet } from '../../../src/mapi/idset.js';
import { encodeXid } from '../../../src/mapi/ids.js';
import { encodePcl } from '../../../src/mapistore/pcl.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { Marker, MetaTag } from '../../../src/rop/fxics/markers.js';
import { parseAll } from '../../../src/rop/fxics/parser.js';
import type { FxElement } from '../../../src/rop/fxics/props.js';
import { syncMessageContent } from '../../../src/rop/fxics/sync-content.js';
import { clientIdOfKey, IcsDownloadContext, SYNC_EXTRA, SYNC_FLAGS, type SyncConfig } from '../../../src/rop/fxics/sync-download.js';
import { TransferStatus } from '../../../src/rop/fxics/writer.js';
import { readGuid } from '../../../src/util/guid.js';
import { silentLogger } from '../../../src/util/log.js';
import { g, parseSync, stateOf, stateSet, syncMailbox, T, type ParsedSync, type StateProps } from './sync-download-helpers.js';

const log = silentLogger();
const ALL = SYNC_FLAGS.Unicode | SYNC_FLAGS.ReadState | SYNC_FLAGS.FAI | SYNC_FLAGS.Normal;
const EXTRA = SYNC_EXTRA.Eid | SYNC_EXTRA.Cn;
const GIVEN = MetaTag.MetaTagIdsetGiven;
/** A client's own namespace GUID (foreign XIDs). */
const CG = '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
const PidTagMessageStatus = 0x0e170003;
const PidTagInConflict = 0x666c000b;
const PidTagMessageRecipients = 0x0e12000d;
const PidTagMessageAttachments = 0x0e13000d;

let mb: MailboxStore;
let fid: bigint;
syncMailbox('ocng-ics-fu-', (m, f) => {
  mb = m;
  fid = f;
});

async function drain(ctx: IcsDownloadContext): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const b = await ctx.nextBuffer(4096);
    parts.push(b.data);
    if (b.status === TransferStatus.Done) return Buffer.concat(parts);
    expect(b.status).toBe(TransferStatus.Partial);
  }
}

async function sync(cfg: Partial<SyncConfig> = {}, state: StateProps = []): Promise<{ p: ParsedSync; raw: Buffer; ctx: IcsDownloadContext }> {
  const config: SyncConfig = { type: 'contents', fid, sendOptions: 0, flags: ALL, extraFlags: EXTRA, restriction: null, propertyTags: [], codePage: 1252, ...cfg };
  const ctx = new IcsDownloadContext(0, null, mb, config, syncMessageContent, log);
  for (const s of state) {
    ctx.holder.begin(s.tag, s.data.length, log);
    ctx.holder.continue(s.data, log);
    ctx.holder.end(log);
  }
  const raw = await drain(ctx);
  return { p: parseSync(raw), raw, ctx };
}

/** The state of `p` with MetaTagIdsetGiven replaced by `given`. */
function withGiven(p: ParsedSync, given: IdSet<string>): StateProps {
  return stateOf(p).map((s) => (s.tag === GIVEN || s.tag === 0x40170102 ? { tag: s.tag, data: encodeIdsetReplGuid(given) } : s));
}

/** A message stored with a client's source key (as RopSynchronizationImportMessageChange leaves it). */
async function imported(sk: Buffer, subject: string): Promise<bigint> {
  const mid = await mb.createMessage(fid, { props: [{ tag: T.Subject, value: subject }, { tag: T.MessageClass, value: 'IPM.Note' }] });
  const ck = encodeXid(CG, BigInt(0x900 + Number(mid & 0xffn)));
  await mb.setChangeTracking('message', mid, { sourceKey: sk, changeKey: ck, pcl: encodePcl([{ guid: CG, localId: ck.subarray(16) }]), pclMode: 'replace' });
  return mid;
}

const guidOf = (): string => mb.replGuid.toLowerCase();

describe('objects known by the client under its own source keys', () => {
  it('clientIdOfKey reads (GUID, GLOBCNT) of any 22-byte XID and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (guid, n) => {
        const id = clientIdOfKey(encodeXid(guid, BigInt(n)));
        expect(id).toEqual({ guid: guid.toLowerCase(), globcnt: n });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }).filter((b) => b.length !== 22), (b) => {
        expect(clientIdOfKey(b)).toBeNull();
      }),
    );
  });

  it('a message imported under a GID of a reserved range: its key in the header, the state, its deletion and read change', async () => {
    // RopGetLocalReplicaIds: the first GLOBCNT of the reserved range (a GLOBCNT, not an EID)
    const first = await mb.allocateClientRange(10);
    const x = Number(first) + 3;
    const sk = encodeXid(mb.replGuid, BigInt(x));
    const mid = await imported(sk, 'offline');
    const other = await mb.createMessage(fid, { props: [{ tag: T.Subject, value: 'server' }] });
    // the store reports the client's key
    const [skProp] = await mb.getMessageProps(mid, [T.SourceKey]);
    expect(skProp && 'value' in skProp ? skProp.value : null).toEqual(sk);

    const a = await sync();
    const ch = a.p.changes.find((c) => c.header.get(T.Mid) === mid)!;
    expect(ch.header.get(T.SourceKey)).toEqual(sk);
    const given = stateSet(a.p, GIVEN);
    expect(given.hasGlobcnt(guidOf(), x)).toBe(true);
    expect(given.hasGlobcnt(guidOf(), g(mid))).toBe(false);
    expect(given.hasGlobcnt(guidOf(), g(other))).toBe(true);

    // read change, then deletion: named by the client's id
    await mb.setReadFlags(fid, [mid], true);
    const b = await sync({}, stateOf(a.p));
    expect(b.p.read).toEqual([eidFrom(1, x)]);
    await mb.deleteMessages(fid, [mid]);
    const c = await sync({}, stateOf(b.p));
    expect(c.p.deleted).toEqual([eidFrom(1, x)]);
    const after = stateSet(c.p, GIVEN);
    expect(after.hasGlobcnt(guidOf(), x)).toBe(false);
    expect(after.hasGlobcnt(guidOf(), g(other))).toBe(true);
  });

  it('a state naming the import by its server id (an upload collector\'s) still gets the deletion, under the client\'s id', async () => {
    const x = Number(await mb.allocateClientRange(4));
    const mid = await imported(encodeXid(mb.replGuid, BigInt(x)), 'offline');
    const a = await sync();
    const given = new IdSet<string>().addGlobcnt(guidOf(), g(mid));
    await mb.deleteMessages(fid, [mid]);
    const b = await sync({}, withGiven(a.p, given));
    expect(b.p.deleted).toEqual([eidFrom(1, x)]);
    expect(stateSet(b.p, GIVEN).isEmpty()).toBe(true);
  });

  it('a message imported under a foreign XID: the state names it by the foreign GUID, its deletion takes it out', async () => {
    const sk = encodeXid(CG, 0x4242n);
    const mid = await imported(sk, 'foreign');
    const a = await sync();
    expect(a.p.changes[0]!.header.get(T.SourceKey)).toEqual(sk);
    const given = stateSet(a.p, GIVEN);
    expect(given.hasGlobcnt(CG, 0x4242)).toBe(true);
    expect(given.hasGlobcnt(guidOf(), g(mid))).toBe(false);
    await mb.deleteMessages(fid, [mid]);
    const b = await sync({}, stateOf(a.p));
    // no REPLID names the foreign GUID in this store: the deletion goes out under the server's id
    expect(b.p.deleted).toEqual([mid]);
    expect(stateSet(b.p, GIVEN).get(CG)?.isEmpty() ?? true).toBe(true);
  });

  it('no longer in scope is reported under the client\'s id', async () => {
    const x = Number(await mb.allocateClientRange(4));
    const mid = await imported(encodeXid(mb.replGuid, BigInt(x)), 'in scope');
    const restriction = { type: 'content' as const, fuzzyLevel: 0x00010002, propTag: T.Subject, value: { tag: T.Subject, value: 'in scope' } };
    const a = await sync({ restriction });
    expect(a.p.changes).toHaveLength(1);
    await mb.setMessageProps(mid, [{ tag: T.Subject, value: 'out' }]);
    const b = await sync({ restriction }, stateOf(a.p));
    expect(b.p.noLongerInScope).toEqual([eidFrom(1, x)]);
  });

  it('NoForeignIdentifiers: the server\'s GID in the header and the server\'s ids in the state and deletions', async () => {
    const sk = encodeXid(CG, 0x77n);
    const mid = await imported(sk, 'foreign');
    const a = await sync({ flags: ALL | SYNC_FLAGS.NoForeignIdentifiers });
    const sent = a.p.changes[0]!.header.get(T.SourceKey) as Buffer;
    expect(readGuid(sent, 0)).toBe(mb.replGuid);
    expect(clientIdOfKey(sent)).toEqual({ guid: guidOf(), globcnt: g(mid) });
    const given = stateSet(a.p, GIVEN);
    expect(given.hasGlobcnt(guidOf(), g(mid))).toBe(true);
    expect(given.get(CG)).toBeUndefined();
    await mb.deleteMessages(fid, [mid]);
    const b = await sync({ flags: ALL | SYNC_FLAGS.NoForeignIdentifiers }, stateOf(a.p));
    expect(b.p.deleted).toEqual([mid]);
  });

  it('hierarchy: a folder imported under a reserved GID is sent with it and its deletion is named by it', async () => {
    const x = Number(await mb.allocateClientRange(4));
    const sk = encodeXid(mb.replGuid, BigInt(x));
    const sub = await mb.importFolder(null, { parent: fid, displayName: 'Offline', props: [], tracking: { sourceKey: sk, changeKey: encodeXid(CG, 5n), pcl: encodePcl([{ guid: CG, localId: encodeXid(CG, 5n).subarray(16) }]) } });
    const a = await sync({ type: 'hierarchy', flags: SYNC_FLAGS.Unicode, extraFlags: 0 });
    expect(a.p.folders.map((f) => f.get(T.SourceKey))).toEqual([sk]);
    expect(stateSet(a.p, GIVEN).hasGlobcnt(guidOf(), x)).toBe(true);
    await mb.deleteFolder(sub, 0);
    const b = await sync({ type: 'hierarchy', flags: SYNC_FLAGS.Unicode, extraFlags: 0 }, stateOf(a.p));
    expect(b.p.deleted).toEqual([eidFrom(1, x)]);
    expect(stateSet(b.p, GIVEN).isEmpty()).toBe(true);
  });
});

/** The elements of each messageChange's content (after IncrSyncMessage), at the top level of the stream. */
function messageContents(raw: Buffer): FxElement[][] {
  const els = parseAll(raw, { codePage: 1252 });
  const out: FxElement[][] = [];
  let cur: FxElement[] | null = null;
  const top = new Set<number>([Marker.IncrSyncChg, Marker.IncrSyncDel, Marker.IncrSyncRead, Marker.IncrSyncStateBegin, Marker.IncrSyncProgressPerMsg, Marker.IncrSyncEnd]);
  for (const e of els) {
    if (e.kind === 'marker' && e.tag === Marker.IncrSyncMessage) {
      cur = [];
      out.push(cur);
      continue;
    }
    if (e.kind === 'marker' && top.has(e.tag)) cur = null;
    cur?.push(e);
  }
  return out;
}

const describeEl = (e: FxElement): string =>
  e.kind === 'marker' ? (Object.entries(Marker).find(([, v]) => v === e.tag)?.[0] ?? `m${e.tag}`) : e.tag >>> 0 === MetaTag.MetaTagFXDelProp ? `DelProp:${((e.value as number) >>> 0).toString(16)}` : 'prop';

describe('MetaTagFXDelProp in messageChange', () => {
  it('comes before the recipients and before the attachments, also with none, and never inside an embedded message', async () => {
    const m = await mb.newMessage(fid, {});
    await m.setProps([{ tag: T.Subject, value: 'with children' }]);
    await m.setRecipients([{ rowId: 0, props: [{ tag: T.RecipientType, value: 1 }, { tag: T.DisplayName, value: 'To' }, { tag: T.EmailAddress, value: 'to@example.com' }, { tag: T.AddressType, value: 'SMTP' }] }]);
    const att = await m.createAttachment();
    await att.setProps([{ tag: T.AttachMethod, value: 5 }]);
    const emb = await att.openEmbeddedMessage(true);
    await emb.setProps([{ tag: T.Subject, value: 'inner' }]);
    const ia = await emb.createAttachment();
    await ia.setProps([{ tag: T.AttachMethod, value: 1 }, { tag: T.AttachDataBinary, value: Buffer.from('x') }]);
    await ia.save();
    await emb.save();
    await att.save();
    const full = await m.save();
    const bare = await mb.createMessage(fid, { props: [{ tag: T.Subject, value: 'bare' }] });

    const { raw, p } = await sync();
    const contents = messageContents(raw);
    const byMid = new Map(p.changes.map((c, i) => [c.header.get(T.Mid) as bigint, contents[i]!]));
    const seq = (mid: bigint): string[] => byMid.get(mid)!.map(describeEl).filter((n) => n !== 'prop');
    const r = `DelProp:${PidTagMessageRecipients.toString(16)}`;
    const a = `DelProp:${PidTagMessageAttachments.toString(16)}`;
    expect(seq(full).slice(0, 4)).toEqual([r, 'StartRecip', 'EndToRecip', a]);
    expect(seq(full).slice(4)).toEqual(['NewAttach', 'StartEmbed', 'NewAttach', 'EndAttach', 'EndEmbed', 'EndAttach']);
    expect(seq(bare)).toEqual([r, a]);
  });

  it('excluded subobjects travel without one', async () => {
    await mb.createMessage(fid, { props: [{ tag: T.Subject, value: 'bare' }] });
    const { raw } = await sync({ propertyTags: [PidTagMessageRecipients, PidTagMessageAttachments] });
    const names = messageContents(raw)[0]!.map(describeEl);
    expect(names.some((n) => n.startsWith('DelProp'))).toBe(false);
  });
});

describe('conflict resolve messages', () => {
  /** A conflict resolve message as the upload side makes it: two embedded versions with their change tracking. */
  async function resolveMessage(tracking: boolean): Promise<{ mid: bigint; versions: { subject: string; ck: Buffer; pcl: Buffer }[] }> {
    const versions = [
      { subject: 'server side', ck: encodeXid(mb.replGuid, 0x500n), lm: 133000000000000000n },
      { subject: 'client side', ck: encodeXid(CG, 0x12n), lm: 133000000010000000n },
    ].map((v) => ({ ...v, pcl: encodePcl([{ guid: readGuid(v.ck, 0), localId: v.ck.subarray(16) }]) }));
    const m = await mb.newMessage(fid, {});
    await m.setProps([{ tag: T.Subject, value: 'client side' }, { tag: PidTagMessageStatus, value: 0x800 }]);
    for (const v of versions) {
      const att = await m.createAttachment();
      await att.setProps([
        { tag: T.AttachMethod, value: 5 },
        { tag: PidTagInConflict, value: true },
        // the version's change tracking travels on its attachment (VERSION_TAGS)
        ...(tracking ? [{ tag: T.ChangeKey, value: v.ck }, { tag: T.PredecessorChangeList, value: v.pcl }, { tag: T.LastModificationTime, value: v.lm }] : []),
      ]);
      const emb = await att.openEmbeddedMessage(true);
      await emb.setProps([{ tag: T.Subject, value: v.subject }]);
      await emb.save();
      await att.save();
    }
    const mid = await m.save();
    return { mid, versions };
  }

  it('goes out as its conflicting versions: one messageChange each, same source key, own change key and PCL', async () => {
    const plain = await mb.createMessage(fid, { props: [{ tag: T.Subject, value: 'plain' }] });
    const { mid, versions } = await resolveMessage(true);

    const { p, ctx } = await sync();
    const mine = p.changes.filter((c) => c.header.get(T.Mid) === mid);
    expect(mine).toHaveLength(2);
    const sk = (await mb.messageChangeInfo(mid)).sourceKey;
    for (const [k, c] of mine.entries()) {
      expect(c.header.get(T.SourceKey)).toEqual(sk);
      expect(c.header.get(T.ChangeKey)).toEqual(versions[k]!.ck);
      expect(c.header.get(T.PredecessorChangeList)).toEqual(versions[k]!.pcl);
      expect(c.props.get(T.Subject)).toBe(versions[k]!.subject);
      expect(c.props.has(PidTagMessageStatus) && ((c.props.get(PidTagMessageStatus) as number) & 0x800) !== 0).toBe(false);
    }
    expect(p.changes.filter((c) => c.header.get(T.Mid) === plain)).toHaveLength(1);
    expect(ctx.stats.conflictVersions).toBe(2);
    expect(stateSet(p, GIVEN).hasGlobcnt(guidOf(), g(mid))).toBe(true);
  });

  it('versions without change tracking: the resolve message goes out whole', async () => {
    const { mid } = await resolveMessage(false);
    const { p, ctx } = await sync();
    const mine = p.changes.filter((c) => c.header.get(T.Mid) === mid);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.props.get(PidTagMessageStatus)).toBe(0x800);
    expect(ctx.stats.conflictVersions).toBe(0);
  });
});
