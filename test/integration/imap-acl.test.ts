// IMAP ACL (RFC 4314) <-> folder permissions (MS-OXCPERM) for mirrored folders (issue 8 item 4;
// src/mapistore/backends/imap/acl.ts, acl-store.ts; docs/imap.md "ACL").
// Without a server: the rights mapping both ways, the merge with local rows, and the GETACL / MYRIGHTS readers
// against arbitrary and mutated input (fast-check). Against a real Dovecot (master-user mode) and the whole server
// (built-in directory with alice and bob; store.backend imap): alice grants bob Reviewer on her mirrored folder
// "Projects" through the store API and GETACL (imapflow as alice) shows "bob lrs"; bob's delegate logon to alice's
// mailbox (a LogonObject with delegateUser, checked by oxcperm.ts storeFolderRights/mayAny as the ROP handlers do)
// reads the folder's messages and is refused on alice's Inbox; revoking removes bob from GETACL and refuses him again;
// a row SETACL'd by another IMAP client shows in getPermissions with the mapped rights; "anyone" is the Default
// member (refused by this Dovecot: SETACL anyone needs acl_anyone = allow) and a refused command is OC_IMAP_ACL with
// the local list unchanged; a member another client cut down to letters without a MAPI right ("ps") is removed from
// GETACL by its RemoveRow; a Default member read from "anyone" and "authenticated" rows (written into the mailbox's
// dovecot-acl file, as this Dovecot refuses SETACL of them) set to None takes both rows away, so bob's delegate logon
// no longer reads the folder; an unknown member id is NotFound before anything goes to IMAP. Through the project's
// EMSMDB client (Python, inline below): RopModifyPermissions AddRow on alice's mirrored "Team" shows in GETACL, bob's
// RopLogon to alice's mailbox opens and reads it (refused before the grant and on alice's Inbox), RemoveRow takes bob
// out of GETACL and refuses him again.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AclError, LOCAL_ONLY_RIGHTS, RIGHT, imapToMapi, mapiToImap, mergeRights, parseAclResponse, parseMyRightsResponse, siblingDn,
} from '../../src/mapistore/backends/imap/acl.js';
import { ImapMailbox } from '../../src/mapistore/backends/imap/mailbox.js';
import { StoreError, SEC } from '../../src/mapistore/errors.js';
import { MEMBER_ID_DEFAULT, MEMBER_RIGHTS_ALL } from '../../src/mapistore/types.js';
import { LogonObject } from '../../src/rop/handlers/objects.js';
import { mayAny, storeFolderRights } from '../../src/rop/handlers/oxcperm.js';
import { imapBackendConfig, getAcl as getAclOf, imapCommand, startDovecot, str, type Dovecot } from '../helpers/dovecot.js';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/full-server.js';

const REVIEWER = RIGHT.ReadAny | RIGHT.FolderVisible;
const AUTHOR = 0x41b;
const EDITOR = 0x47b;
const OWNER_ROLE = 0x7fb;
const PidTagSubject = 0x0037001f;
const EMSMDB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../interop/emsmdb');

// RopModifyPermissions and the delegate logon through the project's EMSMDB client (test/interop/emsmdb: messages_day's
// Client on ocemsmdb, rops, rops_msg). "grant": B logs on to A's mailbox (RopLogon with A's DN, LogonId 1) and is
// refused the folder; A adds B as Reviewer (AddRow, B's address-book EntryID); B opens the folder and reads its
// contents table; B is refused A's Inbox. "revoke": A finds B's row in RopGetPermissionsTable and removes it
// (RemoveRow by PidTagMemberId); B is refused the folder again. One JSON object on stdout.
const EMSMDB_PERMISSIONS = `
import json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import messages_day as D, ocemsmdb as O, rops as R, rops_msg as M
class Args: pass
a = Args()
a.host, a.epm_port, a.password, a.domain = sys.argv[2], int(sys.argv[3]), sys.argv[4], 'TEST'
a_dn, b_dn, fid, inbox, phase = sys.argv[5], sys.argv[6], int(sys.argv[7]), int(sys.argv[8]), sys.argv[9]
a.port = O.port_from_binding(O.epm_lookup(a.host, a.epm_port))
class Run: pass
run = Run(); run.a = a
out = {}
A = D.Client(run, 'A', 'alice', a_dn); A.connect()
B = D.Client(run, 'B', 'bob', b_dn); B.connect()
r = B.m.one(lambda i: R.RopLogon(a_dn, logon_flags=0x01, open_flags=0x01000000, logon_id=1, out_index=i['alogon']), outs=['alogon'])
out['delegateLogon'] = r['ReturnValue']
def b_open(target, name):
    r = B.open_folder(target, name, 'alogon', 1)
    if r['ReturnValue'] == 0:
        rows = B.contents(name, [D.PidTagSubject], logon_id=1, what='contents')
        B.release(name)
        return {'rv': 0, 'subjects': sorted(x[D.PidTagSubject] for x in rows)}
    return {'rv': r['ReturnValue']}
A.one(lambda i: R.RopOpenFolder(fid, in_index=i['logon'], out_index=i['P']), ['logon'], ['P'], what='open folder')
if phase == 'grant':
    out['before'] = b_open(fid, 'f')
    A.one(lambda i: M.RopModifyPermissions([(M.PERM_ADD_ROW, [(D.PidTagEntryId, D.ab_entryid(b_dn)), (D.PidTagMemberRights, D.ROLE_REVIEWER)])], in_index=i['P']), ['P'], what='RopModifyPermissions(AddRow)')
    out['after'] = b_open(fid, 'f')
    out['inbox'] = b_open(inbox, 'i')
else:
    cols = [D.PidTagMemberId, D.PidTagMemberName, D.PidTagMemberRights, D.PidTagEntryId]
    rows = A.table_rows('P', lambda i, o: M.RopGetPermissionsTable(0, in_index=i, out_index=o), cols, 'pt', what='permissions table')
    mine = [x for x in rows if x[3] == D.ab_entryid(b_dn)]
    out['row'] = {'name': mine[0][1], 'rights': mine[0][2]} if mine else None
    if mine:
        member = mine[0][0]
        A.one(lambda i: M.RopModifyPermissions([(M.PERM_REMOVE_ROW, [(D.PidTagMemberId, member)])], in_index=i['P']), ['P'], what='RopModifyPermissions(RemoveRow)')
    out['after'] = b_open(fid, 'f')
print(json.dumps(out))
sys.stdout.flush()
os._exit(0)
`;

function emsmdb(args: string[]): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', EMSMDB_PERMISSIONS, EMSMDB_DIR, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const line = String(stdout).trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      } catch {
        reject(new Error(`EMSMDB permissions script failed (${err?.message ?? 'no JSON'}):\n${String(stdout)}\n${String(stderr)}`));
      }
    });
  });
}

describe('MS-OXCPERM rights <-> RFC 4314 rights (no server)', () => {
  it('maps the roles to the documented IMAP rights', () => {
    expect(mapiToImap(REVIEWER)).toBe('lrs');
    expect(mapiToImap(AUTHOR)).toBe('lrswipte');
    expect(mapiToImap(EDITOR)).toBe('lrswipte');
    expect(mapiToImap(OWNER_ROLE)).toBe('lrswipkxtea');
    expect(mapiToImap(RIGHT.Create | RIGHT.FolderVisible)).toBe('lip');
    expect(mapiToImap(LOCAL_ONLY_RIGHTS)).toBe('');
    expect(imapToMapi('lrs')).toBe(REVIEWER);
    expect(imapToMapi('lrswipkxtea')).toBe(OWNER_ROLE & ~RIGHT.FolderContact);
    // RFC 4314 2.1.1 obsolete c and d
    expect(imapToMapi('lrcd')).toBe(REVIEWER | RIGHT.CreateSubFolder | RIGHT.DeleteOwned | RIGHT.DeleteAny);
  });

  it('IMAP rights of any MAPI rights read back to the same IMAP rights; local bits survive their own ACL', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (r) => {
      const imap = mapiToImap(r);
      expect(imap).toMatch(/^l?r?s?w?i?p?k?x?t?e?a?$/);
      expect(mapiToImap(imapToMapi(imap))).toBe(imap);
      expect(imapToMapi(imap) & LOCAL_ONLY_RIGHTS).toBe(0);
      const local = r & MEMBER_RIGHTS_ALL;
      expect(mergeRights(local, imap === '' ? undefined : imap)).toBe(local);
    }));
  });

  it('another client\'s rights win over the local bits, local-only bits stay', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MEMBER_RIGHTS_ALL }).map((r) => r & MEMBER_RIGHTS_ALL), fc.stringMatching(/^[lrswipkxteacd]{0,12}$/), (local, imap) => {
      const m = mergeRights(local, imap);
      if (imapToMapi(mapiToImap(local)) === imapToMapi(imap)) expect(m).toBe(local);
      else expect(m).toBe(imapToMapi(imap) | (local & LOCAL_ONLY_RIGHTS));
    }));
    expect(mergeRights(AUTHOR | RIGHT.FolderContact, undefined)).toBe(RIGHT.FolderContact);
    expect(mergeRights(AUTHOR, undefined)).toBeUndefined();
    expect(mergeRights(RIGHT.FreeBusySimple, undefined)).toBe(RIGHT.FreeBusySimple);
    expect(mergeRights(undefined, 'lr')).toBe(REVIEWER);
  });

  const atom = (value: unknown) => ({ type: 'ATOM', value });
  const attr = fc.oneof(
    fc.string().map(atom),
    fc.uint8Array({ maxLength: 8 }).map((b) => ({ type: 'STRING', value: Buffer.from(b) })),
    fc.constant(null),
    fc.constant(atom(undefined)),
    fc.array(fc.string().map(atom), { maxLength: 3 }).map((a) => ({ type: 'LIST', value: a })),
    fc.integer().map(atom),
  );

  it('GETACL / MYRIGHTS readers give a value or an AclError for any attributes', () => {
    fc.assert(fc.property(fc.option(fc.array(attr, { maxLength: 9 }), { nil: undefined }), (attributes) => {
      for (const parse of [parseAclResponse, parseMyRightsResponse]) {
        try {
          parse({ attributes });
        } catch (e) {
          expect(e).toBeInstanceOf(AclError);
          expect((e as AclError).code).toBe('OC_IMAP_ACL_PARSE');
        }
      }
    }));
  });

  it('reads well-formed answers, also when mutated', () => {
    const good = [atom('Projects'), atom('alice'), atom('lrswipkxtea'), atom('bob'), atom('lrs')];
    const p = parseAclResponse({ attributes: good });
    expect(p.mailbox).toBe('Projects');
    expect([...p.entries]).toEqual([['alice', 'lrswipkxtea'], ['bob', 'lrs']]);
    expect(parseMyRightsResponse({ attributes: [atom('INBOX'), atom('LRS')] })).toEqual({ mailbox: 'INBOX', rights: 'lrs' });
    expect(() => parseAclResponse({ attributes: [atom('x'), atom('bob')] })).toThrow(AclError);
    expect(() => parseAclResponse({ attributes: [atom('x'), atom('bob'), atom('l r')] })).toThrow(AclError);
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), attr, fc.boolean(), (i, repl, drop) => {
      const a: unknown[] = [...good];
      if (drop) a.splice(i, 1);
      else a[i] = repl;
      try {
        const r = parseAclResponse({ attributes: a });
        for (const v of r.entries.values()) expect(v).toMatch(/^[a-z0-9]*$/);
      } catch (e) {
        expect(e).toBeInstanceOf(AclError);
      }
    }));
  });

  it('a member known only by its identifier gets a DN next to the owner\'s', () => {
    expect(siblingDn('/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice', 'carol'))
      .toBe('/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=carol');
    expect(siblingDn('no-dn', 'carol')).toBe('');
  });
});

describe('IMAP ACL and delegate access over a real Dovecot and the whole server', () => {
  let d: Dovecot;
  let ts: TestServer;
  let mb: ImapMailbox;
  let admin: ImapFlow;
  let projects: bigint;
  let bob: { username: string; displayName: string; legacyDn: string };
  let aliceDn: string;

  const getAcl = (box: string): Promise<Record<string, string>> => getAclOf(admin, box);
  /** IMAP rights as a set of letters (Dovecot writes its own order and adds RFC 4314 2.1.1 "c"/"d"). */
  const letters = (r: string | undefined): string => [...(r ?? '')].filter((c) => c !== 'c' && c !== 'd').sort().join('');
  const setAcl = async (id: string, rights: string) => {
    try {
      await imapCommand(admin, 'SETACL', [str('Projects'), str(id), str(rights)]);
    } catch (e) {
      throw new Error(`SETACL ${id} ${rights}: ${(e as { responseText?: string }).responseText}`);
    }
  };
  const asBob = () => new LogonObject(1, mb, 0, 0, 'bob');
  /** Subjects bob reads in a folder, or null when the ROP layer would refuse RopGetContentsTable (ReadAny). */
  const bobReads = async (fid: bigint): Promise<string[] | null> => {
    const logon = asBob();
    if (!(await mayAny(logon, fid, RIGHT.ReadAny))) return null;
    const rows = await logon.store.contentsRows(fid, { tags: [PidTagSubject] });
    return rows.map((r) => String(r.props.get(PidTagSubject))).sort();
  };

  beforeAll(async () => {
    d = await startDovecot({ mode: 'master' });
    admin = new ImapFlow({ ...d.clientOptions('alice'), logger: false });
    await admin.connect();
    await admin.mailboxCreate('Projects');
    for (const s of ['plan one', 'plan two']) {
      await admin.append('Projects', Buffer.from(`From: Eve <eve@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${s}\r\nMessage-ID: <${s.replace(' ', '.')}@example.org>\r\n\r\nBody.\r\n`));
    }
    await admin.mailboxCreate('Team');
    await admin.append('Team', Buffer.from('From: Eve <eve@example.org>\r\nSubject: team notes\r\nMessage-ID: <team@example.org>\r\n\r\nBody.\r\n'));
    await admin.append('INBOX', Buffer.from('From: Eve <eve@example.org>\r\nSubject: private\r\nMessage-ID: <private@example.org>\r\n\r\nBody.\r\n'));
    ts = await startTestServer(imapBackendConfig(d), [['alice', PASSWORD], ['bob', PASSWORD]]);
    const alice = (await ts.directory.findUser('alice'))!;
    const b = (await ts.directory.findUser('bob'))!;
    aliceDn = alice.legacyExchangeDN;
    bob = { username: b.username, displayName: b.displayName, legacyDn: b.legacyExchangeDN };
    mb = (await ts.server.store!.openMailbox({ username: 'alice', displayName: alice.displayName, legacyDn: alice.legacyExchangeDN })) as ImapMailbox;
    projects = (await mb.mirror.folderOf('Projects'))!;
  }, 120_000);
  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await ts?.close();
    await d?.stop();
  });

  it('the folder is mirrored and bob has no rights yet', async () => {
    expect(mb).toBeInstanceOf(ImapMailbox);
    expect(projects).toBeTypeOf('bigint');
    expect(await getAcl('Projects')).not.toHaveProperty('bob');
    expect(await bobReads(projects)).toBeNull();
    expect(await storeFolderRights(asBob(), projects)).toBe(0);
  });

  it('a Reviewer grant shows in GETACL as lrs and lets bob read the folder, not the Inbox', async () => {
    await mb.modifyPermissions(projects, [{ op: 'add', member: bob, rights: REVIEWER }]);
    expect(letters((await getAcl('Projects')).bob)).toBe('lrs');
    const list = await mb.getPermissions(projects);
    expect(list.find((e) => e.username === 'bob')).toMatchObject({ rights: REVIEWER, legacyDn: bob.legacyDn });
    expect(await storeFolderRights(asBob(), projects)).toBe(REVIEWER);
    expect(await bobReads(projects)).toEqual(['plan one', 'plan two']);
    // Reviewer does not delete
    expect(await mayAny(asBob(), projects, RIGHT.DeleteAny | RIGHT.DeleteOwned)).toBe(false);
    expect(await bobReads(mb.special.inbox)).toBeNull();
    expect(await getAcl('INBOX')).not.toHaveProperty('bob');
  });

  it('an Author grant keeps its exact MAPI bits while GETACL shows the mapped rights', async () => {
    const [entry] = (await mb.getPermissions(projects)).filter((e) => e.username === 'bob');
    await mb.modifyPermissions(projects, [{ op: 'modify', memberId: entry!.memberId, rights: AUTHOR | RIGHT.FolderContact }]);
    expect(letters((await getAcl('Projects')).bob)).toBe(letters('lrswipte'));
    expect(await storeFolderRights(asBob(), projects)).toBe(AUTHOR | RIGHT.FolderContact);
    await mb.modifyPermissions(projects, [{ op: 'modify', memberId: entry!.memberId, rights: REVIEWER }]);
    expect(letters((await getAcl('Projects')).bob)).toBe('lrs');
  });

  it('revoking removes bob from GETACL and refuses him again', async () => {
    const [entry] = (await mb.getPermissions(projects)).filter((e) => e.username === 'bob');
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: entry!.memberId }]);
    expect(await getAcl('Projects')).not.toHaveProperty('bob');
    expect((await mb.getPermissions(projects)).some((e) => e.username === 'bob')).toBe(false);
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s GETACL cache of rights checks
    expect(await bobReads(projects)).toBeNull();
  });

  it('rows set by another IMAP client show in getPermissions and count for rights', async () => {
    await setAcl('bob', 'lrswi');
    await setAcl('carol', 'lr');
    const list = await mb.getPermissions(projects);
    expect(list.find((e) => e.username === 'bob')?.rights).toBe(REVIEWER | RIGHT.Create | RIGHT.EditOwned | RIGHT.EditAny);
    const carol = list.find((e) => e.username === 'carol');
    expect(carol).toMatchObject({ rights: REVIEWER, displayName: 'carol' });
    expect(carol!.legacyDn).toMatch(/\/cn=Recipients\/cn=carol$/);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await bobReads(projects)).toEqual(['plan one', 'plan two']);
    // another client removes bob: the local row follows
    await imapCommand(admin, 'DELETEACL', [str('Projects'), str('bob')]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await storeFolderRights(asBob(), projects)).toBe(0); // the Default member's
    expect((await mb.getPermissions(projects)).some((e) => e.username === 'bob')).toBe(false);
  });

  it('the Default member is "anyone": refused by a Dovecot without acl_anyone = allow, nothing changed locally', async () => {
    // this harness keeps Dovecot's default: SETACL anyone is "'anyone' identifier is disallowed"
    const before = await mb.getPermissions(projects);
    const err = await mb.modifyPermissions(projects, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: REVIEWER }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('OC_IMAP_ACL');
    expect((err as StoreError).message).toMatch(/SETACL Projects anyone: .*anyone/);
    expect(await mb.local.getPermissions(projects)).toEqual(before);
    expect(await getAcl('Projects')).not.toHaveProperty('anyone');
    // a Default change that maps to no IMAP right (FreeBusy, FolderContact) needs no SETACL
    await mb.modifyPermissions(projects, [{ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: RIGHT.FolderContact }]);
    expect((await mb.getPermissions(projects)).find((e) => e.memberId === MEMBER_ID_DEFAULT)?.rights).toBe(RIGHT.FolderContact);
  });

  it('removing a member whose row another client cut down to letters without a MAPI right takes it off GETACL', async () => {
    await mb.modifyPermissions(projects, [{ op: 'add', member: bob, rights: REVIEWER }]);
    await setAcl('bob', 'ps'); // p and s alone map to no MAPI right
    const entry = (await mb.getPermissions(projects)).find((e) => e.username === 'bob');
    expect(entry?.rights).toBe(0);
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: entry!.memberId }]);
    expect(await getAcl('Projects')).not.toHaveProperty('bob');
    expect((await mb.getPermissions(projects)).some((e) => e.username === 'bob')).toBe(false);
  });

  it('Default set to None takes away both "anyone" and "authenticated": logged-in users lose the folder', async () => {
    await imapCommand(admin, 'DELETEACL', [str('Projects'), str('bob')]); // bob reads through the Default member
    // SETACL of either is refused here (no acl_anyone = allow), DELETEACL is not: the rows go into Dovecot's vfile
    const file = path.join(d.dir, 'home', 'alice', 'Maildir', '.Projects', 'dovecot-acl');
    const owner = fs.statSync(path.dirname(file));
    fs.appendFileSync(file, 'anyone l\nauthenticated lr\n');
    fs.chownSync(file, owner.uid, owner.gid);
    expect(await getAcl('Projects')).toMatchObject({ anyone: 'l', authenticated: 'lr' });
    expect(((await mb.getPermissions(projects)).find((e) => e.memberId === MEMBER_ID_DEFAULT)!.rights & ~LOCAL_ONLY_RIGHTS)).toBe(REVIEWER);
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s GETACL cache of rights checks
    expect(await bobReads(projects)).toEqual(['plan one', 'plan two']); // bob has no row: the Default member's rights
    await mb.modifyPermissions(projects, [{ op: 'remove', memberId: MEMBER_ID_DEFAULT }]);
    const after = await getAcl('Projects');
    expect(after).not.toHaveProperty('anyone');
    expect(after).not.toHaveProperty('authenticated');
    expect((await mb.getPermissions(projects)).find((e) => e.memberId === MEMBER_ID_DEFAULT)?.rights).toBe(0);
    expect(await bobReads(projects)).toBeNull();
  });

  it('an ACL command refused for a mailbox another client deleted is OC_IMAP_ACL, the local list stays', async () => {
    await admin.mailboxCreate('Gone');
    await mb.syncAll();
    const gone = (await mb.mirror.folderOf('Gone'))!;
    expect(gone).toBeTypeOf('bigint');
    await admin.mailboxDelete('Gone');
    const before = await mb.local.getPermissions(gone);
    const err = await mb.modifyPermissions(gone, [{ op: 'add', member: bob, rights: REVIEWER }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('OC_IMAP_ACL');
    expect((err as StoreError).ec).toBe(SEC.Error);
    expect(await mb.local.getPermissions(gone)).toEqual(before);
  });

  it('an unknown member id is NotFound before anything goes to IMAP; local folders keep the local table', async () => {
    const before = await getAcl('Projects');
    const err = await mb.modifyPermissions(projects, [{ op: 'add', member: bob, rights: REVIEWER }, { op: 'remove', memberId: 999_999n }]).catch((e: unknown) => e);
    expect((err as StoreError).ec).toBe(SEC.NotFound);
    expect(await getAcl('Projects')).toEqual(before);
    const cal = mb.special.calendar;
    await mb.modifyPermissions(cal, [{ op: 'add', member: bob, rights: REVIEWER }]);
    expect(await storeFolderRights(asBob(), cal)).toBe(REVIEWER);
  });

  it('RopModifyPermissions (EMSMDB client) shows in GETACL and lets bob\'s delegate logon read the folder', async () => {
    const team = (await mb.mirror.folderOf('Team'))!;
    const port = ts.server.ports.epm ?? ts.server.ports.rpc;
    const args = (phase: string) => ['127.0.0.1', String(port), PASSWORD, aliceDn, bob.legacyDn, String(team), String(mb.special.inbox), phase];
    const grant = await emsmdb(args('grant'));
    expect(grant.delegateLogon).toBe(0);
    expect(grant.before).toEqual({ rv: SEC.AccessDenied });
    expect(grant.after).toEqual({ rv: 0, subjects: ['team notes'] });
    expect(grant.inbox).toEqual({ rv: SEC.AccessDenied });
    expect(letters((await getAcl('Team')).bob)).toBe('lrs');
    const revoke = await emsmdb(args('revoke'));
    expect(revoke.row).toEqual({ name: bob.displayName, rights: REVIEWER });
    expect(await getAcl('Team')).not.toHaveProperty('bob');
    expect(revoke.after).toEqual({ rv: SEC.AccessDenied });
  }, 180_000);
});
