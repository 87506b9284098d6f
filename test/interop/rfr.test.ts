// impacket (Debian python3-impacket 0.10, /usr/bin/python3) calls our RFR interface (MS-OXABREF) over
// ncacn_ip_tcp with NTLM: RfrGetNewDSA and RfrGetFQDNFromServerDN through impacket's oxabref helpers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxStoreDn, serverDn } from '../../src/mapi/dn.js';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts?.close());

interface RfrResult {
  ok: boolean;
  error?: string;
  new_dsa?: string;
  fqdn?: Record<string, string>;
}

const USER_DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';

function run(level: number, dns: string[], extra: string[] = []): Promise<RfrResult> {
  const args = ['--port', String(ts.server.ports.rpc), '--level', String(level), '-p', PASSWORD, '--user-dn', USER_DN, ...extra];
  for (const dn of dns) args.push('--dn', dn);
  return runPythonJson<RfrResult>('impacket_rfr.py', args);
}

describe('impacket: RFR (MS-OXABREF)', () => {
  it('at PKT_PRIVACY, RfrGetNewDSA names this server and RfrGetFQDNFromServerDN maps our DNs to its FQDN', async () => {
    const sdn = serverDn(ts.config.server);
    expect(sdn).toBe('/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01');
    const dns = [sdn, sdn.toUpperCase(), mailboxStoreDn(sdn)];
    const r = await run(6, dns);
    expect(r.error).toBeUndefined();
    expect(r.new_dsa).toBe('exch01.test.local');
    for (const dn of dns) expect(r.fqdn?.[dn], dn).toBe('exch01.test.local');
  });

  it("wrong DNs get an error return: another server MAPI_E_NOT_FOUND, a user's DN MAPI_E_INVALID_PARAMETER", async () => {
    const other = serverDn({ ...ts.config.server, netbiosName: 'EXCH02' });
    const r = await run(6, [other, USER_DN]);
    expect(r.ok).toBe(true);
    expect(r.fqdn?.[other]).toBe('error 0x8004010f');
    expect(r.fqdn?.[USER_DN]).toBe('error 0x80070057');
  });

  it('works at CONNECT and PKT_INTEGRITY too, and refuses an unauthenticated caller (rpc_s_access_denied)', async () => {
    for (const level of [2, 5]) {
      const r = await run(level, [serverDn(ts.config.server)]);
      expect(r.new_dsa, `level ${level}`).toBe('exch01.test.local');
    }
    const anon = await run(1, []);
    expect(anon.ok).toBe(false);
    expect(anon.error).toContain('rpc_s_access_denied');
  });
});
