// MS-OXCROPS 2.2.4.13 RopGetHierarchyTable
// The same request and response buffers as RopGetContentsTable: one codec serves both.
import { getContentsTableCodec, type RopGetContentsTableRequest, type RopGetContentsTableResponse } from './RopGetContentsTable.js';

export type RopGetHierarchyTableRequest = RopGetContentsTableRequest;
export type RopGetHierarchyTableResponse = RopGetContentsTableResponse;

export const RopGetHierarchyTable = getContentsTableCodec(0x04, 'RopGetHierarchyTable');
