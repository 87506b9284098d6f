// Opens the directory provider the configuration names: the built-in SQLite directory (which can also be
// administered) or the read-only LDAP provider.
import type { Config } from '../config/types.js';
import type { Logger } from '../util/log.js';
import { openDirectory, type OpenDirectoryOptions } from './builtin.js';
import { DirectoryError, DirectoryErrorCode } from './errors.js';
import { openLdapDirectory } from './ldap.js';
import type { Directory, DirectoryAdmin } from './types.js';

export interface OpenedDirectory {
  directory: Directory;
  /** The same object when the provider can be administered (builtin), else null. */
  admin: DirectoryAdmin | null;
}

/** `builtin`: options of the built-in directory (ignored for LDAP). */
export async function openConfiguredDirectory(config: Config, log: Logger, builtin: OpenDirectoryOptions = {}): Promise<OpenedDirectory> {
  if (config.directory.provider === 'ldap') return { directory: await openLdapDirectory(config, log), admin: null };
  const dir = openDirectory(config, log, builtin);
  return { directory: dir, admin: dir };
}

/** The error for an admin command run against the LDAP provider. */
export function readOnlyProviderError(what: string): DirectoryError {
  return new DirectoryError(
    DirectoryErrorCode.READ_ONLY,
    `cannot ${what}: directory.provider is ldap, and the LDAP directory is read-only for ocng; manage users, groups and contacts ` +
      'in the LDAP server (the ocng commands that change them work with directory.provider=builtin)',
  );
}
