// Test environment of the transport tests: the ROP handler harness (real LocalStore, real registry and dispatcher)
// with the store, message and MS-OXOMSG handlers, a MailTransport over a small directory (Alice, Bob, a disabled
// Carol, with SMTP addresses) and helpers to compose messages through the Store API and submit them by ROP.
import { createServer, type Server } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { TaggedValue } from '../../src/mapi/props.js';
import { ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, MAPI_BCC, MAPI_CC, MAPI_TO, type MailboxStore } from '../../src/mapistore/types.js';
import type { MailboxHandlerDeps } from '../../src/rop/handlers/objects.js';
import { createMessageHandlers } from '../../src/rop/handlers/oxcmsg.js';
import { createMessagingHandlers } from '../../src/rop/handlers/oxomsg.js';
import { createStoreHandlers } from '../../src/rop/handlers/oxcstor.js';
import { createFolderHandlers } from '../../src/rop/handlers/oxcfold.js';
import { MailTransport } from '../../src/transport/submit.js';
import { T } from '../../src/transport/tags.js';
import type { SmtpSettings, TransportDirectory, TransportUser } from '../../src/transport/types.js';
import { silentLogger } from '../../src/util/log.js';
import { ALICE, BOB, CAROL, N, ORG, makeEnv, type Env, type Req } from '../rop/handlers/harness.js';

/** A fourth user known to the transport's directory only (not to the harness's logon stub). */
export const DAN = { username: 'dan', displayName: 'Dan Example', legacyExchangeDN: `${ORG}/cn=dan`, enabled: true };

export { ALICE, BOB, CAROL, N };

export const USERS: TransportUser[] = [
  { ...ALICE, smtpAddress: 'alice@example.com' },
  { ...BOB, smtpAddress: 'bob@example.com' },
  { ...CAROL, smtpAddress: 'carol@example.com' },
  { ...DAN, smtpAddress: 'dan@example.com' },
];

/** Groups of the test directory: `team` (bob, carol whose mailbox is disabled, dan, a name without a mailbox), `empty` (nobody with a mailbox). */
export const GROUPS = [
  { name: 'team', displayName: 'Team', smtpAddress: 'team@example.com', legacyExchangeDN: `${ORG}/cn=team`, members: ['bob', 'carol', 'dan', 'gone'] },
  { name: 'empty', displayName: 'Empty', smtpAddress: 'empty@example.com', legacyExchangeDN: `${ORG}/cn=empty`, members: ['gone'] },
];

export const directory: TransportDirectory = {
  async findUser(x: string) {
    const k = x.toLowerCase();
    return USERS.find((u) => u.username === k || u.smtpAddress === k || u.legacyExchangeDN.toLowerCase() === k) ?? null;
  },
  async findGroup(x: string) {
    const k = x.toLowerCase();
    return GROUPS.find((g) => g.name === k || g.smtpAddress === k || g.legacyExchangeDN.toLowerCase() === k) ?? null;
  },
};

export const smtpSettings = (port: number, over: Partial<SmtpSettings> = {}): SmtpSettings => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  allowInvalidCertificates: false,
  caFile: '',
  user: '',
  password: '',
  heloName: 'ocng.test',
  timeoutSeconds: 5,
  allowExternal: true,
  maxSendSizeKb: 0,
  ...over,
});

export interface TEnv extends Env {
  transport: MailTransport;
  alice: MailboxStore;
  aliceHandle: number;
  mailbox(u: TransportUser): Promise<MailboxStore>;
}

export async function transportEnv(smtp: SmtpSettings | null = null): Promise<TEnv> {
  let transport!: MailTransport;
  const env = await makeEnv(ALICE, (d: MailboxHandlerDeps) => {
    transport = new MailTransport({ store: d.store, directory, log: silentLogger(), smtp, localDomain: 'example.com', heloName: 'ocng.test' });
    d.transport = transport;
    return [createStoreHandlers(d), createFolderHandlers(d), createMessageHandlers(d), createMessagingHandlers(d)];
  });
  const { handle, mb } = await env.logon();
  return Object.assign(env, {
    transport,
    alice: mb,
    aliceHandle: handle,
    mailbox: (u: TransportUser) => env.store.openMailbox({ username: u.username, displayName: u.displayName, legacyDn: u.legacyExchangeDN }),
  });
}

// ---- composing ---------------------------------------------------------------------------------------------------

export interface Rcpt {
  type: number;
  name: string;
  addrType: string;
  address: string;
  /** PidTagSmtpAddress of an EX row (Outlook writes it for address-book entries). */
  smtp?: string;
}
export const ex = (u: TransportUser, type = MAPI_TO): Rcpt => ({ type, name: u.displayName, addrType: 'EX', address: u.legacyExchangeDN });
export const smtp = (address: string, name: string, type = MAPI_TO): Rcpt => ({ type, name, addrType: 'SMTP', address });
export { MAPI_TO, MAPI_CC, MAPI_BCC };

export interface Compose {
  subject?: string;
  body?: string;
  html?: string;
  recipients: Rcpt[];
  attachments?: { name: string; data: Buffer; mime?: string }[];
  embedded?: { subject: string; body: string };
  extra?: TaggedValue[];
}

/** Stores a message in the mailbox's Outbox through the Store API (as a client's RopCreateMessage..Save would). */
export async function compose(mb: MailboxStore, c: Compose, fid = mb.special.outbox): Promise<bigint> {
  const m = await mb.newMessage(fid);
  await m.setProps([
    { tag: T.MessageClass, value: 'IPM.Note' },
    { tag: T.Subject, value: c.subject ?? 'Hello' },
    { tag: T.Body, value: c.body ?? 'Body text' },
    { tag: T.MessageFlags, value: 0x08 },
    ...(c.html !== undefined ? [{ tag: T.Html, value: Buffer.from(c.html, 'utf8') }, { tag: 0x3fde0003, value: 65001 }] : []),
    ...(c.extra ?? []),
  ]);
  await m.setRecipients(
    c.recipients.map((r, i) => ({
      rowId: i,
      props: [
        { tag: T.RecipientType, value: r.type },
        { tag: T.DisplayName, value: r.name },
        { tag: T.AddressType, value: r.addrType },
        { tag: T.EmailAddress, value: r.address },
        ...(r.addrType === 'SMTP' ? [{ tag: T.SmtpAddress, value: r.address }] : r.smtp ? [{ tag: T.SmtpAddress, value: r.smtp }] : []),
      ],
    })),
  );
  for (const a of c.attachments ?? []) {
    const att = await m.createAttachment();
    await att.setProps([
      { tag: T.AttachMethod, value: ATTACH_BY_VALUE },
      { tag: T.AttachLongFilename, value: a.name },
      { tag: T.AttachDataBinary, value: a.data },
      ...(a.mime ? [{ tag: T.AttachMimeTag, value: a.mime }] : []),
    ]);
    await att.save();
  }
  if (c.embedded) {
    const att = await m.createAttachment();
    await att.setProps([{ tag: T.AttachMethod, value: ATTACH_EMBEDDED_MSG }, { tag: T.DisplayName, value: c.embedded.subject }]);
    const e = await att.openEmbeddedMessage(true);
    await e.setProps([
      { tag: T.MessageClass, value: 'IPM.Note' },
      { tag: T.Subject, value: c.embedded.subject },
      { tag: T.Body, value: c.embedded.body },
    ]);
    await e.save();
    await att.save();
  }
  return m.save();
}

// ---- ROP requests ----------------------------------------------------------------------------------------------------

export const openMessage = (inp: number, out: number, fid: bigint, mid: bigint, mode = 1): Req => ({
  RopId: 0x03, LogonId: 0, InputHandleIndex: inp, OutputHandleIndex: out, CodePageId: 0x0fff, FolderId: fid, OpenModeFlags: mode, MessageId: mid,
});
export const submitMessage = (inp: number, flags = 0): Req => ({ RopId: 0x32, LogonId: 0, InputHandleIndex: inp, SubmitFlags: flags });
export const transportSend = (inp: number): Req => ({ RopId: 0x4a, LogonId: 0, InputHandleIndex: inp });
export const logonRop = (id: number, inp: number, fields: Record<string, unknown> = {}): Req => ({ RopId: id, LogonId: 0, InputHandleIndex: inp, ...fields });

/** Opens the message read-write by ROP and submits it; returns RopSubmitMessage's ReturnValue. */
export async function submitByRop(env: TEnv, fid: bigint, mid: bigint, flags = 0): Promise<number> {
  const { res } = await env.call([openMessage(0, 1, fid, mid), submitMessage(1, flags), { RopId: 0x01, LogonId: 0, InputHandleIndex: 1 }], [env.aliceHandle, N]);
  expect0(res[0]!.ReturnValue, 'RopOpenMessage');
  return res[1]!.ReturnValue;
}

function expect0(v: number, what: string): void {
  if (v !== 0) throw new Error(`${what} failed: 0x${v.toString(16)}`);
}

// ---- SMTP sink ---------------------------------------------------------------------------------------------------------

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  /** The session ran over TLS (STARTTLS or TLS from the first byte). */
  secure: boolean;
}

/** A real SMTP server (smtp-server from npm) on a loopback port that keeps what it receives; `refuse` addresses get 550. */
export async function smtpSink(
  refuse: string[] = [],
  opts: { auth?: { user: string; pass: string }; secure?: boolean; tls?: { key: string; cert: string }; starttls?: boolean } = {},
): Promise<{ port: number; mails: Received[]; logins: string[]; close(): Promise<void> }> {
  const mails: Received[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    secure: opts.secure === true,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    // `starttls`: STARTTLS offered with smtp-server's own self-signed certificate (a stock Postfix's snakeoil)
    hideSTARTTLS: opts.starttls !== true,
    disabledCommands: [...(opts.starttls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        logins.push(auth.username ?? '');
        return cb(null, { user: auth.username });
      }
      cb(new Error('5.7.8 authentication failed'));
    },
    onRcptTo(address, _session, cb) {
      if (refuse.includes(address.address.toLowerCase())) {
        const err = new Error('5.1.1 mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(parts),
          secure: session.secure === true,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, logins, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
