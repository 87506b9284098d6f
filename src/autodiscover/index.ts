// Autodiscover (MS-OXDSCLI POX) for Outlook 2007-2013: request reader, response builder, and the front door route.
export { createAutodiscoverRoute, resolveRequest, AUTODISCOVER_PATH, type AutodiscoverDeps, type AutodiscoverOutcome } from './route.js';
export { parseAutodiscoverRequest, decodeBody, isOutlookSchema, AutodiscoverRequestError, MAX_REQUEST_BYTES, OUTLOOK_RESPONSE_SCHEMA, type AutodiscoverRequest } from './request.js';
export { settingsResponse, redirectAddrResponse, errorResponse, AUTODISCOVER_ERROR, type AutodiscoverErrorCode, type AutodiscoverUser } from './response.js';
export { autodiscoverSettings, forClient, clientCanHandleNegotiate, serverVersionHex, deploymentIdOf, parseRedirectDomains, type AutodiscoverSettings } from './settings.js';
export { parseXml, XmlError, type XmlElement } from './xml.js';
