// Protocol towers (C706 appendix L, MS-RPCE 2.2.1.3): the octet string inside twr_t. Floors are
// [u16 LHS length][LHS][u16 RHS length][RHS] with little-endian lengths; ports and IPv4 addresses inside the RHS
// are big-endian.
import { ProtocolError } from '../util/errors.js';
import { readGuid, writeGuid } from '../util/guid.js';

export const FLOOR_PROTOCOL = {
  UUID: 0x0d,
  NCACN: 0x0b, // connection-oriented RPC
  TCP: 0x07,
  UDP: 0x08,
  IP: 0x09,
  NAMED_PIPE: 0x0f,
  NETBIOS: 0x11,
  HTTP: 0x1f,
  LRPC: 0x10,
} as const;

export type TowerProtocol = 'ncacn_ip_tcp' | 'ncacn_http';

export interface Tower {
  iface: { uuid: string; major: number; minor: number };
  syntax: { uuid: string; major: number; minor: number };
  protocol: TowerProtocol | 'other';
  port: number;
  address: string;
}

export class TowerError extends ProtocolError {}

interface Floor {
  lhs: Buffer;
  rhs: Buffer;
}

function parseFloors(octets: Uint8Array): Floor[] {
  const b = Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength);
  if (b.length < 2) throw new TowerError('OC_EPM_TOWER', 'tower shorter than its floor count');
  const n = b.readUInt16LE(0);
  if (n > 16) throw new TowerError('OC_EPM_TOWER', `tower with ${n} floors`);
  const floors: Floor[] = [];
  let off = 2;
  const take = (what: string): Buffer => {
    if (off + 2 > b.length) throw new TowerError('OC_EPM_TOWER', `tower truncated at ${what}`);
    const len = b.readUInt16LE(off);
    off += 2;
    if (off + len > b.length) throw new TowerError('OC_EPM_TOWER', `tower ${what} of ${len} bytes overruns the tower`);
    const v = b.subarray(off, off + len);
    off += len;
    return v;
  };
  for (let i = 0; i < n; i++) floors.push({ lhs: take('LHS'), rhs: take('RHS') });
  return floors;
}

function uuidFloor(f: Floor | undefined, what: string): { uuid: string; major: number; minor: number } {
  if (!f || f.lhs.length !== 19 || f.lhs[0] !== FLOOR_PROTOCOL.UUID || f.rhs.length !== 2) {
    throw new TowerError('OC_EPM_TOWER', `tower ${what} floor is not a UUID floor`);
  }
  return { uuid: readGuid(f.lhs, 1), major: f.lhs.readUInt16LE(17), minor: f.rhs.readUInt16LE(0) };
}

/** Decodes a tower as far as the endpoint mapper needs: interface, transfer syntax, protocol, port and address. */
export function decodeTower(octets: Uint8Array): Tower {
  const floors = parseFloors(octets);
  if (floors.length < 3) throw new TowerError('OC_EPM_TOWER', `tower with only ${floors.length} floors`);
  const iface = uuidFloor(floors[0], 'interface');
  const syntax = uuidFloor(floors[1], 'transfer syntax');
  const rpc = floors[2] as Floor;
  const transport = floors[3];
  const host = floors[4];
  let protocol: Tower['protocol'] = 'other';
  let port = 0;
  if (rpc.lhs.length === 1 && rpc.lhs[0] === FLOOR_PROTOCOL.NCACN && transport && transport.lhs.length === 1) {
    if (transport.lhs[0] === FLOOR_PROTOCOL.TCP) protocol = 'ncacn_ip_tcp';
    else if (transport.lhs[0] === FLOOR_PROTOCOL.HTTP) protocol = 'ncacn_http';
    if (protocol !== 'other' && transport.rhs.length === 2) port = transport.rhs.readUInt16BE(0);
  }
  let address = '0.0.0.0';
  if (host && host.lhs.length === 1 && host.lhs[0] === FLOOR_PROTOCOL.IP && host.rhs.length === 4) address = [...host.rhs].join('.');
  return { iface, syntax, protocol, port, address };
}

function floor(lhs: Buffer, rhs: Buffer): Buffer {
  const h = Buffer.alloc(2);
  h.writeUInt16LE(lhs.length);
  const r = Buffer.alloc(2);
  r.writeUInt16LE(rhs.length);
  return Buffer.concat([h, lhs, r, rhs]);
}

function uuidLhs(uuid: string, major: number): Buffer {
  const b = Buffer.alloc(19);
  b[0] = FLOOR_PROTOCOL.UUID;
  writeGuid(uuid, b, 1);
  b.writeUInt16LE(major, 17);
  return b;
}

function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

/** Encodes the five-floor tower of an ncacn_ip_tcp or ncacn_http endpoint. */
export function encodeTower(t: Omit<Tower, 'protocol'> & { protocol: TowerProtocol }): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(t.port);
  const ip = Buffer.from(t.address.split('.').map((x) => Number(x) & 0xff));
  if (ip.length !== 4) throw new TowerError('OC_EPM_TOWER', `not an IPv4 address: ${t.address}`);
  const parts = [
    u16le(5),
    floor(uuidLhs(t.iface.uuid, t.iface.major), u16le(t.iface.minor)),
    floor(uuidLhs(t.syntax.uuid, t.syntax.major), u16le(t.syntax.minor)),
    floor(Buffer.from([FLOOR_PROTOCOL.NCACN]), u16le(0)),
    floor(Buffer.from([t.protocol === 'ncacn_ip_tcp' ? FLOOR_PROTOCOL.TCP : FLOOR_PROTOCOL.HTTP]), port),
    floor(Buffer.from([FLOOR_PROTOCOL.IP]), ip),
  ];
  return Buffer.concat(parts);
}
