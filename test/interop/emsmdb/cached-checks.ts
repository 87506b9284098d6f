// Checks of cached_mode.py's output (issue 7's Cached Exchange Mode run) shared by the embedded-store test
// (test/interop/emsmdb-ics.test.ts) and the IMAP backend's (test/integration/imap-session.test.ts).
import { expect } from 'vitest';
import { eidString } from '../../helpers/emsmdb-mailbox.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** The client's comparison with the store's export: `n` messages compared, none missing or different. */
export function checkCompared(cmp: Json, n: number): void {
  expect(cmp.compared).toBe(n);
  expect(cmp.mismatched).toEqual([]);
  expect(cmp.missing, JSON.stringify(cmp.missingExamples)).toEqual({});
}

/** A first sync's comparison: every expected message received, nothing unexpected. */
export function checkFirstCompared(cmp: Json, n: number): void {
  checkCompared(cmp, n);
  expect(cmp.notReceivedCount).toBe(0);
  expect(cmp.unexpected ?? []).toEqual([]);
}

/** One folder's GetBuffer loop: it ended with Done, cut the stream only inside variable-size values, and the
 * message children followed MS-OXCFXICS 2.2.4.2/2.2.4.3 (PidTagAttachNumber after NewAttach, MetaTagFXDelProp of
 * recipients and attachments in every message change), with its progress count. */
export function checkFolderStream(d: Json, folder: string, messages: number): void {
  const s = d.stats;
  expect(s.statuses, folder).toContain(3); // Done
  expect(s.splitViolationCount, JSON.stringify(s.splitViolations)).toBe(0);
  expect(s.grammar, folder).toEqual([]);
  expect(d.summary.progress, folder).toMatchObject({ NormalMessageCount: messages });
  expect(d.delProps, folder).toEqual({ both: messages, other: [] });
}

/** An incremental sync brought exactly these changes, deletions and read-state changes, and each folder's state keeps
 * its four properties apart. */
export function checkExactChanges(d: Json, folders: readonly string[], want: { changes: bigint[]; deleted: bigint[]; read: bigint[] }): void {
  const s = (xs: bigint[]) => xs.map(eidString).sort();
  expect(d._all.changes).toEqual(s(want.changes));
  expect([...d._all.deleted, ...d._all.softDeleted].sort()).toEqual(s(want.deleted));
  expect(d._all.read).toEqual(s(want.read));
  expect(d._all.unread).toEqual([]);
  expect(d._all.noLongerInScope).toEqual([]);
  for (const f of folders) expect(Object.keys(d[f].state).sort(), f).toEqual(['0x40170003', '0x67960102', '0x67D20102', '0x67DA0102']);
}

/** The data of step `n` of cached_mode.py's phase `phase`, which ran to its end (else its error and the run's). */
export function phaseStep(runs: Record<string, Json>, phase: string, n: string): Json {
  const r = runs[phase];
  expect(r, `phase ${phase} did not run`).toBeDefined();
  const s = (r!.steps as { name: string; ok: boolean; error?: string }[]).find((x) => x.name === n);
  expect(s, `${phase}: no step ${n}; errors ${JSON.stringify(r!.errors)}`).toBeDefined();
  expect(s!.ok, `${phase}/${n}: ${s!.error} ${JSON.stringify(r!.errors)}`).toBe(true);
  return r![n] as Json;
}

/**
 * The download after the upload phase echoes none of the client's uploads (MS-OXCFXICS 3.2.5.2.1 / 3.3.5.13: an
 * upload context's final state comes without MetaTagIdsetGiven; cached_mode.py checks that too): what comes is the
 * server's own edit the client had not seen (`conflictFail`, whose import was refused) and the conflict resolve
 * message of the conflicting edit (`conflict`, 3.1.5.6.2), as its two conflicting versions (two messageChanges with
 * its source key and PCLs in conflict, 3.1.5.6.2.1 - never as a message of its own).
 */
export function checkNoEcho(upload: Json, after: Json, conflict: bigint, conflictFail: bigint): void {
  expect(upload.collectorStateA.tags).toEqual(['0x67960102', '0x67DA0102', '0x67D20102']);
  expect(upload.collectorStateB.tags).toEqual(['0x67960102', '0x67DA0102', '0x67D20102']);
  expect(after.echoed).toEqual([]);
  expect(after._all.changes).toEqual([eidString(conflict), eidString(conflictFail)].sort());
  expect(after.inConflictWhole, 'a conflict resolve message sent as a message (MS-OXCFXICS 3.1.5.6.2.1: MUST NOT)').toEqual([]);
  expect(Object.keys(after.conflicts)).toEqual([eidString(conflict)]);
  expect(after.conflicts[eidString(conflict)].versions).toBe(2);
  expect(after._all.deleted).toEqual([]);
  expect(after._all.read).toEqual([]);
}
