// Shared pieces for the EMSMDB tests: fixtures, fast-check settings, mutations, "a value or a coded error"; a session
// user and SessionInit; the client side of EcDoConnectEx and EcDoRpcExt2 over an RpcClient.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createNtlmServer } from '../../src/auth/index.js';
import { ntHash } from '../../src/auth/md4.js';
import type { RpcClient } from '../../src/dcerpc/client.js';
import { AUTHN } from '../../src/dcerpc/constants.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import type { DirectoryUser } from '../../src/directory/types.js';
import { EcDoConnectEx_in, EcDoConnectEx_out, EcDoRpcExt2_in, EcDoRpcExt2_out } from '../../src/emsmdb/idl.js';
import type { SessionInit } from '../../src/emsmdb/session.js';
import type { ContextHandle } from '../../src/ndr/index.js';
import { ProtocolError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';

export const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 400) };

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/emsmdb/${name}`, import.meta.url), 'utf8')) as T;
}

export const hex = (s: string) => Buffer.from(s, 'hex');

/** Runs f; passes on a value or a ProtocolError of one of `classes` carrying an OC_ code, fails on anything else. */
export function valueOrCodedError(f: () => unknown, ...classes: Array<abstract new (...a: any[]) => ProtocolError>): unknown {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProtocolError) || !/^OC_[A-Z0-9_]+$/.test(e.code)) throw e;
    if (classes.length && !classes.some((c) => e instanceof c)) throw e;
    return e;
  }
}

/** The code of the error f throws (fails the test if it does not throw a ProtocolError). */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  throw new Error('expected a ProtocolError, got a value');
}

/** A valid message with bytes overwritten, truncated, extended or a 16/32-bit field set to an extreme value. */
export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const flips = fc.array(fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
  const field = fc.tuple(fc.nat({ max: Math.max(0, base.length - 4) }), fc.constantFrom(0, 1, 7, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0xffffffff, base.length));
  return fc.oneof(
    flips.map((fs) => {
      const b = Buffer.from(base);
      for (const [i, v] of fs) if (i < b.length) b[i] = v;
      return b;
    }),
    fc.nat({ max: base.length }).map((n) => base.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((x) => Buffer.concat([base, x])),
    field.map(([at, v]) => {
      const b = Buffer.from(base);
      if (b.length < at + 4) return b;
      if (v > 0xffff) b.writeUInt32LE(v >>> 0, at);
      else b.writeUInt16LE(v, at);
      return b;
    }),
  );
}

/** xorshift32: cheap deterministic bytes for large generated buffers (fast-check picks the seed and shape). */
export function prng(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Alice as the directory hands her to an EMSMDB session. */
export const SESSION_USER: DirectoryUser = {
  id: 1,
  username: 'alice',
  displayName: 'Alice',
  smtpAddress: 'alice@x',
  legacyExchangeDN: '/o=x/ou=y/cn=Recipients/cn=alice',
  enabled: true,
  attributes: {},
  proxyAddresses: [],
};

/** A SessionInit for SESSION_USER (Outlook 2007, code page 1252); `over` replaces fields. */
export const sessionInit = (over: Partial<SessionInit> = {}): SessionInit => ({
  user: SESSION_USER,
  authUser: 'Alice',
  codePage: 1252,
  lcidString: 0x409,
  lcidSort: 0x409,
  clientVersion: [12, 0, 6206, 1000],
  connectFlags: 0,
  ...over,
});

/** rgwClientVersion wire forms (MS-OXCRPC 3.1.4.1.3): Outlook 2007 12.0.6206.1000, Outlook 2010 14.0.4760.1000. */
export const OUTLOOK_2007 = [0x000c, 0x183e, 0x03e8];
export const OUTLOOK_2010 = [0x0e00, 0x8000 | 4760, 1000];

/** EcDoConnectEx (opnum 10) for `dn` as client `version`; the decoded response, unchecked. */
export async function connectEx(c: RpcClient, dn: string, version = OUTLOOK_2007, opts: { pcbAuxOut?: number; ulConMod?: number } = {}) {
  const stub = EcDoConnectEx_in.encode({
    szUserDN: Buffer.from(dn, 'latin1'),
    ulFlags: 0,
    ulConMod: opts.ulConMod ?? 0,
    cbLimit: 0,
    ulCpid: 1252,
    ulLcidString: 0x409,
    ulLcidSort: 0x409,
    ulIcxrLink: 0xffffffff,
    usFCanConvertCodePages: 1,
    rgwClientVersion: version,
    pulTimeStamp: 0,
    rgbAuxIn: Buffer.alloc(0),
    cbAuxIn: 0,
    pcbAuxOut: opts.pcbAuxOut ?? 0x1008,
  });
  return EcDoConnectEx_out.decode(await c.call(10, stub));
}

/** EcDoRpcExt2 (opnum 11) carrying `rgbIn`; the decoded response, unchecked. */
export async function rpcExt2(c: RpcClient, cxh: ContextHandle, rgbIn: Buffer, opts: { flags?: number; pcbOut?: number; pcbAuxOut?: number } = {}) {
  const stub = EcDoRpcExt2_in.encode({
    pcxh: cxh,
    pulFlags: opts.flags ?? 0,
    rgbIn,
    cbIn: rgbIn.length,
    pcbOut: opts.pcbOut ?? 0x40000,
    rgbAuxIn: Buffer.alloc(0),
    cbAuxIn: 0,
    pcbAuxOut: opts.pcbAuxOut ?? 0x1008,
  });
  return EcDoRpcExt2_out.decode(await c.call(11, stub));
}

/** The NTLM server identity of ntlmTestServer unless told otherwise. */
const TEST_IDENTITY = { netbiosName: 'EXCH01', netbiosDomain: 'T', dnsHostName: 'exch01.t', dnsDomainName: 't' };

/** An RPC server (no interfaces yet) that authenticates one user by NTLM (socket tests and benches). */
export function ntlmTestServer(user: { username: string; password: string }, identity = TEST_IDENTITY): RpcServer {
  const hash = ntHash(user.password);
  return new RpcServer({
    log: silentLogger(),
    authenticators: (type) =>
      type === AUTHN.RPC_C_AUTHN_WINNT
        ? createNtlmServer({
            identity,
            lookup: async (u) => (u.toLowerCase() === user.username ? { username: user.username, ntHash: hash } : null),
            policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 },
          })
        : null,
    limits: { maxFragmentSize: 5840, maxRequestSize: 1 << 24, maxCallsPerConnection: 16 },
    maxConnections: 10,
    maxAssociationGroups: 10,
    idleTimeoutSeconds: 0,
  });
}
