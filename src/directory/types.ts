// The directory as the rest of the server sees it: users (with the NT hash NTLM needs and a password check for
// HTTP Basic) and groups. The built-in SQLite directory implements DirectoryAdmin; an LDAP provider will implement
// Directory. Protocol code depends on these interfaces only (architecture rule 5).

export interface DirectoryUser {
  id: number;
  username: string;
  displayName: string;
  smtpAddress: string;
  legacyExchangeDN: string;
  enabled: boolean;
}

export interface DirectoryGroup {
  id: number;
  name: string;
  displayName: string;
  smtpAddress: string;
  legacyExchangeDN: string;
  /** Usernames of the members. */
  members: string[];
}

export interface Directory {
  /** Case-insensitive username, or SMTP address, or legacyExchangeDN. */
  findUser(nameOrAddress: string): Promise<DirectoryUser | null>;
  /** The 16-byte NT hash (MD4 of UTF-16LE password); null if the user is unknown or disabled. */
  getNtHash(username: string): Promise<Buffer | null>;
  /** HTTP Basic: the user when the password is right and the account enabled, else null (constant-time compare). */
  verifyPassword(username: string, password: string): Promise<DirectoryUser | null>;
  listUsers(): Promise<DirectoryUser[]>;
  /** Case-insensitive group name, or SMTP address, or legacyExchangeDN. */
  findGroup(name: string): Promise<DirectoryGroup | null>;
  listGroups(): Promise<DirectoryGroup[]>;
  close(): Promise<void>;
}

export interface DirectoryAdmin extends Directory {
  addUser(u: { username: string; password: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryUser>;
  removeUser(username: string): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  setEnabled(username: string, enabled: boolean): Promise<void>;
  addGroup(g: { name: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryGroup>;
  removeGroup(name: string): Promise<void>;
  addMember(group: string, username: string): Promise<void>;
  removeMember(group: string, username: string): Promise<void>;
}
