// MS-OXCROPS 2.2.8.9 RopDeletePropertiesNoReplicate
// PropertyTagCount u16, PropertyTags. Success: PropertyProblemCount u16, PropertyProblems.
// The same request and response buffers as RopDeleteProperties: one codec serves both.
import { deletePropertiesCodec, type RopDeletePropertiesRequest, type RopDeletePropertiesResponse } from './RopDeleteProperties.js';

export type RopDeletePropertiesNoReplicateRequest = RopDeletePropertiesRequest;
export type RopDeletePropertiesNoReplicateResponse = RopDeletePropertiesResponse;

export const RopDeletePropertiesNoReplicate = deletePropertiesCodec(0x7A, 'RopDeletePropertiesNoReplicate');
