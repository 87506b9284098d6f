// The project's EMSMDB test client (test/interop/emsmdb/outlook_start.py --proxy) runs its whole mailbox session over
// RPC over HTTPS through the server's own front door and RPC proxy (issue 5 acceptance), as
// test/interop/emsmdb-outlook.test.ts runs it over TCP: startServer with http.enabled, a pre-filled folder, NTLM and
// Basic HTTP authentication, NTLM at PKT_PRIVACY inside.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eidString, startMailboxServer, USER_DN, type MailboxServer } from '../helpers/emsmdb-mailbox.js';
import { PASSWORD, runPythonJson } from '../helpers/full-server.js';

const MESSAGES = 2000;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('EMSMDB test client over RPC over HTTPS (the server\'s own front door and proxy)', () => {
  let m: MailboxServer;
  let url: string;
  let result: Json;
  const args = (auth: string) => ['--proxy', url, '--rpc-host', 'exch01.test.local', '--http-auth', auth, '--port', '6001',
    '-u', 'alice', '-p', PASSWORD, '-d', 'TEST', '--dn', USER_DN];
  beforeAll(async () => {
    m = await startMailboxServer({ http: { enabled: true, listen: '127.0.0.1', port: 0 } }, MESSAGES);
    url = `https://127.0.0.1:${m.ts.server.web!.ports.https}/rpc/rpcproxy.dll`;
    result = await runPythonJson<Json>('emsmdb/outlook_start.py', [...args('ntlm'), '--folder', 'Bulk', '--category-tag', '0x00170003', '--rows', 'all'], 300_000);
  }, 400_000);
  afterAll(async () => {
    await m?.close();
  });

  it('runs every step of the mailbox session as over TCP, checked against the store', () => {
    const failed = (result.steps as Json[]).filter((s) => !s.ok).map((s) => `${s.name}: ${s.error}`);
    expect(failed).toEqual([]);
    expect(result.stats.violations).toEqual([]);
    expect(result.connect.ErrorCode).toBe(0);
    expect(result.logon.FolderIds.Inbox).toBe(eidString(m.mailbox.special.inbox));
    const expected = [...m.messages].sort((a, b) => (a.delivery < b.delivery ? 1 : a.delivery > b.delivery ? -1 : 0)).map((x) => eidString(x.mid));
    expect(result.contents.mids).toEqual(expected);
    expect(result.contents.categories.collapsedRows).toBe(3);
    expect(result.named.roundTrip.every(Boolean)).toBe(true);
    expect(result.delete.leftOver).toEqual([]);
    expect(result.disconnect).toEqual({ ErrorCode: 0, cxh: '00'.repeat(20) });
  });

  it('frees the virtual connections when the client is done', async () => {
    for (let i = 0; i < 50 && m.ts.server.rpcProxy!.table.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(m.ts.server.rpcProxy!.table.size).toBe(0);
  });

  it('with Basic HTTP authentication too', async () => {
    const r = await runPythonJson<Json>('emsmdb/outlook_start.py', [...args('basic'), '--steps', 'store,disconnect'], 120_000);
    expect((r.steps as Json[]).filter((s) => !s.ok).map((s) => `${s.name}: ${s.error}`)).toEqual([]);
    expect(r.disconnect.ErrorCode).toBe(0);
  });
});
