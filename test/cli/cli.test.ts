import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { README_BEGIN, README_END, renderConfigDoc, renderExampleYaml } from '../../src/config/doc.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { StartServer } from '../../src/cli/run.js';
import type { Directory } from '../../src/directory/types.js';
import { openDirectory } from '../../src/directory/builtin.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir } from '../config/helpers.js';
import { cli, type RunOptions } from './harness.js';

let cwd: string;
let cleanup: () => void;
beforeEach(() => ({ dir: cwd, cleanup } = tempDir('ocng-cli-')));
afterEach(() => cleanup());

const ocng = (argv: string[], o: Partial<RunOptions> = {}) => cli(argv, { cwd, ...o });

describe('ocng --help', () => {
  for (const argv of [
    ['--help'],
    ['serve', '--help'],
    ['user', '--help'],
    ['user', 'add', '--help'],
    ['user', 'passwd', '--help'],
    ['group', '--help'],
    ['group', 'add-member', '--help'],
    ['config', '--help'],
    ['config', 'doc', '--help'],
    ['imap', '--help'],
    ['imap', 'check', '--help'],
    ['help', 'user'],
  ]) {
    it(argv.join(' '), async () => {
      const r = await ocng(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: ocng/);
    });
  }

  it('prints the version', async () => {
    const r = await ocng(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reports usage errors as "ocng: <message>" with exit code 1', async () => {
    for (const argv of [['bogus'], ['user', 'add'], ['user', 'list', '--bogus'], ['group', 'add-member', 'g']]) {
      const r = await ocng(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^ocng: /);
    }
    const none = await ocng([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Usage: ocng');
  });
});

describe('ocng user', () => {
  it('adds, lists, changes the password of and removes users', async () => {
    let r = await ocng(['user', 'add', 'bob', '--password', 'Password', '--display-name', 'Bob B', '--email', 'bob@corp.test']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('user bob added (bob@corp.test)\n');
    expect(fs.existsSync(path.join(cwd, 'data', 'directory.sqlite'))).toBe(true);

    r = await ocng(['user', 'add', 'alice', '--password-stdin'], { stdin: 'from stdin\n' });
    expect(r.code).toBe(0);

    r = await ocng(['user', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^USERNAME\s+ENABLED\s+EMAIL\s+DISPLAY NAME$/);
    expect(r.stdout).toMatch(/^alice\s+yes\s+alice@\S+\s+alice$/m);
    expect(r.stdout).toMatch(/^bob\s+yes\s+bob@corp\.test\s+Bob B$/m);

    r = await ocng(['user', 'list', '--json']);
    const users = JSON.parse(r.stdout) as { username: string; legacyExchangeDN: string }[];
    expect(users.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(users[1]?.legacyExchangeDN).toMatch(/\/cn=Recipients\/cn=bob$/);

    r = await ocng(['user', 'passwd', 'BOB', '--password-stdin'], { stdin: 'new secret\r\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'password of bob changed\n' });

    const dir = openDirectory(loadedConfig(), silentLogger());
    try {
      expect(await dir.verifyPassword('bob', 'new secret')).not.toBeNull();
      expect(await dir.verifyPassword('alice', 'from stdin')).not.toBeNull();
    } finally {
      await dir.close();
    }

    r = await ocng(['user', 'disable', 'alice']);
    expect(r).toMatchObject({ code: 0, stdout: 'user alice disabled\n' });
    expect((await ocng(['user', 'list'])).stdout).toMatch(/^alice\s+no\s/m);
    expect((await ocng(['user', 'enable', 'alice'])).code).toBe(0);

    r = await ocng(['user', 'remove', 'bob']);
    expect(r).toMatchObject({ code: 0, stdout: 'user bob removed\n' });
    r = await ocng(['user', 'remove', 'bob']);
    expect(r).toMatchObject({ code: 1, stderr: 'ocng: no user named "bob"\n' });
  });

  it('refuses to add without a password when standard input is not a terminal', async () => {
    const r = await ocng(['user', 'add', 'bob']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: no password given: use --password <password> or --password-stdin/);
    expect((await ocng(['user', 'add', 'bob', '--password', 'a', '--password-stdin'])).stderr).toContain('not both');
    expect((await ocng(['user', 'add', 'bob', '--password-stdin'], { stdin: 'a\nb\n' })).stderr).toContain('single line');
    expect((await ocng(['user', 'add', 'bob', '--password-stdin'], { stdin: '' })).stderr).toBe('ocng: the password must not be empty\n');
    expect(JSON.parse((await ocng(['user', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('asks twice on a terminal without echoing', async () => {
    let r = await ocng(['user', 'add', 'tty'], { tty: ['s3cret!', 's3cret!'] });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('New password for tty: ');
    expect(r.stderr).toContain('Repeat the password: ');
    expect(r.stderr).not.toContain('s3cret');
    r = await ocng(['user', 'passwd', 'tty'], { tty: ['one', 'two'] });
    expect(r).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('ocng: the passwords do not match');
  });

  it('refuses bad and duplicate names before asking for a password', async () => {
    expect((await ocng(['user', 'add', 'bad name'])).stderr).toMatch(/^ocng: invalid user name "bad name"/);
    await ocng(['user', 'add', 'x', '--password', 'p']);
    expect((await ocng(['user', 'add', 'X'])).stderr).toBe('ocng: a user named "X" already exists\n');
    expect((await ocng(['user', 'passwd', 'nobody'])).stderr).toBe('ocng: no user named "nobody"\n');
  });
});

describe('ocng group', () => {
  it('adds, lists and removes groups and members', async () => {
    await ocng(['user', 'add', 'ann', '--password', 'p']);
    await ocng(['user', 'add', 'ben', '--password', 'p']);
    let r = await ocng(['group', 'add', 'sales', '--display-name', 'Sales Team', '--email', 'sales@corp.test']);
    expect(r).toMatchObject({ code: 0, stdout: 'group sales added (sales@corp.test)\n' });
    expect((await ocng(['group', 'add-member', 'sales', 'ann'])).stdout).toBe('ann added to sales\n');
    expect((await ocng(['group', 'add-member', 'sales', 'ben'])).code).toBe(0);
    r = await ocng(['group', 'list']);
    expect(r.stdout).toMatch(/^sales\s+sales@corp\.test\s+Sales Team\s+ann,ben$/m);
    expect((await ocng(['group', 'remove-member', 'sales', 'ann'])).code).toBe(0);
    r = await ocng(['group', 'list', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject([{ name: 'sales', displayName: 'Sales Team', members: ['ben'] }]);
    r = await ocng(['group', 'add-member', 'sales', 'nobody']);
    expect(r).toMatchObject({ code: 1, stderr: 'ocng: no user named "nobody"\n' });
    r = await ocng(['group', 'add', 'ann']);
    expect(r).toMatchObject({ code: 1, stderr: 'ocng: a user named "ann" already exists\n' });
    expect((await ocng(['group', 'remove', 'sales'])).stdout).toBe('group sales removed\n');
    expect((await ocng(['group', 'list'])).stderr).toBe('no groups\n');
  });
});

function loadedConfig(): Config {
  return loadConfig({ env: {}, cwd });
}

describe('ocng config', () => {
  it('check prints the resolved configuration with env < --set < convenience flags', async () => {
    fs.writeFileSync(path.join(cwd, 'ocng.yaml'), 'rpc:\n  port: 7001\n  epmPort: 7135\nlog:\n  level: warn\n');
    const env = { OCNG_RPC__PORT: '7002', OCNG_RPC__MAX_CONNECTIONS: '10', OCNG_DATA_DIR: 'from-env' };
    let r = await ocng(['config', 'check'], { env });
    expect(r.code).toBe(0);
    let c = parse(r.stdout) as Config;
    expect(c.rpc.port).toBe(7002);
    expect(c.rpc.epmPort).toBe(7135);
    expect(c.rpc.maxConnections).toBe(10);
    expect(c.log.level).toBe('warn');
    expect(c.dataDir).toBe(path.join(cwd, 'from-env'));
    expect(r.stdout).toContain(`# config file: ${path.join(cwd, 'ocng.yaml')}`);
    expect(r.stdout).toContain('epmPort: 7135 # ocng.yaml:3:12');

    r = await ocng(['--set', 'rpc.port=7003', 'config', 'check', '--set', 'log.level=info', '--log-level', 'debug', '--data-dir', '/srv/x'], { env });
    expect(r.code).toBe(0);
    c = parse(r.stdout) as Config;
    expect(c.rpc.port).toBe(7003);
    expect(c.log.level).toBe('debug');
    expect(c.dataDir).toBe('/srv/x');
  });

  it('check reads -c and $OCNG_CONFIG', async () => {
    fs.writeFileSync(path.join(cwd, 'a.yaml'), 'rpc: { port: 7101 }\n');
    fs.writeFileSync(path.join(cwd, 'b.yaml'), 'rpc: { port: 7102 }\n');
    expect((parse((await ocng(['-c', 'a.yaml', 'config', 'check'])).stdout) as Config).rpc.port).toBe(7101);
    expect((parse((await ocng(['config', 'check', '--config', 'a.yaml'])).stdout) as Config).rpc.port).toBe(7101);
    expect((parse((await ocng(['config', 'check'], { env: { OCNG_CONFIG: 'b.yaml' } })).stdout) as Config).rpc.port).toBe(7102);
  });

  it('check exits 1 with the error on an invalid configuration', async () => {
    let r = await ocng(['config', 'check'], { env: { OCNG_RPC__PORT: '99999' } });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      'ocng: invalid configuration: rpc.port: must be an integer from 0 to 65535, got 99999 (environment variable OCNG_RPC__PORT)\n',
    );
    r = await ocng(['config', 'check', '--log-level', 'chatty']);
    expect(r.stderr).toContain('(--log-level chatty)');
    r = await ocng(['-c', 'missing.yaml', 'config', 'check']);
    expect(r).toMatchObject({ code: 1, stderr: 'ocng: config file missing.yaml does not exist\n' });
    fs.writeFileSync(path.join(cwd, 'ocng.yaml'), 'rpc:\n  port: [\n');
    r = await ocng(['config', 'check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: ocng\.yaml:\d+:\d+: YAML syntax error/);
    // Other commands refuse the same configuration.
    expect((await ocng(['user', 'list'])).code).toBe(1);
  });

  it('doc prints the key table and --update-readme rewrites the marked block', async () => {
    let r = await ocng(['config', 'doc']);
    expect(r).toMatchObject({ code: 0, stdout: renderConfigDoc() });
    fs.writeFileSync(path.join(cwd, 'README.md'), `# X\n\n${README_BEGIN}\nstale\n${README_END}\ntail\n`);
    r = await ocng(['config', 'doc', '--update-readme']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('updated');
    const text = fs.readFileSync(path.join(cwd, 'README.md'), 'utf8');
    expect(text).toBe(`# X\n\n${README_BEGIN}\n${renderConfigDoc()}${README_END}\ntail\n`);
    expect((await ocng(['config', 'doc', '--update-readme'])).stdout).toContain('already up to date');
    fs.writeFileSync(path.join(cwd, 'OTHER.md'), 'no markers\n');
    r = await ocng(['config', 'doc', '--update-readme', 'OTHER.md']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('markers');
    // `config doc` works even when the configuration is broken.
    expect((await ocng(['config', 'doc'], { env: { OCNG_BOGUS: '1' } })).code).toBe(0);
  });

  it('example prints ocng.example.yaml', async () => {
    expect(await ocng(['config', 'example'])).toMatchObject({ code: 0, stdout: renderExampleYaml() });
  });
});

describe('ocng serve', () => {
  function fakeServer(calls: { config?: Config; directory?: Directory; closed: number }): StartServer {
    return async (config, _log, opts) => {
      calls.config = config;
      calls.directory = opts.directory;
      return {
        ports: { rpc: 6100, epm: null },
        endpoints: ['ncacn_ip_tcp:127.0.0.1[6100] EMSMDB', 'ncacn_ip_tcp:127.0.0.1[6100] NSPI'],
        close: async () => {
          calls.closed++;
        },
      };
    };
  }

  it('creates the demo user, prints endpoints and stops cleanly on a signal', async () => {
    const calls: { config?: Config; directory?: Directory; closed: number } = { closed: 0 };
    const r = await ocng(['serve', '--set', 'rpc.port=0'], {
      deps: { startServer: fakeServer(calls) },
      onSignalRegistered: (fire) => setTimeout(() => fire('SIGTERM'), 10),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const password = /password: (\S+)/.exec(r.stdout)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(r.stdout).toContain('username: demo');
    expect(r.stdout).toContain(path.join(cwd, 'data', 'demo-password.txt'));
    expect(r.stdout).toContain('ncacn_ip_tcp:127.0.0.1[6100] EMSMDB\nncacn_ip_tcp:127.0.0.1[6100] NSPI\n');
    expect(calls.config?.rpc.port).toBe(0);
    expect(calls.closed).toBe(1);
    // The directory was handed to the server and closed on the way out.
    await expect(calls.directory?.listUsers()).rejects.toMatchObject({ code: 'OC_DIR_CLOSED' });
    const dir = openDirectory(calls.config as Config, silentLogger());
    try {
      expect(await dir.verifyPassword('demo', password)).not.toBeNull();
    } finally {
      await dir.close();
    }
    // Second start: no new demo user, no credentials printed.
    const again = await ocng(['serve'], { deps: { startServer: fakeServer(calls) }, onSignalRegistered: (fire) => fire('SIGINT') });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('password');
  });

  it('explains EACCES on the endpoint mapper port', async () => {
    const err = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:135'), {
      code: 'EACCES',
      syscall: 'listen',
      address: '0.0.0.0',
      port: 135,
    });
    const r = await ocng(['serve', '--set', 'directory.demoUser=false'], { deps: { startServer: async () => Promise.reject(err) } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').length).toBe(2); // one line
    expect(r.stderr).toMatch(/^ocng: cannot listen on 0\.0\.0\.0:135: permission denied/);
    expect(r.stderr).toContain('--set rpc.epmPort=-1');
    expect(r.stderr).toContain('setcap cap_net_bind_service=+ep');
  });

  it('explains EADDRINUSE, also when wrapped', async () => {
    const inner = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:6100'), {
      code: 'EADDRINUSE',
      address: '0.0.0.0',
      port: 6100,
    });
    const r = await ocng(['serve'], { deps: { startServer: async () => Promise.reject(new Error('rpc listener failed', { cause: inner })) } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: cannot listen on 0\.0\.0\.0:6100: the address is already in use.*--set rpc\.port=<port>\n$/);
  });

  it('reports other start-up errors in one line', async () => {
    let r = await ocng(['serve'], { deps: { startServer: async () => Promise.reject(new Error('boom')) } });
    expect(r).toMatchObject({ code: 1, stderr: 'ocng: boom\n' });
    r = await ocng(['serve', '--set', 'rpc.port=-5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: invalid configuration: rpc\.port/);
    r = await ocng(['serve', '--set', `log.file=${path.join(cwd, 'no', 'such', 'dir.log')}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: cannot open the log file/);
  });
});
