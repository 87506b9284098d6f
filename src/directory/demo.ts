// First-run convenience: with `directory.demoUser` on and no users at all, create `demo` with a random password
// and leave the password in <dataDir>/demo-password.txt (0600) so `npm start` gives something to log on with.
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import type { Config } from '../config/types.js';
import type { Logger } from '../util/log.js';
import type { DirectoryAdmin } from './types.js';

export const DEMO_USERNAME = 'demo';
export const DEMO_PASSWORD_FILE = 'demo-password.txt';

// No look-alikes (0/O, 1/l/I) so the password can be read off a screen.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function randomPassword(length = 16): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export interface DemoCredentials {
  username: string;
  password: string;
  /** Where the password was written. */
  file: string;
}

export async function ensureDemoUser(dir: DirectoryAdmin, config: Config, log: Logger): Promise<DemoCredentials | null> {
  if (!config.directory.demoUser) return null;
  if ((await dir.listUsers()).length > 0) return null;
  const password = randomPassword();
  const file = path.join(config.dataDir, DEMO_PASSWORD_FILE);
  // The file first: a user whose password was never written down would be useless.
  fs.writeFileSync(file, password + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600); // writeFileSync keeps the mode of an existing file
  try {
    await dir.addUser({ username: DEMO_USERNAME, password, displayName: 'Demo User' });
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  log.info({ user: DEMO_USERNAME, file }, 'directory: demo user created');
  return { username: DEMO_USERNAME, password, file };
}
