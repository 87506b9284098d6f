// The pieces bench/ics-emsmdb.ts and bench/imap-emsmdb.ts share: the server child forked from the bench file and
// asked one thing at a time over IPC, and the client that syncs a folder in Cached Exchange Mode through EMSMDB the
// way Outlook 2010 does (the project's RpcClient, NTLM at PKT_PRIVACY, EcDoConnectEx, RopLogon, RopOpenFolder,
// RopSynchronizationConfigure with the state uploaded in the same ROP buffer, then chained
// RopFastTransferSourceGetBuffer calls with BufferSize 0xBABE until TransferStatus Done, every buffer parsed by the
// project's FastTransfer parser: messages counted on IncrSyncChg, the final state read from the stream).
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { RpcClient } from '../src/dcerpc/client.js';
import { AUTHN } from '../src/dcerpc/constants.js';
import { EMSMDB } from '../src/dcerpc/well-known.js';
import { readExtendedBuffer } from '../src/emsmdb/extbuf.js';
import { RopReader } from '../src/mapi/buffer.js';
import type { ContextHandle } from '../src/ndr/index.js';
import { splitRopBuffer } from '../src/rop/dispatch.js';
import { Marker } from '../src/rop/fxics/markers.js';
import { FxStreamParser } from '../src/rop/fxics/parser.js';
import { NO_HANDLE } from '../src/rop/handles.js';
import type { RopRegistry } from '../src/rop/registry.js';
import { connectEx, CPID, logonRequest, readResponses, rop, ropsIn, rpcExt2, type Req } from './common.js';

/**
 * An inspector CPU profiler of this process (sampling every 200 us), written as <dir>/<name>.cpuprofile; without a
 * `dir` (the bench's *_PROF variable unset) start and stop do nothing.
 */
export function cpuProfiler(dir: string | undefined): { start(): Promise<void>; stop(name: string): Promise<void> } {
  let session: inspector.Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session!.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  return {
    async start() {
      if (!dir) return;
      session = new inspector.Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    },
    async stop(name: string) {
      if (!session) return;
      const r = (await post('Profiler.stop')) as { profile: unknown };
      fs.mkdirSync(dir!, { recursive: true });
      fs.writeFileSync(path.join(dir!, `${name}.cpuprofile`), JSON.stringify(r.profile));
      session.disconnect();
      session = undefined;
    },
  };
}

/** The server child of a bench: `script` forked with `flag`; `name` for error messages. */
export class BenchChild {
  readonly proc: ChildProcess;
  private waiting: ((m: Record<string, unknown>) => void) | undefined;
  private queue: Array<Record<string, unknown>> = [];

  constructor(
    script: string,
    flag: string,
    private readonly name: string,
    execArgv: string[] = process.execArgv,
  ) {
    this.proc = fork(script, [flag], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: Record<string, unknown>) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(m);
      else this.queue.push(m);
    });
  }

  next(): Promise<Record<string, unknown>> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`${this.name} child exited (${code})`));
      this.proc.once('exit', onExit);
      this.waiting = (m) => {
        this.proc.off('exit', onExit);
        resolve(m);
      };
    });
  }

  /** Sends `m` and waits for the answer whose op is `want` (an `error` answer throws). */
  async ask(m: object, want: string): Promise<Record<string, unknown>> {
    this.proc.send(m);
    const r = await this.next();
    if (r.op === 'error') throw new Error(`${this.name} child: ${String(r.error)}`);
    if (r.op !== want) throw new Error(`${this.name} child answered ${String(r.op)}, not ${want}`);
    return r;
  }

  /** Waits for the child's first message, which must be `{ op: 'ready' }`. */
  async start(): Promise<void> {
    const r = await this.next();
    if (r.op !== 'ready') throw new Error(`${this.name} child did not start`);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.send({ op: 'exit' });
    await done;
  }
}

/**
 * The child side of BenchChild: answers each message with `handle` (one at a time as they come; a failure is sent
 * back as `{ op: 'error' }`), `{ op: 'exit' }` runs `close`, answers `{ op: 'bye' }` and ends the process; says
 * `{ op: 'ready' }` once listening.
 */
export function serveChild<M extends { op: string }>(handle: (m: M) => Promise<void>, close: () => Promise<void>): void {
  const send = (m: unknown) => process.send!(m);
  process.on('message', (m: M) => {
    void (async () => {
      try {
        if (m.op === 'exit') {
          await close();
          send({ op: 'bye' });
          process.exit(0);
        }
        await handle(m);
      } catch (e) {
        send({ op: 'error', error: String((e as Error).stack ?? e) });
      }
    })();
  });
  send({ op: 'ready' });
}

export interface SyncResult {
  messages: number;
  streamBytes: number;
  /** rgbOut bytes as they travelled (compressed). */
  wireBytes: number;
  calls: number;
  getBuffers: number;
  ms: number;
  clientCpuMs: number;
  state: Array<{ tag: number; data: Buffer }>;
}

export interface SyncOptions {
  /** RopSynchronizationConfigure SynchronizationFlags / SynchronizationExtraFlags. */
  syncFlags: number;
  extraFlags: number;
  /** EcDoRpcExt2 pulFlags of the GetBuffer calls (0x4: chaining, LZ77 and XOR on) and pcbOut. */
  pulFlags: number;
  pcbOut: number;
  /** GetBuffer MaximumBufferSize. */
  maxBuffer: number;
}

export class IcsSyncClient {
  private constructor(
    private readonly c: RpcClient,
    private readonly pcxh: ContextHandle,
    private readonly registry: RopRegistry,
    private readonly o: SyncOptions,
    private logonHandle: number,
  ) {}

  /** Connects, binds EMSMDB, EcDoConnectEx as Outlook 2010 (14.0.7468) and RopLogon; `logonMs` times the RopLogon. */
  static async open(
    port: number,
    dn: string,
    user: { username: string; password: string; domain: string },
    registry: RopRegistry,
    o: SyncOptions,
  ): Promise<{ client: IcsSyncClient; logonMs: number }> {
    const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: AUTHN.RPC_C_AUTHN_WINNT, level: 6, ...user } });
    await c.bind(EMSMDB);
    const pcxh = await connectEx(c, dn, [0x000e, 0x0000, 0x1d2c]);
    const self = new IcsSyncClient(c, pcxh, registry, o, 0);
    const t0 = process.hrtime.bigint();
    const logon = await self.call([logonRequest(dn)], [NO_HANDLE]);
    const logonMs = Number(process.hrtime.bigint() - t0) / 1e6;
    self.logonHandle = logon.handles[0]!;
    return { client: self, logonMs };
  }

  /** One EcDoRpcExt2 with `reqs` (LZ77 + XOR both ways, no chaining): the checked responses and the handle table. */
  async call(reqs: Req[], handles: number[]): Promise<{ res: Array<Record<string, unknown>>; handles: number[] }> {
    const rgbOut = await rpcExt2(this.c, this.pcxh, ropsIn(this.registry, reqs, handles, true), 0, this.o.pcbOut);
    const [payload] = readExtendedBuffer(rgbOut, { maxPayloads: 1 }, true);
    const { rops, handles: hs } = splitRopBuffer(payload!);
    return { res: readResponses(this.registry, reqs, new RopReader(rops)), handles: hs };
  }

  /** A contents synchronization of `fid` from `state` (empty: a first sync); timed from RopOpenFolder to Done. */
  async sync(fid: bigint, state: Array<{ tag: number; data: Buffer }>): Promise<SyncResult> {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const opened = await this.call([rop(0x02, 0, { OutputHandleIndex: 1, FolderId: fid, OpenModeFlags: 0 })], [this.logonHandle, NO_HANDLE]);
    const reqs: Req[] = [
      rop(0x70, 0, {
        OutputHandleIndex: 1, SynchronizationType: 1, SendOptions: 0x01, SynchronizationFlags: this.o.syncFlags, RestrictionData: null,
        SynchronizationExtraFlags: this.o.extraFlags, PropertyTags: [],
      }),
    ];
    for (const s of state) {
      reqs.push(rop(0x75, 1, { StateProperty: s.tag, TransferBufferSize: s.data.length }), rop(0x76, 1, { StreamData: s.data }), rop(0x77, 1));
    }
    reqs.push(rop(0x01, 0)); // RopRelease of the folder: the context stays usable (its parent is the logon)
    const configured = await this.call(reqs, [opened.handles[1]!, NO_HANDLE]);
    const ctx = configured.handles[1]!;
    let calls = 2;
    const parser = new FxStreamParser({ codePage: CPID });
    const codec = this.registry.codec(0x4e)!;
    const req = rop(0x4e, 0, { BufferSize: 0xbabe, MaximumBufferSize: this.o.maxBuffer });
    const rgbIn = ropsIn(this.registry, [req], [ctx], true);
    let messages = 0;
    let streamBytes = 0;
    let wireBytes = 0;
    let getBuffers = 0;
    let inState = false;
    const next: Array<{ tag: number; data: Buffer }> = [];
    let done = false;
    while (!done) {
      const rgbOut = await rpcExt2(this.c, this.pcxh, rgbIn, this.o.pulFlags, this.o.pcbOut);
      calls++;
      wireBytes += rgbOut.length;
      for (const p of readExtendedBuffer(rgbOut, { maxPayloads: 64 }, true)) {
        const r = codec.decodeResponse(new RopReader(splitRopBuffer(p).rops), { codePage: CPID }, req) as unknown as {
          ReturnValue: number;
          TransferStatus: number;
          TransferBuffer: Buffer;
        };
        if (r.ReturnValue !== 0) throw new Error(`RopFastTransferSourceGetBuffer 0x${r.ReturnValue.toString(16)}`);
        getBuffers++;
        streamBytes += r.TransferBuffer.length;
        for (const el of parser.push(r.TransferBuffer)) {
          if (el.kind === 'marker') {
            if (el.tag === Marker.IncrSyncChg) messages++;
            else if (el.tag === Marker.IncrSyncStateBegin) inState = true;
            else if (el.tag === Marker.IncrSyncStateEnd) inState = false;
          } else if (inState) next.push({ tag: el.tag, data: Buffer.from(el.value as Uint8Array) });
        }
        if (r.TransferStatus === 0x0003) done = true; // Done
        else if (r.TransferStatus !== 0x0001 && r.TransferStatus !== 0x0002) throw new Error(`TransferStatus ${r.TransferStatus}`);
      }
    }
    parser.end();
    const cu = process.cpuUsage(c0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await this.call([rop(0x01, 0)], [ctx]); // RopRelease of the context (not timed)
    return { messages, streamBytes, wireBytes, calls, getBuffers, ms, clientCpuMs: (cu.user + cu.system) / 1000, state: next };
  }

  async close(): Promise<void> {
    await this.c.close().catch(() => undefined);
  }
}
