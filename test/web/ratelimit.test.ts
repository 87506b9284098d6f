import { describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../../src/web/ratelimit.js';

describe('login rate limiter', () => {
  it('blocks an address or a user after the limit until the oldest failure leaves the window', () => {
    let now = 1_000_000;
    const l = new LoginRateLimiter({ maxPerAddress: 3, maxPerUser: 2, windowMs: 60_000, now: () => now });
    l.failure('10.0.0.1', 'Bob');
    now += 10_000;
    expect(l.userBlockedFor('bob')).toBe(0);
    l.failure('10.0.0.2', 'bob');
    expect(l.userBlockedFor('BOB')).toBe(50_000);
    expect(l.userBlockedFor('alice')).toBe(0);
    expect(l.addressBlockedFor('10.0.0.1')).toBe(0);
    l.failure('10.0.0.1', null);
    l.failure('10.0.0.1', 'carol');
    expect(l.addressBlockedFor('10.0.0.1')).toBe(50_000);
    now += 40_000;
    expect(l.userBlockedFor('bob')).toBe(10_000);
    expect(l.addressBlockedFor('10.0.0.1')).toBe(10_000);
    now += 10_000;
    expect(l.userBlockedFor('bob')).toBe(0);
    expect(l.addressBlockedFor('10.0.0.1')).toBe(0);
  });

  it('limit 0 disables a dimension; memory stays bounded', () => {
    const l = new LoginRateLimiter({ maxPerAddress: 0, maxPerUser: 1, windowMs: 1000, maxEntries: 10 });
    for (let i = 0; i < 100; i++) l.failure('a', `u${i}`);
    expect(l.addressBlockedFor('a')).toBe(0);
    expect(l.userBlockedFor('u99')).toBeGreaterThan(0);
    expect(l.userBlockedFor('u0')).toBe(0);
  });
});
