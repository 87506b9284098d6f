// Issue 7's acceptance run (Cached Exchange Mode): the project's EMSMDB client (test/interop/emsmdb/cached_mode.py
// with ics.py: Python on impacket's DCE/RPC over TCP at PKT_PRIVACY with LZ77 + XOR, written from MS-OXCFXICS /
// MS-OXCROPS independently of src/) syncs alice's mailbox the way Outlook does in Cached Exchange Mode. The store is
// filled here (5 folders, 1,000 messages with bodies, recipients, attachments, embedded messages, categories in the
// PidNameKeywords named property, flags); its properties are exported as JSON and the client compares what ICS
// brought value by value. Between the client's phases (separate processes: the ICS state is kept in a file, so
// every phase also proves it survives a disconnect and a reconnect) this file changes the store: modify 10, delete
// 5, mark 20 read, add 3; server-side edits for conflicts; folder create/rename/move/delete. Each acceptance step is
// one test below, checked on the client's JSON and against the store.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PropValue } from '../../src/mapi/props.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { eidString, USER_DN } from '../helpers/emsmdb-mailbox.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import { exportMessages } from '../helpers/ics-export.js';
import { checkCompared, checkExactChanges, checkFirstCompared, checkFolderStream, checkNoEcho, phaseStep } from './emsmdb/cached-checks.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FOLDERS = ['Sync A', 'Sync B', 'Sync C', 'Sync D', 'Sync E'];
const HFOLDERS = ['H1', 'H2', 'H3', 'H4', 'H5'];
const MESSAGES = 1000;
const PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046';
const T = {
  subject: 0x0037001f,
  body: 0x1000001f,
  messageClass: 0x001a001f,
  importance: 0x00170003,
  delivery: 0x0e060040,
  senderName: 0x0c1a001f,
  senderEmail: 0x0c1f001f,
  flagStatus: 0x10900003,
  iconIndex: 0x10800003,
  messageFlags: 0x0e070003,
  messageStatus: 0x0e170003,
  recipientType: 0x0c150003,
  displayName: 0x3001001f,
  emailAddress: 0x3003001f,
  addrType: 0x3002001f,
  smtpAddress: 0x39fe001f,
  attachMethod: 0x37050003,
  attachData: 0x37010102,
  attachFilename: 0x3707001f,
  attachMime: 0x370e001f,
};
/** ICS change-tracking properties: sent in the messageChangeHeader of a contents sync, not in a copied message. */
const ICS_HEADER = new Set(['0x65E00102', '0x65E20102', '0x65E30102', '0x67A40014', '0x67AA000B']);

// ---------------------------------------------------------------- the mailbox

function bodyOf(i: number): string {
  const words = ['Zürich', 'report', '東京', 'naïve', 'meeting', '€', 'data', 'Ωmega'];
  let s = `Message ${i}\r\n`;
  for (let k = 0; s.length < 400 + (i % 7) * 300; k++) s += `${words[(i + k) % words.length]}${k % 11 === 10 ? '\r\n' : ' '}`;
  return s;
}

async function createMessage(mb: MailboxStore, fid: bigint, i: number, kwTag: number): Promise<bigint> {
  const m = await mb.newMessage(fid);
  const cats = [['Red'], ['Blue', 'Green'], [], ['Projects', 'Red', 'Ünïcode']][i % 4]!;
  const props: { tag: number; value: PropValue }[] = [
    { tag: T.subject, value: `Message ${String(i).padStart(4, '0')} ${['report', 'invoice', 'lunch', '会议'][i % 4]}` },
    { tag: T.body, value: bodyOf(i) },
    { tag: T.messageClass, value: 'IPM.Note' },
    { tag: T.importance, value: i % 3 },
    { tag: T.delivery, value: 133_000_000_000_000_000n + BigInt(i) * 600_000_000n },
    { tag: T.senderName, value: `Sender ${i % 13}` },
    { tag: T.senderEmail, value: `sender${i % 13}@example.org` },
    { tag: T.iconIndex, value: 0x100 },
  ];
  if (i % 5 === 2) props.push({ tag: T.flagStatus, value: 2 });
  if (cats.length) props.push({ tag: kwTag, value: cats });
  await m.setProps(props);
  const nrec = 1 + (i % 3);
  await m.setRecipients(
    Array.from({ length: nrec }, (_, r) => ({
      rowId: r,
      props: [
        { tag: T.recipientType, value: r === 0 ? 1 : 2 },
        { tag: T.displayName, value: `Recipient ${r} of ${i}` },
        { tag: T.addrType, value: 'SMTP' },
        { tag: T.emailAddress, value: `r${r}.${i}@example.org` },
        { tag: T.smtpAddress, value: `r${r}.${i}@example.org` },
      ],
    })),
  );
  if (i % 3 === 0) {
    const a = await m.createAttachment();
    const data = Buffer.alloc(500 + (i % 11) * 700);
    for (let k = 0; k < data.length; k++) data[k] = (k * 31 + i) & 0xff;
    await a.setProps([
      { tag: T.attachMethod, value: 1 },
      { tag: T.attachFilename, value: `file${i}.bin` },
      { tag: T.attachMime, value: 'application/octet-stream' },
      { tag: T.attachData, value: data },
    ]);
    await a.save();
  }
  if (i % 25 === 0) {
    const a = await m.createAttachment();
    await a.setProps([{ tag: T.attachMethod, value: 5 }, { tag: T.displayName, value: `Embedded ${i}` }]);
    const e = await a.openEmbeddedMessage(true);
    await e.setProps([
      { tag: T.subject, value: `Embedded message of ${i}` },
      { tag: T.body, value: 'Inner body' },
      { tag: T.messageClass, value: 'IPM.Note' },
    ]);
    await e.setRecipients([{ rowId: 0, props: [{ tag: T.recipientType, value: 1 }, { tag: T.displayName, value: 'Inner' }] }]);
    await e.save();
    await a.save();
  }
  return m.save();
}

// ---------------------------------------------------------------- the run

describe('ICS client codec (offline): IDSET/GLOBSET, FastTransfer stream, ROP layouts', () => {
  it('ics.py passes its self-test inside selftest.py', async () => {
    const st = await runPythonJson<Json>('emsmdb/selftest.py', [], 300_000);
    const ics = (st.results as Json[]).filter((r) => String(r.name).startsWith('ics:'));
    expect(ics.length).toBeGreaterThanOrEqual(7);
    for (const r of ics) expect(r.ok, `${r.name}: ${r.error}`).toBe(true);
  }, 300_000);
});

describe('Cached Exchange Mode over EMSMDB (issue 7 acceptance)', () => {
  let ts: TestServer;
  let mb: MailboxStore;
  let dir: string;
  let port: number;
  const fids: Record<string, bigint> = {};
  const mids: bigint[] = [];
  const folderOf = new Map<bigint, string>();
  let kwTag = 0;
  const runs: Record<string, Json> = {};
  const plan: Json = {};

  const run = async (phase: string, expected: Json): Promise<Json> => {
    const exp = path.join(dir, `expected-${phase}.json`);
    const folderIds = Object.fromEntries(Object.entries(fids).map(([k, v]) => [k, eidString(v)]));
    writeFileSync(exp, JSON.stringify({ folderIds, ...expected }));
    const out = await runPythonJson<Json>(
      'emsmdb/cached_mode.py',
      ['--host', '127.0.0.1', '--epm-port', String(port), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN,
        '--state', path.join(dir, 'state.json'), '--phase', phase, '--expected', exp],
      600_000,
    );
    if (process.env.OCNG_EMSMDB_DUMP) writeFileSync(`${process.env.OCNG_EMSMDB_DUMP}-ics-${phase}.json`, JSON.stringify(out, null, 1));
    runs[phase] = out;
    return out;
  };
  const passed = (phase: string, n: string): Json => phaseStep(runs, phase, n);
  const contentMids = async (fid: bigint) => (await mb.contentsRows(fid, { tags: [T.subject] })).map((r) => r.id);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ocng-ics-'));
    ts = await startTestServer({});
    port = ts.server.ports.epm ?? ts.server.ports.rpc;
    const store = ts.server.store;
    if (!store) throw new Error('the server has no store');
    mb = await store.openMailbox({ username: 'alice', displayName: 'alice', legacyDn: USER_DN });
    const [kw] = await mb.getNamedIds([{ guid: PS_PUBLIC_STRINGS, name: 'Keywords' }], true);
    kwTag = ((kw! << 16) | 0x101f) >>> 0;
    for (const n of [...FOLDERS, ...HFOLDERS]) fids[n] = (await mb.createFolder(mb.special.ipmSubtree, { displayName: n, containerClass: 'IPF.Note' })).fid;
    for (let i = 0; i < MESSAGES; i++) {
      const f = FOLDERS[i % FOLDERS.length]!;
      const mid = await createMessage(mb, fids[f]!, i, kwTag);
      mids.push(mid);
      folderOf.set(mid, f);
    }
    for (let i = 0; i < MESSAGES; i += 4) await mb.setReadFlags(fids[folderOf.get(mids[i]!)!]!, [mids[i]!], true);
    const copy = mids.filter((m) => folderOf.get(m) === FOLDERS[0]).slice(0, 20).map(eidString);
    await run('first', { folders: FOLDERS, messages: await exportMessages(mb, mids), copy });
  }, 900_000);
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('first sync: the hierarchy of the IPM subtree with every folder, at PKT_PRIVACY with compressed answers', () => {
    const d = passed('first', 'hierarchy');
    const names = (d.changes as Json[]).map((c) => c.name);
    for (const n of [...FOLDERS, ...HFOLDERS]) expect(names).toContain(n);
    expect(d.stateTags.length).toBeGreaterThan(0);
    const c = passed('first', 'connect');
    expect(c.ErrorCode).toBe(0);
  });

  it("first sync: 1,000 messages, each message's properties, recipients, attachments and embedded messages byte for byte", () => {
    const d = passed('first', 'contents');
    expect(d._total.messages).toBe(MESSAGES);
    checkFirstCompared(runs.first!.compare as Json, MESSAGES);
  });

  it('first sync: GetBuffer 0xBABE loop, progress information, buffer cuts only inside variable-size values', () => {
    const d = passed('first', 'contents');
    // long bodies and attachment data end up cut across GetBuffer buffers (only variable-size values may be)
    expect(FOLDERS.reduce((n, f) => n + (d[f].stats.splitValues as number), 0)).toBeGreaterThan(0);
    for (const f of FOLDERS) {
      checkFolderStream(d[f], f, MESSAGES / FOLDERS.length);
      expect(d[f].summary.perMsg).toBe(MESSAGES / FOLDERS.length);
    }
    const stats = runs.first!.stats as Json;
    expect(stats.violations).toEqual([]);
    expect(stats.compressed_out).toBeGreaterThan(0);
    expect(passed('first', 'disconnect')).toMatchObject({ ErrorCode: 0 });
  });

  it('FastTransfer copy: RopFastTransferSourceCopyMessages of 20 messages reproduces them (messageList)', () => {
    const d = passed('first', 'fxCopy');
    expect(d.messages).toBe(20);
    expect(d.compare.compared).toBe(20);
    expect(d.compare.mismatched).toEqual([]);
    const missing = Object.keys(d.compare.missing as Json).filter((k) => !ICS_HEADER.has(k));
    expect(missing, JSON.stringify(d.compare.missingExamples)).toEqual([]);
    expect(d.splitViolationCount).toBe(0);
  });

  describe('after the store changes: modify 10, delete 5, mark 20 read, add 3', () => {
    const modified: bigint[] = [];
    const deleted: bigint[] = [];
    const read: bigint[] = [];
    const added: bigint[] = [];
    beforeAll(async () => {
      for (let i = 1; i <= 10; i++) {
        await mb.setMessageProps(mids[i]!, [{ tag: T.subject, value: `Changed on the server ${i}` }, { tag: T.importance, value: 2 }]);
        modified.push(mids[i]!);
      }
      for (let i = 11; i <= 15; i++) {
        await mb.deleteMessages(fids[folderOf.get(mids[i]!)!]!, [mids[i]!]);
        deleted.push(mids[i]!);
      }
      for (let i = 16; read.length < 20; i++) if (i % 4 !== 0) {
        await mb.setReadFlags(fids[folderOf.get(mids[i]!)!]!, [mids[i]!], true);
        read.push(mids[i]!);
      }
      for (let j = 0; j < 3; j++) {
        const mid = await createMessage(mb, fids[FOLDERS[j]!]!, MESSAGES + j, kwTag);
        added.push(mid);
        folderOf.set(mid, FOLDERS[j]!);
      }
      await run('incremental', { folders: FOLDERS, messages: await exportMessages(mb, [...modified, ...added]) });
    }, 600_000);

    it('the incremental sync (state uploaded after a reconnect) returns exactly those changes and nothing else', () => {
      const d = passed('incremental', 'incremental');
      checkExactChanges(d, FOLDERS, { changes: [...modified, ...added], deleted, read });
      // MS-OXCFXICS 2.2.1.3.1: MetaTagIdsetDeleted is a REPLID-based IDSET
      for (const f of FOLDERS) {
        const forms = d[f].summary.forms as Json;
        if (forms['0x67E50102']) expect(forms['0x67E50102'], f).toBe('replid');
      }
    });

    it('the changed and added messages arrive byte for byte', () => {
      checkCompared(runs.incremental!.compare as Json, 13);
    });

    describe('the client uploads: a new message, a read-state change, a delete, a move, conflicting edits', () => {
      let up: Json;
      beforeAll(async () => {
        // folder A's messages the client knows, unread ones for the read-state change
        const inA = mids.filter((m, i) => folderOf.get(m) === FOLDERS[0] && i > 100);
        up = { read: eidString(inA[1]!), delete: eidString(inA[2]!), move: eidString(inA[3]!), conflict: eidString(inA[5]!),
          conflictFail: eidString(inA[6]!) };
        plan.upload = { read: inA[1]!, delete: inA[2]!, move: inA[3]!, conflict: inA[5]!, conflictFail: inA[6]! };
        // the server changes the two messages after the client's state was taken: the client's edits conflict
        await mb.setMessageProps(inA[5]!, [{ tag: T.subject, value: 'Server edit (conflict)' }]);
        await mb.setMessageProps(inA[6]!, [{ tag: T.subject, value: 'Server edit (conflict, fail)' }]);
        plan.cnBefore = await mb.currentCn();
        await run('upload', { folders: FOLDERS, upload: up });
      }, 600_000);

      it('the new message lands in the folder with its properties', async () => {
        const d = passed('upload', 'upload');
        const rows = await mb.contentsRows(fids[FOLDERS[0]!]!, { tags: [T.subject] });
        const mine = rows.filter((r) => r.props.get(T.subject) === 'Uploaded from the cached-mode client');
        expect(mine).toHaveLength(1);
        expect(eidString(mine[0]!.id)).toBe(d.newMessage.MessageId);
        // MS-OXCFXICS 3.3.5.2.1 / 2.2.3.2.4.7: the ID reserved with RopGetLocalReplicaIds and sent as the source key
        // is the message's ID
        expect(d.newMessage.MessageId).toBe(d.newMessage.idFromSourceKey);
        // MS-OXCROPS 2.2.13.2.2 / 2.2.13.6.2: the MessageId of the ImportMessageChange / ImportMessageMove responses MUST be 0
        expect(d.newMessage.ImportMessageId).toBe('0000-000000000000');
        expect(d.move.MessageId).toBe('0000-000000000000');
        const props = await mb.getMessageProps(mine[0]!.id, [kwTag]);
        expect(props[0]).toMatchObject({ value: ['Offline', 'Green'] });
      });

      it('the read-state change, the delete and the move land', async () => {
        passed('upload', 'upload');
        const flags = await mb.getMessageProps(plan.upload.read, [T.messageFlags]);
        expect(((flags[0] as { value: number }).value ?? 0) & 1).toBe(1);
        expect(await mb.messageExists(plan.upload.delete)).toBe(false);
        expect(await contentMids(fids[FOLDERS[0]!]!)).not.toContain(plan.upload.move);
        const subjB = (await mb.contentsRows(fids[FOLDERS[1]!]!, { tags: [T.subject] })).map((r) => r.props.get(T.subject));
        const idx = mids.indexOf(plan.upload.move);
        expect(subjB).toContain(`Message ${String(idx).padStart(4, '0')} ${['report', 'invoice', 'lunch', '会议'][idx % 4]}`);
        // the moved message carries the destination source key the client gave (its ID)
        const d = passed('upload', 'upload');
        expect((await contentMids(fids[FOLDERS[1]!]!)).map(eidString)).toContain(d.move.idFromSourceKey);
      });

      it('the conflicting edit: a conflict resolve message (MSGSTATUS_IN_CONFLICT); with FailOnConflict, ecSyncConflict', async () => {
        const d = passed('upload', 'upload');
        expect(d.conflict).toMatchObject({ ImportMessageChange: '0x00000000', SaveChangesMessage: '0x00000000' });
        const st = await mb.getMessageProps(plan.upload.conflict, [T.messageStatus]);
        expect(((st[0] as { value: number }).value ?? 0) & 0x800).toBe(0x800);
        expect(d.conflictFail.ImportMessageChange).toBe('0x80040802 ecSyncConflict');
        const subj = await mb.getMessageProps(plan.upload.conflictFail, [T.subject]);
        expect(subj[0]).toMatchObject({ value: 'Server edit (conflict, fail)' });
      });

      it('the following download does not echo the uploads back', () => {
        checkNoEcho(passed('upload', 'upload'), passed('upload', 'afterUpload'), plan.upload.conflict, plan.upload.conflictFail);
      });

      it('FastTransfer destination: a messageList in two PutBuffers (cut inside a value) lands; unused IDs released', async () => {
        const d = passed('upload', 'fxUpload');
        expect(d.TellVersion).toBe('0x00000000');
        expect(d.BufferUsedSize).toEqual([d.cut, d.bytes - d.cut]);
        const rows = await mb.contentsRows(fids[FOLDERS[2]!]!, { tags: [T.subject] });
        const hit = rows.filter((r) => r.props.get(T.subject) === 'Uploaded through FastTransfer');
        expect(hit).toHaveLength(1);
        const m = await mb.openMessage(hit[0]!.id);
        try {
          expect((await m.readRecipients()).map((r) => r.props.find((p) => p.tag === T.displayName)?.value)).toEqual(['FX Recipient']);
          const att = await m.attachmentTable();
          expect(att).toHaveLength(1);
          const a = await m.openAttachment(att[0]!.attachNum);
          const data = (await a.getProps([T.attachData]))[0] as { value: Buffer };
          expect(Buffer.compare(data.value, Buffer.from(Array.from({ length: 2048 }, (_, k) => k & 0xff)))).toBe(0);
          await a.discard();
          const body = (await m.getProps([T.body]))[0] as { value: string };
          expect(body.value).toBe('FastTransfer body '.repeat(400));
        } finally {
          await m.discard();
        }
        expect(d.SetLocalReplicaMidsetDeleted).toBe('0x00000000');
      });

      describe('hierarchy changes on both sides', () => {
        beforeAll(async () => {
          // server side: a new folder, a rename, a move, a delete
          await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Server New' });
          await mb.setFolderProps(fids.H4!, [{ tag: T.displayName, value: 'H4 renamed on the server' }]);
          await mb.moveFolder(fids.H5!, fids['Sync E']!);
          await mb.deleteFolder(fids.H1!, 0x01 | 0x04 | 0x10);
          await run('hierarchy', {
            folders: FOLDERS,
            hierarchy: { create: 'Client New', rename: ['H2', 'H2 renamed by the client'], move: ['Sync D', 'Sync C'], delete: 'H3' },
          });
        }, 600_000);

        it("the client's create, rename, move and delete land in the store", async () => {
          passed('hierarchy', 'hierarchyUpload');
          const ipm = mb.special.ipmSubtree;
          expect(await mb.findChild(ipm, 'Client New')).not.toBeNull();
          expect(await mb.findChild(ipm, 'H2 renamed by the client')).toBe(fids.H2);
          expect(await mb.parentOf(fids['Sync D']!)).toBe(fids['Sync C']);
          expect(await mb.folderExists(fids.H3!)).toBe(false);
          const d = passed('hierarchy', 'hierarchyUpload');
          // the hierarchy collector's state: MetaTagCnsetSeen only (no MetaTagIdsetGiven, MS-OXCFXICS 3.2.5.2.1)
          expect(d.collectorStateTags).toEqual(['0x67960102']);
          // the folder's ID is the one its source key gave (MS-OXCFXICS 3.3.5.2.1)
          expect(eidString((await mb.findChild(ipm, 'Client New'))!)).toBe(d.createIdFromSourceKey);
        });

        it("both sides converge: the client's folder tree equals the store's", async () => {
          const d = passed('hierarchy', 'hierarchyDownload');
          const rows = await mb.hierarchyRows(mb.special.ipmSubtree, { recursive: true, tags: [0x3001001f, 0x67490014] });
          const byId = new Map(rows.map((r) => [r.id, r]));
          const pathOf = (id: bigint): string => {
            const r = byId.get(id)!;
            const parent = r.props.get(0x67490014) as bigint;
            const name = String(r.props.get(0x3001001f));
            return byId.has(parent) ? `${pathOf(parent)}/${name}` : name;
          };
          expect(d.paths).toEqual(rows.map((r) => pathOf(r.id)).sort());
          expect(d.paths).toContain('Server New');
          expect(d.paths).toContain('H4 renamed on the server');
          expect(d.paths).toContain('Sync E/H5');
          expect(d.paths).not.toContain('H1');
        });
      });

      describe('bad input', () => {
        let cnBefore: bigint;
        let countsBefore: number[];
        beforeAll(async () => {
          cnBefore = await mb.currentCn();
          countsBefore = await Promise.all(FOLDERS.map(async (f) => (await contentMids(fids[f]!)).length));
          await run('bad', { folders: FOLDERS });
        }, 600_000);

        it('corrupt and truncated state streams, reversed and overlapping ranges, unissued CNs, FX markers out of order: each refused with its ec', () => {
          const d = passed('bad', 'bad');
          const cases = ['corrupt state stream', 'truncated state stream', 'range reversed', 'ranges overlapping',
            'CNSET with change numbers never issued', 'fastTransfer markers out of order'];
          for (const c of cases) {
            expect(d[c].refusedBy, `${c}: ${JSON.stringify(d[c])}`).not.toBeNull();
            expect(d[c].ec, c).toMatch(/^0x[0-9A-F]{8}/);
            expect(d[c].ec, c).not.toMatch(/^0x00000000/);
          }
          // MS-OXCFXICS 3.1.5.4.3.2: IDSETs that do not decode (corrupt, truncated, Range high < low, overlapping)
          // SHOULD be answered with ecRpcFormat (0x000004B6) at RopSynchronizationUploadStateStreamEnd; the CNSET naming
          // CNs never issued decodes and is refused with ecInvalidParam
          for (const c of ['corrupt state stream', 'truncated state stream', 'range reversed', 'ranges overlapping']) {
            expect(d[c], c).toMatchObject({ refusedBy: 'End', ec: '0x000004B6 ecRpcFormat', asSpecified: true });
          }
          expect(d['CNSET with change numbers never issued']).toMatchObject({ refusedBy: 'End', ec: '0x80070057 ecInvalidParam', asSpecified: true });
          expect(d.sessionAlive).toBe(true);
        });

        it('nothing stored changes', async () => {
          passed('bad', 'bad');
          expect(await mb.currentCn()).toBe(cnBefore);
          expect(await Promise.all(FOLDERS.map(async (f) => (await contentMids(fids[f]!)).length))).toEqual(countsBefore);
        });

        describe('reconnect with the saved state', () => {
          beforeAll(async () => {
            await run('quiet', { folders: FOLDERS });
          }, 600_000);
          it('every contents sync and the hierarchy sync return nothing new (but the FastTransfer-uploaded message)', async () => {
            const d = passed('quiet', 'quiet');
            // the message put with RopFastTransferDestinationPutBuffer went in outside ICS: its first download is now
            const fx = (await mb.contentsRows(fids[FOLDERS[2]!]!, { tags: [T.subject] }))
              .filter((r) => r.props.get(T.subject) === 'Uploaded through FastTransfer').map((r) => eidString(r.id));
            expect(fx).toHaveLength(1);
            expect(d._all).toEqual({ changes: fx, deleted: [], softDeleted: [], read: [], unread: [] });
            expect(d._hierarchy).toEqual({ changes: [], deleted: [] });
          });
        });
      });
    });
  });
});
