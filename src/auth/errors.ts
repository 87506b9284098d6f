import { OcError } from '../util/errors.js';

/** Stable codes of the authentication layer; the DCE/RPC and HTTP layers map them to their own faults. */
export type AuthErrorCode =
  | 'OC_AUTH_MALFORMED' // a token that does not parse, or is over a limit
  | 'OC_AUTH_STATE' // a token at the wrong time (after completion, after a failure, ...)
  | 'OC_AUTH_LOGON_FAILURE' // unknown user or wrong password: one code, one message, no oracle
  | 'OC_AUTH_UNSUPPORTED' // LM, anonymous, NTLMv1 without ESS or against policy, SIGN/SEAL without ESS, non-NTLM mech
  | 'OC_AUTH_MIC_MISMATCH' // NTLM AUTHENTICATE MIC or SPNEGO mechListMIC does not verify
  | 'OC_AUTH_BAD_SIGNATURE' // a message signature (or sealed message) does not verify
  | 'OC_AUTH_CLOCK_SKEW'; // NTLMv2 blob timestamp outside the policy window

export class AuthError extends OcError {
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export function isAuthError(e: unknown): e is AuthError {
  return e instanceof AuthError;
}

/** Throws OC_AUTH_MALFORMED unless `cond` holds. */
export function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new AuthError('OC_AUTH_MALFORMED', what);
}
