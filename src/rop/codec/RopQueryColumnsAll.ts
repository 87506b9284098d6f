// MS-OXCROPS 2.2.5.12 RopQueryColumnsAll
// The same request and response buffers as RopGetPropertiesList: one codec serves both.
import { getPropertiesListCodec, type RopGetPropertiesListRequest, type RopGetPropertiesListResponse } from './RopGetPropertiesList.js';

export type RopQueryColumnsAllRequest = RopGetPropertiesListRequest;
export type RopQueryColumnsAllResponse = RopGetPropertiesListResponse;

export const RopQueryColumnsAll = getPropertiesListCodec(0x37, 'RopQueryColumnsAll');
