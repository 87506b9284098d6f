// impacket (Debian python3-impacket 0.10, /usr/bin/python3) against the whole server over real TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import { ASYNCEMSMDB, EMSMDB, EPMAPPER, MGMT, NSPI, RFR } from '../../src/dcerpc/well-known.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts?.close());

// inq_if_ids lists what the server registered: at least the endpoint mapper, mgmt and RFR, and nothing unknown.
const REQUIRED_IFS = [EPMAPPER.uuid, MGMT.uuid, RFR.uuid];
const KNOWN_IFS = [EPMAPPER, MGMT, RFR, NSPI, EMSMDB, ASYNCEMSMDB].map((i) => i.uuid);

describe('impacket: endpoint mapper', () => {
  it('ept_map finds EMSMDB, AsyncEMSMDB, NSPI and RFR over ncacn_ip_tcp and ncacn_http towers (on both ports)', async () => {
    for (const port of [ts.server.ports.epm!, ts.server.ports.rpc]) {
      const r = await runPythonJson<Record<string, string>>('impacket_rpc.py', ['epm', '--port', String(port)]);
      const rpc = ts.server.ports.rpc;
      expect(r).toEqual({
        'EMSMDB ncacn_ip_tcp': `ncacn_ip_tcp:127.0.0.1[${rpc}]`,
        'EMSMDB ncacn_http': 'ncacn_http:127.0.0.1[6001]',
        'AsyncEMSMDB ncacn_ip_tcp': `ncacn_ip_tcp:127.0.0.1[${rpc}]`,
        'AsyncEMSMDB ncacn_http': 'ncacn_http:127.0.0.1[6001]',
        'NSPI ncacn_ip_tcp': `ncacn_ip_tcp:127.0.0.1[${rpc}]`,
        'NSPI ncacn_http': 'ncacn_http:127.0.0.1[6004]',
        'RFR ncacn_ip_tcp': `ncacn_ip_tcp:127.0.0.1[${rpc}]`,
        'RFR ncacn_http': 'ncacn_http:127.0.0.1[6002]',
        unknown: expect.stringContaining('ept_s_not_registered'),
      });
    }
  });

  it('ept_lookup walks every entry through lookup handles, and ept_lookup_handle_free frees one', async () => {
    const all = await runPythonJson<{ entries: Array<{ binding: string; uuid: string; annotation: string }>; calls: number }>('impacket_rpc.py', [
      'lookup',
      '--port',
      String(ts.server.ports.epm),
    ]);
    expect(all.calls).toBe(1);
    expect(all.entries).toHaveLength(9);
    const r = await runPythonJson<{ entries: typeof all.entries; calls: number; handles: boolean[]; freed_status: number; freed_null: boolean }>(
      'impacket_rpc.py',
      ['lookup', '--port', String(ts.server.ports.epm), '--max', '2'],
    );
    expect(r.calls).toBe(5);
    expect(r.handles).toEqual([true, true, true, true, false]);
    expect(r.entries).toEqual(all.entries);
    expect(r.entries.map((e) => e.binding)).toContain(`ncacn_ip_tcp:127.0.0.1[${ts.server.ports.rpc}]`);
    expect(r.entries.map((e) => e.binding)).toContain('ncacn_http:127.0.0.1[6004]');
    expect(r.entries.find((e) => e.uuid === 'A4F1DB00-CA47-1067-B31F-00DD010662DA')?.annotation).toBe('MS Exchange EMSMDB');
    expect(r.freed_status).toBe(0);
    expect(r.freed_null).toBe(true);
  });
});

describe('impacket: mgmt with NTLM (auth type 10)', () => {
  for (const level of [1, 2, 5, 6]) {
    it(`binds at auth level ${level} and inq_if_ids is answered`, async () => {
      const r = await runPythonJson<{ ok: boolean; if_ids: string[]; listening_status: number; stats_count: number; princ_name: string; error?: string }>(
        'impacket_rpc.py',
        ['mgmt', '--port', String(ts.server.ports.rpc), '--level', String(level), '-p', PASSWORD],
      );
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.if_ids).toEqual(expect.arrayContaining(REQUIRED_IFS));
      for (const id of r.if_ids) expect(KNOWN_IFS).toContain(id);
      expect(r.listening_status).toBe(0);
      expect(r.stats_count).toBe(4);
      expect(r.princ_name).toBe('EXCH01$');
    });
  }

  it('refuses a wrong password and an unknown user (rpc_s_access_denied)', async () => {
    for (const args of [['-p', 'wrong'], ['-u', 'mallory', '-p', PASSWORD]]) {
      const r = await runPythonJson<{ ok: boolean; error: string }>('impacket_rpc.py', ['mgmt', '--port', String(ts.server.ports.rpc), '--level', '6', ...args]);
      expect(r.ok).toBe(false);
      expect(r.error).toContain('rpc_s_access_denied');
    }
  });

  it('refuses a sealed request altered in flight (stub, header, trailer) and closes that connection', async () => {
    for (const offset of [24, 18, 30]) {
      const r = await runPythonJson<{ tampered: string; after: string }>('impacket_rpc.py', ['tamper', '--port', String(ts.server.ports.rpc), '--offset', String(offset)]);
      expect(r.tampered).toContain('00000721');
      expect(r.after).toBe('closed');
    }
    // and the server goes on serving
    const ok = await runPythonJson<{ ok: boolean }>('impacket_rpc.py', ['mgmt', '--port', String(ts.server.ports.rpc), '--level', '6']);
    expect(ok.ok).toBe(true);
  });
});
