// The permissions of mirrored folders kept on the IMAP server (issue 8 item 4; docs/imap.md "ACL"): RFC 4314
// GETACL / SETACL / DELETEACL (3.1-3.3, 3.6) on the owner's connections, the MAPI side through the LocalMailbox's
// permissions table (backends/local/permissions.ts, MS-OXCPERM 2.2), the mapping in acl.ts. ImapMailbox calls this
// for folders that mirror a selectable IMAP mailbox only; every other folder keeps the local table alone.
//
// - getPermissions: GETACL, then the local rows are brought in step with it (rights another client set or removed;
//   a user known only from GETACL is added with its identifier as display name and a DN next to the owner's, as the
//   built-in directory spells them), then the local list is returned: member ids stay stable.
// - modifyPermissions: GETACL + the same reconcile, the changes worked out against the current list (an unknown
//   member id is NotFound before anything is sent), then for each member the changes name, one SETACL (or DELETEACL
//   when no right is left) per GETACL identifier it is read from whose rights differ from what the change maps to
//   (aclUpdate: the Default member is every "anyone" and "authenticated" row, or "anyone" when it has none), then the
//   local change. A refused SETACL/DELETEACL (no 'a' right, mailbox gone, bad identifier) puts back the IMAP rights
//   already changed (best effort, logged) and throws OC_IMAP_ACL (ecAccessDenied for [NOPERM], else ecError) with
//   nothing changed locally; a server without the ACL capability is OC_IMAP_NO_ACL (ecNotSupported).
// - rightsOf(fid, user): the owner has every right; another user gets mergeRights of its GETACL row and local row,
//   else the Default member's ("anyone"). For rightsOf, GETACL answers are kept 1 s per folder (a ROP checks rights
//   several times); getPermissions and modifyPermissions always ask the server, and a change drops the kept answer
//   (a GETACL that was running meanwhile does not keep its answer either).
// - getPermissions and rightsOf answer from the local table when the IMAP server cannot be reached or has no ACL
//   capability (logged); other failures are thrown.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../../util/log.js';
import { SEC, StoreError } from '../../errors.js';
import {
  MEMBER_ID_ANONYMOUS, MEMBER_ID_DEFAULT, MEMBER_RIGHTS_ALL, MEMBER_RIGHTS_FREEBUSY,
  type PermissionChange, type PermissionEntry,
} from '../../types.js';
import type { LocalMailbox } from '../local/mailbox.js';
import {
  ANYONE, AclError, aclUpdate, identifierKind, mergeRights, parseAclResponse, siblingDn, type RawUntagged,
} from './acl.js';
import { rawCommand as command, str } from './command.js';
import type { MirrorContext } from './folders.js';
import { mirroredFolder } from './writeback-util.js';

const DOWN_CODES = new Set(['OC_IMAP_CONNECT', 'OC_IMAP_TIMEOUT', 'OC_IMAP_BUSY', 'OC_IMAP_CLOSED']);
const hex = (id: bigint): string => `0x${id.toString(16)}`;


/** A refused ACL command as a StoreError (the server's text in the message). */
function aclError(what: string, e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  if (e instanceof AclError) return new StoreError(e.code, SEC.Error, `${what}: ${e.message}`);
  const err = e as { responseText?: string; serverResponseCode?: string; message?: string } | undefined;
  const code = err?.serverResponseCode;
  return new StoreError('OC_IMAP_ACL', code === 'NOPERM' ? SEC.AccessDenied : SEC.Error, `${what}: ${err?.responseText || err?.message || String(e)}`, code ? { imapCode: code } : undefined);
}

const noAcl = (): StoreError => new StoreError('OC_IMAP_NO_ACL', SEC.NotSupported, 'the IMAP server has no ACL capability (RFC 4314): folder permissions of mail folders cannot be kept');

/** A member as the change works it out (key '' for Default, else the lower-case username). */
interface Member {
  identifier: string;
  memberId: bigint | null;
  after: number | undefined;
  /** Named by a change (or every user with replace): only these members' ACL rows are written. */
  touched: boolean;
}

/** One SETACL (rights) or DELETEACL (rights ''). */
interface AclOp {
  identifier: string;
  rights: string;
}

export class ImapAcl {
  private readonly cache = new Map<bigint, { at: number; acl: Map<string, string> | null }>();
  /** Bumped by every change of a folder's ACL through modifyPermissions; see getAcl. */
  private readonly generation = new Map<bigint, number>();

  constructor(
    private readonly local: LocalMailbox,
    private readonly ctx: MirrorContext,
    private readonly log: Logger,
    private readonly cacheMs = 1000,
  ) {}

  /** The IMAP name of the mailbox a folder mirrors, or null (not mirrored, \Noselect). */
  async mailboxOf(fid: bigint): Promise<string | null> {
    return (await mirroredFolder(this.ctx, fid))?.row.imapName ?? null;
  }

  private get owner(): string {
    return this.local.owner.username;
  }

  /** GETACL of `name` (identifier -> rights), or null when the server has no ACL capability. */
  async getAcl(fid: bigint, name: string, fresh: boolean): Promise<Map<string, string> | null> {
    const hit = this.cache.get(fid);
    if (!fresh && hit && Date.now() - hit.at < this.cacheMs) return hit.acl;
    const gen = this.generation.get(fid) ?? 0;
    const acl = await this.ctx.pool.run(this.owner, async (client) => {
      if (!client.capabilities.has('ACL')) return null;
      let lines: RawUntagged[];
      try {
        lines = await command(client, 'GETACL', [str(name)], 'ACL');
      } catch (e) {
        throw aclError(`GETACL ${name}`, e);
      }
      const out = new Map<string, string>();
      for (const u of lines) {
        let p;
        try {
          p = parseAclResponse(u);
        } catch (e) {
          throw aclError(`GETACL ${name}`, e);
        }
        if (p.mailbox !== name) continue;
        for (const [id, rights] of p.entries) out.set(id, rights);
      }
      return out;
    });
    // an answer that was on its way while modifyPermissions changed the ACL may be older than the change: kept, it
    // would let a revoked user in for up to cacheMs
    if ((this.generation.get(fid) ?? 0) === gen) this.cache.set(fid, { at: Date.now(), acl });
    return acl;
  }

  /** Forgets the kept GETACL answer of `fid`, and any answer still on its way (our own changes count at once). */
  private changed(fid: bigint): void {
    this.cache.delete(fid);
    this.generation.set(fid, (this.generation.get(fid) ?? 0) + 1);
  }

  /**
   * The identifiers of a GETACL answer that `split` reads as the member `key` ('' for Default: every "anyone" and
   * "authenticated" row), or `fallback` alone when there is none: a change has to write all of them, or a right left
   * on one of them still counts.
   */
  private identifiersOf(acl: Map<string, string>, key: string, fallback: string): string[] {
    const ids = [...acl.keys()].filter((id) => {
      const k = identifierKind(id);
      if (key === '') return k.kind === 'default';
      return k.kind === 'user' && this.ctx.pool.credentials.usernameOf(k.username)?.toLowerCase() === key;
    });
    return ids.length > 0 ? ids : [fallback];
  }

  /** GETACL for reading: null (answer from the local table) when the server is away or has no ACL. */
  private async readAcl(fid: bigint, name: string, fresh: boolean): Promise<Map<string, string> | null> {
    try {
      return await this.getAcl(fid, name, fresh);
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!DOWN_CODES.has(code)) throw e;
      this.log.warn({ user: this.owner, fid: hex(fid), code, err: (e as Error).message }, 'IMAP server not reachable: folder permissions from the local table');
      return null;
    }
  }

  /** The ACL identifier of a member: the imap.loginName of its username. */
  private identifierOf(username: string): string {
    return this.ctx.pool.credentials.loginName(username);
  }

  /** Default-member and per-user rights of a GETACL answer, by username (owner, skipped identifiers left out). */
  private split(acl: Map<string, string>): { dflt: string | undefined; users: Map<string, { id: string; rights: string }> } {
    let dflt: string | undefined;
    const users = new Map<string, { id: string; rights: string }>();
    for (const [id, rights] of acl) {
      const k = identifierKind(id);
      if (k.kind === 'default') dflt = (dflt ?? '') + rights;
      else if (k.kind === 'user') {
        // a user's identifier is its imap.loginName; one not in that form is no user of this server's (left out)
        const username = this.ctx.pool.credentials.usernameOf(k.username);
        if (username !== null && username.toLowerCase() !== this.owner.toLowerCase()) users.set(username.toLowerCase(), { id: username, rights });
      }
    }
    return { dflt, users };
  }

  /** Brings the local rows of `fid` in step with a GETACL answer. */
  private async reconcile(fid: bigint, acl: Map<string, string>): Promise<void> {
    const list = await this.local.getPermissions(fid);
    const { dflt, users } = this.split(acl);
    const changes: PermissionChange[] = [];
    const d = list.find((e) => e.memberId === MEMBER_ID_DEFAULT);
    const dRights = mergeRights(d?.rights ?? 0, dflt) ?? 0;
    if (d && dRights !== d.rights) changes.push({ op: 'modify', memberId: MEMBER_ID_DEFAULT, rights: dRights });
    const seen = new Set<string>();
    for (const e of list) {
      if (e.memberId === MEMBER_ID_DEFAULT || e.memberId === MEMBER_ID_ANONYMOUS) continue;
      const key = e.username.toLowerCase();
      seen.add(key);
      const m = mergeRights(e.rights, users.get(key)?.rights);
      if (m === undefined) changes.push({ op: 'remove', memberId: e.memberId });
      else if (m !== e.rights) changes.push({ op: 'modify', memberId: e.memberId, rights: m });
    }
    for (const [key, { id, rights }] of users) {
      if (seen.has(key)) continue;
      const m = mergeRights(undefined, rights);
      const dn = siblingDn(this.local.owner.legacyDn, id);
      if (!m || dn === '') continue;
      changes.push({ op: 'add', member: { username: id, displayName: id, legacyDn: dn }, rights: m });
    }
    if (changes.length > 0) {
      this.log.info({ user: this.owner, fid: hex(fid), changes: changes.length }, 'folder permissions follow the IMAP ACL changed by another client');
      await this.local.modifyPermissions(fid, changes);
    }
  }

  async getPermissions(fid: bigint): Promise<PermissionEntry[]> {
    const name = await this.mailboxOf(fid);
    if (name !== null) {
      const acl = await this.readAcl(fid, name, true);
      if (acl) await this.reconcile(fid, acl);
    }
    return this.local.getPermissions(fid);
  }

  async rightsOf(fid: bigint, username: string): Promise<number> {
    if (username.toLowerCase() === this.owner.toLowerCase()) return this.local.rightsOf(fid, username);
    const name = await this.mailboxOf(fid);
    const acl = name === null ? null : await this.readAcl(fid, name, false);
    if (!acl) return this.local.rightsOf(fid, username);
    const list = await this.local.getPermissions(fid);
    const { dflt, users } = this.split(acl);
    const key = username.toLowerCase();
    const own = list.find((e) => e.memberId !== MEMBER_ID_DEFAULT && e.memberId !== MEMBER_ID_ANONYMOUS && e.username.toLowerCase() === key);
    const mine = mergeRights(own?.rights, users.get(key)?.rights);
    if (mine !== undefined) return mine;
    const d = list.find((e) => e.memberId === MEMBER_ID_DEFAULT);
    return mergeRights(d?.rights ?? 0, dflt) ?? 0;
  }

  async modifyPermissions(fid: bigint, changes: readonly PermissionChange[], opts: { replace?: boolean } = {}): Promise<void> {
    const name = await this.mailboxOf(fid);
    if (name === null) return this.local.modifyPermissions(fid, changes, opts);
    let acl: Map<string, string> | null;
    try {
      acl = await this.getAcl(fid, name, true);
    } catch (e) {
      throw aclError(`GETACL ${name}`, e);
    }
    if (!acl) throw noAcl();
    await this.reconcile(fid, acl);
    const members = this.plan(await this.local.getPermissions(fid), changes, opts);
    const ops: AclOp[] = [];
    for (const [key, m] of members) {
      if (!m.touched) continue;
      for (const identifier of this.identifiersOf(acl, key, m.identifier)) {
        const rights = aclUpdate(acl.get(identifier), m.after);
        if (rights !== null) ops.push({ identifier, rights });
      }
    }
    const done: AclOp[] = [];
    try {
      await this.ctx.pool.run(this.owner, async (client) => {
        for (const op of ops) {
          try {
            if (op.rights === '') await command(client, 'DELETEACL', [str(name), str(op.identifier)]);
            else await command(client, 'SETACL', [str(name), str(op.identifier), str(op.rights)]);
          } catch (e) {
            throw aclError(`${op.rights === '' ? 'DELETEACL' : 'SETACL'} ${name} ${op.identifier}`, e);
          }
          done.push(op);
        }
      });
      await this.local.modifyPermissions(fid, changes, opts);
    } catch (e) {
      this.changed(fid);
      await this.undo(fid, name, acl, done);
      this.log.warn({ user: this.owner, fid: hex(fid), mailbox: name, code: (e as { code?: string }).code, err: (e as Error).message }, 'folder permissions not changed');
      throw e;
    }
    this.changed(fid);
  }

  /** Puts back the IMAP rights of the identifiers already changed (best effort: failures are logged). */
  private async undo(fid: bigint, name: string, acl: Map<string, string>, done: readonly AclOp[]): Promise<void> {
    if (done.length === 0) return;
    try {
      await this.ctx.pool.run(this.owner, async (client) => {
        for (const op of done) {
          const old = acl.get(op.identifier);
          if (old === undefined || old === '') await command(client, 'DELETEACL', [str(name), str(op.identifier)]);
          else await command(client, 'SETACL', [str(name), str(op.identifier), str(old)]);
        }
      });
    } catch (e) {
      this.log.error({ user: this.owner, fid: hex(fid), mailbox: name, err: (e as Error).message }, 'IMAP ACL could not be put back after a failed change: GETACL differs from the folder permissions until the next change');
    }
  }

  /** The rights each member has after the changes (the rules of backends/local/permissions.ts), and which they name. */
  private plan(list: readonly PermissionEntry[], changes: readonly PermissionChange[], opts: { replace?: boolean }): Map<string, Member> {
    const members = new Map<string, Member>();
    for (const e of list) {
      if (e.memberId === MEMBER_ID_ANONYMOUS) continue;
      const key = e.memberId === MEMBER_ID_DEFAULT ? '' : e.username.toLowerCase();
      members.set(key, { identifier: key === '' ? ANYONE : this.identifierOf(e.username), memberId: e.memberId, after: e.rights, touched: false });
    }
    if (opts.replace) {
      for (const [k, m] of members) {
        if (k !== '') {
          m.after = undefined;
          m.memberId = null;
          m.touched = true;
        }
      }
    }
    const keep = (rights: number, old: number, keepFreeBusy: boolean | undefined): number => {
      const r = (rights >>> 0) & MEMBER_RIGHTS_ALL;
      return keepFreeBusy ? (r & ~MEMBER_RIGHTS_FREEBUSY) | (old & MEMBER_RIGHTS_FREEBUSY) : r;
    };
    for (const c of changes) {
      if (c.op === 'add') {
        if (c.member.username === '' || c.member.legacyDn === '') {
          throw new StoreError('OC_STORE_PERMISSION_MEMBER', SEC.InvalidParam, 'a permissions entry needs a user');
        }
        const key = c.member.username.toLowerCase();
        const m = members.get(key) ?? { identifier: this.identifierOf(c.member.username), memberId: null, after: undefined, touched: true };
        m.after = keep(c.rights, m.after ?? 0, c.keepFreeBusy);
        m.touched = true;
        members.set(key, m);
        continue;
      }
      if (c.memberId === MEMBER_ID_ANONYMOUS) continue;
      const m = c.memberId === MEMBER_ID_DEFAULT ? members.get('') : [...members.values()].find((x) => x.memberId === c.memberId && x.after !== undefined);
      if (!m) throw new StoreError('OC_STORE_PERMISSION_MEMBER', SEC.NotFound, `no member ${c.memberId} on the folder`);
      if (c.op === 'remove') m.after = c.memberId === MEMBER_ID_DEFAULT ? 0 : undefined;
      else m.after = keep(c.rights, m.after ?? 0, c.keepFreeBusy);
      m.touched = true;
    }
    return members;
  }
}
