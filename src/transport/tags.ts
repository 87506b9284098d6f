// Property tags the transport reads and writes (MS-OXPROPS; MS-OXOMSG 2.2.1 and 2.2.2, MS-OXCMSG 2.2.1).
export const T = {
  MessageClass: 0x001a001f,
  Subject: 0x0037001f,
  SubjectPrefix: 0x003d001f,
  NormalizedSubject: 0x0e1d001f,
  Importance: 0x00170003,
  Sensitivity: 0x00360003,
  ClientSubmitTime: 0x00390040,
  MessageDeliveryTime: 0x0e060040,
  MessageFlags: 0x0e070003,
  MessageSize: 0x0e080003,
  DeleteAfterSubmit: 0x0e01000b,
  SentMailEntryId: 0x0e0a0102,
  SubmitFlags: 0x0e140003,
  InternetMessageId: 0x1035001f,
  InReplyToId: 0x1042001f,
  InternetReferences: 0x1039001f,
  Body: 0x1000001f,
  Html: 0x10130102,
  // sender (MS-OXOMSG 2.2.1.48-55) and represented sender (2.2.1.54-60)
  SenderEntryId: 0x0c190102,
  SenderName: 0x0c1a001f,
  SenderSearchKey: 0x0c1d0102,
  SenderAddressType: 0x0c1e001f,
  SenderEmailAddress: 0x0c1f001f,
  SenderSmtpAddress: 0x5d01001f,
  SentRepresentingEntryId: 0x00410102,
  SentRepresentingName: 0x0042001f,
  SentRepresentingSearchKey: 0x003b0102,
  SentRepresentingAddressType: 0x0064001f,
  SentRepresentingEmailAddress: 0x0065001f,
  SentRepresentingSmtpAddress: 0x5d02001f,
  // receiver (MS-OXOMSG 2.2.1.36-47)
  ReceivedByEntryId: 0x003f0102,
  ReceivedByName: 0x0040001f,
  ReceivedBySearchKey: 0x00510102,
  ReceivedByAddressType: 0x0075001f,
  ReceivedByEmailAddress: 0x0076001f,
  ReceivedBySmtpAddress: 0x5d07001f,
  ReceivedRepresentingEntryId: 0x00430102,
  ReceivedRepresentingName: 0x0044001f,
  ReceivedRepresentingSearchKey: 0x00520102,
  ReceivedRepresentingAddressType: 0x0077001f,
  ReceivedRepresentingEmailAddress: 0x0078001f,
  ReceivedRepresentingSmtpAddress: 0x5d08001f,
  MessageToMe: 0x0057000b,
  MessageCcMe: 0x0058000b,
  MessageRecipientMe: 0x0059000b,
  // recipients (MS-OXCMSG 2.2.1.x, MS-OXOABK)
  RecipientType: 0x0c150003,
  DisplayName: 0x3001001f,
  AddressType: 0x3002001f,
  EmailAddress: 0x3003001f,
  SmtpAddress: 0x39fe001f,
  EntryId: 0x0fff0102,
  SearchKey: 0x300b0102,
  RecipientDisplayName: 0x5ff6001f,
  // attachments (MS-OXCMSG 2.2.2)
  AttachMethod: 0x37050003,
  AttachDataBinary: 0x37010102,
  AttachFilename: 0x3704001f,
  AttachLongFilename: 0x3707001f,
  AttachMimeTag: 0x370e001f,
  AttachContentId: 0x3712001f,
  // reports (MS-OXOMSG 2.2.2)
  OriginalSubject: 0x0049001f,
  OriginalMessageClass: 0x004b001f,
  OriginalSubmitTime: 0x004e0040,
  OriginalDisplayTo: 0x0074001f,
  OriginalSenderName: 0x005a001f,
  OriginalSenderEmailAddress: 0x0067001f,
  OriginalSenderAddressType: 0x0066001f,
  ReportTime: 0x00320040,
  ReportText: 0x1001001f,
  ReportName: 0x003a001f,
  NonDeliveryReportReasonCode: 0x0c040003,
  NonDeliveryReportDiagCode: 0x0c050003,
  NonDeliveryReportStatusCode: 0x0c200003,
  SupplementaryInfo: 0x0c1b001f,
  OriginatorDeliveryReportRequested: 0x0023000b,
} as const;

/** MS-OXCMSG 2.2.1.6 PidTagMessageFlags bits the transport changes. */
export const MF = {
  Read: 0x01,
  Submitted: 0x04,
  Unsent: 0x08,
  FromMe: 0x20,
  Resend: 0x80,
} as const;

/** Properties that stay with the sender's copy: never copied into recipients' copies (MS-OXOMSG 2.2.3, MAPI non-transmittable). */
export const NOT_DELIVERED_IDS = new Set<number>([
  0x0e01, // PidTagDeleteAfterSubmit
  0x0e0a, // PidTagSentMailEntryId
  0x0e14, // PidTagSubmitFlags
  0x0e07, // PidTagMessageFlags (set by delivery)
  0x3fef, // PidTagDeferredSendTime
  0x3feb, // PidTagDeferredSendNumber
  0x3fec, // PidTagDeferredSendUnits
  0x0e06, // PidTagMessageDeliveryTime (set by delivery)
  0x0e69, // PidTagRead
  0x0e02, // PidTagDisplayBcc: the Bcc names (a recipient's copy has no Bcc rows, so none either)
]);

/** The current time as a FILETIME (100 ns since 1601), the PT_SYSTIME representation of src/mapi/props.ts. */
export function filetimeNow(ms = Date.now()): bigint {
  return (BigInt(ms) + 11644473600000n) * 10000n;
}

/** FILETIME -> JS Date. */
export function filetimeToDate(ft: bigint): Date {
  return new Date(Number(ft / 10000n - 11644473600000n));
}
