// A whole test server (test/helpers/full-server.ts) whose mail is on its own Dovecot (test/helpers/dovecot.ts,
// master-user mode unless told otherwise), with "another IMAP client" connected as a user of that Dovecot (imapflow,
// `admin`) and the first user's mailbox opened as a logon opens it: the set-up of the whole-server IMAP tests.
import { ImapFlow } from 'imapflow';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { imapBackendConfig, startDovecot, type Dovecot, type DovecotOptions } from './dovecot.js';
import { PASSWORD, openUserMailbox, startTestServer, type TestServer } from './full-server.js';

export interface ImapWorld {
  d: Dovecot;
  /** The other IMAP client, logged in as `adminUser` (its master login in master mode). */
  admin: ImapFlow;
  ts: TestServer;
  /** The mailbox of the first directory user. */
  mb: ImapMailbox;
  /** Logs the other client out, stops the server and Dovecot. */
  close(): Promise<void>;
}

export interface ImapWorldOptions {
  /** Default { mode: 'master' }. */
  dovecot?: DovecotOptions;
  /** The Dovecot user the other client logs in as (default 'alice'). */
  adminUser?: string;
  /** Directory users of the server (default alice with test/helpers/full-server.ts PASSWORD). */
  users?: Array<[string, string]>;
  /** imap.* keys over imapBackendConfig's. */
  imap?: Record<string, unknown>;
  /** Run with the other client before the server starts (what the first mirror finds). */
  seed?: (admin: ImapFlow, d: Dovecot) => Promise<void>;
}

export async function startImapWorld(o: ImapWorldOptions = {}): Promise<ImapWorld> {
  const d = await startDovecot(o.dovecot ?? { mode: 'master' });
  let admin: ImapFlow | null = null;
  let ts: TestServer | null = null;
  const close = async (): Promise<void> => {
    await admin?.logout().catch(() => undefined);
    await ts?.close();
    await d.stop();
  };
  try {
    admin = new ImapFlow({ ...d.clientOptions(o.adminUser ?? 'alice'), logger: false });
    await admin.connect();
    if (o.seed) await o.seed(admin, d);
    const users = o.users ?? [['alice', PASSWORD]];
    ts = await startTestServer(imapBackendConfig(d, o.imap), users);
    const mb = await openUserMailbox<ImapMailbox>(ts, users[0]![0]);
    return { d, admin, ts, mb, close };
  } catch (e) {
    await close();
    throw e;
  }
}
