// Minimal pcapng reader for test fixtures: Enhanced Packet Blocks over Ethernet/IPv4/TCP -> TCP payloads.
import { readFileSync } from 'node:fs';

export interface TcpSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export function readPcapngTcp(path: string): TcpSegment[] {
  const b = readFileSync(path);
  const out: TcpSegment[] = [];
  let off = 0;
  while (off + 12 <= b.length) {
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    if (len < 12 || off + len > b.length) break;
    if (type === 6) {
      const capLen = b.readUInt32LE(off + 20);
      const pkt = b.subarray(off + 28, off + 28 + capLen);
      const seg = parseEthernet(pkt);
      if (seg) out.push(seg);
    }
    off += len;
  }
  return out;
}

function parseEthernet(p: Buffer): TcpSegment | null {
  if (p.length < 14 || p.readUInt16BE(12) !== 0x0800) return null;
  const ip = p.subarray(14);
  const ihl = ((ip[0] as number) & 0x0f) * 4;
  if (ip[9] !== 6) return null;
  const totalLen = ip.readUInt16BE(2);
  const tcp = ip.subarray(ihl, totalLen);
  const dataOff = ((tcp[12] as number) >> 4) * 4;
  const addr = (o: number) => [...ip.subarray(o, o + 4)].join('.');
  return {
    src: addr(12),
    dst: addr(16),
    srcPort: tcp.readUInt16BE(0),
    dstPort: tcp.readUInt16BE(2),
    payload: Buffer.from(tcp.subarray(dataOff)),
  };
}
