// MS-OXCMSG handlers end to end: ROP buffers through the real registry and dispatcher to a real LocalStore, answers
// decoded with the codecs. A message with three recipients (EX and SMTP), two attachments and an embedded message
// is composed, saved, reopened and read back; then the error paths: bad recipient columns, attachments of a
// released message, stale saves, read-only objects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAPI_E } from '../../../src/mapi/props.js';
import type { RowCell } from '../../../src/mapi/ropprops.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { RecipientFlags, RecipientType, type OpenRecipientRow, type RecipientRow } from '../../../src/rop/codec/recipient-row.js';
import { ec } from '../../../src/rop/ec.js';
import { ALICE, ORG, BOB } from './harness.js';
import { N, T, cells, msgLogon, rop, tableRows, type Env, type Res } from './oxcmsg-env.js';

const U = RecipientFlags.U;
const COLS = [T.RecipientFlags, T.RecipientTrackStatus, T.ObjectType];
const CAROL_DN = `${ORG}/cn=carol`;

/** Three recipients: Bob (EX, full DN), Carol (EX, DN abbreviated by AddressPrefixUsed) and Dave (SMTP, Bcc). */
const RECIPIENTS = [
  {
    RowId: 0,
    RecipientType: 1,
    RecipientRow: {
      RecipientFlags: RecipientType.X500DN | RecipientFlags.D | RecipientFlags.T | U,
      AddressPrefixUsed: 0, DisplayType: 0, X500DN: BOB.legacyExchangeDN, DisplayName: 'Bob Example', TransmittableDisplayName: 'Bob Example',
      RecipientColumnCount: 3, RecipientProperties: [1, 0, 6],
    } satisfies RecipientRow,
  },
  {
    RowId: 1,
    RecipientType: 2,
    RecipientRow: {
      RecipientFlags: RecipientType.X500DN | RecipientFlags.D | U,
      AddressPrefixUsed: `${ORG}/cn=`.length, DisplayType: 0, X500DN: 'carol', DisplayName: 'Carol',
      RecipientColumnCount: 2, RecipientProperties: [1, 0],
    } satisfies RecipientRow,
  },
  {
    RowId: 2,
    RecipientType: 3,
    RecipientRow: {
      RecipientFlags: RecipientType.SMTP | RecipientFlags.E | RecipientFlags.D | RecipientFlags.S | U,
      EmailAddress: 'dave@example.net', DisplayName: 'Dave Extern', RecipientColumnCount: 3, RecipientProperties: [1, 0, 6],
    } satisfies RecipientRow,
  },
];

const ok = (r: Res | undefined) => expect(r?.ReturnValue, `ROP 0x${r?.RopId.toString(16)}`).toBe(0);

describe('MS-OXCMSG message and attachment ROPs', () => {
  let env: Env;
  let mb: MailboxStore;
  let L: number;
  let drafts: bigint;

  beforeEach(async () => {
    ({ env, mb, L } = await msgLogon());
    drafts = mb.special.drafts;
  });
  afterEach(() => env.close());

  /** Composes the full message in Drafts through ROPs and returns its MID. */
  async function compose(): Promise<bigint> {
    // slots: 0 logon, 1 message, 2 attachment, 3 embedded message, 4 attachment of the embedded message
    let { res, handles } = await env.call([
      rop.createMessage(0, 1, drafts),
      rop.setProps(1, [{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'Quarterly figures' }, { tag: T.Body, value: 'See attached.' }]),
      rop.modifyRecipients(1, COLS, RECIPIENTS),
      rop.createAttachment(1, 2),
      rop.setProps(2, [{ tag: T.AttachMethod, value: 1 }, { tag: T.AttachLongFilename, value: 'figures.csv' }, { tag: T.AttachDataBinary, value: Buffer.from('a,b\n1,2\n') }]),
      rop.saveAttachment(2, 1),
      rop.release(2),
    ], [L, N, N]);
    expect(res[0]).toMatchObject({ ReturnValue: 0, HasMessageId: 0 });
    res.forEach(ok);
    expect(res[3]!.AttachmentID).toBe(0);
    ({ res, handles } = await env.call([
      rop.createAttachment(1, 2),
      rop.setProps(2, [{ tag: T.AttachLongFilename, value: 'forwarded.msg' }]),
      rop.openEmbedded(2, 3, 0x02),
      rop.setProps(3, [{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'FW: inner' }]),
      rop.modifyRecipients(3, [], [{ RowId: 0, RecipientType: 1, RecipientRow: { RecipientFlags: RecipientType.SMTP | RecipientFlags.E | RecipientFlags.D | U, EmailAddress: 'eve@example.com', DisplayName: 'Eve', RecipientColumnCount: 0, RecipientProperties: [] } }]),
      rop.createAttachment(3, 4),
      rop.setProps(4, [{ tag: T.AttachMethod, value: 1 }, { tag: T.AttachDataBinary, value: Buffer.from('inner attachment') }]),
      rop.saveAttachment(4, 3),
      rop.save(3, 2),
      rop.saveAttachment(2, 1),
      rop.save(1, 0),
      rop.release(1),
    ], [...handles, N, N]));
    res.forEach(ok);
    expect(res[0]!.AttachmentID).toBe(1);
    expect(res[2]).toMatchObject({ Reserved: 0, RecipientCount: 0 });
    const mid = res[10]!.MessageId as bigint;
    expect(mid).not.toBe(0n);
    expect(res[10]!.InputHandleIndex).toBe(1);
    void handles;
    return mid;
  }

  it('composes a message with 3 recipients, 2 attachments and an embedded message, saves it and reads it back', async () => {
    const mid = await compose();
    expect((await mb.contentsRows(drafts)).map((r) => r.id)).toEqual([mid]);

    // reopen: the RopOpenMessage response carries the subject and every recipient row
    const { res, handles } = await env.call([rop.openMessage(0, 1, drafts, mid, 0x03)], [L, N]);
    const open = res[0]!;
    ok(open);
    expect(open.NormalizedSubject).toEqual({ StringType: 3, String: 'Quarterly figures' });
    expect(open.SubjectPrefix).toEqual({ StringType: 1 });
    expect(open.HasNamedProperties).toBe(0);
    expect(open.RecipientCount).toBe(3);
    const cols = open.RecipientColumns as number[];
    expect(cols).toEqual(expect.arrayContaining(COLS));
    const rows = open.RecipientRows as OpenRecipientRow[];
    expect(rows.map((r) => r.RecipientType)).toEqual([1, 2, 3]);
    const [bob, carol, dave] = rows.map((r) => r.RecipientRow);
    expect(bob!.RecipientFlags & RecipientFlags.TypeMask).toBe(RecipientType.X500DN);
    expect(bob).toMatchObject({ X500DN: BOB.legacyExchangeDN, DisplayName: 'Bob Example', TransmittableDisplayName: 'Bob Example' });
    expect(carol).toMatchObject({ X500DN: CAROL_DN, DisplayName: 'Carol', AddressPrefixUsed: 0 });
    expect(dave!.RecipientFlags & RecipientFlags.TypeMask).toBe(RecipientType.SMTP);
    expect(dave).toMatchObject({ EmailAddress: 'dave@example.net', DisplayName: 'Dave Extern' });
    expect(dave!.RecipientFlags & RecipientFlags.S).toBe(RecipientFlags.S);
    const col = (row: RecipientRow, tag: number): RowCell => (row.RecipientProperties as RowCell[])[cols.indexOf(tag)];
    expect(col(bob!, T.ObjectType)).toBe(6);
    expect(col(carol!, T.ObjectType)).toEqual({ error: MAPI_E.NOT_FOUND });
    expect(col(dave!, T.RecipientFlags)).toBe(1);

    // RopReadRecipients from RowId 1
    const m = handles[1]!;
    let r = await env.call([rop.readRecipients(0, 1), rop.readRecipients(0, 7)], [m]);
    ok(r.res[0]);
    const read = r.res[0]!.RecipientRows as Array<{ RowId: number; RecipientType: number }>;
    expect(read.map((x) => [x.RowId, x.RecipientType])).toEqual([[1, 2], [2, 3]]);
    expect(r.res[1]!.ReturnValue).toBe(ec.NotFound);

    // properties, the attachment table and both attachments
    r = await env.call([
      rop.getProps(1, [T.Subject, T.HasAttachments, T.MessageFlags]),
      rop.attachmentTable(1, 2),
      rop.setColumns(2, [T.AttachNumber, T.AttachMethod, T.AttachLongFilename, 0x0ff60102]),
      rop.queryRows(2, 10, [T.AttachNumber, T.AttachMethod, T.AttachLongFilename, 0x0ff60102]),
      rop.openAttachment(1, 3, 0, 0),
      rop.getProps(3, [T.AttachDataBinary, T.AttachLongFilename]),
      rop.openAttachment(1, 4, 1, 0),
      rop.openEmbedded(4, 5, 0),
      rop.validAttachments(5),
    ], [L, m, N, N, N, N]);
    r.res.forEach(ok);
    expect(cells(r.res[0]!, [T.Subject, T.HasAttachments, T.MessageFlags])).toEqual(['Quarterly figures', true, 0x10]);
    expect(tableRows(r.res[3]!, [T.AttachNumber, T.AttachMethod, T.AttachLongFilename, 0x0ff60102])).toEqual([
      [0, 1, 'figures.csv', Buffer.from([0, 0, 0, 0])],
      [1, 5, 'forwarded.msg', Buffer.from([1, 0, 0, 0])],
    ]);
    const [data, name] = cells(r.res[5]!, [T.AttachDataBinary, T.AttachLongFilename]);
    expect((data as Buffer).toString()).toBe('a,b\n1,2\n');
    expect(name).toBe('figures.csv');
    const emb = r.res[7]!;
    expect(emb.NormalizedSubject).toEqual({ StringType: 3, String: 'FW: inner' });
    expect(emb.RecipientCount).toBe(1);
    expect((emb.RecipientRows as OpenRecipientRow[])[0]!.RecipientRow).toMatchObject({ EmailAddress: 'eve@example.com', DisplayName: 'Eve' });
    expect(r.res[8]!.AttachmentIdArray).toEqual([0]);
  });

  it('refuses RopModifyRecipients with a bad column set (ecInvalidParam) and changes nothing', async () => {
    const mid = await compose();
    const { handles } = await env.call([rop.openMessage(0, 1, drafts, mid)], [L, N]);
    const m = handles[1]!;
    const bad = [
      T.DisplayName, // carried by the RecipientRow itself (MS-OXCMSG 3.2.5.5)
      T.EmailAddress,
      T.RecipientType,
      0x3000_0003, // PidTagRowid
      0x6700_000d, // PT_OBJECT
    ];
    for (const col of bad) {
      const type = col & 0xffff;
      // a PT_OBJECT cell cannot be encoded: that row goes without properties
      const props = type === 0x0d ? [] : [type === 0x1f ? 'Mallory' : 1];
      const row = { RecipientFlags: RecipientType.SMTP | RecipientFlags.E | U, EmailAddress: 'x@y', RecipientColumnCount: props.length, RecipientProperties: props };
      const { res } = await env.call([rop.modifyRecipients(0, [col], [{ RowId: 0, RecipientType: 1, RecipientRow: row }])], [m]);
      expect(res[0]!.ReturnValue, `column 0x${col.toString(16)}`).toBe(ec.InvalidParam);
    }
    // a column twice
    let { res } = await env.call([rop.modifyRecipients(0, [T.RecipientFlags, T.RecipientFlags], [])], [m]);
    expect(res[0]!.ReturnValue).toBe(ec.InvalidParam);
    // the working copy and the stored message still have the three recipients
    ({ res } = await env.call([rop.reload(0), rop.save(0, 0)], [m]));
    expect(res[0]!.RecipientCount).toBe(3);
    ok(res[1]);
    const again = await mb.openMessage(mid);
    expect((await again.readRecipients()).map((x) => x.rowId)).toEqual([0, 1, 2]);
    await again.discard();
  });

  it('answers ecNullObject for attachments of a released message and drops its unsaved changes', async () => {
    const mid = await compose();
    let { res, handles } = await env.call([
      rop.openMessage(0, 1, drafts, mid),
      rop.openAttachment(1, 2, 0),
      rop.setProps(2, [{ tag: T.AttachLongFilename, value: 'changed.csv' }]),
      rop.saveAttachment(2, 1),
      rop.release(1),
      rop.setProps(2, [{ tag: T.AttachLongFilename, value: 'again.csv' }]),
      rop.saveAttachment(2, 1),
      rop.createAttachment(1, 3),
    ], [L, N, N, N]);
    ok(res[0]);
    ok(res[1]);
    ok(res[2]);
    ok(res[3]);
    expect(res.slice(4).map((r) => r.ReturnValue)).toEqual([ec.NullObject, ec.NullObject, ec.NullObject]);
    void handles;
    const m = await mb.openMessage(mid);
    const a = await m.openAttachment(0);
    expect(await a.getProps([T.AttachLongFilename])).toEqual([{ tag: T.AttachLongFilename, value: 'figures.csv' }]);
    await m.discard();
    // a created message released without save leaves nothing
    ({ res, handles } = await env.call([rop.createMessage(0, 1, drafts), rop.setProps(1, [{ tag: T.Subject, value: 'never' }]), rop.release(1)], [L, N]));
    ok(res[0]);
    expect((await mb.contentsRows(drafts)).length).toBe(1);
  });

  it('refuses a stale save with ecObjectModified and lets ForceSave overwrite', async () => {
    const mid = await compose();
    const { handles } = await env.call([rop.openMessage(0, 1, drafts, mid), rop.openMessage(0, 2, drafts, mid)], [L, N, N]);
    const [a, b] = [handles[1]!, handles[2]!];
    let { res } = await env.call([
      rop.setProps(0, [{ tag: T.Subject, value: 'from A' }]),
      rop.save(0, 0),
      rop.setProps(1, [{ tag: T.Subject, value: 'from B' }]),
      rop.save(1, 1),
    ], [a, b]);
    ok(res[1]);
    expect(res[3]!.ReturnValue).toBe(ec.ObjectModified);
    expect((await mb.getMessageProps(mid, [T.Subject]))[0]).toEqual({ tag: T.Subject, value: 'from A' });
    // the refused object stays open with its changes; ForceSave stores them
    ({ res } = await env.call([rop.save(0, 0, 0x04 | 0x02)], [b]));
    ok(res[0]);
    expect(res[0]!.MessageId).toBe(mid);
    expect((await mb.getMessageProps(mid, [T.Subject]))[0]).toEqual({ tag: T.Subject, value: 'from B' });
    // and A, now stale, is refused in turn
    ({ res } = await env.call([rop.setProps(0, [{ tag: T.Body, value: 'x' }]), rop.save(0, 0)], [a]));
    expect(res[1]!.ReturnValue).toBe(ec.ObjectModified);
  });

  it('refuses saves of read-only objects with ecAccessDenied (ReadOnly open, KeepOpenReadOnly)', async () => {
    const mid = await compose();
    let { res, handles } = await env.call([
      rop.openMessage(0, 1, drafts, mid, 0x00),
      rop.setProps(1, [{ tag: T.Subject, value: 'read-only change' }]),
      rop.save(1, 0),
      rop.openAttachment(1, 2, 0, 0x01),
      rop.openAttachment(1, 2, 0, 0x03),
      rop.setProps(2, [{ tag: T.AttachLongFilename, value: 'x' }]),
      rop.saveAttachment(2, 1),
    ], [L, N, N]);
    ok(res[0]);
    ok(res[1]);
    expect(res[2]!.ReturnValue).toBe(ec.AccessDenied);
    expect(res[3]!.ReturnValue).toBe(ec.AccessDenied);
    ok(res[4]);
    expect(res[6]!.ReturnValue).toBe(ec.AccessDenied);
    expect((await mb.getMessageProps(mid, [T.Subject]))[0]).toEqual({ tag: T.Subject, value: 'Quarterly figures' });
    void handles;
    ({ res, handles } = await env.call([
      rop.openMessage(0, 1, drafts, mid, 0x01),
      rop.setProps(1, [{ tag: T.Subject, value: 'once' }]),
      rop.save(1, 0, 0x01),
      rop.setProps(1, [{ tag: T.Subject, value: 'twice' }]),
      rop.save(1, 0, 0x02),
    ], [L, N]));
    ok(res[2]);
    expect(res[4]!.ReturnValue).toBe(ec.AccessDenied);
    expect((await mb.getMessageProps(mid, [T.Subject]))[0]).toEqual({ tag: T.Subject, value: 'once' });
  });

  it('opens a message only in its folder and reports unknown ones as ecNotFound', async () => {
    const mid = await compose();
    const { res } = await env.call([
      rop.openMessage(0, 1, mb.special.inbox, mid),
      rop.openMessage(0, 1, drafts, mid + (1n << 16n)),
      rop.openMessage(0, 1, 0x7777n, mid),
      rop.createMessage(0, 1, 0x7777n),
    ], [L, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([ec.NotFound, ec.NotFound, ec.NotFound, ec.NotFound]);
  });

  it('keeps GetValidAttachments and the attachment table in step with DeleteAttachment', async () => {
    const mid = await compose();
    let { res, handles } = await env.call([
      rop.openMessage(0, 1, drafts, mid),
      rop.validAttachments(1),
      rop.attachmentTable(1, 2),
      rop.setColumns(2, [T.AttachNumber]),
      rop.deleteAttachment(1, 0),
      rop.validAttachments(1),
      rop.queryRows(2, 10, [T.AttachNumber]),
      rop.deleteAttachment(1, 0),
      rop.createAttachment(1, 3),
      rop.saveAttachment(3, 1),
      rop.validAttachments(1),
    ], [L, N, N, N]);
    expect(res[1]!.AttachmentIdArray).toEqual([0, 1]);
    expect(res[5]!.AttachmentIdArray).toEqual([1]);
    expect(tableRows(res[6]!, [T.AttachNumber])).toEqual([[1]]);
    expect(res[7]!.ReturnValue).toBe(ec.NotFound);
    expect(res[8]!.AttachmentID).toBe(2); // numbers are never reused
    expect(res[10]!.AttachmentIdArray).toEqual([1, 2]);
    // nothing stored until the message is saved
    expect((await (await mb.openMessage(mid)).attachmentTable([])).map((x) => x.attachNum)).toEqual([0, 1]);
    ({ res } = await env.call([rop.save(1, 0)], handles));
    ok(res[0]);
    expect((await (await mb.openMessage(mid)).attachmentTable([])).map((x) => x.attachNum)).toEqual([1, 2]);
  });

  it('RopReloadCachedInformation shows the working copy: subject, prefix, recipients, named properties', async () => {
    const mid = await compose();
    const { res } = await env.call([
      rop.openMessage(0, 1, drafts, mid),
      rop.setProps(1, [{ tag: T.SubjectPrefix, value: 'RE: ' }, { tag: T.NormalizedSubject, value: 'Ünïcode ☃' }, { tag: T.Named, value: 7 }]),
      rop.modifyRecipients(1, [], [{ RowId: 1 }, { RowId: 2 }]),
      rop.reload(1),
      rop.removeAll(1),
      rop.reload(1),
      rop.readRecipients(1, 0),
    ], [L, N]);
    res.slice(0, 6).forEach(ok);
    expect(res[3]).toMatchObject({
      HasNamedProperties: 1,
      SubjectPrefix: { StringType: 3, String: 'RE: ' },
      NormalizedSubject: { StringType: 4, String: 'Ünïcode ☃' },
      RecipientCount: 1,
    });
    expect(res[5]!.RecipientCount).toBe(0);
    expect(res[6]!.ReturnValue).toBe(ec.NotFound);
  });

  it('returns as many recipient rows as fit and the rest through RopReadRecipients', async () => {
    const { res: r1, handles } = await env.call([rop.createMessage(0, 1, drafts)], [L, N]);
    ok(r1[0]);
    const many = Array.from({ length: 300 }, (_, i) => ({
      RowId: i,
      RecipientType: 1,
      RecipientRow: { RecipientFlags: RecipientType.SMTP | RecipientFlags.E | RecipientFlags.D | U, EmailAddress: `user${i}@example.com`, DisplayName: `User number ${i} with a longer display name`, RecipientColumnCount: 0, RecipientProperties: [] },
    }));
    let { res } = await env.call([rop.modifyRecipients(1, [], many.slice(0, 150)), rop.modifyRecipients(1, [], many.slice(150)), rop.save(1, 0)], handles);
    res.forEach(ok);
    const mid = res[2]!.MessageId as bigint;
    ({ res } = await env.call([rop.openMessage(0, 2, drafts, mid)], [L, N, N]));
    const open = res[0]!;
    expect(open.RecipientCount).toBe(300);
    const got = (open.RecipientRows as OpenRecipientRow[]).length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(300);
    const { handles: h2 } = await env.call([rop.openMessage(0, 1, drafts, mid)], [L, N]);
    const seen: number[] = [];
    let next = 0;
    for (let guard = 0; guard < 20 && next < 300; guard++) {
      ({ res } = await env.call([rop.readRecipients(0, next)], [h2[1]!]));
      ok(res[0]);
      const rows = res[0]!.RecipientRows as Array<{ RowId: number }>;
      seen.push(...rows.map((x) => x.RowId));
      next = rows[rows.length - 1]!.RowId + 1;
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('answers values past the inline limit as NotEnoughMemory (read them by stream)', async () => {
    const mid = await compose();
    const m = await mb.openMessage(mid);
    const s = await m.openStream(T.Body, 'create');
    await s.write(0, Buffer.from('x'.repeat(40_000), 'utf16le'));
    await s.commit();
    await m.save();
    const { res } = await env.call([rop.openMessage(0, 1, drafts, mid), rop.getProps(1, [T.Body, T.Subject]), rop.getAll(1)], [L, N]);
    res.forEach(ok);
    expect(cells(res[1]!, [T.Body, T.Subject])).toEqual([{ error: MAPI_E.NOT_ENOUGH_MEMORY }, 'Quarterly figures']);
    const all = res[2]!.PropertyValues as Array<{ tag: number; value: unknown }>;
    expect(all.find((v) => v.tag >>> 16 === T.Body >>> 16)).toEqual({ tag: ((T.Body >>> 16) << 16 | 0x000a) >>> 0, value: MAPI_E.NOT_ENOUGH_MEMORY });
  });

  it('opens embedded messages only where there is one (Create makes one) and creates FAI messages', async () => {
    const mid = await compose();
    const { res } = await env.call([
      rop.openMessage(0, 1, drafts, mid),
      rop.openAttachment(1, 2, 0, 0x01),
      rop.openEmbedded(2, 3, 0x00),
      rop.openAttachment(1, 2, 1, 0x00),
      rop.openEmbedded(2, 3, 0x01),
      rop.openEmbedded(2, 3, 0x00),
      rop.save(3, 2),
      rop.createMessage(0, 4, drafts, 1),
      rop.setProps(4, [{ tag: T.MessageClass, value: 'IPM.Configuration.Test' }]),
      rop.save(4, 0),
    ], [L, N, N, N, N]);
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, ec.NotFound, 0, ec.AccessDenied, 0, ec.AccessDenied, 0, 0, 0]);
    expect(res[5]!.MessageId).not.toBe(0n);
    const fai = res[9]!.MessageId as bigint;
    expect((await mb.contentsRows(drafts, { associated: true })).map((r) => r.id)).toEqual([fai]);
    expect((await mb.contentsRows(drafts)).map((r) => r.id)).toEqual([mid]);
  });

  it('refuses what the folder rights do not allow (ecAccessDenied)', async () => {
    const mid = await compose();
    const objects = await import('../../../src/rop/handlers/objects.js');
    const before = objects.folderRights;
    objects.setFolderRightsLookup(async () => objects.RIGHTS.ReadAny);
    try {
      const { res } = await env.call([
        rop.openMessage(0, 1, drafts, mid, 0x01),
        rop.createMessage(0, 1, drafts),
        rop.openMessage(0, 1, drafts, mid, 0x03),
        rop.setProps(1, [{ tag: T.Subject, value: 'no' }]),
        rop.save(1, 0),
      ], [L, N]);
      expect(res.map((r) => r.ReturnValue)).toEqual([ec.AccessDenied, ec.AccessDenied, 0, 0, ec.AccessDenied]);
      objects.setFolderRightsLookup(async () => 0);
      const r2 = await env.call([rop.openMessage(0, 1, drafts, mid, 0x00)], [L, N]);
      expect(r2.res[0]!.ReturnValue).toBe(ec.AccessDenied);
    } finally {
      objects.setFolderRightsLookup(before);
    }
    expect(ALICE.username).toBe('alice');
  });
});
