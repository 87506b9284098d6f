// MS-OXCROPS 2.2.6.11.1 / 2.2.3.13.1: request fields present only for public-folder logons. The bytes do not say
// which kind a logon is, so the decoder asks the session through an optional CodecContext extension.
import type { CodecContext } from '../types.js';
import type { FieldEnv } from './kit.js';

/** CodecContext as the EMSMDB session may extend it: which LogonIds are public-folder logons. */
export interface LogonAwareCodecContext extends CodecContext {
  isPublicLogon?(logonId: number): boolean;
}

/** True when the request's logon (LogonId decoded before) is a public-folder logon; private when unknown. */
export function publicLogon(env: FieldEnv): boolean {
  const ctx = env.ctx as LogonAwareCodecContext;
  const id = (env.req?.LogonId ?? env.obj.LogonId) as number | undefined;
  return id !== undefined && typeof ctx.isPublicLogon === 'function' && ctx.isPublicLogon(id);
}
