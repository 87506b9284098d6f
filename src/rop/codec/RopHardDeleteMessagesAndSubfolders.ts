// MS-OXCROPS 2.2.4.10 RopHardDeleteMessagesAndSubfolders
// PartialCompletion is present whatever the ReturnValue (one response buffer).
// The same request and response buffers as RopEmptyFolder: one codec serves both.
import { emptyFolderCodec, type RopEmptyFolderRequest, type RopEmptyFolderResponse } from './RopEmptyFolder.js';

export type RopHardDeleteMessagesAndSubfoldersRequest = RopEmptyFolderRequest;
export type RopHardDeleteMessagesAndSubfoldersResponse = RopEmptyFolderResponse;

export const RopHardDeleteMessagesAndSubfolders = emptyFolderCodec(0x92, 'RopHardDeleteMessagesAndSubfolders');
