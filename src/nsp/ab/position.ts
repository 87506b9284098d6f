// Positioning in a status-based table (MS-OXNSPI 3.1.4.5): the STAT block names a row absolutely (CurrentRec, with
// the bookmarks MID_BEGINNING_OF_TABLE and MID_END_OF_TABLE) or fractionally (CurrentRec = MID_CURRENT, NumPos out of
// the client's TotalRecs), then Delta moves it, clamped to the first row and to one past the last row.
import { MAPI_E } from '../../mapi/props.js';
import { MID_BEGINNING_OF_TABLE, MID_CURRENT, MID_END_OF_TABLE } from './constants.js';
import type { SortedTable } from './snapshot.js';

// MS-OXNSPI 2.2.8 STAT
export interface Stat {
  SortType: number;
  ContainerID: number;
  CurrentRec: number;
  /** Signed. */
  Delta: number;
  NumPos: number;
  TotalRecs: number;
  CodePage: number;
  TemplateLocale: number;
  SortLocale: number;
}

/** A STAT at the start of the Global Address List in code page 1252 / locale 0x409 (what a client binds with), with `over` applied. */
export function newStat(over: Partial<Stat> = {}): Stat {
  return {
    SortType: 0,
    ContainerID: 0,
    CurrentRec: MID_BEGINNING_OF_TABLE,
    Delta: 0,
    NumPos: 0,
    TotalRecs: 0,
    CodePage: 1252,
    TemplateLocale: 0x409,
    SortLocale: 0x409,
    ...over,
  };
}

export type Located = { ok: true; pos: number } | { ok: false; ec: number };

/**
 * The row the STAT names before Delta applies (0-based; `total` means past the last row).
 * Absolute (3.1.4.5.1 steps 3-5): the bookmarks, or the row of the object; an object not in the table leaves the
 * position undefined, which NspiUpdateStat reports as NotFound (3.1.4.1.4 constraint 5) and we report the same
 * everywhere. Fractional (3.1.4.5.2 steps 3-5): TotalRecs(server) x NumPos / TotalRecs(client), truncated, at most
 * TotalRecs; a client TotalRecs of 0 names the first row.
 */
export function locate(stat: Stat, table: SortedTable): Located {
  const total = table.entries.length;
  const cur = stat.CurrentRec >>> 0;
  if (cur === MID_CURRENT) {
    const clientTotal = BigInt(stat.TotalRecs >>> 0);
    if (clientTotal === 0n) return { ok: true, pos: 0 };
    const intended = Number((BigInt(total) * BigInt(stat.NumPos >>> 0)) / clientTotal);
    return { ok: true, pos: Math.min(intended, total) };
  }
  if (cur === MID_BEGINNING_OF_TABLE) return { ok: true, pos: 0 };
  if (cur === MID_END_OF_TABLE) return { ok: true, pos: total };
  const pos = table.position.get(cur);
  return pos === undefined ? { ok: false, ec: MAPI_E.NOT_FOUND } : { ok: true, pos };
}

/** 3.1.4.5.1 steps 6-8: moves by Delta; before the first row clamps to it, past the end to one past the last. */
export function move(pos: number, delta: number, total: number): number {
  const p = pos + (delta | 0);
  return p < 0 ? 0 : p > total ? total : p;
}

/** The STAT after positioning at `pos`: CurrentRec, NumPos, TotalRecs set, Delta 0 (2.2.8), the rest unchanged. */
export function statAt(stat: Stat, table: SortedTable, pos: number): Stat {
  const total = table.entries.length;
  return {
    ...stat,
    CurrentRec: pos < total ? (table.entries[pos] as { mid: number }).mid : MID_END_OF_TABLE,
    Delta: 0,
    NumPos: pos,
    TotalRecs: total,
  };
}
