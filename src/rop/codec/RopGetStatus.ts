// MS-OXCROPS 2.2.5.6 RopGetStatus
// The same request and response buffers as RopAbort: one codec serves both.
import { abortCodec, type RopAbortRequest, type RopAbortResponse } from './RopAbort.js';

export type RopGetStatusRequest = RopAbortRequest;
export type RopGetStatusResponse = RopAbortResponse;

export const RopGetStatus = abortCodec(0x16, 'RopGetStatus');
