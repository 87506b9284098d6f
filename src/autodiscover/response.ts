// MS-OXDSCLI Autodiscover responses for the outlook schema: settings (User + Account with EXCH, EXPR and
// WEB Protocol elements), redirectAddr, and the Error response. Built as text with every value escaped.
import type { AutodiscoverSettings } from './settings.js';
import { escapeXml } from './xml.js';

/** The namespace of the outer Autodiscover element (and of Response/Error in an error answer). */
export const RESPONSE_BASE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const OUTLOOK_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

// MS-OXDSCLI ErrorCode values (child of Error, 2.2.4.1.1.3)
export const AUTODISCOVER_ERROR = {
  /** The email address cannot be found. */
  EmailAddressNotFound: 500,
  /** The address is known but has no configuration. */
  BadAddress: 501,
  /** The XML request was improperly formatted. */
  InvalidRequest: 600,
  /** No configuration of the requested type (AcceptableResponseSchema). */
  ProviderUnavailable: 601,
  /** The address is known but the configuration is broken. */
  ConfigurationError: 602,
  /** The Autodiscover server threw an internal error. */
  InternalError: 603,
} as const;
export type AutodiscoverErrorCode = (typeof AUTODISCOVER_ERROR)[keyof typeof AUTODISCOVER_ERROR];

// The Message texts: 500 as Exchange words it (clients such as exchangelib match on it), the others after the
// descriptions of the MS-OXDSCLI ErrorCode table.
const ERROR_MESSAGES: Record<AutodiscoverErrorCode, string> = {
  500: 'The e-mail address cannot be found.',
  501: 'The e-mail address has no configuration.',
  600: 'Invalid Request',
  601: 'The requested configuration type is not available.',
  602: 'The configuration of this e-mail address has errors.',
  603: 'The Autodiscover server threw an internal error.',
};

export interface AutodiscoverUser {
  displayName: string;
  legacyDN: string;
  /** The primary SMTP address (AutoDiscoverSMTPAddress). */
  smtpAddress: string;
}

const XML_DECL = '<?xml version="1.0" encoding="utf-8"?>\r\n';

/** <Name>value</Name> with the value escaped; '' when the value is null. */
function el(name: string, value: string | number | null): string {
  return value === null ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

function excProtocol(s: AutodiscoverSettings): string {
  return (
    '<Protocol>' +
    el('Type', 'EXCH') +
    el('Server', s.mailboxServer) +
    el('ServerDN', s.serverDN) +
    el('ServerVersion', s.serverVersion) +
    el('MdbDN', s.mdbDN) +
    el('PublicFolderServer', s.mailboxServer) +
    el('Port', s.rpcPort) +
    el('DirectoryPort', s.rpcPort) +
    el('ReferralPort', s.rpcPort) +
    el('ASUrl', s.ewsUrl) +
    el('EwsUrl', s.ewsUrl) +
    el('EmwsUrl', s.emwsUrl) +
    el('OOFUrl', s.ewsUrl) +
    el('OABUrl', s.oabUrl) +
    el('AuthPackage', s.rpcAuthPackage) +
    '</Protocol>'
  );
}

function exprProtocol(s: AutodiscoverSettings): string {
  return (
    '<Protocol>' +
    el('Type', 'EXPR') +
    el('Server', s.proxyServer) +
    el('ASUrl', s.ewsUrl) +
    el('EwsUrl', s.ewsUrl) +
    el('EmwsUrl', s.emwsUrl) +
    el('OOFUrl', s.ewsUrl) +
    el('OABUrl', s.oabUrl) +
    el('SSL', 'On') +
    el('AuthPackage', s.httpAuthPackage) +
    el('ServerExclusiveConnect', s.preferHttp ? 'On' : 'Off') +
    el('CertPrincipalName', s.certPrincipalName) +
    '</Protocol>'
  );
}

/** WEB: OWA and the EWS URL, outside (through the proxy, EXPR) and inside (EXCH); null when neither is configured. */
function webProtocol(s: AutodiscoverSettings): string | null {
  if (s.owaUrl === null && s.ewsUrl === null) return null;
  const method = s.httpAuthPackage === 'Basic' ? 'Basic' : 'WindowsIntegrated';
  const owa = s.owaUrl === null ? '' : `<OWAUrl AuthenticationMethod="${method}">${escapeXml(s.owaUrl)}</OWAUrl>`;
  const side = (tag: string, type: string) =>
    `<${tag}>${owa}${s.ewsUrl === null ? '' : `<Protocol>${el('Type', type)}${el('ASUrl', s.ewsUrl)}</Protocol>`}</${tag}>`;
  return '<Protocol>' + el('Type', 'WEB') + side('External', 'EXPR') + side('Internal', 'EXCH') + '</Protocol>';
}

function wrap(inner: string): string {
  return (
    XML_DECL +
    `<Autodiscover xmlns="${RESPONSE_BASE_NS}">` +
    `<Response xmlns="${OUTLOOK_RESPONSE_NS}">` +
    inner +
    '</Response></Autodiscover>'
  );
}

/** MS-OXDSCLI settings answer: Action "settings" with the EXCH, EXPR and (when configured) WEB protocols. */
export function settingsResponse(s: AutodiscoverSettings, user: AutodiscoverUser): string {
  const u =
    '<User>' +
    el('DisplayName', user.displayName) +
    el('LegacyDN', user.legacyDN) +
    el('AutoDiscoverSMTPAddress', user.smtpAddress) +
    el('DeploymentId', s.deploymentId) +
    '</User>';
  const a =
    '<Account>' +
    el('AccountType', 'email') +
    el('Action', 'settings') +
    excProtocol(s) +
    exprProtocol(s) +
    (webProtocol(s) ?? '') +
    '</Account>';
  return wrap(u + a);
}

/** MS-OXDSCLI redirect answer: Action "redirectAddr" naming the address to ask for next. */
export function redirectAddrResponse(address: string): string {
  return wrap('<Account>' + el('AccountType', 'email') + el('Action', 'redirectAddr') + el('RedirectAddr', address) + '</Account>');
}

/** "HH:MM:SS.fffffff" in UTC, the Error element's Time attribute. */
function errorTime(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds(), 3)}0000`;
}

/** MS-OXDSCLI error answer (Error, 2.2.4.1.1.3): Response (in the base namespace) > Error with ErrorCode, Message, DebugData. */
export function errorResponse(code: AutodiscoverErrorCode, opts: { id: string; now?: Date; debugData?: string }): string {
  const now = opts.now ?? new Date();
  return (
    XML_DECL +
    `<Autodiscover xmlns="${RESPONSE_BASE_NS}">` +
    '<Response>' +
    `<Error Time="${errorTime(now)}" Id="${escapeXml(opts.id)}">` +
    el('ErrorCode', code) +
    el('Message', ERROR_MESSAGES[code]) +
    (opts.debugData ? el('DebugData', opts.debugData) : '<DebugData />') +
    '</Error></Response></Autodiscover>'
  );
}
