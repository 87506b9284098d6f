// IMAP storage quotas (RFC 9208 QUOTA, formerly RFC 2087; Dovecot's quota + imap_quota plugins; docs/imap.md "Quota"):
// what a refused APPEND or COPY over quota looks like, the reader of GETQUOTAROOT's QUOTA responses (outside bytes:
// a malformed answer is a QuotaError with a stable code, never a RangeError), the per-mailbox cache of the user's
// quota, and the store object's properties it gives Outlook (withQuota, used by ImapMailbox.storeProps).
//
// Choices where the specs leave room:
// - an answer is "over quota" when its response code is OVERQUOTA (RFC 5530 3, which RFC 9208 4.3 names for this), or
//   when it has no code or ALERT and its text speaks of a quota (older servers: Dovecot 1.x and Courier answer
//   `NO [ALERT] ... quota`, old Cyrus `NO Over quota`). Every other NO is what it was (OC_IMAP_APPEND, OC_IMAP_COPY).
// - the quota shown is INBOX's (`GETQUOTAROOT INBOX`): mail Outlook stores lands in the user's personal namespace, whose
//   quota root is INBOX's on every server seen (Dovecot "User quota", Cyrus "user.<name>"). Of several roots with a
//   STORAGE resource the one with the least room left counts (it is the one that refuses first). Other resources
//   (MESSAGE, MAILBOX, ANNOTATION-STORAGE) are not shown: MS-OXCSTOR has properties for storage only.
// - the answer is kept for `maxAgeMs` (default 60 s). A read after that gets the kept answer at once and starts a
//   refresh in the background (never more than one GETQUOTAROOT in flight per mailbox). Without an answer yet (the
//   first read, or the first after a refusal over quota, invalidate) one read, and only one, waits for the server, at
//   most `firstWaitMs` (default 5 s): a GETQUOTAROOT queued behind a pool whose connections are all busy (the first
//   mirror at logon) may take up to imap.timeoutSeconds, and every read waiting 5 s for it would slow Outlook down.
//   Every other read while the answer is pending gets at once what is known (nothing at first: the properties as
//   without a quota; after invalidate the answer before it); the answer is used as soon as it arrives. A read of all
//   properties (no tags: RopGetPropertiesAll / List) never waits. A refusal over quota while a GETQUOTAROOT runs asks
//   once more after it (that answer may be older than the refusal). A server without QUOTA, or a GETQUOTAROOT that
//   fails, gives no quota (the store object's properties stay as they are without one); the failure is logged (warn)
//   and asked again after `maxAgeMs`, never thrown at a property read.
import type { ImapFlow } from 'imapflow';
import { propId, type PropValue } from '../../../mapi/props.js';
import type { Logger } from '../../../util/log.js';
import { SEC, StoreError } from '../../errors.js';
import { pickProps } from '../../proppick.js';
import { TAG } from '../../tags.js';
import type { PropResult } from '../../types.js';
import type { RawUntagged } from './acl.js';
import { rawCommand, str } from './command.js';
import type { ImapPool } from './pool.js';

export class QuotaError extends Error {
  constructor(readonly code: 'OC_IMAP_QUOTA_PARSE', message: string) {
    super(message);
    this.name = 'QuotaError';
  }
}

/** One resource of a quota root (RFC 9208 5.1): usage and limit in the resource's unit (STORAGE: KiB). */
export interface QuotaResource {
  usage: number;
  limit: number;
}

/** The user's storage quota as the store object shows it: KiB, as RFC 9208 STORAGE and MS-OXCSTOR count. */
export interface StorageQuota {
  /** The quota root it comes from (e.g. Dovecot's "User quota"). */
  root: string;
  usageKb: number;
  limitKb: number;
}

/** Dovecot appends the time a command took to its tagged answers ("... (0.001 + 0.000 secs)."): not part of the reason. */
const TIMING = /\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?\s*$/;

/** The server's text of a refusal, without Dovecot's timing. */
export function refusalText(text: string | undefined): string {
  return (text ?? '').replace(TIMING, '').trim();
}

/** True when a NO answer (response code, text) means "over quota" (see the choices above). */
export function isOverQuota(code: string | undefined, text: string | undefined): boolean {
  const c = (code ?? '').toUpperCase();
  if (c === 'OVERQUOTA') return true;
  return (c === '' || c === 'ALERT') && /quota/i.test(text ?? '');
}

/** True for an imapflow command error (APPEND's) that is a refusal over quota. */
export function isQuotaRefusal(e: unknown): boolean {
  const err = e as { responseStatus?: string; serverResponseCode?: string; responseText?: string } | null;
  return !!err && err.responseStatus === 'NO' && isOverQuota(err.serverResponseCode, err.responseText);
}

/**
 * The StoreError of a refusal over quota (ecQuotaExceeded): names the user and the mailbox, with the server's answer;
 * its message is what a non-delivery report gives as the reason.
 */
export function quotaError(user: string, mailbox: string, command: string, answer: { code?: string; text?: string }): StoreError {
  const text = refusalText(answer.text);
  const said = [answer.code, text].filter(Boolean).join(' ');
  return new StoreError(
    'OC_IMAP_QUOTA',
    SEC.QuotaExceeded,
    `the mailbox of ${user} is full: the IMAP server refused ${command} to ${mailbox}${said ? ` (${said})` : ''}`,
    { user, mailbox, imapCode: answer.code ?? null },
  );
}

function atomText(a: unknown, what: string): string {
  const v = (a as { value?: unknown } | null | undefined)?.value;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new QuotaError('OC_IMAP_QUOTA_PARSE', `${what} is not an atom or string`);
}

/** RFC 9208 4.2.1 number64: at most 63 bits; larger values are kept as the largest safe integer. */
function number64(a: unknown, what: string): number {
  const s = atomText(a, what);
  if (!/^\d{1,19}$/.test(s)) throw new QuotaError('OC_IMAP_QUOTA_PARSE', `${what} is not a number`);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** RFC 9208 5.1 `* QUOTA <root> (<resource> <usage> <limit> ...)`: resource name (upper case) -> usage and limit. */
export function parseQuotaResponse(u: RawUntagged): { root: string; resources: Map<string, QuotaResource> } {
  const a = u.attributes;
  if (!Array.isArray(a) || a.length < 2) throw new QuotaError('OC_IMAP_QUOTA_PARSE', 'QUOTA response needs a root and a resource list');
  const root = atomText(a[0], 'QUOTA root');
  const list = a[1];
  if (!Array.isArray(list)) throw new QuotaError('OC_IMAP_QUOTA_PARSE', 'QUOTA resource list is not a list');
  if (list.length % 3 !== 0) throw new QuotaError('OC_IMAP_QUOTA_PARSE', 'QUOTA resource list is not (name usage limit) triples');
  const resources = new Map<string, QuotaResource>();
  for (let i = 0; i < list.length; i += 3) {
    const name = atomText(list[i], 'QUOTA resource name').toUpperCase();
    resources.set(name, { usage: number64(list[i + 1], `${name} usage`), limit: number64(list[i + 2], `${name} limit`) });
  }
  return { root, resources };
}

/** Of QUOTA responses, the STORAGE quota with the least room left (null when none has STORAGE). */
export function storageQuota(responses: readonly RawUntagged[]): StorageQuota | null {
  let best: StorageQuota | null = null;
  for (const u of responses) {
    const { root, resources } = parseQuotaResponse(u);
    const s = resources.get('STORAGE');
    if (!s) continue;
    if (!best || s.limit - s.usage < best.limitKb - best.usageKb) best = { root, usageKb: s.usage, limitKb: s.limit };
  }
  return best;
}

/** RFC 9208 7: the server has QUOTA (the bare RFC 2087 token, or only its QUOTA=RES-* resource types). */
export function hasQuota(client: ImapFlow): boolean {
  return client.capabilities.has('QUOTA') || [...client.capabilities.keys()].some((c) => c.startsWith('QUOTA=RES-'));
}

/** GETQUOTAROOT INBOX: the STORAGE quota, or null (no QUOTA capability, or no STORAGE limit). */
export async function readStorageQuota(client: ImapFlow): Promise<StorageQuota | null> {
  if (!hasQuota(client)) return null;
  const got = await rawCommand(client, 'GETQUOTAROOT', [str('INBOX')], ['QUOTA']);
  return storageQuota(got);
}

export interface ImapQuotaOptions {
  pool: ImapPool;
  username: string;
  log: Logger;
  /** How long an answer is kept (default 60 s). */
  maxAgeMs?: number;
  /** How long the first read waits for the server's answer (default 5 s). */
  firstWaitMs?: number;
  /** True while the IMAP server is known to be away (no GETQUOTAROOT then). */
  down?: () => boolean;
  /** The clock (tests). */
  now?: () => number;
  /** Replaces the GETQUOTAROOT (tests). */
  read?: () => Promise<StorageQuota | null>;
}

/** The cached storage quota of one user's mailbox (see the choices above). */
export class ImapQuota {
  private value: StorageQuota | null = null;
  /** When `value` was read (or the read failed); null: never. */
  private at: number | null = null;
  private running: Promise<StorageQuota | null> | null = null;
  /**
   * The one wait for the answer asked since the start or the last invalidate(): reads that come while it lasts share
   * it (none waits past its end); `waited` once it is over, after which no read waits until the next invalidate().
   */
  private window: Promise<void> | null = null;
  private waited = false;
  /** invalidate() came while a GETQUOTAROOT ran (its answer may predate the refusal): one more follows it. */
  private again = false;
  private closed = false;
  private readonly maxAgeMs: number;
  private readonly firstWaitMs: number;
  private readonly now: () => number;
  private noQuotaLogged = false;

  constructor(private readonly o: ImapQuotaOptions) {
    this.maxAgeMs = o.maxAgeMs ?? 60_000;
    this.firstWaitMs = o.firstWaitMs ?? 5_000;
    this.now = o.now ?? Date.now;
  }

  /**
   * The quota to show now: the kept answer while it is fresh; a stale one at once (a refresh starts in the
   * background); with none yet, the server's answer, waited for at most `firstWaitMs` once (the reads that come
   * meanwhile share that wait; a pool whose connections are all busy must not hold property reads up: the answer then
   * comes for a later read), after which every read gets what is known at once. `wait: false` (a read of all
   * properties) never waits. Never rejects: null means "no quota known".
   */
  async current(opts: { wait?: boolean } = {}): Promise<StorageQuota | null> {
    if (this.at !== null) {
      if (this.now() - this.at >= this.maxAgeMs) void this.refresh();
      return this.value;
    }
    const answer = this.refresh();
    // nothing asked (server away, mailbox closed), no waiting wanted, or the one wait for this answer is over
    if (!this.running || opts.wait === false || this.waited) return this.value;
    this.window ??= this.waitFor(answer);
    await this.window;
    return this.value;
  }

  /** The one wait for `answer`: over when it comes or after `firstWaitMs`, whichever is first. */
  private waitFor(answer: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      let over = false;
      const end = (): void => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        this.waited = true;
        this.window = null;
        resolve();
      };
      const timer = setTimeout(end, this.firstWaitMs);
      timer.unref();
      void answer.then(end);
    });
  }

  /** Asks the server now (joining a request under way); resolves with the answer kept (never rejects). */
  refresh(): Promise<StorageQuota | null> {
    if (this.closed || this.o.down?.()) return Promise.resolve(this.value);
    this.running ??= this.read().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  /** The kept answer is out of date (a refusal over quota): asked again at once, in the background. */
  invalidate(): void {
    this.at = null;
    this.waited = false;
    if (this.running) this.again = true;
    void this.refresh();
  }

  /** No more requests (the mailbox closes). */
  close(): void {
    this.closed = true;
  }

  private async read(): Promise<StorageQuota | null> {
    const where = { user: this.o.username };
    try {
      const q = this.o.read ? await this.o.read() : await this.o.pool.run(this.o.username, readStorageQuota);
      this.value = q;
      if (!q && !this.noQuotaLogged) {
        this.noQuotaLogged = true;
        this.o.log.debug(where, 'IMAP server has no QUOTA capability or no STORAGE quota for INBOX: the store object shows no quota');
      }
    } catch (e) {
      // the last answer stays (a server that stopped answering GETQUOTAROOT keeps showing what it said before)
      this.o.log.warn({ ...where, code: (e as { code?: string }).code, err: (e as Error).message }, 'IMAP GETQUOTAROOT failed: the store object shows the quota known before, if any');
    }
    // an answer asked before an invalidate() is not taken as the fresh one (another GETQUOTAROOT follows)
    if (!this.again) this.at = this.now();
    return this.value;
  }
}

// MS-OXCSTOR 2.2.2.1.1.3 PidTagProhibitReceiveQuota, MS-OXPROPS PidTagProhibitSendQuota: KiB; PidTagStorageQuotaLimit
// (Exchange's PR_STORAGE_QUOTA_LIMIT, which Outlook reads as the warning level: its offline copy PR_QUOTA_WARNING "maps
// to PR_STORAGE_QUOTA_LIMIT", MAPI constants of the Outlook MAPI reference): KiB; MS-OXPROPS 2.798
// PidTagMessageSizeExtended on the store: the mailbox's size in bytes
export const PidTagProhibitReceiveQuota = TAG.ProhibitReceiveQuota;
export const PidTagProhibitSendQuota = TAG.ProhibitSendQuota;
export const PidTagStorageQuotaLimit = TAG.StorageQuotaLimit;
export const PidTagMessageSizeExtended = TAG.MessageSizeExtended;
const QUOTA_IDS = new Set([PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit, PidTagMessageSizeExtended].map((t) => propId(t)));

/** True when a property read of the store object names a property the quota gives. */
export function asksQuota(tags: readonly number[]): boolean {
  return tags.some((t) => QUOTA_IDS.has(propId(t)));
}

/** The levels of the three limits, in percent of the IMAP STORAGE limit (imap.quotaWarningPercent, quotaSendPercent). */
export interface QuotaLevels {
  /** PidTagStorageQuotaLimit, Outlook's "almost full" warning (default 100; above the send level: the send level). */
  warningPercent?: number;
  /** PidTagProhibitSendQuota, where sending stops (default 100). */
  sendPercent?: number;
}

/**
 * `percent` of `kb`, rounded down, as a PtypInteger32 (at most 0x7FFFFFFF); at least 1 KiB of a quota that has any (0
 * would read as "no limit" where the send limit is checked).
 */
function share(kb: number, percent: number): number {
  const v = Math.min(Math.floor((kb * percent) / 100), 0x7fffffff);
  return kb > 0 ? Math.max(v, 1) : v;
}

/**
 * The store object's property results `r` (for `tags`, or all of them) with the quota's: PidTagProhibitReceiveQuota
 * the STORAGE limit in KiB, PidTagProhibitSendQuota and PidTagStorageQuotaLimit their share of it (`levels`; at most
 * 0x7FFFFFFF, PtypInteger32), PidTagMessageSizeExtended the usage in bytes. Other results stay.
 */
export function withQuota(r: readonly PropResult[], tags: readonly number[] | undefined, q: StorageQuota, levels: QuotaLevels = {}): PropResult[] {
  const quota = new Map<number, PropValue>([
    [PidTagProhibitReceiveQuota, share(q.limitKb, 100)],
    [PidTagProhibitSendQuota, share(q.limitKb, levels.sendPercent ?? 100)],
    [PidTagStorageQuotaLimit, share(q.limitKb, Math.min(levels.warningPercent ?? 100, levels.sendPercent ?? 100))],
    [PidTagMessageSizeExtended, BigInt(q.usageKb) * 1024n],
  ]);
  if (!tags) return [...r.filter((x) => !quota.has(x.tag >>> 0)), ...pickProps(quota)];
  return r.map((x, i) => {
    const tag = tags[i]!;
    if (!QUOTA_IDS.has(propId(tag))) return x;
    const [y] = pickProps(quota, [tag]);
    return y && 'value' in y ? y : x;
  });
}
