// The AsyncEMSMDB interface (MS-OXCRPC 3.3.4): EcDoAsyncWaitEx holds the call until the session behind the ACXH
// has a notification pending (pulFlagsOut = NotificationPending) or the wait ran out (pulFlagsOut = 0); the client
// then calls EcDoRpcExt2 to fetch RopNotify / RopPending. The call also completes when the client goes away or the
// session ends.
import { AUTHN_LEVEL } from '../dcerpc/constants.js';
import { defineInterface, op, type InterfaceDef } from '../dcerpc/interface.js';
import { ASYNCEMSMDB } from '../dcerpc/well-known.js';
import { ASYNCEMSMDB_OPS } from './idl.js';
import type { SessionManager } from './session.js';

/** MS-OXCRPC 3.3.4.1 pulFlagsOut. */
export const NOTIFICATION_PENDING = 0x00000001;

/** MS-OXCRPC 3.3.4.1 return values (MS-OXCDATA 2.4 names). */
export const ASYNC_EC = {
  Success: 0x00000000,
  /** The ACXH names no session (ended, expired, or never existed): the client must not wait again on it. */
  Rejected: 0x000007ee,
  InvalidParam: 0x80070057,
} as const;

export interface AsyncEmsmdbOptions {
  sessions: SessionManager;
  /** How long a wait lasts without a notification (MS-OXCRPC: about 5 minutes), in milliseconds. */
  waitMs: number;
}

export function createAsyncEmsmdbInterface(opts: AsyncEmsmdbOptions): InterfaceDef {
  return defineInterface({
    name: ASYNCEMSMDB.name,
    uuid: ASYNCEMSMDB.uuid,
    version: { major: ASYNCEMSMDB.major, minor: ASYNCEMSMDB.minor },
    minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT,
    ops: {
      0: op({
        ...ASYNCEMSMDB_OPS[0],
        handle: async (req, call) => {
          const s = opts.sessions.byAsyncHandle(req.acxh.uuid);
          if (!s || s.closed || !call.user || call.user.username.toLowerCase() !== s.authUser) {
            return { pulFlagsOut: 0, result: ASYNC_EC.Rejected };
          }
          if (req.ulFlagsIn !== 0) return { pulFlagsOut: 0, result: ASYNC_EC.InvalidParam };
          const pending = await s.waitForNotification(opts.waitMs, call.signal);
          if (!s.closed) s.lastUsed = Date.now();
          return { pulFlagsOut: pending ? NOTIFICATION_PENDING : 0, result: ASYNC_EC.Success };
        },
      }),
    },
  });
}
