// Shared setup of the MS-OXCMSG handler tests: the harness env with the store, folder, table, property and message
// handlers (fresh or with Alice logged on, and a second session on it), request builders with the spec's field
// names, and readers for rows.
import { expect } from 'vitest';
import { RopReader } from '../../../src/mapi/buffer.js';
import { readPropertyRow, type RowCell } from '../../../src/mapi/ropprops.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import type { MailboxHandlerDeps } from '../../../src/rop/handlers/objects.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createMessageHandlers } from '../../../src/rop/handlers/oxcmsg.js';
import { createPropertyHandlers } from '../../../src/rop/handlers/oxcprpt.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { createTableHandlers } from '../../../src/rop/handlers/oxctabl.js';
import { ALICE, N, makeEnv, type Call, type Env, type Req, type Res } from './harness.js';

export { N };
export type { Env, Req, Res };

export const handlers = (d: MailboxHandlerDeps) => [
  createStoreHandlers(d), createFolderHandlers(d), createTableHandlers(d), createPropertyHandlers(d), createMessageHandlers(d),
];

export const msgEnv = (): Promise<Env> => makeEnv(ALICE, handlers);

/** A msgEnv with Alice logged on: the env, her mailbox and the logon handle. */
export async function msgLogon(): Promise<{ env: Env; mb: MailboxStore; L: number }> {
  const env = await msgEnv();
  const { handle, mb } = await env.logon();
  return { env, mb, L: handle };
}

// MS-OXPROPS tags used by the tests
export const T = {
  Subject: 0x0037001f,
  SubjectPrefix: 0x003d001f,
  NormalizedSubject: 0x0e1d001f,
  MessageClass: 0x001a001f,
  MessageFlags: 0x0e070003,
  MessageStatus: 0x0e170003,
  Body: 0x1000001f,
  HasAttachments: 0x0e1b000b,
  MessageSize: 0x0e080003,
  AttachNumber: 0x0e210003,
  AttachMethod: 0x37050003,
  AttachLongFilename: 0x3707001f,
  AttachDataBinary: 0x37010102,
  DisplayName: 0x3001001f,
  EmailAddress: 0x3003001f,
  AddressType: 0x3002001f,
  RecipientType: 0x0c150003,
  ObjectType: 0x0ffe0003,
  RecipientFlags: 0x5ffd0003,
  RecipientTrackStatus: 0x5fff0003,
  ChangeKey: 0x65e20102,
  Named: 0x80010003,
} as const;

const h = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
const ho = (RopId: number, inp: number, out: number, body: Record<string, unknown> = {}): Req => ({ ...h(RopId, inp, body), OutputHandleIndex: out });

export const rop = {
  openFolder: (inp: number, out: number, fid: bigint) => ho(0x02, inp, out, { FolderId: fid, OpenModeFlags: 0 }),
  openMessage: (inp: number, out: number, fid: bigint, mid: bigint, mode = 1) =>
    ho(0x03, inp, out, { CodePageId: 0x0fff, FolderId: fid, OpenModeFlags: mode, MessageId: mid }),
  createMessage: (inp: number, out: number, fid: bigint, assoc = 0) => ho(0x06, inp, out, { CodePageId: 0x0fff, FolderId: fid, AssociatedFlag: assoc }),
  save: (inp: number, resp: number, SaveFlags = 0x02) => h(0x0c, inp, { ResponseHandleIndex: resp, SaveFlags }),
  removeAll: (inp: number) => h(0x0d, inp, { Reserved: 0 }),
  modifyRecipients: (inp: number, RecipientColumns: number[], RecipientRows: unknown[]) => h(0x0e, inp, { RecipientColumns, RecipientRows }),
  readRecipients: (inp: number, RowId = 0) => h(0x0f, inp, { RowId, Reserved: 0 }),
  reload: (inp: number) => h(0x10, inp, { Reserved: 0 }),
  setMessageReadFlag: (inp: number, resp: number, ReadFlags: number) => h(0x11, inp, { ResponseHandleIndex: resp, ReadFlags }),
  getStatus: (inp: number, mid: bigint) => h(0x1f, inp, { MessageId: mid }),
  setStatus: (inp: number, mid: bigint, flags: number, mask: number) => h(0x20, inp, { MessageId: mid, MessageStatusFlags: flags, MessageStatusMask: mask }),
  attachmentTable: (inp: number, out: number) => ho(0x21, inp, out, { TableFlags: 0x40 }),
  openAttachment: (inp: number, out: number, n: number, flags = 1) => ho(0x22, inp, out, { OpenAttachmentFlags: flags, AttachmentID: n }),
  createAttachment: (inp: number, out: number) => ho(0x23, inp, out),
  deleteAttachment: (inp: number, n: number) => h(0x24, inp, { AttachmentID: n }),
  saveAttachment: (inp: number, resp: number) => h(0x25, inp, { ResponseHandleIndex: resp, SaveFlags: 0 }),
  openEmbedded: (inp: number, out: number, mode: number) => ho(0x46, inp, out, { CodePageId: 0x0fff, OpenModeFlags: mode }),
  validAttachments: (inp: number) => h(0x52, inp),
  setReadFlags: (inp: number, ReadFlags: number, MessageIds: bigint[]) => h(0x66, inp, { WantAsynchronous: 0, ReadFlags, MessageIds }),
  setProps: (inp: number, PropertyValues: Array<{ tag: number; value: unknown }>) => h(0x0a, inp, { PropertyValues }),
  getProps: (inp: number, PropertyTags: number[]) => h(0x07, inp, { PropertySizeLimit: 0, WantUnicode: 1, PropertyTags }),
  getAll: (inp: number) => h(0x08, inp, { PropertySizeLimit: 0, WantUnicode: 1 }),
  setColumns: (inp: number, PropertyTags: number[]) => h(0x12, inp, { SetColumnsFlags: 0, PropertyTags }),
  queryRows: (inp: number, RowCount: number, Columns: number[]) => h(0x15, inp, { QueryRowsFlags: 0, ForwardRead: 1, RowCount, Columns }),
  release: (inp: number) => h(0x01, inp),
};

/** The cells of a RopGetPropertiesSpecific response. */
export function cells(res: Res, tags: number[]): RowCell[] {
  return readPropertyRow(new RopReader(res.RowData as Buffer), tags, 1252);
}

/** The rows of a RopQueryRows response. */
export function tableRows(res: Res, columns: number[]): RowCell[][] {
  const rd = new RopReader((res.RowData as Buffer | undefined) ?? Buffer.alloc(0));
  const out: RowCell[][] = [];
  for (let i = 0; i < (res.RowCount as number); i++) out.push(readPropertyRow(rd, columns, 1252));
  expect(rd.left).toBe(0);
  return out;
}

/** A second EMSMDB session on the same store and registry (logged on as Alice, logon in slot 0). */
export async function secondSession(env: Env): Promise<{ call: Call; logon: number }> {
  const b = env.session(ALICE);
  return { call: b.call, logon: (await b.logon()).handle };
}
