// tshark (Wireshark 4.0 dissectors) judges the bytes of the address book sessions: NSPI and RFR traffic of impacket
// and Samba against the server is recorded from the ocng:dcerpc:pdu channel (PcapRecorder) and dissected with NTLMSSP
// decryption; no packet may be malformed or carry an expert warning, and the nspi and rfr dissectors must have
// dissected the calls (requests and responses, decrypted where sealed).
//
// What Wireshark 4.0 can judge shapes what is recorded (test/interop/nspi.test.ts covers everything else with
// impacket, exchanger.py and Samba as the judges):
// - its nspi dissector is generated from OpenChange's 2006 nspi.idl (epan/dissectors/pidl/nspi/nspi.idl): only
//   NspiBind (0), NspiUnbind (1), NspiQueryRows (3), NspiGetMatches (5), NspiDNToMId ("NspiDNToEph", 7),
//   NspiGetProps (9) and NspiGetSpecialTable ("NspiGetHierarchyInfo", 12) have parameters there; the other opnums
//   are declared `void NspiX()`, so every byte of their stubs is a "Long frame" warning whoever sends them (checked:
//   impacket's NspiUpdateStat, NspiSeekEntries, NspiGetPropList, NspiResolveNamesW ... all show it);
// - it declares PT_MV_UNICODE values as an array of uint32 (MV_UNICODE_STRUCT) instead of pointers to strings, so a
//   row with one (PR_EMS_AB_PROXY_ADDRESSES_W, PR_EMS_AB_NETWORK_ADDRESS_W, PR_EMS_AB_MEMBER_W) leaves the strings
//   unread and is Malformed from there on; impacket and Samba's parse of the same bytes (impacket's classes) read them;
// - it declares NspiQueryRows's pPropTags [ref] (MS-OXNSPI: [unique]), so a NULL pPropTags (the default columns) is
//   Malformed; its restriction union knows AND and PROPERTY only;
// - impacket 0.10 sends NspiGetSpecialTable's and hNspiGetProps's pStat as [unique] pointers (4 or 8 bytes more than
//   MS-OXNSPI's [ref] form, which the server also accepts): "Long frame" in Wireshark, so the spec's form is used;
// - NTLMSSP decryption (see tshark.test.ts): an SPNEGO connection loses its RC4 state after the first sealed PDU, so
//   Samba's sealed SPNEGO session makes one call (NspiBind), its full session is recorded signed; impacket's sealed
//   requests are not decrypted (its sealed sessions are recorded for our sealed responses, which are), so impacket
//   is also recorded at PKT_INTEGRITY, where every call is readable. (Samba's sealed raw NTLM, auth type 10, cannot
//   be used: Samba 4.17 resends its AUTHENTICATE token in the alter_context of the raw NSPI context on an
//   established connection, which Samba's own server refuses like ours.)
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapRecorder } from '../../src/dcerpc/pcap.js';
import { serverDn } from '../../src/mapi/dn.js';
import { PASSWORD, runPythonJson } from '../helpers/full-server.js';
import { LOGON, startNspServer, type NspServer } from '../helpers/nsp-dataset.js';

let ns: NspServer;
let dir: string;
let pcap: string;
let port: number;
const results: Array<{ what: string; ok?: boolean; error?: string; [k: string]: unknown }> = [];

function tshark(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'tshark',
      ['-n', '-r', pcap, '-o', `ntlmssp.nt_password:${PASSWORD}`, '-d', `tcp.port==${port},dcerpc`, ...args],
      { maxBuffer: 256 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`tshark failed: ${stderr}`)) : resolve(String(stdout))),
    );
  });
}
const frames = async (filter: string) => (await tshark(['-Y', filter, '-T', 'fields', '-e', 'frame.number'])).trim().split('\n').filter(Boolean).length;

const ORG = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)';

beforeAll(async () => {
  ns = await startNspServer('builtin');
  port = ns.ts.server.ports.rpc;
  dir = mkdtempSync(path.join(tmpdir(), 'ocng-nspi-pcap-'));
  pcap = path.join(dir, 'nspi.pcap');
  const spec = path.join(dir, 'wire.json');
  const srv = serverDn(ns.ts.config.server);
  writeFileSync(
    spec,
    JSON.stringify({
      page: 100,
      // single-valued properties only (see the header)
      columns: [0x3001001f, 0x39fe001f, 0x3003001f, 0x0ff60102, 0x0fff0102, 0x39000003, 0x3a17001f, 0x3a16001f],
      dns: [`${ORG}/cn=Recipients/cn=zoe`, `${ORG}/cn=Recipients/cn=lilei`, `${ORG}/cn=Recipients/cn=team-1`, srv, '/o=Nowhere/cn=x'],
      anr: ['kierkeg', 'Zoë Å'],
      props: [0x3001001f, 0x3001001e, 0x39fe001f, 0x3003001f, 0x8006001f, 0x3a17001f, 0x3a19001f, 0x39000003, 0x0ffe0003, 0x0fff0102, 0x8c6d0102, 0x3004001f],
    }),
  );
  const p = String(port);
  const rec = new PcapRecorder(pcap);
  try {
    for (const level of ['5', '6']) {
      results.push({ ...(await runPythonJson('impacket_nspi.py', ['wire', '--port', p, '--level', level, '-u', LOGON, '-p', PASSWORD, '--spec', spec])), what: `impacket wire ${level}` });
    }
    results.push({ ...(await runPythonJson('samba_nspi.py', [`ncacn_ip_tcp:127.0.0.1[${p},sign]`, LOGON, PASSWORD, 'all'])), what: 'samba sign' });
    results.push({ ...(await runPythonJson('samba_nspi.py', [`ncacn_ip_tcp:127.0.0.1[${p},seal]`, LOGON, PASSWORD, 'bind'])), what: 'samba seal' });
    for (const level of ['2', '5', '6']) {
      results.push({
        ...(await runPythonJson('impacket_rfr.py', ['--port', p, '--level', level, '-u', LOGON, '-p', PASSWORD, '--user-dn', `${ORG}/cn=Recipients/cn=${LOGON}`, '--dn', srv, '--dn', `${ORG}/cn=Configuration/cn=Servers/cn=EXCH02`])),
        what: `impacket rfr ${level}`,
      });
    }
  } finally {
    rec.close();
  }
}, 240_000);

afterAll(async () => {
  await ns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tshark dissects the recorded NSPI and RFR sessions', () => {
  it('every recorded session ran (impacket NSPI at PKT_INTEGRITY and PKT_PRIVACY, Samba signed and sealed, impacket RFR)', () => {
    for (const r of results) expect(r.error, r.what).toBeUndefined();
    for (const r of results) expect(r.ok, r.what).toBe(true);
    const wire = results[0] as unknown as { gal: unknown[]; anr: Record<string, { mids: number[] }>; and: { mids: number[] }; unbind: number };
    expect(wire.gal).toHaveLength(526);
    expect(wire.anr['kierkeg']?.mids).toHaveLength(50);
    expect(wire.and.mids).toEqual(wire.anr['kierkeg']?.mids); // AND(ANR, DT_MAILUSER): the same users
    expect(wire.unbind).toBe(1);
    expect((results[2] as unknown as { pages: Array<{ rows: unknown[] }> }).pages.flatMap((x) => x.rows)).toHaveLength(526);
  });

  it('finds no malformed packet and no expert warning', async () => {
    const out = await tshark(['-Y', '_ws.malformed || _ws.expert.severity >= "Warning"']);
    expect(out).toBe('');
  });

  it('the nspi dissector dissected every call, both ways (requests and responses per opnum)', async () => {
    // per opnum: impacket at two levels, plus Samba's signed session (bind, special table, 6 pages, unbind) and
    // Samba's sealed NspiBind
    const expected: Record<number, number> = { 0: 2 + 2, 1: 2 + 1, 3: 2 * (6 + 2) + 6, 5: 2 * 3, 7: 2, 9: 2 * 4, 12: 2 + 1 };
    for (const [opnum, n] of Object.entries(expected)) {
      expect(await frames(`nspi.opnum == ${opnum} && dcerpc.pkt_type == 0`), `opnum ${opnum} requests`).toBe(n);
      expect(await frames(`nspi.opnum == ${opnum} && dcerpc.pkt_type == 2`), `opnum ${opnum} responses`).toBe(n);
    }
    expect(await frames('nspi && !(nspi.opnum in {0, 1, 3, 5, 7, 9, 12})')).toBe(0);
  });

  it('the values it read are the directory\'s, in sealed responses too (decrypted with the password)', async () => {
    const sealedNames = await tshark(['-Y', 'nspi.opnum == 3 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 6', '-T', 'fields', '-e', 'nspi.SPropValue_CTR.lpszW']);
    expect(sealedNames).toContain('Zoë Ångström');
    expect(sealedNames).toContain('李雷');
    expect(sealedNames).toContain('zoe@example.test');
    const rows = (await tshark(['-Y', 'nspi.opnum == 3 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 6', '-T', 'fields', '-e', 'nspi.SRowSet.cRows'])).trim().split('\n');
    // the sealed session's rows: the GAL (526), All Users' first 20, the explicit table of the 4 DNs that resolve
    expect(rows.map(Number).reduce((a, b) => a + b, 0)).toBe(526 + 20 + 4);
  });

  it('the rfr dissector read RfrGetNewDSA and RfrGetFQDNFromServerDN, the FQDN in the sealed replies too', async () => {
    expect(await frames('rfr.opnum == 0 && dcerpc.pkt_type == 0')).toBe(3);
    expect(await frames('rfr.opnum == 0 && dcerpc.pkt_type == 2')).toBe(3);
    expect(await frames('rfr.opnum == 1 && dcerpc.pkt_type == 0')).toBe(6);
    expect(await frames('rfr.opnum == 1 && dcerpc.pkt_type == 2')).toBe(6);
    const fqdn = await tshark(['-Y', 'rfr.opnum == 1 && dcerpc.pkt_type == 2 && dcerpc.auth_level == 6', '-T', 'fields', '-e', 'rfr.RfrGetFQDNFromLegacyDN.ppszServerFQDN', '-e', 'rfr.MAPISTATUS_status']);
    expect(fqdn).toContain('exch01.test.local');
    const dsa = await tshark(['-Y', 'rfr.opnum == 0 && dcerpc.pkt_type == 2', '-T', 'fields', '-e', 'rfr.RfrGetNewDSA.ppszServer']);
    expect(dsa.trim().split('\n')).toEqual(['exch01.test.local', 'exch01.test.local', 'exch01.test.local']);
  });
});
