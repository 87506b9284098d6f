import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../src/config/load.js';
import { configKeys } from '../../src/config/keys.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

function failure(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig sources', () => {
  it('gives the defaults with no file, no environment and no flags', () => {
    const c = loadConfig({ env: {}, cwd: dir });
    expect(c.rpc.port).toBe(6100);
    expect(c.dataDir).toBe(path.join(dir, 'data'));
  });

  it('reads the file named by opts.file', () => {
    const f = write('a.yaml', 'rpc:\n  port: 7001\n  httpPorts:\n    nspi: 7004\nlog:\n  level: debug\n');
    const c = loadConfig({ file: f, env: {}, cwd: dir });
    expect(c.rpc.port).toBe(7001);
    expect(c.rpc.httpPorts).toEqual({ emsmdb: 6001, nspi: 7004, rfr: 6002 });
    expect(c.log.level).toBe('debug');
  });

  it('resolves a relative file name against cwd', () => {
    write('b.yaml', 'rpc: { port: 7002 }\n');
    expect(loadConfig({ file: 'b.yaml', env: {}, cwd: dir }).rpc.port).toBe(7002);
  });

  it('reads $OCNG_CONFIG when no file is given', () => {
    write('c.yaml', 'rpc: { port: 7003 }\n');
    expect(loadConfig({ env: { OCNG_CONFIG: 'c.yaml' }, cwd: dir }).rpc.port).toBe(7003);
  });

  it('reads ./ocng.yaml when it exists and nothing else is named', () => {
    write('ocng.yaml', 'rpc: { port: 7004 }\n');
    const r = resolveConfig({ env: {}, cwd: dir });
    expect(r.config.rpc.port).toBe(7004);
    expect(r.file).toBe(path.join(dir, 'ocng.yaml'));
    write('other.yaml', 'rpc: { port: 7005 }\n');
    expect(loadConfig({ env: { OCNG_CONFIG: 'other.yaml' }, cwd: dir }).rpc.port).toBe(7005);
  });

  it('refuses a named file that does not exist', () => {
    expect(failure(() => loadConfig({ file: 'nope.yaml', env: {}, cwd: dir })).code).toBe('OC_CONFIG_FILE');
    const e = failure(() => loadConfig({ env: { OCNG_CONFIG: 'gone.yaml' }, cwd: dir }));
    expect(e.message).toContain('gone.yaml');
    expect(e.message).toContain('OCNG_CONFIG');
  });

  it('accepts an empty file and sections whose keys are all commented out', () => {
    write('empty.yaml', '# nothing\n');
    expect(loadConfig({ file: 'empty.yaml', env: {}, cwd: dir }).rpc.port).toBe(6100);
    write('sections.yaml', 'rpc:\n  # port: 1\nlog:\n');
    expect(loadConfig({ file: 'sections.yaml', env: {}, cwd: dir }).rpc.port).toBe(6100);
  });

  it('reads OCNG_* variables with the types of the schema', () => {
    const c = loadConfig({
      cwd: dir,
      env: {
        OCNG_RPC__PORT: '7000',
        OCNG_RPC__MAX_FRAGMENT_SIZE: '4280',
        OCNG_LOG__LEVEL: 'debug',
        OCNG_DATA_DIR: '/var/lib/ocng',
        OCNG_AUTH__ALLOW_NTLM_V1: 'false',
        OCNG_DIRECTORY__DEMO_USER: 'no',
        OCNG_RPC__EPM_PORT: '-1',
        OCNG_RPC__HTTP_PORTS__RFR: '7002',
        OCNG_SERVER__HOSTNAME: 'mail.example.org',
        PATH: '/usr/bin',
      },
    });
    expect(c.rpc.port).toBe(7000);
    expect(c.rpc.maxFragmentSize).toBe(4280);
    expect(c.log.level).toBe('debug');
    expect(c.dataDir).toBe('/var/lib/ocng');
    expect(c.auth.allowNtlmV1).toBe(false);
    expect(c.directory.demoUser).toBe(false);
    expect(c.rpc.epmPort).toBe(-1);
    expect(c.rpc.httpPorts.rfr).toBe(7002);
    expect(c.server.dnsDomain).toBe('example.org');
    expect(c.server.netbiosName).toBe('MAIL');
  });

  it('matches environment segments case-insensitively, ignoring underscores', () => {
    const c = loadConfig({ cwd: dir, env: { OCNG_RPC__MAXFRAGMENTSIZE: '4000', OCNG_Log__Level: 'WARN' } });
    expect(c.rpc.maxFragmentSize).toBe(4000);
    expect(c.log.level).toBe('warn');
  });

  it('applies defaults < file < environment < --set < overrides', () => {
    write('ocng.yaml', 'rpc:\n  port: 7001\n  epmPort: 7135\n  maxConnections: 5\n  idleTimeoutSeconds: 60\n');
    const env = { OCNG_RPC__EPM_PORT: '8135', OCNG_RPC__MAX_CONNECTIONS: '6', OCNG_RPC__IDLE_TIMEOUT_SECONDS: '61' };
    const r = resolveConfig({ cwd: dir, env, set: ['rpc.maxConnections=7', 'rpc.idleTimeoutSeconds=62'], overrides: { rpc: { idleTimeoutSeconds: 63 } } });
    expect(r.config.rpc.port).toBe(7001);
    expect(r.config.rpc.epmPort).toBe(8135);
    expect(r.config.rpc.maxConnections).toBe(7);
    expect(r.config.rpc.idleTimeoutSeconds).toBe(63);
    expect(r.config.rpc.maxFragmentSize).toBe(5840);
    expect(r.origins.get('rpc.port')).toBe('ocng.yaml:2:9');
    expect(r.origins.get('rpc.epmPort')).toBe('environment variable OCNG_RPC__EPM_PORT');
    expect(r.origins.get('rpc.maxConnections')).toBe('--set rpc.maxConnections=7');
    expect(r.origins.get('rpc.idleTimeoutSeconds')).toBe('overrides');
    expect(r.origins.has('rpc.maxFragmentSize')).toBe(false);
  });

  it('parses --set values, keeping "=" inside values', () => {
    const c = loadConfig({ cwd: dir, env: {}, set: ['log.file=/tmp/a=b.log', 'auth.allowNtlmV1=off', 'rpc.listen=127.0.0.1'] });
    expect(c.log.file).toBe('/tmp/a=b.log');
    expect(c.auth.allowNtlmV1).toBe(false);
    expect(c.rpc.listen).toBe('127.0.0.1');
    expect(loadConfig({ cwd: dir, env: { OCNG_LOG__FILE: 'x.log' }, set: ['log.file='] }).log.file).toBe('');
  });

  it('resolves a relative dataDir against the current directory, keeps an absolute one', () => {
    expect(loadConfig({ cwd: dir, env: {}, set: ['dataDir=state/x'] }).dataDir).toBe(path.join(dir, 'state/x'));
    expect(loadConfig({ cwd: dir, env: {}, set: ['dataDir=/srv/ocng'] }).dataDir).toBe('/srv/ocng');
  });
});

describe('loadConfig errors', () => {
  it('refuses an unknown key in the file, naming file, line and a suggestion', () => {
    write('ocng.yaml', 'rpc:\n  port: 7000\n  prot: 7001\n');
    const e = failure(() => loadConfig({ env: {}, cwd: dir }));
    expect(e.code).toBe('OC_CONFIG_UNKNOWN_KEY');
    expect(e.message).toContain('"rpc.prot"');
    expect(e.message).toContain('did you mean "rpc.port"');
    expect(e.message).toContain('ocng.yaml:3:3');
  });

  it('refuses an unknown top-level key', () => {
    write('ocng.yaml', 'datadir: /x\n');
    expect(failure(() => loadConfig({ env: {}, cwd: dir })).message).toContain('did you mean "dataDir"');
  });

  it('refuses an unknown OCNG_ variable but not OCNG_CONFIG', () => {
    const e = failure(() => loadConfig({ cwd: dir, env: { OCNG_RPC__PROT: '1' } }));
    expect(e.code).toBe('OC_CONFIG_UNKNOWN_KEY');
    expect(e.message).toContain('OCNG_RPC__PROT');
    expect(e.message).toContain('OCNG_RPC__PORT');
    expect(failure(() => loadConfig({ cwd: dir, env: { OCNG_RPC: '1' } })).message).toContain('OCNG_RPC');
    expect(failure(() => loadConfig({ cwd: dir, env: { OCNG_RPC_PORT: '1' } })).message).toContain('OCNG_RPC_PORT');
  });

  it('refuses an unknown --set key and a --set without "="', () => {
    expect(failure(() => loadConfig({ cwd: dir, env: {}, set: ['rpc.maxFragment=3'] })).message).toContain('did you mean "rpc.maxFragmentSize"');
    expect(failure(() => loadConfig({ cwd: dir, env: {}, set: ['rpc=3'] })).message).toContain('section');
    expect(failure(() => loadConfig({ cwd: dir, env: {}, set: ['rpc.port'] })).message).toContain('key.path=value');
  });

  it('names the environment variable that holds a bad value', () => {
    const e = failure(() => loadConfig({ cwd: dir, env: { OCNG_RPC__PORT: '70000' } }));
    expect(e.code).toBe('OC_CONFIG_INVALID');
    expect(e.message).toBe('invalid configuration: rpc.port: must be an integer from 0 to 65535, got 70000 (environment variable OCNG_RPC__PORT)');
    expect(failure(() => loadConfig({ cwd: dir, env: { OCNG_RPC__PORT: '7k' } })).message).toContain('"7k"');
    expect(failure(() => loadConfig({ cwd: dir, env: { OCNG_AUTH__ALLOW_NTLM_V1: 'maybe' } })).message).toContain('true or false');
  });

  it('names the flag that holds a bad value', () => {
    const e = failure(() => loadConfig({ cwd: dir, env: {}, set: [{ path: 'log.level', value: 'loud', source: '--log-level loud' }] }));
    expect(e.message).toContain('log.level: must be one of fatal, error, warn, info, debug, trace, silent, got "loud" (--log-level loud)');
  });

  it('names file, line and column of a bad value', () => {
    write('ocng.yaml', 'server:\n  netbiosName: "MY SERVER"\nrpc:\n  maxFragmentSize: 100\n');
    const e = failure(() => loadConfig({ env: {}, cwd: dir }));
    expect(e.message).toContain('server.netbiosName');
    expect(e.message).toContain('ocng.yaml:2:16');
    expect(e.message).toContain('rpc.maxFragmentSize: must be an integer from 1432 to 65535, got 100 (ocng.yaml:4:20)');
    expect(e.message).toContain('2 problems');
  });

  it('refuses a wrongly typed value in the file', () => {
    write('ocng.yaml', 'rpc:\n  port: "6100"\n');
    expect(failure(() => loadConfig({ env: {}, cwd: dir })).message).toContain('expected an integer from 0 to 65535, got "6100"');
    write('ocng.yaml', 'rpc: 5\n');
    expect(failure(() => loadConfig({ env: {}, cwd: dir })).message).toContain('rpc: expected a mapping');
    write('ocng.yaml', 'rpc:\n  port:\n');
    expect(failure(() => loadConfig({ env: {}, cwd: dir })).message).toContain('rpc.port: has no value');
    write('ocng.yaml', '- a\n- b\n');
    expect(failure(() => loadConfig({ env: {}, cwd: dir })).message).toContain('mapping');
  });

  it('reports YAML syntax errors with line and column', () => {
    write('ocng.yaml', 'rpc:\n  port: 7000\n bad: [\n');
    const e = failure(() => loadConfig({ env: {}, cwd: dir }));
    expect(e.code).toBe('OC_CONFIG_YAML');
    expect(e.message).toMatch(/^ocng\.yaml:\d+:\d+: YAML syntax error: /);
    expect(e.details).toMatchObject({ line: expect.any(Number), col: expect.any(Number) });
    write('dup.yaml', 'rpc:\n  port: 1\n  port: 2\n');
    expect(failure(() => loadConfig({ file: 'dup.yaml', env: {}, cwd: dir })).message).toMatch(/^dup\.yaml:3:3: YAML syntax error: .*unique/i);
  });

  it('reports every problem at once', () => {
    const e = failure(() =>
      loadConfig({ cwd: dir, env: { OCNG_RPC__PORT: 'x', OCNG_RPC__EPM_PORT: '70000', OCNG_BOGUS: '1' }, set: ['log.level=loud'] }),
    );
    expect(e.message).toContain('4 problems');
    expect((e.details?.problems as unknown[]).length).toBe(4);
  });

  it('never fails with anything but a ConfigError (fuzzed environment and flags)', () => {
    const names = [...configKeys.map((k) => k.env), 'OCNG_X', 'OCNG_', 'OCNG_RPC__', 'OCNG___PORT'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names), fc.string({ maxLength: 12 })),
        fc.array(fc.tuple(fc.constantFrom(...configKeys.map((k) => k.name), 'x', 'rpc', ''), fc.string({ maxLength: 12 })), { maxLength: 4 }),
        (env, sets) => {
          try {
            const c = loadConfig({ cwd: dir, env, set: sets.map(([k, v]) => `${k}=${v}`) });
            expect(typeof c.rpc.port).toBe('number');
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never fails with anything but a ConfigError (fuzzed YAML)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        write('ocng.yaml', text);
        try {
          loadConfig({ cwd: dir, env: {} });
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never fails with anything but a ConfigError (fuzzed YAML mappings of real and wrong keys)', () => {
    const names = [...new Set(configKeys.flatMap((k) => k.path)), 'prot', 'Rpc', ''];
    const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: -2, max: 70000 }), fc.constantFrom('debug', '', 'yes', 'x y'));
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, value, fc.dictionary(fc.constantFrom(...names), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), tree, { maxKeys: 5 }), (obj) => {
        write('ocng.yaml', stringify(obj));
        try {
          const c = loadConfig({ cwd: dir, env: {} });
          expect(typeof c.rpc.port).toBe('number');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
