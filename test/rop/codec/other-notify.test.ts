// RopNotify NotificationData from MS-OXCNOTIF §4 (shared/vectors/ms-oxcnotif-notifications.json): each body
// decodes to the labelled fields and re-encodes byte for byte, alone and inside a whole RopNotify response.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { readNotificationData, writeNotificationData, type NotificationData } from '../../../src/rop/codec/notification-data.js';
import { RopNotify } from '../../../src/rop/codec/RopNotify.js';

interface Vector {
  id: string;
  notification: string;
  hex: string;
  fields: { hex: string; label: string }[];
}

const file = JSON.parse(readFileSync(new URL('../../../fixtures/vectors/ms-oxcnotif-notifications.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};
const ctx = { codePage: 1252 };
const eid = (hex: string): bigint => Buffer.from(hex, 'hex').readBigUInt64LE(0);
const decode = (hex: string): NotificationData => {
  const r = new RopReader(Buffer.from(hex, 'hex'));
  const d = readNotificationData(r, 1252);
  expect(r.left).toBe(0);
  return d;
};

describe('MS-OXCNOTIF §4 NotificationData', () => {
  for (const v of file.vectors) {
    it(`${v.id} round-trips`, () => {
      const d = decode(v.hex);
      const w = new RopWriter();
      writeNotificationData(w, d, 1252);
      expect(w.result().toString('hex')).toBe(v.hex);
    });

    it(`${v.id} inside RopNotify`, () => {
      const body = Buffer.concat([Buffer.from([0x2a, 0x78, 0x56, 0x34, 0x12, 0x00]), Buffer.from(v.hex, 'hex')]);
      const r = new RopReader(body);
      const res = RopNotify.decodeResponse(r, ctx, { RopId: 0x2a, LogonId: 0, InputHandleIndex: 0 });
      expect(r.left).toBe(0);
      expect(res).toMatchObject({ NotificationHandle: 0x12345678, LogonId: 0 });
      const w = new RopWriter();
      RopNotify.encodeResponse(w, res, ctx, { RopId: 0x2a, LogonId: 0, InputHandleIndex: 0 });
      expect(w.result().equals(body)).toBe(true);
    });
  }

  const byId = (id: string) => file.vectors.find((v) => v.id === id)!;

  it('NewMail: folder, message, flags, 8-bit message class', () => {
    expect(decode(byId('oxcnotif-4-NewMailNotification#1').hex)).toEqual({
      NotificationFlags: 0x8002,
      FolderID: eid('010000000078291f'),
      MessageID: eid('0100000000783484'),
      MessageFlags: 0x22,
      UnicodeFlag: 0,
      MessageClass: 'IPM.Note',
    });
  });

  it('ObjectCreated folder: FolderID, ParentFolderID, no tags', () => {
    expect(decode(byId('oxcnotif-4-ObjectCreatedNotification#1').hex)).toEqual({
      NotificationFlags: 0x0004,
      FolderID: eid('0100000000782781'),
      ParentFolderID: eid('0100000000782780'),
      Tags: [],
    });
  });

  it('ObjectCreated message: 31 tags, no ParentFolderID', () => {
    const d = decode(byId('oxcnotif-4-ObjectCreatedNotification#2').hex);
    expect(d.MessageID).toBe(eid('0100000000784172'));
    expect(d.ParentFolderID).toBeUndefined();
    expect(d.Tags).toHaveLength(0x1f);
    expect(d.Tags![0]).toBe(0x0e1b000b);
  });

  it('ObjectModified with T and U: TotalMessageCount then UnreadMessageCount', () => {
    expect(decode(byId('oxcnotif-4-ObjectModifiedNotification#4').hex)).toMatchObject({
      NotificationFlags: 0x3010,
      TotalMessageCount: 4,
      UnreadMessageCount: 3,
    });
    expect(decode(byId('oxcnotif-4-ObjectModifiedNotification#2').hex)).toMatchObject({ UnreadMessageCount: 0, Tags: [0x36030003] });
  });

  it('ObjectMoved message: FolderID, MessageID, OldFolderID, OldMessageID', () => {
    expect(decode(byId('oxcnotif-4-ObjectMovedNotification#1').hex)).toEqual({
      NotificationFlags: 0x8020,
      FolderID: eid('0100000000782781'),
      MessageID: eid('0100000000784378'),
      OldFolderID: eid('0100000000782780'),
      OldMessageID: eid('0100000000784172'),
    });
  });

  it('ObjectCopied message: the spec labels OldMessageId/OldFolderId in swapped order; the values are folder then message', () => {
    // MS-OXCNOTIF §4 labels the third EID "OldMessageId" and the fourth "OldFolderId", but the third equals the
    // folder EID of the first field and the fourth is a message EID next to MessageId: field order is
    // OldFolderID, OldMessageID as in MS-OXCNOTIF 2.2.1.4.1.2 (and as the ObjectMoved example shows).
    const d = decode(byId('oxcnotif-4-ObjectCopiedNotification#1').hex);
    expect(d.OldFolderID).toBe(d.FolderID);
    expect(d.OldMessageID).toBe(eid('0100000000784172'));
  });

  it('TableModified: row added with and without the M flag; row data kept as bytes', () => {
    const h = decode(byId('oxcnotif-4-TableRowAddModifiedNotification#1').hex);
    expect(h).toMatchObject({ NotificationFlags: 0x0100, TableEventType: 3, TableRowFolderID: eid('01000002816cea9d'), InsertAfterTableRowFolderID: eid('01000002816cea9e') });
    expect(h.TableRowData).toHaveLength(0xa3);
    const m = decode(byId('oxcnotif-4-TableRowAddModifiedNotification#2').hex);
    expect(m).toMatchObject({
      NotificationFlags: 0xc100,
      TableRowMessageID: eid('01000002816cfc84'),
      TableRowInstance: 1,
      InsertAfterTableRowID: eid('01000002816cfc82'),
      InsertAfterTableRowInstance: 1,
    });
    expect(decode(byId('oxcnotif-4-TableRowDeletedModifiedNotification#2').hex)).toEqual({
      NotificationFlags: 0xc100,
      TableEventType: 4,
      TableRowFolderID: eid('01000002816cea96'),
      TableRowMessageID: eid('01000002816d0901'),
      TableRowInstance: 1,
    });
    expect(decode(byId('oxcnotif-4-TableModifiedNotification#2').hex)).toEqual({ NotificationFlags: 0x0100, TableEventType: 7 });
  });
});
