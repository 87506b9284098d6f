// A message move against an IMAP server without MOVE (RFC 6851), with the whole server (store.backend imap) and a
// Dovecot announcing no MOVE (test/helpers/dovecot.ts withoutCapabilities): the write-back's move becomes COPY
// (COPYUID for the new UID), STORE \Deleted and UID EXPUNGE of exactly the moved UID, so another client's message
// marked \Deleted in the same mailbox stays; the next syncs find nothing to do.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { startImapWorld, type ImapWorld } from '../helpers/imap-world.js';

const SUBJECT = 0x0037001f;
const message = (s: string): Buffer => Buffer.from(`From: Eve <eve@example.org>\r\nSubject: ${s}\r\nMessage-ID: <${s}@example.org>\r\n\r\n${s}\r\n`);

describe('moving a message on an IMAP server without MOVE', () => {
  let admin: ImapFlow;
  let mb: ImapMailbox;
  let w: ImapWorld | undefined;

  /** Subject -> flags of the messages in `box`, as another client sees them (\Recent, a session's flag, left out). */
  const contents = async (box: string): Promise<Record<string, string[]>> => {
    const lock = await admin.getMailboxLock(box);
    try {
      const out: Record<string, string[]> = {};
      for await (const m of admin.fetch('1:*', { envelope: true, flags: true })) out[m.envelope?.subject ?? ''] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
      return out;
    } finally {
      lock.release();
    }
  };

  beforeAll(async () => {
    w = await startImapWorld({
      dovecot: { mode: 'master', withoutCapabilities: ['MOVE'] },
      seed: async (admin) => {
        expect(admin.capabilities.has('MOVE')).toBe(false);
        await admin.mailboxCreate('Archive');
        for (const s of ['to-move', 'stays']) await admin.append('INBOX', message(s));
      },
    });
    ({ admin, mb } = w);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('COPY, then UID EXPUNGE of the moved UID only: another client\'s \\Deleted message stays', async () => {
    // another client marks "stays" \Deleted without expunging (as Thunderbird does before it compacts)
    const lock = await admin.getMailboxLock('INBOX');
    try {
      const [stays] = await admin.search({ header: { subject: 'stays' } }, { uid: true }) || [];
      await admin.messageFlagsAdd(String(stays), ['\\Deleted'], { uid: true });
    } finally {
      lock.release();
    }
    const archive = (await mb.mirror.folderOf('Archive'))!;
    const rows = await mb.contentsRows(mb.special.inbox, { tags: [SUBJECT] });
    const mid = rows.find((r) => r.props.get(SUBJECT) === 'to-move')!.id;
    await mb.moveCopyMessages(mb.special.inbox, [mid], archive, false);
    expect(await contents('Archive')).toEqual({ 'to-move': [] });
    expect(await contents('INBOX')).toEqual({ stays: ['\\Deleted'] });
    // the store agrees, and the next syncs find nothing to fetch
    expect((await mb.contentsRows(archive, { tags: [SUBJECT] })).map((r) => r.props.get(SUBJECT))).toEqual(['to-move']);
    expect(await mb.mirror.syncFolder(archive)).toMatchObject({ added: 0, deleted: 0, fetchedBodies: 0 });
    expect(await mb.mirror.syncFolder(mb.special.inbox)).toMatchObject({ added: 0, deleted: 0, fetchedBodies: 0 });
  });
});
