// The codecs of the core ROPs (MS-OXCROPS 2.2.3 store, 2.2.4 folders, 2.2.5 tables, 2.2.8 properties,
// 2.2.15.3 RopRelease), one module per ROP; the registry (src/rop/registry.ts) loads this list with OTHER_CODECS.
import type { RopCodec } from '../types.js';
import { RopAbort } from './RopAbort.js';
import { RopCollapseRow } from './RopCollapseRow.js';
import { RopCopyFolder } from './RopCopyFolder.js';
import { RopCopyProperties } from './RopCopyProperties.js';
import { RopCopyTo } from './RopCopyTo.js';
import { RopCreateBookmark } from './RopCreateBookmark.js';
import { RopCreateFolder } from './RopCreateFolder.js';
import { RopDeleteFolder } from './RopDeleteFolder.js';
import { RopDeleteMessages } from './RopDeleteMessages.js';
import { RopDeleteProperties } from './RopDeleteProperties.js';
import { RopDeletePropertiesNoReplicate } from './RopDeletePropertiesNoReplicate.js';
import { RopEmptyFolder } from './RopEmptyFolder.js';
import { RopExpandRow } from './RopExpandRow.js';
import { RopFindRow } from './RopFindRow.js';
import { RopFreeBookmark } from './RopFreeBookmark.js';
import { RopGetCollapseState } from './RopGetCollapseState.js';
import { RopGetContentsTable } from './RopGetContentsTable.js';
import { RopGetHierarchyTable } from './RopGetHierarchyTable.js';
import { RopGetNamesFromPropertyIds } from './RopGetNamesFromPropertyIds.js';
import { RopGetOwningServers } from './RopGetOwningServers.js';
import { RopGetPerUserGuid } from './RopGetPerUserGuid.js';
import { RopGetPerUserLongTermIds } from './RopGetPerUserLongTermIds.js';
import { RopGetPropertiesAll } from './RopGetPropertiesAll.js';
import { RopGetPropertiesList } from './RopGetPropertiesList.js';
import { RopGetPropertiesSpecific } from './RopGetPropertiesSpecific.js';
import { RopGetPropertyIdsFromNames } from './RopGetPropertyIdsFromNames.js';
import { RopGetReceiveFolder } from './RopGetReceiveFolder.js';
import { RopGetReceiveFolderTable } from './RopGetReceiveFolderTable.js';
import { RopGetSearchCriteria } from './RopGetSearchCriteria.js';
import { RopGetStatus } from './RopGetStatus.js';
import { RopGetStoreState } from './RopGetStoreState.js';
import { RopHardDeleteMessages } from './RopHardDeleteMessages.js';
import { RopHardDeleteMessagesAndSubfolders } from './RopHardDeleteMessagesAndSubfolders.js';
import { RopIdFromLongTermId } from './RopIdFromLongTermId.js';
import { RopLogon } from './RopLogon.js';
import { RopLongTermIdFromId } from './RopLongTermIdFromId.js';
import { RopMoveCopyMessages } from './RopMoveCopyMessages.js';
import { RopMoveFolder } from './RopMoveFolder.js';
import { RopOpenFolder } from './RopOpenFolder.js';
import { RopProgress } from './RopProgress.js';
import { RopPublicFolderIsGhosted } from './RopPublicFolderIsGhosted.js';
import { RopQueryColumnsAll } from './RopQueryColumnsAll.js';
import { RopQueryNamedProperties } from './RopQueryNamedProperties.js';
import { RopQueryPosition } from './RopQueryPosition.js';
import { RopQueryRows } from './RopQueryRows.js';
import { RopReadPerUserInformation } from './RopReadPerUserInformation.js';
import { RopRelease } from './RopRelease.js';
import { RopResetTable } from './RopResetTable.js';
import { RopRestrict } from './RopRestrict.js';
import { RopSeekRow } from './RopSeekRow.js';
import { RopSeekRowBookmark } from './RopSeekRowBookmark.js';
import { RopSeekRowFractional } from './RopSeekRowFractional.js';
import { RopSetCollapseState } from './RopSetCollapseState.js';
import { RopSetColumns } from './RopSetColumns.js';
import { RopSetProperties } from './RopSetProperties.js';
import { RopSetPropertiesNoReplicate } from './RopSetPropertiesNoReplicate.js';
import { RopSetReceiveFolder } from './RopSetReceiveFolder.js';
import { RopSetSearchCriteria } from './RopSetSearchCriteria.js';
import { RopSortTable } from './RopSortTable.js';
import { RopWritePerUserInformation } from './RopWritePerUserInformation.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_CODECS: readonly RopCodec<any, any>[] = [
  RopRelease, // 0x01
  RopOpenFolder, // 0x02
  RopGetHierarchyTable, // 0x04
  RopGetContentsTable, // 0x05
  RopGetPropertiesSpecific, // 0x07
  RopGetPropertiesAll, // 0x08
  RopGetPropertiesList, // 0x09
  RopSetProperties, // 0x0A
  RopDeleteProperties, // 0x0B
  RopSetColumns, // 0x12
  RopSortTable, // 0x13
  RopRestrict, // 0x14
  RopQueryRows, // 0x15
  RopGetStatus, // 0x16
  RopQueryPosition, // 0x17
  RopSeekRow, // 0x18
  RopSeekRowBookmark, // 0x19
  RopSeekRowFractional, // 0x1A
  RopCreateBookmark, // 0x1B
  RopCreateFolder, // 0x1C
  RopDeleteFolder, // 0x1D
  RopDeleteMessages, // 0x1E
  RopSetReceiveFolder, // 0x26
  RopGetReceiveFolder, // 0x27
  RopSetSearchCriteria, // 0x30
  RopGetSearchCriteria, // 0x31
  RopMoveCopyMessages, // 0x33
  RopMoveFolder, // 0x35
  RopCopyFolder, // 0x36
  RopQueryColumnsAll, // 0x37
  RopAbort, // 0x38
  RopCopyTo, // 0x39
  RopGetOwningServers, // 0x42
  RopLongTermIdFromId, // 0x43
  RopIdFromLongTermId, // 0x44
  RopPublicFolderIsGhosted, // 0x45
  RopFindRow, // 0x4F
  RopProgress, // 0x50
  RopGetNamesFromPropertyIds, // 0x55
  RopGetPropertyIdsFromNames, // 0x56
  RopEmptyFolder, // 0x58
  RopExpandRow, // 0x59
  RopCollapseRow, // 0x5A
  RopQueryNamedProperties, // 0x5F
  RopGetPerUserLongTermIds, // 0x60
  RopGetPerUserGuid, // 0x61
  RopReadPerUserInformation, // 0x63
  RopWritePerUserInformation, // 0x64
  RopCopyProperties, // 0x67
  RopGetReceiveFolderTable, // 0x68
  RopGetCollapseState, // 0x6B
  RopSetCollapseState, // 0x6C
  RopSetPropertiesNoReplicate, // 0x79
  RopDeletePropertiesNoReplicate, // 0x7A
  RopGetStoreState, // 0x7B
  RopResetTable, // 0x81
  RopFreeBookmark, // 0x89
  RopHardDeleteMessages, // 0x91
  RopHardDeleteMessagesAndSubfolders, // 0x92
  RopLogon, // 0xFE
];
