// The mechListMIC (RFC 4178 5, MS-SPNG 3.1.5.2) as both SPNEGO sides compute and check it with NTLM.
import { NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN } from '../ntlm/constants.js';
import { AuthError, isAuthError } from '../errors.js';
import type { NtlmSession } from '../ntlm/session.js';

/** Whether the NTLM session can sign, i.e. whether a mechListMIC can be made and checked. */
export function canSign(s: NtlmSession): boolean {
  return (s.flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0 && (s.flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) !== 0;
}

/** Checks the peer's mechListMIC over the DER MechTypeList; a bad one is OC_AUTH_MIC_MISMATCH. */
export function verifyMechListMic(session: NtlmSession, mechTypesDer: Buffer, mic: Buffer, who: string): void {
  try {
    session.verify(mechTypesDer, mic);
  } catch (e) {
    if (isAuthError(e) && e.code === 'OC_AUTH_BAD_SIGNATURE') {
      throw new AuthError('OC_AUTH_MIC_MISMATCH', `${who} SPNEGO mechListMIC does not verify`);
    }
    throw e;
  }
}
