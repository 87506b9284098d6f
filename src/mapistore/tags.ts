// Property tags the store computes or maintains (MS-OXPROPS; values as in shared/reference/properties.md).
export const TAG = {
  EntryId: 0x0fff0102,
  ObjectType: 0x0ffe0003,
  RecordKey: 0x0ff90102,
  InstanceKey: 0x0ff60102,
  Access: 0x0ff40003,
  AccessLevel: 0x0ff70003,
  MappingSignature: 0x0ff80102,
  DisplayName: 0x3001001f,
  Comment: 0x3004001f,
  Depth: 0x30050003,
  CreationTime: 0x30070040,
  LastModificationTime: 0x30080040,
  FolderId: 0x67480014,
  ParentFolderId: 0x67490014,
  Mid: 0x674a0014,
  SourceKey: 0x65e00102,
  ParentSourceKey: 0x65e10102,
  ChangeKey: 0x65e20102,
  PredecessorChangeList: 0x65e30102,
  ChangeNumber: 0x67a40014,
  Associated: 0x67aa000b,
  FolderType: 0x36010003,
  ContentCount: 0x36020003,
  ContentUnreadCount: 0x36030003,
  Subfolders: 0x360a000b,
  ContainerClass: 0x3613001f,
  AssociatedContentCount: 0x36170003,
  FolderChildCount: 0x66380003,
  Rights: 0x66390003,
  AttributeHidden: 0x10f4000b,
  MessageSize: 0x0e080003,
  MessageSizeExtended: 0x0e080014,
  MessageFlags: 0x0e070003,
  Read: 0x0e69000b,
  MessageClass: 0x001a001f,
  Subject: 0x0037001f,
  MessageDeliveryTime: 0x0e060040,
  ParentEntryId: 0x0e090102,
  // folders that carry the special-folder entry IDs (root and Inbox), MS-OXOSFLD 2.2
  IpmAppointmentEntryId: 0x36d00102,
  IpmContactEntryId: 0x36d10102,
  IpmJournalEntryId: 0x36d20102,
  IpmNoteEntryId: 0x36d30102,
  IpmTaskEntryId: 0x36d40102,
  RemindersOnlineEntryId: 0x36d50102,
  IpmDraftsEntryId: 0x36d70102,
  AdditionalRenEntryIds: 0x36d81102,
  AdditionalRenEntryIdsEx: 0x36d90102,
  // store object, MS-OXCSTOR 2.2.2
  IpmSubtreeEntryId: 0x35e00102,
  IpmOutboxEntryId: 0x35e20102,
  IpmWastebasketEntryId: 0x35e30102,
  IpmSentMailEntryId: 0x35e40102,
  ViewsEntryId: 0x35e50102,
  CommonViewsEntryId: 0x35e60102,
  FinderEntryId: 0x35e70102,
  ValidFolderMask: 0x35df0003,
  StoreSupportMask: 0x340d0003,
  StoreState: 0x340e0003,
  MaximumSubmitMessageSize: 0x666d0003,
  // MS-OXCSTOR 2.2.2.1.1.3 / MS-OXPROPS: the mailbox's quotas in KiB (the IMAP backend's GETQUOTAROOT, imap/quota.ts)
  ProhibitReceiveQuota: 0x666a0003,
  ProhibitSendQuota: 0x666e0003,
  StorageQuotaLimit: 0x3ff50003,
  MailboxOwnerName: 0x661c001f,
  // MS-OXCSTOR 2.2.2.1.1 store object: the owner's and the logged-on user's address book entry IDs and names
  MailboxOwnerEntryId: 0x661b0102,
  UserEntryId: 0x66190102,
  UserName: 0x661a001f,
  RecordKeyStore: 0x0ff90102,
} as const;

/** MS-OXCMSG 2.2.1.6 PidTagMessageFlags bits used here. */
export const MSGFLAG_READ = 0x01;
export const MSGFLAG_UNMODIFIED = 0x02;
export const MSGFLAG_ASSOCIATED = 0x40;

/** MS-OXCPRPT 2.2.1.1 PidTagAccess bits. */
export const ACCESS_MODIFY = 0x01;
export const ACCESS_READ = 0x02;
export const ACCESS_DELETE = 0x04;
export const ACCESS_CREATE_HIERARCHY = 0x08;
export const ACCESS_CREATE_CONTENTS = 0x10;
export const ACCESS_CREATE_ASSOCIATED = 0x20;

/** MS-OXCPERM 2.2.7 PidTagMemberRights of the mailbox owner on its own folders. */
export const RIGHTS_OWNER = 0x7fb;
