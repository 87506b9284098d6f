import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { openDirectory } from '../../src/directory/builtin.js';
import { ensureDemoUser, randomPassword } from '../../src/directory/demo.js';
import type { DirectoryAdmin } from '../../src/directory/types.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../config/helpers.js';

let tmp: string;
let cleanup: () => void;
let dir: DirectoryAdmin | undefined;

beforeEach(() => ({ dir: tmp, cleanup } = tempDir('ocng-demo-')));
afterEach(async () => {
  await dir?.close();
  dir = undefined;
  cleanup();
});

function setup(demoUser: boolean): Config {
  const config = loadConfig({ env: {}, cwd: tmp, set: [`directory.demoUser=${demoUser}`] });
  dir = openDirectory(config, silentLogger());
  return config;
}

describe('ensureDemoUser', () => {
  it('creates demo with a random password saved in a private file', async () => {
    const config = setup(true);
    const d = await ensureDemoUser(dir!, config, silentLogger());
    expect(d?.username).toBe('demo');
    expect(d?.password).toMatch(/^[A-Za-z0-9]{16}$/);
    const file = path.join(config.dataDir, 'demo-password.txt');
    expect(d?.file).toBe(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(d?.password + '\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((await dir!.findUser('demo'))?.displayName).toBe('Demo User');
    expect(await dir!.verifyPassword('demo', d!.password)).not.toBeNull();
    // Only once: the directory now has a user.
    expect(await ensureDemoUser(dir!, config, silentLogger())).toBeNull();
  });

  it('does nothing when users exist or the option is off', async () => {
    const config = setup(true);
    await dir!.addUser({ username: 'someone', password: 'pw' });
    expect(await ensureDemoUser(dir!, config, silentLogger())).toBeNull();
    expect(await dir!.findUser('demo')).toBeNull();
    await dir!.close();
    const off = setup(false);
    await dir!.removeUser('someone');
    expect(await ensureDemoUser(dir!, off, silentLogger())).toBeNull();
    expect(fs.existsSync(path.join(off.dataDir, 'demo-password.txt'))).toBe(false);
  });

  it('makes different passwords', () => {
    expect(new Set(Array.from({ length: 20 }, () => randomPassword())).size).toBe(20);
  });
});
