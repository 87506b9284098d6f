// Judge: impacket's NTLM client (getNTLMSSPType1/Type3, SEAL, SIGN) against our NTLM server, raw NTLMSSP as
// DCE/RPC auth_type 10 carries it. Messages go both ways, several in a row, so sequence numbers and RC4 state
// must stay in step.
import { afterEach, describe, expect, it } from 'vitest';
import { createNtlmServer, type AuthStep, type ServerAuthenticator } from '../../src/auth/index.js';
import * as C from '../../src/auth/ntlm/constants.js';
import { IDENTITY, lookup } from './helpers/ntlm-client.js';
import { PyPeer, pythonHas } from './helpers/py-peer.js';

const available = await pythonHas('impacket.ntlm');

type Tok = { token: string; flags: number };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function server(allowNtlmV1 = false): ServerAuthenticator {
  return createNtlmServer({ identity: IDENTITY, lookup, policy: { allowNtlmV1, maxClockSkewSeconds: 300 } });
}

/** A DCE/RPC-shaped message: 24-byte "header", body, 8-byte "trailer"; the body is what gets sealed. */
function pdu(i: number, body: Buffer): { message: Buffer; offset: number; length: number } {
  const head = Buffer.alloc(24, 0x05 + i);
  const tail = Buffer.alloc(8, 0xa0 + i);
  return { message: Buffer.concat([head, body, tail]), offset: 24, length: body.length };
}

describe('impacket NTLM client against our NTLM server', () => {
  // The judge must be present (scripts/test.sh installs it): a missing judge is a failure, never a skip.
  it('has its independent judge installed', () => expect(available).toBe(true));

  let py: PyPeer | null = null;
  afterEach(() => py?.close());

  async function logon(opts: { v2?: boolean; sign?: boolean; user?: string; password?: string; allowV1?: boolean }) {
    py = new PyPeer('ntlm_client.py');
    const srv = server(opts.allowV1 ?? false);
    const t1 = await py.call<Tok>({ op: 'negotiate', v2: opts.v2 ?? true, sign: opts.sign ?? true });
    const ch = await srv.accept(Buffer.from(t1.token, 'hex'));
    expect(ch.done).toBe(false);
    const t3 = await py.call<Tok>({
      op: 'authenticate',
      challenge: hex(ch.token as Buffer),
      user: opts.user ?? 'alice',
      password: opts.password ?? 'Passw0rd!',
      domain: 'TEST',
    });
    return { srv, t3, accept: () => srv.accept(Buffer.from(t3.token, 'hex')) };
  }

  async function exchange(r: AuthStep, rounds: number): Promise<void> {
    if (!r.done || !py) throw new Error('not authenticated');
    const sec = r.security;
    for (let i = 0; i < rounds; i++) {
      // client -> server: sealed by impacket, unsealed and verified by us
      const body = Buffer.from(`request ${i} from impacket `.repeat(i + 1));
      const p = pdu(i, body);
      const sealed = await py.call<{ message: string; signature: string }>({
        op: 'seal', message: hex(p.message), offset: p.offset, length: p.length,
      });
      const msg = Buffer.from(sealed.message, 'hex');
      expect(msg.subarray(p.offset, p.offset + p.length).equals(body)).toBe(false);
      sec.unseal(msg.subarray(p.offset, p.offset + p.length), msg, Buffer.from(sealed.signature, 'hex'));
      expect(msg.equals(p.message)).toBe(true);
      // server -> client: sealed by us, unsealed and verified by impacket
      const reply = pdu(i, Buffer.from(`response ${i} from ocng `.repeat(2 * i + 1)));
      const out = Buffer.from(reply.message);
      const sig = sec.seal(out.subarray(reply.offset, reply.offset + reply.length), out);
      const un = await py.call<{ ok: boolean; message: string }>({
        op: 'unseal', message: hex(out), offset: reply.offset, length: reply.length, signature: hex(sig),
      });
      expect(un.ok).toBe(true);
      expect(un.message).toBe(hex(reply.message));
      // and a signed-only message each way
      const signedIn = Buffer.from(`signed ${i}`);
      const s1 = await py.call<{ signature: string }>({ op: 'sign', message: hex(signedIn) });
      sec.verify(signedIn, Buffer.from(s1.signature, 'hex'));
      const signedOut = Buffer.from(`signed reply ${i}`);
      const v = await py.call<{ ok: boolean }>({ op: 'verify', message: hex(signedOut), signature: hex(sec.sign(signedOut)) });
      expect(v.ok).toBe(true);
    }
  }

  it('NTLMv2 with ESS, KEY_EXCH, SIGN and SEAL: logon, then 5 sealed and signed messages each way', async () => {
    const { t3, accept } = await logon({});
    expect(t3.flags & C.NTLMSSP_NEGOTIATE_KEY_EXCH).toBeTruthy();
    const r = await accept();
    if (!r.done) throw new Error('not done');
    expect(r.token).toBeNull();
    expect(r.user).toEqual({ username: 'alice', domain: 'TEST', workstation: 'WS-IMPACKET' });
    expect(r.security.signatureSize).toBe(16);
    expect(r.security.flags & C.NTLMSSP_NEGOTIATE_SEAL).toBeTruthy();
    await exchange(r, 5);
  });

  it('NTLMv1 with extended session security (ntlm.USE_NTLMv2 = False) when policy allows it', async () => {
    const { t3, accept } = await logon({ v2: false, allowV1: true });
    expect(t3.flags & C.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY).toBeTruthy();
    const r = await accept();
    await exchange(r, 4);
  });

  it('NTLMv1 with ESS is refused when policy forbids NTLMv1', async () => {
    const { accept } = await logon({ v2: false, allowV1: false });
    await expect(accept()).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('NTLMv2 without signing: authenticated, but the context refuses to sign', async () => {
    const { t3, accept } = await logon({ sign: false });
    expect(t3.flags & (C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL)).toBe(0);
    const r = await accept();
    if (!r.done) throw new Error('not done');
    expect(() => r.security.sign(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'OC_AUTH_STATE' }));
  });

  it('a wrong password and an unknown user fail alike', async () => {
    const wrong = await logon({ password: 'nope' });
    const e1 = await wrong.accept().catch((e: unknown) => e);
    py?.close();
    const unknown = await logon({ user: 'mallory', password: 'Passw0rd!' });
    const e2 = await unknown.accept().catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    expect(e2).toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
    expect((e1 as Error).message).toBe((e2 as Error).message);
  });

  it('a tampered sealed message from impacket is rejected', async () => {
    const { accept } = await logon({});
    const r = await accept();
    if (!r.done || !py) throw new Error('not done');
    const p = pdu(0, Buffer.from('tamper me'));
    const sealed = await py.call<{ message: string; signature: string }>({
      op: 'seal', message: hex(p.message), offset: p.offset, length: p.length,
    });
    const msg = Buffer.from(sealed.message, 'hex');
    msg[2] = (msg[2] as number) ^ 1; // a header byte: covered by the signature, not encrypted
    expect(() => r.security.unseal(msg.subarray(p.offset, p.offset + p.length), msg, Buffer.from(sealed.signature, 'hex')))
      .toThrow(expect.objectContaining({ code: 'OC_AUTH_BAD_SIGNATURE' }));
  });
});
