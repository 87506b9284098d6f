// The EMSMDB interface (MS-OXCRPC 3.1.4): EcDoConnectEx creates a session (version gate, user DN check, AUX out),
// EcDoRpcExt2 carries ROP buffers (extended buffers in and out, LZ77 + XOR as pulFlags say) through the ROP
// dispatcher and appends the session's pending notifications (RopNotify, RopPending: MS-OXCNOTIF 3.1.5.6),
// EcDoDisconnect ends the session, EcDoAsyncConnectEx hands out the ACXH for AsyncEMSMDB,
// EcRRegisterPushNotification is declined (no UDP push; Outlook falls back to the async wait or polling) and
// EcDummyRpc does nothing. Reserved opnums have no entry: the runtime faults them with nca_s_op_rng_error.
//
// Session context handles live in the SessionManager (server-wide, so that an AsyncEMSMDB call on another
// association group finds its session) and are also registered with the caller's association group so that the
// session is run down when the client's connections go away (MS-RPCE context handle rundown).
import { NULL_HANDLE, type ContextHandle } from '../dcerpc/association.js';
import { AUTHN_LEVEL, FAULT } from '../dcerpc/constants.js';
import { defineInterface, op, RpcFault, type CallContext, type InterfaceDef } from '../dcerpc/interface.js';
import { EMSMDB } from '../dcerpc/well-known.js';
import type { Directory } from '../directory/types.js';
import { encode as encodeCp, isSupported as isSupportedCodePage } from '../mapi/codepage.js';
import {
  advanceChain,
  buildRopBuffer,
  chainedResponseUseful,
  dispatchRopBuffer,
  FT_SOURCE_GET_BUFFER,
  nextChainedRequest,
  splitRopBuffer,
  startChain,
  type LastRop,
} from '../rop/dispatch.js';
import type { RopRegistry } from '../rop/registry.js';
import { appendNotifications, isQueuedNotification } from '../rop/handlers/notif-queue.js';
import { describeError, OcError } from '../util/errors.js';
import {
  auxClientControl,
  auxEndpointCapabilities,
  auxExOrgInfo,
  encodeAuxBlocks,
  ENABLE_COMPRESSION,
  ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT,
  parseAuxBlocks,
  type AuxBlock,
} from './aux.js';
import { compressAhead, CompressedAhead } from './compress-ahead.js';
import { AUX_IN_LIMITS, MAX_CHAINED_PAYLOADS, MAX_PAYLOAD_SIZE, payloadData, readExtendedBuffer, RGB_IN_LIMITS, RPC_HEADER_EXT_SIZE, writeExtendedBuffer } from './extbuf.js';
import { EMSMDB_OPS, type EcDoConnectEx_in, type EcDoConnectEx_out, type EcDoRpcExt2_in, type EcDoRpcExt2_out } from './idl.js';
import type { EmsmdbSession, SessionManager } from './session.js';

/** MS-OXCRPC 3.1.4.1 / 3.1.4.2 return values of the EMSMDB methods (MS-OXCDATA 2.4 names). */
export const EMSMDB_EC = {
  Success: 0x00000000,
  UnknownUser: 0x000003eb,
  LoginPerm: 0x000003f2,
  RpcFormat: 0x000004b6,
  ClientVerDisallowed: 0x000004df,
  NotEncrypted: 0x00000970,
  VersionMismatch: 0x80040110,
  LoginFailure: 0x80040111,
  RpcFailed: 0x80040115,
  NotSupported: 0x80040102,
  AccessDenied: 0x80070005,
  /**
   * Too many sessions for one user: Exchange reports "MapiExceptionSessionLimit" with ec 1246 (0x4DE); not in
   * MS-OXCDATA 2.4, so a client shows it as a generic logon failure.
   */
  SessionLimit: 0x000004de,
} as const;

/** MS-OXCRPC 3.1.4.2 pulFlags. */
export const RPC_EXT2_FLAGS = { NoCompression: 0x1, NoXorMagic: 0x2, Chain: 0x4 } as const;

/** MS-OXCRPC 2.2.2.2 / 3.1.4.1: ulFlags of EcDoConnectEx asking for administrator privilege. */
const CONNECT_ADMIN_PRIVILEGE = 0x1;

export type Version4 = readonly [number, number, number, number];

/** The version the server reports: Exchange 2010 SP3 (14.3.123.4), which Outlook 2007, 2010 and 2013 accept. */
export const SERVER_VERSION: Version4 = [14, 3, 123, 4];

/** MS-OXCRPC 3.1.4.1.3 / 2.2.2.x: three wire words -> major.minor.build.revision. */
export function normalizeVersion(w: readonly number[]): Version4 {
  const [w0 = 0, w1 = 0, w2 = 0] = w;
  if (w1 & 0x8000) return [w0 >> 8, w0 & 0xff, w1 & 0x7fff, w2];
  return [w0, 0, w1, w2];
}

/** The three-word form with the high bit of word 1 set (the form Exchange 2007+ and Outlook 2007+ use). */
export function versionWords(v: Version4): [number, number, number] {
  return [((v[0] & 0xff) << 8) | (v[1] & 0xff), 0x8000 | (v[2] & 0x7fff), v[3] & 0xffff];
}

export function compareVersions(a: Version4, b: Version4): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** "12.0.6206.1000" / "12.0" -> a Version4 (missing parts 0). */
export function parseVersion(s: string): Version4 {
  const p = s.split('.').map((x) => Number(x));
  if (p.length < 1 || p.length > 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) {
    throw new OcError('OC_EMSMDB_BAD_VERSION', `not a version: ${s}`);
  }
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
}

export interface EmsmdbOptions {
  directory: Directory;
  sessions: SessionManager;
  /** The ROP table (src/rop/registry.ts); a function when it is assembled after the interface. */
  registry: RopRegistry | (() => RopRegistry);
  /** szDNPrefix: the server's DN ("/o=.../ou=.../cn=Configuration/cn=Servers/cn=<server>"). */
  serverDn: string;
  minClientVersion: Version4;
  requireEncryption: boolean;
  /** AUX_EXORGINFO OrgFlags (0: no public folders). */
  orgFlags?: number;
  serverVersion?: Version4;
  /** Polling interval Outlook uses without async notifications (pcmsPollsMax, ms). */
  pollsMax?: number;
  /** Compress the payloads of a FastTransfer download's next response while the client reads one (compress-ahead.ts; default true). */
  compressAhead?: boolean;
}

const HANDLE_KIND = 'emsmdb';
const CONNECT_POLLS_MAX = 60_000;
const CONNECT_RETRY = 6;
const CONNECT_RETRY_DELAY = 10_000;
/** AUX_CLIENT_CONTROL ExpiryTime: how long the client keeps the settings (ms). */
const CLIENT_CONTROL_EXPIRY = 7 * 24 * 3600 * 1000;

const EMPTY = Buffer.alloc(0);

function failedConnect(result: number, best: readonly number[] = [0, 0, 0], timeStamp = 0): EcDoConnectEx_out {
  return {
    pcxh: NULL_HANDLE,
    pcmsPollsMax: 0,
    pcRetry: 0,
    pcmsRetryDelay: 0,
    picxr: 0,
    szDNPrefix: null,
    szDisplayName: null,
    rgwServerVersion: [0, 0, 0],
    rgwBestVersion: [...best],
    pulTimeStamp: timeStamp,
    rgbAuxOut: EMPTY,
    pcbAuxOut: 0,
    result,
  };
}

function failedRpc(req: EcDoRpcExt2_in, result: number, start: number): EcDoRpcExt2_out {
  return {
    pcxh: req.pcxh,
    pulFlags: 0,
    rgbOut: EMPTY,
    pcbOut: 0,
    rgbAuxOut: EMPTY,
    pcbAuxOut: 0,
    pulTransTime: Math.min(0xffffffff, Date.now() - start),
    result,
  };
}

/** The session a CXH names, which must belong to the caller. */
export function sessionOf(sessions: SessionManager, call: CallContext, h: ContextHandle): EmsmdbSession {
  const s = sessions.get(h.uuid);
  if (!s) throw new RpcFault(FAULT.nca_s_fault_context_mismatch, 'unknown EMSMDB session context handle');
  if (!call.user || call.user.username.toLowerCase() !== s.authUser) {
    throw new RpcFault(FAULT.nca_s_fault_access_denied, 'EMSMDB session context handle of another user');
  }
  return s;
}

/** An 8-bit string for the client's code page (characters it lacks become '?'). */
function str8(s: string, codePage: number): Buffer {
  try {
    return encodeCp(s, codePage);
  } catch {
    return Buffer.from(s.replace(/[^\x20-\x7e]/g, '?'), 'latin1');
  }
}

/** The rgbAuxIn blocks; a malformed buffer is an OcError (the caller answers ecRpcFormat). */
function readAuxIn(rgbAuxIn: Buffer): AuxBlock[] {
  if (rgbAuxIn.length === 0) return [];
  const [payload] = readExtendedBuffer(rgbAuxIn, AUX_IN_LIMITS);
  return parseAuxBlocks(payload!);
}

export function createEmsmdbInterface(opts: EmsmdbOptions): InterfaceDef {
  const { sessions, directory } = opts;
  const registry = (): RopRegistry => (typeof opts.registry === 'function' ? opts.registry() : opts.registry);
  const compressAheadOn = opts.compressAhead ?? true;
  const serverVersion = opts.serverVersion ?? SERVER_VERSION;
  const serverWords = versionWords(serverVersion);

  async function connect(req: EcDoConnectEx_in, call: CallContext): Promise<EcDoConnectEx_out> {
    // MS-OXCRPC 3.1.4.1: limits on the AUX buffers (pcbAuxOut's range is checked by its NDR type)
    if (req.cbAuxIn > 0x1008 || req.cbAuxIn !== req.rgbAuxIn.length) throw new RpcFault(FAULT.nca_s_fault_ndr, 'cbAuxIn');
    if (req.cbAuxIn > 0 && req.cbAuxIn < RPC_HEADER_EXT_SIZE) return failedConnect(EMSMDB_EC.RpcFailed);
    if (opts.requireEncryption && call.authLevel < AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_PKT_PRIVACY) {
      call.log.info({ authLevel: call.authLevel }, 'EcDoConnectEx refused: not encrypted');
      return failedConnect(EMSMDB_EC.NotEncrypted);
    }
    try {
      readAuxIn(req.rgbAuxIn);
    } catch (e) {
      call.log.info({ err: describeError(e) }, 'EcDoConnectEx: malformed rgbAuxIn');
      return failedConnect(EMSMDB_EC.RpcFormat);
    }
    const clientVersion = normalizeVersion(req.rgwClientVersion);
    if (compareVersions(clientVersion, opts.minClientVersion) < 0) {
      call.log.info({ client: clientVersion.join('.'), min: opts.minClientVersion.join('.') }, 'EcDoConnectEx refused: client too old');
      return failedConnect(EMSMDB_EC.VersionMismatch, versionWords(opts.minClientVersion));
    }
    const authUser = call.user?.username;
    if (!authUser) return failedConnect(EMSMDB_EC.LoginFailure);
    const dn = req.szUserDN.toString('latin1');
    let user: Awaited<ReturnType<Directory['findUser']>>;
    try {
      user = await directory.findUser(dn);
    } catch (e) {
      call.log.error({ err: describeError(e), dn }, 'EcDoConnectEx: directory lookup failed');
      return failedConnect(EMSMDB_EC.LoginFailure);
    }
    if (!user || !user.legacyExchangeDN || user.legacyExchangeDN.toLowerCase() !== dn.toLowerCase()) {
      call.log.info({ dn }, 'EcDoConnectEx refused: unknown user DN');
      return failedConnect(EMSMDB_EC.UnknownUser);
    }
    if (user.username.toLowerCase() !== authUser.toLowerCase() || (req.ulFlags & CONNECT_ADMIN_PRIVILEGE) !== 0) {
      call.log.info({ dn, authUser, flags: req.ulFlags }, 'EcDoConnectEx refused: DN of another user or admin privilege asked');
      return failedConnect(EMSMDB_EC.LoginPerm);
    }
    if (!user.enabled) return failedConnect(EMSMDB_EC.LoginFailure);
    const codePage = isSupportedCodePage(req.ulCpid) ? req.ulCpid : 1252;

    // the CXH: registered with the association group for rundown, its UUID naming the session
    let session: EmsmdbSession | undefined;
    const handle = call.assocGroup.handles.create(HANDLE_KIND, null, () => {
      if (session) sessions.destroy(session);
    });
    const created = sessions.create(
      {
        user,
        authUser,
        codePage,
        lcidString: req.ulLcidString,
        lcidSort: req.ulLcidSort,
        clientVersion,
        connectFlags: req.ulFlags,
      },
      handle.uuid,
    );
    if (!('session' in created)) {
      call.assocGroup.handles.close(handle);
      call.log.info({ user: authUser, max: sessions.limits.maxSessionsPerUser }, 'EcDoConnectEx refused: session limit');
      return failedConnect(EMSMDB_EC.SessionLimit);
    }
    session = created.session;

    // AUX out: EXORGINFO always; CLIENT_CONTROL (compression on, no perf data wanted); ENDPOINT_CAPABILITIES when
    // NSPI and RFR answer on this very endpoint (ncacn_ip_tcp; over RPC/HTTP they have their own ports)
    const blocks: AuxBlock[] = [auxExOrgInfo(opts.orgFlags ?? 0), auxClientControl(ENABLE_COMPRESSION, CLIENT_CONTROL_EXPIRY)];
    if (call.connection.transport === 'ncacn_ip_tcp') blocks.push(auxEndpointCapabilities(ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT));
    let rgbAuxOut: Buffer = EMPTY;
    while (blocks.length > 0) {
      const out = writeExtendedBuffer([encodeAuxBlocks(blocks)], { compress: false, xor: false, maxOut: Number.MAX_SAFE_INTEGER });
      if (out.length <= req.pcbAuxOut) {
        rgbAuxOut = out;
        break;
      }
      blocks.pop();
    }
    call.log.info({ user: authUser, icxr: session.icxr, client: clientVersion.join('.'), codePage }, 'EMSMDB session created');
    return {
      pcxh: handle,
      pcmsPollsMax: opts.pollsMax ?? CONNECT_POLLS_MAX,
      pcRetry: CONNECT_RETRY,
      pcmsRetryDelay: CONNECT_RETRY_DELAY,
      picxr: session.icxr,
      szDNPrefix: Buffer.from(opts.serverDn, 'latin1'),
      szDisplayName: str8(user.displayName || user.username, codePage),
      rgwServerVersion: serverWords,
      rgwBestVersion: [...req.rgwClientVersion],
      pulTimeStamp: session.timeStamp,
      rgbAuxOut,
      pcbAuxOut: rgbAuxOut.length,
      result: EMSMDB_EC.Success,
    };
  }

  async function rpcExt2(req: EcDoRpcExt2_in, call: CallContext): Promise<EcDoRpcExt2_out> {
    const start = Date.now();
    const session = sessionOf(sessions, call, req.pcxh);
    // the next request is here: the prediction stops; what it compressed serves this call's payloads that match
    const ahead = session.compressAhead;
    session.compressAhead = undefined;
    ahead?.stop();
    if (req.cbIn !== req.rgbIn.length || req.cbAuxIn !== req.rgbAuxIn.length) throw new RpcFault(FAULT.nca_s_fault_ndr, 'cbIn/cbAuxIn');
    // MS-OXCRPC 3.1.4.2: buffers too small to hold an RPC_HEADER_EXT
    if (req.cbIn < RPC_HEADER_EXT_SIZE || req.pcbOut < RPC_HEADER_EXT_SIZE) return failedRpc(req, EMSMDB_EC.RpcFailed, start);
    let payload: Buffer;
    try {
      // the request stub is ours and not read again: the XOR is undone in place
      [payload] = readExtendedBuffer(req.rgbIn, RGB_IN_LIMITS, true) as [Buffer];
      readAuxIn(req.rgbAuxIn);
    } catch (e) {
      call.log.info({ err: describeError(e) }, 'EcDoRpcExt2: malformed rgbIn or rgbAuxIn');
      return failedRpc(req, EMSMDB_EC.RpcFormat, start);
    }
    const flags = req.pulFlags;
    const maxOutput = Math.min(req.pcbOut - RPC_HEADER_EXT_SIZE, MAX_PAYLOAD_SIZE);
    let r: Awaited<ReturnType<typeof dispatchRopBuffer>>;
    try {
      r = await session.serialize(() =>
        dispatchRopBuffer(payload, {
          registry: registry(),
          state: session.rop,
          session,
          codePage: session.codePage,
          log: call.log,
          maxOutput,
        }),
      );
    } catch (e) {
      // a codec or the engine failed outside a handler: this call fails, the session and the process go on
      call.log.error({ err: describeError(e) }, 'EcDoRpcExt2: ROP processing failed');
      return failedRpc(req, EMSMDB_EC.RpcFailed, start);
    }
    session.lastUsed = Date.now();
    if (!r.ok) {
      call.log.info({ err: describeError(r.error) }, 'EcDoRpcExt2: malformed ROP buffer');
      return failedRpc(req, EMSMDB_EC.RpcFormat, start);
    }
    const payloads = [r.output];
    const compress = (flags & RPC_EXT2_FLAGS.NoCompression) === 0;
    // the bytes each payload travels as (compressed once, here or while chaining), for the pcbOut accounting
    const encoded = new Map<Uint8Array, Uint8Array>();
    if (compress && ahead) {
      const d = ahead.take(r.output);
      if (d) encoded.set(r.output, d);
    }
    let final = r.last;
    if (flags & RPC_EXT2_FLAGS.Chain && r.last) {
      try {
        final = await session.serialize(() => chainResponses(session, r.output, r.last!, payloads, req.pcbOut, call, compress, encoded, ahead));
      } catch (e) {
        call.log.error({ err: describeError(e) }, 'EcDoRpcExt2: chained response failed; sending what was built');
      }
    }
    // MS-OXCNOTIF 3.1.5.6 / 3.1.5.7: pending notifications as RopNotify (+ RopPending) after the ROP responses
    if (r.stopped !== 'bufferTooSmall' && session.hasPendingNotifications) deliverNotifications(session, payloads, req.pcbOut, call, encoded);
    let rgbOut: Buffer;
    try {
      rgbOut = writeExtendedBuffer(payloads, {
        compress,
        xor: (flags & RPC_EXT2_FLAGS.NoXorMagic) === 0,
        maxOut: req.pcbOut,
        encoded,
      });
    } catch (e) {
      call.log.error({ err: describeError(e) }, 'EcDoRpcExt2: response does not fit pcbOut');
      return failedRpc(req, EMSMDB_EC.RpcFailed, start);
    }
    if (ahead && (ahead.hits > 0 || ahead.misses > 0)) call.log.trace({ hits: ahead.hits, misses: ahead.misses }, 'EcDoRpcExt2: payloads compressed ahead');
    // A FastTransfer download goes on: compress what the same request will get next while the client reads this.
    // Predictions nobody uses (a client that interleaves downloads or changes its request) cost CPU: after 3 unused
    // in a row, only every 16th such call predicts, until one is used again.
    if (ahead && ahead.size > 0) session.compressAheadUnused = ahead.hits > 0 ? 0 : session.compressAheadUnused + 1;
    const downloading = compressAheadOn && compress && final !== undefined && final.codec.RopId === FT_SOURCE_GET_BUFFER && startChain(final) !== null;
    if (downloading && session.compressAheadUnused >= 3 && session.compressAheadUnused % 16 !== 0) {
      session.compressAheadUnused++; // skipped: counts towards the next try
    } else if (downloading) {
      const next = new CompressedAhead();
      session.compressAhead = next;
      void compressAhead(next, { rops: Buffer.from(payload), pcbOut: req.pcbOut, chain: (flags & RPC_EXT2_FLAGS.Chain) !== 0 }, {
        registry: registry(),
        state: session.rop,
        codePage: session.codePage,
        log: call.log,
      });
    }
    return {
      pcxh: req.pcxh,
      pulFlags: 0,
      rgbOut,
      pcbOut: rgbOut.length,
      rgbAuxOut: EMPTY,
      pcbAuxOut: 0,
      pulTransTime: Math.min(0xffffffff, Date.now() - start),
      result: EMSMDB_EC.Success,
    };
  }

  /**
   * Appends the session's queued notifications to the last payload of the reply, within what MAX_PAYLOAD_SIZE and
   * pcbOut leave; what does not fit goes back to the queue and a RopPending tells the client (notif-queue.ts).
   */
  function deliverNotifications(session: EmsmdbSession, payloads: Buffer[], pcbOut: number, call: CallContext, encoded: ReadonlyMap<Uint8Array, Uint8Array>): void {
    const queued = session.takeNotifications().filter(isQueuedNotification);
    if (queued.length === 0) return;
    const last = payloads.length - 1;
    // the payloads before the last as they travel (compressed while chaining), the last one as if incompressible
    const used = payloads.reduce((n, p, i) => n + RPC_HEADER_EXT_SIZE + (i < last ? (encoded.get(p) ?? p).length : p.length), 0);
    const room = Math.min(MAX_PAYLOAD_SIZE - payloads[last]!.length, pcbOut - used);
    const r = appendNotifications(payloads[last]!, queued, {
      room: Math.max(0, room),
      handleOf: (o) => session.rop.handles.handleOf(o),
      sessionIndex: session.icxr,
      codePage: session.codePage,
    });
    payloads[last] = r.output;
    if (r.rest.length > 0) session.requeue(r.rest);
    if (r.dropped > 0 || r.pending) call.log.debug({ sent: r.sent, left: r.rest.length, dropped: r.dropped }, 'EcDoRpcExt2: notifications');
  }

  /**
   * MS-OXCRPC 3.1.4.2 / 4.3 response chaining: further payloads, each the chained ROP run again on the output handle
   * table, while it has more to give and pcbOut has room. pcbOut bounds the bytes of rgbOut (3.1.4.2: the size of
   * the rgbOut buffer), and each payload is at most 32 KB uncompressed (3.1.4.2.1: "A single payload MUST NOT exceed
   * 32 KB in size"; SizeActual): so each payload is compressed as soon as it is made (kept in `encoded` for
   * writeExtendedBuffer) and counts with the bytes it travels as, while the next one may take at most the room left
   * uncompressed (it fits even if it does not compress at all). Compressible content (ICS streams) so fills rgbOut
   * with several times more payloads than counting uncompressed sizes did (as gromox does: exch/emsmdb
   * rop_processor.cpp chains RopReadStream / RopFastTransferSourceGetBuffer while the written, compressed rgbOut
   * leaves room, up to a payload count), at most MAX_CHAINED_PAYLOADS.
   */

  async function chainResponses(
    session: EmsmdbSession, first: Buffer, last: LastRop, payloads: Buffer[], pcbOut: number, call: CallContext,
    compress: boolean, encoded: Map<Uint8Array, Uint8Array>, ahead: CompressedAhead | undefined,
  ): Promise<LastRop> {
    const state = startChain(last);
    if (!state) return last;
    const size = (p: Buffer): number => {
      let d = encoded.get(p);
      if (!d) {
        d = (compress ? ahead?.take(p) : undefined) ?? payloadData(p, compress);
        encoded.set(p, d);
      }
      return d.length;
    };
    let used = RPC_HEADER_EXT_SIZE + size(first);
    let handles = splitRopBuffer(first).handles;
    let final = last;
    for (;;) {
      // a bound on what one reply holds uncompressed (runs of zeros compress ~300x): at most 2 MiB
      if (payloads.length >= MAX_CHAINED_PAYLOADS) return final;
      const room = Math.min(MAX_PAYLOAD_SIZE, pcbOut - used - RPC_HEADER_EXT_SIZE);
      const request = buildRopBuffer([nextChainedRequest(state, session.codePage)], handles);
      if (room < request.length + 16) return final;
      const r = await dispatchRopBuffer(request, { registry: registry(), state: session.rop, session, codePage: session.codePage, log: call.log, maxOutput: room });
      if (!r.ok || r.stopped || !chainedResponseUseful(r.last)) return final;
      payloads.push(r.output);
      final = r.last!;
      used += RPC_HEADER_EXT_SIZE + size(r.output);
      handles = splitRopBuffer(r.output).handles;
      if (!advanceChain(state, r.last)) return final;
    }
  }

  const O = EMSMDB_OPS;
  return defineInterface({
    name: EMSMDB.name,
    uuid: EMSMDB.uuid,
    version: { major: EMSMDB.major, minor: EMSMDB.minor },
    minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT,
    ops: {
      // MS-OXCRPC 3.1.4.3: the session ends; the handle comes back zeroed
      1: op({
        ...O[1],
        handle: (req, call) => {
          const s = sessionOf(sessions, call, req.pcxh);
          sessions.destroy(s);
          call.assocGroup.handles.close(req.pcxh);
          call.log.info({ user: s.authUser, icxr: s.icxr }, 'EMSMDB session ended');
          return { pcxh: NULL_HANDLE, result: EMSMDB_EC.Success };
        },
      }),
      // MS-OXCRPC 3.1.4.5: no UDP push notifications here (the client uses EcDoAsyncWaitEx or polls)
      4: op({
        ...O[4],
        handle: (req, call) => {
          sessionOf(sessions, call, req.pcxh);
          return { pcxh: req.pcxh, hNotification: 0, result: EMSMDB_EC.NotSupported };
        },
      }),
      // MS-OXCRPC 3.1.4.4
      6: op({ ...O[6], handle: () => ({ result: EMSMDB_EC.Success }) }),
      10: op({ ...O[10], handle: connect }),
      11: op({ ...O[11], handle: rpcExt2 }),
      // MS-OXCRPC 3.1.4.6: the ACXH AsyncEMSMDB's EcDoAsyncWaitEx takes
      14: op({
        ...O[14],
        handle: (req, call) => {
          const s = sessionOf(sessions, call, req.cxh);
          return { pacxh: { attributes: 0, uuid: sessions.bindAsync(s) }, result: EMSMDB_EC.Success };
        },
      }),
    },
  });
}
