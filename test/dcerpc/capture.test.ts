// The real Windows bind from fixtures/captures: our bind_ack must give the same per-context results.
import { describe, expect, it } from 'vitest';
import { readPcapngTcp } from '../helpers/pcapng.js';
import { connect, exchange, makeServer } from '../helpers/rpc-harness.js';
import { parsePdu, encodeBindAckBody, type BindAckPdu, type BindPdu } from '../../src/dcerpc/pdu.js';
import { defineInterface } from '../../src/dcerpc/interface.js';
import { AUTHN } from '../../src/dcerpc/constants.js';
import { createSpnegoServer } from '../../src/auth/index.js';

const CAPTURE = 'fixtures/captures/windows_dcerpc_bind_ndr64_btfn_ntlm_altctx.pcapng';
const segs = readPcapngTcp(CAPTURE).filter((s) => s.payload.length > 0);
const windowsBind = parsePdu(segs[0]!.payload) as BindPdu;
const windowsAck = parsePdu(segs[1]!.payload) as BindAckPdu;

describe('Windows bind capture (NDR 2.0 + NDR64 + bind-time feature negotiation, SPNEGO)', () => {
  it('parses the captured bind and bind_ack', () => {
    expect(windowsBind.kind).toBe('bind');
    expect(windowsBind.p_context_elem.map((e) => e.transfer_syntaxes[0]!.uuid)).toEqual([
      '8a885d04-1ceb-11c9-9fe8-08002b104860',
      '71710533-beba-4937-8319-b5dbef9ccc36',
      '6cb71c2c-9812-4540-0300-000000000000',
    ]);
    expect(windowsBind.auth?.auth_type).toBe(AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE);
    expect(windowsAck.kind).toBe('bind_ack');
    expect(windowsAck.sec_addr).toBe('58772');
  });

  it('our bind_ack encoder reproduces the Windows bind_ack body byte for byte', () => {
    const body = encodeBindAckBody({
      max_xmit_frag: windowsAck.max_xmit_frag,
      max_recv_frag: windowsAck.max_recv_frag,
      assoc_group_id: windowsAck.assoc_group_id,
      sec_addr: windowsAck.sec_addr,
      p_result_list: windowsAck.p_result_list,
    });
    const raw = segs[1]!.payload;
    expect(body.toString('hex')).toBe(raw.subarray(16, windowsAck.auth!.trailerOffset).toString('hex'));
  });

  it('answers the three-context bind with the same per-context results as Windows', async () => {
    const server = makeServer({
      authenticators: (type) =>
        type === AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE
          ? createSpnegoServer({
              identity: { netbiosName: 'EXCH01', netbiosDomain: 'TEST', dnsHostName: 'exch01.test.local', dnsDomainName: 'test.local' },
              lookup: async () => null,
              policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 },
            })
          : null,
    });
    // The capture binds IRemUnknown2 (00000143-0000-0000-c000-000000000046 v0.0): register a stand-in.
    server.registry.register(defineInterface({ name: 'IRemUnknown2', uuid: '00000143-0000-0000-c000-000000000046', version: { major: 0, minor: 0 }, ops: {} }));
    const { conn, t } = connect(server);
    const [ack] = await exchange(conn, t, segs[0]!.payload);
    expect(ack?.kind).toBe('bind_ack');
    const ours = ack as BindAckPdu;
    expect(ours.p_result_list.map((r) => [r.result, r.reason, r.transfer_syntax])).toEqual(
      windowsAck.p_result_list.map((r) => [r.result, r.reason, r.transfer_syntax]),
    );
    expect(ours.max_xmit_frag).toBe(windowsAck.max_xmit_frag);
    expect(ours.max_recv_frag).toBe(windowsAck.max_recv_frag);
    expect(ours.header.pfc_flags).toBe(windowsAck.header.pfc_flags);
    // SPNEGO answer: NTLM chosen instead of the optimistic Kerberos token (as the Windows server did)
    expect(ours.auth?.auth_type).toBe(AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE);
    expect(ours.auth!.auth_value.toString('hex')).toContain('2b0601040182370202' + '0a');
  });
});
