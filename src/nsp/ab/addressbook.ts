// The address book of the server process: Minimal Entry IDs assigned once per DN and kept for the process lifetime
// (MS-OXNSPI 3.1.4.6: one server GUID, so the same MId in every session), a Snapshot rebuilt when the directory's
// generation moves (looked at no more than once per refresh interval), and a short-lived cache of the users'
// self-service data (certificates, delegates) that the snapshot does not hold.
import type { Directory, UserSelfService } from '../../directory/types.js';
import { isSupported } from '../../mapi/codepage.js';
import { describeError } from '../../util/errors.js';
import { randomGuid } from '../../util/guid.js';
import type { Logger } from '../../util/log.js';
import { MID_FIRST_OBJECT } from './constants.js';
import type { AbEntry } from './entry.js';
import type { SelfServiceView } from './props.js';
import { Snapshot, type SpecialObjects } from './snapshot.js';

export interface NspiLimits {
  /** Most rows one NspiQueryRows returns (the client pages on). */
  maxRowsPerCall: number;
  /** Most property tags one call may ask for ("excessive", MS-OXNSPI 3.1.4.1.7 constraint 6). */
  maxPropTags: number;
  /** Largest Explicit Table NspiGetMatches builds (3.1.4.1.10 constraint 17). */
  maxExplicitTable: number;
}

export const DEFAULT_LIMITS: NspiLimits = { maxRowsPerCall: 5000, maxPropTags: 1000, maxExplicitTable: 100_000 };

export interface AddressBookOptions {
  directory: Directory;
  special: SpecialObjects;
  /** The NSPI server GUID (NspiBind pServerGuid, Ephemeral Entry IDs); random per process by default. */
  serverGuid?: string;
  /** Code pages accepted for PT_STRING8 (default: what src/mapi/codepage.ts converts). */
  isSupportedCodePage?: (cp: number) => boolean;
  /** How often at most the directory's generation is looked at (ms). */
  refreshIntervalMs?: number;
  /** How long self-service data (certificates, delegates) is reused (ms). */
  selfServiceTtlMs?: number;
  limits?: Partial<NspiLimits>;
  now?: () => number;
  log?: Logger;
}

interface Cached<T> {
  value: T;
  at: number;
}

export class AddressBook {
  readonly serverGuid: string;
  readonly directory: Directory;
  readonly limits: NspiLimits;
  readonly isSupportedCodePage: (cp: number) => boolean;
  private readonly special: SpecialObjects;
  private readonly mids = new Map<string, number>();
  private nextMid = MID_FIRST_OBJECT;
  private snap: Snapshot | null = null;
  private generation: number | null = null;
  private lastCheck = -Infinity;
  private pending: Promise<Snapshot> | null = null;
  private readonly refreshMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private readonly selfCache = new Map<string, Cached<UserSelfService | null>>();
  private backlinks: Cached<Map<string, string[]>> | null = null;

  constructor(opts: AddressBookOptions) {
    this.directory = opts.directory;
    this.special = opts.special;
    this.serverGuid = (opts.serverGuid ?? randomGuid()).toLowerCase();
    this.isSupportedCodePage = opts.isSupportedCodePage ?? isSupported;
    this.refreshMs = opts.refreshIntervalMs ?? 1000;
    this.ttlMs = opts.selfServiceTtlMs ?? 30_000;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? (() => performance.now());
    this.log = opts.log;
  }

  /** The MId of a DN key: assigned on first sight, the same for the rest of the process. */
  private allocate = (key: string): number => {
    let m = this.mids.get(key);
    if (m === undefined) {
      m = this.nextMid++;
      this.mids.set(key, m);
    }
    return m;
  };

  /** The current snapshot; rebuilt first when the directory's generation moved since the last look. */
  snapshot(): Promise<Snapshot> {
    if (this.snap && this.now() - this.lastCheck < this.refreshMs) return Promise.resolve(this.snap);
    return (this.pending ??= this.refresh().finally(() => {
      this.pending = null;
    }));
  }

  /** Forces a generation check now (tests, start-up). */
  async load(): Promise<Snapshot> {
    this.lastCheck = -Infinity;
    return this.snapshot();
  }

  private async refresh(): Promise<Snapshot> {
    try {
      const gen = await this.directory.generation();
      this.lastCheck = this.now();
      if (this.snap && gen === this.generation) return this.snap;
      const [users, groups, contacts] = await Promise.all([
        this.directory.listUsers(),
        this.directory.listGroups(),
        this.directory.listContacts(),
      ]);
      const t0 = this.now();
      this.snap = new Snapshot({ users, groups, contacts }, this.special, this.allocate);
      this.generation = gen;
      this.selfCache.clear();
      this.backlinks = null;
      this.log?.debug({ entries: this.snap.entries.length, ms: Math.round(this.now() - t0), generation: gen }, 'address book built');
      return this.snap;
    } catch (e) {
      this.lastCheck = this.now();
      if (this.snap) {
        this.log?.warn({ err: describeError(e) }, 'address book refresh failed; serving the previous snapshot');
        return this.snap;
      }
      throw e;
    }
  }

  /** Forgets cached self-service data (after this process changed it). */
  invalidateSelfService(username?: string): void {
    if (username === undefined) this.selfCache.clear();
    else this.selfCache.delete(username.toLowerCase());
    this.backlinks = null;
  }

  private async selfService(username: string): Promise<UserSelfService | null> {
    const key = username.toLowerCase();
    const c = this.selfCache.get(key);
    if (c && this.now() - c.at < this.ttlMs) return c.value;
    let value: UserSelfService | null;
    try {
      value = await this.directory.getSelfService(username);
    } catch (e) {
      this.log?.warn({ err: describeError(e), username }, 'self-service data unreadable');
      value = null;
    }
    this.selfCache.set(key, { value, at: this.now() });
    return value;
  }

  /** Loads the self-service data that reading the given entries needs, and a view of it for the property getters. */
  async prefetch(snap: Snapshot, entries: Iterable<AbEntry>, needs: { user: boolean; backlinks: boolean }): Promise<SelfServiceView> {
    const loaded = new Map<string, UserSelfService | null>();
    if (needs.user) {
      const names: string[] = [];
      for (const e of entries) if (e.username && !loaded.has(e.username.toLowerCase())) names.push(e.username);
      const values = await Promise.all(names.map((n) => this.selfService(n)));
      names.forEach((n, i) => loaded.set(n.toLowerCase(), values[i] ?? null));
    }
    let delegators: Map<string, string[]> | null = null;
    if (needs.backlinks) {
      if (!this.backlinks || this.now() - this.backlinks.at >= this.ttlMs) {
        const map = new Map<string, string[]>();
        const users = snap.entries.filter((e) => e.username);
        const values = await Promise.all(users.map((e) => this.selfService(e.username as string)));
        users.forEach((e, i) => {
          for (const d of values[i]?.delegates ?? []) {
            const k = d.toLowerCase();
            const l = map.get(k);
            if (l) l.push(e.username as string);
            else map.set(k, [e.username as string]);
          }
        });
        this.backlinks = { value: map, at: this.now() };
      }
      delegators = this.backlinks.value;
    }
    return {
      of: (u) => loaded.get(u.toLowerCase()),
      delegatorsOf: (u) => (delegators ? (delegators.get(u.toLowerCase()) ?? []) : undefined),
    };
  }
}
