// Shared setup of the MySQL index tests: one throw-away MariaDB per test file, a fresh database per test.
import { MysqlIndexProvider } from '../../src/mapistore/index/mysql.js';
import { DB_PASSWORD, DB_USER, type MariaDb } from '../helpers/mariadb.js';

let seq = 0;

/** Creates an empty database the test user may use and returns its URL. */
export async function freshDatabase(db: MariaDb, prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${process.pid}_${++seq}`;
  await db.sql(`CREATE DATABASE ${name} CHARACTER SET utf8mb4; GRANT ALL ON ${name}.* TO '${DB_USER}'@'127.0.0.1';`);
  return { name, url: `mysql://${DB_USER}:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${db.port}/${name}` };
}

/** The error `p` rejects with (a test failure when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Runs `fn` on a provider of options `o`, closed afterwards. */
export async function withProvider<T>(o: ConstructorParameters<typeof MysqlIndexProvider>[0], fn: (p: MysqlIndexProvider) => Promise<T>): Promise<T> {
  const p = new MysqlIndexProvider(o);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}
