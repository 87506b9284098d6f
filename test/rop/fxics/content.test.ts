// FastTransfer content producers (src/rop/fxics/content.ts) and the destination applier (content-apply.ts) against
// a real LocalStore: a message with recipients, attachments, an embedded message and a 1 MB body goes out through
// the lazy producer in buffers of several sizes, is parsed back by the incremental parser fed at arbitrary splits,
// and applied into another folder, which then holds the same message; the grammar checks refuse out-of-order
// markers and leave nothing half-written; a fast-check property feeds arbitrary element sequences to the applier.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../../src/mapistore/index/sqlite.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { ALL_PROPS, folderContent, messageContent, messageList, newStats, propFilter, SUBOBJECT, topFolder, type ContentOptions } from '../../../src/rop/fxics/content.js';
import { FxContentApplier } from '../../../src/rop/fxics/content-apply.js';
import { Marker, MetaTag } from '../../../src/rop/fxics/markers.js';
import { FxStreamParser, parseAll } from '../../../src/rop/fxics/parser.js';
import { FxStreamError, type FxElement } from '../../../src/rop/fxics/props.js';
import { FxStreamProducer, TransferStatus, type FxSourceItem, type FxSourceYield } from '../../../src/rop/fxics/writer.js';
import { describeFolder, describeMessage, midsOf, richMessage, TAGS } from './content-helpers.js';

let dir: string;
let store: LocalStore;
let mb: MailboxStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-fxcontent-'));
  store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
  mb = await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: '/o=Org/cn=alice' });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const opts = (): ContentOptions => ({ store: mb, strings: 'unicode', stats: newStats() });

/** Runs a producer to its end with buffers of `size`, returning the buffers. */
async function drain(source: AsyncIterable<FxSourceYield>, size: number, o: ContentOptions): Promise<Buffer[]> {
  const p = new FxStreamProducer(source, { strings: o.strings, codePage: 1252, names: mb });
  const out: Buffer[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    const b = await p.getBuffer(size);
    expect(b.TransferBuffer.length).toBeLessThanOrEqual(size);
    out.push(b.TransferBuffer);
    if (b.TransferStatus === TransferStatus.Done) return out;
    expect(b.TransferStatus).toBe(TransferStatus.Partial);
  }
  throw new Error('no end');
}

async function newFolder(name: string, parent = mb.special.ipmSubtree): Promise<bigint> {
  return (await mb.createFolder(parent, { displayName: name })).fid;
}

async function applyBuffers(app: FxContentApplier, bufs: Buffer[]): Promise<void> {
  const parser = new FxStreamParser({ codePage: 1252 });
  for (const b of bufs) await app.feed(parser.push(b));
  parser.end();
  await app.finish();
}

describe('messageContent / messageList round trip', () => {
  it('a message with recipients, attachments, an embedded message and a 1 MB body comes back the same through buffers of 61, 4096 and 65535 bytes', async () => {
    const src = await newFolder('Source');
    const mid = await richMessage(mb, src, { bodyChars: 512 * 1024, recipients: 3, attachmentBytes: 200_000, embedded: true, named: 1 });
    const original = await describeMessage(mb, mid);
    for (const size of [61, 4096, 65535]) {
      const o = opts();
      const bufs = await drain(messageList([{ mid }], o), size, o);
      // the 1 MB body and the attachment data were streamed, never held whole
      expect(o.stats!.streamedBytes).toBeGreaterThanOrEqual(1024 * 1024 + 200_000);
      expect(o.stats!.maxInlineBytes).toBeLessThan(64 * 1024);
      // the grammar: StartMessage .. EndMessage with StartRecip / NewAttach / StartEmbed inside
      const els = parseAll(Buffer.concat(bufs));
      const markers = els.filter((e) => e.kind === 'marker').map((e) => e.tag);
      expect(markers[0]).toBe(Marker.StartMessage);
      expect(markers.at(-1)).toBe(Marker.EndMessage);
      expect(markers.filter((t) => t === Marker.StartRecip)).toHaveLength(3 + 1); // 1 in the embedded message
      expect(markers).toContain(Marker.StartEmbed);
      const dst = await newFolder(`Dest${size}`);
      const app = new FxContentApplier(mb, 'messageList', { kind: 'folder', fid: dst });
      await applyBuffers(app, bufs);
      const [copy] = await midsOf(mb, dst);
      expect(await describeMessage(mb, copy!)).toEqual(original);
    }
  });

  it('root messageContent of CopyTo writes MetaTagFXDelProp and replaces the destination object\'s recipients and attachments', async () => {
    const f = await newFolder('F');
    const a = await richMessage(mb, f, { recipients: 2, attachmentBytes: 10, seed: 1 });
    const b = await richMessage(mb, f, { recipients: 5, attachmentBytes: 20, embedded: true, seed: 2 });
    const o = opts();
    const msg = await mb.openMessage(a);
    const els = parseAll(Buffer.concat(await drain(messageContent(msg, propFilter('exclude', [], true), o, true), 1000, o)));
    await msg.discard();
    expect(els.filter((e) => e.kind === 'prop' && e.tag === MetaTag.MetaTagFXDelProp).map((e) => (e as { value: number }).value >>> 0))
      .toEqual([SUBOBJECT.PidTagMessageRecipients, SUBOBJECT.PidTagMessageAttachments]);
    const target = await mb.openMessage(b);
    const app = new FxContentApplier(mb, 'messageContent', { kind: 'message', msg: target });
    await app.feed(els);
    await app.finish();
    await target.save();
    await target.discard();
    const want = await describeMessage(mb, a);
    const got = await describeMessage(mb, b);
    expect(got.recipients).toEqual(want.recipients);
    expect(got.attachments).toEqual(want.attachments);
    expect(got.props['0x0037001f']).toBe(want.props['0x0037001f']);
  });

  it('CopyProperties include list: only the listed properties, no subobjects unless listed; Level != 0 drops them', async () => {
    const f = await newFolder('F');
    const mid = await richMessage(mb, f, { recipients: 2, attachmentBytes: 10 });
    const msg = await mb.openMessage(mid);
    const o = opts();
    const only = parseAll(Buffer.concat(await drain(messageContent(msg, propFilter('include', [TAGS.Subject], true), o), 4096, o)));
    expect(only).toEqual([{ kind: 'prop', tag: TAGS.Subject, value: expect.stringContaining('Subject') }]);
    const withRecips = parseAll(Buffer.concat(await drain(messageContent(msg, propFilter('include', [TAGS.Subject, SUBOBJECT.PidTagMessageRecipients], true), o), 4096, o)));
    expect(withRecips.filter((e) => e.tag === Marker.StartRecip)).toHaveLength(2);
    const level1 = parseAll(Buffer.concat(await drain(messageContent(msg, propFilter('exclude', [TAGS.Body], false), o), 4096, o)));
    expect(level1.some((e) => e.kind === 'marker')).toBe(false);
    expect(level1.some((e) => e.tag === TAGS.Body)).toBe(false);
    await msg.discard();
  });
});

describe('folders', () => {
  it('topFolder with subfolders recreates the tree; folderContent carries MetaTagFXDelProp', async () => {
    const top = await newFolder('Top');
    await mb.setFolderProps(top, [{ tag: TAGS.Comment, value: 'the top' }]);
    const sub = await newFolder('Sub', top);
    const subsub = await newFolder('SubSub', sub);
    await richMessage(mb, top, { seed: 1 });
    await richMessage(mb, top, { seed: 2, associated: true });
    await richMessage(mb, sub, { seed: 3, attachmentBytes: 50_000 });
    await richMessage(mb, subsub, { seed: 4, embedded: true });
    const o = opts();
    const bufs = await drain(topFolder(top, true, o), 333, o);
    const els = parseAll(Buffer.concat(bufs));
    expect(els[0]).toEqual({ kind: 'marker', tag: Marker.StartTopFld });
    expect(els.some((e) => e.tag === MetaTag.MetaTagFXDelProp)).toBe(false);
    const dest = await newFolder('Dest');
    const app = new FxContentApplier(mb, 'topFolder', { kind: 'folder', fid: dest });
    await applyBuffers(app, bufs);
    expect(app.complete).toBe(true);
    const copyTop = await mb.findChild(dest, 'Top');
    expect(copyTop).not.toBeNull();
    const copySub = await mb.findChild(copyTop!, 'Sub');
    const copySubSub = await mb.findChild(copySub!, 'SubSub');
    expect(copySubSub).not.toBeNull();
    expect(await describeFolder(mb, copyTop!)).toEqual(await describeFolder(mb, top));
    expect(await describeFolder(mb, copyTop!, true)).toEqual(await describeFolder(mb, top, true));
    expect(await describeFolder(mb, copySub!)).toEqual(await describeFolder(mb, sub));
    expect(await describeFolder(mb, copySubSub!)).toEqual(await describeFolder(mb, subsub));
    const [comment] = await mb.getFolderProps(copyTop!, [TAGS.Comment]);
    expect(comment).toEqual({ tag: TAGS.Comment, value: 'the top' });

    // without CopySubfolders: no StartSubFld
    const flat = parseAll(Buffer.concat(await drain(topFolder(top, false, opts()), 4096, opts())));
    expect(flat.some((e) => e.tag === Marker.StartSubFld)).toBe(false);
    // folderContent (CopyTo of a folder): MetaTagFXDelProp before the lists and the subfolders
    const fc1 = parseAll(Buffer.concat(await drain(folderContent(top, ALL_PROPS, { delProps: true, subfolders: true }, opts()), 4096, opts())));
    expect(fc1.filter((e) => e.tag === MetaTag.MetaTagFXDelProp).map((e) => (e as { value: number }).value >>> 0)).toEqual([
      SUBOBJECT.PidTagFolderAssociatedContents, SUBOBJECT.PidTagContainerContents, SUBOBJECT.PidTagContainerHierarchy,
      // Sub: its contents list (no FAI? both lists are written) and its subfolder
      SUBOBJECT.PidTagFolderAssociatedContents, SUBOBJECT.PidTagContainerContents, SUBOBJECT.PidTagContainerHierarchy,
      SUBOBJECT.PidTagFolderAssociatedContents, SUBOBJECT.PidTagContainerContents,
    ]);
    const dest2 = await newFolder('Dest2');
    const app2 = new FxContentApplier(mb, 'folderContent', { kind: 'folder', fid: dest2 });
    await app2.feed(fc1);
    await app2.finish();
    expect(await describeFolder(mb, dest2)).toEqual(await describeFolder(mb, top));
    expect(await mb.findChild(dest2, 'Sub')).not.toBeNull();
  });
});

describe('grammar checks', () => {
  const M = (tag: number): FxElement => ({ kind: 'marker', tag });
  const P = (tag: number, value: unknown): FxElement => ({ kind: 'prop', tag, value: value as never });
  const bad: [string, FxElement[]][] = [
    ['EndMessage without StartMessage', [M(Marker.EndMessage)]],
    ['a property outside a message', [P(TAGS.Subject, 'x')]],
    ['EndAttach inside a message body', [M(Marker.StartMessage), P(TAGS.Subject, 'x'), M(Marker.EndAttach)]],
    ['a property after the recipients', [M(Marker.StartMessage), M(Marker.StartRecip), M(Marker.EndToRecip), P(TAGS.Subject, 'x'), M(Marker.EndMessage)]],
    ['recipients after attachments', [M(Marker.StartMessage), M(Marker.NewAttach), P(0x0e210003, 0), M(Marker.EndAttach), M(Marker.StartRecip)]],
    ['NewAttach without PidTagAttachNumber', [M(Marker.StartMessage), M(Marker.NewAttach), P(TAGS.Subject, 'x')]],
    ['EndEmbed closing a message', [M(Marker.StartMessage), M(Marker.EndEmbed)]],
    ['StartSubFld inside a message list', [M(Marker.StartSubFld)]],
    ['a state property in a message', [M(Marker.StartMessage), P(MetaTag.MetaTagCnsetSeen, Buffer.alloc(0))]],
  ];
  for (const [what, els] of bad) {
    it(`refuses ${what}; nothing is stored`, async () => {
      const f = await newFolder('F');
      const app = new FxContentApplier(mb, 'messageList', { kind: 'folder', fid: f });
      await expect(app.feed(els)).rejects.toMatchObject({ code: 'OC_FX_GRAMMAR' });
      expect(await midsOf(mb, f)).toEqual([]);
      // and stays refused
      await expect(app.feed([])).rejects.toBeInstanceOf(FxStreamError);
    });
  }

  it('a truncated message (abort before EndMessage) leaves nothing; the complete one before it stays', async () => {
    const src = await newFolder('S');
    const m1 = await richMessage(mb, src, { seed: 1, attachmentBytes: 40_000 });
    const m2 = await richMessage(mb, src, { seed: 2, bodyChars: 40_000 });
    const o = opts();
    const all = Buffer.concat(await drain(messageList([{ mid: m1 }, { mid: m2 }], o), 4096, o));
    const f = await newFolder('F');
    const app = new FxContentApplier(mb, 'messageList', { kind: 'folder', fid: f });
    const parser = new FxStreamParser();
    await app.feed(parser.push(all.subarray(0, all.length - 100)));
    expect(parser.atBoundary && app.complete).toBe(false);
    await app.abort();
    expect(await midsOf(mb, f)).toHaveLength(1);
    expect((await describeFolder(mb, f))[0]).toEqual(await describeMessage(mb, m1));
  });

  it('a topFolder followed by more elements is refused', async () => {
    const f = await newFolder('F');
    const app = new FxContentApplier(mb, 'topFolder', { kind: 'folder', fid: f });
    await app.feed([M(Marker.StartTopFld), P(TAGS.DisplayName, 'X'), M(Marker.EndFolder)]);
    expect(app.complete).toBe(true);
    await expect(app.feed([M(Marker.StartMessage)])).rejects.toMatchObject({ code: 'OC_FX_GRAMMAR' });
  });

  it('property: a valid two-message stream with bytes mutated is applied or refused with a coded error; stored messages are whole', async () => {
    const src = await newFolder('S');
    const m1 = await richMessage(mb, src, { seed: 1, attachmentBytes: 300, embedded: true });
    const m2 = await richMessage(mb, src, { seed: 2, recipients: 3 });
    const o = opts();
    const good = Buffer.concat(await drain(messageList([{ mid: m1 }, { mid: m2 }], o), 65535, o));
    const f = await newFolder('F');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 600 }),
        async (muts, step) => {
          const bad = Buffer.from(good);
          for (const m of muts) bad[m.at] = m.byte;
          const before = (await midsOf(mb, f)).length + (await midsOf(mb, f, true)).length;
          const app = new FxContentApplier(mb, 'messageList', { kind: 'folder', fid: f });
          const parser = new FxStreamParser({ maxValueSize: 1 << 20, maxMvCount: 1000 });
          try {
            for (let off = 0; off < bad.length; off += step) await app.feed(parser.push(bad.subarray(off, off + step)));
            parser.end();
          } catch (e) {
            expect((e as { code?: string }).code ?? '').toMatch(/^OC_(FX|STORE)_/);
          }
          await app.abort();
          const after = (await midsOf(mb, f)).length + (await midsOf(mb, f, true)).length;
          expect(after - before).toBe(app.stats.messagesSaved);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: arbitrary element sequences are applied or refused with OC_FX_GRAMMAR; only completed messages are stored', async () => {
    const f = await newFolder('F');
    const alphabet: FxElement[] = [
      M(Marker.StartMessage), M(Marker.StartFAIMsg), M(Marker.EndMessage), M(Marker.StartRecip), M(Marker.EndToRecip),
      M(Marker.NewAttach), M(Marker.EndAttach), M(Marker.StartEmbed), M(Marker.EndEmbed), M(Marker.StartSubFld),
      M(Marker.EndFolder), M(Marker.StartTopFld), P(0x0e210003, 0), P(TAGS.Subject, 's'), P(TAGS.RecipientType, 1),
      P(MetaTag.MetaTagFXDelProp, SUBOBJECT.PidTagMessageRecipients), P(MetaTag.MetaTagFXDelProp, SUBOBJECT.PidTagMessageAttachments),
      P(MetaTag.MetaTagEcWarning, 5),
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), async (els) => {
        const before = (await midsOf(mb, f)).length + (await midsOf(mb, f, true)).length;
        const app = new FxContentApplier(mb, 'messageList', { kind: 'folder', fid: f });
        try {
          await app.feed(els);
        } catch (e) {
          expect(e).toBeInstanceOf(FxStreamError);
        }
        await app.abort();
        const after = (await midsOf(mb, f)).length + (await midsOf(mb, f, true)).length;
        expect(after - before).toBe(app.stats.messagesSaved);
        expect(app.stats.messagesSaved).toBeLessThanOrEqual(els.filter((e) => e.tag === Marker.EndMessage).length);
      }),
      { numRuns: 150 },
    );
  });
});
