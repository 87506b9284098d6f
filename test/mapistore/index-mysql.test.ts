// The MySQL/MariaDB index store on a real MariaDB (test/helpers/mariadb.ts): versioned migrations under the named
// lock, pool limits and errors, retries of transient failures, index use of the hot queries (EXPLAIN), and two
// instances sharing one database. Exact string keys, length limits and upsert conflicts: index-mysql-keys.test.ts.
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { HOT_SQL, MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { IMAP_SQL } from '../../src/mapistore/index/mysql-imap.js';
import { LATEST_VERSION, MIGRATIONS, SCHEMA_LOCK, VERSION_TABLE } from '../../src/mapistore/index/mysql-schema.js';
import { DB_PASSWORD, DB_USER, mariaDbPerFile } from '../helpers/mariadb.js';
import { freshDatabase, rejection, withProvider } from './index-mysql-helpers.js';
import { freePort as closedPort } from '../helpers/ports.js';

const maria = mariaDbPerFile();


describe('schema migrations', () => {
  it('creates every table on an empty database and records each version', async () => {
    const { url, name } = await freshDatabase(maria(), 'mig_fresh');
    await withProvider({ url }, async (p) => {
      await p.openMailbox('alice');
      expect(p.migration).toEqual({ from: 0, to: LATEST_VERSION, applied: MIGRATIONS.map((m) => m.version) });
    });
    expect(await maria().sql(`SELECT version FROM ${name}.${VERSION_TABLE} ORDER BY version`)).toBe(MIGRATIONS.map((m) => `${m.version}\n`).join(''));
    const tables = await maria().sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${name}' ORDER BY table_name`);
    expect(tables.trim().split('\n')).toEqual(['id_map', 'imap_folders', 'imap_messages', 'mailboxes', 'mapi_overlay', 'named_props', VERSION_TABLE]);
    // a second start applies nothing
    await withProvider({ url }, async (p) => {
      await p.init();
      expect(p.migration).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION, applied: [] });
    });
  });

  it('marks a pre-versioning database as version 1 and upgrades it without losing data', async () => {
    const { url, name } = await freshDatabase(maria(), 'mig_old');
    const v1 = MIGRATIONS[0];
    if (!v1) throw new Error('no migration 1');
    await maria().sql(`USE ${name}; ${v1.statements.join('; ')}; INSERT INTO mailboxes (username, mailbox_guid, repl_guid, next_globcnt) ` +
      `VALUES ('old', '11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222', 100)`);
    await withProvider({ url }, async (p) => {
      const mb = await p.openMailbox('old');
      expect(mb.mailbox.created).toBe(false);
      expect(mb.mailbox.replGuid).toBe('22222222-2222-2222-2222-222222222222');
      expect(await mb.allocate(5)).toBe(100n);
      expect(p.migration).toEqual({ from: 1, to: LATEST_VERSION, applied: MIGRATIONS.slice(1).map((m) => m.version) });
    });
    expect(await maria().sql(`SELECT version, description FROM ${name}.${VERSION_TABLE} ORDER BY version`)).toMatch(/^1\tpre-versioning tables found\n2\t/);
  });

  it('refuses a database whose version is newer than the code, naming both versions', async () => {
    const { url, name } = await freshDatabase(maria(), 'mig_new');
    await withProvider({ url }, (p) => p.init());
    await maria().sql(`INSERT INTO ${name}.${VERSION_TABLE} (version, description) VALUES (99, 'from the future')`);
    await withProvider({ url }, async (p) => {
      const e = await rejection(p.openMailbox('alice'));
      expect(e.code).toBe('OC_STORE_INDEX_SCHEMA_NEWER');
      expect(e.message).toContain('version 99');
      expect(e.message).toContain(`version ${LATEST_VERSION}`);
    });
  });

  it('serialises instances starting together: each migration runs once', async () => {
    const { url, name } = await freshDatabase(maria(), 'mig_race');
    const ps = Array.from({ length: 4 }, () => new MysqlIndexProvider({ url, poolSize: 2 }));
    try {
      await Promise.all(ps.map((p) => p.openMailbox('alice')));
      const applied = ps.flatMap((p) => p.migration?.applied ?? []);
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.version));
      const ids = await Promise.all(ps.map(async (p) => (await p.openMailbox('alice')).mailbox.id));
      expect(new Set(ids).size).toBe(1);
    } finally {
      await Promise.all(ps.map((p) => p.close()));
    }
    expect(await maria().sql(`SELECT count(*) FROM ${name}.mailboxes`)).toBe('1\n');
  });

  it('gives up with a coded error when another session holds the schema lock', async () => {
    const { url } = await freshDatabase(maria(), 'mig_lock');
    const holder = await mysql.createConnection({ uri: url });
    try {
      await holder.query('SELECT GET_LOCK(?, 0)', [SCHEMA_LOCK]);
      await withProvider({ url, schemaLockTimeoutSeconds: 1 }, async (p) => {
        const e = await rejection(p.init());
        expect(e.code).toBe('OC_STORE_INDEX_SCHEMA_LOCK');
      });
    } finally {
      await holder.end();
    }
  });
});


describe('pool and errors', () => {
  it('names host:port when the server is unreachable and never the password', async () => {
    const port = await closedPort();
    await withProvider({ host: '127.0.0.1', port, user: 'ocng', password: 'hunter2-not-logged', database: 'ocng', connectTimeoutMs: 2000 }, async (p) => {
      const e = await rejection(p.openMailbox('alice'));
      expect(e.code).toBe('OC_STORE_INDEX_UNREACHABLE');
      expect(e.message).toContain(`127.0.0.1:${port}/ocng`);
      expect(e.message + JSON.stringify(e.details)).not.toContain('hunter2');
    });
  });

  it('starts once the database becomes reachable after a failed first attempt', async () => {
    const { url, name } = await freshDatabase(maria(), 'pool_late');
    await maria().sql(`REVOKE ALL ON ${name}.* FROM '${DB_USER}'@'127.0.0.1'`);
    await withProvider({ url }, async (p) => {
      expect((await rejection(p.openMailbox('alice'))).code).toBe('OC_STORE_INDEX_UNREACHABLE');
      await maria().sql(`GRANT ALL ON ${name}.* TO '${DB_USER}'@'127.0.0.1'`);
      expect((await p.openMailbox('alice')).mailbox.created).toBe(true);
    });
  });

  it('rejects a malformed URL without echoing it', () => {
    let e: (Error & { code?: string }) | null = null;
    try {
      new MysqlIndexProvider({ url: 'mysql://ocng:pa ss-secret@[bad' });
    } catch (err) {
      e = err as Error & { code?: string };
    }
    expect(e?.code).toBe('OC_STORE_INDEX_BAD_URL');
    expect(e?.message).not.toContain('secret');
  });

  it('reports a wrong password as unreachable without echoing it', async () => {
    const { url } = await freshDatabase(maria(), 'pool_auth');
    const bad = url.replace(encodeURIComponent(DB_PASSWORD), 'wrong-secret-xyz');
    await withProvider({ url: bad }, async (p) => {
      const e = await rejection(p.openMailbox('alice'));
      expect(e.code).toBe('OC_STORE_INDEX_UNREACHABLE');
      expect(e.details?.driverCode).toBe('ER_ACCESS_DENIED_ERROR');
      expect(e.message).not.toContain('wrong-secret-xyz');
      expect(e.message).not.toContain(DB_PASSWORD);
    });
  });

  it('cuts a query at queryTimeoutMs with OC_STORE_INDEX_TIMEOUT and keeps working', async () => {
    const { url } = await freshDatabase(maria(), 'pool_timeout');
    await withProvider({ url, poolSize: 1, queryTimeoutMs: 300 }, async (p) => {
      const t0 = Date.now();
      const e = await rejection(p.q('SELECT SLEEP(3)'));
      expect(e.code).toBe('OC_STORE_INDEX_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(await p.q('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
  });

  it('cuts a statement of a transaction at queryTimeoutMs too: the connection is closed (rolled back), not left waiting', async () => {
    const { url } = await freshDatabase(maria(), 'tx_timeout');
    await withProvider({ url, poolSize: 2, queryTimeoutMs: 300 }, async (p) => {
      await p.q('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
      await p.q('INSERT INTO t VALUES (1, 0)');
      // another session holds the row's lock for 3 s (no statement running meanwhile)
      const holder = await p.pool.getConnection();
      await holder.query('BEGIN');
      await holder.query('SELECT v FROM t WHERE id = 1 FOR UPDATE');
      const letGo = setTimeout(() => void holder.query('ROLLBACK').then(() => holder.release()), 3000);
      try {
        const t0 = Date.now();
        const e = await rejection(p.tx(async (c) => p.q('UPDATE t SET v = 1 WHERE id = 1', [], c)));
        expect(e.code).toBe('OC_STORE_INDEX_TIMEOUT');
        // (the ROLLBACK used to wait behind the cut statement, here until the holder let go after 3 s)
        expect(Date.now() - t0).toBeLessThan(1500);
      } finally {
        await new Promise((r) => setTimeout(r, 3300));
        clearTimeout(letGo);
      }
      // the cut transaction changed nothing
      expect(await p.q('SELECT v FROM t WHERE id = 1')).toEqual([{ v: 0 }]);
    });
  });

  it('fails requests past the queue limit with OC_STORE_INDEX_BUSY', async () => {
    const { url } = await freshDatabase(maria(), 'pool_queue');
    await withProvider({ url, poolSize: 1, queueLimit: 1 }, async (p) => {
      const rs = await Promise.allSettled([p.q('SELECT SLEEP(0.4)'), p.q('SELECT SLEEP(0.1)'), p.q('SELECT 1')]);
      expect(rs.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect(((rs[2] as PromiseRejectedResult).reason as { code: string }).code).toBe('OC_STORE_INDEX_BUSY');
    });
  });

  it('fails a request that waits longer than acquireTimeoutMs, then reuses the connection', async () => {
    const { url } = await freshDatabase(maria(), 'pool_acquire');
    await withProvider({ url, poolSize: 1, acquireTimeoutMs: 200 }, async (p) => {
      const slow = p.q('SELECT SLEEP(1)');
      const e = await rejection(p.q('SELECT 1'));
      expect(e.code).toBe('OC_STORE_INDEX_BUSY');
      await slow;
      expect(await p.q('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    });
  });

  it('keeps BIGINT values exact (bigNumberStrings)', async () => {
    const { url } = await freshDatabase(maria(), 'pool_big');
    await withProvider({ url }, async (p) => {
      expect(await p.q('SELECT CAST(18446744073709551615 AS UNSIGNED) AS v')).toEqual([{ v: '18446744073709551615' }]);
    });
  });

  it('recovers after the server kills its connections', async () => {
    const { url, name } = await freshDatabase(maria(), 'pool_kill');
    await withProvider({ url, poolSize: 3 }, async (p) => {
      const mb = await p.openMailbox('alice');
      await Promise.all([mb.allocate(1), mb.allocate(1), mb.allocate(1)]);
      const ids = (await maria().sql(`SELECT id FROM information_schema.processlist WHERE db = '${name}'`)).trim().split('\n').filter(Boolean);
      expect(ids.length).toBeGreaterThan(0);
      await maria().sql(ids.map((id) => `KILL CONNECTION ${id}`).join('; '));
      const firsts = await Promise.all(Array.from({ length: 6 }, () => mb.allocate(1)));
      expect(new Set(firsts).size).toBe(6);
    });
  });
});

describe('retries of transient failures', () => {
  async function holdMailboxRow(url: string, user: string, ms: number): Promise<{ released: Promise<void> }> {
    const holder = await mysql.createConnection({ uri: url });
    await holder.beginTransaction();
    await holder.query('SELECT * FROM mailboxes WHERE username = ? FOR UPDATE', [user]);
    // wrapped in an object: an async function returning a promise would wait for it
    const released = (async () => {
      await new Promise((r) => setTimeout(r, ms));
      await holder.commit();
      await holder.end();
    })();
    return { released };
  }

  it('re-runs a named-id transaction after a lock wait timeout', async () => {
    const { url } = await freshDatabase(maria(), 'retry_tx');
    await withProvider({ url, lockWaitTimeoutSeconds: 1, maxRetries: 3 }, async (p) => {
      const mb = await p.openMailbox('alice');
      const { released } = await holdMailboxRow(url, 'alice', 1500);
      const ids = await mb.namedIds([{ guid: '00020329-0000-0000-c000-000000000046', name: 'Keywords' }], true);
      await released;
      expect(ids).toEqual([0x8000]);
      expect(p.retries).toBeGreaterThanOrEqual(1);
    });
  });

  it('gives up after maxRetries with the driver code in the error', async () => {
    const { url } = await freshDatabase(maria(), 'retry_none');
    await withProvider({ url, lockWaitTimeoutSeconds: 1, maxRetries: 0 }, async (p) => {
      const mb = await p.openMailbox('alice');
      const { released } = await holdMailboxRow(url, 'alice', 2000);
      const e = await rejection(mb.allocate(1));
      await released;
      expect(e.code).toBe('OC_STORE_INDEX_MYSQL');
      expect(e.details?.driverCode).toBe('ER_LOCK_WAIT_TIMEOUT');
      expect(p.retries).toBe(0);
      expect(await mb.allocate(1)).toBe(1n);
    });
  });
});

describe('GLOBCNT allocation', () => {
  it('hands out the last 48-bit values exactly and then refuses without moving the counter', async () => {
    const { url, name } = await freshDatabase(maria(), 'alloc_end');
    await withProvider({ url }, async (p) => {
      const mb = await p.openMailbox('alice');
      expect(await mb.allocate(3)).toBe(1n);
      const top = (1n << 48n) - 1n;
      await maria().sql(`UPDATE ${name}.mailboxes SET next_globcnt = ${top - 1n} WHERE username = 'alice'`);
      expect((await rejection(mb.allocate(3))).code).toBe('OC_STORE_IDS_EXHAUSTED');
      expect(await mb.allocate(2)).toBe(top - 1n);
      expect(await mb.lastAllocated()).toBe(top);
      expect((await rejection(mb.allocate(1))).code).toBe('OC_STORE_IDS_EXHAUSTED');
      expect(await mb.lastAllocated()).toBe(top);
      expect((await rejection(mb.allocate(0))).code).toBe('OC_STORE_BAD_COUNT');
    });
  });
});

describe('hot queries use an index', () => {
  it('EXPLAINs every hot lookup without a full scan', async () => {
    const { url } = await freshDatabase(maria(), 'explain');
    await withProvider({ url }, async (p) => {
      const boxes = await Promise.all(Array.from({ length: 20 }, (_, i) => p.openMailbox(`user${i}`)));
      const mb = boxes[7];
      if (!mb) throw new Error('no mailbox');
      const names = Array.from({ length: 300 }, (_, i) => ({ guid: '00020329-0000-0000-c000-000000000046', name: `n${i}` }));
      for (const b of boxes.slice(0, 5)) await b.namedIds(names, true);
      for (const b of boxes.slice(5, 9)) {
        for (let f = 1; f <= 20; f++) {
          await Promise.all(Array.from({ length: 50 }, (_, i) => b.putMapping({
            kind: 'message', globcnt: BigInt(f * 1000 + i), folderGlobcnt: BigInt(f), backendKey: `F${f}/1/${i}`, modseq: null, etag: null, version: null, cn: 1n,
          })));
          await b.imap.putMessages(Array.from({ length: 100 }, (_, i) => ({
            folderGlobcnt: BigInt(f), uidvalidity: 7, uid: i + 1, globcnt: BigInt(f * 1000 + i), modseq: 1n, cn: 1n, readCn: 0n, flags: 0, size: 10,
          })));
        }
        await b.imap.putFolders(Array.from({ length: 20 }, (_, f) => ({
          folderGlobcnt: BigInt(f + 1), imapName: `F${f + 1}`, uidvalidity: 7, uidnext: 101, highestModseq: 1n, lastSyncCn: 0n, syncState: null,
        })));
        await b.imap.putOverlay(Array.from({ length: 500 }, (_, i) => ({ globcnt: BigInt(1000 + i), propTag: 0x10800003, value: new Uint8Array([i & 255]) })));
      }
      await p.q('ANALYZE TABLE mailboxes, named_props, id_map, imap_folders, imap_messages, mapi_overlay');
      const id = mb.mailbox.id;
      const cases: [string, string, Parameters<typeof mysql.format>[1]][] = [
        ['mailboxByName', HOT_SQL.mailboxByName, ['user7']],
        ['allocate', HOT_SQL.allocate, [1, id, 1]],
        ['lastAllocated', HOT_SQL.lastAllocated, [id]],
        ['namedByHash', HOT_SQL.namedByHash, [id, ['0'.repeat(40), 'f'.repeat(40)]]],
        ['namedById', HOT_SQL.namedById, [id, [0x8001, 0x8002]]],
        ['namedByGuid', HOT_SQL.namedByGuid, [id, '00020329-0000-0000-c000-000000000046']],
        ['mappingByKey', HOT_SQL.mappingByKey, [id, 'message', 'F3/1/7']],
        ['mappingById', HOT_SQL.mappingById, [id, 'message', '3007']],
        ['mappingsInFolder', HOT_SQL.mappingsInFolder, [id, '3']],
        ['deleteMapping', HOT_SQL.deleteMapping, [id, 'message', '3007']],
        ['folderByName', IMAP_SQL.folderByName, [id, 'F3']],
        ['folderById', IMAP_SQL.folderById, [id, '3']],
        ['listFolders', IMAP_SQL.listFolders, [id]],
        ['messagesByUid', IMAP_SQL.messagesByUid, [id, '3', 7, [1, 2, 3]]],
        ['messagesById', IMAP_SQL.messagesById, [id, ['3001', '3002']]],
        ['messagesInFolder', IMAP_SQL.messagesInFolder, [id, '3', 7, 10, 50]],
        ['staleMessages', IMAP_SQL.staleMessages, [id, '3', 9]],
        ['overlay', IMAP_SQL.overlay, [id, ['1001', '1002']]],
        ['folderHolders', IMAP_SQL.folderHolders, [id, ['F3', 'F4']]],
        ['messageHolders', IMAP_SQL.messageHolders, [id, ['3001', '3002']]],
      ];
      const bad: string[] = [];
      for (const [label, sql, params] of cases) {
        const plan = await p.q(`EXPLAIN ${mysql.format(sql, params)}`);
        expect(plan.length, label).toBeGreaterThan(0);
        for (const row of plan) {
          if (row.type === 'ALL' || row.key === null) bad.push(`${label}: ${JSON.stringify(row)}`);
        }
      }
      expect(bad).toEqual([]);
      // the check can fail: a lookup by an unindexed column is a full scan
      const control = await p.q(`EXPLAIN ${mysql.format('SELECT * FROM id_map WHERE cn = ?', [1])}`);
      expect(control.some((r) => r.type === 'ALL')).toBe(true);
      expect(cases.map((c) => c[0]).sort()).toEqual([...Object.keys(HOT_SQL), ...Object.keys(IMAP_SQL)].sort());
    });
  }, 60_000);
});

describe('several instances on one database', () => {
  it('never hands out a GLOBCNT twice and agrees on named ids (2 x 500 interleaved calls)', async () => {
    const { url } = await freshDatabase(maria(), 'shared');
    const a = new MysqlIndexProvider({ url, poolSize: 4 });
    const b = new MysqlIndexProvider({ url, poolSize: 4 });
    try {
      const [ma, mb] = await Promise.all([a.openMailbox('shared'), b.openMailbox('shared')]);
      expect(ma.mailbox.id).toBe(mb.mailbox.id);
      const calls: Promise<[bigint, number]>[] = [];
      for (let i = 0; i < 500; i++) {
        const n = (i % 3) + 1;
        calls.push(ma.allocate(n).then((f) => [f, n]));
        calls.push(mb.allocate(n).then((f) => [f, n]));
      }
      const ranges = await Promise.all(calls);
      const seen = new Set<bigint>();
      for (const [first, n] of ranges) {
        for (let k = 0n; k < BigInt(n); k++) {
          expect(seen.has(first + k)).toBe(false);
          seen.add(first + k);
        }
      }
      const total = ranges.reduce((s, [, n]) => s + n, 0);
      expect(seen.size).toBe(total);
      expect(await ma.lastAllocated()).toBe(BigInt(total));

      const names = Array.from({ length: 500 }, (_, i) => ({ guid: '00062008-0000-0000-c000-000000000046', name: `prop${i}` }));
      const chunk = (from: number) => names.slice(from, from + 10);
      const ask: Promise<number[]>[] = [];
      for (let i = 0; i < 50; i++) {
        ask.push(ma.namedIds(chunk(i * 10), true));
        ask.push(mb.namedIds(chunk((49 - i) * 10), true));
      }
      await Promise.all(ask);
      const [ida, idb] = await Promise.all([ma.namedIds(names, false), mb.namedIds(names, false)]);
      expect(ida).toEqual(idb);
      expect(new Set(ida).size).toBe(500);
      expect(Math.min(...ida)).toBe(0x8000);
      expect(Math.max(...ida)).toBe(0x8000 + 499);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
