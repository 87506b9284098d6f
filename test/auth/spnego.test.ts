// DER codec, SPNEGO token codec (fixture: a Samba 4.17 exchange) and the SPNEGO acceptor's flows with the
// reference NTLM client: optimistic NTLM, mechListMIC present / late / absent, downgrade, raw NTLM fallback.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSpnegoServer, type AuthStep, type NtlmServerOptions } from '../../src/auth/index.js';
import * as C from '../../src/auth/ntlm/constants.js';
import {
  children,
  decodeOid,
  encodeOid,
  encodeTlv,
  readOne,
  readTlv,
  TAG_SEQUENCE,
} from '../../src/auth/spnego/der.js';
import {
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NegState,
  OID_NTLMSSP,
  type NegTokenResp,
} from '../../src/auth/spnego/tokens.js';
import type { NtlmSession } from '../../src/auth/ntlm/session.js';
import { CLIENT_FLAGS, IDENTITY, lookup, makeAuthenticate, makeNegotiate, type AuthResult } from './helpers/ntlm-client.js';

const OID_KRB5 = '1.2.840.113554.1.2.2';
const OID_MSKRB5 = '1.2.840.48018.1.2.2';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const opts: NtlmServerOptions = { identity: IDENTITY, lookup, policy: { allowNtlmV1: false, maxClockSkewSeconds: 300 } };

function resp(token: Buffer | null): NegTokenResp {
  if (!token) throw new Error('no token');
  const t = decodeNegotiationToken(token);
  if (t.kind !== 'resp') throw new Error('expected NegTokenResp');
  return t.resp;
}

describe('DER', () => {
  it('encodes and decodes the NTLMSSP and SPNEGO OIDs', () => {
    expect(hex(encodeOid(OID_NTLMSSP))).toBe('060a2b06010401823702020a');
    expect(hex(encodeOid('1.3.6.1.5.5.2'))).toBe('06062b0601050502');
    expect(decodeOid(readOne(Buffer.from('06092a864886f712010202', 'hex')))).toBe(OID_KRB5);
    expect(decodeOid(readOne(encodeOid(OID_MSKRB5)))).toBe(OID_MSKRB5);
    expect(decodeOid(readOne(encodeOid('2.999.1')))).toBe('2.999.1');
  });

  it('reads short and long lengths; refuses indefinite, over-long, truncated, multi-byte tags, trailing bytes', () => {
    expect(readOne(Buffer.from('0403616263', 'hex')).value.toString()).toBe('abc');
    const long = encodeTlv(0x04, Buffer.alloc(300, 1));
    expect(hex(long.subarray(0, 4))).toBe('0482012c');
    expect(readOne(long).value).toHaveLength(300);
    expect(readOne(Buffer.from('04810161', 'hex')).value.toString()).toBe('a'); // non-minimal, tolerated
    for (const bad of ['0480', '048500000001', '0405616263', '1f0100', '040161ff', '04', '', '0482', '06020080']) {
      const b = Buffer.from(bad, 'hex');
      expect(() => (bad === '06020080' ? decodeOid(readOne(b)) : readOne(b)), bad).toThrow(
        expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }),
      );
    }
  });

  it('bounds nesting depth', () => {
    let t = encodeTlv(0x04, Buffer.from('x'));
    for (let i = 0; i < 12; i++) t = encodeTlv(TAG_SEQUENCE, t);
    let cur = readOne(t);
    expect(() => {
      for (let d = 0; ; d++) cur = children(cur, d)[0] as typeof cur;
    }).toThrow(expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }));
    expect(readTlv(t, 0).next).toBe(t.length);
  });
});

describe('SPNEGO tokens (fixture: Samba 4.17 exchange)', () => {
  const fx = JSON.parse(readFileSync(new URL('../../fixtures/auth/spnego-samba-4.17.json', import.meta.url), 'utf8'));
  const T = fx.tokens;
  const prefix = (b: Buffer | null) => (b ? hex(b.subarray(0, 12)) : null);

  it('decodes the client NegTokenInit and re-encodes it byte for byte', () => {
    const t = decodeNegotiationToken(Buffer.from(T.clientNegTokenInit.hex, 'hex'));
    if (t.kind !== 'init') throw new Error('not init');
    const j = T.clientNegTokenInit.json;
    expect(t.init.mechTypes).toEqual(j.mechTypes);
    expect(hex(t.init.mechTypesDer)).toBe(j.mechTypesDer);
    expect(hex(encodeMechTypeList(t.init.mechTypes))).toBe(j.mechTypesDer);
    expect(t.init.reqFlags).toBeNull();
    expect(t.init.mechListMIC).toBeNull();
    expect(prefix(t.init.mechToken)).toBe(j.mechTokenPrefix);
    expect(hex(encodeNegTokenInit({ mechTypes: t.init.mechTypes, mechToken: t.init.mechToken }))).toBe(T.clientNegTokenInit.hex);
  });

  for (const name of ['serverChallengeResp', 'clientAuthenticateResp', 'serverCompletedResp']) {
    it(`${name}: decode == json, encode == hex`, () => {
      const b = Buffer.from(T[name].hex, 'hex');
      const r = resp(b);
      const j = T[name].json;
      expect(r.negState).toBe(j.negState);
      expect(r.supportedMech).toBe(j.supportedMech);
      expect(prefix(r.responseToken)).toBe(j.responseTokenPrefix);
      expect(r.mechListMIC ? hex(r.mechListMIC) : null).toBe(j.mechListMIC);
      expect(hex(encodeNegTokenResp(r))).toBe(T[name].hex);
    });
  }

  it('refuses a GSS token of another mechanism, duplicate or unordered fields, a bad negState', () => {
    const krb = encodeTlv(0x60, Buffer.from('06092a864886f712010202', 'hex'), Buffer.from('0100', 'hex'));
    expect(() => decodeNegotiationToken(krb)).toThrow(expect.objectContaining({ code: 'OC_AUTH_UNSUPPORTED' }));
    const dup = encodeTlv(0xa1, encodeTlv(TAG_SEQUENCE, encodeTlv(0xa0, Buffer.from('0a0101', 'hex')), encodeTlv(0xa0, Buffer.from('0a0101', 'hex'))));
    expect(() => decodeNegotiationToken(dup)).toThrow(expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }));
    const st = encodeTlv(0xa1, encodeTlv(TAG_SEQUENCE, encodeTlv(0xa0, Buffer.from('0a0109', 'hex'))));
    expect(() => decodeNegotiationToken(st)).toThrow(expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }));
    const noMech = encodeTlv(0xa0, encodeTlv(TAG_SEQUENCE, encodeTlv(0xa2, Buffer.from('040100', 'hex'))));
    expect(() => decodeNegotiationToken(noMech)).toThrow(expect.objectContaining({ code: 'OC_AUTH_MALFORMED' }));
  });
});

/** Reference SPNEGO client on top of the reference NTLM client. */
async function start(mechTypes: string[], o: { optimistic?: boolean; negFlags?: number } = {}) {
  const srv = createSpnegoServer(opts);
  const negotiate = makeNegotiate(o.negFlags ?? CLIENT_FLAGS);
  const init = encodeNegTokenInit({ mechTypes, mechToken: o.optimistic === false ? null : negotiate });
  const mechTypesDer = encodeMechTypeList(mechTypes);
  const r1 = await srv.accept(init);
  return { srv, negotiate, r1, mechTypesDer };
}

function authenticate(negotiate: Buffer, challenge: Buffer, mic: boolean): AuthResult {
  return makeAuthenticate({ negotiate, challenge, user: 'alice', password: 'Passw0rd!', domain: 'TEST', mic });
}

function traffic(r: AuthStep, client: NtlmSession): void {
  if (!r.done) throw new Error('not done');
  for (let i = 0; i < 3; i++) {
    const m = Buffer.from(`request ${i}`);
    const sig = client.seal(m, m);
    r.security.unseal(m, m, sig);
    expect(m.toString()).toBe(`request ${i}`);
    const out = Buffer.from(`response ${i}`);
    const sig2 = r.security.seal(out, out);
    client.unseal(out, out, sig2);
    expect(out.toString()).toBe(`response ${i}`);
  }
}

describe('SPNEGO acceptor', () => {
  it('NTLM optimistic, NTLM MIC and mechListMIC: accept-completed with our mechListMIC, then traffic at seq 1', async () => {
    const { srv, negotiate, r1, mechTypesDer } = await start([OID_NTLMSSP]);
    const t1 = resp(r1.token);
    expect(t1).toMatchObject({ negState: NegState['accept-incomplete'], supportedMech: OID_NTLMSSP, mechListMIC: null });
    const a = authenticate(negotiate, t1.responseToken as Buffer, true);
    const mic = a.session.sign(mechTypesDer);
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: a.token, mechListMIC: mic }));
    expect(r2.done).toBe(true);
    const t2 = resp(r2.token);
    expect(t2.negState).toBe(NegState['accept-completed']);
    expect(t2.supportedMech).toBeNull();
    a.session.verify(mechTypesDer, t2.mechListMIC as Buffer);
    a.session.resetRc4();
    expect(a.session.sequence).toEqual({ send: 1, receive: 1 });
    traffic(r2, a.session);
    await expect(srv.accept(Buffer.from('a1023000', 'hex'))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
  });

  it('NTLM MIC but no mechListMIC yet: our mechListMIC with accept-incomplete, then the client\'s', async () => {
    const { srv, negotiate, r1, mechTypesDer } = await start([OID_NTLMSSP]);
    const a = authenticate(negotiate, resp(r1.token).responseToken as Buffer, true);
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: a.token }));
    expect(r2.done).toBe(false);
    const t2 = resp(r2.token);
    expect(t2.negState).toBe(NegState['accept-incomplete']);
    a.session.verify(mechTypesDer, t2.mechListMIC as Buffer);
    const r3 = await srv.accept(encodeNegTokenResp({ mechListMIC: a.session.sign(mechTypesDer) }));
    expect(r3.done).toBe(true);
    expect(resp(r3.token)).toMatchObject({ negState: 0, mechListMIC: null });
    a.session.resetRc4();
    traffic(r3, a.session);
  });

  it('the late mechListMIC must be there and must verify', async () => {
    const { srv, negotiate, r1 } = await start([OID_NTLMSSP]);
    const a = authenticate(negotiate, resp(r1.token).responseToken as Buffer, true);
    await srv.accept(encodeNegTokenResp({ responseToken: a.token }));
    await expect(srv.accept(encodeNegTokenResp({ negState: 1 }))).rejects.toMatchObject({ code: 'OC_AUTH_MIC_MISMATCH' });
  });

  it('older client: no NTLM MIC and no mechListMIC, accept-completed without one, traffic from seq 0', async () => {
    const { srv, negotiate, r1 } = await start([OID_NTLMSSP]);
    const a = authenticate(negotiate, resp(r1.token).responseToken as Buffer, false);
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: a.token }));
    expect(r2.done).toBe(true);
    expect(resp(r2.token)).toMatchObject({ negState: 0, mechListMIC: null });
    expect(a.session.sequence).toEqual({ send: 0, receive: 0 });
    traffic(r2, a.session);
  });

  it('a mechListMIC that does not verify is OC_AUTH_MIC_MISMATCH', async () => {
    const { srv, negotiate, r1, mechTypesDer } = await start([OID_NTLMSSP]);
    const a = authenticate(negotiate, resp(r1.token).responseToken as Buffer, true);
    const mic = a.session.sign(Buffer.concat([mechTypesDer, Buffer.from([0])]));
    await expect(srv.accept(encodeNegTokenResp({ responseToken: a.token, mechListMIC: mic }))).rejects.toMatchObject({
      code: 'OC_AUTH_MIC_MISMATCH',
    });
  });

  it('NTLM first but no optimistic token: supportedMech NTLM, the NEGOTIATE follows in a NegTokenResp', async () => {
    const { srv, negotiate, r1 } = await start([OID_NTLMSSP, OID_KRB5], { optimistic: false });
    expect(resp(r1.token)).toMatchObject({ negState: NegState['accept-incomplete'], supportedMech: OID_NTLMSSP, responseToken: null });
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: negotiate }));
    const t2 = resp(r2.token);
    expect(t2.supportedMech).toBeNull(); // MS-SPNG <10>
    const a = authenticate(negotiate, t2.responseToken as Buffer, false);
    const r3 = await srv.accept(encodeNegTokenResp({ responseToken: a.token }));
    expect(r3.done).toBe(true);
  });

  it('downgrade (Kerberos preferred): request-mic, and the mechListMIC becomes mandatory', async () => {
    const { srv, negotiate, r1, mechTypesDer } = await start([OID_MSKRB5, OID_KRB5, OID_NTLMSSP]);
    expect(resp(r1.token)).toMatchObject({ negState: NegState['request-mic'], supportedMech: OID_NTLMSSP, responseToken: null });
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: negotiate }));
    const a = authenticate(negotiate, resp(r2.token).responseToken as Buffer, false);
    // no NTLM MIC and no mechListMIC: we still insist, sending ours first
    const r3 = await srv.accept(encodeNegTokenResp({ responseToken: a.token }));
    expect(r3.done).toBe(false);
    a.session.verify(mechTypesDer, resp(r3.token).mechListMIC as Buffer);
    const r4 = await srv.accept(encodeNegTokenResp({ mechListMIC: a.session.sign(mechTypesDer) }));
    expect(r4.done).toBe(true);
    a.session.resetRc4();
    traffic(r4, a.session);
  });

  it('downgrade without signing cannot be protected and is refused', async () => {
    const flags = CLIENT_FLAGS & ~(C.NTLMSSP_NEGOTIATE_SIGN | C.NTLMSSP_NEGOTIATE_SEAL | C.NTLMSSP_NEGOTIATE_KEY_EXCH);
    const { srv, negotiate, r1 } = await start([OID_KRB5, OID_NTLMSSP], { negFlags: flags });
    expect(resp(r1.token).negState).toBe(NegState['request-mic']);
    const r2 = await srv.accept(encodeNegTokenResp({ responseToken: negotiate }));
    const a = authenticate(negotiate, resp(r2.token).responseToken as Buffer, false);
    await expect(srv.accept(encodeNegTokenResp({ responseToken: a.token }))).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('no NTLM among the mechanisms is OC_AUTH_UNSUPPORTED', async () => {
    await expect(start([OID_KRB5, OID_MSKRB5])).rejects.toMatchObject({ code: 'OC_AUTH_UNSUPPORTED' });
  });

  it('wrong token kinds are OC_AUTH_STATE; a client reject ends the exchange', async () => {
    const srv = createSpnegoServer(opts);
    await expect(srv.accept(encodeNegTokenResp({ negState: 1 }))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    const s2 = await start([OID_NTLMSSP]);
    await expect(s2.srv.accept(encodeNegTokenInit({ mechTypes: [OID_NTLMSSP] }))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    const s3 = await start([OID_NTLMSSP]);
    await expect(s3.srv.accept(encodeNegTokenResp({ negState: NegState.reject }))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
    await expect(s3.srv.accept(encodeNegTokenResp({ negState: 1 }))).rejects.toMatchObject({ code: 'OC_AUTH_STATE' });
  });

  it('a bare NTLMSSP first token runs plain NTLM (MS-SPNG <8>)', async () => {
    const srv = createSpnegoServer(opts);
    const negotiate = makeNegotiate();
    const r1 = await srv.accept(negotiate);
    expect(r1.token?.subarray(0, 8)).toEqual(C.NTLMSSP_SIGNATURE);
    const a = authenticate(negotiate, r1.token as Buffer, true);
    const r2 = await srv.accept(a.token);
    expect(r2.done && r2.token).toBeNull();
    traffic(r2, a.session);
  });

  it('a wrong password inside SPNEGO is OC_AUTH_LOGON_FAILURE', async () => {
    const { srv, negotiate, r1 } = await start([OID_NTLMSSP]);
    const a = makeAuthenticate({ negotiate, challenge: resp(r1.token).responseToken as Buffer, user: 'alice', password: 'x', domain: 'TEST' });
    await expect(srv.accept(encodeNegTokenResp({ responseToken: a.token }))).rejects.toMatchObject({ code: 'OC_AUTH_LOGON_FAILURE' });
  });
});
