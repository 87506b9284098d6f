// End to end with the LDAP provider: the whole server reads its users from a real slapd (test/helpers/slapd.ts) and
// impacket binds with NTLM at PKT_PRIVACY as an LDAP user whose NT hash is slapd's sambaNTPassword.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';
import { ldapSettings, makeFixture, Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
let ts: TestServer;
beforeAll(async () => {
  slapd = await Slapd.create(makeFixture(60, 4, 1));
  ts = await startTestServer({
    directory: { provider: 'ldap', ldap: ldapSettings(slapd) as DeepPartial<Config['directory']['ldap']> },
  });
});
afterAll(async () => {
  await ts?.close();
  await slapd?.close();
});

interface MgmtResult {
  ok: boolean;
  if_ids?: string[];
  error?: string;
}

function mgmt(user: string, password: string): Promise<MgmtResult> {
  return runPythonJson<MgmtResult>('impacket_rpc.py', ['mgmt', '--port', String(ts.server.ports.rpc), '--level', '6', '-u', user, '-p', password]);
}

describe('impacket: NTLM against LDAP users (directory.provider = ldap)', () => {
  it('binds at PKT_PRIVACY as an LDAP user with a sambaNTPassword (non-ASCII name and password)', async () => {
    const zoe = slapd.fixture.users[0]!;
    const r = await mgmt(zoe.uid, zoe.password);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.if_ids).toContain('afa8bd80-7d8a-11c9-bef4-08002b102989'); // mgmt
    const lilei = slapd.fixture.users[1]!;
    expect((await mgmt(lilei.mail, lilei.password)).ok).toBe(true); // by SMTP address
  });

  it('refuses a wrong password, a user without an NT hash and a disabled user', async () => {
    const zoe = slapd.fixture.users[0]!;
    const noHash = slapd.fixture.users.find((u) => !u.ntHash)!;
    const disabled = slapd.fixture.users.find((u) => !u.enabled)!;
    for (const [u, p] of [
      [zoe.uid, 'wrong'],
      [noHash.uid, noHash.password],
      [disabled.uid, disabled.password],
    ] as const) {
      const r = await mgmt(u, p);
      expect(r.ok, u).toBe(false);
      expect(r.error, u).toContain('rpc_s_access_denied');
    }
  });
});
