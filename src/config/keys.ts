// The schema read back as a table: one entry per leaf key with its path, kind, range, default, environment
// variable and description. Docs, the environment/--set parsers and the example file are generated from this.
import { z } from 'zod';
import { configSchema, type KeyMeta } from './schema.js';

export type KeyKind = 'string' | 'integer' | 'boolean' | 'enum';

export interface KeyInfo {
  readonly type: 'key';
  /** Path segments, e.g. ['rpc', 'httpPorts', 'emsmdb']. */
  readonly path: readonly string[];
  /** Dotted path, e.g. 'rpc.httpPorts.emsmdb' (what --set and the docs use). */
  readonly name: string;
  /** Environment variable, e.g. 'OCNG_RPC__HTTP_PORTS__EMSMDB'. */
  readonly env: string;
  readonly kind: KeyKind;
  readonly min?: number;
  readonly max?: number;
  readonly options?: readonly string[];
  /** The static default; undefined when it is computed (see docDefault). */
  readonly default: unknown;
  /** The default as shown in the docs (markdown). */
  readonly docDefault: string;
  /** A sample value for the example file when the default is computed (docDefault set in the schema). */
  readonly example?: string;
  readonly description: string;
}

export interface SectionInfo {
  readonly type: 'section';
  readonly path: readonly string[];
  readonly name: string;
  readonly children: ReadonlyMap<string, SectionInfo | KeyInfo>;
}

export const ENV_PREFIX = 'OCNG_';
/** The environment variable naming the config file (not a key). */
export const ENV_CONFIG_FILE = 'OCNG_CONFIG';

/** camelCase key -> UPPER_SNAKE env segment: allowNtlmV1 -> ALLOW_NTLM_V1. */
function envSegment(seg: string): string {
  return seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envNameOf(path: readonly string[]): string {
  return ENV_PREFIX + path.map(envSegment).join('__');
}

/** How a user-typed segment is compared with a key: case-insensitive, '_' and '-' ignored. */
export function normalizeSegment(seg: string): string {
  return seg.replace(/[_-]/g, '').toLowerCase();
}

function formatDefault(v: unknown): string {
  if (v === '') return '(empty)';
  return '`' + String(v) + '`';
}

function leaf(path: string[], node: z.ZodType, inner: z.ZodType, def: unknown): KeyInfo {
  const meta = node.meta() as (KeyMeta & Record<string, unknown>) | undefined;
  const name = path.join('.');
  if (!meta?.description) throw new Error(`config schema: key ${name} has no description`);
  const base = { type: 'key' as const, path, name, env: envNameOf(path), description: meta.description, example: meta.example };
  const docDefault = meta.docDefault ?? formatDefault(def);
  if (inner instanceof z.ZodNumber) {
    if (!inner.isInt) throw new Error(`config schema: ${name}: only integers are supported`);
    return { ...base, kind: 'integer', min: inner.minValue ?? undefined, max: inner.maxValue ?? undefined, default: def, docDefault };
  }
  if (inner instanceof z.ZodBoolean) return { ...base, kind: 'boolean', default: def, docDefault };
  if (inner instanceof z.ZodEnum) {
    return { ...base, kind: 'enum', options: inner.options.map(String), default: def, docDefault };
  }
  if (inner instanceof z.ZodString) return { ...base, kind: 'string', default: def, docDefault };
  throw new Error(`config schema: ${name}: unsupported type`);
}

function walk(path: string[], node: z.ZodType): SectionInfo | KeyInfo {
  if (node instanceof z.ZodDefault) return leaf(path, node, node.unwrap() as z.ZodType, node.def.defaultValue);
  if (node instanceof z.ZodOptional) return leaf(path, node, node.unwrap() as z.ZodType, undefined);
  if (node instanceof z.ZodPrefault) return walk(path, node.unwrap() as z.ZodType);
  if (node instanceof z.ZodPipe) return walk(path, node.in as z.ZodType);
  if (node instanceof z.ZodObject) {
    const children = new Map<string, SectionInfo | KeyInfo>();
    for (const [k, child] of Object.entries(node.shape as Record<string, z.ZodType>)) children.set(k, walk([...path, k], child));
    return { type: 'section', path, name: path.join('.'), children };
  }
  throw new Error(`config schema: ${path.join('.') || '(root)'}: unsupported node`);
}

function flatten(s: SectionInfo, out: KeyInfo[]): KeyInfo[] {
  for (const c of s.children.values()) {
    if (c.type === 'key') out.push(c);
    else flatten(c, out);
  }
  return out;
}

/** The root of the key tree. */
export const configTree: SectionInfo = walk([], configSchema) as SectionInfo;

/** Every leaf key in schema order. */
export const configKeys: readonly KeyInfo[] = flatten(configTree, []);

/**
 * Resolves user-typed segments (from an env var or --set) against the tree, case-insensitively with '_'/'-'
 * ignored. Returns the node, or null with the deepest section that did resolve.
 */
export function resolvePath(segments: readonly string[]): { node: SectionInfo | KeyInfo } | { node: null; parent: SectionInfo } {
  let cur: SectionInfo = configTree;
  for (let i = 0; i < segments.length; i++) {
    const want = normalizeSegment(segments[i] ?? '');
    let found: SectionInfo | KeyInfo | undefined;
    for (const [k, c] of cur.children) if (normalizeSegment(k) === want) found = c;
    if (!found) return { node: null, parent: cur };
    if (i === segments.length - 1) return { node: found };
    if (found.type === 'key') return { node: null, parent: cur };
    cur = found;
  }
  return { node: cur };
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min(tmp + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

/** The known name closest to a mistyped one, if it is close enough to be a likely typo. */
export function closest(wrong: string, candidates: Iterable<string>): string | undefined {
  const w = normalizeSegment(wrong);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, normalizeSegment(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(w.length / 3)) ? best : undefined;
}
