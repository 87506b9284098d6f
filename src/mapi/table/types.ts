// Shared types and constants of the in-memory table engine (MS-OXCTABL). The ROP handlers for MS-OXCTABL drive a
// TableView with typed arguments; the engine never sees buffers.
import { OcError } from '../../util/errors.js';
import type { PropValue, TaggedValue } from '../props.js';
import type { Restriction } from '../restriction.js';

/** A row as the store hands it over: the object's id (MID, FID, row id) and its properties by full tag. */
export interface TableRow {
  readonly id: bigint;
  readonly props: ReadonlyMap<number, PropValue>;
}

/** A cell of a queried row: the value, or a PT_ERROR code (MAPI_E_NOT_FOUND for a missing property). */
export type TableCell = PropValue | { error: number };

// MS-OXCTABL 2.2.2.1.1 predefined bookmarks
export const BOOKMARK = { BEGINNING: 0x00, CURRENT: 0x01, END: 0x02, CUSTOM: 0x03 } as const;

// MS-OXCDATA 2.13.1 SortOrder Order values
export const SORT = { ASCEND: 0x00, DESCEND: 0x01, MAX_CATEGORY: 0x04 } as const;

// MS-OXCTABL 2.2.1.3 PidTagRowType values
export const TBL = { LEAF_ROW: 1, EMPTY_CATEGORY: 2, EXPANDED_CATEGORY: 3, COLLAPSED_CATEGORY: 4 } as const;

// MS-OXCTABL 2.2.2.18 / RopGetStatus TableStatus
export const TBLSTAT = { COMPLETE: 0x00, SORTING: 0x09, SORT_ERROR: 0x0a, SETTING_COLS: 0x0b, RESTRICTING: 0x0e, RESTRICT_ERROR: 0x0f } as const;

// MS-OXPROPS tags the engine computes
export const PidTagRowType = 0x0ff50003;
export const PidTagDepth = 0x30050003;
export const PidTagInstID = 0x674d0014;
export const PidTagInstanceNum = 0x674e0003;
export const PidTagContentCount = 0x36020003;
export const PidTagContentUnreadCount = 0x36030003;
export const PidTagMessageFlags = 0x0e070003;
/** MS-OXCMSG 2.2.1.6 mfRead */
export const MSGFLAG_READ = 0x00000001;
export const PidTagMessageRecipients = 0x0e12000d;
export const PidTagMessageAttachments = 0x0e13000d;

export interface SortOrder {
  /** Property tag; MV_INSTANCE set sorts (and expands) by the single values of a multi-valued property. */
  tag: number;
  /** SORT.ASCEND, SORT.DESCEND or SORT.MAX_CATEGORY. */
  order: number;
}

/**
 * The restrictions the engine evaluates: the shared model plus MS-OXCDATA 2.12.10 CommentRestriction and 2.12.11
 * CountRestriction (same shapes as the shared model would carry them).
 */
export type TableRestriction =
  | { type: 'and'; res: TableRestriction[] }
  | { type: 'or'; res: TableRestriction[] }
  | { type: 'not'; res: TableRestriction }
  | Extract<Restriction, { type: 'content' | 'property' | 'compareProps' | 'bitmask' | 'size' | 'exist' }>
  | { type: 'sub'; subObject: number; res: TableRestriction }
  | { type: 'comment'; values: TaggedValue[]; res: TableRestriction | null }
  | { type: 'count'; count: number; res: TableRestriction };

/** Rows of a message's recipients or attachments (subObject = PidTagMessageRecipients / PidTagMessageAttachments). */
export type SubObjectsHook = (rowId: bigint, subObject: number) => Iterable<TableRow>;

/**
 * Coded failures of the engine. `ec` is the MS-OXCDATA 2.4 value the ROP handler answers with
 * (ecInvalidBookmark, ecInvalidParam, ecTooComplex, ecNotFound, ecNotCollapsed, ecNotExpanded ...).
 */
export class TableError extends OcError {
  readonly ec: number;
  constructor(code: TableErrorCode, ec: number, message: string) {
    super(code, message);
    this.ec = ec >>> 0;
  }
}

export type TableErrorCode =
  | 'OC_TABLE_INVALID_BOOKMARK'
  | 'OC_TABLE_BAD_COLLAPSE_STATE'
  | 'OC_TABLE_TOO_COMPLEX'
  | 'OC_TABLE_INVALID_PARAM'
  | 'OC_TABLE_NOT_FOUND'
  | 'OC_TABLE_NOT_CATEGORY';

// MS-OXCDATA 2.4 values used here (kept equal to src/rop/ec.ts; the mapi layer does not import from rop)
export const TABLE_EC = {
  InvalidBookmark: 0x80040405,
  InvalidParam: 0x80070057,
  TooComplex: 0x80040117,
  NotFound: 0x8004010f,
  NotCollapsed: 0x000004f8,
  NotExpanded: 0x000004f7,
} as const;
