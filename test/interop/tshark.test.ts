// tshark (Wireshark 4.0 dissectors) judges the bytes of real client sessions: the traffic of Samba and impacket
// against the server is recorded from the ocng:dcerpc:pdu diagnostics channel into a pcap, then dissected with
// NTLMSSP decryption (the test password) and must show no malformed packet and no expert warning.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapRecorder } from '../../src/dcerpc/pcap.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

let ts: TestServer;
let dir: string;
let pcap: string;
let decodeAs: string[];

function tshark(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-n', '-r', pcap, '-o', `ntlmssp.nt_password:${PASSWORD}`, ...decodeAs, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tshark failed: ${stderr}`));
      else resolve(String(stdout));
    });
  });
}

beforeAll(async () => {
  ts = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'ocng-pcap-'));
  pcap = path.join(dir, 'session.pcap');
  const rpc = ts.server.ports.rpc;
  const epm = ts.server.ports.epm!;
  decodeAs = ['-d', `tcp.port==${rpc},dcerpc`, '-d', `tcp.port==${epm},dcerpc`];
  const rec = new PcapRecorder(pcap);
  try {
    // Two limits of Wireshark 4.0's NTLMSSP decryption shape what is recorded (our bytes are checked without it in
    // seal-stream.test.ts):
    // - in an SPNEGO (auth type 9) connection it loses its RC4 position after the first sealed PDU, so sealed SPNEGO
    //   connections make one call each;
    // - a sealed request with an empty stub throws inside the dissector whoever sent it (Samba's and impacket's
    //   is_server_listening / inq_if_ids), so sealed connections use calls with non-empty request stubs (Samba
    //   appends its verification trailer to its first request);
    // - it cannot decrypt impacket's sealed requests at all (our responses to them it decrypts), so impacket is
    //   recorded at levels 1, 2 and 5 only.
    const results: Array<{ ok?: boolean }> = [];
    for (const o of ['seal', 'sign', 'seal,ntlm', 'sign,ntlm']) {
      const sealed = o.startsWith('seal');
      const spnegoSealed = o === 'seal';
      results.push(await runPythonJson('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${epm},${o}]`, spnegoSealed ? 'epm1' : 'epm']));
      results.push(await runPythonJson('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${rpc},${o}]`, sealed ? 'mgmt1' : 'mgmt']));
    }
    for (const l of ['1', '2', '5']) results.push(await runPythonJson('impacket_rpc.py', ['mgmt', '--port', String(rpc), '--level', l]));
    await runPythonJson('impacket_rpc.py', ['lookup', '--port', String(epm), '--max', '2']);
    await runPythonJson('impacket_rpc.py', ['epm', '--port', String(epm)]);
    expect(results.every((r) => r.ok === true)).toBe(true);
  } finally {
    rec.close();
  }
}, 120_000);

afterAll(async () => {
  await ts?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tshark dissects the recorded sessions', () => {
  it('finds no malformed packet and no expert warning', async () => {
    const out = await tshark(['-Y', '_ws.malformed || _ws.expert.severity >= "Warning"']);
    expect(out).toBe('');
  });

  it('dissected the traffic it was given (binds, NTLMSSP legs, epm and mgmt calls)', async () => {
    const count = async (filter: string) => (await tshark(['-Y', filter, '-T', 'fields', '-e', 'frame.number'])).trim().split('\n').filter(Boolean).length;
    expect(await count('dcerpc.pkt_type == 12')).toBeGreaterThanOrEqual(14); // bind_ack
    expect(await count('ntlmssp.messagetype == 0x00000002')).toBeGreaterThanOrEqual(10); // CHALLENGE
    expect(await count('ntlmssp.messagetype == 0x00000003')).toBeGreaterThanOrEqual(10); // AUTHENTICATE
    expect(await count('epm.opnum == 3')).toBeGreaterThan(0); // ept_map, in clear and sealed
    expect(await count('epm.opnum == 2')).toBeGreaterThan(0); // ept_lookup
  });

  it('decrypted the sealed mgmt calls with the password (their replies were dissected)', async () => {
    const out = await tshark(['-Y', 'mgmt.opnum == 0 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 6', '-T', 'fields', '-e', 'frame.number']);
    expect(out.trim().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    const princ = await tshark(['-Y', 'mgmt.opnum == 4 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 5', '-T', 'fields', '-e', 'mgmt.princ_name']);
    expect(princ).toContain('EXCH01$');
    const sealedEpm = await tshark(['-Y', 'epm.opnum == 3 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 6', '-T', 'fields', '-e', 'epm.tower.num_floors']);
    expect(sealedEpm).toContain('5');
  });
});
