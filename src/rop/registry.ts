// The ROP table (architecture rule 2): RopId -> { codec, handler }. The codecs come from src/rop/codec (CORE_CODECS,
// OTHER_CODECS), the handlers from the per-spec handler modules as Map<RopId, RopHandlerEntry>. A RopId with a codec
// and no handler is answered ecNotImplemented by the dispatcher; a RopId without a codec is unknown (the dispatcher
// stops there). Tests build their own registry with createRopRegistry.
import { OcError } from '../util/errors.js';
import type { RopCodec, RopHandlerEntry, RopRequestHeader } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRopCodec = RopCodec<any, any>;

export interface RopRegistry {
  codec(ropId: number): AnyRopCodec | undefined;
  handler(ropId: number): RopHandlerEntry | undefined;
  /** RopIds with a codec, ascending. */
  readonly ropIds: readonly number[];
}

export interface RopRegistryParts {
  codecs: ReadonlyArray<RopCodec<RopRequestHeader, never> | AnyRopCodec>;
  handlers?: ReadonlyArray<ReadonlyMap<number, RopHandlerEntry>>;
}

/** Joins codecs and handler maps; a RopId defined twice (codec or handler) is a programming error. */
export function createRopRegistry(parts: RopRegistryParts): RopRegistry {
  const codecs: Array<AnyRopCodec | undefined> = new Array(256).fill(undefined);
  const handlers: Array<RopHandlerEntry | undefined> = new Array(256).fill(undefined);
  for (const c of parts.codecs) {
    if (!Number.isInteger(c.RopId) || c.RopId < 0 || c.RopId > 0xff) throw new OcError('OC_ROP_REGISTRY', `codec ${c.name}: bad RopId ${c.RopId}`);
    if (codecs[c.RopId]) throw new OcError('OC_ROP_REGISTRY', `RopId 0x${c.RopId.toString(16)} has two codecs (${codecs[c.RopId]!.name}, ${c.name})`);
    codecs[c.RopId] = c as AnyRopCodec;
  }
  for (const map of parts.handlers ?? []) {
    for (const [id, h] of map) {
      if (!Number.isInteger(id) || id < 0 || id > 0xff) throw new OcError('OC_ROP_REGISTRY', `handler for bad RopId ${id}`);
      if (handlers[id]) throw new OcError('OC_ROP_REGISTRY', `RopId 0x${id.toString(16)} has two handlers`);
      if (!codecs[id]) throw new OcError('OC_ROP_REGISTRY', `handler for RopId 0x${id.toString(16)} without a codec`);
      handlers[id] = h;
    }
  }
  const ropIds = Object.freeze(codecs.flatMap((c, i) => (c ? [i] : [])));
  return {
    codec: (id) => codecs[id],
    handler: (id) => handlers[id],
    ropIds,
  };
}

/** The codec modules of src/rop/codec, each exporting an array of RopCodec under the given name. */
const CODEC_MODULES: ReadonlyArray<readonly [string, string]> = [
  ['./codec/core.js', 'CORE_CODECS'],
  ['./codec/other.js', 'OTHER_CODECS'],
];

/**
 * The server's registry: every codec module of src/rop/codec (`modules`: paths relative to this file, and the name
 * of the array each exports) joined with `handlers`. A codec module that does not
 * exist yet is skipped (the ROP engine is assembled from parallel work; `missing` names what was skipped).
 */
export async function loadRopRegistry(
  handlers: ReadonlyArray<ReadonlyMap<number, RopHandlerEntry>> = [],
  modules: ReadonlyArray<readonly [string, string]> = CODEC_MODULES,
): Promise<RopRegistry & { missing: string[] }> {
  const codecs: AnyRopCodec[] = [];
  const missing: string[] = [];
  for (const [path, name] of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(path)) as Record<string, unknown>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        missing.push(path);
        continue;
      }
      throw e;
    }
    const list = mod[name];
    if (!Array.isArray(list)) throw new OcError('OC_ROP_REGISTRY', `${path} does not export ${name} as an array`);
    codecs.push(...(list as AnyRopCodec[]));
  }
  // handlers whose codec is not there (a codec module missing) are left out rather than failing start-up
  const present = new Set(codecs.map((c) => c.RopId));
  const usable = handlers.map((m) => new Map([...m].filter(([id]) => present.has(id))));
  return { ...createRopRegistry({ codecs, handlers: usable }), missing };
}
