// Search folders of the embedded backend (MS-OXCFOLD 2.2.1.4-5 RopSetSearchCriteria / RopGetSearchCriteria,
// 3.2.5.4-5): the criteria of each search folder (restriction, scope folders, flags, state) and its contents, kept
// as links (search fid, mid) to the messages where they live. The contents follow the mailbox: this module listens
// on the mailbox's event bus (events-emit.ts) and re-evaluates the message an event names against every running
// dynamic search whose scope covers the message's folder.
//
// Choices where the spec leaves room:
// - the search runs synchronously inside RopSetSearchCriteria (3.2.5.4 allows answering before the folder is full;
//   the embedded store is fast enough to fill it first), then 'searchComplete' is reported on the bus;
// - SearchFlags: STOP+RESTART or RECURSIVE+SHALLOW together are ecInvalidParam (MAPI's SetSearchCriteria says the
//   pairs exclude each other); neither RECURSIVE nor SHALLOW means SHALLOW (2.2.1.4.1); neither STOP nor RESTART starts
//   a first search and keeps a later one as it was; CONTENT_INDEXED / NON_CONTENT_INDEXED are accepted and ignored
//   (every message is evaluated, so results are exact); unknown bits (MAPI's FOREGROUND/BACKGROUND_SEARCH, seen in the
//   MS-OXCFOLD 4.8.1 example as 0x20) are ignored;
// - the state answered (2.2.1.5.2): a running dynamic search is SEARCH_RUNNING (+ SEARCH_RECURSIVE), as the MS-OXCFOLD
//   4.9.2 example answers 0x00000001 once filled; a static search is SEARCH_STATIC | SEARCH_COMPLETE once filled and is
//   never updated afterwards; a stopped search keeps its contents as they were and is not updated;
// - the scope: every FolderId must be of this mailbox's replica, exist, and be neither the search folder itself
//   (2.2.1.4.1: "MUST NOT include the FID of the search folder") nor another search folder (they hold links, not
//   messages): else ecSearchFolderScopeViolation (ecNotFound for an unknown folder). A recursive scope takes every
//   generic folder below the scope folders at the time a message is evaluated (so folder moves are followed);
// - folder-associated (FAI) messages are never found by a search; the search folder's own FAI messages stay its own;
// - SUBRESTRICTION (recipients, attachments) evaluates to false: the evaluator gets no sub-object rows here;
// - a deleted message leaves every search folder, static ones included (a link to nothing is not shown);
// - a change of a search folder's contents is reported on the bus as ObjectModified of the search folder with its
//   new counts (what H3's folder events do for generic folders), so tables and hierarchy rows over it refresh;
// - message ROPs given a search folder's handle (delete, hard delete, set read flags, move/copy with it as source)
//   act on the linked messages in their own folders (linkedRows; messages.ts), which report the changes as theirs.
import { eidGlobcnt, eidReplId } from '../../../mapi/ids.js';
import { CP_UTF8 } from '../../../mapi/codepage.js';
import { RopReader, RopWriter } from '../../../mapi/buffer.js';
import { readRestriction, writeRestriction, type RopRestriction } from '../../../mapi/ropres.js';
import { lookupProp, RestrictionEvaluator, validateRestriction } from '../../../mapi/table/evaluate.js';
import type { TableRestriction } from '../../../mapi/table/types.js';
import type { PropValue } from '../../../mapi/props.js';
import type { MailboxEvent } from '../../events.js';
import { SEC, StoreError } from '../../errors.js';
import { pickProps } from '../../proppick.js';
import { TAG } from '../../tags.js';
import {
  FOLDER_SEARCH, SEARCH_EC, SEARCH_FLAGS, SEARCH_STATE,
  type ContentsOptions, type Row, type SearchCriteria, type SearchCriteriaChange,
} from '../../types.js';
import { messageProps } from './computed.js';
import { eid, g2n, REPL_ID, toMap } from './helpers.js';
import type { LocalMailbox } from './mailbox.js';
import type { FolderRow, MessageRow } from './schema.js';

export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS search_criteria (
  fid INTEGER PRIMARY KEY,
  restriction BLOB NOT NULL,
  scope TEXT NOT NULL,
  flags INTEGER NOT NULL,
  state INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS search_members (
  fid INTEGER NOT NULL,
  mid INTEGER NOT NULL,
  PRIMARY KEY (fid, mid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_members_mid ON search_members (mid);
`;

/** The criteria of one search folder as kept in memory (GLOBCNTs as numbers, like the SQLite columns). */
interface Criteria {
  fid: number;
  res: RopRestriction;
  scope: number[];
  /** Resolved SEARCH_FLAGS: exactly one of RESTART/STOP, one of RECURSIVE/SHALLOW, maybe STATIC. */
  flags: number;
  state: number;
}

const F = SEARCH_FLAGS;
const S = SEARCH_STATE;

const fail = (code: string, ec: number, msg: string): StoreError => new StoreError(code, ec, msg);

/** The restriction as stored: the ROP-buffer form with strings in UTF-8 (lossless for PT_STRING8 and PT_UNICODE). */
export function encodeStoredRestriction(res: RopRestriction): Buffer {
  const w = new RopWriter();
  writeRestriction(w, res, CP_UTF8);
  return Buffer.from(w.result());
}

export function decodeStoredRestriction(b: Buffer): RopRestriction {
  return readRestriction(new RopReader(b), CP_UTF8, { maxDepth: 256, maxNodes: 1_000_000 });
}

function isRunningDynamic(c: Criteria): boolean {
  return (c.state & S.SEARCH_RUNNING) !== 0 && (c.flags & F.STATIC_SEARCH) === 0;
}

export class SearchFolders {
  /** Criteria of every search folder that has some, by folder GLOBCNT. */
  private readonly criteria = new Map<number, Criteria>();
  private readonly st;

  constructor(private readonly mb: LocalMailbox) {
    mb.db.exec(SEARCH_SCHEMA);
    this.st = {
      members: mb.db.prepare('SELECT m.* FROM search_members s JOIN messages m ON m.mid = s.mid WHERE s.fid = ? ORDER BY m.mid'),
      counts: mb.db.prepare(
        'SELECT count(*) AS n, coalesce(sum(m.read = 0), 0) AS unread FROM search_members s JOIN messages m ON m.mid = s.mid WHERE s.fid = ?',
      ),
      isMember: mb.db.prepare('SELECT 1 FROM search_members WHERE fid = ? AND mid = ?'),
      add: mb.db.prepare('INSERT OR IGNORE INTO search_members (fid, mid) VALUES (?, ?)'),
      remove: mb.db.prepare('DELETE FROM search_members WHERE fid = ? AND mid = ?'),
      foldersOf: mb.db.prepare('SELECT fid FROM search_members WHERE mid = ?'),
      removeMid: mb.db.prepare('DELETE FROM search_members WHERE mid = ?'),
      clear: mb.db.prepare('DELETE FROM search_members WHERE fid = ?'),
      save: mb.db.prepare('INSERT OR REPLACE INTO search_criteria (fid, restriction, scope, flags, state) VALUES (?, ?, ?, ?, ?)'),
      folderMessages: mb.db.prepare('SELECT * FROM messages WHERE fid = ? AND assoc = 0 ORDER BY mid'),
      folder: mb.db.prepare('SELECT fid, parent, folder_type FROM folders WHERE fid = ?'),
      children: mb.db.prepare('SELECT fid, folder_type FROM folders WHERE parent = ?'),
    };
    for (const r of mb.db.prepare('SELECT * FROM search_criteria').all() as { fid: number; restriction: Buffer; scope: string; flags: number; state: number }[]) {
      try {
        this.criteria.set(r.fid, { fid: r.fid, res: decodeStoredRestriction(r.restriction), scope: JSON.parse(r.scope) as number[], flags: r.flags, state: r.state });
      } catch {
        // a row this version cannot read: the folder answers as never set up (the client sets it again)
      }
    }
    mb.events.subscribe((ev) => this.onEvent(ev));
  }

  // ------------------------------------------------------------------ Store API

  /** MailboxStore.getSearchCriteria. */
  get(fid: bigint): SearchCriteria | null {
    const f = this.searchFolderRow(fid);
    const c = this.criteria.get(f.fid);
    if (!c) return null;
    return { restriction: c.res, folderIds: c.scope.map((g) => eid(g)), searchFlags: c.flags, searchState: c.state };
  }

  /** MailboxStore.setSearchCriteria (called in the mailbox's serial chain). */
  set(fid: bigint, change: SearchCriteriaChange): void {
    const f = this.searchFolderRow(fid);
    const sf = change.searchFlags >>> 0;
    if ((sf & F.STOP_SEARCH) && (sf & F.RESTART_SEARCH)) throw fail('OC_STORE_SEARCH_FLAGS', SEC.InvalidParam, 'STOP_SEARCH with RESTART_SEARCH');
    if ((sf & F.RECURSIVE_SEARCH) && (sf & F.SHALLOW_SEARCH)) throw fail('OC_STORE_SEARCH_FLAGS', SEC.InvalidParam, 'RECURSIVE_SEARCH with SHALLOW_SEARCH');
    const prev = this.criteria.get(f.fid);
    const res = change.restriction ?? prev?.res;
    const scopeIds = change.folderIds.length > 0 ? change.folderIds : prev?.scope.map((g) => eid(g));
    if (!res || !scopeIds) throw fail('OC_STORE_SEARCH_NOT_INITIALIZED', SEARCH_EC.NotInitialized, 'no restriction or no scope set before');
    if (change.restriction) {
      try {
        validateRestriction(change.restriction as TableRestriction);
      } catch (e) {
        throw fail('OC_STORE_SEARCH_TOO_COMPLEX', SEARCH_EC.TooComplex, e instanceof Error ? e.message : 'restriction refused');
      }
    }
    const scope = change.folderIds.length > 0 ? this.checkScope(f, change.folderIds) : (prev as Criteria).scope;
    const nothingNew = change.restriction === null && change.folderIds.length === 0;

    let flags = 0;
    const restart = (sf & F.RESTART_SEARCH) !== 0;
    const stop = (sf & F.STOP_SEARCH) !== 0;
    const running = stop ? false : restart ? true : prev ? (prev.state & S.SEARCH_RUNNING) !== 0 || (prev.flags & F.STATIC_SEARCH) !== 0 : true;
    flags |= running ? F.RESTART_SEARCH : F.STOP_SEARCH;
    const recursive = sf & F.RECURSIVE_SEARCH ? true : sf & F.SHALLOW_SEARCH ? false : nothingNew && prev ? (prev.flags & F.RECURSIVE_SEARCH) !== 0 : false;
    flags |= recursive ? F.RECURSIVE_SEARCH : F.SHALLOW_SEARCH;
    const isStatic = nothingNew && prev && (sf & F.STATIC_SEARCH) === 0 ? (prev.flags & F.STATIC_SEARCH) !== 0 : (sf & F.STATIC_SEARCH) !== 0;
    if (isStatic) flags |= F.STATIC_SEARCH;
    flags |= sf & (F.CONTENT_INDEXED_SEARCH | F.NON_CONTENT_INDEXED_SEARCH);

    // fill (again) when the search runs and something changed or the client asks for a restart
    const fill = running && (!prev || !nothingNew || restart || flags !== prev.flags);
    let state = recursive ? S.SEARCH_RECURSIVE : 0;
    if (isStatic) state |= running || (prev && (prev.state & S.SEARCH_COMPLETE)) ? S.SEARCH_STATIC | S.SEARCH_COMPLETE : S.SEARCH_STATIC;
    else if (running) state |= S.SEARCH_RUNNING;

    const c: Criteria = { fid: f.fid, res, scope, flags, state };
    const bytes = encodeStoredRestriction(res);
    const found = fill ? this.evaluateAll(c) : null;
    this.mb.write(() => {
      this.st.save.run(f.fid, bytes, JSON.stringify(scope), flags, state);
      if (found) {
        this.st.clear.run(f.fid);
        for (const mid of found) this.st.add.run(f.fid, mid);
      }
    });
    this.criteria.set(f.fid, c);
    if (found) {
      this.contentsChanged(f.fid);
      this.mb.events.emit({ type: 'searchComplete', fid });
    }
  }

  /** The contents rows of a search folder (normal messages only): the linked messages with their own properties. */
  contentsRows(fid: number, o: ContentsOptions): Row[] {
    const rows = this.st.members.all(fid) as MessageRow[];
    return rows.map((r) => ({ id: eid(r.mid), props: toMap(pickProps(messageProps(this.mb.pctx, r), o.tags)) }));
  }

  /**
   * The messages a search folder links to, as they are stored in their own folders: those of `mids` (in that order,
   * each once; ids not linked are left out), or all of them for `null`. What message ROPs given a search folder's
   * handle act on (messages.ts).
   */
  linkedRows(fid: number, mids: readonly bigint[] | null): MessageRow[] {
    if (mids === null) return this.st.members.all(fid) as MessageRow[];
    const out: MessageRow[] = [];
    const seen = new Set<number>();
    for (const mid of mids) {
      if (eidReplId(mid) !== REPL_ID) continue;
      const g = g2n(eidGlobcnt(mid));
      if (seen.has(g) || this.st.isMember.get(fid, g) === undefined) continue;
      const r = this.mb.st.message.get(g) as MessageRow | undefined;
      if (!r) continue;
      seen.add(g);
      out.push(r);
    }
    return out;
  }

  /** Sets the counts of a search folder with criteria in its computed properties (LocalMailbox.folderPropsOf). */
  adjustFolderProps(fid: bigint, m: Map<number, PropValue>): void {
    if (this.criteria.size === 0 || eidReplId(fid) !== REPL_ID) return;
    const g = g2n(eidGlobcnt(fid));
    if (!this.criteria.has(g)) return;
    const n = this.st.counts.get(g) as { n: number; unread: number };
    m.set(TAG.ContentCount, n.n);
    m.set(TAG.ContentUnreadCount, n.unread);
  }

  // ------------------------------------------------------------------ evaluation

  private searchFolderRow(fid: bigint): FolderRow {
    const f = this.mb.folderRow(fid);
    if (f.folder_type !== FOLDER_SEARCH) throw fail('OC_STORE_NOT_SEARCH_FOLDER', SEARCH_EC.NotSearchFolder, `folder 0x${fid.toString(16)} is not a search folder`);
    return f;
  }

  private checkScope(f: FolderRow, ids: readonly bigint[]): number[] {
    const out: number[] = [];
    for (const id of ids) {
      if (eidReplId(id) !== REPL_ID) throw fail('OC_STORE_SEARCH_SCOPE', SEARCH_EC.SearchFolderScopeViolation, `scope folder of replica ${eidReplId(id)}`);
      const g = g2n(eidGlobcnt(id));
      const r = this.st.folder.get(g) as { fid: number; folder_type: number } | undefined;
      if (!r) throw fail('OC_STORE_NOT_FOUND', SEC.NotFound, `scope folder 0x${id.toString(16)} not found`);
      if (r.fid === f.fid || r.folder_type === FOLDER_SEARCH) {
        throw fail('OC_STORE_SEARCH_SCOPE', SEARCH_EC.SearchFolderScopeViolation, 'a search folder in a search scope');
      }
      if (!out.includes(g)) out.push(g);
    }
    return out;
  }

  /** The folders a search looks in: the scope, and for a recursive one every generic folder below it. */
  private scopeFolders(c: Criteria): number[] {
    const out = new Set<number>();
    const stack = [...c.scope];
    while (stack.length > 0) {
      const g = stack.pop() as number;
      if (out.has(g)) continue;
      const r = this.st.folder.get(g) as { fid: number; folder_type: number } | undefined;
      if (!r || r.folder_type === FOLDER_SEARCH) continue;
      out.add(g);
      if (c.flags & F.RECURSIVE_SEARCH) for (const k of this.st.children.all(g) as { fid: number }[]) stack.push(k.fid);
    }
    return [...out];
  }

  /** Whether a message in folder `fid` is inside the search's scope (ancestors walked for a recursive search). */
  private covers(c: Criteria, fid: number): boolean {
    if (c.scope.includes(fid)) return true;
    if ((c.flags & F.RECURSIVE_SEARCH) === 0) return false;
    let cur: number | null = fid;
    for (let guard = 0; cur !== null && guard < 10_000; guard++) {
      const r = this.st.folder.get(cur) as { parent: number | null; folder_type: number } | undefined;
      if (!r) return false;
      if (c.scope.includes(cur)) return true;
      cur = r.parent;
    }
    return false;
  }

  private matches(ev: RestrictionEvaluator, r: MessageRow, props: Map<number, PropValue> = messageProps(this.mb.pctx, r)): boolean {
    try {
      return ev.matches((t) => lookupProp(props, t), eid(r.mid));
    } catch {
      return false;
    }
  }

  /** MIDs (GLOBCNTs) of the messages in scope that satisfy the restriction: one evaluation pass. */
  private evaluateAll(c: Criteria): number[] {
    const ev = new RestrictionEvaluator(c.res as TableRestriction);
    const out: number[] = [];
    for (const g of this.scopeFolders(c)) {
      for (const r of this.st.folderMessages.all(g) as MessageRow[]) if (this.matches(ev, r)) out.push(r.mid);
    }
    return out;
  }

  // ------------------------------------------------------------------ keeping contents up to date

  private onEvent(ev: MailboxEvent): void {
    if (this.criteria.size === 0 || ev.type === 'searchComplete') return;
    if (eidReplId(ev.fid) !== REPL_ID) return;
    // a deleted folder (a search folder itself, or folders holding linked messages)
    if (ev.mid === undefined && ev.type === 'objectDeleted') return this.sweep();
    const fidG = g2n(eidGlobcnt(ev.fid));
    // our own reports (and anything else about a search folder itself) change nothing here
    if (this.criteria.has(fidG)) return;
    if (ev.mid !== undefined) {
      if (ev.type === 'objectDeleted') this.dropMessage(g2n(eidGlobcnt(ev.mid)));
      else this.update(ev.mid);
      return;
    }
    // folder events
    if (ev.type === 'objectModified' && ev.totalCount === 0) this.sweep();
    else if (ev.type === 'objectMoved' || ev.type === 'objectCopied') this.refillRecursive();
  }

  /**
   * Re-evaluates one message against every running dynamic search (call after a store change when the bus did not
   * report it). A message that is gone leaves every search folder.
   */
  update(mid: bigint): void {
    if (this.criteria.size === 0 || eidReplId(mid) !== REPL_ID) return;
    const g = g2n(eidGlobcnt(mid));
    const r = this.mb.st.message.get(g) as MessageRow | undefined;
    if (!r) return this.dropMessage(g);
    const changed: number[] = [];
    const ops: Array<() => void> = [];
    let props: Map<number, PropValue> | undefined;
    for (const c of this.criteria.values()) {
      if (!isRunningDynamic(c)) continue;
      const inScope = r.assoc === 0 && this.covers(c, r.fid);
      if (inScope) props ??= messageProps(this.mb.pctx, r);
      const want = inScope && this.matches(new RestrictionEvaluator(c.res as TableRestriction), r, props);
      const has = this.st.isMember.get(c.fid, g) !== undefined;
      if (want && !has) ops.push(() => this.st.add.run(c.fid, g));
      else if (!want && has) ops.push(() => this.st.remove.run(c.fid, g));
      if (want || has) changed.push(c.fid);
    }
    if (ops.length > 0) this.mb.write(() => ops.forEach((op) => op()));
    for (const f of changed) this.contentsChanged(f);
  }

  private dropMessage(g: number): void {
    const fids = (this.st.foldersOf.all(g) as { fid: number }[]).map((x) => x.fid);
    if (fids.length === 0) return;
    this.mb.write(() => this.st.removeMid.run(g));
    for (const f of fids) this.contentsChanged(f);
  }

  /** Links to messages that are gone (a folder emptied or deleted), and criteria of deleted search folders. */
  private sweep(): void {
    const gone = this.mb.db
      .prepare('SELECT DISTINCT fid FROM search_members s WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.mid = s.mid)')
      .all() as { fid: number }[];
    const dead = [...this.criteria.keys()].filter((f) => this.st.folder.get(f) === undefined);
    if (gone.length === 0 && dead.length === 0) return;
    this.mb.write(() => {
      this.mb.db.prepare('DELETE FROM search_members WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.mid = search_members.mid)').run();
      for (const f of dead) {
        this.st.clear.run(f);
        this.mb.db.prepare('DELETE FROM search_criteria WHERE fid = ?').run(f);
      }
    });
    for (const f of dead) this.criteria.delete(f);
    for (const g of gone) if (this.criteria.has(g.fid)) this.contentsChanged(g.fid);
  }

  /** A folder moved or copied: recursive scopes may now hold other folders; running recursive searches are refilled. */
  private refillRecursive(): void {
    for (const c of this.criteria.values()) {
      if (!isRunningDynamic(c) || (c.flags & F.RECURSIVE_SEARCH) === 0) continue;
      const found = this.evaluateAll(c);
      const before = (this.mb.db.prepare('SELECT mid FROM search_members WHERE fid = ? ORDER BY mid').all(c.fid) as { mid: number }[]).map((x) => x.mid);
      const after = [...found].sort((a, b) => a - b);
      if (before.length === after.length && before.every((m, i) => m === after[i])) continue;
      this.mb.write(() => {
        this.st.clear.run(c.fid);
        for (const mid of found) this.st.add.run(c.fid, mid);
      });
      this.contentsChanged(c.fid);
    }
  }

  /** Reports the search folder's new contents (ObjectModified with its counts, as generic folders report theirs). */
  private contentsChanged(fidG: number): void {
    const f = this.st.folder.get(fidG) as { parent: number | null } | undefined;
    if (!f) return;
    const n = this.st.counts.get(fidG) as { n: number; unread: number };
    this.mb.events.emit({
      type: 'objectModified',
      fid: eid(fidG),
      ...(f.parent !== null ? { parentFid: eid(f.parent) } : {}),
      tags: [TAG.ContentCount, TAG.ContentUnreadCount],
      totalCount: n.n,
      unreadCount: n.unread,
    });
  }
}
