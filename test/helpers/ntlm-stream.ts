// Decrypts a recorded NTLM-sealed DCE/RPC connection the way MS-NLMP 3.4 prescribes, independently of the server's
// session objects: keys derived from the password and the AUTHENTICATE message seen on the wire, one RC4 stream
// per direction that covers each PDU's stub+padding and then its 8-byte checksum.
import { decodeAuthenticate } from '../../src/auth/ntlm/messages.js';
import { hmacMd5, ntowfv2, rc4k, sealkey } from '../../src/auth/ntlm/crypto.js';
import { ntHash } from '../../src/auth/md4.js';
import { Rc4 } from '../../src/auth/rc4.js';
import { parsePdu, type RequestPdu, type ResponsePdu } from '../../src/dcerpc/pdu.js';

export interface Recorded {
  direction: 'in' | 'out';
  pdu: Buffer;
}

export interface Decrypted {
  direction: 'in' | 'out';
  opnum: number | null;
  stub: Buffer;
}

function findNtlm(b: Buffer, type: number): Buffer | null {
  const i = b.indexOf(Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from([type, 0, 0, 0])]));
  return i >= 0 ? b.subarray(i) : null;
}

/** Decrypts every sealed request and response of one connection; returns their plaintext stubs in order. */
export function decryptSealedStream(pdus: Recorded[], password: string): Decrypted[] {
  const authPdu = pdus.find((p) => p.direction === 'in' && findNtlm(p.pdu, 3));
  if (!authPdu) throw new Error('no AUTHENTICATE message in the stream');
  const auth = decodeAuthenticate(Buffer.from(findNtlm(authPdu.pdu, 3)!));
  const key = ntowfv2(ntHash(password), auth.UserName.toString('utf16le'), auth.DomainName.toString('utf16le'));
  const sessionBaseKey = hmacMd5(key, auth.NtChallengeResponse.subarray(0, 16));
  const exported = auth.EncryptedRandomSessionKey.length === 16 ? rc4k(sessionBaseKey, auth.EncryptedRandomSessionKey) : sessionBaseKey;
  const client = new Rc4(sealkey(auth.NegotiateFlags, exported, 'Client'));
  const server = new Rc4(sealkey(auth.NegotiateFlags, exported, 'Server'));
  const out: Decrypted[] = [];
  let lastOpnum: number | null = null;
  for (const { direction, pdu } of pdus) {
    const p = parsePdu(Buffer.from(pdu));
    if ((p.kind !== 'request' && p.kind !== 'response') || !p.auth || p.auth.auth_level !== 6) continue;
    const rq = p as RequestPdu | ResponsePdu;
    const state = direction === 'in' ? client : server;
    const data = Buffer.from(rq.raw.subarray(rq.stubOffset, rq.auth!.trailerOffset));
    state.process(data);
    state.process(Buffer.from(rq.auth!.auth_value.subarray(4, 12))); // the encrypted checksum follows in the stream
    if (p.kind === 'request') lastOpnum = p.opnum;
    out.push({ direction, opnum: p.kind === 'request' ? p.opnum : lastOpnum, stub: data.subarray(0, data.length - rq.auth!.auth_pad_length) });
  }
  return out;
}
