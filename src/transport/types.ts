// Shapes shared by the transport modules (issue 6 item 3): the directory lookups delivery needs, the SMTP settings
// (the config's smtp section) and what one submission reports back.
import type { Config } from '../config/types.js';

/** A user as delivery needs it (the server's Directory user has these fields; tests pass a stub). */
export interface TransportUser {
  username: string;
  displayName: string;
  legacyExchangeDN: string;
  /** Primary SMTP address; absent in stubs (then username@localDomain). */
  smtpAddress?: string;
  enabled?: boolean;
}

/** The lookups delivery uses: findUser takes a username, an SMTP address (primary or alias) or a legacyExchangeDN. */
export interface TransportDirectory {
  findUser(nameOrAddress: string): Promise<TransportUser | null>;
  /** A group (distribution list) by name, SMTP address or legacyExchangeDN: its members' usernames. */
  findGroup?(nameOrAddress: string): Promise<{ name: string; smtpAddress?: string; members: string[] } | null>;
}

/** The `smtp` configuration section (fields documented in src/config/types.ts; see docs/sending.md). */
export type SmtpSettings = Config['smtp'];

/** One recipient of a submission and how it ended. */
export interface RecipientOutcome {
  /** As the message names it (display name, address type, address). */
  displayName: string;
  addressType: string;
  address: string;
  recipientType: number;
  status: 'delivered' | 'sent' | 'failed';
  /** For failures: why (goes into the non-delivery report and the log). */
  reason?: string;
  /** The address names no one (an EX DN the directory does not know): MAPI_DIAG_OR_NAME_UNRECOGNIZED in the report. */
  unknownAddress?: boolean;
  /** For local deliveries: the recipient's username and the delivered copy. */
  username?: string;
  fid?: bigint;
  mid?: bigint;
}

export interface SubmitResult {
  internetMessageId: string;
  recipients: RecipientOutcome[];
  /** Where the sender's copy went: the folder it was moved to, or 'deleted'. */
  senderCopy: { fid: bigint; mid: bigint } | 'deleted' | 'kept';
  /** Settles when the external (SMTP) part is done, NDR included; resolved at once when there is none. */
  external: Promise<void>;
}
