// Shared setup of the ICS upload handler tests (oxcfxics-upload*.test.ts): the MS-OXCMSG env with the upload
// handlers and Alice logged on, the client's own replica GUID with its XIDs and PCLs, and change tracking values.
import { afterEach, beforeEach, expect } from 'vitest';
import { encodeXid } from '../../../src/mapi/ids.js';
import { encodePcl, mergePcl } from '../../../src/mapistore/pcl.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import type { MailboxHandlerDeps } from '../../../src/rop/handlers/objects.js';
import { createUploadHandlers } from '../../../src/rop/handlers/oxcfxics-upload.js';
import { readGuid } from '../../../src/util/guid.js';
import { ALICE, makeEnv } from './harness.js';
import { handlers, type Env, type Res } from './oxcmsg-env.js';

/** The client's own replica (its namespace GUID for change keys). */
export const CG = '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
/** The XID of `n` in the client's namespace. */
export const cx = (n: number): Buffer => encodeXid(CG, BigInt(n));
/** An XID as a PCL entry. */
export const xidEntry = (x: Buffer) => ({ guid: readGuid(x, 0), localId: Buffer.from(x.subarray(16)) });
/** The PCL of `xids`. */
export const pclOf = (...xids: Buffer[]): Buffer => encodePcl(mergePcl(...xids.map((x) => [xidEntry(x)])));
/** PidTagSourceKey, PidTagLastModificationTime, PidTagChangeKey, PidTagPredecessorChangeList of an imported change. */
export const version = (sk: Buffer, lm: bigint, ck: Buffer, pcl: Buffer) => [
  { tag: 0x65e00102, value: sk }, { tag: 0x30080040, value: lm }, { tag: 0x65e20102, value: ck }, { tag: 0x65e30102, value: pcl },
];
/** Expects a ROP response with ReturnValue 0. */
export const ok = (r: Res | undefined) => expect(r?.ReturnValue, `ROP 0x${r?.RopId.toString(16)}`).toBe(0);

export interface UploadLogon {
  env: Env;
  mb: MailboxStore;
  /** The logon handle. */
  L: number;
  inbox: bigint;
}

/**
 * Gives each test of the enclosing describe an env with the MS-OXCMSG and ICS upload handlers and Alice logged on;
 * `use` receives it before the test, and the env is closed after it.
 */
export function uploadLogon(use: (s: UploadLogon) => void): void {
  let env: Env | undefined;
  beforeEach(async () => {
    env = await makeEnv(ALICE, (d: MailboxHandlerDeps) => [...handlers(d), createUploadHandlers(d)]);
    const r = await env.logon();
    use({ env, mb: r.mb, L: r.handle, inbox: r.mb.special.inbox });
  });
  afterEach(() => env?.close());
}
