// Named-property mappings of the address book (MS-NSPI 3.1.4.16 NspiGetNamesFromIDs, 3.1.4.17 NspiGetIDsFromNames;
// opnums 17/18 that MS-OXNSPI leaves unused on the wire). A fixed table: a tagged property (id below 0x8000) is
// named by PS_MAPI and its id (MS-OXCDATA 2.6.1); the address book's own properties at 0x8000 and above are named in
// one property set of ours with the id as the LID. Nothing is ever created.
import { MAPI_E, PT, makeTag, propId, propType } from '../../mapi/props.js';
import { PS_MAPI } from './constants.js';
import { knownTags } from './props.js';
import { nameGuid } from './snapshot.js';

/** The property set naming the address book's 0x8000+ properties. */
export const PSETID_AddressBook = nameGuid('ocng address book named properties');

// MS-OXNSPI 2.2.6.1 PropertyName_r (lpguid NULL when absent)
export interface PropertyName {
  guid: string | null;
  id: number;
}

/** PT_ERROR with id 0: the tag of a name that maps to nothing. */
export const UNMAPPED_TAG = makeTag(0, PT.ERROR);

function tagsById(): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of knownTags()) m.set(propId(t), t);
  return m;
}

let known: Map<number, number> | null = null;
const byId = () => (known ??= tagsById());

/** The name of a property id, or null when it has none. */
export function nameOfTag(tag: number): PropertyName | null {
  const id = propId(tag);
  if (id === 0) return null;
  if (id < 0x8000) return { guid: PS_MAPI, id };
  return byId().has(id) ? { guid: PSETID_AddressBook, id } : null;
}

/** The tag of a name (with the property's native type when we know it), or null. */
export function tagOfName(name: PropertyName): number | null {
  if (!name.guid) return null;
  const guid = name.guid.toLowerCase();
  const id = name.id >>> 0;
  if (guid === PS_MAPI && id > 0 && id < 0x8000) return byId().get(id) ?? makeTag(id, PT.UNSPECIFIED);
  if (guid === PSETID_AddressBook && id >= 0x8000 && id <= 0xfffe) return byId().get(id) ?? null;
  return null;
}

export interface NamesResult {
  ec: number;
  tags: number[];
  names: PropertyName[];
}

/** NspiGetNamesFromIDs: names of the given tags, or of every mapped property (of one set) when none are given. */
export function namesFromIds(guid: string | null, tags: readonly number[] | null): NamesResult {
  if (tags === null) {
    const set = guid?.toLowerCase() ?? null;
    const out: NamesResult = { ec: MAPI_E.SUCCESS, tags: [], names: [] };
    for (const t of byId().values()) {
      const n = nameOfTag(t);
      if (!n || (set !== null && n.guid !== set)) continue;
      out.tags.push(t);
      out.names.push(n);
    }
    return out;
  }
  const out: NamesResult = { ec: MAPI_E.SUCCESS, tags: [], names: [] };
  for (const t of tags) {
    const n = nameOfTag(t);
    if (n) {
      out.tags.push(t);
      out.names.push(n);
    } else {
      out.tags.push(makeTag(propId(t), PT.ERROR));
      out.names.push({ guid: null, id: 0 });
      out.ec = MAPI_E.ERRORS_RETURNED;
    }
  }
  return out;
}

/** NspiGetIDsFromNames: the tags of the names, PT_ERROR (id 0) for the ones we do not map. */
export function idsFromNames(names: readonly PropertyName[]): { ec: number; tags: number[] } {
  let ec: number = MAPI_E.SUCCESS;
  const tags = names.map((n) => {
    const t = tagOfName(n);
    if (t === null) {
      ec = MAPI_E.ERRORS_RETURNED;
      return UNMAPPED_TAG;
    }
    return t;
  });
  return { ec, tags };
}

export const isObjectTag = (tag: number): boolean => propType(tag) === PT.OBJECT;
