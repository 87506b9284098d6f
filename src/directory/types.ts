// The directory as the rest of the server sees it: users (with the NT hash NTLM needs and a password check for
// HTTP Basic), groups and contacts, with the attributes an address book shows. The built-in SQLite directory
// implements DirectoryAdmin; the LDAP provider implements Directory. Protocol code depends on these interfaces only
// (architecture rule 5).

/** What an address book shows of a person (empty strings and missing keys mean "not set"). */
export interface PersonAttributes {
  givenName?: string;
  surname?: string;
  initials?: string;
  title?: string;
  department?: string;
  company?: string;
  office?: string;
  businessPhone?: string;
  mobilePhone?: string;
  homePhone?: string;
  fax?: string;
  streetAddress?: string;
  locality?: string;
  stateOrProvince?: string;
  postalCode?: string;
  country?: string;
  comment?: string;
}

export interface DirectoryUser {
  /**
   * Unique among the users, groups and contacts of one directory, and stable while the entry exists (built-in: the
   * row id; LDAP: derived from kind and name, >= 0x10000, so the same across reloads and restarts).
   */
  id: number;
  username: string;
  displayName: string;
  smtpAddress: string;
  legacyExchangeDN: string;
  enabled: boolean;
  attributes: PersonAttributes;
  /** Exchange-style proxy addresses: "SMTP:primary@x" (upper-case prefix = primary), "smtp:alias@x", "X500:...". */
  proxyAddresses: string[];
}

export interface DirectoryGroup {
  id: number;
  name: string;
  displayName: string;
  smtpAddress: string;
  legacyExchangeDN: string;
  /** Usernames of the members. */
  members: string[];
  proxyAddresses: string[];
}

/** A mail contact: someone outside the organization, with an address book entry but no account. */
export interface DirectoryContact {
  id: number;
  /** Unique key (shares the user/group namespace in the built-in directory). */
  name: string;
  displayName: string;
  smtpAddress: string;
  legacyExchangeDN: string;
  attributes: PersonAttributes;
  proxyAddresses: string[];
}

/** What a user may change about itself through the address book (MS-OXNSPI NspiModProps / NspiModLinkAtt). */
export interface UserSelfService {
  /** DER X.509 certificates published for the user (PR_EMS_AB_X509_CERT). */
  certificates: Buffer[];
  /** Usernames allowed to send on behalf of the user (PR_EMS_AB_PUBLIC_DELEGATES). */
  delegates: string[];
}

export interface Directory {
  /** Case-insensitive username, or SMTP address (primary or alias), or legacyExchangeDN (or an X500 proxy address). */
  findUser(nameOrAddress: string): Promise<DirectoryUser | null>;
  /** The 16-byte NT hash (MD4 of UTF-16LE password); null if the user is unknown, disabled or has none readable. */
  getNtHash(username: string): Promise<Buffer | null>;
  /** HTTP Basic: the user when the password is right and the account enabled, else null (constant-time compare). */
  verifyPassword(username: string, password: string): Promise<DirectoryUser | null>;
  listUsers(): Promise<DirectoryUser[]>;
  /** Case-insensitive group name, or SMTP address (primary or alias), or legacyExchangeDN (or an X500 proxy address). */
  findGroup(name: string): Promise<DirectoryGroup | null>;
  listGroups(): Promise<DirectoryGroup[]>;
  listContacts(): Promise<DirectoryContact[]>;
  /**
   * A number that changes whenever anything the find*, list* or getSelfService methods return changes (a password
   * change does not move it); cheap to call, so that an address book can keep an in-memory index and rebuild it only
   * when this moves. Only equality is meaningful: compare with the last value seen.
   */
  generation(): Promise<number>;
  /** The user's self-service data (the user named as findUser takes it); null for an unknown user. */
  getSelfService(username: string): Promise<UserSelfService | null>;
  /**
   * Replaces the user's published certificates: each one DER (OC_DIR_BAD_VALUE otherwise), at most 32 of 32 KiB;
   * OC_DIR_NOT_FOUND for an unknown user; OC_DIR_READ_ONLY where the provider cannot write.
   */
  setCertificates(username: string, certificates: Buffer[]): Promise<void>;
  /**
   * Replaces the user's delegates (each an existing user, named as findUser takes it; duplicates dropped; at most
   * 1000): OC_DIR_NOT_FOUND for an unknown user or delegate; OC_DIR_READ_ONLY where the provider cannot write.
   */
  setDelegates(username: string, delegates: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface DirectoryAdmin extends Directory {
  /** aliases: proxy addresses as addAlias takes them. */
  addUser(u: {
    username: string;
    password: string;
    displayName?: string;
    smtpAddress?: string;
    attributes?: PersonAttributes;
    aliases?: string[];
  }): Promise<DirectoryUser>;
  removeUser(username: string): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  setEnabled(username: string, enabled: boolean): Promise<void>;
  /**
   * Merges the given attributes (an empty string clears one); display name too when given. Works on users and on
   * contacts (the name of either).
   */
  setAttributes(username: string, attributes: PersonAttributes & { displayName?: string }): Promise<void>;
  /**
   * Adds a proxy address to a user, group or contact: an SMTP alias ("alias@x" or "smtp:alias@x"; unique across all
   * recipients, and found by findUser/findGroup) or another type as given ("X500:/o=...", "SIP:...").
   */
  addAlias(name: string, address: string): Promise<void>;
  /** Removes a proxy address added by addAlias (the primary SMTP address cannot be removed). */
  removeAlias(name: string, address: string): Promise<void>;
  addGroup(g: { name: string; displayName?: string; smtpAddress?: string }): Promise<DirectoryGroup>;
  removeGroup(name: string): Promise<void>;
  addMember(group: string, username: string): Promise<void>;
  removeMember(group: string, username: string): Promise<void>;
  addContact(c: {
    name: string;
    displayName?: string;
    smtpAddress: string;
    attributes?: PersonAttributes;
    aliases?: string[];
  }): Promise<DirectoryContact>;
  removeContact(name: string): Promise<void>;
}
