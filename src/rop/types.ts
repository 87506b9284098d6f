// The ROP engine's contracts (docs/design/mailbox-core.md): codecs (one module per ROP under codec/), handlers
// (grouped by spec under handlers/), server objects and the context a handler gets. Codecs never touch the store;
// handlers never touch buffers; the dispatcher (dispatch.ts) joins them.
import type { Logger } from '../util/log.js';
import type { RopReader, RopWriter } from '../mapi/buffer.js';

/** What codecs need besides the bytes: the code page of 8-bit strings (the logon's, from EcDoConnectEx). */
export interface CodecContext {
  codePage: number;
  /**
   * The OpenFlags of the RopLogon behind a LogonId (MS-OXCSTOR 2.2.1.1.1), for the few requests whose layout
   * depends on them (RopWritePerUserInformation's ReplGuid with USE_PER_MDB_REPLID_MAPPING). Undefined: unknown.
   */
  logonOpenFlags?(logonId: number): number | undefined;
}

/** MS-OXCROPS 2.2.1: the fields every ROP request starts with. `OutputHandleIndex` only for ROPs that create an object. */
export interface RopRequestHeader {
  RopId: number;
  LogonId: number;
  InputHandleIndex: number;
  OutputHandleIndex?: number;
}

/**
 * A ROP response as an object with the spec's field names: `RopId`, the handle index the response carries
 * (`HandleIndex`: OutputHandleIndex for ROPs that create an object, ResponseHandleIndex for the few that have one,
 * else InputHandleIndex), `ReturnValue`, and the body fields (present on success, or on the failures whose
 * response the spec extends, e.g. RopMoveCopyMessages' DestHandleIndex with ecDstNullObject).
 */
export type RopResponse<Body = Record<string, unknown>> = { RopId: number; HandleIndex: number; ReturnValue: number } & Partial<Body>;

/**
 * One ROP's wire codec. decodeRequest/encodeResponse serve the server; encodeRequest/decodeResponse are the inverse
 * pair used by tests and the bench client. Requests are read from the RopId byte on; a truncated or inconsistent
 * request throws RopFormatError.
 */
export interface RopCodec<Req extends RopRequestHeader = RopRequestHeader, Body = Record<string, unknown>> {
  readonly RopId: number;
  /** The spec's name, e.g. "RopOpenFolder". */
  readonly name: string;
  /** False for RopRelease (no response at all). */
  readonly hasResponse: boolean;
  /** True when the request carries an OutputHandleIndex (the ROP creates a server object). */
  readonly createsObject: boolean;
  decodeRequest(r: RopReader, ctx: CodecContext): Req;
  encodeRequest(w: RopWriter, req: Req, ctx: CodecContext): void;
  /** The handle index the response prefix carries for this request. */
  responseHandleIndex(req: Req): number;
  /** Writes the whole response, prefix included; the body is written as the spec says for `res.ReturnValue`. */
  encodeResponse(w: RopWriter, res: RopResponse<Body>, ctx: CodecContext, req: Req): void;
  decodeResponse(r: RopReader, ctx: CodecContext, req: Req): RopResponse<Body>;
}

/** Kinds of server objects a handle can name (MS-OXCROPS 1.3.1). */
export type ObjectKind =
  | 'logon'
  | 'folder'
  | 'message'
  | 'embeddedMessage'
  | 'attachment'
  | 'table'
  | 'stream'
  | 'fxSource'
  | 'fxDestination'
  | 'icsDownload'
  | 'icsUpload'
  | 'notification'
  | 'permissions';

/** A server object behind a handle. Handlers extend this with their own state. */
export interface ServerObject {
  readonly kind: ObjectKind;
  readonly logonId: number;
  /** The object whose RopRelease also releases this one (the logon for everything else; null for a logon). */
  parent: ServerObject | null;
  /** Called once when the object is released (itself or through its parent, or with the session). */
  dispose?(): void;
}

/** What a handler returns: the ReturnValue, the response body on success, and an object for OutputHandleIndex. */
export interface RopResult<Body = Record<string, unknown>> {
  ec: number;
  response?: Partial<Body>;
  created?: ServerObject;
}

/** The per-call view a handler gets. `session` and `logon` are typed by the layers above (emsmdb / handlers). */
export interface RopContext<Session = unknown, Logon extends ServerObject = ServerObject> {
  session: Session;
  logon: Logon | undefined;
  input: ServerObject;
  /** Resolves another handle index of the same request (DestHandleIndex ROPs); undefined when empty or released. */
  resolve(handleIndex: number): ServerObject | undefined;
  codePage: number;
  /** Bytes left in the output buffer for this ROP's response (RopQueryRows and the like return what fits). */
  outputSpace: number;
  log: Logger;
}

export type RopHandler<Req extends RopRequestHeader = RopRequestHeader, Body = Record<string, unknown>> = (
  req: Req,
  ctx: RopContext,
) => RopResult<Body> | Promise<RopResult<Body>>;

/** A handler entry: which input object kinds it accepts (others get ecNotSupported without calling it). */
export interface RopHandlerEntry {
  inputKinds: readonly ObjectKind[] | 'any';
  handle: RopHandler<any, any>;
}
