// The objects of the address book model (MS-OXOABK 2.2): users, distribution lists, mail contacts, the server and
// mailbox-store objects, and the address book containers of the hierarchy table.
import type { PersonAttributes } from '../../directory/types.js';

export type EntryKind = 'user' | 'group' | 'contact' | 'server' | 'store';

export interface AbEntry {
  /** Minimal Entry ID (MS-OXNSPI 2.2.9.1), stable for the server process. */
  readonly mid: number;
  readonly kind: EntryKind;
  /** The object's DN (legacyExchangeDN), MS-OXOABK 2.2.1.1. */
  readonly dn: string;
  readonly displayName: string;
  /** MS-OXNSPI 2.2.1.3 display type, also in its entry IDs. */
  readonly displayType: number;
  /** PidTagDisplayTypeEx (MS-OXOABK 2.2.3.12). */
  readonly displayTypeEx: number;
  /** PidTagObjectType (MS-OXOABK 2.2.3.10). */
  readonly objectType: number;
  /** Alias: user name, group name, contact name or server name (PidTagAccount). */
  readonly account: string;
  readonly smtpAddress: string;
  readonly proxyAddresses: readonly string[];
  readonly attributes: Readonly<PersonAttributes>;
  /** Distribution list members (groups only). */
  readonly members: AbEntry[];
  /** The distribution lists this object is a member of. */
  readonly memberOf: AbEntry[];
  /** Directory user name of a user (key for self-service data). */
  readonly username: string | null;
}

/** An address book container (a row of the hierarchy table, MS-OXOABK 3.1.4.1). */
export interface AbContainer {
  /** PidTagAddressBookContainerId: 0 for the Global Address List, else the container's Minimal Entry ID. */
  readonly containerId: number;
  readonly displayName: string;
  /** "/" for the Global Address List (gal-addrlist-dn), "/guid=<32 hex>" otherwise (MS-OXOABK 2.2.1.1). */
  readonly dn: string;
  readonly depth: number;
  /** PidTagContainerFlags (MS-OXOABK 2.2.2.1). */
  readonly flags: number;
  readonly isMaster: boolean;
  readonly parent: AbContainer | null;
  /** Which entries the container lists (null: it lists none, only holds sub-containers). */
  readonly includes: ((e: AbEntry) => boolean) | null;
}
