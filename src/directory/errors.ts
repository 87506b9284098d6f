// Directory failures: OcErrors with stable codes (architecture rule 3). The CLI prints their messages; protocol
// code maps them at its boundary (e.g. an unknown user becomes a logon failure).
import { OcError } from '../util/errors.js';

export const DirectoryErrorCode = {
  /** A user, group or SMTP address with that name already exists (users and groups share one namespace). */
  EXISTS: 'OC_DIR_EXISTS',
  /** No such user, group, contact, alias or membership. */
  NOT_FOUND: 'OC_DIR_NOT_FOUND',
  /** A user or group name outside [A-Za-z0-9._-]{1,64}. */
  BAD_NAME: 'OC_DIR_BAD_NAME',
  /** A display name, address, attribute, certificate or list that cannot be used (malformed or over a limit). */
  BAD_VALUE: 'OC_DIR_BAD_VALUE',
  /** An empty password. */
  WEAK_PASSWORD: 'OC_DIR_WEAK_PASSWORD',
  /** A password longer than the limit. */
  BAD_PASSWORD: 'OC_DIR_BAD_PASSWORD',
  /** The database was written by a newer version of ocng. */
  SCHEMA_TOO_NEW: 'OC_DIR_SCHEMA_TOO_NEW',
  /** The database file could not be opened or is not a directory database. */
  OPEN_FAILED: 'OC_DIR_OPEN_FAILED',
  /** The directory was used after close(). */
  CLOSED: 'OC_DIR_CLOSED',
  /** A change asked of a provider that cannot write (LDAP), or an admin command run against one. */
  READ_ONLY: 'OC_DIR_READ_ONLY',
  /** The LDAP settings cannot be used (no URL or base DN, unreadable password or CA file). */
  LDAP_CONFIG: 'OC_DIR_LDAP_CONFIG',
  /** The LDAP server could not be reached (refused, timed out, TLS failure). */
  LDAP_UNREACHABLE: 'OC_DIR_LDAP_UNREACHABLE',
  /** The LDAP server refused the configured bind DN and password. */
  LDAP_BIND_FAILED: 'OC_DIR_LDAP_BIND_FAILED',
  /** A search failed (no such base DN, bad filter, size limit, ...). */
  LDAP_SEARCH_FAILED: 'OC_DIR_LDAP_SEARCH_FAILED',
} as const;

export type DirectoryErrorCode = (typeof DirectoryErrorCode)[keyof typeof DirectoryErrorCode];

export class DirectoryError extends OcError {
  declare readonly code: DirectoryErrorCode;
  constructor(code: DirectoryErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
