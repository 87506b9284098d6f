// NDR 2.0 (C706 ch. 14) marshalling errors. Decoders throw only NdrError (a ProtocolError: the peer's fault);
// encoders throw a plain OcError with code OC_NDR_ENCODE for values that do not fit their schema (our fault),
// and schema definitions that cannot be marshalled throw OcError OC_NDR_SCHEMA when they are built or first used.
import { OcError, ProtocolError } from '../util/errors.js';

/** Stable codes of NdrError. */
export const NdrErrorCode = {
  /** The stub ends before a value it announces. */
  SHORT_BUFFER: 'OC_NDR_SHORT_BUFFER',
  /** A count does not fit the bytes left, or actual_count/offset exceed max_count. */
  BAD_COUNT: 'OC_NDR_BAD_COUNT',
  /** Over the configured element limit. */
  LIMIT: 'OC_NDR_LIMIT',
  /** Union discriminant with no arm and no default, or not equal to its switch_is field. */
  BAD_UNION_TAG: 'OC_NDR_BAD_UNION_TAG',
  /** An embedded [ref] pointer with referent id 0. */
  NULL_REF: 'OC_NDR_NULL_REF',
  /** [string] without terminator, actual_count 0, or similar. */
  BAD_STRING: 'OC_NDR_BAD_STRING',
  /** A size_is/length_is count that disagrees with the field it names. */
  SIZE_MISMATCH: 'OC_NDR_SIZE_MISMATCH',
  /** Nesting of recursive types (ndr.lazy) deeper than the configured limit. */
  DEPTH: 'OC_NDR_DEPTH',
  /** A value outside its [range] (or an enum16 above 0x7fff). */
  RANGE: 'OC_NDR_RANGE',
  /** A full pointer id reused for another type, or a referent that refers to itself while being read. */
  BAD_POINTER: 'OC_NDR_BAD_POINTER',
  /** Bytes left after an operation's parameters that are not an MS-RPCE verification trailer (exact decoders). */
  TRAILING_BYTES: 'OC_NDR_TRAILING_BYTES',
} as const;
export type NdrErrorCode = (typeof NdrErrorCode)[keyof typeof NdrErrorCode];

/** Malformed or over-limit NDR input. `details.offset` is the stub offset where decoding stopped. */
export class NdrError extends ProtocolError {
  constructor(code: NdrErrorCode, message: string, offset: number, details?: Record<string, unknown>) {
    super(code, `${message} (at stub offset ${offset})`, { offset, ...details });
  }
}

/** A value that does not fit its schema, found while encoding (a programming error). */
export function encodeError(message: string, details?: Record<string, unknown>): OcError {
  return new OcError('OC_NDR_ENCODE', message, details);
}

/** A schema that cannot be marshalled (found when it is built or first used). */
export function schemaError(message: string): OcError {
  return new OcError('OC_NDR_SCHEMA', message);
}
