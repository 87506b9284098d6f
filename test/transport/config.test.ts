// The `smtp` configuration section (src/config/schema.ts): defaults (no relay), environment overrides, validation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/util/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-smtp-cfg-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('smtp config', () => {
  it('defaults to no relay, external mail allowed once one is set', () => {
    const c = loadConfig({ env: {}, cwd: dir });
    expect(c.smtp).toEqual({
      host: '', port: 25, security: 'none', allowInvalidCertificates: false, caFile: '', user: '', password: '', heloName: '', timeoutSeconds: 60, allowExternal: true, maxSendSizeKb: 10240,
    });
  });

  it('takes the keys from the environment', () => {
    const c = loadConfig({
      env: { OCNG_SMTP__HOST: 'relay.example.com', OCNG_SMTP__PORT: '587', OCNG_SMTP__SECURITY: 'starttls', OCNG_SMTP__USER: 'ocng', OCNG_SMTP__ALLOW_EXTERNAL: 'false' },
      cwd: dir,
    });
    expect(c.smtp).toMatchObject({ host: 'relay.example.com', port: 587, security: 'starttls', user: 'ocng', allowExternal: false });
  });

  it('refuses bad values with a ConfigError', () => {
    expect(() => loadConfig({ env: { OCNG_SMTP__SECURITY: 'ssl' }, cwd: dir })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { OCNG_SMTP__PORT: '0' }, cwd: dir })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { OCNG_SMTP__HOST: 'not a host' }, cwd: dir })).toThrow(ConfigError);
    expect(loadConfig({ env: { OCNG_SMTP__HOST: '192.0.2.7' }, cwd: dir }).smtp.host).toBe('192.0.2.7');
  });
});
