// Failed HTTP logins counted per source address and per user name in a sliding window. Once either count reaches
// its limit, further attempts from that address / for that user are refused with 429 (Retry-After) without checking
// the credentials, until the oldest failure in the window ages out. Successes do not reset the counts (an attacker
// who knows one password must not unlock guessing another); the memory is bounded.

export interface RateLimitOptions {
  maxPerAddress: number;
  maxPerUser: number;
  windowMs: number;
  /** Most addresses and users tracked each (the oldest entries are dropped beyond it). */
  maxEntries?: number;
  now?: () => number;
}

class Window {
  private readonly map = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxEntries: number,
  ) {}

  private live(key: string, now: number): number[] {
    const list = this.map.get(key);
    if (!list) return [];
    while (list.length > 0 && (list[0] as number) <= now - this.windowMs) list.shift();
    if (list.length === 0) this.map.delete(key);
    return list;
  }

  /** Milliseconds until another attempt is allowed; 0 = allowed now. */
  blockedFor(key: string, now: number): number {
    if (this.limit <= 0) return 0;
    const list = this.live(key, now);
    if (list.length < this.limit) return 0;
    return Math.max(1, (list[list.length - this.limit] as number) + this.windowMs - now);
  }

  add(key: string, now: number): void {
    if (this.limit <= 0) return;
    const list = this.live(key, now);
    if (list.length === 0) {
      if (this.map.size >= this.maxEntries) {
        const oldest = this.map.keys().next().value;
        if (oldest !== undefined) this.map.delete(oldest);
      }
      this.map.set(key, list);
    }
    list.push(now);
    if (list.length > this.limit) list.shift();
  }
}

export class LoginRateLimiter {
  private readonly byAddress: Window;
  private readonly byUser: Window;
  private readonly now: () => number;

  constructor(opts: RateLimitOptions) {
    const max = opts.maxEntries ?? 100_000;
    this.byAddress = new Window(opts.maxPerAddress, opts.windowMs, max);
    this.byUser = new Window(opts.maxPerUser, opts.windowMs, max);
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds the address must wait; 0 = it may try. */
  addressBlockedFor(address: string): number {
    return this.byAddress.blockedFor(address, this.now());
  }

  /** Milliseconds the user name must wait; 0 = it may try. */
  userBlockedFor(user: string): number {
    return this.byUser.blockedFor(user.toLowerCase(), this.now());
  }

  failure(address: string, user: string | null): void {
    const now = this.now();
    this.byAddress.add(address, now);
    if (user) this.byUser.add(user.toLowerCase(), now);
  }
}
