// The legs of authentication as Windows may send them: raw NTLMSSP (auth type 10) finished in an alter_context
// instead of auth3 (shared/reference/interfaces.md §4; the Windows capture does the same with SPNEGO), then a
// sealed call on the new context; a second context without multiplexing is refused.
import { describe, expect, it } from 'vitest';
import { createNtlmClient, createNtlmServer } from '../../src/auth/index.js';
import { buildBind, NDR20, syntax } from '../../src/dcerpc/client-pdus.js';
import { AUTHN, FAULT, PTYPE } from '../../src/dcerpc/constants.js';
import { defineInterface, op } from '../../src/dcerpc/interface.js';
import { encodeFragments, forEachPdu, unprotectFragment } from '../../src/dcerpc/protection.js';
import { parsePdu, type BindAckPdu, type FaultPdu, type ResponsePdu } from '../../src/dcerpc/pdu.js';
import { IDENTITY, lookup } from '../auth/helpers/ntlm-client.js';
import { connect, exchange, makeServer } from '../helpers/rpc-harness.js';

const TEST = { uuid: '7c6f7a30-1d2e-4b3c-9a8b-5e4d3c2b1a09', major: 1, minor: 0 };
const ctxElem = (id: number) => ({ p_cont_id: id, abstract_syntax: syntax(TEST.uuid, 1), transfer_syntaxes: [NDR20] });

function server() {
  const s = makeServer({
    authenticators: (t) =>
      t === AUTHN.RPC_C_AUTHN_WINNT ? createNtlmServer({ identity: IDENTITY, lookup, policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 } }) : null,
  });
  s.registry.register(
    defineInterface({
      name: 'whoami',
      uuid: TEST.uuid,
      version: { major: 1, minor: 0 },
      ops: {
        0: op({
          name: 'whoami',
          request: { decode: () => null, encode: () => Buffer.alloc(0) },
          response: { decode: (b) => Buffer.from(b).toString(), encode: (v: string) => Buffer.from(v) },
          handle: (_r, call) => `${call.user?.username}@${call.authLevel}`,
        }),
      },
      minAuthLevel: 6,
    }),
  );
  return s;
}

describe('authentication legs', () => {
  it('raw NTLM finished in alter_context, then a sealed call', async () => {
    const s = server();
    const { conn, t } = connect(s);
    const client = createNtlmClient({ username: 'alice', password: 'Passw0rd!', domain: 'TEST', seal: true });
    const neg = await client.step(null);
    const [ack] = (await exchange(conn, t, buildBind({ callId: 1, contexts: [ctxElem(0)], auth: { type: 10, level: 6, token: neg.token! } }))) as BindAckPdu[];
    expect(ack!.kind).toBe('bind_ack');
    const auth = await client.step(ack!.auth!.auth_value);
    expect(auth.done).toBe(true);
    const [resp] = (await exchange(conn, t, buildBind({ callId: 2, alter: true, contexts: [ctxElem(0)], auth: { type: 10, level: 6, token: auth.token! } }))) as BindAckPdu[];
    expect(resp!.kind).toBe('alter_context_resp');
    expect(resp!.auth).toBeNull(); // NTLM has nothing more to say
    const prot = { type: 10, level: 6, contextId: 0, security: client.security! };
    const pdus: Buffer[] = [];
    forEachPdu(encodeFragments({ ptype: PTYPE.request, callId: 3, pContId: 0, opnum: 0, maxXmit: 5840 }, Buffer.alloc(0), prot), (p) => pdus.push(p));
    const [r] = (await exchange(conn, t, ...pdus)) as ResponsePdu[];
    expect(r!.kind).toBe('response');
    const p = parsePdu(Buffer.from(r!.raw)) as ResponsePdu;
    unprotectFragment(prot, p.raw, p.stubOffset, p.auth!);
    expect(p.stub.toString()).toBe('alice@6');
  });

  it('refuses a second security context when multiplexing was not negotiated', async () => {
    const s = server();
    const { conn, t } = connect(s);
    const a = createNtlmClient({ username: 'alice', password: 'Passw0rd!', domain: 'TEST', seal: true });
    await exchange(conn, t, buildBind({ callId: 1, contexts: [ctxElem(0)], auth: { type: 10, level: 6, token: (await a.step(null)).token! } }));
    const b = createNtlmClient({ username: 'alice', password: 'Passw0rd!', domain: 'TEST', seal: true });
    const [f] = (await exchange(
      conn,
      t,
      buildBind({ callId: 2, alter: true, contexts: [ctxElem(1)], auth: { type: 10, level: 6, contextId: 7, token: (await b.step(null)).token! } }),
    )) as FaultPdu[];
    expect(f).toMatchObject({ kind: 'fault', status: FAULT.nca_s_fault_access_denied });
    expect(t.closed).toBe(true);
  });
});
