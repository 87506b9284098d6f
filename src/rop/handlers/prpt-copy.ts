// MS-OXCPRPT 3.2.5.10 RopCopyProperties and 3.2.5.11 RopCopyTo between objects of the same kind (folder -> folder,
// logon -> logon; messages when their objects exist). Synchronous: WantAsynchronous is honoured by answering at once.
//
// Choices:
// - properties the store computes (ecComputed on set) are skipped silently by RopCopyTo (they are not the client's),
//   reported as PropertyProblems by RopCopyProperties (the client named them);
// - NoOverwrite compares property ids, so a string in either width counts as present;
// - WantSubObjects on folders copies (Move: moves) the messages, associated ones included, and the subfolders with
//   their subtrees; a destination inside the source's subtree is ecFolderCycle.
import { MAPI_E, propId, type TaggedValue } from '../../mapi/props.js';
import { SEC } from '../../mapistore/errors.js';
import type { MailboxStore, PropertyProblem } from '../../mapistore/types.js';
import { ec } from '../ec.js';
import type { PropTarget } from './prpt-target.js';

// MS-OXCPRPT 2.2.10.1 / 2.2.11.1 CopyFlags
export const COPY_MOVE = 0x01;
export const COPY_NO_OVERWRITE = 0x02;

export type CopyOutcome = { ec: number; problems: PropertyProblem[] };

async function isInside(store: MailboxStore, fid: bigint, ancestor: bigint): Promise<boolean> {
  let cur: bigint | null = fid;
  for (let guard = 0; cur !== null && guard < 10_000; guard++) {
    if (cur === ancestor) return true;
    cur = await store.parentOf(cur);
  }
  return false;
}

/** Copies the values (index = position in the request) and returns the problems; Move deletes what was copied. */
async function copyValues(
  src: PropTarget,
  dst: PropTarget,
  values: Array<{ index: number; value: TaggedValue }>,
  flags: number,
  skipComputed: boolean,
): Promise<PropertyProblem[]> {
  let todo = values;
  if (flags & COPY_NO_OVERWRITE) {
    const present = new Set((await dst.list()).map((t) => propId(t)));
    todo = todo.filter((v) => !present.has(propId(v.value.tag)));
  }
  const problems: PropertyProblem[] = [];
  if (todo.length > 0) {
    const setProblems = await dst.set(todo.map((v) => v.value));
    for (const p of setProblems) {
      if (skipComputed && p.error === SEC.Computed) continue;
      const orig = todo[p.index];
      problems.push({ index: orig ? orig.index : p.index, tag: p.tag, error: p.error });
    }
    if (flags & COPY_MOVE) {
      const failed = new Set(setProblems.map((p) => p.index));
      const moved = todo.filter((_, i) => !failed.has(i)).map((v) => v.value.tag);
      if (moved.length > 0) await src.delete(moved);
    }
  }
  return problems;
}

/** RopCopyProperties: the listed tags only; a tag the source lacks is a NotFound problem. */
export async function copyProperties(src: PropTarget, dst: PropTarget, tags: readonly number[], flags: number): Promise<CopyOutcome> {
  const got = await src.get(tags);
  const problems: PropertyProblem[] = [];
  const values: Array<{ index: number; value: TaggedValue }> = [];
  got.forEach((r, index) => {
    if ('error' in r) problems.push({ index, tag: tags[index] as number, error: r.error === 0 ? MAPI_E.NOT_FOUND : r.error });
    else values.push({ index, value: { tag: r.tag, value: r.value } });
  });
  problems.push(...(await copyValues(src, dst, values, flags, false)));
  problems.sort((a, b) => a.index - b.index);
  return { ec: ec.Success, problems };
}

/** RopCopyTo: every property but the excluded ones (by property id), and the sub-objects when asked. */
export async function copyTo(src: PropTarget, dst: PropTarget, excluded: readonly number[], flags: number, subObjects: boolean): Promise<CopyOutcome> {
  if (src.kind === 'folder' && dst.kind === 'folder' && src.fid !== undefined && dst.fid !== undefined) {
    if (src.fid === dst.fid) return { ec: ec.InvalidParam, problems: [] };
    if (subObjects && (await isInside(src.store, dst.fid, src.fid))) return { ec: ec.FolderCycle, problems: [] };
  }
  const ex = new Set(excluded.map((t) => propId(t)));
  const all = await src.get();
  const values: Array<{ index: number; value: TaggedValue }> = [];
  for (const r of all) {
    if ('error' in r || ex.has(propId(r.tag))) continue;
    values.push({ index: values.length, value: { tag: r.tag, value: r.value } });
  }
  const problems = await copyValues(src, dst, values, flags, true);
  if (subObjects && src.kind === 'folder' && dst.kind === 'folder' && src.fid !== undefined && dst.fid !== undefined) {
    await copyFolderContents(src.store, src.fid, dst.fid, (flags & COPY_MOVE) !== 0);
  }
  return { ec: ec.Success, problems };
}

async function copyFolderContents(store: MailboxStore, from: bigint, to: bigint, move: boolean): Promise<void> {
  for (const associated of [false, true]) {
    const rows = await store.contentsRows(from, { associated, tags: [] });
    const mids = rows.map((r) => r.id);
    if (mids.length > 0) await store.moveCopyMessages(from, mids, to, !move);
  }
  for (const child of await store.children(from)) {
    if (move) await store.moveFolder(child, to);
    else await store.copyFolder(child, to, { recursive: true });
  }
}
