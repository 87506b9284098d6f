// Samba's Python bindings (Debian python3-samba 4.17): strict NDR and NTLM signature checks, SPNEGO by default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import { ASYNCEMSMDB, EMSMDB, EPMAPPER, MGMT, NSPI, RFR } from '../../src/dcerpc/well-known.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts?.close());

type EpmResult = { ok: boolean; error?: string; map: Record<string, { result: number; ports: number[] }> };
type MgmtResult = { ok: boolean; error?: string; if_ids: string[]; listening?: [number, number] };

describe('Samba: epmapper and mgmt over ncacn_ip_tcp', () => {
  for (const opts of ['seal', 'sign', 'seal,ntlm', 'sign,ntlm']) {
    it(`epm_Map at [${opts}]`, async () => {
      const r = await runPythonJson<EpmResult>('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${ts.server.ports.epm},${opts}]`, 'epm']);
      expect(r.error).toBeUndefined();
      const rpc = ts.server.ports.rpc;
      expect(r.map).toEqual({
        'EMSMDB tcp': { result: 0, ports: [rpc] },
        'EMSMDB http': { result: 0, ports: [6001] },
        'NSPI tcp': { result: 0, ports: [rpc] },
        'NSPI http': { result: 0, ports: [6004] },
        'RFR tcp': { result: 0, ports: [rpc] },
        'RFR http': { result: 0, ports: [6002] },
      });
    });

    it(`mgmt inq_if_ids at [${opts}]`, async () => {
      const r = await runPythonJson<MgmtResult>('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${ts.server.ports.rpc},${opts}]`, 'mgmt']);
      expect(r.error).toBeUndefined();
      expect(r.if_ids).toEqual(expect.arrayContaining([EPMAPPER.uuid, MGMT.uuid, RFR.uuid]));
      for (const id of r.if_ids) expect([EPMAPPER, MGMT, RFR, NSPI, EMSMDB, ASYNCEMSMDB].map((i) => i.uuid)).toContain(id);
      expect(r.listening).toEqual([0, 1]); // status rpc_s_ok, listening = true
    });
  }

  it('refuses a wrong password with SPNEGO and with NTLM', async () => {
    for (const opts of ['seal', 'sign,ntlm']) {
      const r = await runPythonJson<MgmtResult>('samba_rpc.py', [`ncacn_ip_tcp:127.0.0.1[${ts.server.ports.rpc},${opts}]`, 'mgmt', 'wrong']);
      expect(r.ok).toBe(false);
      // NT_STATUS_LOGON_FAILURE (0xC000006D) or access denied
      expect(r.error).toMatch(/^\((3221225581|3221225506|5), /);
    }
  });
});
