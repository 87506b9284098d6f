// A message larger than the MIME parser takes (MIME_MAX_MESSAGE_BYTES, 64 MiB) on the IMAP server, with the whole
// server (store.backend imap) and Dovecot: the mirror fetches its header only (BODY.PEEK[HEADER]) and stores a
// stand-in with its sender, recipients and subject and a body that says why (import.ts stubSource); an edit saved in
// Outlook does not replace the original on the server (only its flags are stored), and a move moves the original.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { MIME_MAX_MESSAGE_BYTES } from '../../src/mime/parse.js';
import { hasImapIndex } from '../../src/mapistore/index/types.js';
import { eidGlobcnt } from '../../src/mapi/ids.js';
import { startImapWorld, type ImapWorld } from '../helpers/imap-world.js';

const T = { subject: 0x0037001f, body: 0x1000001f, senderEmail: 0x0c1f001f, senderName: 0x0c1a001f, flagStatus: 0x10900003 };
const val = (r: { tag: number; value?: unknown }[], tag: number): unknown => r.find((x) => x.tag >>> 0 === tag >>> 0)?.value;

describe('a message too large to convert', () => {
  let admin: ImapFlow;
  let mb: ImapMailbox;
  let w: ImapWorld | undefined;
  let bigSize = 0;

  /** UID, size and flags of the message with `subject` in `box`, as another client sees it. */
  const onServer = async (box: string, subject: string): Promise<{ uid: number; size: number; flags: string[] } | null> => {
    const lock = await admin.getMailboxLock(box);
    try {
      await admin.noop(); // the view catches up with the other connections' changes
      for await (const m of admin.fetch('1:*', { uid: true, envelope: true, size: true, flags: true })) {
        if (m.envelope?.subject === subject) return { uid: m.uid, size: m.size ?? 0, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort() };
      }
      return null;
    } finally {
      lock.release();
    }
  };

  beforeAll(async () => {
    w = await startImapWorld({
      seed: async (admin) => {
        await admin.mailboxCreate('Archive');
        const head = 'From: Video Team <video@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: the whole recording\r\n' +
          'Message-ID: <huge@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="b1"\r\n\r\n' +
          '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
        const line = Buffer.from(`${'QUJD'.repeat(19)}\r\n`);
        const big = Buffer.concat([Buffer.from(head), Buffer.alloc(line.length * Math.ceil((MIME_MAX_MESSAGE_BYTES + 1_000_000) / line.length), line), Buffer.from('--b1--\r\n')]);
        bigSize = big.length;
        await admin.append('INBOX', big);
        await admin.append('INBOX', Buffer.from('From: Eve <eve@example.org>\r\nSubject: small one\r\nMessage-ID: <small@example.org>\r\n\r\nhello\r\n'));
      },
    });
    ({ admin, mb } = w);
  }, 180_000);
  afterAll(async () => {
    await w?.close();
  });

  const bigMid = async (fid: bigint): Promise<bigint> => {
    const rows = await mb.contentsRows(fid, { tags: [T.subject] });
    return rows.find((r) => r.props.get(T.subject) === 'the whole recording')!.id;
  };

  it('is mirrored from its header: sender and subject, a body saying why; its index row keeps the real size', async () => {
    const mid = await bigMid(mb.special.inbox);
    const props = (await mb.getMessageProps(mid, [T.senderEmail, T.senderName, T.body])) as { tag: number; value?: unknown }[];
    expect(val(props, T.senderEmail)).toBe('video@example.org');
    expect(val(props, T.senderName)).toBe('Video Team');
    expect(String(val(props, T.body))).toMatch(/^This message is \d+\.\d MB on the mail server: larger than the 64\.0 MB this server converts/);
    const index = mb.local.index;
    if (!hasImapIndex(index)) throw new Error('no IMAP index');
    const [row] = await index.imap.messagesById([eidGlobcnt(mid)]);
    expect(row!.size).toBe(bigSize);
    // the small message beside it is converted as usual
    const small = (await mb.contentsRows(mb.special.inbox, { tags: [T.subject, T.body] })).find((r) => r.props.get(T.subject) === 'small one');
    expect(small).toBeDefined();
  });

  it('an edit saved in Outlook leaves the original whole on the server; the flag set with it is stored on the same UID', async () => {
    const before = (await onServer('INBOX', 'the whole recording'))!;
    expect(before.size).toBe(bigSize);
    const msg = await mb.openMessage(await bigMid(mb.special.inbox));
    await msg.setProps([{ tag: T.body, value: 'edited in Outlook' }, { tag: T.flagStatus, value: 2 }]);
    await msg.save();
    await msg.discard();
    const after = (await onServer('INBOX', 'the whole recording'))!;
    expect(after.uid).toBe(before.uid);
    expect(after.size).toBe(bigSize);
    expect(after.flags).toContain('\\Flagged');
  });

  it('a move moves the original', async () => {
    const archive = (await mb.mirror.folderOf('Archive'))!;
    await mb.moveCopyMessages(mb.special.inbox, [await bigMid(mb.special.inbox)], archive, false);
    expect(await onServer('INBOX', 'the whole recording')).toBeNull();
    expect((await onServer('Archive', 'the whole recording'))!.size).toBe(bigSize);
  });
});
