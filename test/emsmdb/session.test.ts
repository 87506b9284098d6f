import { afterEach, describe, expect, it } from 'vitest';
import { compareVersions, normalizeVersion, parseVersion, SERVER_VERSION, versionWords } from '../../src/emsmdb/emsmdb.js';
import { SessionManager, type SessionInit } from '../../src/emsmdb/session.js';
import { silentLogger } from '../../src/util/log.js';
import { sessionInit } from './helpers.js';

const init = (authUser = 'Alice'): SessionInit => sessionInit({ authUser });

let managers: SessionManager[] = [];
afterEach(() => {
  for (const m of managers) m.close();
  managers = [];
});
function manager(over: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}, now?: () => number) {
  const m = new SessionManager({ maxSessionsPerUser: 2, maxObjectsPerSession: 10, sessionIdleSeconds: 60, ...over }, silentLogger(), now);
  managers.push(m);
  return m;
}

describe('EMSMDB versions (MS-OXCRPC 3.1.4.1.3)', () => {
  it('normalises both wire forms and writes the high-bit form', () => {
    expect(normalizeVersion([0x000c, 0x183e, 0x03e8])).toEqual([12, 0, 6206, 1000]);
    expect(normalizeVersion([0x0f00, 0x8000 | 4420, 1000])).toEqual([15, 0, 4420, 1000]);
    expect(versionWords(SERVER_VERSION)).toEqual([0x0e03, 0x807b, 0x0004]);
    expect(normalizeVersion(versionWords([14, 1, 218, 15]))).toEqual([14, 1, 218, 15]);
    expect(parseVersion('12.0')).toEqual([12, 0, 0, 0]);
    expect(() => parseVersion('x.1')).toThrow();
    expect(compareVersions([11, 0, 9999, 0], [12, 0, 0, 0])).toBeLessThan(0);
    expect(compareVersions([12, 0, 0, 1], [12, 0, 0, 0])).toBeGreaterThan(0);
  });
});

describe('SessionManager', () => {
  it('creates sessions with distinct picxr values and enforces the per-user limit case-insensitively', () => {
    const m = manager();
    const a = m.create(init('Alice'));
    const b = m.create(init('alice'));
    expect('session' in a && 'session' in b).toBe(true);
    if (!('session' in a) || !('session' in b)) return;
    expect(a.session.icxr).not.toBe(b.session.icxr);
    expect(m.create(init('ALICE'))).toEqual({ limit: 'perUser' });
    expect('session' in m.create(init('bob'))).toBe(true);
    m.destroy(a.session);
    expect(a.session.closed).toBe(true);
    expect('session' in m.create(init('alice'))).toBe(true);
  });

  it('expires idle sessions and releases their objects', () => {
    let t = 1_000_000;
    const m = manager({}, () => t);
    const r = m.create(init());
    if (!('session' in r)) throw new Error('no session');
    let disposed = false;
    r.session.rop.handles.add({ kind: 'logon', logonId: 0, parent: null, dispose: () => (disposed = true) });
    t += 59_000;
    expect(m.sweep()).toBe(0);
    expect(m.get(r.session.id)).toBe(r.session); // touches
    t += 59_000;
    expect(m.sweep()).toBe(0);
    t += 61_000;
    expect(m.sweep()).toBe(1);
    expect(m.get(r.session.id)).toBeUndefined();
    expect(disposed).toBe(true);
  });

  it('binds an async handle and the notification hook wakes a waiter; close wakes it too', async () => {
    const m = manager();
    const r = m.create(init());
    if (!('session' in r)) throw new Error('no session');
    const s = r.session;
    const acxh = m.bindAsync(s);
    expect(m.byAsyncHandle(acxh)).toBe(s);
    expect(await s.waitForNotification(20)).toBe(false);
    const w = s.waitForNotification(10_000);
    s.notify('n1');
    expect(await w).toBe(true);
    expect(await s.waitForNotification(10_000)).toBe(true); // still pending
    expect(s.takeNotifications()).toEqual(['n1']);
    const ac = new AbortController();
    const aborted = s.waitForNotification(10_000, ac.signal);
    ac.abort();
    expect(await aborted).toBe(false);
    const w2 = s.waitForNotification(10_000);
    m.destroy(s);
    expect(await w2).toBe(false);
    expect(m.byAsyncHandle(acxh)).toBeUndefined();
  });

  it('serializes calls of one session', async () => {
    const m = manager();
    const r = m.create(init());
    if (!('session' in r)) throw new Error('no session');
    const order: number[] = [];
    const p1 = r.session.serialize(async () => {
      await new Promise((res) => setTimeout(res, 20));
      order.push(1);
    });
    const p2 = r.session.serialize(async () => {
      order.push(2);
      throw new Error('x');
    });
    const p3 = r.session.serialize(async () => order.push(3));
    await p1;
    await expect(p2).rejects.toThrow('x');
    await p3;
    expect(order).toEqual([1, 2, 3]);
  });
});
