// Sealed connections of Samba (SPNEGO, several calls) and impacket (raw NTLM) decrypted from the recorded bytes
// with the MS-NLMP rule alone, then decoded with the interface schemas: proof that every sealed PDU we sent and
// accepted is standard, in the places where Wireshark 4.0's decryption gives up (see tshark.test.ts).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ept_map_in, ept_map_out } from '../../src/epm/idl.js';
import { decodeTower } from '../../src/epm/tower.js';
import { decryptSealedStream, type Recorded } from '../helpers/ntlm-stream.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

let ts: TestServer;
const byConnection = new Map<number, Recorded[]>();
const listener = (m: unknown) => {
  const { cid, direction, pdu } = m as { cid: number; direction: 'in' | 'out'; pdu: Buffer };
  const list = byConnection.get(cid) ?? [];
  list.push({ direction, pdu: Buffer.from(pdu) });
  byConnection.set(cid, list);
};

beforeAll(async () => {
  ts = await startTestServer();
  subscribe('ocng:dcerpc:pdu', listener);
});
afterAll(async () => {
  unsubscribe('ocng:dcerpc:pdu', listener);
  await ts?.close();
});

async function recordOne(run: () => Promise<{ ok?: boolean }>): Promise<Recorded[]> {
  byConnection.clear();
  const r = await run();
  expect(r.ok).toBe(true);
  const conns = [...byConnection.values()].filter((c) => c.some((p) => p.pdu[2] === 0));
  expect(conns).toHaveLength(1);
  return conns[0]!;
}

describe('sealed streams decrypt with the MS-NLMP rule alone', () => {
  it('Samba, SPNEGO at PKT_PRIVACY, six ept_map calls on one connection', async () => {
    const pdus = await recordOne(() => runPythonJson('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${ts.server.ports.epm},seal]`, 'epm']));
    const plain = decryptSealedStream(pdus, PASSWORD);
    expect(plain.map((p) => p.direction)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? 'out' : 'in')));
    for (const p of plain) {
      if (p.direction === 'in') {
        const req = ept_map_in.decode(p.stub);
        expect(req.map_tower).not.toBeNull();
      } else {
        const res = ept_map_out.decode(p.stub);
        expect(res.status).toBe(0);
        expect(res.towers).toHaveLength(1);
        expect(decodeTower(res.towers[0]!.tower_octet_string).address).toBe('127.0.0.1');
      }
    }
  });

  it('impacket, raw NTLM at PKT_PRIVACY, inq_stats and inq_princ_name', async () => {
    const pdus = await recordOne(() => runPythonJson('impacket_rpc.py', ['stats', '--port', String(ts.server.ports.rpc), '--level', '6']));
    const plain = decryptSealedStream(pdus, PASSWORD);
    expect(plain.map((p) => [p.direction, p.opnum])).toEqual([
      ['in', 1],
      ['out', 1],
      ['in', 4],
      ['out', 4],
    ]);
    expect(plain[0]!.stub.readUInt32LE(0)).toBe(4); // inq_stats count
    expect(plain[1]!.stub.readUInt32LE(0)).toBe(4); // four counters back
    expect(plain[2]!.stub.subarray(0, 8).toString('hex')).toBe('0a00000040000000'); // NTLM, 64 bytes
    expect(plain[3]!.stub.toString('latin1')).toContain('EXCH01$');
  });
});
