// What `ocng imap check <user>` finds out about the IMAP server before Outlook users come (docs/imap.md "Checking the
// IMAP server"): whether the configured trust mode logs the user in, which of the capabilities the backend relies on
// the server has (and what the backend does without each), the namespaces, the rights the login has on INBOX (a
// master-user login whose ACLs are checked as the master user, not as the user, gets none), and how the personal
// mailboxes map onto folders, by the same code the mirror uses (folders.ts mappedMailboxes).
// One pooled connection, read-only: LIST, NAMESPACE (imapflow asks it at login), MYRIGHTS and STATUS INBOX; nothing
// is selected or changed.
import type { ImapFlow } from 'imapflow';
import type { ImapConfig } from '../../../config/types.js';
import type { Logger } from '../../../util/log.js';
import { ImapConfigError, ImapCredentials, loginLabel } from './credentials.js';
import { AclError, parseMyRightsResponse } from './acl.js';
import { rawCommand, str } from './command.js';
import { inboxJustCreated, isNoselect, mappedMailboxes, NEW_INBOX_HINT } from './folders.js';
import { ImapPool } from './pool.js';
import { SPECIAL_FOLDERS } from '../../special.js';
import type { SpecialFolderName } from '../../types.js';

export interface CapabilityCheck {
  name: string;
  present: boolean;
  /** Without it the backend cannot work (the check fails). */
  required: boolean;
  /** What the backend uses it for. */
  use: string;
  /** What happens without it. */
  without: string;
}

export interface MailboxCheck {
  /** The mailbox name as the server lists it (decoded). */
  name: string;
  /** The folder it becomes: a special folder's name, "folder", or "folder without messages" (\Noselect). */
  folder: string;
}

export interface ImapCheckReport {
  server: string;
  security: ImapConfig['security'];
  mode: ImapConfig['auth'];
  /** The login name sent (never the password). */
  login: string;
  /** Connect, greeting, STARTTLS, login, CAPABILITY, ENABLE and NAMESPACE together. */
  loginMs: number;
  capabilities: CapabilityCheck[];
  namespaces: { personal: string[]; other: string[]; shared: string[] };
  /** MYRIGHTS on INBOX, or null without the ACL capability. */
  inboxRights: string | null;
  /** STATUS INBOX (MESSAGES UIDVALIDITY), or null when it was refused (see errors). */
  inbox: { messages: number; uidValidity: number } | null;
  mailboxes: MailboxCheck[];
  /** Special folders no mailbox maps onto (they stay local to this server). */
  unmapped: SpecialFolderName[];
  errors: string[];
  warnings: string[];
}

/** The display names the special folders are provisioned with (special.ts). */
const FOLDER_NAME = new Map<SpecialFolderName, string>(SPECIAL_FOLDERS.map((f) => [f.key, f.displayName]));
const MAIL_ROLES: readonly SpecialFolderName[] = ['inbox', 'sentItems', 'drafts', 'deletedItems', 'junk'];

/**
 * Rights the backend uses on the user's own mailboxes (RFC 4314 2.1), with what fails without each; `l` and `r`
 * missing on INBOX means the mirror cannot read the mail at all.
 */
const RIGHTS: ReadonlyArray<[string, string]> = [
  ['l', 'the mailbox is not listed'],
  ['r', 'the mail cannot be read'],
  ['s', 'the read state is not kept'],
  ['w', 'follow-up flags and categories are not kept'],
  ['i', 'nothing can be added (new, copied and moved messages, edits)'],
  ['t', 'nothing can be deleted or edited'],
  ['e', 'deleted messages are not expunged'],
  ['k', 'no folder can be created under it'],
  ['x', 'it cannot be renamed or deleted'],
  ['a', 'its permissions cannot be changed from Outlook'],
];

const prefixes = (list: false | ReadonlyArray<{ prefix: string }> | undefined): string[] => (list ? list.map((n) => n.prefix) : []);

/**
 * The capabilities the backend relies on, what it uses each for and what it does without it; `enabled`: counted
 * once ENABLEd (RFC 5161), not merely announced.
 */
const RELIED_ON: ReadonlyArray<Omit<CapabilityCheck, 'present'> & { enabled?: true }> = [
  {
    name: 'UIDPLUS', required: true,
    use: 'UIDs of the messages Outlook adds, copies and moves; UID EXPUNGE of exactly those it deletes',
    without: 'nothing Outlook writes reaches the server (OC_IMAP_NO_UIDPLUS)',
  },
  {
    name: 'CONDSTORE', required: false, enabled: true,
    use: 'flag changes found by MODSEQ, at a cost that grows with the changes',
    without: "every message's flags are fetched at every sync of a folder",
  },
  {
    name: 'QRESYNC', required: false, enabled: true,
    use: 'expunges reported as VANISHED',
    without: 'every sync of a folder searches all its UIDs to find expunges',
  },
  {
    name: 'MOVE', required: false,
    use: 'one command per move',
    without: 'moves are COPY, STORE \\Deleted and UID EXPUNGE',
  },
  {
    name: 'ACL', required: false,
    use: 'folder permissions of mail folders are the mailboxes\' ACLs; delegates and shared mail folders',
    without: 'permissions of mail folders cannot be changed from Outlook (OC_IMAP_NO_ACL)',
  },
  {
    name: 'NAMESPACE', required: false,
    use: "other users' mailboxes are told apart from the user's own",
    without: 'every listed mailbox is taken as the user\'s own',
  },
  {
    name: 'SPECIAL-USE', required: false,
    use: 'Sent Items, Drafts, Deleted Items and Junk E-mail found by their \\Sent, \\Drafts, \\Trash, \\Junk attributes',
    without: 'they are found by name only (Sent, Drafts, Trash, Junk, ...)',
  },
  {
    name: 'IDLE', required: false,
    use: 'new, changed and expunged mail in INBOX reaches Outlook at once (imap.idle)',
    without: 'it waits for the interval sync (imap.syncIntervalSeconds)',
  },
  {
    name: 'OBJECTID', required: false,
    use: 'a mailbox renamed or moved by another client is recognised by its MAILBOXID and keeps its folder',
    without: 'it is recognised by its UIDVALIDITY where that is unique, else becomes a new folder (its mail downloaded again)',
  },
  {
    name: 'NOTIFY', required: false,
    use: 'the same for every other folder (imap.notify; Dovecot needs mailbox_list_index = yes)',
    without: 'changes in folders other than INBOX wait for the interval sync',
  },
];

function capabilities(client: ImapFlow): CapabilityCheck[] {
  return RELIED_ON.map(({ enabled, ...c }) => ({ ...c, present: enabled ? client.enabled.has(c.name) : client.capabilities.has(c.name) }));
}

/**
 * MYRIGHTS on INBOX into the report (RFC 4314 3.8); false when the login evidently does not act as the user (the
 * command refused, or no `l` or `r` right), which is an error.
 */
async function inboxRights(client: ImapFlow, cfg: ImapConfig, report: ImapCheckReport): Promise<boolean> {
  const hint = cfg.auth === 'master' ? ' (with a master user, Dovecot checks ACLs as the master user unless plugin { acl_user = %u } is set)' : '';
  let rights: string;
  try {
    const [u] = await rawCommand(client, 'MYRIGHTS', [str('INBOX')], 'MYRIGHTS');
    rights = u ? parseMyRightsResponse(u).rights : '';
  } catch (e) {
    if (e instanceof AclError) {
      report.errors.push(`the server's MYRIGHTS answer for INBOX cannot be read: ${e.message}`);
      return false;
    }
    const text = (e as { responseText?: unknown }).responseText;
    report.errors.push(`the server refused MYRIGHTS on INBOX (${typeof text === 'string' && text ? text : (e as Error).message}): the login does not act as the user${hint}`);
    return false;
  }
  report.inboxRights = rights;
  const missing = RIGHTS.filter(([letter]) => !rights.includes(letter) && !(letter === 't' && rights.includes('d')) && !(letter === 'k' && rights.includes('c')));
  const fatal = missing.filter(([letter]) => letter === 'l' || letter === 'r');
  if (fatal.length > 0) {
    report.errors.push(`the login has the rights "${rights}" on INBOX, not the user's own: ${fatal.map(([, what]) => what).join('; ')}${hint}`);
    return false;
  }
  for (const [letter, what] of missing) report.warnings.push(`no "${letter}" right on INBOX: ${what}`);
  return true;
}

/** STATUS INBOX into the report; a warning when the server has just made it for this login (inboxJustCreated). */
async function inboxStatus(client: ImapFlow, report: ImapCheckReport): Promise<void> {
  let st: Awaited<ReturnType<ImapFlow['status']>>;
  try {
    st = await client.status('INBOX', { messages: true, uidValidity: true });
  } catch (e) {
    const text = (e as { responseText?: unknown }).responseText;
    report.errors.push(`the server refused STATUS INBOX (${typeof text === 'string' && text ? text : (e as Error).message})`);
    return;
  }
  const messages = Number((st && st.messages) ?? NaN);
  const uidValidity = Number((st && st.uidValidity) ?? NaN);
  if (!Number.isSafeInteger(messages) || !Number.isSafeInteger(uidValidity)) {
    report.errors.push('the server answered STATUS INBOX without MESSAGES or UIDVALIDITY');
    return;
  }
  report.inbox = { messages, uidValidity };
  const age = inboxJustCreated(uidValidity, messages);
  if (age !== null) {
    report.warnings.push(`INBOX is empty and was created ${age} s ago (its UIDVALIDITY): the IMAP server made a new mailbox for the login ${JSON.stringify(report.login)}. ${NEW_INBOX_HINT}`);
  }
}

/**
 * Logs `username` in as the server would (imap.* of `cfg`; `userPassword` for imap.auth userPassword) and reports.
 * Throws what the server would meet at a logon: ImapConfigError for a configuration that cannot work, StoreError
 * OC_IMAP_AUTH / OC_IMAP_CONNECT / OC_IMAP_TIMEOUT / OC_IMAP_NO_CREDENTIALS with the server and login named.
 */
export async function checkImap(cfg: ImapConfig, username: string, log: Logger, userPassword?: string): Promise<ImapCheckReport> {
  if (!cfg.host) throw new ImapConfigError('imap.host is empty: set the IMAP server that holds the mail');
  const credentials = new ImapCredentials(cfg);
  if (cfg.auth === 'userPassword' && userPassword === undefined) {
    throw new ImapConfigError("imap.auth is userPassword: the check needs the user's own password (--password or --password-stdin)");
  }
  const login = loginLabel(credentials.loginFor(username, userPassword));
  const pool = new ImapPool({ ...cfg, maxConnectionsPerUser: 1 }, credentials, log);
  try {
    const t0 = performance.now();
    const lease = await pool.acquire(username, userPassword);
    const loginMs = performance.now() - t0;
    try {
      const client = lease.client;
      const report: ImapCheckReport = {
        server: `${cfg.host}:${cfg.port}`,
        security: cfg.security,
        mode: cfg.auth,
        login,
        loginMs,
        capabilities: capabilities(client),
        namespaces: { personal: prefixes(client.namespaces?.personal), other: prefixes(client.namespaces?.other), shared: prefixes(client.namespaces?.shared) },
        inboxRights: null,
        inbox: null,
        mailboxes: [],
        unmapped: [],
        errors: [],
        warnings: [],
      };
      for (const c of report.capabilities) {
        if (!c.present && c.required) report.errors.push(`the server lacks ${c.name}: ${c.without}`);
      }
      // the rights first: a login that does not act as the user sees too few mailboxes, which says nothing more
      const actsAsUser = client.capabilities.has('ACL') ? await inboxRights(client, cfg, report) : true;
      const { listed, roles } = mappedMailboxes(client, await client.list());
      for (const e of listed) {
        const role = roles.get(e.path);
        const folder = role ? (FOLDER_NAME.get(role) ?? role) : isNoselect(e) ? 'folder without messages (\\Noselect)' : 'folder';
        // the attribute when the server gave it (imapflow also marks INBOX, and the names it recognises)
        const attr = role && role !== 'inbox' ? (e.specialUse && e.specialUseSource !== 'name' ? ` (${e.specialUse})` : ' (by name)') : '';
        report.mailboxes.push({ name: e.path, folder: folder + attr });
      }
      const mapped = new Set(roles.values());
      report.unmapped = MAIL_ROLES.filter((r) => !mapped.has(r));
      if (actsAsUser) {
        if (report.unmapped.includes('inbox')) report.errors.push('no INBOX is listed for this login');
        else await inboxStatus(client, report);
        for (const r of report.unmapped) {
          if (r !== 'inbox') report.warnings.push(`no mailbox maps onto ${FOLDER_NAME.get(r)}: that folder stays on this server only, invisible to other IMAP clients`);
        }
      }
      return report;
    } finally {
      lease.release();
    }
  } finally {
    await pool.close();
  }
}
