// Property values on their way out (MS-OXCPRPT 3.2.5.1/3.2.5.2): string types under WantUnicode, values past
// PropertySizeLimit or past the output buffer turned into NotEnoughMemory errors (MS-OXCDATA 2.4.2: "the property
// value is too large to be retrieved by the request ... accessed with RopOpenStream").
import { RopWriter } from '../../mapi/buffer.js';
import { MAPI_E, MV_FLAG, PT, makeTag, propType, type PropValue, type TaggedValue } from '../../mapi/props.js';
import { isErrorCell, isTypedCell, writePropertyRow, writeTaggedValue, type RowCell } from '../../mapi/ropprops.js';
import { valueSize } from '../../mapi/table/index.js';
import type { PropResult } from '../../mapistore/types.js';
import { overWire, stringTypeFor } from './tabl-rows.js';

/** Types with a ROP-buffer value encoding (MS-OXCDATA 2.11.1; PT_OBJECT and the like are not sent as values). */
const ENCODABLE = new Set<number>([
  PT.NULL, PT.I2, PT.LONG, PT.R4, PT.DOUBLE, PT.CURRENCY, PT.APPTIME, PT.ERROR, PT.BOOLEAN, PT.I8, PT.STRING8, PT.UNICODE,
  PT.SYSTIME, PT.CLSID, PT.SVREID, PT.SRESTRICT, PT.ACTIONS, PT.BINARY,
]);

export function encodable(type: number): boolean {
  const t = type & 0xffff;
  if (t & MV_FLAG) {
    const b = t & ~MV_FLAG;
    return b !== PT.NULL && b !== PT.BOOLEAN && b !== PT.ERROR && b !== PT.OBJECT && b !== PT.UNSPECIFIED && ENCODABLE.has(b);
  }
  return ENCODABLE.has(t);
}

const tooBig = (): RowCell => ({ error: MAPI_E.NOT_ENOUGH_MEMORY });

/** Bytes of a value as sent (for the PropertySizeLimit check). */
function sizeOf(type: number, v: PropValue): number {
  return valueSize(type, v);
}

/**
 * The PropertyRow cells of RopGetPropertiesSpecific: one per requested tag, in order. A PT_UNSPECIFIED request
 * gets a typed cell (strings per WantUnicode); a value past `sizeLimit` (when nonzero) an error cell.
 */
export function specificCells(tags: readonly number[], results: readonly PropResult[], wantUnicode: boolean, sizeLimit: number): RowCell[] {
  return tags.map((col, i) => {
    const r = results[i];
    if (!r) return { error: MAPI_E.NOT_FOUND };
    if ('error' in r) return { error: r.error };
    const colType = propType(col);
    const type = colType === 0 ? stringTypeFor(propType(r.tag), wantUnicode) : colType;
    if (!encodable(type)) return { error: MAPI_E.NOT_FOUND };
    if (overWire(r.value) || (sizeLimit > 0 && sizeOf(type, r.value) > sizeLimit)) return tooBig();
    return colType === 0 ? { type, value: r.value } : r.value;
  });
}

/**
 * The writer fitRow encodes into, reused (encoding is synchronous and the result is copied out): one allocation
 * per row instead of a writer and its growth steps. One that grew past SCRATCH_MAX for a big row is dropped.
 */
let scratch = new RopWriter(1024);
const SCRATCH_MAX = 0x10000;

/** Encodes the row; while it is larger than `space`, the largest value becomes a NotEnoughMemory error. */
export function fitRow(tags: readonly number[], cells: RowCell[], codePage: number, space: number): Buffer {
  for (;;) {
    if (scratch.buf.length > SCRATCH_MAX) scratch = new RopWriter(1024);
    const w = scratch;
    w.pos = 0;
    writePropertyRow(w, tags, cells, codePage);
    if (w.pos <= space) return Buffer.from(w.result());
    let best = -1;
    let bestSize = 8;
    cells.forEach((c, i) => {
      if (c === undefined || isErrorCell(c)) return;
      const v = isTypedCell(c) ? c.value : (c as PropValue);
      const t = isTypedCell(c) ? c.type : propType(tags[i] as number);
      const s = sizeOf(t, v);
      if (s > bestSize) {
        best = i;
        bestSize = s;
      }
    });
    // nothing left to shrink: return it whole, the dispatcher answers RopBufferTooSmall
    if (best < 0) return Buffer.from(w.result());
    cells[best] = tooBig();
  }
}

/** RopGetPropertiesAll values: every encodable property, strings per WantUnicode, big values as PT_ERROR. */
export function allValues(results: readonly PropResult[], wantUnicode: boolean, sizeLimit: number): TaggedValue[] {
  const out: TaggedValue[] = [];
  for (const r of results) {
    if ('error' in r) {
      out.push({ tag: makeTag(r.tag >>> 16, PT.ERROR), value: r.error });
      continue;
    }
    const type = stringTypeFor(propType(r.tag), wantUnicode);
    if (!encodable(type)) continue;
    const tag = makeTag(r.tag >>> 16, type);
    if (overWire(r.value) || (sizeLimit > 0 && sizeOf(type, r.value) > sizeLimit)) out.push({ tag: makeTag(r.tag >>> 16, PT.ERROR), value: MAPI_E.NOT_ENOUGH_MEMORY });
    else out.push({ tag, value: r.value });
  }
  return out;
}

/** Shrinks the largest values to PT_ERROR NotEnoughMemory until the list fits `space` bytes (count u16 included). */
export function fitValues(values: TaggedValue[], codePage: number, space: number): TaggedValue[] {
  for (;;) {
    const w = new RopWriter(256);
    w.u16(values.length);
    for (const v of values) writeTaggedValue(w, v, codePage);
    if (w.pos <= space) return values;
    let best = -1;
    let bestSize = 8;
    values.forEach((v, i) => {
      const t = propType(v.tag);
      if (t === PT.ERROR) return;
      const s = sizeOf(t, v.value);
      if (s > bestSize) {
        best = i;
        bestSize = s;
      }
    });
    if (best < 0) return values;
    values[best] = { tag: makeTag((values[best] as TaggedValue).tag >>> 16, PT.ERROR), value: MAPI_E.NOT_ENOUGH_MEMORY };
  }
}
