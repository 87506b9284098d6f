// IMAP quotas without a server (src/mapistore/backends/imap/quota.ts): which NO answers are "over quota", the error the
// write-back throws for them (ecQuotaExceeded), the reader of RFC 9208 QUOTA responses (arbitrary input gives a value
// or a coded QuotaError), the choice among quota roots, the store object's quota properties, and the cache: one
// GETQUOTAROOT per minute, a stale answer served at once while a refresh runs, a refusal refreshing at once, failures
// and an unreachable server never thrown at a property read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  ImapQuota, PidTagMessageSizeExtended, PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit, QuotaError, asksQuota,
  isOverQuota, isQuotaRefusal, parseQuotaResponse, quotaError, refusalText, storageQuota, withQuota, type StorageQuota,
} from '../../src/mapistore/backends/imap/quota.js';
import type { ImapPool } from '../../src/mapistore/backends/imap/pool.js';
import { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { MAPI_E } from '../../src/mapi/props.js';

const a = (value: string) => ({ type: 'ATOM', value });
const quota = (root: string, ...triples: [string, string, string][]) => ({ command: 'QUOTA', attributes: [a(root), triples.flat().map(a)] });

describe('refusals over quota', () => {
  it('OVERQUOTA, or ALERT / no code with a text about a quota, and nothing else', () => {
    expect(isOverQuota('OVERQUOTA', 'Quota exceeded (mailbox for user is full)')).toBe(true);
    expect(isOverQuota('overquota', '')).toBe(true);
    expect(isOverQuota('ALERT', 'You exceeded your mail quota.')).toBe(true); // Courier
    expect(isOverQuota(undefined, 'Over quota')).toBe(true); // old Cyrus
    expect(isOverQuota('ALERT', 'Server shutting down')).toBe(false);
    expect(isOverQuota('NOPERM', 'quota of rights')).toBe(false);
    expect(isOverQuota('TRYCREATE', 'Mailbox does not exist')).toBe(false);
    expect(isOverQuota(undefined, undefined)).toBe(false);
  });

  it('imapflow command errors: a NO over quota, not a BAD or another NO', () => {
    expect(isQuotaRefusal({ responseStatus: 'NO', serverResponseCode: 'OVERQUOTA', responseText: 'Quota exceeded' })).toBe(true);
    expect(isQuotaRefusal({ responseStatus: 'BAD', serverResponseCode: 'OVERQUOTA' })).toBe(false);
    expect(isQuotaRefusal({ responseStatus: 'NO', serverResponseCode: 'NOPERM', responseText: 'no insert right' })).toBe(false);
    expect(isQuotaRefusal(new Error('socket closed'))).toBe(false);
    expect(isQuotaRefusal(null)).toBe(false);
  });

  it('the error: ecQuotaExceeded, naming the user and the mailbox with the server\'s answer without Dovecot\'s timing', () => {
    expect(refusalText('Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).')).toBe('Quota exceeded (mailbox for user is full)');
    expect(refusalText('Quota exceeded (0.001 + 0.000 + 0.001 secs).')).toBe('Quota exceeded');
    const e = quotaError('carol', 'INBOX', 'APPEND', { code: 'OVERQUOTA', text: 'Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).' });
    expect(e).toBeInstanceOf(StoreError);
    expect(e).toMatchObject({ code: 'OC_IMAP_QUOTA', ec: 0x000004d9, details: { user: 'carol', mailbox: 'INBOX', imapCode: 'OVERQUOTA' } });
    expect(e.ec).toBe(SEC.QuotaExceeded);
    expect(e.message).toBe('the mailbox of carol is full: the IMAP server refused APPEND to INBOX (OVERQUOTA Quota exceeded (mailbox for user is full))');
  });
});

describe('QUOTA responses', () => {
  it('Dovecot\'s answer: the root and its resources', () => {
    const r = parseQuotaResponse(quota('User quota', ['STORAGE', '91', '100'], ['message', '3', '1000']));
    expect(r.root).toBe('User quota');
    expect(r.resources).toEqual(new Map([['STORAGE', { usage: 91, limit: 100 }], ['MESSAGE', { usage: 3, limit: 1000 }]]));
  });

  it('malformed answers are coded errors', () => {
    const bad = [
      { attributes: [] },
      { attributes: [a('root')] },
      { attributes: [a('root'), a('STORAGE')] },
      { attributes: [a('root'), [a('STORAGE'), a('1')]] },
      { attributes: [a('root'), [a('STORAGE'), a('-1'), a('10')]] },
      { attributes: [a('root'), [a('STORAGE'), a('1e5'), a('10')]] },
      { attributes: [a('root'), [a('STORAGE'), a('12345678901234567890'), a('10')]] },
      { attributes: [null, [a('STORAGE'), a('1'), a('10')]] },
    ];
    for (const u of bad) expect(() => parseQuotaResponse(u), JSON.stringify(u)).toThrow(QuotaError);
  });

  it('a 63-bit number beyond the safe integers is kept as the largest safe one', () => {
    const r = parseQuotaResponse(quota('r', ['STORAGE', '9223372036854775807', '9223372036854775807']));
    expect(r.resources.get('STORAGE')).toEqual({ usage: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER });
  });

  it('arbitrary input gives a value or a QuotaError, nothing else', () => {
    const atomish = fc.oneof(fc.string(), fc.stringMatching(/^\d{0,25}$/), fc.constantFrom('STORAGE', 'MESSAGE'));
    const leaf = fc.oneof(atomish.map(a), fc.constant(null), fc.constant(undefined), fc.integer(), atomish.map((s) => ({ type: 'LITERAL', value: Buffer.from(s) })));
    const attr = fc.oneof(leaf, fc.array(leaf, { maxLength: 10 }));
    fc.assert(fc.property(fc.oneof(fc.array(attr, { maxLength: 4 }), fc.constant(undefined)), (attributes) => {
      try {
        const r = parseQuotaResponse({ attributes: attributes as unknown[] | undefined });
        for (const v of r.resources.values()) expect(Number.isSafeInteger(v.usage) && Number.isSafeInteger(v.limit)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(QuotaError);
      }
    }));
  });

  it('of several roots the STORAGE one with the least room counts; none without STORAGE', () => {
    expect(storageQuota([quota('User quota', ['STORAGE', '10', '100']), quota('Domain quota', ['STORAGE', '950', '1000'])])).toEqual({ root: 'Domain quota', usageKb: 950, limitKb: 1000 });
    expect(storageQuota([quota('User quota', ['MESSAGE', '10', '100'])])).toBeNull();
    expect(storageQuota([])).toBeNull();
  });
});

describe('the store object\'s quota properties', () => {
  const q: StorageQuota = { root: 'User quota', usageKb: 91, limitKb: 100 };
  const local = [
    { tag: 0x3001001f, value: 'Mailbox - Alice' },
    { tag: PidTagMessageSizeExtended, value: 5000n },
  ];

  it('a read that names them: the limit in KiB, the usage in bytes; other properties as they were', () => {
    const tags = [0x3001001f, PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit, PidTagMessageSizeExtended];
    const r = [local[0]!, ...[PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit].map((t) => ({ tag: (t & 0xffff0000) | 0x000a, error: MAPI_E.NOT_FOUND })), local[1]!];
    expect(withQuota(r, tags, q)).toEqual([
      local[0],
      { tag: PidTagProhibitReceiveQuota, value: 100 },
      { tag: PidTagProhibitSendQuota, value: 100 },
      { tag: PidTagStorageQuotaLimit, value: 100 },
      { tag: PidTagMessageSizeExtended, value: 91n * 1024n },
    ]);
  });

  it('PT_UNSPECIFIED finds them; PidTagMessageSize (the same id, PtypInteger32) is not the store\'s size', () => {
    const unspecified = PidTagProhibitSendQuota & 0xffff0000;
    const size32 = 0x0e080003;
    const nf = { tag: 0x0e08000a, error: MAPI_E.NOT_FOUND };
    expect(withQuota([{ tag: unspecified | 0x000a, error: MAPI_E.NOT_FOUND }, nf], [unspecified, size32], q)).toEqual([{ tag: PidTagProhibitSendQuota, value: 100 }, nf]);
  });

  it('all properties: each once, the usage replacing the local size; a limit past PtypInteger32 is its largest value', () => {
    const all = withQuota(local, undefined, { root: 'r', usageKb: 1, limitKb: 2 ** 40 });
    expect(all.filter((p) => p.tag === PidTagMessageSizeExtended)).toEqual([{ tag: PidTagMessageSizeExtended, value: 1024n }]);
    expect(all.find((p) => p.tag === PidTagProhibitReceiveQuota)).toEqual({ tag: PidTagProhibitReceiveQuota, value: 0x7fffffff });
    expect(all).toHaveLength(5);
  });

  it('the send and warning limits are their shares of the IMAP limit, rounded down; the receive limit is the IMAP limit', () => {
    const tags = [PidTagProhibitReceiveQuota, PidTagProhibitSendQuota, PidTagStorageQuotaLimit];
    const r = tags.map((t) => ({ tag: (t & 0xffff0000) | 0x000a, error: MAPI_E.NOT_FOUND }));
    const values = (limitKb: number, levels: { warningPercent?: number; sendPercent?: number }) =>
      withQuota(r, tags, { root: 'r', usageKb: 0, limitKb }, levels).map((p) => ('value' in p ? p.value : p.error));
    expect(values(1000, { warningPercent: 90, sendPercent: 95 })).toEqual([1000, 950, 900]);
    expect(values(999, { warningPercent: 90, sendPercent: 99 })).toEqual([999, 989, 899]);
    expect(values(1000, {})).toEqual([1000, 1000, 1000]);
    expect(values(2 ** 40, { warningPercent: 50, sendPercent: 100 })).toEqual([0x7fffffff, 0x7fffffff, 0x7fffffff]);
    expect(values(2 ** 31, { warningPercent: 25 })).toEqual([0x7fffffff, 0x7fffffff, 2 ** 29]);
    // a warning above the send level is the send level; a tiny quota keeps a limit of at least 1 KiB (0: no limit)
    expect(values(1000, { warningPercent: 95, sendPercent: 80 })).toEqual([1000, 800, 800]);
    expect(values(1, { warningPercent: 90, sendPercent: 99 })).toEqual([1, 1, 1]);
    expect(values(0, { warningPercent: 90 })).toEqual([0, 0, 0]);
  });

  it('only a read that names a quota property asks for the quota', () => {
    expect(asksQuota([0x3001001f, 0x666d0003])).toBe(false);
    expect(asksQuota([0x3001001f, PidTagStorageQuotaLimit])).toBe(true);
    expect(asksQuota([PidTagMessageSizeExtended & 0xffff0000])).toBe(true);
  });
});

describe('ImapQuota: the kept answer', () => {
  const log = pino({ level: 'silent' });
  const pool = {} as ImapPool;
  function setup(o: { fail?: () => boolean; down?: () => boolean } = {}) {
    let now = 1_000_000;
    let usage = 10;
    let reads = 0;
    let release: (() => void) | null = null;
    let hold = false;
    const q = new ImapQuota({
      pool, username: 'alice', log, maxAgeMs: 60_000, now: () => now,
      ...(o.down ? { down: o.down } : {}),
      read: async () => {
        reads++;
        if (hold) await new Promise<void>((r) => (release = r));
        if (o.fail?.()) throw Object.assign(new Error('GETQUOTAROOT refused'), { code: 'OC_IMAP_X' });
        return { root: 'User quota', usageKb: usage, limitKb: 100 };
      },
    });
    return {
      q,
      reads: () => reads,
      tick: (ms: number) => (now += ms),
      setUsage: (u: number) => (usage = u),
      hold: () => (hold = true),
      release: () => {
        hold = false;
        release?.();
      },
    };
  }

  it('the first read waits for the server; later reads within a minute ask it nothing', async () => {
    const t = setup();
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    t.setUsage(20);
    t.tick(59_000);
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    expect(t.reads()).toBe(1);
  });

  it('reads at the same time share one request', async () => {
    const t = setup();
    t.hold();
    const all = Promise.all([t.q.current(), t.q.current(), t.q.current()]);
    t.release();
    expect((await all).map((x) => x?.usageKb)).toEqual([10, 10, 10]);
    expect(t.reads()).toBe(1);
  });

  it('after a minute the kept answer comes at once and one refresh runs in the background', async () => {
    const t = setup();
    await t.q.current();
    t.setUsage(30);
    t.tick(60_000);
    t.hold();
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    t.release();
    await t.q.refresh(); // (joins the one running)
    expect(t.reads()).toBe(2);
    expect(await t.q.current()).toMatchObject({ usageKb: 30 });
  });

  it('invalidate (a refusal over quota) asks again at once', async () => {
    const t = setup();
    await t.q.current();
    t.setUsage(99);
    t.q.invalidate();
    expect(await t.q.current()).toMatchObject({ usageKb: 99 });
    expect(t.reads()).toBe(2);
  });

  it('a failed GETQUOTAROOT is never thrown: the answer known before stays, asked again a minute later', async () => {
    let failing = false;
    const t = setup({ fail: () => failing });
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    failing = true;
    t.tick(60_000);
    await t.q.refresh();
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    expect(t.reads()).toBe(2);
    const first = setup({ fail: () => true });
    expect(await first.q.current()).toBeNull();
    expect(await first.q.current()).toBeNull();
    expect(first.reads()).toBe(1);
  });

  it('the first read waits for the server at most firstWaitMs; the answer is there for the next read', async () => {
    let answer: (() => void) | null = null;
    let reads = 0;
    const q = new ImapQuota({
      pool, username: 'alice', log, firstWaitMs: 20,
      read: async () => {
        reads++;
        await new Promise<void>((r) => (answer = r));
        return { root: 'User quota', usageKb: 5, limitKb: 100 };
      },
    });
    expect(await q.current()).toBeNull();
    answer!();
    await q.refresh();
    expect(await q.current()).toMatchObject({ usageKb: 5 });
    expect(reads).toBe(1);
  });

  it('nothing is asked while the IMAP server is away, nor once the mailbox closed', async () => {
    let down = true;
    const t = setup({ down: () => down });
    expect(await t.q.current()).toBeNull();
    expect(t.reads()).toBe(0);
    down = false;
    expect(await t.q.current()).toMatchObject({ usageKb: 10 });
    t.q.close();
    t.q.invalidate();
    await t.q.refresh();
    expect(t.reads()).toBe(1);
  });
});

describe('ImapQuota: a GETQUOTAROOT that stays pending (queued behind a busy pool) holds up one read at most', () => {
  const log = pino({ level: 'silent' });
  const WAIT = 200;
  /** A pool whose run() (the GETQUOTAROOT) answers only when `answer` is called (never, if it is not). */
  function pendingPool() {
    let runs = 0;
    let answer: ((q: StorageQuota) => void) | null = null;
    const pool = {
      run: () => {
        runs++;
        return new Promise<StorageQuota>((r) => (answer = r));
      },
    } as unknown as ImapPool;
    return { pool, runs: () => runs, answer: (q: StorageQuota) => answer!(q) };
  }
  /** How long a read took (ms), and its answer. */
  async function timed(p: Promise<StorageQuota | null>): Promise<{ ms: number; q: StorageQuota | null }> {
    const t0 = performance.now();
    const q = await p;
    return { ms: performance.now() - t0, q };
  }

  it('the first read waits at most the bound, the next ones not at all; one GETQUOTAROOT in flight; its answer used when it comes', async () => {
    const p = pendingPool();
    const q = new ImapQuota({ pool: p.pool, username: 'alice', log, firstWaitMs: WAIT });
    const first = await timed(q.current());
    expect(first.q).toBeNull();
    expect(first.ms).toBeGreaterThanOrEqual(WAIT - 20);
    expect(first.ms).toBeLessThan(WAIT + 1_000);
    for (let i = 0; i < 3; i++) {
      const next = await timed(q.current());
      expect(next.q).toBeNull();
      expect(next.ms).toBeLessThan(WAIT / 2);
    }
    expect(p.runs()).toBe(1);
    p.answer({ root: 'User quota', usageKb: 7, limitKb: 100 });
    await q.refresh();
    expect(await q.current()).toMatchObject({ usageKb: 7 });
    expect(p.runs()).toBe(1);
  });

  it('after invalidate: the first read waits at most the bound (the answer known before), the next ones not at all', async () => {
    let runs = 0;
    let usage = 10;
    let pending = false;
    let answer: (() => void) | null = null;
    const pool = {
      run: async () => {
        runs++;
        if (pending) await new Promise<void>((r) => (answer = r));
        return { root: 'User quota', usageKb: usage, limitKb: 100 };
      },
    } as unknown as ImapPool;
    const q = new ImapQuota({ pool, username: 'alice', log, firstWaitMs: WAIT });
    expect(await q.current()).toMatchObject({ usageKb: 10 });
    pending = true;
    usage = 99;
    q.invalidate();
    const first = await timed(q.current());
    expect(first.q).toMatchObject({ usageKb: 10 });
    expect(first.ms).toBeGreaterThanOrEqual(WAIT - 20);
    const next = await timed(q.current());
    expect(next.q).toMatchObject({ usageKb: 10 });
    expect(next.ms).toBeLessThan(WAIT / 2);
    expect(runs).toBe(2);
    answer!();
    await q.refresh();
    expect(await q.current()).toMatchObject({ usageKb: 99 });
    expect(runs).toBe(2);
  });

  it('a read without waiting (all properties) answers at once and starts the one GETQUOTAROOT; a read naming the quota waits for it once', async () => {
    const p = pendingPool();
    const q = new ImapQuota({ pool: p.pool, username: 'alice', log, firstWaitMs: WAIT });
    const all = await timed(q.current({ wait: false }));
    expect(all.q).toBeNull();
    expect(all.ms).toBeLessThan(WAIT / 2);
    expect(p.runs()).toBe(1);
    expect((await timed(q.current({ wait: false }))).ms).toBeLessThan(WAIT / 2);
    expect((await timed(q.current())).ms).toBeGreaterThanOrEqual(WAIT - 20);
    expect((await timed(q.current())).ms).toBeLessThan(WAIT / 2);
    expect(p.runs()).toBe(1);
  });

  it('a refusal over quota while a GETQUOTAROOT runs: one more follows it (never two at once), its answer is the one kept', async () => {
    let runs = 0;
    let inFlight = 0;
    let most = 0;
    let usage = 10;
    const answers: (() => void)[] = [];
    const pool = {
      run: async () => {
        runs++;
        most = Math.max(most, ++inFlight);
        const u = usage;
        await new Promise<void>((r) => answers.push(r));
        inFlight--;
        return { root: 'User quota', usageKb: u, limitKb: 100 };
      },
    } as unknown as ImapPool;
    const q = new ImapQuota({ pool, username: 'alice', log, firstWaitMs: WAIT });
    const running = q.refresh();
    usage = 99;
    q.invalidate();
    expect(runs).toBe(1);
    answers.shift()!();
    await running;
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    answers.shift()!();
    await q.refresh();
    expect(await q.current()).toMatchObject({ usageKb: 99 });
    expect(most).toBe(1);
  });
});

describe('ImapMailbox.storeProps and the quota', () => {
  const log = pino({ level: 'silent' });
  const sizeTag = PidTagMessageSizeExtended;
  /** storeProps of an ImapMailbox with this quota and a local store that records how it was asked. */
  function mailbox(q: ImapQuota) {
    const calls: { tags: readonly number[] | undefined; size: boolean }[] = [];
    const local = {
      storeProps: async (tags?: readonly number[], opts: { size?: boolean } = {}) => {
        const size = opts.size !== false;
        calls.push({ tags, size });
        const m = new Map<number, unknown>([[0x3001001f, 'Mailbox - Alice'], ...(size ? [[sizeTag, 5000n] as [number, unknown]] : [])]);
        if (!tags) return [...m].map(([tag, value]) => ({ tag, value }));
        return tags.map((tag) => (m.has(tag) ? { tag, value: m.get(tag) } : { tag: (tag & 0xffff0000) | 0x000a, error: MAPI_E.NOT_FOUND }));
      },
    };
    const storeProps = (tags?: readonly number[]) => ImapMailbox.prototype.storeProps.call({ local, quota: q, o: {} } as unknown as ImapMailbox, tags);
    return { storeProps, calls };
  }

  it('all properties (no tags) never wait: without a kept quota the local ones at once, and the GETQUOTAROOT starts', async () => {
    let runs = 0;
    let answer: ((q: StorageQuota) => void) | null = null;
    const pool = { run: () => (runs++, new Promise<StorageQuota>((r) => (answer = r))) } as unknown as ImapPool;
    const q = new ImapQuota({ pool, username: 'alice', log, firstWaitMs: 5_000 });
    const mb = mailbox(q);
    const t0 = performance.now();
    const all = await mb.storeProps();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(all).toEqual([{ tag: 0x3001001f, value: 'Mailbox - Alice' }, { tag: sizeTag, value: 5000n }]);
    expect(runs).toBe(1);
    answer!({ root: 'User quota', usageKb: 3, limitKb: 100 });
    await q.refresh();
    const again = await mb.storeProps();
    expect(again.filter((p) => p.tag === sizeTag)).toEqual([{ tag: sizeTag, value: 3072n }]);
    expect(again.find((p) => p.tag === PidTagStorageQuotaLimit)).toEqual({ tag: PidTagStorageQuotaLimit, value: 100 });
  });

  it('with a kept quota the local store does not sum the mailbox size (the quota\'s usage replaces it); without one it does', async () => {
    let quota: StorageQuota | null = null;
    const q = new ImapQuota({ pool: {} as ImapPool, username: 'alice', log, read: async () => quota });
    const mb = mailbox(q);
    expect(await mb.storeProps([sizeTag])).toEqual([{ tag: sizeTag, value: 5000n }]);
    expect(mb.calls.at(-1)).toEqual({ tags: [sizeTag], size: true });
    quota = { root: 'User quota', usageKb: 2, limitKb: 100 };
    await q.refresh();
    expect(await mb.storeProps([0x3001001f, sizeTag])).toEqual([{ tag: 0x3001001f, value: 'Mailbox - Alice' }, { tag: sizeTag, value: 2048n }]);
    expect(mb.calls.at(-1)).toEqual({ tags: [0x3001001f, sizeTag], size: false });
    const all = await mb.storeProps();
    expect(mb.calls.at(-1)).toEqual({ tags: undefined, size: false });
    expect(all.filter((p) => p.tag === sizeTag)).toEqual([{ tag: sizeTag, value: 2048n }]);
    // a read that names no quota property leaves the local store as it is
    await mb.storeProps([0x3001001f]);
    expect(mb.calls.at(-1)).toEqual({ tags: [0x3001001f], size: true });
  });

  it('LocalMailbox.storeProps with size: false has no PidTagMessageSizeExtended', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quota-local-'));
    const store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    try {
      await store.init();
      const mb = (await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: '/o=x/cn=alice' })) as LocalMailbox;
      expect((await mb.storeProps([sizeTag]))[0]).toMatchObject({ tag: sizeTag, value: expect.any(BigInt) });
      expect((await mb.storeProps([sizeTag], { size: false }))[0]).toMatchObject({ error: MAPI_E.NOT_FOUND });
      expect((await mb.storeProps()).some((p) => p.tag === sizeTag)).toBe(true);
      expect((await mb.storeProps(undefined, { size: false })).some((p) => p.tag === sizeTag)).toBe(false);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
