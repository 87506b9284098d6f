// The project's EMSMDB test client (test/interop/emsmdb/*.py: Python on impacket's DCE/RPC + NDR layer, written
// from MS-OXCRPC / MS-OXCROPS / MS-OXCDATA / MS-XCA, independently of src/) checks itself offline against the spec
// vectors and the Outlook 2007 captures, then runs its Outlook-like start against the whole server.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, runPythonJson, startTestServer, type TestServer } from '../helpers/full-server.js';

interface Check {
  name: string;
  ok: boolean;
  error?: string;
  detail?: unknown;
}
interface SelfTest {
  ok: boolean;
  passed: number;
  total: number;
  results: Check[];
}

describe('EMSMDB test client self-test (offline)', () => {
  let st: SelfTest;
  beforeAll(async () => {
    st = await runPythonJson<SelfTest>('emsmdb/selftest.py', [], 120_000);
  }, 130_000);

  const byName = (prefix: string): Check => {
    const c = st.results.find((r) => r.name.startsWith(prefix));
    if (!c) throw new Error(`selftest has no check starting with ${prefix}`);
    return c;
  };

  it('every check passes', () => {
    const failed = st.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failed).toEqual([]);
    expect(st.ok).toBe(true);
    expect(st.total).toBeGreaterThanOrEqual(14);
  });

  it('LZ77: the MS-XCA vectors decode and 1,000 generated buffers round-trip', () => {
    const v = byName('lz77: MS-XCA');
    expect(v.ok).toBe(true);
    expect((v.detail as Array<{ decoded: boolean }>).every((x) => x.decoded)).toBe(true);
    const r = byName('lz77: 1,000');
    expect(r.ok).toBe(true);
    expect((r.detail as { buffers: number }).buffers).toBe(1000);
  });

  it('the two Outlook 2007 captures decompress to SizeActual and parse into ROP requests', () => {
    const c = byName('captures');
    expect(c.ok, c.error).toBe(true);
    const caps = c.detail as Array<{ SizeActual: number; rops: string[] }>;
    expect(caps).toHaveLength(2);
    expect(caps[0]?.rops).toEqual(['RopRemoveAllRecipients', 'RopModifyRecipients', 'RopSetProperties', 'RopSubmitMessage',
      'RopGetPropertiesSpecific']);
    expect(caps[1]?.rops).toContain('RopFindRow');
  });

  it('ROP builders reproduce the section 4 request bytes and the parsers read the responses', () => {
    const c = byName('ROP vectors');
    expect(c.ok, c.error).toBe(true);
    const d = c.detail as { checked: number; vectors: Array<{ id: string; result: string }> };
    expect(d.checked).toBeGreaterThanOrEqual(45);
    expect(d.vectors.filter((v) => v.result === 'FAIL' || v.result === 'NOT CHECKED')).toEqual([]);
  });

  it('issue 6: MS-OXCMSG / MS-OXCPRPT 4.4 stream vectors, MS-OXCNOTIF notifications and the new ROPs', () => {
    const v = byName('issue 6 ROP vectors');
    expect(v.ok, v.error).toBe(true);
    const vd = v.detail as { checked: number; total: number; vectors: Array<{ id: string; result: string }> };
    expect(vd.total).toBeGreaterThanOrEqual(22);
    expect(vd.checked).toBe(vd.total);
    expect(vd.vectors.filter((x) => x.result === 'FAIL' || x.result === 'NOT CHECKED')).toEqual([]);
    expect(vd.vectors.filter((x) => x.id.startsWith('ms-oxcmsg-')).length).toBeGreaterThanOrEqual(16);
    const n = byName('issue 6 RopNotify');
    expect(n.ok, n.error).toBe(true);
    const nd = n.detail as { parsed: number; reencoded: number; types: string[] };
    expect(nd.parsed).toBeGreaterThanOrEqual(18);
    expect(nd.reencoded).toBe(nd.parsed);
    expect(nd.types).toEqual(
      expect.arrayContaining(['NewMail', 'ObjectCreated', 'ObjectDeleted', 'ObjectModified', 'ObjectMoved', 'ObjectCopied', 'TableModified']),
    );
    const rt = byName('issue 6 message, attachment');
    expect(rt.ok, rt.error).toBe(true);
    expect((rt.detail as { requests: number }).requests).toBeGreaterThanOrEqual(25);
  });

  it('restrictions, extended buffers, NDR stubs and the RopBufferTooSmall / chain logic', () => {
    for (const p of ['restrictions', 'extended buffers', 'NDR stubs', 'EcDoRpcExt2 chains', 'builders decode', 'property values']) {
      const c = byName(p);
      expect(c.ok, `${p}: ${c.error}`).toBe(true);
    }
  });
});

// The Outlook-like start against the whole server (endpoint mapper, NTLM at PKT_PRIVACY, compression and XOR on).
// Here the contents-table steps run on the (empty) Inbox; the 10,000-message run with sort, restrict, categories,
// bookmarks and FindRow needs a folder pre-filled through the store (--folder NAME) and is the acceptance test's.
interface Step {
  name: string;
  ok: boolean;
  error?: string;
}
interface StartRun {
  ok: boolean;
  steps: Step[];
  connect?: { ErrorCode: number; serverVersion: string; bestVersion: string };
  logon?: { FolderIds: Record<string, string>; ReplId: number };
  store?: Record<string, Record<string, unknown>>;
  hierarchy?: Array<{ FolderId: string; DisplayName: string; depth: number }>;
  receiveFolders?: Record<string, { ReturnValue: string; FolderId: string | null }>;
  disconnect?: { ErrorCode: number; cxh: string };
  opnums?: Record<string, { fault?: string; answer?: string } | number>;
  folders?: { wide?: { created: number; listed: number; sorted: boolean }; copy?: { found: number; children?: unknown[] } };
  heldBeforeDisconnect?: string[];
  bad?: Record<string, { ReturnValue?: string; next?: string; [k: string]: unknown } | boolean>;
  connectChecks?: Record<string, { ErrorCode?: number | string; fault?: string; bestVersion?: string } | boolean>;
  stats?: { compressed_out: number; xor_out: number; calls: number; violations: string[]; ext_flags_seen: number[] };
}

const USER_DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';

describe('EMSMDB test client against the server', () => {
  let ts: TestServer;
  let run: StartRun;
  beforeAll(async () => {
    ts = await startTestServer();
    run = await runPythonJson<StartRun>(
      'emsmdb/outlook_start.py',
      ['--host', '127.0.0.1', '--epm-port', String(ts.server.ports.epm ?? ts.server.ports.rpc), '-u', 'alice', '-p', PASSWORD,
        '-d', 'TEST', '--dn', USER_DN, '--probe-opnums', '--connect-checks', '--folder', 'Inbox', '--wide', '300', ...(process.env.OCNG_EMSMDB_ARGS ?? '').split(' ').filter(Boolean)],
      120_000,
    );
    // OCNG_EMSMDB_DUMP=/path/run.json keeps the whole JSON document of the run for inspection
    if (process.env.OCNG_EMSMDB_DUMP) writeFileSync(process.env.OCNG_EMSMDB_DUMP, JSON.stringify(run, null, 1));
  }, 150_000);
  afterAll(async () => ts?.close());

  const step = (n: string): Step | undefined => run.steps.find((s) => s.name === n);

  it('finds EMSMDB through the endpoint mapper and connects at PKT_PRIVACY', () => {
    expect(step('epm')?.ok, step('epm')?.error).toBe(true);
    expect(step('connect')?.ok, step('connect')?.error).toBe(true);
    expect(run.connect?.ErrorCode).toBe(0);
    expect(step('async')?.ok, step('async')?.error).toBe(true);
    expect(step('disconnect')?.ok, step('disconnect')?.error).toBe(true);
    expect(run.disconnect).toEqual({ ErrorCode: 0, cxh: '00'.repeat(20) });
    // every EcDoRpcExt2 answer honoured pulFlags, pcbOut and the 32 KB payload limit
    expect(run.stats?.violations).toEqual([]);
  });

  it('EcDoConnectEx: another user\'s DN is refused, Outlook 2007-2013 accepted, AUX size limits enforced', () => {
    expect(step('connectChecks')?.ok, step('connectChecks')?.error).toBe(true);
    const c = run.connectChecks ?? {};
    const get = (k: string) => c[k] as { ErrorCode?: number | string; fault?: string; bestVersion?: string };
    expect(get('otherUsersDn').ErrorCode).not.toBe(0);
    expect(get('outlook2007')).toMatchObject({ ErrorCode: 0, bestVersion: '12.0.6206.1000' });
    expect(get('outlook2013')).toMatchObject({ ErrorCode: 0, bestVersion: '15.0.4420.1017' });
    expect(get('tooOld').ErrorCode).not.toBe(0);
    expect(get('cbAuxIn5').ErrorCode).toBe('0x80040115'); // ecRpcFailed for cbAuxIn 1..7
    expect(get('pcbAuxOutTooBig').fault).toMatch(/bad_stub_data|0x6f7/i);
    expect(get('auxInTooBig').fault).toMatch(/bad_stub_data|0x6f7/i);
    expect(c.sessionAlive).toBe(true);
  });

  it('with NoCompression|NoXorMagic in pulFlags the answers come plain', async () => {
    const plain = await runPythonJson<StartRun>(
      'emsmdb/outlook_start.py',
      ['--host', '127.0.0.1', '--port', String(ts.server.ports.rpc), '-u', 'alice', '-p', PASSWORD, '-d', 'TEST',
        '--dn', USER_DN, '--no-compress', '--no-xor', '--steps', 'store,disconnect'],
      120_000,
    );
    expect(plain.steps.find((s) => s.name === 'connect')?.ok).toBe(true);
    expect(plain.stats?.calls).toBeGreaterThan(0);
    expect(plain.stats?.violations).toEqual([]);
    expect((plain.stats?.ext_flags_seen ?? []).every((f) => (f & 0x3) === 0)).toBe(true);
  });

  it('reserved opnums fault and the association survives (EcDummyRpc after them)', () => {
    expect(step('opnums')?.ok, step('opnums')?.error).toBe(true);
    for (const op of ['0', '2', '3', '5', '7', '8', '9', '12', '13']) {
      expect((run.opnums?.[op] as { fault?: string }).fault, `opnum ${op}`).toMatch(/nca_s_op_rng_error|fault/);
    }
    expect(run.opnums?.dummyAfter).toBe(0);
  });

  it('logs on to the private mailbox and reads the special folders', () => {
    expect(step('logon')?.ok, step('logon')?.error).toBe(true);
    expect(Object.keys(run.logon?.FolderIds ?? {})).toHaveLength(13);
    expect(step('store')?.ok, step('store')?.error).toBe(true);
    expect(step('receive')?.ok, step('receive')?.error).toBe(true);
    expect(run.receiveFolders?.['']?.FolderId).toBe(run.logon?.FolderIds.Inbox);
    expect(run.receiveFolders?.IPC?.FolderId).toBe(run.logon?.FolderIds.Root);
  });

  it('walks the hierarchy and runs the folder and named-property round trips', () => {
    for (const n of ['hierarchy', 'folders', 'contents', 'messages', 'named', 'cleanup', 'bad']) {
      expect(step(n)?.ok, `${n}: ${step(n)?.error}`).toBe(true);
    }
    const names = (run.hierarchy ?? []).map((f) => f.DisplayName);
    for (const n of ['Top of Information Store', 'Inbox', 'Calendar', 'Contacts']) expect(names).toContain(n);
    expect(run.disconnect?.ErrorCode).toBe(0);
    expect(run.stats?.compressed_out).toBeGreaterThan(0);
    // 300 subfolders: one QueryRows(4096) cannot carry them in 32 KB, the client reads on until BOOKMARK_END
    expect(run.folders?.wide).toEqual({ created: 300, listed: 300, sorted: true, stats: expect.anything() });
    expect(run.folders?.copy?.found).toBe(1);
    expect(run.heldBeforeDisconnect).toEqual(['Inbox', 'IpmSubtree', 'Root', 'logon']);
    expect(run.folders?.copy?.children).toHaveLength(301);
  });

  it('bad handle indexes and wrong object types get an ec value and the next ROP still runs', () => {
    const bad = run.bad ?? {};
    for (const k of ['handleIndexOutOfRange', 'emptySlot', 'releasedHandle']) {
      const r = bad[k] as { ReturnValue: string; next: string };
      expect(r.ReturnValue, k).not.toBe('0x00000000');
      expect(r.next, k).toBe('0x00000000');
    }
    const w = bad.wrongObjectType as { QueryRowsOnFolder: string; GetContentsTableOnLogon: string; next: string };
    expect(w.QueryRowsOnFolder).not.toBe('0x00000000');
    expect(w.GetContentsTableOnLogon).not.toBe('0x00000000');
    expect(w.next).toBe('0x00000000');
    expect(bad.sessionAlive).toBe(true);
  });
});
