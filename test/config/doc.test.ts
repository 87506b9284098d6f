import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  README_BEGIN,
  README_END,
  readmeConfigBlock,
  renderConfigDoc,
  renderConfigTable,
  renderExampleYaml,
  renderResolvedYaml,
  updateReadmeText,
} from '../../src/config/doc.js';
import { configKeys } from '../../src/config/keys.js';
import { loadConfig, resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('config documentation', () => {
  it('has one table row per key with path, type, default, env var and description', () => {
    const rows = renderConfigTable().trimEnd().split('\n').slice(2);
    expect(rows.length).toBe(configKeys.length);
    for (const [i, k] of configKeys.entries()) {
      const row = rows[i] as string;
      expect(row.startsWith(`| \`${k.name}\` |`)).toBe(true);
      expect(row).toContain(`\`${k.env}\``);
    }
    expect(renderConfigTable()).toContain('| `rpc.port` | integer 0..65535 | `6100` | `OCNG_RPC__PORT` |');
  });

  it('rewrites only the text between the README markers', () => {
    const before = `# Title\n\n## Configuration\n\n${README_BEGIN}\nold table\n${README_END}\n\nMore text.\n`;
    const after = updateReadmeText(before);
    expect(after.startsWith(`# Title\n\n## Configuration\n\n${README_BEGIN}\n`)).toBe(true);
    expect(after.endsWith(`${README_END}\n\nMore text.\n`)).toBe(true);
    expect(after).not.toContain('old table');
    expect(readmeConfigBlock(after)).toBe(renderConfigDoc().trim());
    expect(updateReadmeText(after)).toBe(after);
    expect(() => updateReadmeText('# no markers\n')).toThrow(ConfigError);
  });

  it('README.md documents every configuration key (run `ocng config doc --update-readme` when this fails)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const missing = configKeys.filter((k) => !readme.includes(`\`${k.name}\``)).map((k) => k.name);
    expect(missing).toEqual([]);
    expect(readmeConfigBlock(readme), 'README.md config block is stale').toBe(renderConfigDoc().trim());
  });

  it('ocng.example.yaml is the generated example (run `ocng config example > ocng.example.yaml` when this fails)', () => {
    const text = fs.readFileSync(path.join(root, 'ocng.example.yaml'), 'utf8');
    expect(text).toBe(renderExampleYaml());
    for (const k of configKeys) expect(text).toContain(`#${k.path[k.path.length - 1]}: `);
  });

  it('the example file as shipped gives the defaults', () => {
    const f = path.join(dir, 'example.yaml');
    fs.writeFileSync(f, renderExampleYaml());
    expect(loadConfig({ file: f, env: {}, cwd: dir })).toEqual(loadConfig({ env: {}, cwd: dir }));
  });

  it('the example file with every key uncommented is valid', () => {
    const f = path.join(dir, 'example.yaml');
    const uncommented = renderExampleYaml()
      .split('\n')
      .map((l) => l.replace(/^(\s*)#([A-Za-z]+:.*)$/, '$1$2'))
      .join('\n');
    fs.writeFileSync(f, uncommented);
    const c = loadConfig({ file: f, env: {}, cwd: dir });
    expect(c.server).toMatchObject({ hostname: 'mail.example.com', dnsDomain: 'example.com', netbiosName: 'MAIL' });
    expect(c.rpc).toEqual(loadConfig({ env: {}, cwd: dir }).rpc);
  });

  it('the resolved YAML reads back into the same configuration and names sources', () => {
    const r = resolveConfig({ env: { OCNG_RPC__PORT: '7000' }, cwd: dir, set: ['log.level=debug'] });
    const text = renderResolvedYaml(r);
    expect(text).toContain('port: 7000 # environment variable OCNG_RPC__PORT');
    expect(text).toContain('level: debug # --set log.level=debug');
    expect(text.startsWith('# config file: (none)\n')).toBe(true);
    expect(parse(text)).toEqual(r.config);
    const f = path.join(dir, 'resolved.yaml');
    fs.writeFileSync(f, text);
    expect(loadConfig({ file: f, env: {}, cwd: dir })).toEqual(r.config);
  });
});
