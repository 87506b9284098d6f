// The Store API's folder permissions (MS-OXCPERM 2.2) on the embedded backend: the built-in Default and Anonymous
// members, user entries, all-or-nothing changes, the owner's rights, and entries of deleted folders.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SEC, StoreError } from '../../src/mapistore/errors.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import {
  DEL_FOLDERS, DEL_MESSAGES, MEMBER_ID_ANONYMOUS, MEMBER_ID_DEFAULT, MEMBER_RIGHTS_ALL,
  type MailboxStore, type PermissionMember,
} from '../../src/mapistore/types.js';

const ORG = '/o=Org/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';
const member = (u: string): PermissionMember => ({ username: u, displayName: `${u} Example`, legacyDn: `${ORG}/cn=${u}` });

describe('MailboxStore folder permissions (local backend)', () => {
  let dir: string;
  let store: LocalStore;
  let mb: MailboxStore;

  const open = async () => {
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    mb = await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: `${ORG}/cn=alice` });
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-perm-store-'));
    await open();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with Default and Anonymous only; the owner has every right', async () => {
    expect(await mb.getPermissions(mb.special.calendar)).toEqual([
      { memberId: MEMBER_ID_DEFAULT, username: '', displayName: '', legacyDn: '', rights: 0x800 },
      { memberId: MEMBER_ID_ANONYMOUS, username: '', displayName: 'Anonymous', legacyDn: '', rights: 0 },
    ]);
    expect((await mb.getPermissions(mb.special.inbox)).map((p) => p.rights)).toEqual([0, 0]);
    expect(await mb.rightsOf(mb.special.inbox, 'Alice')).toBe(MEMBER_RIGHTS_ALL);
    expect(await mb.rightsOf(mb.special.inbox, 'bob')).toBe(0);
    await expect(mb.getPermissions(0x1234n)).rejects.toMatchObject({ ec: SEC.NotFound });
    await expect(mb.rightsOf(0x1234n, 'bob')).rejects.toBeInstanceOf(StoreError);
  });

  it('adds, changes and removes user entries; an add of a listed user changes its rights', async () => {
    const f = mb.special.contacts;
    await mb.modifyPermissions(f, [{ op: 'add', member: member('bob'), rights: 0x401 }, { op: 'add', member: member('carol'), rights: 0x41b }]);
    await mb.modifyPermissions(f, [{ op: 'add', member: member('BOB'), rights: 0x47b }]);
    let list = await mb.getPermissions(f);
    expect(list.slice(2).map((p) => [p.username, p.rights])).toEqual([['bob', 0x47b], ['carol', 0x41b]]);
    await mb.modifyPermissions(f, [{ op: 'remove', memberId: list[2]!.memberId }, { op: 'modify', memberId: list[3]!.memberId, rights: 0xffffffff }]);
    list = await mb.getPermissions(f);
    expect(list.slice(2).map((p) => [p.username, p.rights])).toEqual([['carol', MEMBER_RIGHTS_ALL]]); // undefined bits dropped
    expect(await mb.rightsOf(f, 'bob')).toBe(0);
  });

  it('applies a call whole or not at all', async () => {
    const f = mb.special.calendar;
    await mb.modifyPermissions(f, [{ op: 'add', member: member('bob'), rights: 0x401 }]);
    const before = await mb.getPermissions(f);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(0x1fff), { maxLength: 4 }), fc.bigInt({ min: 1000n, max: 1n << 62n }), async (rights, badId) => {
        const changes = rights.map((r, i) => ({ op: 'add' as const, member: member(`u${i}`), rights: r }));
        await expect(mb.modifyPermissions(f, [...changes, { op: 'modify', memberId: badId, rights: 1 }], { replace: true })).rejects.toMatchObject({ ec: SEC.NotFound });
        expect(await mb.getPermissions(f)).toEqual(before);
      }),
      { numRuns: 20 },
    );
    await expect(mb.modifyPermissions(f, [{ op: 'add', member: { username: '', displayName: '', legacyDn: '' }, rights: 1 }])).rejects.toMatchObject({ ec: SEC.InvalidParam });
    expect(await mb.getPermissions(f)).toEqual(before);
  });

  it('drops the entries of deleted folders on the next open', async () => {
    const { fid } = await mb.createFolder(mb.special.ipmSubtree, { displayName: 'Gone' });
    await mb.modifyPermissions(fid, [{ op: 'add', member: member('bob'), rights: 0x401 }, { op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: 0x400 }]);
    await mb.deleteFolder(fid, DEL_FOLDERS | DEL_MESSAGES);
    await mb.modifyPermissions(mb.special.inbox, [{ op: 'add', member: member('bob'), rights: 0x401 }]);
    await store.close();
    await open();
    expect(await mb.rightsOf(mb.special.inbox, 'bob')).toBe(0x401); // first use after the open sweeps
    const db = (mb as unknown as { db: { prepare(s: string): { get(): { n: number } } } }).db;
    expect(db.prepare('SELECT count(*) AS n FROM folder_permissions').get().n).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM folder_permission_defaults').get().n).toBe(0);
  });
});
