// Helpers of the ICS download tests: a mailbox with messages (recipients, attachments, read/unread, FAI), a reader of
// contentsSync / hierarchySync streams (K2's parser, then the grammar of MS-OXCFXICS 2.2.4.2), and state helpers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { decodeIdsetReplGuid, decodeIdsetReplId, eidGlobcntNumber, type IdSet } from '../../../src/mapi/idset.js';
import type { PropValue } from '../../../src/mapi/props.js';
import { LocalStore } from '../../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../../src/mapistore/index/sqlite.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { Marker, MetaTag } from '../../../src/rop/fxics/markers.js';
import { parseAll } from '../../../src/rop/fxics/parser.js';
import type { FxElement } from '../../../src/rop/fxics/props.js';
import { TAGS } from './content-helpers.js';

/** The tags of the content tests (message, recipient, attachment properties) and those of ICS change headers. */
export const T = {
  ...TAGS,
  MessageDeliveryTime: 0x0e060040,
  SourceKey: 0x65e00102,
  ParentSourceKey: 0x65e10102,
  ChangeKey: 0x65e20102,
  PredecessorChangeList: 0x65e30102,
  Associated: 0x67aa000b,
  Mid: 0x674a0014,
  FolderId: 0x67480014,
  MessageSize: 0x0e080003,
  ChangeNumber: 0x67a40014,
} as const;

/** State properties as uploaded by a client (RopSynchronizationUploadStateStreamBegin/Continue/End). */
export type StateProps = { tag: number; data: Buffer }[];

/**
 * Gives each test (of the file, or of the describe that calls it) Alice's mailbox in a LocalStore in a fresh temp
 * directory named from `prefix`, with a folder 'Sync' below the IPM subtree; `use` receives both before the test, and
 * the store is closed and the directory removed after it.
 */
export function syncMailbox(prefix: string, use: (mb: MailboxStore, fid: bigint) => void): void {
  let dir = '';
  let store: LocalStore | undefined;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    const mb = await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: '/o=x/cn=alice' });
    use(mb, (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Sync' })).fid);
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** One messageChange of a contentsSync stream. */
export interface MsgChange {
  header: Map<number, PropValue>;
  props: Map<number, PropValue>;
  /** Markers inside the message content (StartRecip, NewAttach ...), in order. */
  children: string[];
  progress?: { size: number; fai: boolean };
}

export interface ParsedSync {
  progressTotal?: Buffer;
  changes: MsgChange[];
  folders: Map<number, PropValue>[];
  deleted: bigint[];
  noLongerInScope: bigint[];
  read: bigint[];
  unread: bigint[];
  state: Map<number, Buffer>;
  /** Markers at the top level, in order (IncrSyncChg, IncrSyncDel, ...). */
  top: string[];
}

const markerNames = new Map<number, string>(Object.entries(Marker).map(([k, v]) => [v, k]));
const ids = (b: PropValue): bigint[] => [...decodeIdsetReplId(b as Buffer).eids()];

/** Parses a contentsSync or hierarchySync stream into its parts (throws when the grammar is broken). */
export function parseSync(bytes: Buffer): ParsedSync {
  const els = parseAll(bytes, { codePage: 1252 });
  const out: ParsedSync = { changes: [], folders: [], deleted: [], noLongerInScope: [], read: [], unread: [], state: new Map(), top: [] };
  let i = 0;
  const props = (into: Map<number, PropValue>): void => {
    while (i < els.length && (els[i] as FxElement).kind === 'prop') {
      const p = els[i++] as Extract<FxElement, { kind: 'prop' }>;
      into.set(p.tag >>> 0, p.value);
    }
  };
  let pendingProgress: { size: number; fai: boolean } | undefined;
  while (i < els.length) {
    const e = els[i++] as FxElement;
    if (e.kind !== 'marker') throw new Error(`property 0x${e.tag.toString(16)} outside an element`);
    const name = markerNames.get(e.tag) ?? `0x${e.tag.toString(16)}`;
    out.top.push(name);
    switch (e.tag) {
      case Marker.IncrSyncProgressMode: {
        const m = new Map<number, PropValue>();
        props(m);
        out.progressTotal = m.get(0x00000102) as Buffer;
        break;
      }
      case Marker.IncrSyncProgressPerMsg: {
        const m = new Map<number, PropValue>();
        props(m);
        pendingProgress = { size: m.get(0x00000003) as number, fai: m.get(0x0000000b) as boolean };
        break;
      }
      case Marker.IncrSyncChg: {
        const header = new Map<number, PropValue>();
        props(header);
        if (els[i]?.kind === 'marker' && (els[i] as { tag: number }).tag === Marker.IncrSyncMessage) {
          i++;
          const c: MsgChange = { header, props: new Map(), children: [] };
          if (pendingProgress) c.progress = pendingProgress;
          pendingProgress = undefined;
          props(c.props);
          // messageChildren: everything up to the next top-level marker
          while (i < els.length) {
            const x = els[i] as FxElement;
            if (x.kind === 'marker' && [Marker.IncrSyncChg, Marker.IncrSyncDel, Marker.IncrSyncRead, Marker.IncrSyncStateBegin, Marker.IncrSyncProgressPerMsg, Marker.IncrSyncEnd].includes(x.tag as never)) break;
            if (x.kind === 'marker') c.children.push(markerNames.get(x.tag) ?? String(x.tag));
            i++;
          }
          out.changes.push(c);
        } else out.folders.push(header);
        break;
      }
      case Marker.IncrSyncDel: {
        const m = new Map<number, PropValue>();
        props(m);
        if (m.has(MetaTag.MetaTagIdsetDeleted)) out.deleted.push(...ids(m.get(MetaTag.MetaTagIdsetDeleted) as Buffer));
        if (m.has(MetaTag.MetaTagIdsetNoLongerInScope)) out.noLongerInScope.push(...ids(m.get(MetaTag.MetaTagIdsetNoLongerInScope) as Buffer));
        expect(m.size).toBeGreaterThan(0);
        break;
      }
      case Marker.IncrSyncRead: {
        const m = new Map<number, PropValue>();
        props(m);
        if (m.has(MetaTag.MetaTagIdsetRead)) out.read.push(...ids(m.get(MetaTag.MetaTagIdsetRead) as Buffer));
        if (m.has(MetaTag.MetaTagIdsetUnread)) out.unread.push(...ids(m.get(MetaTag.MetaTagIdsetUnread) as Buffer));
        break;
      }
      case Marker.IncrSyncStateBegin: {
        const m = new Map<number, PropValue>();
        props(m);
        for (const [k, v] of m) out.state.set(k, v as Buffer);
        const end = els[i++] as FxElement;
        if (end.kind !== 'marker' || end.tag !== Marker.IncrSyncStateEnd) throw new Error('state without IncrSyncStateEnd');
        out.top.push('IncrSyncStateEnd');
        break;
      }
      case Marker.IncrSyncEnd:
        if (i !== els.length) throw new Error('elements after IncrSyncEnd');
        break;
      default:
        throw new Error(`unexpected marker ${name} at the top level`);
    }
  }
  expect(out.top[out.top.length - 1]).toBe('IncrSyncEnd');
  return out;
}

/** The state properties of a parsed stream, as StateProperty tag -> bytes for the upload ROPs. */
export function stateOf(p: ParsedSync): StateProps {
  return [...p.state].map(([tag, data]) => ({ tag, data }));
}

/** A CNSET / IDSET of the state, decoded (REPLGUID form). */
export function stateSet(p: ParsedSync, tag: number): IdSet<string> {
  const b = p.state.get(tag);
  if (!b) throw new Error(`state lacks 0x${tag.toString(16)}`);
  return decodeIdsetReplGuid(b);
}

/** The MIDs of the messageChanges of a stream (from PidTagMid with the Eid flag, else from the source keys). */
export function changedMids(p: ParsedSync): bigint[] {
  return p.changes.map((c) => c.header.get(T.Mid) as bigint);
}

export const g = (id: bigint): number => eidGlobcntNumber(id);

/** Creates `n` messages in `fid` with recipients and attachments (every third), FAI every tenth, read every other. */
export async function populate(mb: MailboxStore, fid: bigint, n: number, tag = 'msg'): Promise<{ mid: bigint; assoc: boolean; read: boolean }[]> {
  const out: { mid: bigint; assoc: boolean; read: boolean }[] = [];
  for (let k = 0; k < n; k++) {
    const assoc = k % 10 === 9;
    const m = await mb.newMessage(fid, { associated: assoc });
    await m.setProps([
      { tag: T.Subject, value: `${tag} ${k}` },
      { tag: T.Body, value: `body of ${tag} ${k} `.repeat(20) },
      { tag: T.MessageClass, value: assoc ? 'IPM.Configuration.Test' : 'IPM.Note' },
      { tag: T.MessageDeliveryTime, value: 130000000000000000n + BigInt(k) * 10_000_000n },
    ]);
    if (!assoc) {
      await m.setRecipients([
        { rowId: 0, props: [{ tag: T.RecipientType, value: 1 }, { tag: T.DisplayName, value: `To ${k}` }, { tag: T.EmailAddress, value: `to${k}@example.com` }, { tag: T.AddressType, value: 'SMTP' }] },
        { rowId: 1, props: [{ tag: T.RecipientType, value: 2 }, { tag: T.DisplayName, value: `Cc ${k}` }, { tag: T.EmailAddress, value: `cc${k}@example.com` }, { tag: T.AddressType, value: 'SMTP' }] },
      ]);
    }
    if (k % 3 === 0 && !assoc) {
      const a = await m.createAttachment();
      await a.setProps([
        { tag: T.AttachMethod, value: 1 },
        { tag: T.AttachLongFilename, value: `file${k}.bin` },
        { tag: T.AttachDataBinary, value: Buffer.alloc(100 + k, k & 0xff) },
      ]);
      await a.save();
    }
    const mid = await m.save();
    const read = k % 2 === 0 && !assoc;
    if (read) await mb.setReadFlags(fid, [mid], true);
    out.push({ mid, assoc, read });
  }
  return out;
}
