// MS-OXCROPS 2.2.3.1 RopLogon
// Request: RopId, LogonId, OutputHandleIndex (no InputHandleIndex: the decoded request leaves it undefined and the
// dispatcher gives the handler no input object), LogonFlags, OpenFlags, StoreState, EssdnSize, Essdn.
// Responses: private mailbox (LogonFlags has Private, 160 bytes after the prefix), public folders (139 bytes),
// redirect with ecWrongServer (LogonFlags, ServerNameSize, ServerName); other failures have no body.
import { RopFormatError, type RopReader, type RopWriter } from '../../mapi/buffer.js';
import { readResponseHeader, writeResponseHeader } from './common.js';
import { ec } from '../ec.js';
import type { RopCodec, RopRequestHeader, RopResponse } from '../types.js';

// MS-OXCSTOR 2.2.1.1 LogonFlags
export const LogonFlags = { Private: 0x01, Undercover: 0x02, Ghosted: 0x04, SpoolerProcess: 0x08 } as const;
// MS-OXCSTOR 2.2.1.1.1 OpenFlags
export const OpenFlags = {
  USE_ADMIN_PRIVILEGE: 0x00000001,
  PUBLIC: 0x00000002,
  HOME_LOGON: 0x00000004,
  TAKE_OWNERSHIP: 0x00000008,
  ALTERNATE_SERVER: 0x00000100,
  IGNORE_HOME_MDB: 0x00000200,
  NO_MAIL: 0x00000400,
  USE_PER_MDB_REPLID_MAPPING: 0x01000000,
  SUPPORT_PROGRESS: 0x20000000,
} as const;
// MS-OXCSTOR 2.2.1.1.3 ResponseFlags
export const ResponseFlags = { Reserved: 0x01, OwnerRight: 0x02, SendAsRight: 0x04, OOF: 0x10 } as const;

export interface RopLogonRequest extends RopRequestHeader {
  OutputHandleIndex: number;
  LogonFlags: number;
  OpenFlags: number;
  StoreState: number;
  /** The user's mailbox DN (ASCII), '' when EssdnSize is 0 (public folders). */
  Essdn: string;
}

/** MS-OXCROPS 2.2.3.1.2 LogonTime. */
export interface LogonTime {
  Seconds: number;
  Minutes: number;
  Hour: number;
  DayOfWeek: number;
  Day: number;
  Month: number;
  Year: number;
}

export interface RopLogonResponse {
  LogonFlags: number;
  /** 13 folder IDs (private and public orders in MS-OXCSTOR 2.2.1.1.3 / 2.2.1.1.4). */
  FolderIds: bigint[];
  // private
  ResponseFlags: number;
  MailboxGuid: string;
  LogonTime: LogonTime;
  GwartTime: bigint;
  StoreState: number;
  // both
  ReplId: number;
  ReplGuid: string;
  // public
  PerUserGuid: string;
  // redirect (ecWrongServer)
  ServerName: string;
}

const NAME = 'RopLogon';
const ID = 0xfe;

function req<T>(v: T | undefined, f: string): T {
  if (v === undefined) throw new RopFormatError('OC_ROP_MISSING_FIELD', `${NAME} response lacks ${f}`);
  return v;
}

export const RopLogon: RopCodec<RopLogonRequest, RopLogonResponse> = {
  RopId: ID,
  name: NAME,
  hasResponse: true,
  createsObject: true,
  decodeRequest(r: RopReader): RopLogonRequest {
    const RopId = r.u8();
    if (RopId !== ID) throw new RopFormatError('OC_ROP_ID', `expected RopId 0xfe, got 0x${RopId.toString(16)}`);
    const LogonId = r.u8();
    const OutputHandleIndex = r.u8();
    const LogonFlags = r.u8();
    const OpenFlags = r.u32();
    const StoreState = r.u32();
    const size = r.u16();
    let Essdn = '';
    if (size > 0) {
      const sub = r.bytes(size, 'Essdn');
      const nul = sub.indexOf(0);
      if (nul !== size - 1) throw new RopFormatError('OC_ROP_STRING', 'Essdn is not one NUL-terminated string of EssdnSize bytes');
      Essdn = sub.toString('latin1', 0, nul);
    }
    return { RopId, LogonId, InputHandleIndex: undefined as unknown as number, OutputHandleIndex, LogonFlags, OpenFlags, StoreState, Essdn };
  },
  encodeRequest(w: RopWriter, q: RopLogonRequest): void {
    w.u8(ID).u8(q.LogonId).u8(q.OutputHandleIndex).u8(q.LogonFlags).u32(q.OpenFlags).u32(q.StoreState);
    if (q.Essdn === '') w.u16(0);
    else {
      const b = Buffer.from(q.Essdn, 'latin1');
      w.u16(b.length + 1).bytes(b).u8(0);
    }
  },
  responseHandleIndex: (q) => q.OutputHandleIndex,
  encodeResponse(w: RopWriter, s: RopResponse<RopLogonResponse>): void {
    writeResponseHeader(w, ID, s.HandleIndex, s.ReturnValue);
    if (s.ReturnValue === ec.WrongServer) {
      const name = Buffer.from(req(s.ServerName, 'ServerName'), 'latin1');
      if (name.length + 1 > 0xff) throw new RopFormatError('OC_ROP_TOO_BIG', 'ServerName longer than ServerNameSize allows');
      w.u8(s.LogonFlags ?? 0).u8(name.length + 1).bytes(name).u8(0);
      return;
    }
    if (s.ReturnValue !== 0) return;
    const flags = req(s.LogonFlags, 'LogonFlags');
    w.u8(flags);
    const fids = req(s.FolderIds, 'FolderIds');
    for (let i = 0; i < 13; i++) w.u64(fids[i] ?? 0n);
    if (flags & LogonFlags.Private) {
      w.u8(req(s.ResponseFlags, 'ResponseFlags')).guid(req(s.MailboxGuid, 'MailboxGuid'));
      w.u16(req(s.ReplId, 'ReplId')).guid(req(s.ReplGuid, 'ReplGuid'));
      const t = req(s.LogonTime, 'LogonTime');
      w.u8(t.Seconds).u8(t.Minutes).u8(t.Hour).u8(t.DayOfWeek).u8(t.Day).u8(t.Month).u16(t.Year);
      w.u64(req(s.GwartTime, 'GwartTime')).u32(req(s.StoreState, 'StoreState'));
    } else {
      w.u16(req(s.ReplId, 'ReplId')).guid(req(s.ReplGuid, 'ReplGuid')).guid(req(s.PerUserGuid, 'PerUserGuid'));
    }
  },
  decodeResponse(r: RopReader): RopResponse<RopLogonResponse> {
    const h = readResponseHeader(r, ID);
    if (h.ReturnValue === ec.WrongServer) {
      const LogonFlags = r.u8();
      const size = r.u8();
      const b = r.bytes(size, 'ServerName');
      const nul = b.indexOf(0);
      return { ...h, LogonFlags, ServerName: b.toString('latin1', 0, nul < 0 ? size : nul) };
    }
    if (h.ReturnValue !== 0) return h;
    const LogonFlags = r.u8();
    const FolderIds: bigint[] = [];
    for (let i = 0; i < 13; i++) FolderIds.push(r.u64());
    if (LogonFlags & LogonFlags_Private) {
      const ResponseFlags = r.u8();
      const MailboxGuid = r.guid();
      const ReplId = r.u16();
      const ReplGuid = r.guid();
      const LogonTime = { Seconds: r.u8(), Minutes: r.u8(), Hour: r.u8(), DayOfWeek: r.u8(), Day: r.u8(), Month: r.u8(), Year: r.u16() };
      const GwartTime = r.u64();
      const StoreState = r.u32();
      return { ...h, LogonFlags, FolderIds, ResponseFlags, MailboxGuid, ReplId, ReplGuid, LogonTime, GwartTime, StoreState };
    }
    const ReplId = r.u16();
    const ReplGuid = r.guid();
    const PerUserGuid = r.guid();
    return { ...h, LogonFlags, FolderIds, ReplId, ReplGuid, PerUserGuid };
  },
};

const LogonFlags_Private = LogonFlags.Private;

/** LogonTime of a Date (UTC fields). */
export function logonTime(d: Date): LogonTime {
  return {
    Seconds: d.getUTCSeconds(),
    Minutes: d.getUTCMinutes(),
    Hour: d.getUTCHours(),
    DayOfWeek: d.getUTCDay(),
    Day: d.getUTCDate(),
    Month: d.getUTCMonth() + 1,
    Year: d.getUTCFullYear(),
  };
}

