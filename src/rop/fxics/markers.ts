// MS-OXCFXICS 2.2.4.1.4 Markers and 2.2.4.1.5 Meta-Properties of the FastTransfer stream, plus the ICS state
// properties (MS-OXCFXICS 2.2.1.1) that travel in the same streams. A marker is a bare PropertyTag (4 bytes, no
// value) that delimits a syntactic element; a meta-property is a tag + value like any property but means something
// to the transfer, not to the object.
//
// Choices where the spec leaves room:
// - MetaTagIdsetGiven is declared PtypInteger32 (0x40170003) but its value is an IDSET serialized like PtypBinary
//   (u32 length + bytes), MS-OXCFXICS 2.2.1.1.1. `wireValueType` maps it; writers keep the 0x0003 tag on the wire
//   (that is what the spec names) and parsers accept both 0x40170003 and 0x40170102.
// - A tag is classified as a marker only when the whole 32-bit value matches; a property whose id matches a marker's
//   id but with another type is an ordinary property (parsers decide on the full tag).

/** MS-OXCFXICS 2.2.4.1.4 markers (the PropertyTag values that delimit elements). */
export const Marker = {
  StartTopFld: 0x40090003,
  StartSubFld: 0x400a0003,
  EndFolder: 0x400b0003,
  StartMessage: 0x400c0003,
  EndMessage: 0x400d0003,
  StartFAIMsg: 0x40100003,
  StartEmbed: 0x40010003,
  EndEmbed: 0x40020003,
  StartRecip: 0x40030003,
  EndToRecip: 0x40040003,
  NewAttach: 0x40000003,
  EndAttach: 0x400e0003,
  IncrSyncChg: 0x40120003,
  IncrSyncChgPartial: 0x407d0003,
  IncrSyncDel: 0x40130003,
  IncrSyncEnd: 0x40140003,
  IncrSyncRead: 0x402f0003,
  IncrSyncStateBegin: 0x403a0003,
  IncrSyncStateEnd: 0x403b0003,
  IncrSyncProgressMode: 0x4074000b,
  IncrSyncProgressPerMsg: 0x4075000b,
  IncrSyncMessage: 0x40150003,
  IncrSyncGroupInfo: 0x407b0102,
  FXErrorInfo: 0x40180003,
} as const;
export type MarkerName = keyof typeof Marker;

/**
 * MS-OXCFXICS 2.2.4.1.5 meta-properties and 2.2.1.1 ICS state properties (tags as they appear in the stream).
 * MetaTagIdsetGiven: see the header comment (declared PtypInteger32, value serialized as PtypBinary).
 */
export const MetaTag = {
  MetaTagFXDelProp: 0x40160003,
  MetaTagEcWarning: 0x400f0003,
  MetaTagNewFXFolder: 0x40110102,
  MetaTagIncrSyncGroupId: 0x407c0003,
  MetaTagIncrementalSyncMessagePartial: 0x407a0003,
  MetaTagDnPrefix: 0x4008001e,
  MetaTagIdsetGiven: 0x40170003,
  MetaTagCnsetSeen: 0x67960102,
  MetaTagCnsetSeenFAI: 0x67da0102,
  MetaTagCnsetRead: 0x67d20102,
  MetaTagIdsetDeleted: 0x67e50102,
  MetaTagIdsetNoLongerInScope: 0x40210102,
  MetaTagIdsetExpired: 0x67930102,
  MetaTagIdsetRead: 0x402d0102,
  MetaTagIdsetUnread: 0x402e0102,
} as const;
export type MetaTagName = keyof typeof MetaTag;

/** The PtypBinary spelling of MetaTagIdsetGiven some clients send (accepted on input, never written). */
export const MetaTagIdsetGivenBinary = 0x40170102;

const markerByTag = new Map<number, MarkerName>(Object.entries(Marker).map(([k, v]) => [v, k as MarkerName]));
const metaByTag = new Map<number, MetaTagName>(Object.entries(MetaTag).map(([k, v]) => [v, k as MetaTagName]));
metaByTag.set(MetaTagIdsetGivenBinary, 'MetaTagIdsetGiven');

/** True when `tag` (full 32 bits) is one of the markers of 2.2.4.1.4. */
export function isMarker(tag: number): boolean {
  return markerByTag.has(tag >>> 0);
}

/** The marker's name, or undefined when `tag` is not a marker. */
export function markerName(tag: number): MarkerName | undefined {
  return markerByTag.get(tag >>> 0);
}

/** True when `tag` is a meta-property or ICS state property of the table above. */
export function isMetaTag(tag: number): boolean {
  return metaByTag.has(tag >>> 0);
}

/** The meta-property's name, or undefined. */
export function metaTagName(tag: number): MetaTagName | undefined {
  return metaByTag.get(tag >>> 0);
}

/**
 * The property type whose serialization the value of `tag` uses in a FastTransfer stream: the tag's own type,
 * except MetaTagIdsetGiven (declared PtypInteger32, serialized as PtypBinary, MS-OXCFXICS 2.2.1.1.1).
 */
export function wireValueType(tag: number): number {
  if (tag >>> 0 === MetaTag.MetaTagIdsetGiven) return 0x0102;
  return tag & 0xffff;
}

/** "StartMessage" / "MetaTagFXDelProp" / "0x0037001F": a readable name of a tag for logs and errors. */
export function describeTag(tag: number): string {
  return markerName(tag) ?? metaTagName(tag) ?? `0x${(tag >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
