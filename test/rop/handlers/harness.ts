// End-to-end harness of the mailbox ROP handler tests: a real LocalStore (SQLite index) in a temp dir, the server's
// ROP registry (every codec module) with the chosen handler maps, and RopRunners standing in for EMSMDB sessions
// (one made at once, more on the same store and registry on request). Requests are encoded with the codecs, run
// through the dispatcher, and the responses decoded with the codecs' decodeResponse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RopReader } from '../../../src/mapi/buffer.js';
import { LocalStore } from '../../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../../src/mapistore/index/sqlite.js';
import type { MailboxStore } from '../../../src/mapistore/types.js';
import { encodeRopRequests, RopRunner, splitRopBuffer } from '../../../src/rop/dispatch.js';
import { NO_HANDLE } from '../../../src/rop/handles.js';
import type { LogonDirectory, LogonUser, MailboxHandlerDeps } from '../../../src/rop/handlers/objects.js';
import { createFolderHandlers } from '../../../src/rop/handlers/oxcfold.js';
import { createStoreHandlers } from '../../../src/rop/handlers/oxcstor.js';
import { loadRopRegistry, type RopRegistry } from '../../../src/rop/registry.js';
import type { RopHandlerEntry, RopRequestHeader, RopResponse } from '../../../src/rop/types.js';
import { silentLogger } from '../../../src/util/log.js';

export const N = NO_HANDLE;
export const ORG = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';
export const ALICE: LogonUser = { username: 'alice', displayName: 'Alice Example', legacyExchangeDN: `${ORG}/cn=alice`, enabled: true };
export const BOB: LogonUser = { username: 'bob', displayName: 'Bob Example', legacyExchangeDN: `${ORG}/cn=bob`, enabled: true };
export const CAROL: LogonUser = { username: 'carol', displayName: 'Carol (disabled)', legacyExchangeDN: `${ORG}/cn=carol`, enabled: false };
export const SERVER_DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=OCNG';

export type Req = RopRequestHeader & Record<string, unknown>;
export type Res = RopResponse & Record<string, unknown>;

/** Runs one ROP buffer; returns the decoded responses (in request order, RopRelease skipped), the handle table and the raw ROP bytes. */
export type Call = (requests: Req[], handles: number[], maxOutput?: number) => Promise<{ res: Res[]; handles: number[]; rops: Buffer }>;

/** One EMSMDB session: a RopRunner with its own handle table. */
export interface Session {
  runner: RopRunner;
  call: Call;
  /** Logs on (LogonId 0) to `owner`'s mailbox (default: the session's user); the logon handle and the RopLogon response. */
  logon(owner?: LogonUser): Promise<{ handle: number; res: Res }>;
}

export interface Env {
  dir: string;
  store: LocalStore;
  registry: RopRegistry;
  runner: RopRunner;
  call: Call;
  /** Logs on as the env's user (LogonId 0) and returns the logon handle and the user's mailbox. */
  logon(): Promise<{ handle: number; mb: MailboxStore }>;
  /** Another session on the same store and registry; `ctx` is what handlers see as ctx.session (default `{ user }`). */
  session(user?: LogonUser, ctx?: { user: LogonUser }): Session;
  /** Clears every session and closes the store; removes the directory unless `keepDir`. */
  close(keepDir?: boolean): Promise<void>;
}

export interface EnvOptions {
  /** Reopen the store of an earlier env (closed with keepDir). */
  dir?: string;
  /** The LocalStore's maxValueSize (its default when absent). */
  maxValueSize?: number;
  /** Directory users besides Alice, Bob and Carol. */
  users?: LogonUser[];
}

/** `handlers`: the handler maps to register (default: the store and folder handlers only). */
export async function makeEnv(
  user: LogonUser = ALICE,
  handlers: (deps: MailboxHandlerDeps) => ReadonlyArray<ReadonlyMap<number, RopHandlerEntry>> = (d) => [createStoreHandlers(d), createFolderHandlers(d)],
  opts: EnvOptions = {},
): Promise<Env> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-rop-'));
  const store = new LocalStore({
    mailboxDir: path.join(dir, 'mailboxes'),
    index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')),
    ...(opts.maxValueSize !== undefined ? { maxValueSize: opts.maxValueSize } : {}),
  });
  const users = [ALICE, BOB, CAROL, ...(opts.users ?? [])];
  const directory: LogonDirectory = {
    async findUser(dn: string) {
      return users.find((u) => u.legacyExchangeDN.toLowerCase() === dn.toLowerCase()) ?? null;
    },
  };
  const log = silentLogger();
  const deps: MailboxHandlerDeps = { store, serverDn: SERVER_DN, log, directory };
  const registry = await loadRopRegistry(handlers(deps));
  const runners: RopRunner[] = [];

  const session = (u: LogonUser = user, ctx: { user: LogonUser } = { user: u }): Session => {
    const runner = new RopRunner(registry, { session: ctx, log });
    runners.push(runner);
    const call: Call = async (requests, handles, maxOutput) => {
      const out = await runner.run(encodeRopRequests(registry, requests, handles), maxOutput);
      if (!out.ok) throw out.error;
      const { rops, handles: outHandles } = splitRopBuffer(out.output);
      const r = new RopReader(rops);
      const res: Res[] = [];
      for (const q of requests) {
        const codec = registry.codec(q.RopId)!;
        if (!codec.hasResponse) continue;
        if (r.left === 0) break;
        res.push(codec.decodeResponse(r, { codePage: 1252 }, q) as Res);
      }
      if (r.left !== 0) throw new Error(`${r.left} response bytes left over`);
      return { res, handles: outHandles, rops };
    };
    const logon = async (owner: LogonUser = u) => {
      const { res, handles } = await call([logonReq(0, 0, owner.legacyExchangeDN)], [N]);
      if (res[0]!.ReturnValue !== 0) throw new Error(`RopLogon failed: 0x${res[0]!.ReturnValue.toString(16)}`);
      return { handle: handles[0]!, res: res[0]! };
    };
    return { runner, call, logon };
  };

  const first = session();
  return {
    dir,
    store,
    registry,
    runner: first.runner,
    call: first.call,
    logon: async () => {
      const { handle } = await first.logon();
      const mb = await store.openMailbox({ username: user.username, displayName: user.displayName, legacyDn: user.legacyExchangeDN });
      return { handle, mb };
    },
    session,
    close: async (keepDir = false) => {
      for (const r of runners) r.state.clear();
      await store.close();
      if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- request builders (spec field names) --------------------------------------------------------------------------

export const logonReq = (logonId: number, out: number, essdn: string, logonFlags = 0x01, openFlags = 0x0100040c): Req => ({
  RopId: 0xfe,
  LogonId: logonId,
  InputHandleIndex: undefined as unknown as number,
  OutputHandleIndex: out,
  LogonFlags: logonFlags,
  OpenFlags: openFlags,
  StoreState: 0,
  Essdn: essdn,
});

export const openFolder = (inp: number, out: number, fid: bigint, mode = 0, logonId = 0): Req => ({
  RopId: 0x02, LogonId: logonId, InputHandleIndex: inp, OutputHandleIndex: out, FolderId: fid, OpenModeFlags: mode,
});

export const release = (inp: number): Req => ({ RopId: 0x01, LogonId: 0, InputHandleIndex: inp });
