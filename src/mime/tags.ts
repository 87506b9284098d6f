// Property tags the MIME -> MAPI conversion writes that src/transport/tags.ts does not name (MS-OXPROPS; MS-OXCMAIL 2.2,
// MS-OXCMSG 2.2.1 and 2.2.2, MS-OXOMSG 2.2.1). Names as in MS-OXPROPS without the PidTag prefix.
export const MT = {
  InternetCodepage: 0x3fde0003,
  NativeBody: 0x10160003,
  ConversationIndex: 0x00710102,
  ConversationTopic: 0x0070001f,
  TransportMessageHeaders: 0x007d001f,
  Priority: 0x00260003,
  AttachFlags: 0x37140003,
  AttachmentHidden: 0x7ffe000b,
  AttachSize: 0x0e200003,
  AttachExtension: 0x3703001f,
  AttachContentLocation: 0x3713001f,
  RenderingPosition: 0x370b0003,
} as const;

/** MS-OXCMSG 2.2.1.49.x PidTagNativeBody values. */
export const NATIVE_BODY = { PlainText: 1, Rtf: 2, Html: 3 } as const;
/** MS-OXCMSG 2.2.2.18 PidTagAttachFlags: attRenderedInBody. */
export const ATT_RENDERED_IN_BODY = 0x04;
