// ocng user add|set|show with person attributes and aliases, ocng contact ..., and the commands with the LDAP
// provider (reads work, changes are refused; serve reads the users from slapd).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { StartServer } from '../../src/cli/run.js';
import type { Directory } from '../../src/directory/types.js';
import { tempDir } from '../config/helpers.js';
import { makeFixture, SERVICE_DN, SERVICE_PW, BASE_DN, CONTACT_FILTER, Slapd } from '../helpers/slapd.js';
import { cli, type RunOptions } from './harness.js';

let cwd: string;
let cleanup: () => void;
beforeEach(() => ({ dir: cwd, cleanup } = tempDir('ocng-cli-dir-')));
afterEach(() => cleanup());

const ocng = (argv: string[], o: Partial<RunOptions> = {}) => cli(argv, { cwd, ...o });

describe('ocng --help (directory commands)', () => {
  for (const argv of [['user', 'set', '--help'], ['user', 'show', '--help'], ['contact', '--help'], ['contact', 'add', '--help'], ['contact', 'set', '--help']]) {
    it(argv.join(' '), async () => {
      const r = await ocng(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: ocng/);
    });
  }
});

describe('ocng user: attributes and aliases', () => {
  it('adds with attributes and aliases, shows, changes and clears them', async () => {
    let r = await ocng([
      'user', 'add', 'zoe', '--password', 'pw', '--display-name', 'Zoë Ångström', '--given-name', 'Zoë', '--surname', 'Ångström',
      '--title', 'Engineer', '--department', 'R&D', '--company', 'ACME', '--office', 'B1', '--phone', '+46 8 1', '--mobile', '+46 70 1',
      '--alias', 'z.angstrom@example.net', '--alias', 'X500:/o=Old/ou=First/cn=Recipients/cn=zoe', '--email', 'zoe@example.net',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'user zoe added (zoe@example.net)\n', stderr: '' });
    await ocng(['group', 'add', 'staff', '--alias', 'everyone@example.net']);
    await ocng(['group', 'add-member', 'staff', 'zoe']);

    r = await ocng(['user', 'show', 'z.angstrom@example.net']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^username:\s+zoe$/m);
    expect(r.stdout).toMatch(/^display name:\s+Zoë Ångström$/m);
    expect(r.stdout).toMatch(/^proxy addresses:\s+SMTP:zoe@example\.net, smtp:z\.angstrom@example\.net, X500:\/o=Old\/ou=First\/cn=Recipients\/cn=zoe$/m);
    expect(r.stdout).toMatch(/^business phone:\s+\+46 8 1$/m);
    expect(r.stdout).toMatch(/^groups:\s+staff$/m);
    expect(r.stdout).toMatch(/^certificates:\s+0$/m);

    r = await ocng(['user', 'set', 'zoe', '--title', '', '--comment', 'Back on Monday', '--display-name', 'Zoë Å.', '--alias', 'zoe2@example.net', '--remove-alias', 'z.angstrom@example.net']);
    expect(r).toMatchObject({ code: 0, stdout: 'user zoe changed\n' });
    const json = JSON.parse((await ocng(['user', 'show', 'zoe', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      username: 'zoe',
      displayName: 'Zoë Å.',
      attributes: { givenName: 'Zoë', surname: 'Ångström', department: 'R&D', company: 'ACME', office: 'B1', businessPhone: '+46 8 1', mobilePhone: '+46 70 1', comment: 'Back on Monday' },
      proxyAddresses: ['SMTP:zoe@example.net', 'X500:/o=Old/ou=First/cn=Recipients/cn=zoe', 'smtp:zoe2@example.net'],
      groups: ['staff'],
      certificates: [],
      delegates: [],
    });
    expect((json.attributes as Record<string, string>).title).toBeUndefined();
    const staff = JSON.parse((await ocng(['group', 'list', '--json'])).stdout)[0] as { proxyAddresses: string[] };
    expect(staff.proxyAddresses).toEqual([expect.stringMatching(/^SMTP:staff@/), 'smtp:everyone@example.net']);
  });

  it('refuses what cannot be done with coded messages', async () => {
    await ocng(['user', 'add', 'ann', '--password', 'pw']);
    expect(await ocng(['user', 'set', 'ann'])).toMatchObject({ code: 1, stderr: 'ocng: nothing to change: give at least one option (see "ocng user set --help")\n' });
    expect((await ocng(['user', 'set', 'nobody', '--title', 'x'])).stderr).toBe('ocng: no user named "nobody"\n');
    expect((await ocng(['user', 'set', 'ann', '--title', 'a\u0001b'])).stderr).toMatch(/^ocng: invalid title/);
    expect((await ocng(['user', 'show', 'nobody'])).stderr).toBe('ocng: no user named "nobody"\n');
    const annMail = (JSON.parse((await ocng(['user', 'list', '--json'])).stdout)[0] as { smtpAddress: string }).smtpAddress;
    expect((await ocng(['user', 'add', 'bob', '--password', 'pw', '--alias', annMail])).stderr).toBe(`ocng: the address ${annMail} is already used by user ann\n`);
    expect((await ocng(['user', 'set', 'ann', '--remove-alias', 'never@x.test'])).stderr).toMatch(/^ocng: ann has no alias smtp:never@x\.test/);
  });
});

describe('ocng contact', () => {
  it('adds, lists, changes and removes mail contacts', async () => {
    let r = await ocng(['contact', 'add', 'jane.ext', '--email', 'jane@partner.test', '--display-name', 'Jane (Partner)', '--company', 'Partner Ltd', '--alias', 'j@partner2.test']);
    expect(r).toMatchObject({ code: 0, stdout: 'contact jane.ext added (jane@partner.test)\n' });
    r = await ocng(['contact', 'list']);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+EMAIL\s+DISPLAY NAME\s+COMPANY$/);
    expect(r.stdout).toMatch(/^jane\.ext\s+jane@partner\.test\s+Jane \(Partner\)\s+Partner Ltd$/m);
    expect((await ocng(['contact', 'set', 'jane.ext', '--company', 'New Ltd', '--phone', '+1 555'])).stdout).toBe('contact jane.ext changed\n');
    expect(JSON.parse((await ocng(['contact', 'list', '--json'])).stdout)).toMatchObject([
      { name: 'jane.ext', attributes: { company: 'New Ltd', businessPhone: '+1 555' }, proxyAddresses: ['SMTP:jane@partner.test', 'smtp:j@partner2.test'] },
    ]);
    expect((await ocng(['contact', 'add', 'x'])).stderr).toMatch(/required option '--email <address>'/);
    expect((await ocng(['user', 'add', 'jane.ext', '--password', 'p'])).stderr).toBe('ocng: a contact named "jane.ext" already exists\n');
    expect((await ocng(['contact', 'remove', 'jane.ext'])).stdout).toBe('contact jane.ext removed\n');
    expect((await ocng(['contact', 'list'])).stderr).toBe('no contacts\n');
    expect((await ocng(['contact', 'remove', 'jane.ext'])).stderr).toBe('ocng: no contact named "jane.ext"\n');
  });
});

describe('ocng with directory.provider = ldap', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await Slapd.create(makeFixture(20, 3, 2));
  });
  afterAll(async () => slapd?.close());

  const env = () => ({
    OCNG_DIRECTORY__PROVIDER: 'ldap',
    OCNG_DIRECTORY__LDAP__URL: slapd.url,
    OCNG_DIRECTORY__LDAP__BIND_DN: SERVICE_DN,
    OCNG_DIRECTORY__LDAP__BIND_PASSWORD: SERVICE_PW,
    OCNG_DIRECTORY__LDAP__BASE_DN: BASE_DN,
    OCNG_DIRECTORY__LDAP__CONTACT_FILTER: CONTACT_FILTER,
  });

  it('lists and shows what LDAP holds', async () => {
    let r = await ocng(['user', 'list'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^zoe\s+yes\s+zoe@example\.test\s+Zoë Ångström$/m);
    expect(r.stdout.trim().split('\n')).toHaveLength(21);
    r = await ocng(['user', 'show', 'lilei', '--json'], { env: env() });
    expect(JSON.parse(r.stdout)).toMatchObject({ username: 'lilei', displayName: '李雷', groups: ['posix-2'] });
    expect((await ocng(['group', 'list'], { env: env() })).stdout).toMatch(/^posix-1\s+posix-1@\S+\s+posix-1\s+user004,.*,zoe$/m);
    expect((await ocng(['contact', 'list'], { env: env() })).stdout).toMatch(/^Müller GmbH Kontakt\s+ext1@partner\.test/m);
  });

  it('refuses changes with a message that says where to make them', async () => {
    for (const argv of [
      ['user', 'add', 'x', '--password', 'p'],
      ['user', 'set', 'zoe', '--title', 't'],
      ['user', 'passwd', 'zoe', '--password', 'p'],
      ['user', 'disable', 'zoe'],
      ['user', 'remove', 'zoe'],
      ['group', 'add', 'g'],
      ['group', 'add-member', 'team-1', 'zoe'],
      ['contact', 'add', 'c', '--email', 'c@x.test'],
      ['contact', 'remove', 'c'],
    ]) {
      const r = await ocng(argv, { env: env() });
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr, argv.join(' ')).toMatch(/^ocng: cannot .*: directory\.provider is ldap, and the LDAP directory is read-only for ocng; manage users, groups and contacts in the LDAP server/);
    }
    expect(fs.existsSync(path.join(cwd, 'data', 'directory.sqlite'))).toBe(false);
  });

  it('reports an unreachable LDAP server in one line', async () => {
    const r = await ocng(['user', 'list'], { env: { ...env(), OCNG_DIRECTORY__LDAP__URL: 'ldap://127.0.0.1:1', OCNG_DIRECTORY__LDAP__TIMEOUT_SECONDS: '2' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ocng: cannot reach the LDAP server ldap:\/\/127\.0\.0\.1:1: .*\n$/);
  });

  it('serve hands the LDAP directory to the server and creates no demo user', async () => {
    const calls: { config?: Config; users?: number; closed: number } = { closed: 0 };
    const start: StartServer = async (config, _log, opts: { directory: Directory }) => {
      calls.config = config;
      calls.users = (await opts.directory.listUsers()).length;
      return { ports: { rpc: 1, epm: null }, endpoints: ['x'], close: async () => void calls.closed++ };
    };
    const r = await ocng(['serve'], { env: env(), deps: { startServer: start }, onSignalRegistered: (fire) => fire('SIGTERM') });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).not.toContain('password');
    expect(calls.users).toBe(20);
    expect(calls.closed).toBe(1);
    expect(fs.existsSync(path.join(cwd, 'data', 'directory.sqlite'))).toBe(false);
    const bad = await ocng(['serve'], { env: { ...env(), OCNG_DIRECTORY__LDAP__BIND_PASSWORD: 'wrong' }, deps: { startServer: start } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ocng: the LDAP server .* refused the bind as "cn=ocng,ou=services,dc=example,dc=test": invalid credentials/);
  });
});
