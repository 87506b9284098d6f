// A trace recorder: writes every PDU published on the ocng:dcerpc:pdu channel into a pcap file as a synthetic
// Ethernet/IPv4/TCP stream per connection, so Wireshark/tshark can dissect (and, given the password, decrypt) it.
import { closeSync, openSync, writeSync } from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ConnectionInfo } from './interface.js';

interface PduMessage {
  cid: number;
  direction: 'in' | 'out';
  pdu: Buffer;
  info: ConnectionInfo;
}

interface Stream {
  clientSeq: number;
  serverSeq: number;
}

const MSS = 16000;

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += (b[b.length - 1] as number) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function ipv4(a: string): Buffer {
  const parts = a.split('.').map(Number);
  return parts.length === 4 && parts.every((n) => n >= 0 && n < 256) ? Buffer.from(parts) : Buffer.from([127, 0, 0, 1]);
}

export class PcapRecorder {
  private readonly fd: number;
  private readonly streams = new Map<number, Stream>();
  private readonly listener = (m: unknown) => this.onPdu(m as PduMessage);
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(1, 20); // DLT_EN10MB
    writeSync(this.fd, h);
    subscribe('ocng:dcerpc:pdu', this.listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    unsubscribe('ocng:dcerpc:pdu', this.listener);
    closeSync(this.fd);
  }

  private onPdu(m: PduMessage): void {
    let st = this.streams.get(m.cid);
    if (!st) {
      st = { clientSeq: 1000, serverSeq: 5000 };
      this.streams.set(m.cid, st);
      this.frame(m.info, true, Buffer.alloc(0), st, 0x02);
      this.frame(m.info, false, Buffer.alloc(0), st, 0x12);
      this.frame(m.info, true, Buffer.alloc(0), st, 0x10);
    }
    const fromClient = m.direction === 'in';
    for (let off = 0; off < m.pdu.length; off += MSS) this.frame(m.info, fromClient, m.pdu.subarray(off, off + MSS), st, 0x18);
  }

  private frame(info: ConnectionInfo, fromClient: boolean, payload: Buffer, st: Stream, flags: number): void {
    const cAddr = ipv4(info.peerAddress);
    const sAddr = ipv4(info.localAddress);
    const [src, dst] = fromClient ? [cAddr, sAddr] : [sAddr, cAddr];
    const [sp, dp] = fromClient ? [info.peerPort, info.localPort] : [info.localPort, info.peerPort];
    const seq = fromClient ? st.clientSeq : st.serverSeq;
    const ack = fromClient ? st.serverSeq : st.clientSeq;
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(sp, 0);
    tcp.writeUInt16BE(dp, 2);
    tcp.writeUInt32BE(seq >>> 0, 4);
    tcp.writeUInt32BE(flags === 0x02 ? 0 : ack >>> 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(65535, 14);
    const pseudo = Buffer.concat([src, dst, Buffer.from([0, 6]), Buffer.from([(20 + payload.length) >> 8, (20 + payload.length) & 0xff])]);
    tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp, payload])), 16);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 6;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
    const eth = Buffer.from('000000000002000000000001' + '0800', 'hex');
    const pkt = Buffer.concat([eth, ip, tcp, payload]);
    const now = Date.now();
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(now / 1000), 0);
    rec.writeUInt32LE((now % 1000) * 1000, 4);
    rec.writeUInt32LE(pkt.length, 8);
    rec.writeUInt32LE(pkt.length, 12);
    writeSync(this.fd, Buffer.concat([rec, pkt]));
    const adv = payload.length + (flags & 0x02 ? 1 : 0);
    if (fromClient) st.clientSeq += adv;
    else st.serverSeq += adv;
  }
}
