// Builds the Config from, in increasing precedence: schema defaults < YAML file < OCNG_* environment < --set flags
// < programmatic overrides. Unknown keys are errors in every source; every message names the key and the source
// (file:line:column, environment variable or flag) that supplied the bad value.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import type { Config } from './types.js';
import { configSchema } from './schema.js';
import {
  closest,
  configKeys,
  configTree,
  ENV_CONFIG_FILE,
  ENV_PREFIX,
  resolvePath,
  type KeyInfo,
  type SectionInfo,
} from './keys.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A --set style assignment with the flag that produced it (for messages), e.g. `--log-level`. */
export interface SetFlag {
  path: string;
  value: string;
  source: string;
}

export interface LoadOptions {
  /** Config file; else $OCNG_CONFIG; else ./ocng.yaml when it exists. */
  file?: string;
  /** Environment to read OCNG_* from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** `key.path=value` assignments (the --set flag), or flags already split. */
  set?: ReadonlyArray<string | SetFlag>;
  /** Highest-precedence values (already typed). */
  overrides?: DeepPartial<Config>;
  /** Directory that relative paths (file, dataDir) resolve against (default: process.cwd()). */
  cwd?: string;
}

export interface ResolvedConfig {
  config: Config;
  /** The config file that was read (absolute), or null. */
  file: string | null;
  /** Dotted key -> where its value came from, for every key not left at its default. */
  origins: ReadonlyMap<string, string>;
}

export const DEFAULT_CONFIG_FILE = 'ocng.yaml';
const MAX_FILE_BYTES = 1024 * 1024;

interface Problem {
  key: string | undefined;
  message: string;
  source: string | undefined;
  code: string;
}

class Collector {
  readonly raw: Record<string, unknown> = {};
  readonly origins = new Map<string, string>();
  readonly problems: Problem[] = [];

  problem(code: string, key: string | undefined, message: string, source?: string): void {
    this.problems.push({ code, key, message, source });
  }

  set(k: KeyInfo, value: unknown, source: string): void {
    let o = this.raw;
    for (const seg of k.path.slice(0, -1)) {
      const next = o[seg];
      if (next === null || typeof next !== 'object') o[seg] = {};
      o = o[seg] as Record<string, unknown>;
    }
    o[k.path[k.path.length - 1] as string] = value;
    this.origins.set(k.name, source);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function expected(k: KeyInfo): string {
  switch (k.kind) {
    case 'integer':
      return k.min !== undefined && k.max !== undefined ? `an integer from ${k.min} to ${k.max}` : 'an integer';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${(k.options ?? []).join(', ')}`;
    case 'string':
      return 'a string';
  }
}

function knownKeysOf(s: SectionInfo): string {
  return [...s.children.keys()].join(', ');
}

function unknownKeyMessage(section: SectionInfo, k: string): string {
  const prefix = section.name ? section.name + '.' : '';
  const guess = closest(k, section.children.keys());
  return `unknown key "${prefix}${k}"` + (guess ? ` (did you mean "${prefix}${guess}"?)` : ` (known keys here: ${knownKeysOf(section)})`);
}

/** Walks a nested object (YAML file or overrides) against the key tree, collecting leaf values. */
function applyTree(
  c: Collector,
  value: Record<string, unknown>,
  section: SectionInfo,
  at: (p: string[], which: 'key' | 'value') => string,
  nulls: 'error' | 'skip',
): void {
  for (const [k, v] of Object.entries(value)) {
    const node = section.children.get(k);
    const p = [...section.path, k];
    if (!node) {
      c.problem('OC_CONFIG_UNKNOWN_KEY', undefined, unknownKeyMessage(section, k), at(p, 'key'));
      continue;
    }
    if (v === undefined) continue;
    if (node.type === 'section') {
      if (v === null) continue; // `rpc:` with every child commented out
      if (!isPlainObject(v)) {
        c.problem('OC_CONFIG_INVALID', node.name, `expected a mapping with keys ${knownKeysOf(node)}, got ${describeValue(v)}`, at(p, 'value'));
        continue;
      }
      applyTree(c, v, node, at, nulls);
      continue;
    }
    if (v === null) {
      if (nulls === 'error') c.problem('OC_CONFIG_INVALID', node.name, 'has no value (remove the key to use the default)', at(p, 'value'));
      continue;
    }
    c.set(node, v, at(p, 'value'));
  }
}

/** Parses a textual value (environment variable or --set) according to the key's kind. */
function parseText(k: KeyInfo, text: string): { value: unknown } | { error: string } {
  switch (k.kind) {
    case 'string':
      return { value: text };
    case 'integer': {
      const t = text.trim();
      if (!/^[+-]?\d{1,16}$/.test(t)) return { error: `expected ${expected(k)}, got ${JSON.stringify(text)}` };
      return { value: Number(t) };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(t)) return { value: true };
      if (['false', 'no', 'off', '0'].includes(t)) return { value: false };
      return { error: `expected true or false, got ${JSON.stringify(text)}` };
    }
    case 'enum': {
      const t = text.trim().toLowerCase();
      const hit = (k.options ?? []).find((o) => o.toLowerCase() === t);
      return { value: hit ?? text };
    }
  }
}

function readYaml(c: Collector, file: string, shown: string): void {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new ConfigError('OC_CONFIG_FILE', `config file ${shown} is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw new ConfigError('OC_CONFIG_FILE', `config file ${shown} is larger than 1 MiB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('OC_CONFIG_FILE', `config file ${shown} does not exist`, { file });
    throw new ConfigError('OC_CONFIG_FILE', `cannot read config file ${shown}: ${(e as Error).message}`, { file });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `${shown}:${pos.line}:${pos.col}` : shown;
    const first = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.message;
    throw new ConfigError('OC_CONFIG_YAML', `${where}: YAML syntax error: ${first}`, { file, line: pos?.line, col: pos?.col });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError('OC_CONFIG_YAML', `${shown}: ${(e as Error).message}`, { file });
  }
  if (value === null || value === undefined) return; // empty file: defaults
  if (!isPlainObject(value)) {
    throw new ConfigError('OC_CONFIG_INVALID', `${shown}: expected a mapping of configuration keys at the top level, got ${describeValue(value)}`, { file });
  }
  const at = (p: string[], which: 'key' | 'value'): string => {
    const pos = yamlPosition(doc, lc, p, which);
    return pos ? `${shown}:${pos.line}:${pos.col}` : shown;
  };
  applyTree(c, value, configTree, at, 'error');
}

function yamlPosition(doc: Document, lc: LineCounter, p: string[], which: 'key' | 'value'): { line: number; col: number } | null {
  const parent = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return null;
  const last = p[p.length - 1];
  const pair = parent.items.find((it) => (isScalar(it.key) ? String(it.key.value) === last : it.key === last));
  if (!pair) return null;
  const node = which === 'key' ? pair.key : pair.value;
  const range = (node as { range?: [number, number, number] } | null)?.range ?? (pair.key as { range?: [number, number, number] } | null)?.range;
  return range ? lc.linePos(range[0]) : null;
}

function readEnv(c: Collector, env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || name === ENV_CONFIG_FILE) continue;
    const text = env[name];
    if (text === undefined) continue;
    const source = `environment variable ${name}`;
    const r = resolvePath(name.slice(ENV_PREFIX.length).split('__'));
    if (!r.node || r.node.type !== 'key') {
      const guess = closest(name, [ENV_CONFIG_FILE, ...configKeys.map((k) => k.env)]);
      c.problem(
        'OC_CONFIG_UNKNOWN_KEY',
        undefined,
        `unknown configuration variable ${name}` + (guess ? ` (did you mean ${guess}?)` : ' (see `ocng config doc`)'),
        undefined,
      );
      continue;
    }
    const parsed = parseText(r.node, text);
    if ('error' in parsed) c.problem('OC_CONFIG_INVALID', r.node.name, parsed.error, source);
    else c.set(r.node, parsed.value, source);
  }
}

function readFlags(c: Collector, flags: ReadonlyArray<string | SetFlag>): void {
  for (const f of flags) {
    let flag: SetFlag;
    if (typeof f === 'string') {
      const eq = f.indexOf('=');
      if (eq <= 0) {
        c.problem('OC_CONFIG_INVALID', undefined, `--set expects key.path=value, got ${JSON.stringify(f)}`, undefined);
        continue;
      }
      flag = { path: f.slice(0, eq).trim(), value: f.slice(eq + 1), source: `--set ${f}` };
    } else {
      flag = f;
    }
    const segs = flag.path.split('.');
    const r = resolvePath(segs);
    if (!r.node || r.node.type !== 'key') {
      const guess = closest(flag.path, configKeys.map((k) => k.name));
      const what = r.node ? `"${flag.path}" is a section, not a key` : `unknown key "${flag.path}"`;
      c.problem('OC_CONFIG_UNKNOWN_KEY', undefined, what + (guess ? ` (did you mean "${guess}"?)` : ''), flag.source);
      continue;
    }
    const parsed = parseText(r.node, flag.value);
    if ('error' in parsed) c.problem('OC_CONFIG_INVALID', r.node.name, parsed.error, flag.source);
    else c.set(r.node, parsed.value, flag.source);
  }
}

function getIn(o: unknown, p: readonly PropertyKey[]): unknown {
  let cur = o;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function keyAt(p: readonly PropertyKey[]): KeyInfo | undefined {
  const name = p.map(String).join('.');
  return configKeys.find((k) => k.name === name);
}

function issueMessage(issue: z.core.$ZodIssue, k: KeyInfo | undefined, got: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${k ? expected(k) : issue.expected}, got ${describeValue(got)}`;
    case 'too_big':
    case 'too_small':
      if (k?.kind === 'integer') return `must be ${expected(k)}, got ${describeValue(got)}`;
      return issue.message;
    case 'invalid_value':
      return `must be ${k ? expected(k) : 'one of ' + issue.values.map(String).join(', ')}, got ${describeValue(got)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((x) => `"${x}"`).join(', ')}`;
    default:
      return got === undefined ? issue.message : `${issue.message}, got ${describeValue(got)}`;
  }
}

function fail(problems: Problem[]): never {
  const text = problems.map((p) => (p.key ? `${p.key}: ` : '') + p.message + (p.source ? ` (${p.source})` : ''));
  const code = problems[0]?.code ?? 'OC_CONFIG_INVALID';
  const msg = text.length === 1 ? `invalid configuration: ${text[0]}` : `invalid configuration (${text.length} problems): ${text.join('; ')}`;
  throw new ConfigError(code, msg, { problems });
}

/** Loads the configuration and reports where each non-default value came from. Throws ConfigError. */
export function resolveConfig(opts: LoadOptions = {}): ResolvedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const c = new Collector();

  let file: string | null = null;
  let shown = '';
  if (opts.file !== undefined && opts.file !== '') {
    shown = opts.file;
    file = path.resolve(cwd, opts.file);
  } else if (env[ENV_CONFIG_FILE]) {
    shown = env[ENV_CONFIG_FILE] as string;
    file = path.resolve(cwd, shown);
    if (!fs.existsSync(file)) {
      throw new ConfigError('OC_CONFIG_FILE', `config file ${shown} (named by ${ENV_CONFIG_FILE}) does not exist`, { file });
    }
  } else if (fs.existsSync(path.resolve(cwd, DEFAULT_CONFIG_FILE))) {
    shown = DEFAULT_CONFIG_FILE;
    file = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  }
  if (file) readYaml(c, file, shown);
  readEnv(c, env);
  readFlags(c, opts.set ?? []);
  if (opts.overrides) applyTree(c, opts.overrides as Record<string, unknown>, configTree, () => 'overrides', 'skip');
  const r = configSchema.safeParse(c.raw);
  if (!r.success) {
    fail([
      ...c.problems,
      ...r.error.issues.map((issue) => {
        const k = keyAt(issue.path);
        const name = issue.path.map(String).join('.');
        return {
          code: issue.code === 'unrecognized_keys' ? 'OC_CONFIG_UNKNOWN_KEY' : 'OC_CONFIG_INVALID',
          key: name || undefined,
          message: issueMessage(issue, k, getIn(c.raw, issue.path)),
          source: c.origins.get(name) ?? (k ? 'default' : undefined),
        };
      }),
    ]);
  }
  if (c.problems.length) fail(c.problems);
  const config = r.data as Config;
  config.dataDir = path.resolve(cwd, config.dataDir);
  return { config, file, origins: c.origins };
}

/** Loads and validates the configuration (see resolveConfig). Throws ConfigError with a message naming key and source. */
export function loadConfig(opts: LoadOptions = {}): Config {
  return resolveConfig(opts).config;
}
