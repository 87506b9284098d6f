// End-to-end harness of the mailbox ROP handler tests: a real LocalStore (SQLite index) in a temp dir, the server's
// ROP registry (every codec module) with the store and folder handlers, and a RopRunner standing in for one
// EMSMDB session. Requests are encoded with the codecs, run through the dispatcher, and the responses decoded with
// the codecs' decodeResponse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RopReader } from '../../../src/mapi/buffer.js';
import { LocalStore } from '../../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../../src/mapistore/index/sqlite.js';
import type { MailboxStore, Store } from '../../../src/mapistore/types.js';
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

const directory: LogonDirectory = {
  async findUser(dn: string) {
    return [ALICE, BOB, CAROL].find((u) => u.legacyExchangeDN.toLowerCase() === dn.toLowerCase()) ?? null;
  },
};

export type Req = RopRequestHeader & Record<string, unknown>;
export type Res = RopResponse & Record<string, unknown>;

export interface Env {
  dir: string;
  store: Store;
  registry: RopRegistry;
  runner: RopRunner;
  /** Runs one ROP buffer; returns the decoded responses (in request order, RopRelease skipped) and the handle table. */
  call(requests: Req[], handles: number[]): Promise<{ res: Res[]; handles: number[] }>;
  /** Logs on as Alice (LogonId 0) and returns the logon handle and her mailbox. */
  logon(): Promise<{ handle: number; mb: MailboxStore }>;
  close(): Promise<void>;
}

/** `handlers`: the handler maps to register (default: the store and folder handlers only). */
export async function makeEnv(
  user: LogonUser = ALICE,
  handlers: (deps: MailboxHandlerDeps) => ReadonlyArray<ReadonlyMap<number, RopHandlerEntry>> = (d) => [createStoreHandlers(d), createFolderHandlers(d)],
  /** `dir`: reopen the store of an earlier env (the caller removes it). */
  opts: { dir?: string } = {},
): Promise<Env> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-rop-'));
  const store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
  const log = silentLogger();
  const deps: MailboxHandlerDeps = { store, serverDn: SERVER_DN, log, directory };
  const registry = await loadRopRegistry(handlers(deps));
  const runner = new RopRunner(registry, { session: { user }, log });

  const call = async (requests: Req[], handles: number[]) => {
    const out = await runner.run(encodeRopRequests(registry, requests, handles));
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
    return { res, handles: outHandles };
  };

  const logon = async () => {
    const { res, handles } = await call([logonReq(0, 0, user.legacyExchangeDN)], [N]);
    if (res[0]!.ReturnValue !== 0) throw new Error(`RopLogon failed: 0x${res[0]!.ReturnValue.toString(16)}`);
    const mb = await store.openMailbox({ username: user.username, displayName: user.displayName, legacyDn: user.legacyExchangeDN });
    return { handle: handles[0]!, mb };
  };

  return {
    dir,
    store,
    registry,
    runner,
    call,
    logon,
    close: async () => {
      runner.state.clear();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
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
