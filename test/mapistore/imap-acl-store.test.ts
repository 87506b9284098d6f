// ImapAcl (src/mapistore/backends/imap/acl-store.ts, docs/imap.md "ACL") without an IMAP server: the embedded
// LocalMailbox keeps the local permission rows, a fake connection plays the RFC 4314 side (GETACL answers from an
// in-memory ACL, SETACL / DELETEACL change it and are recorded). It covers what the test Dovecot cannot show: the
// Default member read from both "anyone" and "authenticated" (Dovecot refuses SETACL of either without
// acl_anyone = allow), rows holding only letters that map to no MAPI right, letters a server adds of its own, a GETACL
// answer of rightsOf that arrives after a change, and (fast-check) that after any single change the server's rows of
// the changed member hold exactly what the MAPI rights map to and the member reads back with the rights it was given.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RIGHT, aclUpdate, imapToMapi, mapiToImap } from '../../src/mapistore/backends/imap/acl.js';
import { ImapAcl } from '../../src/mapistore/backends/imap/acl-store.js';
import type { ImapArg } from '../../src/mapistore/backends/imap/command.js';
import type { MirrorContext } from '../../src/mapistore/backends/imap/folders.js';
import type { LocalMailbox } from '../../src/mapistore/backends/local/mailbox.js';
import { LocalStore } from '../../src/mapistore/backends/local/store.js';
import { SqliteIndexProvider } from '../../src/mapistore/index/sqlite.js';
import { MEMBER_ID_DEFAULT, MEMBER_RIGHTS_ALL, type PermissionChange, type PermissionMember } from '../../src/mapistore/types.js';
import { silentLogger } from '../../src/util/log.js';

const ORG = '/o=Org/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';
const member = (u: string): PermissionMember => ({ username: u, displayName: u, legacyDn: `${ORG}/cn=${u}` });
const REVIEWER = RIGHT.ReadAny | RIGHT.FolderVisible;
const AUTHOR = 0x41b;
const BOX = 'Projects';
/** The RFC 4314 letters (with the obsolete c and d) this server maps; any other letter is a server's own. */
const OWNED = 'lrswipkxteacd';
const modern = (s: string): string => [...'lrswipkxtea'].filter((c) => s.includes(c)).join('');
const foreign = (s: string): string => [...new Set([...s].filter((c) => !OWNED.includes(c)))].sort().join('');

/** An IMAP server's ACL of one mailbox, answering the commands acl-store.ts sends. */
class FakeAclServer {
  acl = new Map<string, string>();
  sent: string[] = [];
  /** When set, the next GETACL takes its answer at once but hands it over only when this resolves. */
  holdNextGetacl: Promise<void> | null = null;
  getaclHeld = false;

  readonly client = {
    capabilities: new Set(['ACL']),
    exec: async (cmd: string, args: ImapArg[], opts: { untagged: Record<string, (u: { attributes: unknown[] }) => Promise<void>> }) => {
      const [box, id, rights] = args.map((a) => (a as { value: string }).value);
      if (box !== BOX) throw Object.assign(new Error('NO'), { responseText: 'Mailbox doesn\'t exist' });
      if (cmd === 'GETACL') {
        const attributes = [{ type: 'STRING', value: BOX }, ...[...this.acl].flatMap(([i, r]) => [{ type: 'ATOM', value: i }, { type: 'ATOM', value: r }])];
        const hold = this.holdNextGetacl;
        this.holdNextGetacl = null;
        if (hold) {
          this.getaclHeld = true;
          await hold;
        }
        await opts.untagged.ACL?.({ attributes });
      } else {
        this.sent.push(`${cmd} ${id}${cmd === 'SETACL' ? ` ${rights}` : ''}`);
        if (cmd === 'SETACL') this.acl.set(id!, rights!);
        else this.acl.delete(id!);
      }
      return { next: () => undefined };
    },
  };

  /** A MirrorContext whose every folder mirrors BOX, with identifiers equal to usernames. */
  context(): MirrorContext {
    return {
      imap: { folderById: async () => ({ imapName: BOX, syncState: null }) },
      pool: {
        credentials: { loginName: (u: string) => u, usernameOf: (l: string) => l },
        run: async (_user: string, fn: (c: unknown) => Promise<unknown>) => fn(this.client),
      },
    } as unknown as MirrorContext;
  }
}

describe('aclUpdate: the rights written for one ACL identifier', () => {
  it('removes every letter of a removed member, also ones that map to no MAPI right', () => {
    expect(aclUpdate('x', undefined)).toBe('');
    expect(aclUpdate('ps', undefined)).toBe('');
    expect(aclUpdate(undefined, undefined)).toBeNull();
    expect(aclUpdate('lrs', REVIEWER)).toBeNull();
    expect(aclUpdate('lrsx', REVIEWER | RIGHT.FolderContact)).toBe('lrs');
    expect(aclUpdate('ps', 0)).toBe('');
    // Dovecot writes c next to x and d next to e: the same rights as what SETACL would write
    expect(aclUpdate('lrwstipekxacd', 0x7fb)).toBeNull();
    // a letter the server adds of its own stays
    expect(aclUpdate('lrs0', AUTHOR)).toBe('lrswipte0');
    expect(aclUpdate('0', 0)).toBeNull();
  });

  it('the row it leaves holds exactly what the MAPI rights map to, plus the server\'s own letters (fast-check)', () => {
    fc.assert(fc.property(
      fc.option(fc.subarray([...`${OWNED}0n`]).map((a) => a.join('')), { nil: undefined }),
      fc.option(fc.integer({ min: 0, max: MEMBER_RIGHTS_ALL }), { nil: undefined }),
      (current, after) => {
        const u = aclUpdate(current, after);
        const row = u === null ? current ?? '' : u;
        if (after === undefined) {
          expect(row).toBe('');
          return;
        }
        expect(modern(row)).toBe(mapiToImap(after));
        expect(imapToMapi(row)).toBe(imapToMapi(mapiToImap(after)));
        expect(foreign(row)).toBe(foreign(current ?? ''));
        // nothing is sent when the row already holds that
        if (u !== null) expect(u).not.toBe(current ?? '');
      },
    ));
  });
});

describe('ImapAcl over a fake IMAP server', () => {
  let dir: string;
  let store: LocalStore;
  let local: LocalMailbox;
  let fid: bigint;
  let server: FakeAclServer;
  let acl: ImapAcl;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocng-imap-acl-'));
    store = new LocalStore({ mailboxDir: path.join(dir, 'mailboxes'), index: new SqliteIndexProvider(path.join(dir, 'index.sqlite')) });
    local = (await store.openMailbox({ username: 'alice', displayName: 'Alice', legacyDn: `${ORG}/cn=alice` })) as LocalMailbox;
    fid = local.special.inbox;
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** A fresh server ACL and local table (no user rows, Default 0). */
  const reset = async (rows: Record<string, string>, cacheMs = 1000) => {
    await local.modifyPermissions(fid, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: 0 }], { replace: true });
    server = new FakeAclServer();
    server.acl = new Map(Object.entries(rows));
    acl = new ImapAcl(local, server.context(), silentLogger(), cacheMs);
  };
  beforeEach(() => reset({}));
  const rowOf = async (username: string) => (await acl.getPermissions(fid)).find((e) => username === '' ? e.memberId === MEMBER_ID_DEFAULT : e.username === username);

  it('Default to None takes the rights off "authenticated", the row the Default member was read from', async () => {
    await reset({ authenticated: 'lr' });
    expect((await rowOf(''))?.rights).toBe(REVIEWER);
    expect(await acl.rightsOf(fid, 'carol')).toBe(REVIEWER);
    await acl.modifyPermissions(fid, [{ op: 'remove', memberId: MEMBER_ID_DEFAULT }]);
    expect(server.sent).toEqual(['DELETEACL authenticated']);
    expect(server.acl.has('authenticated')).toBe(false);
    expect((await rowOf(''))?.rights).toBe(0);
    expect(await acl.rightsOf(fid, 'carol')).toBe(0);
  });

  it('a Default change writes both "anyone" and "authenticated"; "anyone" when it has neither', async () => {
    await reset({ anyone: 'l', authenticated: 'lr' });
    await acl.modifyPermissions(fid, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: AUTHOR }]);
    expect(Object.fromEntries(server.acl)).toEqual({ anyone: 'lrswipte', authenticated: 'lrswipte' });
    await acl.modifyPermissions(fid, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: 0 }]);
    expect(server.acl.size).toBe(0);
    await acl.modifyPermissions(fid, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: REVIEWER }]);
    expect(Object.fromEntries(server.acl)).toEqual({ anyone: 'lrs' });
  });

  it('removing a member whose row has only letters without a MAPI right sends DELETEACL', async () => {
    await acl.modifyPermissions(fid, [{ op: 'add', member: member('bob'), rights: REVIEWER }]);
    server.acl.set('bob', 'ps'); // another IMAP client
    const bob = await rowOf('bob');
    expect(bob?.rights).toBe(0);
    server.sent = [];
    await acl.modifyPermissions(fid, [{ op: 'remove', memberId: bob!.memberId }]);
    expect(server.sent).toEqual(['DELETEACL bob']);
    expect(server.acl.has('bob')).toBe(false);
    expect(await rowOf('bob')).toBeUndefined();
  });

  it('an update takes away the letters it owns that the new rights do not map to, and keeps the server\'s own', async () => {
    await acl.modifyPermissions(fid, [{ op: 'add', member: member('bob'), rights: REVIEWER }]);
    server.acl.set('bob', 'lrsx');
    const bob = await rowOf('bob');
    expect(bob?.rights).toBe(REVIEWER);
    await acl.modifyPermissions(fid, [{ op: 'modify', memberId: bob!.memberId, rights: REVIEWER | RIGHT.FolderContact }]);
    expect(server.acl.get('bob')).toBe('lrs');
    server.acl.set('bob', 'lrs0');
    await acl.modifyPermissions(fid, [{ op: 'modify', memberId: bob!.memberId, rights: AUTHOR }]);
    expect(server.acl.get('bob')).toBe('lrswipte0');
  });

  it('a GETACL of rightsOf answered after a revoke is not kept: the revoke counts at once', async () => {
    await reset({}, 60_000);
    await acl.modifyPermissions(fid, [{ op: 'add', member: member('bob'), rights: REVIEWER }]);
    let release!: () => void;
    server.holdNextGetacl = new Promise<void>((r) => {
      release = r;
    });
    const check = acl.rightsOf(fid, 'bob');
    await expect.poll(() => server.getaclHeld).toBe(true);
    const bob = (await local.getPermissions(fid)).find((e) => e.username === 'bob');
    await acl.modifyPermissions(fid, [{ op: 'remove', memberId: bob!.memberId }]);
    expect(server.acl.has('bob')).toBe(false);
    release();
    expect(await check).toBe(REVIEWER); // a check already under way may still see the old rights
    expect(await acl.rightsOf(fid, 'bob')).toBe(0);
  });

  const letters = fc.subarray([...`${OWNED}0`], { minLength: 1 }).map((a) => a.join(''));
  const rights = fc.integer({ min: 0, max: MEMBER_RIGHTS_ALL }).map((r) => r & MEMBER_RIGHTS_ALL);

  it('after any change the changed member\'s rows hold what its rights map to, and it reads back as given (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ anyone: letters, authenticated: letters, bob: letters, carol: letters }, { requiredKeys: [] }),
      fc.constantFrom('', 'bob', 'carol'),
      fc.option(rights, { nil: undefined }),
      async (rows, who, after) => {
        await reset(rows);
        const list = await acl.getPermissions(fid);
        const entry = list.find((e) => (who === '' ? e.memberId === MEMBER_ID_DEFAULT : e.username === who));
        let change: PermissionChange;
        if (after === undefined) {
          if (!entry) return; // a member not in the list cannot be removed
          change = { op: 'remove', memberId: entry.memberId };
        } else if (entry) change = { op: 'modify', memberId: entry.memberId, rights: after };
        else change = { op: 'add', member: member(who), rights: after };
        await acl.modifyPermissions(fid, [change]);
        const mine = (id: string) => (who === '' ? id === 'anyone' || id === 'authenticated' : id === who);
        // the other rows are left as they were
        for (const [id, r] of Object.entries(rows)) if (!mine(id)) expect(server.acl.get(id)).toBe(r);
        const want = who === '' ? after ?? 0 : after;
        const changed = [...server.acl].filter(([id]) => mine(id));
        if (want === undefined) expect(changed).toEqual([]);
        for (const [id, r] of changed) {
          expect(modern(r)).toBe(mapiToImap(want!));
          expect(imapToMapi(r)).toBe(imapToMapi(mapiToImap(want!)));
          expect(foreign(r)).toBe(foreign((rows as Record<string, string>)[id] ?? ''));
        }
        if (want !== undefined && mapiToImap(want) !== '') expect(changed.length).toBeGreaterThan(0);
        const back = (await acl.getPermissions(fid)).find((e) => (who === '' ? e.memberId === MEMBER_ID_DEFAULT : e.username === who));
        expect(back?.rights).toBe(want);
      },
    ), { numRuns: 150 });
  });
});
