// The address book's impacket NSPI runs through the RPC over HTTP proxy (HTTPS, NTLM and Basic HTTP auth, NTLM at
// PKT_PRIVACY inside) on the data set of the address-book issue (500 users, 20 groups, 6 contacts):
// - `wire` (read-only: special table, the whole GAL, a container, DNToMId, explicit tables, ANR, AND, GetProps) must
//   print exactly what the same script prints over ncacn_ip_tcp against the same RpcServer;
// - `suite` (every opnum, modifications included) must complete over ncacn_http; its values are judged over TCP by
//   test/interop/nspi.test.ts, the transport is what differs here.
// test/interop/impacket_nspi.py runs over ncacn_http with its --proxy option.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE_CERT, LOGON, startNspServer, type NspServer } from '../helpers/nsp-dataset.js';
import { expectedBook, type ExpectedBook } from '../helpers/nsp-expect.js';
import { HOST, PASSWORD } from './http-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function py(script: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [script, ...args], { timeout: 240_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const line = String(stdout).trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON (${err?.message ?? ''}):\n${String(stdout).slice(0, 2000)}\n${stderr}`));
      }
    });
  });
}

const T = {
  DISPLAY_NAME_W: 0x3001001f,
  SMTP_ADDRESS_W: 0x39fe001f,
  EMAIL_ADDRESS_W: 0x3003001f,
  INSTANCE_KEY: 0x0ff60102,
  ENTRYID: 0x0fff0102,
  DISPLAY_TYPE: 0x39000003,
  OBJECT_TYPE: 0x0ffe0003,
  ACCOUNT_W: 0x3a00001f,
  TITLE_W: 0x3a17001f,
  MEMBER_W: 0x8009101f,
  HOME_MDB_W: 0x8006001f,
  DISPLAY_NAME_A: 0x3001001e,
  TITLE_A: 0x3a17001e,
  HOME_MDB_A: 0x8006001e,
  NETWORK_ADDRESS_W: 0x8170101f,
};

describe('the NSPI runs of the address-book issue over ncacn_http', () => {
  let ns: NspServer;
  let tlsUrl: string;
  let book: ExpectedBook;
  let dir: string;
  let tcpPort: number;
  beforeAll(async () => {
    // the whole server with its own front door and RPC proxy (http.enabled), the same one answering over TCP
    ns = await startNspServer('builtin', { http: { enabled: true, listen: '127.0.0.1', port: 0 } });
    tlsUrl = `https://127.0.0.1:${ns.ts.server.web!.ports.https}/rpc/rpcproxy.dll`;
    tcpPort = ns.ts.server.ports.rpc;
    book = await expectedBook(ns.ts.directory);
    dir = mkdtempSync(path.join(tmpdir(), 'ocng-rpch-nspi-'));
  }, 120_000);
  afterAll(async () => {
    await ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const dnOf = (account: string): string => {
    const e = book.gal.find((x) => x.account.toLowerCase() === account.toLowerCase());
    if (!e) throw new Error(`no ${account} in the data set`);
    return e.dn;
  };
  const nspiTcp = path.resolve(HERE, '../interop/impacket_nspi.py');
  const nspiHttp = nspiTcp; // the same script, with --proxy

  it('wire: ncacn_http through the HTTPS proxy (NTLM, then Basic) prints exactly what ncacn_ip_tcp prints', async () => {
    const spec = {
      page: 37,
      columns: [T.DISPLAY_NAME_W, T.SMTP_ADDRESS_W, T.EMAIL_ADDRESS_W, T.INSTANCE_KEY, T.ENTRYID, T.DISPLAY_TYPE, T.TITLE_W],
      dns: [dnOf(LOGON), dnOf('zoe'), dnOf('team-1'), '/o=Nowhere/cn=x'],
      anr: ['kierkeg', 'Zoë Å', 'nobody-at-all'],
      props: [T.DISPLAY_NAME_W, T.ACCOUNT_W, T.SMTP_ADDRESS_W, T.HOME_MDB_W, T.OBJECT_TYPE],
    };
    const specFile = path.join(dir, 'wire.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const common = ['wire', '-u', LOGON, '-p', PASSWORD, '--spec', specFile];
    const tcp = await py(nspiTcp, [...common, '--port', String(tcpPort)]);
    if (!tcp.ok) throw new Error(`TCP run failed: ${String(tcp.error)}\n${String(tcp.trace)}`);
    expect((tcp.gal as unknown[]).length).toBe(book.gal.length);
    for (const auth of ['ntlm', 'basic']) {
      const http = await py(nspiHttp, [...common, '--port', '6004', '--proxy', tlsUrl, '--server', HOST, '--http-auth', auth]);
      if (!http.ok) throw new Error(`ncacn_http run (${auth}) failed: ${String(http.error)}\n${String(http.trace)}`);
      expect(http).toEqual(tcp);
    }
    for (let i = 0; i < 50 && ns.ts.server.rpcProxy!.table.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ns.ts.server.rpcProxy!.table.size).toBe(0);
  });

  it('suite: every opnum over ncacn_http completes', async () => {
    const contact = book.gal.find((e) => e.kind === 'contact');
    if (!contact) throw new Error('no contact');
    const spec = {
      page: 37,
      columns: [T.DISPLAY_NAME_W, T.SMTP_ADDRESS_W, T.EMAIL_ADDRESS_W, T.INSTANCE_KEY, T.ENTRYID, T.DISPLAY_TYPE],
      seek: ['Zo', 'zoë å', '李', 'partner', '\u{ffff}'],
      dns: [dnOf(LOGON), dnOf('zoe'), dnOf('lilei'), dnOf('team-1'), contact.dn, '/o=Nowhere/cn=x'],
      props: {
        [dnOf('zoe')]: [T.DISPLAY_NAME_W, T.ACCOUNT_W, T.SMTP_ADDRESS_W, T.HOME_MDB_W],
        [dnOf(LOGON)]: [T.DISPLAY_NAME_W, T.ACCOUNT_W],
        [dnOf('team-1')]: [T.DISPLAY_NAME_W, T.MEMBER_W],
      },
      props8: { dn: dnOf('zoe'), tags: [T.DISPLAY_NAME_A, T.TITLE_A, T.HOME_MDB_A] },
      proplist: [dnOf('zoe'), dnOf('team-1')],
      anr: ['kierkeg', 'Zoë Å', 'nobody-at-all'],
      resolve: ['zoe', 'Kierkegaard', 'nobody-at-all', '李雷', 'team-1'],
      resolve8: ['Zoë Ångström 11', 'alice'],
      name_tags: [T.DISPLAY_NAME_W, 0x8009000d, T.SMTP_ADDRESS_W],
      compare: [
        [dnOf(LOGON), dnOf('zoe')],
        [dnOf('zoe'), dnOf('zoe')],
      ],
      group: dnOf('team-1'),
      self: dnOf(LOGON),
      other: dnOf('zoe'),
      cert: ALICE_CERT.toString('hex'),
    };
    const specFile = path.join(dir, 'suite.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const r = await py(nspiHttp, ['suite', '-u', LOGON, '-p', PASSWORD, '--spec', specFile, '--port', '6004', '--proxy', tlsUrl, '--server', HOST]);
    if (!r.ok) throw new Error(`suite over ncacn_http failed: ${String(r.error)}\n${String(r.trace)}`);
    expect((r.bind as { result: number }).result).toBe(0);
    const forward = r.forward as Array<{ rows?: unknown[] }>;
    expect(forward.flatMap((p) => p.rows ?? []).length).toBe(book.gal.length);
  }, 240_000);
});
