// Shared setup of the MySQL index tests: one throw-away MariaDB per test file, a fresh database per test.
import { DB_PASSWORD, DB_USER, type MariaDb } from '../helpers/mariadb.js';

let seq = 0;

/** Creates an empty database the test user may use and returns its URL. */
export async function freshDatabase(db: MariaDb, prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${process.pid}_${++seq}`;
  await db.sql(`CREATE DATABASE ${name} CHARACTER SET utf8mb4; GRANT ALL ON ${name}.* TO '${DB_USER}'@'127.0.0.1';`);
  return { name, url: `mysql://${DB_USER}:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${db.port}/${name}` };
}
