// ConnectionAuth on its own: outcomes, rate limiting, and one log line per failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNtlmClient, type NtlmServerOptions } from '../../src/auth/index.js';
import { openConfiguredDirectory } from '../../src/directory/open.js';
import type { Directory, DirectoryAdmin } from '../../src/directory/types.js';
import { directoryLookup } from '../../src/server.js';
import { ConnectionAuth, type HttpAuthOptions } from '../../src/web/auth.js';
import { LoginRateLimiter } from '../../src/web/ratelimit.js';
import { PASSWORD, testConfig } from './helpers.js';

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function capture() {
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { log, lines, warns: () => lines.filter((l) => l.level >= 40) };
}

describe('ConnectionAuth', () => {
  let dataDir: string;
  let directory: DirectoryAdmin;
  let ntlm: NtlmServerOptions;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ocng-webauth-'));
    const config = testConfig(dataDir);
    directory = (await openConfiguredDirectory(config, pino({ level: 'silent' }), { scryptN: 1024 })).admin as DirectoryAdmin;
    await directory.addUser({ username: 'Carol', password: PASSWORD, smtpAddress: 'carol@test.local' });
    ntlm = {
      identity: { netbiosName: 'EXCH01', netbiosDomain: 'TEST', dnsHostName: 'exch01.test.local', dnsDomainName: 'test.local' },
      lookup: directoryLookup(directory),
      policy: { allowNtlmV1: false, maxClockSkewSeconds: 0 },
    };
  });
  afterAll(async () => {
    await directory?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function make(over: Partial<HttpAuthOptions> = {}, secure = true) {
    const c = capture();
    const limiter = new LoginRateLimiter({ maxPerAddress: 100, maxPerUser: 100, windowMs: 60_000 });
    const opts: HttpAuthOptions = {
      schemes: ['negotiate', 'ntlm', 'basic'],
      allowBasicOverHttp: false,
      realm: 'exch01',
      directory,
      ntlm,
      limiter,
      defaultDomain: 'TEST',
      ...over,
    };
    return { auth: new ConnectionAuth(opts, '192.0.2.9', secure, c.log), limiter, ...c };
  }
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('Basic: user name, DOMAIN\\user or SMTP address; the account name comes back lower-cased', async () => {
    const { auth, warns } = make();
    for (const name of ['carol', 'TEST\\Carol', 'carol@test.local']) {
      expect(await auth.check(`Basic ${b64(`${name}:${PASSWORD}`)}`)).toEqual({
        kind: 'ok',
        user: { username: 'carol', domain: 'TEST', method: 'basic' },
        header: null,
      });
    }
    expect(auth.user).toBeNull();
    expect(warns()).toEqual([]);
  });

  it('Basic: onBasicPassword hears each accepted password with the account name, never a refused one', async () => {
    const heard: [string, string][] = [];
    const { auth } = make({ onBasicPassword: (u, p) => heard.push([u, p]) });
    expect((await auth.check(`Basic ${b64(`TEST\\Carol:${PASSWORD}`)}`)).kind).toBe('ok');
    expect((await auth.check(`Basic ${b64('carol:wrong')}`)).kind).toBe('denied');
    expect((await auth.check(`Basic ${b64(`nobody:${PASSWORD}`)}`)).kind).toBe('denied');
    expect(heard).toEqual([['carol', PASSWORD]]);
  });

  it('logs each failure once, with the address, scheme and user, and counts it', async () => {
    const { auth, warns, limiter } = make();
    expect(await auth.check(`Basic ${b64('carol:wrong')}`)).toEqual({ kind: 'denied' });
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toMatchObject({ msg: 'HTTP authentication failed', peer: '192.0.2.9', scheme: 'basic', user: 'carol' });
    // an AUTHENTICATE-like token with no handshake before it
    expect(await auth.check(`NTLM ${Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1').toString('base64')}`)).toEqual({ kind: 'denied' });
    expect(warns()).toHaveLength(2);
    // a wrong NTLM password: one line, with the user name the client sent
    const client = createNtlmClient({ username: 'carol', password: 'wrong', domain: 'TEST' });
    const ch = await auth.check(`NTLM ${((await client.step(null)).token as Buffer).toString('base64')}`);
    expect(ch.kind).toBe('challenge');
    const challenge = Buffer.from((ch as { header: string }).header.slice(5), 'base64');
    expect(await auth.check(`NTLM ${((await client.step(challenge)).token as Buffer).toString('base64')}`)).toEqual({ kind: 'denied' });
    expect(warns()).toHaveLength(3);
    expect(warns()[2]).toMatchObject({ scheme: 'ntlm', user: 'carol' });
    expect(limiter.userBlockedFor('carol')).toBe(0);
  });

  it('NTLM binds the connection; a new NEGOTIATE_MESSAGE starts over', async () => {
    const { auth } = make();
    const client = createNtlmClient({ username: 'carol', password: PASSWORD, domain: 'TEST' });
    const ch = await auth.check(`NTLM ${((await client.step(null)).token as Buffer).toString('base64')}`);
    const challenge = Buffer.from((ch as { header: string }).header.slice(5), 'base64');
    const ok = await auth.check(`NTLM ${((await client.step(challenge)).token as Buffer).toString('base64')}`);
    expect(ok).toEqual({ kind: 'ok', user: { username: 'carol', domain: 'TEST', method: 'ntlm' }, header: null });
    expect(await auth.check(undefined)).toMatchObject({ kind: 'ok', user: { username: 'carol' } });
    const again = createNtlmClient({ username: 'carol', password: PASSWORD, domain: 'TEST' });
    expect((await auth.check(`NTLM ${((await again.step(null)).token as Buffer).toString('base64')}`)).kind).toBe('challenge');
    expect(auth.user).toBeNull();
    expect(await auth.check(undefined)).toEqual({ kind: 'denied' });
  });

  it('Basic over plain HTTP is not offered and not counted as a failed login', async () => {
    const { auth, limiter, warns } = make({}, false);
    expect(auth.offered()).toEqual(['Negotiate', 'NTLM']);
    expect(await auth.check(`Basic ${b64(`carol:${PASSWORD}`)}`)).toEqual({ kind: 'denied' });
    expect(warns()).toHaveLength(1);
    expect(limiter.addressBlockedFor('192.0.2.9')).toBe(0);
    const open = make({ allowBasicOverHttp: true }, false);
    expect(open.auth.offered()).toEqual(['Negotiate', 'NTLM', 'Basic realm="exch01"']);
    expect((await open.auth.check(`Basic ${b64(`carol:${PASSWORD}`)}`)).kind).toBe('ok');
  });

  it('a directory that cannot answer is an error (503), not a failed login', async () => {
    const broken: Directory = Object.create(directory) as Directory;
    broken.verifyPassword = () => Promise.reject(new Error('LDAP server unreachable'));
    const { auth, lines } = make({ directory: broken });
    expect(await auth.check(`Basic ${b64(`carol:${PASSWORD}`)}`)).toEqual({ kind: 'error' });
    expect(lines.filter((l) => l.level >= 50)).toHaveLength(1);
  });
});
