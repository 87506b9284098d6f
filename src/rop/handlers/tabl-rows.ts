// Table rows as ROP-buffer PropertyRows (MS-OXCDATA 2.8.1) for RopQueryRows, RopFindRow and RopExpandRow: cells
// of the table engine turned into RowCells for writePropertyRow, and rows packed into what is left of the output
// buffer (whole rows only, MS-OXCTABL 3.2.5.5).
//
// String columns: the wire form of a column is the type of its tag (a PropertyRow carries no types), so a column
// set as PT_STRING8 is written in the logon's code page and a PT_UNICODE column in UTF-16LE whatever the table's
// UseUnicode flag says. A PT_UNSPECIFIED column is written as a TypedPropertyValue with the value's real type; its
// string values are typed PT_UNICODE when the table was opened with UseUnicode (TableFlags 0x40), else PT_STRING8
// (MS-OXCTABL 2.2.2.1.4 / MS-OXCPRPT 2.2.3.1 WantUnicode, the same rule for both).
import { RopWriter } from '../../mapi/buffer.js';
import { MAPI_E, MV_FLAG, MV_INSTANCE, PT, propId, propType, type PropValue } from '../../mapi/props.js';
import { writePropertyRow, type RowCell } from '../../mapi/ropprops.js';
import type { TableCell, TableView } from '../../mapi/table/index.js';

/** MS-OXCTABL 2.2.2.1.4 TableFlags UseUnicode. */
export const TABLE_FLAG_USE_UNICODE = 0x40;

/** A value's type when nothing better is known (computed cells of PT_UNSPECIFIED columns). */
export function inferType(v: PropValue, unicode: boolean): number {
  const str = unicode ? PT.UNICODE : PT.STRING8;
  if (Array.isArray(v)) {
    const x = v[0];
    if (typeof x === 'string') return str | MV_FLAG;
    if (typeof x === 'bigint') return PT.MV_I8;
    if (Buffer.isBuffer(x)) return PT.MV_BINARY;
    return PT.MV_LONG;
  }
  if (v === null) return PT.NULL;
  if (typeof v === 'string') return str;
  if (typeof v === 'number') return PT.LONG;
  if (typeof v === 'bigint') return PT.I8;
  if (typeof v === 'boolean') return PT.BOOLEAN;
  return PT.BINARY;
}

/** The type a string-valued type takes under WantUnicode/UseUnicode (other types unchanged). */
export function stringTypeFor(type: number, unicode: boolean): number {
  const base = type & ~MV_FLAG;
  if (base !== PT.STRING8 && base !== PT.UNICODE) return type;
  return (type & MV_FLAG) | (unicode ? PT.UNICODE : PT.STRING8);
}

/**
 * Types of the properties a view's rows hold, by property id (first type seen), for PT_UNSPECIFIED columns.
 * Cached per view and refreshed when asked (after a refresh of the rows).
 */
const typeCache = new WeakMap<TableView, Map<number, number>>();

export function storedTypes(view: TableView): Map<number, number> {
  let m = typeCache.get(view);
  if (!m) {
    m = new Map();
    for (const t of view.queryColumnsAll()) if (!m.has(propId(t))) m.set(propId(t), propType(t));
    typeCache.set(view, m);
  }
  return m;
}

export function forgetStoredTypes(view: TableView): void {
  typeCache.delete(view);
}

/** How cells of a table become RowCells for its columns. */
export interface RowShape {
  columns: readonly number[];
  /** Which columns are PT_UNSPECIFIED. */
  unspecified: boolean[];
  /** Stored types by property id; null when no column is PT_UNSPECIFIED. */
  types: Map<number, number> | null;
  unicode: boolean;
}

export function rowShape(view: TableView, columns: readonly number[], tableFlags: number): RowShape {
  const unspecified = columns.map((c) => propType(c) === PT.UNSPECIFIED);
  return {
    columns,
    unspecified,
    types: unspecified.some((x) => x) ? storedTypes(view) : null,
    unicode: (tableFlags & TABLE_FLAG_USE_UNICODE) !== 0,
  };
}

/** A value a ROP buffer cannot carry: a binary past the u16 COUNT of MS-OXCDATA 2.11.1.1 (sent as NotEnoughMemory). */
export function overWire(v: unknown): boolean {
  if (Buffer.isBuffer(v)) return v.length > 0xffff;
  if (Array.isArray(v)) return v.some((x) => Buffer.isBuffer(x) && x.length > 0xffff);
  return false;
}

const TOO_BIG: RowCell = Object.freeze({ error: MAPI_E.NOT_ENOUGH_MEMORY }) as RowCell;

function isError(c: TableCell): c is { error: number } {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && !Buffer.isBuffer(c);
}

export function toRowCells(shape: RowShape, cells: readonly TableCell[]): readonly RowCell[] {
  // no PT_UNSPECIFIED column and nothing too big: the engine's cells are already RowCells
  if (shape.types === null && !cells.some(overWire)) return cells as readonly RowCell[];
  const out: RowCell[] = new Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as TableCell;
    if (overWire(c)) {
      out[i] = TOO_BIG;
      continue;
    }
    if (isError(c) || !shape.unspecified[i]) {
      out[i] = c as RowCell;
      continue;
    }
    const stored = shape.types?.get(propId(shape.columns[i] as number));
    const type = stored !== undefined ? stringTypeFor(stored & ~MV_INSTANCE, shape.unicode) : inferType(c, shape.unicode);
    out[i] = { type, value: c };
  }
  return out;
}

/** Encodes one row; null when it does not fit in `space` bytes. */
export function encodeRow(shape: RowShape, cells: readonly TableCell[], codePage: number, space: number): Buffer | null {
  const w = new RopWriter(64);
  writePropertyRow(w, shape.columns, toRowCells(shape, cells), codePage);
  return w.pos <= space ? Buffer.from(w.result()) : null;
}

/** Rows packed while they fit: `rows` encoded in order until one does not fit `space` bytes. */
export function packRows(shape: RowShape, rows: readonly TableCell[][], codePage: number, space: number): { data: Buffer; count: number } {
  const w = new RopWriter(256);
  let count = 0;
  for (const r of rows) {
    const mark = w.pos;
    writePropertyRow(w, shape.columns, toRowCells(shape, r), codePage);
    if (w.pos > space) {
      w.pos = mark;
      break;
    }
    count++;
  }
  return { data: Buffer.from(w.result()), count };
}
