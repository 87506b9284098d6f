// MS-OXCROPS 2.2 the ROPs outside CORE_CODECS: messages (2.2.6), transport (2.2.7), streams (2.2.9), permissions (2.2.10),
// rules (2.2.11), FastTransfer (2.2.12), ICS (2.2.13), notifications (2.2.14) and the server-only RopBackoff /
// RopBufferTooSmall (2.2.15). One module per ROP; this list is what the registry loads (src/rop/registry.ts).
import type { RopCodec } from '../types.js';
import { RopAbortSubmit } from './RopAbortSubmit.js';
import { RopBackoff } from './RopBackoff.js';
import { RopBufferTooSmall } from './RopBufferTooSmall.js';
import { RopCloneStream } from './RopCloneStream.js';
import { RopCommitStream } from './RopCommitStream.js';
import { RopCopyToStream } from './RopCopyToStream.js';
import { RopCreateAttachment } from './RopCreateAttachment.js';
import { RopCreateMessage } from './RopCreateMessage.js';
import { RopDeleteAttachment } from './RopDeleteAttachment.js';
import { RopFastTransferDestinationConfigure } from './RopFastTransferDestinationConfigure.js';
import { RopFastTransferDestinationPutBuffer } from './RopFastTransferDestinationPutBuffer.js';
import { RopFastTransferDestinationPutBufferExtended } from './RopFastTransferDestinationPutBufferExtended.js';
import { RopFastTransferSourceCopyFolder } from './RopFastTransferSourceCopyFolder.js';
import { RopFastTransferSourceCopyMessages } from './RopFastTransferSourceCopyMessages.js';
import { RopFastTransferSourceCopyProperties } from './RopFastTransferSourceCopyProperties.js';
import { RopFastTransferSourceCopyTo } from './RopFastTransferSourceCopyTo.js';
import { RopFastTransferSourceGetBuffer } from './RopFastTransferSourceGetBuffer.js';
import { RopGetAddressTypes } from './RopGetAddressTypes.js';
import { RopGetAttachmentTable } from './RopGetAttachmentTable.js';
import { RopGetLocalReplicaIds } from './RopGetLocalReplicaIds.js';
import { RopGetMessageStatus } from './RopGetMessageStatus.js';
import { RopGetPermissionsTable } from './RopGetPermissionsTable.js';
import { RopGetRulesTable } from './RopGetRulesTable.js';
import { RopGetStreamSize } from './RopGetStreamSize.js';
import { RopGetTransportFolder } from './RopGetTransportFolder.js';
import { RopGetValidAttachments } from './RopGetValidAttachments.js';
import { RopLockRegionStream } from './RopLockRegionStream.js';
import { RopModifyPermissions } from './RopModifyPermissions.js';
import { RopModifyRecipients } from './RopModifyRecipients.js';
import { RopModifyRules } from './RopModifyRules.js';
import { RopNotify } from './RopNotify.js';
import { RopOpenAttachment } from './RopOpenAttachment.js';
import { RopOpenEmbeddedMessage } from './RopOpenEmbeddedMessage.js';
import { RopOpenMessage } from './RopOpenMessage.js';
import { RopOpenStream } from './RopOpenStream.js';
import { RopOptionsData } from './RopOptionsData.js';
import { RopPending } from './RopPending.js';
import { RopReadRecipients } from './RopReadRecipients.js';
import { RopReadStream } from './RopReadStream.js';
import { RopRegisterNotification } from './RopRegisterNotification.js';
import { RopReloadCachedInformation } from './RopReloadCachedInformation.js';
import { RopRemoveAllRecipients } from './RopRemoveAllRecipients.js';
import { RopSaveChangesAttachment } from './RopSaveChangesAttachment.js';
import { RopSaveChangesMessage } from './RopSaveChangesMessage.js';
import { RopSeekStream } from './RopSeekStream.js';
import { RopSetLocalReplicaMidsetDeleted } from './RopSetLocalReplicaMidsetDeleted.js';
import { RopSetMessageReadFlag } from './RopSetMessageReadFlag.js';
import { RopSetMessageStatus } from './RopSetMessageStatus.js';
import { RopSetReadFlags } from './RopSetReadFlags.js';
import { RopSetSpooler } from './RopSetSpooler.js';
import { RopSetStreamSize } from './RopSetStreamSize.js';
import { RopSpoolerLockMessage } from './RopSpoolerLockMessage.js';
import { RopSubmitMessage } from './RopSubmitMessage.js';
import { RopSynchronizationConfigure } from './RopSynchronizationConfigure.js';
import { RopSynchronizationGetTransferState } from './RopSynchronizationGetTransferState.js';
import { RopSynchronizationImportDeletes } from './RopSynchronizationImportDeletes.js';
import { RopSynchronizationImportHierarchyChange } from './RopSynchronizationImportHierarchyChange.js';
import { RopSynchronizationImportMessageChange } from './RopSynchronizationImportMessageChange.js';
import { RopSynchronizationImportMessageMove } from './RopSynchronizationImportMessageMove.js';
import { RopSynchronizationImportReadStateChanges } from './RopSynchronizationImportReadStateChanges.js';
import { RopSynchronizationOpenCollector } from './RopSynchronizationOpenCollector.js';
import { RopSynchronizationUploadStateStreamBegin } from './RopSynchronizationUploadStateStreamBegin.js';
import { RopSynchronizationUploadStateStreamContinue } from './RopSynchronizationUploadStateStreamContinue.js';
import { RopSynchronizationUploadStateStreamEnd } from './RopSynchronizationUploadStateStreamEnd.js';
import { RopTellVersion } from './RopTellVersion.js';
import { RopTransportNewMail } from './RopTransportNewMail.js';
import { RopTransportSend } from './RopTransportSend.js';
import { RopUnlockRegionStream } from './RopUnlockRegionStream.js';
import { RopUpdateDeferredActionMessages } from './RopUpdateDeferredActionMessages.js';
import { RopWriteAndCommitStream } from './RopWriteAndCommitStream.js';
import { RopWriteStream } from './RopWriteStream.js';
import { RopWriteStreamExtended } from './RopWriteStreamExtended.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const OTHER_CODECS: readonly RopCodec<any, any>[] = [
  RopOpenMessage, // 0x03
  RopCreateMessage, // 0x06
  RopSaveChangesMessage, // 0x0C
  RopRemoveAllRecipients, // 0x0D
  RopModifyRecipients, // 0x0E
  RopReadRecipients, // 0x0F
  RopReloadCachedInformation, // 0x10
  RopSetMessageReadFlag, // 0x11
  RopGetMessageStatus, // 0x1F
  RopSetMessageStatus, // 0x20
  RopGetAttachmentTable, // 0x21
  RopOpenAttachment, // 0x22
  RopCreateAttachment, // 0x23
  RopDeleteAttachment, // 0x24
  RopSaveChangesAttachment, // 0x25
  RopRegisterNotification, // 0x29
  RopNotify, // 0x2A
  RopOpenStream, // 0x2B
  RopReadStream, // 0x2C
  RopWriteStream, // 0x2D
  RopSeekStream, // 0x2E
  RopSetStreamSize, // 0x2F
  RopSubmitMessage, // 0x32
  RopAbortSubmit, // 0x34
  RopCopyToStream, // 0x3A
  RopCloneStream, // 0x3B
  RopGetPermissionsTable, // 0x3E
  RopGetRulesTable, // 0x3F
  RopModifyPermissions, // 0x40
  RopModifyRules, // 0x41
  RopOpenEmbeddedMessage, // 0x46
  RopSetSpooler, // 0x47
  RopSpoolerLockMessage, // 0x48
  RopGetAddressTypes, // 0x49
  RopTransportSend, // 0x4A
  RopFastTransferSourceCopyMessages, // 0x4B
  RopFastTransferSourceCopyFolder, // 0x4C
  RopFastTransferSourceCopyTo, // 0x4D
  RopFastTransferSourceGetBuffer, // 0x4E
  RopTransportNewMail, // 0x51
  RopGetValidAttachments, // 0x52
  RopFastTransferDestinationConfigure, // 0x53
  RopFastTransferDestinationPutBuffer, // 0x54
  RopUpdateDeferredActionMessages, // 0x57
  RopLockRegionStream, // 0x5B
  RopUnlockRegionStream, // 0x5C
  RopCommitStream, // 0x5D
  RopGetStreamSize, // 0x5E
  RopSetReadFlags, // 0x66
  RopFastTransferSourceCopyProperties, // 0x69
  RopGetTransportFolder, // 0x6D
  RopPending, // 0x6E
  RopOptionsData, // 0x6F
  RopSynchronizationConfigure, // 0x70
  RopSynchronizationImportMessageChange, // 0x72
  RopSynchronizationImportHierarchyChange, // 0x73
  RopSynchronizationImportDeletes, // 0x74
  RopSynchronizationUploadStateStreamBegin, // 0x75
  RopSynchronizationUploadStateStreamContinue, // 0x76
  RopSynchronizationUploadStateStreamEnd, // 0x77
  RopSynchronizationImportMessageMove, // 0x78
  RopSynchronizationOpenCollector, // 0x7E
  RopGetLocalReplicaIds, // 0x7F
  RopSynchronizationImportReadStateChanges, // 0x80
  RopSynchronizationGetTransferState, // 0x82
  RopTellVersion, // 0x86
  RopWriteAndCommitStream, // 0x90
  RopSetLocalReplicaMidsetDeleted, // 0x93
  RopFastTransferDestinationPutBufferExtended, // 0x9D
  RopWriteStreamExtended, // 0xA3
  RopBackoff, // 0xF9
  RopBufferTooSmall, // 0xFF
];
