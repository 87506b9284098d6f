// The notification queue of an EMSMDB session (src/emsmdb/session.ts): what notify / requeue / takeNotifications do
// to the queue and to a waiting EcDoAsyncWaitEx (waitForNotification), and the queue's bound.
import { describe, expect, it } from 'vitest';
import { EmsmdbSession, MAX_PENDING_NOTIFICATIONS } from '../../src/emsmdb/session.js';
import { sessionInit } from './helpers.js';

const session = () => new EmsmdbSession(1, sessionInit({ authUser: 'alice', clientVersion: [14, 0, 4760, 1000] }), 100, Date.now());

describe('EMSMDB session notification queue', () => {
  it('a notification wakes a waiting EcDoAsyncWaitEx at once', async () => {
    const s = session();
    const t0 = Date.now();
    const w = s.waitForNotification(5000);
    setTimeout(() => s.notify({ n: 1 }), 20);
    expect(await w).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(s.takeNotifications()).toEqual([{ n: 1 }]);
    expect(s.hasPendingNotifications).toBe(false);
  });

  it('requeue puts what did not fit back ahead of newer ones and keeps the wait completing at once', async () => {
    const s = session();
    s.notify('a');
    s.notify('b');
    s.notify('c');
    const taken = s.takeNotifications();
    s.notify('d');
    s.requeue(taken.slice(1));
    expect(await s.waitForNotification(5000)).toBe(true);
    expect(s.takeNotifications()).toEqual(['b', 'c', 'd']);
  });

  it('the queue is bounded: the oldest go first and the overflow is counted', () => {
    const s = session();
    for (let i = 0; i < MAX_PENDING_NOTIFICATIONS + 10; i++) s.notify(i);
    const q = s.takeNotifications();
    expect(q).toHaveLength(MAX_PENDING_NOTIFICATIONS);
    expect(q[0]).toBe(10);
    expect(s.droppedNotifications).toBe(10);
  });

  it('a closed session takes no notifications and its wait ends without one', async () => {
    const s = session();
    const w = s.waitForNotification(5000);
    s.close();
    expect(await w).toBe(false);
    s.notify('late');
    s.requeue(['late']);
    expect(s.hasPendingNotifications).toBe(false);
  });
});
