// In-memory table engine for MS-OXCTABL (sort, categories, restrictions, cursor, bookmarks) driven by the ROP handlers.
export * from './types.js';
export { TableView, type TableViewOptions, type QueryRowsResult, type SeekResult } from './view.js';
export { RestrictionEvaluator, validateRestriction, lookupProp, valueSize, type PropGetter } from './evaluate.js';
export { compareKeys, compareValues, sortKey, foldCase } from './compare.js';
export { sortOrder } from './sort.js';
export { encodeBookmark, decodeBookmark, encodeCollapseState, decodeCollapseState } from './bookmarks.js';
