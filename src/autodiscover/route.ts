// The Autodiscover route for the HTTPS front door (src/web): POST /autodiscover/autodiscover.xml (any case) with an
// MS-OXDSCLI POX request, answered after HTTP authentication. Looks the address up in the Directory and answers with
// settings, redirectAddr, or the spec's Error response (HTTP 200 in every case, as Exchange does; a GET gets the
// ErrorCode 600 answer a browser sees from Exchange).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import type { Directory, DirectoryUser } from '../directory/types.js';
import { describeError, ProtocolError } from '../util/errors.js';
import type { HttpContext, HttpRoute } from '../web/types.js';
import { isOutlookSchema, MAX_REQUEST_BYTES, parseAutodiscoverRequest, type AutodiscoverRequest } from './request.js';
import { AUTODISCOVER_ERROR, errorResponse, redirectAddrResponse, settingsResponse, type AutodiscoverErrorCode } from './response.js';
import { autodiscoverSettings, clientCanHandleNegotiate, forClient, type AutodiscoverSettings } from './settings.js';

export const AUTODISCOVER_PATH = /^\/autodiscover\/autodiscover\.xml$/i;

export interface AutodiscoverDeps {
  config: Pick<Config, 'server' | 'autodiscover'>;
  directory: Directory;
  /** The bound ncacn_ip_tcp port, sent as EXCH Port/DirectoryPort/ReferralPort; null or absent = not sent. */
  rpcPort?: () => number | null;
  /** Longest wait for the whole request body (ms); default 30 s. */
  bodyTimeoutMs?: number;
  now?: () => Date;
}

/** The outcome of one request, for logs and tests. */
export type AutodiscoverOutcome =
  | { kind: 'settings'; user: DirectoryUser }
  | { kind: 'redirectAddr'; address: string }
  | { kind: 'error'; code: AutodiscoverErrorCode; reason: string };

/** Where a looked-up address leads (MS-OXDSCLI Action: settings or redirectAddr; else ErrorCode 500). */
export async function resolveRequest(
  req: AutodiscoverRequest,
  directory: Directory,
  settings: AutodiscoverSettings,
): Promise<AutodiscoverOutcome> {
  if (req.acceptableResponseSchema !== null && !isOutlookSchema(req.acceptableResponseSchema)) {
    return { kind: 'error', code: AUTODISCOVER_ERROR.ProviderUnavailable, reason: 'unsupported AcceptableResponseSchema' };
  }
  const email = req.emailAddress;
  const emailOk = email !== null && /^[^@\s]+@[^@\s]+$/.test(email);
  let user: DirectoryUser | null = null;
  if (emailOk) user = await directory.findUser(email);
  if (!user && req.legacyDN !== null && req.legacyDN.startsWith('/')) user = await directory.findUser(req.legacyDN);
  if (user && user.enabled && user.smtpAddress) return { kind: 'settings', user };
  if (emailOk && !user) {
    const at = email.lastIndexOf('@');
    const to = settings.redirectDomains.get(email.slice(at + 1).toLowerCase());
    if (to) return { kind: 'redirectAddr', address: `${email.slice(0, at)}@${to}` };
  }
  return { kind: 'error', code: AUTODISCOVER_ERROR.EmailAddressNotFound, reason: user ? 'account disabled' : 'no such address' };
}

class BodyTooLarge extends ProtocolError {}

/** Reads the whole body, at most `max` bytes, within `timeoutMs`. */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      reject(new BodyTooLarge('OC_AUTODISCOVER_TOO_LARGE', `Content-Length ${declared} over ${max}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) finish(new BodyTooLarge('OC_AUTODISCOVER_TOO_LARGE', `request body over ${max} bytes`));
      else chunks.push(c);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    const onError = (e: Error) => finish(e);
    const timer = setTimeout(() => finish(new ProtocolError('OC_AUTODISCOVER_TIMEOUT', 'request body not received in time')), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function send(res: ServerResponse, status: number, xml: string | null, close = false): void {
  if (res.headersSent) return;
  const body = xml === null ? Buffer.alloc(0) : Buffer.from(xml, 'utf8');
  res.statusCode = status;
  if (xml !== null) res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'private');
  if (close) res.setHeader('Connection', 'close');
  res.end(body);
}

/** The HttpRoute the front door serves at /autodiscover/autodiscover.xml after HTTP authentication. */
export function createAutodiscoverRoute(deps: AutodiscoverDeps): HttpRoute {
  const now = deps.now ?? (() => new Date());
  const bodyTimeoutMs = deps.bodyTimeoutMs ?? 30_000;
  const current = (): AutodiscoverSettings => autodiscoverSettings(deps.config, { rpcPort: deps.rpcPort?.() ?? null });
  return {
    path: AUTODISCOVER_PATH,
    methods: ['POST', 'GET'],
    auth: true,
    async handle(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
      const log = ctx.log.child({ op: 'autodiscover' });
      const settings = forClient(current(), { negotiate: clientCanHandleNegotiate(req.headers['x-clientcanhandle']) });
      const fail = (code: AutodiscoverErrorCode) => send(res, 200, errorResponse(code, { id: settings.errorId, now: now() }));
      if (req.method !== 'POST') {
        req.resume();
        log.debug({ method: req.method }, 'autodiscover: not a POST, ErrorCode 600');
        fail(AUTODISCOVER_ERROR.InvalidRequest);
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, MAX_REQUEST_BYTES, bodyTimeoutMs);
      } catch (e) {
        log.info({ err: describeError(e) }, 'autodiscover: request body refused');
        // stop reading: the front door closes the connection after this answer
        send(res, e instanceof BodyTooLarge ? 413 : 408, null, true);
        return;
      }
      let request: AutodiscoverRequest;
      try {
        request = parseAutodiscoverRequest(body);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        log.info({ err: describeError(e) }, 'autodiscover: bad request, ErrorCode 600');
        fail(AUTODISCOVER_ERROR.InvalidRequest);
        return;
      }
      let outcome: AutodiscoverOutcome;
      try {
        outcome = await resolveRequest(request, deps.directory, settings);
      } catch (e) {
        log.warn({ err: describeError(e) }, 'autodiscover: directory lookup failed, ErrorCode 603');
        fail(AUTODISCOVER_ERROR.InternalError);
        return;
      }
      const who = { email: request.emailAddress, legacyDN: request.legacyDN, user: ctx.user?.username };
      switch (outcome.kind) {
        case 'settings': {
          const u = outcome.user;
          log.debug({ ...who, account: u.username }, 'autodiscover: settings');
          send(res, 200, settingsResponse(settings, { displayName: u.displayName || u.username, legacyDN: u.legacyExchangeDN, smtpAddress: u.smtpAddress }));
          return;
        }
        case 'redirectAddr':
          log.debug({ ...who, redirectAddr: outcome.address }, 'autodiscover: redirectAddr');
          send(res, 200, redirectAddrResponse(outcome.address));
          return;
        case 'error':
          log.info({ ...who, code: outcome.code, reason: outcome.reason }, 'autodiscover: error answer');
          fail(outcome.code);
          return;
      }
    },
  };
}
