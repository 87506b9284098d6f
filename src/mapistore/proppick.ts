// Answers property requests from a map of values: exact tag, else the same id in the other string width
// (PT_STRING8 <-> PT_UNICODE, also multi-valued), else any type when PT_UNSPECIFIED was asked for.
import { PT, MAPI_E, makeTag, propId, propType, type PropValue } from '../mapi/props.js';
import type { PropResult } from './types.js';

export function pickProps(all: Map<number, PropValue>, tags?: readonly number[]): PropResult[] {
  if (!tags) return [...all.entries()].map(([tag, value]) => ({ tag, value }));
  return tags.map((tag) => {
    const v = all.get(tag >>> 0);
    if (v !== undefined) return { tag, value: v };
    const t = propType(tag);
    const id = propId(tag);
    const alt =
      t === PT.STRING8 ? PT.UNICODE : t === PT.UNICODE ? PT.STRING8 : t === PT.MV_STRING8 ? PT.MV_UNICODE : t === PT.MV_UNICODE ? PT.MV_STRING8 : -1;
    if (alt >= 0) {
      const w = all.get(makeTag(id, alt));
      if (w !== undefined) return { tag, value: w };
    }
    if (t === PT.UNSPECIFIED) {
      for (const [k, w] of all) if (propId(k) === id) return { tag: k, value: w };
    }
    return { tag: makeTag(id, PT.ERROR), error: MAPI_E.NOT_FOUND };
  });
}
