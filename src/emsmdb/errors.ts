// Coded errors of the EMSMDB wire layer (LZ77, extended buffers, auxiliary blocks). All are ProtocolErrors: the
// bytes came from the peer. The EcDoRpcExt2 / EcDoConnectEx handlers turn them into ecRpcFormat (0x000004B6) at
// their boundary (see the note at the top of extbuf.ts); nothing here knows about return values.
import { OcError, ProtocolError } from '../util/errors.js';

/** MS-XCA 2.4 / MS-OXCRPC 3.1.4.1.1.2: a compressed stream that cannot be decoded to SizeActual bytes. */
export class Lz77Error extends ProtocolError {}

/** MS-OXCRPC 2.2.2.1 / 3.1.4.1.1: an RPC_HEADER_EXT chain that breaks the spec's rules or our limits. */
export class ExtendedBufferError extends ProtocolError {}

/** MS-OXCRPC 2.2.2.2: an AUX_HEADER or auxiliary block that does not fit its Size. */
export class AuxError extends ProtocolError {}

/** Our own misuse of an encoder (a payload too large for a u16 size field, an output limit we cannot meet). */
export class EmsmdbEncodeError extends OcError {}
