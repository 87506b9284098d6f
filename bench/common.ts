// Pieces shared by the loopback benches (bench/rop.ts, stream.ts, notify.ts, run.ts): the config of a whole server in a
// temp dataDir on loopback, the client's EcDoConnectEx / EcDoRpcExt2 over a sealed RpcClient with ROP buffers in and
// checked ROP responses out, and the figures (median, percentile, rounding).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RpcClient } from '../src/dcerpc/client.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';
import { writeExtendedBuffer } from '../src/emsmdb/extbuf.js';
import { EcDoConnectEx_in, EcDoConnectEx_out, EcDoRpcExt2_in, EcDoRpcExt2_out } from '../src/emsmdb/idl.js';
import type { RopReader } from '../src/mapi/buffer.js';
import type { ContextHandle } from '../src/ndr/index.js';
import { encodeRopRequests } from '../src/rop/dispatch.js';
import type { RopRegistry } from '../src/rop/registry.js';
import type { RopRequestHeader } from '../src/rop/types.js';

export const CPID = 1252;

export type Req = RopRequestHeader & Record<string, unknown>;
export const rop = (RopId: number, inp: number, body: Record<string, unknown> = {}): Req => ({ RopId, LogonId: 0, InputHandleIndex: inp, ...body });
/** RopLogon (MS-OXCROPS 2.2.3.1) to the private mailbox of `dn`, LogonId 0, output in slot 0. */
export const logonRequest = (dn: string): Req => ({
  RopId: 0xfe, LogonId: 0, InputHandleIndex: undefined as unknown as number, OutputHandleIndex: 0, LogonFlags: 1, OpenFlags: 0x0100040c, StoreState: 0, Essdn: dn,
});

/** Median (the mean of the middle two for an even count). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** The `p` quantile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
export const r2 = (x: number) => Math.round(x * 100) / 100;
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A temp dataDir and the config of a whole server in it: silent log, no demo user, DCE/RPC on an ephemeral loopback
 * port, no endpoint mapper; `over` adds or replaces top-level sections. The caller removes `tmp`.
 */
export function benchConfig(prefix: string, over: Record<string, unknown> = {}): { tmp: string; config: Config } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const config = loadConfig({
    env: {},
    cwd: tmp,
    overrides: { dataDir: tmp, log: { level: 'silent' }, directory: { demoUser: false }, rpc: { listen: '127.0.0.1', port: 0, epmPort: -1 }, ...over } as never,
  });
  return { tmp, config };
}

/** EcDoConnectEx (opnum 10) for `dn` as client `version` (a wire form of rgwClientVersion); the session's CXH. */
export async function connectEx(c: RpcClient, dn: string, version: number[]): Promise<ContextHandle> {
  const out = EcDoConnectEx_out.decode(
    await c.call(
      10,
      EcDoConnectEx_in.encode({
        szUserDN: Buffer.from(dn, 'latin1'),
        ulFlags: 0,
        ulConMod: 0,
        cbLimit: 0,
        ulCpid: CPID,
        ulLcidString: 0x409,
        ulLcidSort: 0x409,
        ulIcxrLink: 0xffffffff,
        usFCanConvertCodePages: 1,
        rgwClientVersion: version,
        pulTimeStamp: 0,
        rgbAuxIn: Buffer.alloc(0),
        cbAuxIn: 0,
        pcbAuxOut: 0x1008,
      }),
    ),
  );
  if (out.result !== 0) throw new Error(`EcDoConnectEx 0x${out.result.toString(16)}`);
  return out.pcxh;
}

/** EcDoRpcExt2 (opnum 11) carrying `rgbIn`; its rgbOut (result checked). */
export async function rpcExt2(c: RpcClient, pcxh: ContextHandle, rgbIn: Buffer, pulFlags = 0, pcbOut = 0x40000): Promise<Buffer> {
  const stub = EcDoRpcExt2_in.encode({ pcxh, pulFlags, rgbIn, cbIn: rgbIn.length, pcbOut, rgbAuxIn: Buffer.alloc(0), cbAuxIn: 0, pcbAuxOut: 0x1008 });
  const r = EcDoRpcExt2_out.decode(await c.call(11, stub));
  if (r.result !== 0) throw new Error(`EcDoRpcExt2 0x${r.result.toString(16)}`);
  return r.rgbOut;
}

/** The rgbIn of one ROP buffer (RPC_HEADER_EXT, LZ77 and XOR as asked). */
export const ropsIn = (registry: RopRegistry, reqs: Req[], handles: number[], compress: boolean): Buffer =>
  writeExtendedBuffer([encodeRopRequests(registry, reqs, handles, CPID)], { compress, xor: compress, maxOut: 0x40000 });

/** The responses of `reqs` read from `rd` (ROPs without a response skipped), each checked for ReturnValue 0. */
export function readResponses(registry: RopRegistry, reqs: Req[], rd: RopReader): Array<Record<string, unknown>> {
  const res = reqs.filter((q) => registry.codec(q.RopId)!.hasResponse).map((q) => registry.codec(q.RopId)!.decodeResponse(rd, { codePage: CPID }, q) as Record<string, unknown>);
  for (const x of res) if (x.ReturnValue !== 0) throw new Error(`ROP 0x${(x.RopId as number).toString(16)} failed: 0x${(x.ReturnValue as number).toString(16)}`);
  return res;
}
