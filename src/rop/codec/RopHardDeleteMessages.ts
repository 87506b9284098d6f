// MS-OXCROPS 2.2.4.12 RopHardDeleteMessages
// PartialCompletion is present whatever the ReturnValue (one response buffer).
// The same request and response buffers as RopDeleteMessages: one codec serves both.
import { deleteMessagesCodec, type RopDeleteMessagesRequest, type RopDeleteMessagesResponse } from './RopDeleteMessages.js';

export type RopHardDeleteMessagesRequest = RopDeleteMessagesRequest;
export type RopHardDeleteMessagesResponse = RopDeleteMessagesResponse;

export const RopHardDeleteMessages = deleteMessagesCodec(0x91, 'RopHardDeleteMessages');
