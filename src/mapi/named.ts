// MS-OXCDATA 2.6.1 PropertyName: a named property as the property set GUID plus either a numeric LID or a string
// name. Inside the program exactly one of `lid` / `name` is set; the ROP-buffer form lives in ropprops.ts.

export interface PropertyName {
  guid: string;
  lid?: number;
  name?: string;
}

// MS-OXCDATA 2.6.1 Kind values
export const MNID_ID = 0x00;
export const MNID_STRING = 0x01;
/** Kind 0xFF: "the property does not have an associated PropertyName" (RopGetNamesFromPropertyIds for an unknown id). */
export const KIND_NONE = 0xff;

/** PS_MAPI: names in this set map 1:1 to tagged property ids (LID = PropId). */
export const PS_MAPI = '00020328-0000-0000-c000-000000000046';
export const PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046';

/** Stable text key of a name (for maps): "guid:lid:<n>" or "guid:name:<s>"; GUID lower-case, names case-sensitive. */
export function propertyNameKey(n: PropertyName): string {
  const g = n.guid.toLowerCase();
  return n.lid !== undefined ? `${g}:lid:${n.lid >>> 0}` : `${g}:name:${n.name ?? ''}`;
}
