// Cell values of table rows: stored properties of leaf rows (either string type, PT_UNSPECIFIED, the MV_INSTANCE
// value), the computed PidTagRowType/PidTagDepth/PidTagInstID/PidTagInstanceNum of leaves (unless stored), and the
// computed properties of category header rows (their category columns, row type, depth, instance id, counts).
import { MAPI_E, MV_INSTANCE, propId, type PropValue } from '../props.js';
import { headerValue, type CatNode, type Entry, type Leaf } from './categories.js';
import { lookupProp, type PropGetter } from './evaluate.js';
import {
  PidTagContentCount,
  PidTagContentUnreadCount,
  PidTagDepth,
  PidTagInstID,
  PidTagInstanceNum,
  PidTagRowType,
  TBL,
  type TableCell,
} from './types.js';

const NOT_FOUND: TableCell = Object.freeze({ error: MAPI_E.NOT_FOUND }) as TableCell;

export type Getter = (e: Entry) => TableCell;

export class Cells {
  /** The MV_INSTANCE tag rows are expanded by, if any. */
  mviTag: number | null = null;
  /** Number of category levels (a leaf's PidTagDepth). */
  categorizedCount = 0;

  /** Value of a tag on a leaf: MV_INSTANCE value, stored property (string types interchangeable), computed. */
  leafValue(l: Leaf, tag: number): PropValue | undefined {
    if ((tag & MV_INSTANCE) !== 0 && this.mviTag !== null && propId(tag) === propId(this.mviTag)) return l.mv;
    const v = lookupProp(l.row.props, (tag & ~MV_INSTANCE) >>> 0);
    if (v !== undefined) return v;
    switch (tag) {
      case PidTagRowType:
        return TBL.LEAF_ROW;
      case PidTagDepth:
        return this.categorizedCount;
      case PidTagInstID:
        return l.row.id;
      case PidTagInstanceNum:
        return l.inst;
      default:
        return undefined;
    }
  }

  headerValueOf(n: CatNode, tag: number): PropValue | undefined {
    switch (tag) {
      case PidTagRowType:
        return n.expanded ? TBL.EXPANDED_CATEGORY : TBL.COLLAPSED_CATEGORY;
      case PidTagDepth:
        return n.depth;
      case PidTagInstID:
        return n.id;
      case PidTagInstanceNum:
        return 0;
      case PidTagContentCount:
        return n.contentCount;
      case PidTagContentUnreadCount:
        return n.unreadCount;
      default: {
        const h = headerValue(n, tag);
        return h.found ? h.value : undefined;
      }
    }
  }

  leafGetter(l: Leaf): PropGetter {
    return (t) => this.leafValue(l, t);
  }

  getterFor(e: Entry): PropGetter {
    return e.kind === 0 ? this.leafGetter(e) : (t) => this.headerValueOf(e, t);
  }

  getter(tag: number): Getter {
    const plain = (tag & MV_INSTANCE) === 0;
    return (e: Entry): TableCell => {
      if (e.kind === 0) {
        if (plain) {
          const v = e.row.props.get(tag);
          if (v !== undefined) return v;
        }
        const v = this.leafValue(e, tag);
        return v === undefined ? NOT_FOUND : v;
      }
      const v = this.headerValueOf(e, tag);
      return v === undefined ? NOT_FOUND : v;
    };
  }
}
