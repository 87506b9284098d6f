import path from 'node:path';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { storeSuite } from './suite.js';

storeSuite('SQLite', async (dir) => new SqliteIndexProvider(path.join(dir, 'index.sqlite')));
