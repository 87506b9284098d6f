// MS-RPCH 2.2.3.5 RTS commands and 2.2.3.6 RTS PDU structure: a bounded codec, the PDUs the server side sends
// (2.2.4), and a table that names the PDUs a client may send (identified by Flags + command types, 2.2.4.1).
import { ProtocolError } from '../util/errors.js';
import { guidToBytes, readGuid } from '../util/guid.js';

export const PTYPE_RTS = 20;
export const RTS_HEADER_SIZE = 20;
/** Largest RTS PDU a peer may send us (the biggest legal one, OUT_R1/A4, is 104 bytes; Padding may add some). */
export const RTS_MAX_SIZE = 1024;

// MS-RPCH 2.2.3.6.1 RTS PDU Header: Flags
export const RTS_FLAG = {
  NONE: 0x0000,
  PING: 0x0001,
  OTHER_CMD: 0x0002,
  RECYCLE_CHANNEL: 0x0004,
  IN_CHANNEL: 0x0008,
  OUT_CHANNEL: 0x0010,
  EOF: 0x0020,
  ECHO: 0x0040,
} as const;

// MS-RPCH 2.2.3.5 RTS Commands: CommandType
export const RTS_CMD = {
  ReceiveWindowSize: 0,
  FlowControlAck: 1,
  ConnectionTimeout: 2,
  Cookie: 3,
  ChannelLifetime: 4,
  ClientKeepalive: 5,
  Version: 6,
  Empty: 7,
  Padding: 8,
  NegativeANCE: 9,
  ANCE: 10,
  ClientAddress: 11,
  AssociationGroupId: 12,
  Destination: 13,
  PingTrafficSentNotify: 14,
} as const;
export type RtsCommandName = keyof typeof RTS_CMD;
const CMD_NAME: readonly RtsCommandName[] = Object.keys(RTS_CMD) as RtsCommandName[];

// MS-RPCH 2.2.3.3 Forward Destinations
export const FD = { FDClient: 0, FDInProxy: 1, FDServer: 2, FDOutProxy: 3 } as const;

/** MS-RPCH 2.2.3.5: one RTS command. Cookies are RTS cookies (2.2.3.1) in GUID text form. */
export type RtsCommand =
  | { type: 'ReceiveWindowSize'; ReceiveWindowSize: number }
  | { type: 'FlowControlAck'; BytesReceived: number; AvailableWindow: number; ChannelCookie: string }
  | { type: 'ConnectionTimeout'; ConnectionTimeout: number }
  | { type: 'Cookie'; Cookie: string }
  | { type: 'ChannelLifetime'; ChannelLifetime: number }
  | { type: 'ClientKeepalive'; ClientKeepalive: number }
  | { type: 'Version'; Version: number }
  | { type: 'Empty' }
  | { type: 'Padding'; ConformanceCount: number }
  | { type: 'NegativeANCE' }
  | { type: 'ANCE' }
  | { type: 'ClientAddress'; AddressType: 0 | 1; ClientAddress: string }
  | { type: 'AssociationGroupId'; AssociationGroupId: string }
  | { type: 'Destination'; Destination: number }
  | { type: 'PingTrafficSentNotify'; PingTrafficSent: number };

/** MS-RPCH 2.2.3.6 RTS PDU (header fields other than Flags are fixed by 2.2.3.6.1). */
export interface RtsPdu {
  Flags: number;
  commands: RtsCommand[];
}

export class RtsError extends ProtocolError {}

const u32 = (b: Buffer, o: number): number => b.readUInt32LE(o);

function need(b: Buffer, off: number, n: number, what: string): void {
  if (b.length - off < n) throw new RtsError('OC_RTS_SHORT', `${what}: ${n} bytes needed at offset ${off}, ${b.length - off} left`);
}

// MS-RPCH 2.2.3.2: the address is "in little-endian byte order" (127.0.0.1 is 01 00 00 7f).
function ipv4(b: Buffer, o: number): string {
  return `${b[o + 3]}.${b[o + 2]}.${b[o + 1]}.${b[o]}`;
}

function ipv6(b: Buffer, o: number): string {
  const be = Buffer.from(b.subarray(o, o + 16)).reverse();
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(be.readUInt16BE(i * 2).toString(16));
  return parts.join(':');
}

/** Decodes one command at `off`; returns it and its size. */
function decodeCommand(b: Buffer, off: number): [RtsCommand, number] {
  need(b, off, 4, 'RTS command');
  const t = u32(b, off);
  const p = off + 4;
  const fixed = (n: number) => need(b, p, n, CMD_NAME[t] ?? 'command');
  switch (t) {
    case RTS_CMD.ReceiveWindowSize:
      fixed(4);
      return [{ type: 'ReceiveWindowSize', ReceiveWindowSize: u32(b, p) }, 8];
    case RTS_CMD.FlowControlAck:
      fixed(24);
      return [{ type: 'FlowControlAck', BytesReceived: u32(b, p), AvailableWindow: u32(b, p + 4), ChannelCookie: readGuid(b, p + 8) }, 28];
    case RTS_CMD.ConnectionTimeout:
      fixed(4);
      return [{ type: 'ConnectionTimeout', ConnectionTimeout: u32(b, p) }, 8];
    case RTS_CMD.Cookie:
      fixed(16);
      return [{ type: 'Cookie', Cookie: readGuid(b, p) }, 20];
    case RTS_CMD.ChannelLifetime:
      fixed(4);
      return [{ type: 'ChannelLifetime', ChannelLifetime: u32(b, p) }, 8];
    case RTS_CMD.ClientKeepalive:
      fixed(4);
      return [{ type: 'ClientKeepalive', ClientKeepalive: u32(b, p) }, 8];
    case RTS_CMD.Version:
      fixed(4);
      return [{ type: 'Version', Version: u32(b, p) }, 8];
    case RTS_CMD.Empty:
      return [{ type: 'Empty' }, 4];
    case RTS_CMD.Padding: {
      fixed(4);
      const n = u32(b, p);
      if (n > 0xffff) throw new RtsError('OC_RTS_PADDING', `Padding ConformanceCount ${n} over 0xFFFF`);
      need(b, p + 4, n, 'Padding');
      return [{ type: 'Padding', ConformanceCount: n }, 8 + n];
    }
    case RTS_CMD.NegativeANCE:
      return [{ type: 'NegativeANCE' }, 4];
    case RTS_CMD.ANCE:
      return [{ type: 'ANCE' }, 4];
    case RTS_CMD.ClientAddress: {
      fixed(4);
      const at = u32(b, p);
      if (at === 0) {
        need(b, p + 4, 16, 'ClientAddress');
        return [{ type: 'ClientAddress', AddressType: 0, ClientAddress: ipv4(b, p + 4) }, 24];
      }
      if (at === 1) {
        need(b, p + 4, 28, 'ClientAddress');
        return [{ type: 'ClientAddress', AddressType: 1, ClientAddress: ipv6(b, p + 4) }, 36];
      }
      throw new RtsError('OC_RTS_ADDRESS_TYPE', `ClientAddress AddressType ${at}`);
    }
    case RTS_CMD.AssociationGroupId:
      fixed(16);
      return [{ type: 'AssociationGroupId', AssociationGroupId: readGuid(b, p) }, 20];
    case RTS_CMD.Destination: {
      fixed(4);
      const d = u32(b, p);
      if (d > FD.FDOutProxy) throw new RtsError('OC_RTS_DESTINATION', `Destination ${d}`);
      return [{ type: 'Destination', Destination: d }, 8];
    }
    case RTS_CMD.PingTrafficSentNotify:
      fixed(4);
      return [{ type: 'PingTrafficSentNotify', PingTrafficSent: u32(b, p) }, 8];
    default:
      throw new RtsError('OC_RTS_COMMAND', `unknown RTS command type ${t}`);
  }
}

/**
 * Decodes a whole RTS PDU (MS-RPCH 2.2.3.6). Every header rule of 2.2.3.6.1 is checked; a PDU whose commands do
 * not fill frag_length exactly is refused.
 */
export function decodeRts(b: Buffer): RtsPdu {
  need(b, 0, RTS_HEADER_SIZE, 'RTS header');
  if (b[0] !== 5 || b[1] !== 0) throw new RtsError('OC_RTS_VERSION', `rpc_vers ${b[0]}.${b[1]}`);
  if (b[2] !== PTYPE_RTS) throw new RtsError('OC_RTS_PTYPE', `PTYPE ${b[2]} is not RTS`);
  if (b[3] !== 0x03) throw new RtsError('OC_RTS_PFC', `pfc_flags 0x${(b[3] as number).toString(16)} (must be FIRST_FRAG|LAST_FRAG)`);
  if (u32(b, 4) !== 0x10) throw new RtsError('OC_RTS_DREP', 'packed_drep is not little-endian/ASCII/IEEE');
  const fragLength = b.readUInt16LE(8);
  if (fragLength !== b.length) throw new RtsError('OC_RTS_FRAG_LENGTH', `frag_length ${fragLength} but ${b.length} bytes`);
  if (b.readUInt16LE(10) !== 0) throw new RtsError('OC_RTS_AUTH_LENGTH', 'auth_length is not 0');
  if (u32(b, 12) !== 0) throw new RtsError('OC_RTS_CALL_ID', 'call_id is not 0');
  const Flags = b.readUInt16LE(16);
  const n = b.readUInt16LE(18);
  const commands: RtsCommand[] = [];
  let off = RTS_HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    const [c, size] = decodeCommand(b, off);
    commands.push(c);
    off += size;
  }
  if (off !== b.length) throw new RtsError('OC_RTS_TRAILING', `${b.length - off} bytes after ${n} commands`);
  return { Flags, commands };
}

function commandSize(c: RtsCommand): number {
  switch (c.type) {
    case 'FlowControlAck':
      return 28;
    case 'Cookie':
    case 'AssociationGroupId':
      return 20;
    case 'Empty':
    case 'NegativeANCE':
    case 'ANCE':
      return 4;
    case 'Padding':
      return 8 + c.ConformanceCount;
    case 'ClientAddress':
      return c.AddressType === 0 ? 24 : 36;
    default:
      return 8;
  }
}

function writeAddress(c: Extract<RtsCommand, { type: 'ClientAddress' }>, out: Buffer, o: number): void {
  if (c.AddressType === 0) {
    const parts = c.ClientAddress.split('.').map((x) => Number(x));
    if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
      throw new RtsError('OC_RTS_ADDRESS', `not an IPv4 address: ${c.ClientAddress}`);
    }
    parts.forEach((x, i) => (out[o + 3 - i] = x));
    return;
  }
  const be = Buffer.alloc(16);
  expandIpv6(c.ClientAddress).forEach((g, i) => be.writeUInt16BE(g, i * 2));
  be.reverse().copy(out, o);
}

function expandIpv6(s: string): number[] {
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = s.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t];
  const nums = all.map((x) => parseInt(x, 16));
  if (nums.length !== 8 || nums.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) {
    throw new RtsError('OC_RTS_ADDRESS', `not an IPv6 address: ${s}`);
  }
  return nums;
}

/** Encodes an RTS PDU (MS-RPCH 2.2.3.6); its size is the length of the encoding. */
export function encodeRts(pdu: RtsPdu): Buffer {
  let size = RTS_HEADER_SIZE;
  for (const c of pdu.commands) size += commandSize(c);
  const out = Buffer.alloc(size);
  out[0] = 5;
  out[1] = 0;
  out[2] = PTYPE_RTS;
  out[3] = 0x03;
  out[4] = 0x10;
  out.writeUInt16LE(size, 8);
  out.writeUInt16LE(pdu.Flags, 16);
  out.writeUInt16LE(pdu.commands.length, 18);
  let o = RTS_HEADER_SIZE;
  for (const c of pdu.commands) {
    out.writeUInt32LE(RTS_CMD[c.type], o);
    const p = o + 4;
    switch (c.type) {
      case 'ReceiveWindowSize':
        out.writeUInt32LE(c.ReceiveWindowSize, p);
        break;
      case 'FlowControlAck':
        out.writeUInt32LE(c.BytesReceived, p);
        out.writeUInt32LE(c.AvailableWindow, p + 4);
        guidToBytes(c.ChannelCookie).copy(out, p + 8);
        break;
      case 'ConnectionTimeout':
        out.writeUInt32LE(c.ConnectionTimeout, p);
        break;
      case 'Cookie':
        guidToBytes(c.Cookie).copy(out, p);
        break;
      case 'ChannelLifetime':
        out.writeUInt32LE(c.ChannelLifetime, p);
        break;
      case 'ClientKeepalive':
        out.writeUInt32LE(c.ClientKeepalive, p);
        break;
      case 'Version':
        out.writeUInt32LE(c.Version, p);
        break;
      case 'Padding':
        out.writeUInt32LE(c.ConformanceCount, p);
        break;
      case 'ClientAddress':
        out.writeUInt32LE(c.AddressType, p);
        writeAddress(c, out, p + 4);
        break;
      case 'AssociationGroupId':
        guidToBytes(c.AssociationGroupId).copy(out, p);
        break;
      case 'Destination':
        out.writeUInt32LE(c.Destination, p);
        break;
      case 'PingTrafficSentNotify':
        out.writeUInt32LE(c.PingTrafficSent, p);
        break;
      default:
        break; // Empty, NegativeANCE, ANCE: the type alone
    }
    o += commandSize(c);
  }
  return out;
}

// ---- the PDUs the proxy/server side sends (MS-RPCH 2.2.4) --------------------------------------------------------

const rts = (Flags: number, ...commands: RtsCommand[]): Buffer => encodeRts({ Flags, commands });

/** MS-RPCH 2.2.4.4 CONN/A3 */
export const connA3 = (connectionTimeout: number): Buffer =>
  rts(RTS_FLAG.NONE, { type: 'ConnectionTimeout', ConnectionTimeout: connectionTimeout });
/** MS-RPCH 2.2.4.9 CONN/C2 */
export const connC2 = (receiveWindowSize: number, connectionTimeout: number): Buffer =>
  rts(
    RTS_FLAG.NONE,
    { type: 'Version', Version: 1 },
    { type: 'ReceiveWindowSize', ReceiveWindowSize: receiveWindowSize },
    { type: 'ConnectionTimeout', ConnectionTimeout: connectionTimeout },
  );
/** MS-RPCH 2.2.4.13 IN_R1/A4 */
export const inR1A4 = (receiveWindowSize: number, connectionTimeout: number): Buffer =>
  rts(
    RTS_FLAG.NONE,
    { type: 'Destination', Destination: FD.FDClient },
    { type: 'Version', Version: 1 },
    { type: 'ReceiveWindowSize', ReceiveWindowSize: receiveWindowSize },
    { type: 'ConnectionTimeout', ConnectionTimeout: connectionTimeout },
  );
/** MS-RPCH 2.2.4.21 IN_R2/A4 */
export const inR2A4 = (): Buffer => rts(RTS_FLAG.NONE, { type: 'Destination', Destination: FD.FDClient });
/** MS-RPCH 2.2.4.24 OUT_R1/A2 and 2.2.4.35 OUT_R2/A2 (the same bytes) */
export const outRA2 = (): Buffer => rts(RTS_FLAG.RECYCLE_CHANNEL, { type: 'Destination', Destination: FD.FDClient });
/** MS-RPCH 2.2.4.28 OUT_R1/A6 */
export const outR1A6 = (connectionTimeout: number): Buffer =>
  rts(
    RTS_FLAG.OUT_CHANNEL,
    { type: 'Destination', Destination: FD.FDClient },
    { type: 'Version', Version: 1 },
    { type: 'ConnectionTimeout', ConnectionTimeout: connectionTimeout },
  );
/** MS-RPCH 2.2.4.32 OUT_R1/A10 */
export const outR1A10 = (): Buffer => rts(RTS_FLAG.NONE, { type: 'ANCE' });
/** MS-RPCH 2.2.4.39 OUT_R2/A6 */
export const outR2A6 = (): Buffer => rts(RTS_FLAG.NONE, { type: 'Destination', Destination: FD.FDClient }, { type: 'ANCE' });
/** MS-RPCH 2.2.4.44 OUT_R2/B3 */
export const outR2B3 = (): Buffer => rts(RTS_FLAG.EOF, { type: 'ANCE' });
/** MS-RPCH 2.2.4.48 Echo RTS PDU */
export const echoPdu = (): Buffer => rts(RTS_FLAG.ECHO);
/** MS-RPCH 2.2.4.49 Ping RTS PDU */
export const pingPdu = (): Buffer => rts(RTS_FLAG.PING);
/** MS-RPCH 2.2.4.50 FlowControlAck RTS PDU */
export const flowControlAck = (bytesReceived: number, availableWindow: number, channelCookie: string): Buffer =>
  rts(RTS_FLAG.OTHER_CMD, { type: 'FlowControlAck', BytesReceived: bytesReceived, AvailableWindow: availableWindow, ChannelCookie: channelCookie });

// ---- naming what a client sent (MS-RPCH 2.2.4.1: Flags + number and types of commands) ---------------------------

/** The client-sent RTS PDUs; PDUs of the same layout share a name (IN_R1/A1 = IN_R2/A1, OUT_R1/A3 = OUT_R2/A3). */
export type ClientRtsName =
  | 'CONN/A1'
  | 'CONN/B1'
  | 'IN_R1/A1'
  | 'IN_R1/A5'
  | 'OUT_R1/A3'
  | 'OUT_R1/A7'
  | 'OUT_R2/A7'
  | 'OUT_R1/A11'
  | 'OUT_R2/C1'
  | 'Keep-Alive'
  | 'Ping'
  | 'FlowControlAck'
  | 'FlowControlAckWithDestination'
  | 'Echo';

const SIGNATURES: ReadonlyArray<{ name: ClientRtsName; flags: number; cmds: readonly RtsCommandName[] | 'c1' }> = [
  { name: 'CONN/A1', flags: RTS_FLAG.NONE, cmds: ['Version', 'Cookie', 'Cookie', 'ReceiveWindowSize'] },
  { name: 'CONN/B1', flags: RTS_FLAG.NONE, cmds: ['Version', 'Cookie', 'Cookie', 'ChannelLifetime', 'ClientKeepalive', 'AssociationGroupId'] },
  { name: 'IN_R1/A1', flags: RTS_FLAG.RECYCLE_CHANNEL, cmds: ['Version', 'Cookie', 'Cookie', 'Cookie'] },
  { name: 'IN_R1/A5', flags: RTS_FLAG.NONE, cmds: ['Cookie'] },
  { name: 'OUT_R1/A3', flags: RTS_FLAG.RECYCLE_CHANNEL, cmds: ['Version', 'Cookie', 'Cookie', 'Cookie', 'ReceiveWindowSize'] },
  { name: 'OUT_R1/A7', flags: RTS_FLAG.OUT_CHANNEL, cmds: ['Destination', 'Cookie'] },
  { name: 'OUT_R2/A7', flags: RTS_FLAG.OUT_CHANNEL, cmds: ['Destination', 'Cookie', 'Version'] },
  { name: 'OUT_R1/A11', flags: RTS_FLAG.NONE, cmds: ['ANCE'] },
  { name: 'OUT_R2/C1', flags: RTS_FLAG.PING, cmds: 'c1' },
  { name: 'Keep-Alive', flags: RTS_FLAG.OTHER_CMD, cmds: ['ClientKeepalive'] },
  { name: 'Ping', flags: RTS_FLAG.PING, cmds: [] },
  { name: 'FlowControlAck', flags: RTS_FLAG.OTHER_CMD, cmds: ['FlowControlAck'] },
  { name: 'FlowControlAckWithDestination', flags: RTS_FLAG.OTHER_CMD, cmds: ['Destination', 'FlowControlAck'] },
  { name: 'Echo', flags: RTS_FLAG.ECHO, cmds: [] },
];

/** The name of a client RTS PDU, or null when it is none of them (a protocol error wherever it arrives). */
export function identifyClientRts(p: RtsPdu): ClientRtsName | null {
  for (const s of SIGNATURES) {
    if (s.flags !== p.Flags) continue;
    if (s.cmds === 'c1') {
      const c = p.commands[0];
      if (p.commands.length === 1 && c && (c.type === 'Empty' || c.type === 'Padding')) return s.name;
      continue;
    }
    if (s.cmds.length === p.commands.length && s.cmds.every((t, i) => p.commands[i]?.type === t)) return s.name;
  }
  return null;
}

/** The i-th command of a PDU whose layout identifyClientRts has checked. */
export function cmd<T extends RtsCommand['type']>(p: RtsPdu, i: number, type: T): Extract<RtsCommand, { type: T }> {
  const c = p.commands[i];
  if (!c || c.type !== type) throw new RtsError('OC_RTS_LAYOUT', `command ${i} is not ${type}`);
  return c as Extract<RtsCommand, { type: T }>;
}
