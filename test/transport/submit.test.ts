// Sending (MS-OXOMSG, issue 6 item 3) end to end: messages composed in Alice's Outbox are submitted with
// RopSubmitMessage through the real ROP registry and dispatcher; local recipients find them in their Inbox, the
// sender's copy moves to Sent Items (or is deleted), external recipients go through a real SMTP server (smtp-server
// from npm on a loopback port) and their MIME is parsed by Python's email package; failures give non-delivery
// reports in Alice's Inbox.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailboxEvent } from '../../src/mapistore/events.js';
import { SEC } from '../../src/mapistore/errors.js';
import { rtfFromHtml } from '../../src/mapi/rtf/body.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { EC_NOT_IN_QUEUE } from '../../src/rop/handlers/oxomsg.js';
import { ec } from '../../src/rop/ec.js';
import { onDelivered, type DeliveryContext } from '../../src/transport/hooks.js';
import { strProp } from '../../src/transport/mime.js';
import { nodemailerSender } from '../../src/transport/smtp.js';
import { T } from '../../src/transport/tags.js';
import { pem, selfSignedCertificate } from '../../src/web/x509.js';
import {
  ALICE, BOB, CAROL, DAN, GROUPS, MAPI_BCC, directory, MAPI_CC, MAPI_TO, N, closedPort, compose, ex, logonRop, openMessage, smtp, smtpSettings, smtpSink, submitByRop,
  transportEnv, transportSend, type TEnv,
} from './env.js';
import type { SmtpSettings } from '../../src/transport/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseMime(raw: Buffer): Record<string, any> {
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'parse_mime.py')], { input: raw, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python email parse failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

async function messagesOf(mb: MailboxStore, fid: bigint): Promise<bigint[]> {
  return (await mb.contentsRows(fid, { tags: [T.Subject] })).map((r) => r.id);
}

/** The one non-delivery report in `mb`'s Inbox: each failed recipient's address and the reason it gives. */
async function onlyReport(mb: MailboxStore): Promise<{ address: string | undefined; info: string | undefined }[]> {
  const ndrs = await messagesOf(mb, mb.special.inbox);
  expect(ndrs).toHaveLength(1);
  const rows = await (await mb.openMessage(ndrs[0]!)).readRecipients();
  return rows.map((r) => ({ address: strProp(r.props, T.EmailAddress), info: strProp(r.props, T.SupplementaryInfo) }));
}

async function props(mb: MailboxStore, mid: bigint, tags: number[]): Promise<Map<number, unknown>> {
  const res = await mb.getMessageProps(mid, tags);
  return new Map(res.map((r, i) => [tags[i]!, 'value' in r ? r.value : undefined]));
}

let env: TEnv | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await env?.transport.idle();
  await env?.close();
  env = undefined;
  for (const c of closers.splice(0)) await c();
});

describe('local delivery', () => {
  it('delivers to a local EX recipient: the copy is in Bob\'s Inbox, unread, with sender props; Alice\'s copy in Sent Items', async () => {
    env = await transportEnv();
    const bob = await env.mailbox(BOB);
    const events: MailboxEvent[] = [];
    bob.events.subscribe((e) => events.push(e));
    const mid = await compose(env.alice, {
      subject: 'Quarterly figures',
      body: 'See attached.',
      recipients: [ex(BOB), smtp('bob@example.com', 'Bob again', MAPI_CC), smtp('dan@example.com', 'Dan (hidden)', MAPI_BCC)],
      attachments: [{ name: 'figures.csv', data: Buffer.from('a,b\n1,2\n') }],
      embedded: { subject: 'Forwarded note', body: 'inner body' },
    });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);

    // Bob: one copy (named twice: To by EX and Cc by SMTP), unread, in the Inbox
    const inbox = await messagesOf(bob, bob.special.inbox);
    expect(inbox).toHaveLength(1);
    const p = await props(bob, inbox[0]!, [T.Subject, T.MessageFlags, T.SenderName, T.SenderEmailAddress, T.SenderAddressType, T.SenderSmtpAddress,
      T.SentRepresentingName, T.ReceivedByEmailAddress, T.MessageToMe, T.MessageCcMe, T.MessageDeliveryTime, T.InternetMessageId, T.DeleteAfterSubmit]);
    expect(p.get(T.Subject)).toBe('Quarterly figures');
    expect((p.get(T.MessageFlags) as number) & 0x01).toBe(0);
    expect((p.get(T.MessageFlags) as number) & 0x08).toBe(0);
    expect(p.get(T.SenderName)).toBe(ALICE.displayName);
    expect(p.get(T.SenderAddressType)).toBe('EX');
    expect(p.get(T.SenderEmailAddress)).toBe(ALICE.legacyExchangeDN);
    expect(p.get(T.SenderSmtpAddress)).toBe('alice@example.com');
    expect(p.get(T.SentRepresentingName)).toBe(ALICE.displayName);
    expect(p.get(T.ReceivedByEmailAddress)).toBe(BOB.legacyExchangeDN);
    expect(p.get(T.MessageToMe)).toBe(true);
    expect(p.get(T.MessageCcMe)).toBe(true);
    expect(typeof p.get(T.MessageDeliveryTime)).toBe('bigint');
    expect(p.get(T.InternetMessageId)).toMatch(/^<[0-9a-f]+@example\.com>$/);
    // the copy carries recipients (Bcc removed), the attachment and the embedded message
    const copy = await bob.openMessage(inbox[0]!);
    const rows = await copy.readRecipients();
    expect(rows.map((r) => r.recipientType)).toEqual([MAPI_TO, MAPI_CC]);
    const atts = await copy.attachmentTable([T.AttachLongFilename, T.AttachMethod]);
    expect(atts).toHaveLength(2);
    const a0 = await copy.openAttachment(atts[0]!.attachNum);
    expect((await a0.getProps([T.AttachDataBinary]))[0]).toMatchObject({ value: Buffer.from('a,b\n1,2\n') });
    const a1 = await copy.openAttachment(atts[1]!.attachNum);
    const inner = await a1.openEmbeddedMessage(false);
    expect(strProp(new Map((await inner.getProps([T.Subject, T.Body])).map((r) => [r.tag, 'value' in r ? r.value : null])), T.Body)).toBe('inner body');
    await copy.discard();
    // Dan (Bcc) got his copy too, without the Bcc row
    const dan = await env.mailbox(DAN);
    const danInbox = await messagesOf(dan, dan.special.inbox);
    expect(danInbox).toHaveLength(1);
    expect((await (await dan.openMessage(danInbox[0]!)).readRecipients()).map((r) => r.recipientType)).toEqual([MAPI_TO, MAPI_CC]);
    // the new-mail event reached Bob's mailbox
    expect(events.some((e) => e.type === 'newMail' && e.mid === inbox[0] && e.fid === bob.special.inbox)).toBe(true);

    // Alice: Outbox empty, the copy in Sent Items, marked sent and read
    expect(await messagesOf(env.alice, env.alice.special.outbox)).toEqual([]);
    expect(await messagesOf(env.alice, env.alice.special.sentItems)).toEqual([mid]);
    const s = await props(env.alice, mid, [T.MessageFlags, T.ClientSubmitTime, T.InternetMessageId]);
    expect((s.get(T.MessageFlags) as number) & 0x08).toBe(0);
    expect((s.get(T.MessageFlags) as number) & 0x01).toBe(1);
    expect(s.get(T.InternetMessageId)).toBe(p.get(T.InternetMessageId));
    // nothing bounced
    expect(await messagesOf(env.alice, env.alice.special.inbox)).toEqual([]);
  });

  it('deletes the sender\'s copy when PidTagDeleteAfterSubmit is set', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)], extra: [{ tag: T.DeleteAfterSubmit, value: true }] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    expect(await env.alice.messageExists(mid)).toBe(false);
    expect(await messagesOf(env.alice, env.alice.special.sentItems)).toEqual([]);
    expect(await messagesOf(await env.mailbox(BOB), (await env.mailbox(BOB)).special.inbox)).toHaveLength(1);
  });

  it('a sender\'s copy that cannot be filed after the deliveries does not fail the submit (it would be sent twice)', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)], extra: [{ tag: T.DeleteAfterSubmit, value: true }] });
    // the mailbox refuses the delete of the sender's copy (as an IMAP write-back that lost its connection does)
    const alice = env.alice;
    const refusing = new Proxy(alice, {
      get(target, key, receiver) {
        if (key === 'deleteMessages') return async () => { throw new Error('IMAP server went away'); };
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const r = await env.transport.submit({ mailbox: refusing, mid });
    expect(r.recipients.map((o) => o.status)).toEqual(['delivered']);
    expect(r.senderCopy).toEqual({ fid: alice.special.outbox, mid });
    expect(await messagesOf(await env.mailbox(BOB), (await env.mailbox(BOB)).special.inbox)).toHaveLength(1);
  });

  it('idle() (what a shutdown waits for before closing the mailboxes) waits for a submission under way', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)] });
    let done = false;
    const submitting = env.transport.submit({ mailbox: env.alice, mid }).then((r) => {
      done = true;
      return r;
    });
    await env.transport.idle();
    // (idle() used to count only background SMTP sends, and answered before the delivery to Bob)
    expect(done).toBe(true);
    expect((await submitting).recipients.map((o) => o.status)).toEqual(['delivered']);
  });

  it('the Bcc names (PidTagDisplayBcc) stay with the sender\'s copy', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)], extra: [{ tag: 0x0e02001f, value: 'Carol Hidden' }] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    const bob = await env.mailbox(BOB);
    const [copy] = await messagesOf(bob, bob.special.inbox);
    const [bcc] = await bob.getMessageProps(copy!, [0x0e02001f]);
    expect(bcc && 'value' in bcc).toBe(false);
    expect((await props(env.alice, mid, [0x0e02001f])).get(0x0e02001f)).toBe('Carol Hidden');
  });

  it('files the sender\'s copy where PidTagSentMailEntryId says', async () => {
    env = await transportEnv();
    const { fid: archive } = await env.alice.createFolder(env.alice.special.ipmSubtree, { displayName: 'Archive' });
    const entryId = (await env.alice.getFolderProps(archive, [T.EntryId]))[0]!;
    const mid = await compose(env.alice, { recipients: [ex(BOB)], extra: [{ tag: T.SentMailEntryId, value: (entryId as { value: Buffer }).value }] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    expect(await messagesOf(env.alice, archive)).toEqual([mid]);
  });

  it('an unknown EX recipient and a disabled mailbox give a non-delivery report; the others are delivered', async () => {
    env = await transportEnv();
    const ghost = { ...BOB, username: 'ghost', displayName: 'Ghost', legacyExchangeDN: BOB.legacyExchangeDN.replace('cn=bob', 'cn=ghost') };
    const fax = { type: MAPI_TO, name: 'Fax', addrType: 'FAX', address: '+1 555 0100' };
    const mid = await compose(env.alice, { subject: 'Party', recipients: [ex(ghost), ex(BOB), ex(CAROL, MAPI_CC), fax] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    const ndrs = await messagesOf(env.alice, env.alice.special.inbox);
    expect(ndrs).toHaveLength(1);
    const p = await props(env.alice, ndrs[0]!, [T.MessageClass, T.Subject, T.OriginalSubject, T.Body, T.MessageFlags]);
    expect(p.get(T.MessageClass)).toBe('REPORT.IPM.Note.NDR');
    expect(p.get(T.Subject)).toBe('Undeliverable: Party');
    expect(p.get(T.OriginalSubject)).toBe('Party');
    expect(p.get(T.Body)).toContain(ghost.legacyExchangeDN);
    expect((p.get(T.MessageFlags) as number) & 1).toBe(0);
    const rows = await (await env.alice.openMessage(ndrs[0]!)).readRecipients();
    expect(rows.map((r) => strProp(r.props, T.EmailAddress))).toEqual([ghost.legacyExchangeDN, CAROL.legacyExchangeDN, '+1 555 0100']);
    expect(strProp(rows[2]!.props, T.SupplementaryInfo)).toMatch(/address type FAX is not supported/);
    expect(strProp(rows[0]!.props, T.SupplementaryInfo)).toMatch(/unknown recipient/);
    expect(rows[0]!.props.find((v) => v.tag === T.NonDeliveryReportDiagCode)?.value).toBe(0);
    expect(strProp(rows[1]!.props, T.SupplementaryInfo)).toMatch(/disabled/);
  });

  it('external recipients without a relay get a non-delivery report saying so', async () => {
    env = await transportEnv(null);
    const mid = await compose(env.alice, { recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    const ndrs = await messagesOf(env.alice, env.alice.special.inbox);
    expect(ndrs).toHaveLength(1);
    expect((await props(env.alice, ndrs[0]!, [T.Body])).get(T.Body)).toMatch(/dave@example\.net.*no SMTP relay is configured/);
  });

  it('runs the delivery hooks with the delivered copy', async () => {
    env = await transportEnv();
    const seen: DeliveryContext[] = [];
    const off = onDelivered((c) => void seen.push(c));
    closers.push(async () => off());
    const mid = await compose(env.alice, { subject: 'hooked', recipients: [ex(BOB)] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    expect(seen).toHaveLength(1);
    const c = seen[0]!;
    expect(c.recipient.username).toBe('bob');
    expect(c.senderAddress).toBe(ALICE.legacyExchangeDN);
    expect(c.senderSmtpAddress).toBe('alice@example.com');
    expect(c.fid).toBe(c.mailbox.special.inbox);
    expect(await c.mailbox.folderOfMessage(c.mid)).toBe(c.fid);
  });

  it('smtp.maxSendSizeKb: a bigger message is refused with ecMaxSubmissionExceeded before anything changes; one within it is sent', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port, { maxSendSizeKb: 64 }));
    const big = await compose(env.alice, { subject: 'too big', body: 'x'.repeat(70 * 1024), recipients: [ex(BOB), smtp('dave@example.net', 'Dave')] });
    const before = await props(env.alice, big, [T.MessageFlags, T.ClientSubmitTime, T.InternetMessageId]);
    expect(await submitByRop(env, env.alice.special.outbox, big)).toBe(0x000004da);
    // through RopTransportSend too
    const { res } = await env.call([openMessage(0, 1, env.alice.special.outbox, big), transportSend(1)], [env.aliceHandle, N]);
    expect(res[1]!.ReturnValue).toBe(0x000004da);
    await env.transport.idle();
    // unsent and unchanged in the Outbox; nobody got it, no report
    expect(await messagesOf(env.alice, env.alice.special.outbox)).toEqual([big]);
    expect(await props(env.alice, big, [T.MessageFlags, T.ClientSubmitTime, T.InternetMessageId])).toEqual(before);
    expect((before.get(T.MessageFlags) as number) & 0x08).toBe(0x08);
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toEqual([]);
    expect(await messagesOf(env.alice, env.alice.special.inbox)).toEqual([]);
    expect(sink.mails).toHaveLength(0);
    // the limit counts the MAPI size: a message of ~60 KiB goes out
    const fits = await compose(env.alice, { subject: 'fits', body: 'y'.repeat(28 * 1024), recipients: [ex(BOB), smtp('dave@example.net', 'Dave')] });
    const size = (await props(env.alice, fits, [T.MessageSize])).get(T.MessageSize) as number;
    expect(size).toBeGreaterThan(56 * 1024);
    expect(size).toBeLessThanOrEqual(64 * 1024);
    expect(await submitByRop(env, env.alice.special.outbox, fits)).toBe(ec.Success);
    await env.transport.idle();
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    expect(sink.mails).toHaveLength(1);
  });

  it('a mailbox that has reached its send quota (PidTagProhibitSendQuota) sends nothing: ecQuotaExceeded, the message stays', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { subject: 'over quota', body: 'z'.repeat(4096), recipients: [ex(BOB)] });
    const [size] = await env.alice.storeProps([0x0e080014]);
    const usedKb = Number((size as { value: bigint }).value / 1024n);
    expect(usedKb).toBeGreaterThan(2);
    // the IMAP backend gives the send quota from GETQUOTAROOT (a client cannot set it): here the store object's reads
    // answer it as such a backend would
    let limitKb = usedKb;
    const read = env.alice.storeProps.bind(env.alice);
    env.alice.storeProps = async (tags) => (await read(tags)).map((p) => (p.tag >>> 16 === 0x666e ? { tag: 0x666e0003, value: limitKb } : p));
    expect(await env.alice.setStoreProps([{ tag: 0x666e0003, value: usedKb }])).toEqual([{ index: 0, tag: 0x666e0003, error: SEC.Computed }]);
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(0x000004d9);
    expect(await messagesOf(env.alice, env.alice.special.outbox)).toEqual([mid]);
    expect((await props(env.alice, mid, [T.ClientSubmitTime])).get(T.ClientSubmitTime)).toBeUndefined();
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toEqual([]);
    // room again: it goes
    limitKb = usedKb + 64;
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
  });

  it('a message is sent once: a second submit of it (after, or while the first runs) is refused with MAPI_E_SUBMITTED', async () => {
    env = await transportEnv();
    const bob = await env.mailbox(BOB);
    const mid = await compose(env.alice, { subject: 'once', recipients: [ex(BOB)] });
    // two submissions at once (two sessions of the mailbox): one goes, the other is refused
    const both = await Promise.allSettled([env.transport.submit({ mailbox: env.alice, mid }), env.transport.submit({ mailbox: env.alice, mid })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'OC_TRANSPORT_SUBMITTED', ec: 0x80040608 } });
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    // sent: in Sent Items now, submitted there again (a retried RopSubmitMessage) it stays sent once
    const sentMid = (await messagesOf(env.alice, env.alice.special.sentItems))[0]!;
    expect(await submitByRop(env, env.alice.special.sentItems, sentMid)).toBe(0x80040608);
    await env.transport.idle();
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
  });

  it('a directory that fails while recipients are resolved leaves the message unsent: a second submit sends it', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { subject: 'retry me', recipients: [ex(BOB)] });
    const find = directory.findUser;
    directory.findUser = async () => {
      throw new Error('the LDAP server went away');
    };
    try {
      await expect(env.transport.submit({ mailbox: env.alice, mid })).rejects.toThrow(/LDAP server went away/);
    } finally {
      directory.findUser = find;
    }
    expect((await props(env.alice, mid, [T.ClientSubmitTime])).get(T.ClientSubmitTime)).toBeUndefined();
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
  });

  it('a message without recipients is refused and stays in the Outbox', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(0x80040607);
    expect(await messagesOf(env.alice, env.alice.special.outbox)).toEqual([mid]);
  });
});

describe('SMTP', () => {
  /** A transport with `settings` (kept in `env`) submits one message to dave@example.net, and its sending ends. */
  const sendToDave = async (settings: SmtpSettings): Promise<TEnv> => {
    const e = (env = await transportEnv(settings));
    const mid = await compose(e.alice, { recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(e, e.alice.special.outbox, mid)).toBe(ec.Success);
    await e.transport.idle();
    return e;
  };

  it('an RTF-only message (as Outlook saves some) goes out with the text and HTML of its RTF, not empty', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, { subject: 'rtf only', recipients: [smtp('dave@example.net', 'Dave')] });
    // PidTagBody gone, PidTagRtfCompressed with HTML encapsulated in it
    expect(await env.alice.deleteMessageProps(mid, [T.Body])).toEqual([]);
    const html = '<html><body><p>Quarterly <b>figures</b> attached</p></body></html>';
    await env.alice.setMessageProps(mid, [{ tag: 0x10090102, value: rtfFromHtml(Buffer.from(html, 'latin1'), 1252) }]);
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    const out = parseMime(sink.mails[0]!.raw);
    expect(out.html).toContain('Quarterly <b>figures</b> attached');
    expect(out.plain).toContain('Quarterly figures attached');
  });

  it('an external recipient\'s message reaches a real SMTP server with the right MIME', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, {
      subject: 'Grüße – Bericht',
      body: 'Hallo Dave,\nanbei der Bericht. Grüße\n' + 'x'.repeat(200),
      html: '<p>Hallo <b>Dave</b> – Grüße</p>',
      recipients: [smtp('dave@example.net', 'Dave Extern'), ex(BOB, MAPI_CC), smtp('eve@example.org', 'Eve', MAPI_BCC)],
      attachments: [{ name: 'Übersicht 2026.pdf', data: Buffer.from('%PDF-1.4 fake'), mime: 'application/pdf' }, { name: 'raw.bin', data: Buffer.from([0, 1, 2, 255]) }],
      embedded: { subject: 'Inner note', body: 'inner text' },
    });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    const mail = sink.mails[0]!;
    expect(mail.from).toBe('alice@example.com');
    expect(mail.to.sort()).toEqual(['dave@example.net', 'eve@example.org']);
    const m = parseMime(mail.raw);
    expect(m.defects).toEqual([]);
    expect(m.subject).toBe('Grüße – Bericht');
    expect(m.from).toBe('Alice Example <alice@example.com>');
    expect(m.to).toBe('Dave Extern <dave@example.net>');
    expect(m.cc).toBe('Bob Example <bob@example.com>');
    expect(m.bcc).toBeNull();
    expect(m.type).toBe('multipart/mixed');
    expect(m.plain.replace(/\r\n/g, '\n')).toBe('Hallo Dave,\nanbei der Bericht. Grüße\n' + 'x'.repeat(200));
    expect(m.html).toContain('<b>Dave</b> – Grüße');
    expect(m.parts).toHaveLength(3);
    expect(m.parts[0]).toMatchObject({ type: 'application/pdf', filename: 'Übersicht 2026.pdf', disposition: 'attachment', hex: Buffer.from('%PDF-1.4 fake').toString('hex') });
    expect(m.parts[1]).toMatchObject({ type: 'application/octet-stream', filename: 'raw.bin', hex: '000102ff' });
    expect(m.parts[2]).toMatchObject({ type: 'message/rfc822', inner: { subject: 'Inner note' } });
    expect(m.parts[2].inner.body.trim()).toBe('inner text');
    // Bob (local, Cc) got his copy; no NDR
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    expect(await messagesOf(env.alice, env.alice.special.inbox)).toEqual([]);
    expect(m.message_id).toBe((await props(env.alice, mid, [T.InternetMessageId])).get(T.InternetMessageId));
  });

  it('a Message-ID with line breaks from the client never adds header fields: its first word is the id', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, {
      recipients: [smtp('dave@example.net', 'Dave')],
      extra: [{ tag: T.InternetMessageId, value: '<given@example.com>\r\nBcc: leak@evil.example\r\nX-Injected: 1\r\n\r\nFrom: boss@example.com' }],
    });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    const raw = sink.mails[0]!.raw.toString('latin1');
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head).not.toMatch(/X-Injected|leak@evil|boss@example/);
    expect(sink.mails[0]!.to).toEqual(['dave@example.net']);
    const m = parseMime(sink.mails[0]!.raw);
    expect(m.message_id).toBe('<given@example.com>');
    expect(m.from).toBe('Alice Example <alice@example.com>');
    expect((await props(env.alice, mid, [T.InternetMessageId])).get(T.InternetMessageId)).toBe('<given@example.com>');
  });

  it('MAIL FROM is the address the From header names, not one the client wrote into the represented sender', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, { recipients: [smtp('dave@example.net', 'Dave')], extra: [
      { tag: T.SentRepresentingEmailAddress, value: 'ceo@elsewhere.example' },
      { tag: T.SentRepresentingSmtpAddress, value: 'ceo@elsewhere.example' },
    ] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]!.from).toBe('alice@example.com');
    expect(parseMime(sink.mails[0]!.raw).from).toBe('Alice Example <alice@example.com>');
  });

  it('a 5 MB body (a streamed value) reaches the local copy and the SMTP server whole', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const line = 'The quick brown fox jumps over the lazy dog 0123456789.\n';
    const text = line.repeat(Math.ceil((5 * 1024 * 1024) / 2 / line.length));
    const m = await env.alice.newMessage(env.alice.special.outbox);
    await m.setProps([{ tag: T.MessageClass, value: 'IPM.Note' }, { tag: T.Subject, value: 'big' }]);
    await m.setRecipients([
      { rowId: 0, props: [{ tag: T.RecipientType, value: MAPI_TO }, { tag: T.DisplayName, value: 'Bob' }, { tag: T.AddressType, value: 'EX' }, { tag: T.EmailAddress, value: BOB.legacyExchangeDN }] },
      { rowId: 1, props: [{ tag: T.RecipientType, value: MAPI_TO }, { tag: T.DisplayName, value: 'Dave' }, { tag: T.AddressType, value: 'SMTP' }, { tag: T.EmailAddress, value: 'dave@example.net' }] },
    ]);
    const bytes = Buffer.from(text, 'utf16le');
    const st = await m.openStream(T.Body, 'create');
    for (let off = 0; off < bytes.length; off += 4096) await st.write(off, bytes.subarray(off, off + 4096));
    await st.commit();
    await st.close();
    const mid = await m.save();
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    const bob = await env.mailbox(BOB);
    const [copyMid] = await messagesOf(bob, bob.special.inbox);
    const copy = await bob.openMessage(copyMid!);
    const rs = await copy.openStream(T.Body, 'read');
    expect(rs.size()).toBe(bytes.length);
    const back: Buffer[] = [];
    for (let off = 0; off < rs.size(); off += 65536) back.push(await rs.read(off, 65536));
    expect(Buffer.concat(back).equals(bytes)).toBe(true);
    await rs.close();
    await copy.discard();
    expect(sink.mails).toHaveLength(1);
    const parsed = parseMime(sink.mails[0]!.raw);
    expect(parsed.plain.replace(/\r\n/g, '\n')).toBe(text);
  });

  it('an unreachable SMTP server produces a non-delivery report', async () => {
    env = await transportEnv(smtpSettings(await closedPort()));
    const mid = await compose(env.alice, { subject: 'Lost?', recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    const ndrs = await messagesOf(env.alice, env.alice.special.inbox);
    expect(ndrs).toHaveLength(1);
    const p = await props(env.alice, ndrs[0]!, [T.MessageClass, T.Body]);
    expect(p.get(T.MessageClass)).toBe('REPORT.IPM.Note.NDR');
    expect(p.get(T.Body)).toMatch(/dave@example\.net.*SMTP relay could not be used.*ECONNREFUSED/s);
    expect(await messagesOf(env.alice, env.alice.special.sentItems)).toEqual([mid]);
  });

  it('a recipient the relay refuses gets a non-delivery report; the accepted one is sent', async () => {
    const sink = await smtpSink(['nobody@example.net']);
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, { recipients: [smtp('nobody@example.net', 'Nobody'), smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails.map((x) => x.to)).toEqual([['dave@example.net']]);
    const report = await onlyReport(env.alice);
    expect(report.map((r) => r.address)).toEqual(['nobody@example.net']);
    expect(report[0]!.info).toMatch(/550/);
  });

  it('non-ASCII addresses: the domain goes in IDNA (envelope and header); a non-ASCII local part fails with a report saying why', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, { recipients: [smtp('anna@bücher.de', 'Anna'), smtp('jörg@example.net', 'Jörg')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    // (smtp-server shows an envelope domain decoded from IDNA)
    expect(sink.mails.map((x) => x.to)).toEqual([['anna@bücher.de']]);
    const out = parseMime(sink.mails[0]!.raw);
    expect(out.to).toBe('Anna <anna@xn--bcher-kva.de>, Jörg <jörg@example.net>');
    expect(out.defects).toEqual([]);
    const report = await onlyReport(env.alice);
    expect(report.map((r) => r.address)).toEqual(['jörg@example.net']);
    expect(report[0]!.info).toMatch(/outside ASCII before the @/);
  });

  it('a group (distribution list) reaches its members, once each; a mail contact of the address book goes to the relay; an empty group fails', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const [team, empty] = GROUPS as [(typeof GROUPS)[number], (typeof GROUPS)[number]];
    const group = (g: typeof team) => ({ type: MAPI_TO, name: g.displayName, addrType: 'EX', address: g.legacyExchangeDN });
    const contact = { type: MAPI_CC, name: 'Erin Outside', addrType: 'EX', address: '/o=Example/ou=External/cn=Recipients/cn=erin', smtp: 'erin@example.net' };
    const mid = await compose(env.alice, { subject: 'to the team', recipients: [group(team), ex(BOB, MAPI_CC), contact, group(empty)] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    const bob = await env.mailbox(BOB);
    const dan = await env.mailbox(DAN);
    const carol = await env.mailbox(CAROL);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    expect(await messagesOf(dan, dan.special.inbox)).toHaveLength(1);
    expect(await messagesOf(carol, carol.special.inbox)).toHaveLength(0); // disabled: left out of the group's delivery
    // the relay gets the contact; the headers name the group, not its members
    expect(sink.mails.map((m) => m.to)).toEqual([['erin@example.net']]);
    const out = parseMime(sink.mails[0]!.raw);
    expect(out.to).toBe('Team <team@example.com>');
    expect(out.cc).toBe('Bob Example <bob@example.com>, Erin Outside <erin@example.net>');
    // one report, for the empty group only
    const report = await onlyReport(env.alice);
    expect(report.map((r) => r.address)).toEqual([empty.legacyExchangeDN]);
    expect(report[0]!.info).toMatch(/the group empty has no member with a mailbox/);
  });

  it('an unknown address of the server\'s own domain is an unknown recipient, not mail for the relay', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port));
    const mid = await compose(env.alice, { recipients: [smtp('nobody@example.com', 'Nobody'), smtp('BOB@example.com', 'Bob by SMTP')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toEqual([]);
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);
    const report = await onlyReport(env.alice);
    expect(report.map((r) => r.address)).toEqual(['nobody@example.com']);
    expect(report[0]!.info).toMatch(/unknown recipient/);
  });

  it('authenticates with smtp.user / smtp.password; a wrong password ends in a non-delivery report', async () => {
    const sink = await smtpSink([], { auth: { user: 'ocng', pass: 's3cret' } });
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port, { user: 'ocng', password: 's3cret' }));
    const mid = await compose(env.alice, { recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.logins).toEqual(['ocng']);
    expect(sink.mails).toHaveLength(1);
    await env.close();

    env = await transportEnv(smtpSettings(sink.port, { user: 'ocng', password: 'wrong' }));
    const mid2 = await compose(env.alice, { subject: 'denied', recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid2)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    const ndrs = await messagesOf(env.alice, env.alice.special.inbox);
    expect(ndrs).toHaveLength(1);
    expect((await props(env.alice, ndrs[0]!, [T.Body])).get(T.Body)).toMatch(/authentication failed/);
  });

  it('security none: STARTTLS used when offered, its certificate not checked (opportunistic TLS); starttls checks it', async () => {
    const sink = await smtpSink([], { starttls: true });
    closers.push(sink.close);
    await (await sendToDave(smtpSettings(sink.port, { security: 'none' }))).close();
    expect(sink.mails.map((m) => [m.to, m.secure])).toEqual([[['dave@example.net'], true]]);

    // required STARTTLS is checked: the relay's self-signed certificate refuses the send (a non-delivery report)
    const strict = await sendToDave(smtpSettings(sink.port, { security: 'starttls' }));
    expect(sink.mails).toHaveLength(1);
    expect(await messagesOf(strict.alice, strict.alice.special.inbox)).toHaveLength(1);
  });

  it('security tls: TLS from the first byte; an unchecked self-signed relay only with allowInvalidCertificates', async () => {
    const sink = await smtpSink([], { secure: true });
    closers.push(sink.close);
    await (await sendToDave(smtpSettings(sink.port, { security: 'tls', allowInvalidCertificates: true }))).close();
    expect(sink.mails).toHaveLength(1);

    const strict = await sendToDave(smtpSettings(sink.port, { security: 'tls' }));
    expect(sink.mails).toHaveLength(1);
    expect(await messagesOf(strict.alice, strict.alice.special.inbox)).toHaveLength(1);
  });

  it('smtp.caFile: a TLS relay whose self-signed certificate is in the file is trusted without allowInvalidCertificates; an unusable file stops the start', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = pem('CERTIFICATE', selfSignedCertificate({ names: ['127.0.0.1'], publicKey, privateKey, notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000) }));
    const dir = mkdtempSync(path.join(tmpdir(), 'ocng-smtp-ca-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, cert);
    const sink = await smtpSink([], { secure: true, tls: { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert } });
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port, { security: 'tls', caFile }));
    const mid = await compose(env.alice, { recipients: [smtp('dave@example.net', 'Dave')] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toHaveLength(1);
    expect(await messagesOf(env.alice, env.alice.special.inbox)).toHaveLength(0);
    expect(() => nodemailerSender(smtpSettings(sink.port, { security: 'tls', caFile: path.join(dir, 'missing.pem') }), 'h')).toThrow(
      expect.objectContaining({ code: 'OC_CONFIG_CA_FILE', message: expect.stringContaining('smtp.caFile') }),
    );
  });

  it('smtp.allowExternal false keeps mail local and reports the external recipients', async () => {
    const sink = await smtpSink();
    closers.push(sink.close);
    env = await transportEnv(smtpSettings(sink.port, { allowExternal: false }));
    const mid = await compose(env.alice, { recipients: [smtp('dave@example.net', 'Dave'), ex(BOB)] });
    expect(await submitByRop(env, env.alice.special.outbox, mid)).toBe(ec.Success);
    await env.transport.idle();
    expect(sink.mails).toEqual([]);
    expect((await props(env.alice, (await messagesOf(env.alice, env.alice.special.inbox))[0]!, [T.Body])).get(T.Body)).toMatch(/smtp\.allowExternal/);
  });
});

describe('the other MS-OXOMSG ROPs', () => {
  it('RopGetAddressTypes, RopGetTransportFolder, RopOptionsData, RopSetSpooler', async () => {
    env = await transportEnv();
    const { res } = await env.call(
      [logonRop(0x49, 0), logonRop(0x6d, 0), logonRop(0x6f, 0, { AddressType: 'SMTP', WantWin32: 1 }), logonRop(0x47, 0)],
      [env.aliceHandle],
    );
    expect(res[0]).toMatchObject({ ReturnValue: 0, AddressTypes: ['EX', 'SMTP'] });
    expect(res[1]).toMatchObject({ ReturnValue: 0, FolderId: env.alice.special.outbox });
    expect(res[2]).toMatchObject({ ReturnValue: 0, Reserved: 1 });
    expect((res[2]!.OptionsInfo as Buffer).length).toBe(0);
    expect((res[2]!.HelpFile as Buffer).length).toBe(0);
    expect(res[3]!.ReturnValue).toBe(0);
  });

  it('RopAbortSubmit: a sent message is ecUnableToAbort, a draft ecNotInQueue', async () => {
    env = await transportEnv();
    const sent = await compose(env.alice, { recipients: [ex(BOB)] });
    await submitByRop(env, env.alice.special.outbox, sent);
    const draft = await compose(env.alice, { recipients: [ex(BOB)] }, env.alice.special.drafts);
    const { res } = await env.call(
      [
        logonRop(0x34, 0, { FolderId: env.alice.special.outbox, MessageId: sent }),
        logonRop(0x34, 0, { FolderId: env.alice.special.drafts, MessageId: draft }),
        logonRop(0x34, 0, { FolderId: env.alice.special.outbox, MessageId: 0x7777n << 16n | 1n }),
      ],
      [env.aliceHandle],
    );
    expect(res.map((r) => r.ReturnValue)).toEqual([ec.UnableToAbort, EC_NOT_IN_QUEUE, EC_NOT_IN_QUEUE]);
  });

  it('RopSpoolerLockMessage: lock and unlock; Finished files the sender copy; a bad LockState is ecInvalidParam', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)] });
    const { res } = await env.call(
      [
        logonRop(0x48, 0, { MessageId: mid, LockState: 0 }),
        logonRop(0x48, 0, { MessageId: mid, LockState: 1 }),
        logonRop(0x48, 0, { MessageId: mid, LockState: 7 }),
        logonRop(0x48, 0, { MessageId: 0x7777n << 16n | 1n, LockState: 0 }),
        logonRop(0x48, 0, { MessageId: mid, LockState: 2 }),
      ],
      [env.aliceHandle],
    );
    expect(res.map((r) => r.ReturnValue)).toEqual([0, 0, ec.InvalidParam, ec.NotFound, 0]);
    expect(await messagesOf(env.alice, env.alice.special.sentItems)).toEqual([mid]);
  });

  it('RopTransportSend delivers and returns no properties; RopTransportNewMail raises NewMail', async () => {
    env = await transportEnv();
    const mid = await compose(env.alice, { recipients: [ex(BOB)] });
    const { res } = await env.call([openMessage(0, 1, env.alice.special.outbox, mid), transportSend(1)], [env.aliceHandle, N]);
    expect(res[1]).toMatchObject({ ReturnValue: 0, NoPropertiesReturned: 1 });
    const bob = await env.mailbox(BOB);
    expect(await messagesOf(bob, bob.special.inbox)).toHaveLength(1);

    const events: MailboxEvent[] = [];
    env.alice.events.subscribe((e) => events.push(e));
    const { res: r2 } = await env.call(
      [
        logonRop(0x51, 0, { MessageId: mid, FolderId: env.alice.special.sentItems, MessageClass: 'IPM.Note', MessageFlags: 0 }),
        logonRop(0x51, 0, { MessageId: mid, FolderId: env.alice.special.inbox, MessageClass: 'IPM.Note', MessageFlags: 0 }),
      ],
      [env.aliceHandle],
    );
    expect(r2.map((r) => r.ReturnValue)).toEqual([0, ec.NotFound]);
    expect(events.filter((e) => e.type === 'newMail').map((e) => e.mid)).toEqual([mid]);
  });

  it('RopSubmitMessage on a folder handle is refused; the session goes on', async () => {
    env = await transportEnv();
    const { res } = await env.call([{ RopId: 0x32, LogonId: 0, InputHandleIndex: 0, SubmitFlags: 0 }, logonRop(0x49, 0)], [env.aliceHandle]);
    expect(res[0]!.ReturnValue).not.toBe(0);
    expect(res[1]!.ReturnValue).toBe(0);
  });
});
