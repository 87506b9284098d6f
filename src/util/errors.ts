// Internal failures are exceptions with a stable `code` (architecture rule 3). Wire status codes are values,
// kept in per-family constant tables next to the protocol that owns them; each layer converts an OcError into its
// own fault/ec at one boundary and logs it there once.

export class OcError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Malformed or over-limit input from the network (a peer's fault, never ours). */
export class ProtocolError extends OcError {}

/** A configuration file or value that cannot be used. */
export class ConfigError extends OcError {}

export function isOcError(e: unknown): e is OcError {
  return e instanceof OcError;
}

/** One-line description of any thrown value, for logs. */
export function describeError(e: unknown): string {
  if (e instanceof OcError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
