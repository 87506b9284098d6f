// A whole test server (test/helpers/full-server.ts) whose mail is on its own IMAP server (Dovecot,
// test/helpers/dovecot.ts, master-user mode unless told otherwise; or Cyrus, test/helpers/cyrus.ts), with "another
// IMAP client" connected as a user of that server (imapflow, `admin`) and the first user's mailbox opened as a logon
// opens it: the set-up of the whole-server IMAP tests.
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { startCyrus, type Cyrus, type CyrusOptions } from './cyrus.js';
import { imapBackendConfig, startDovecot, type Dovecot, type DovecotOptions } from './dovecot.js';
import { PASSWORD, openUserMailbox, startTestServer, type TestServer } from './full-server.js';

interface WorldServer {
  clientOptions(user: string): ImapFlowOptions;
  stop(): Promise<void>;
}

export interface ImapWorld<S = Dovecot> {
  d: S;
  /** The other IMAP client, logged in as `adminUser` (its master login in master mode). */
  admin: ImapFlow;
  ts: TestServer;
  /** The mailbox of the first directory user. */
  mb: ImapMailbox;
  /** Logs the other client out, stops the server and the IMAP server. */
  close(): Promise<void>;
}

export interface ImapWorldOptions<S = Dovecot> {
  /** Default { mode: 'master' }. */
  dovecot?: DovecotOptions;
  /** The IMAP user the other client logs in as (default 'alice'). */
  adminUser?: string;
  /** Directory users of the server (default alice with test/helpers/full-server.ts PASSWORD). */
  users?: Array<[string, string]>;
  /** imap.* keys over the IMAP server's backend config. */
  imap?: Record<string, unknown>;
  /** Run with the other client before the server starts (what the first mirror finds). */
  seed?: (admin: ImapFlow, d: S) => Promise<void>;
}

async function startWorld<S extends WorldServer>(d: S, config: Parameters<typeof startTestServer>[0], o: ImapWorldOptions<S>): Promise<ImapWorld<S>> {
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
    ts = await startTestServer(config, users);
    const mb = await openUserMailbox<ImapMailbox>(ts, users[0]![0]);
    return { d, admin, ts, mb, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function startImapWorld(o: ImapWorldOptions = {}): Promise<ImapWorld> {
  const d = await startDovecot(o.dovecot ?? { mode: 'master' });
  return startWorld(d, imapBackendConfig(d, o.imap), o);
}

/** The same over a Cyrus (default layout alt, sasldb: the server logs in as the proxy user by SASL authzid). */
export async function startCyrusWorld(o: ImapWorldOptions<Cyrus> & { cyrus?: CyrusOptions } = {}): Promise<ImapWorld<Cyrus>> {
  const c = await startCyrus(o.cyrus);
  return startWorld(c, c.backendConfig(o.imap), o);
}
