// A personal namespace with a prefix, the Courier / Cyrus layout (RFC 2342 NAMESPACE (("INBOX." "."))): every personal
// mailbox is INBOX.<name>. Against a Dovecot configured so (test/helpers/dovecot.ts `personal`) and the whole server
// (store.backend imap): the mirror puts INBOX.Projects at the top of the folder tree, INBOX.Projects.Q1 under it, the
// SPECIAL-USE mailboxes INBOX.Sent etc. on the special folders; folders Outlook creates or moves to the top level
// become INBOX.<name> on IMAP (and the next hierarchy sync leaves them alone), under another folder
// INBOX.<parent>.<name>; a folder under the Inbox, which that layout cannot tell from a top-level one, stays on this
// server only, and a mirrored folder cannot move there (refused before anything changes).
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { cli } from '../cli/harness.js';
import { MASTER_PASSWORD, MASTER_USER, type Dovecot } from '../helpers/dovecot.js';
import { startImapWorld, type ImapWorld } from '../helpers/imap-world.js';

const SUBJECT = 0x0037001f;
const DISPLAY_NAME = 0x3001001f;

describe('a personal namespace "INBOX." with the separator "." (Courier, Cyrus)', () => {
  let d: Dovecot;
  let admin: ImapFlow;
  let mb: ImapMailbox;
  let w: ImapWorld | undefined;

  const listed = async (): Promise<string[]> => (await admin.list()).map((e) => e.path).sort();
  const nameOf = async (fid: bigint): Promise<unknown> => {
    const [p] = await mb.getFolderProps(fid, [DISPLAY_NAME]);
    return p && 'value' in p ? p.value : undefined;
  };

  beforeAll(async () => {
    w = await startImapWorld({
      dovecot: { mode: 'master', personal: { prefix: 'INBOX.', separator: '.' } },
      seed: async (admin) => {
        await admin.mailboxCreate('INBOX.Projects');
        await admin.mailboxCreate('INBOX.Projects.Q1');
        await admin.append('INBOX.Projects', Buffer.from('From: Eve <eve@example.org>\r\nSubject: plan\r\nMessage-ID: <plan@example.org>\r\n\r\nBody.\r\n'));
      },
    });
    ({ d, admin, mb } = w);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('the server announces the layout', () => {
    expect(admin.namespaces && admin.namespaces.personal?.[0]).toMatchObject({ prefix: 'INBOX.', delimiter: '.' });
  });

  it('INBOX.Projects is a top-level folder with its message, INBOX.Projects.Q1 under it; INBOX.Sent and the others are the special folders', async () => {
    const projects = (await mb.mirror.folderOf('INBOX.Projects'))!;
    expect(await mb.parentOf(projects)).toBe(mb.special.ipmSubtree);
    expect(await nameOf(projects)).toBe('Projects');
    expect((await mb.contentsRows(projects, { tags: [SUBJECT] })).map((r) => r.props.get(SUBJECT))).toEqual(['plan']);
    expect(await mb.parentOf((await mb.mirror.folderOf('INBOX.Projects.Q1'))!)).toBe(projects);
    expect(await mb.mirror.folderOf('INBOX')).toBe(mb.special.inbox);
    expect(await mb.mirror.folderOf('INBOX.Sent')).toBe(mb.special.sentItems);
    expect(await mb.mirror.folderOf('INBOX.Drafts')).toBe(mb.special.drafts);
    expect(await mb.mirror.folderOf('INBOX.Trash')).toBe(mb.special.deletedItems);
    expect(await mb.mirror.folderOf('INBOX.Junk')).toBe(mb.special.junk);
    expect(await mb.findChild(mb.special.inbox, 'Projects')).toBeNull();
  });

  it('folders Outlook makes at the top level and under a folder land under the prefix; a sync after them changes nothing', async () => {
    const top = (await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Made in Outlook', containerClass: 'IPF.Note' })).fid;
    const projects = (await mb.mirror.folderOf('INBOX.Projects'))!;
    const sub = (await mb.createFolder(projects, { displayName: 'Sub', containerClass: 'IPF.Note' })).fid;
    expect(await listed()).toEqual(expect.arrayContaining(['INBOX.Made in Outlook', 'INBOX.Projects.Sub']));
    expect(await mb.mirror.folderOf('INBOX.Made in Outlook')).toBe(top);
    // moved to the top level: RENAME to INBOX.Sub
    await mb.moveFolder(sub, mb.special.ipmSubtree);
    expect(await listed()).toContain('INBOX.Sub');
    expect(await listed()).not.toContain('INBOX.Projects.Sub');
    expect(await mb.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.parentOf(top)).toBe(mb.special.ipmSubtree);
    expect(await mb.parentOf(sub)).toBe(mb.special.ipmSubtree);
  });

  it('a folder under the Inbox stays on this server only: that layout has no mailbox for it', async () => {
    const before = await listed();
    const child = (await mb.createFolder(mb.special.inbox, { displayName: 'Child', containerClass: 'IPF.Note' })).fid;
    expect(await mb.folderExists(child)).toBe(true);
    expect(await listed()).toEqual(before);
    expect(await mb.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0 });
    expect(await mb.parentOf(child)).toBe(mb.special.inbox);
  });

  it('a mirrored folder moved under the Inbox is refused before anything changes: its mailbox could not follow', async () => {
    const projects = (await mb.mirror.folderOf('INBOX.Projects'))!;
    const before = await listed();
    await expect(mb.moveFolder(projects, mb.special.inbox)).rejects.toMatchObject({ code: 'OC_IMAP_BAD_NAME', ec: 0x80070057 });
    expect(await mb.parentOf(projects)).toBe(mb.special.ipmSubtree);
    expect(await listed()).toEqual(before);
    expect(await mb.mirror.syncHierarchy()).toMatchObject({ created: 0, deleted: 0, renamed: 0 });
    expect(await mb.parentOf(projects)).toBe(mb.special.ipmSubtree);
    // a folder of this server only moves there as before
    const local = (await mb.createFolder(mb.special.inbox, { displayName: 'Local child', containerClass: 'IPF.Note' })).fid;
    const other = (await mb.createFolder(local, { displayName: 'Under it', containerClass: 'IPF.Note' })).fid;
    await mb.moveFolder(other, mb.special.inbox);
    expect(await mb.parentOf(other)).toBe(mb.special.inbox);
    expect(await listed()).toEqual(before);
  });

  it('ocng imap check shows the mapping', async () => {
    const sets = ['store.backend=imap', `imap.host=${d.host}`, `imap.port=${d.port}`, 'imap.security=none', 'imap.auth=master', `imap.masterUser=${MASTER_USER}`,
      `imap.masterPassword=${MASTER_PASSWORD}`];
    const r = await cli([...sets.flatMap((s) => ['--set', s]), 'imap', 'check', 'alice'], { cwd: d.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('namespaces: personal "INBOX."');
    expect(r.stdout).toMatch(/^INBOX\.Sent\s+Sent Items \(\\Sent\)$/m);
    expect(r.stdout).toMatch(/^INBOX\.Projects\s+folder$/m);
  });
});
