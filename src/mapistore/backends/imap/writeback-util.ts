// Shared pieces of the MAPI -> IMAP write-back (writeback.ts, writeback-folders.ts): error codes, lookups of the
// index rows of mirrored folders and messages, the UIDVALIDITY check, and IMAP flag lists of a message's MAPI
// properties (the reverse of import.ts: MS-OXCMSG 2.2.1.6 PidTagMessageFlags, MS-OXOFLAG 2.2.1.1
// PidTagFlagStatus, MS-OXOMSG 2.2.1.34 PidTagLastVerbExecuted -> RFC 9051 2.3.2 system flags, RFC 5550
// $Forwarded).
//
// Choices where the specs leave room:
// - PidTagLastVerbExecuted 102/103 (reply to sender / reply all) -> \Answered, 104 (forward) -> $Forwarded; a verb
//   only adds its flag (a message answered and then forwarded keeps both); no verb at all clears both.
// - a folder whose index row has UIDVALIDITY 0 (never synced) adopts the server's UIDVALIDITY with UIDNEXT 1, so
//   the mirror's next sync looks at every UID and skips the ones the write-back already recorded; a row whose
//   UIDVALIDITY differs from the server's is refused (OC_IMAP_UIDVALIDITY): its UIDs mean nothing any more and the
//   mirror's next sync fetches the folder again.
import type { ImapFlow } from 'imapflow';
import { eidGlobcnt } from '../../../mapi/ids.js';
import type { PropResult } from '../../types.js';
import { T } from '../../../transport/tags.js';
import { SEC, StoreError } from '../../errors.js';
import { IMAP_FLAG, type ImapFolderRow, type ImapMessageRow } from '../../index/types.js';
import { MSGFLAG_READ } from '../../tags.js';
import { folderState, type FolderState, type MirrorContext } from './folders.js';
import { FOLLOWUP_FLAGGED, MSGFLAG_UNSENT, NOTEVERB_FORWARD, PidTagFlagStatus, PidTagLastVerbExecuted } from './import.js';

/** MS-OXOMSG 2.2.1.34 NOTEVERBREPLYTOALL. */
export const NOTEVERB_REPLY_TO_ALL = 103;

/** The IMAP flags the write-back manages, as IMAP_FLAG bits, with their IMAP spelling. */
export const FLAG_NAMES: readonly [number, string][] = [
  [IMAP_FLAG.Seen, '\\Seen'],
  [IMAP_FLAG.Answered, '\\Answered'],
  [IMAP_FLAG.Flagged, '\\Flagged'],
  [IMAP_FLAG.Draft, '\\Draft'],
  [IMAP_FLAG.Forwarded, '$Forwarded'],
];

export function flagNames(bits: number): string[] {
  return FLAG_NAMES.filter(([b]) => bits & b).map(([, n]) => n);
}

/** The write-back's failures: StoreErrors with OC_IMAP_* codes. */
export function imapError(code: string, message: string, e?: unknown, ec: number = SEC.Error): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as { responseText?: string; serverResponseCode?: string; message?: string } | undefined;
  const why = err ? `: ${err.responseText || err.message || String(e)}` : '';
  return new StoreError(code, err?.serverResponseCode === 'ALREADYEXISTS' ? SEC.DuplicateName : ec, `${message}${why}`, err?.serverResponseCode ? { imapCode: err.serverResponseCode } : undefined);
}

export const notMirrored = (fid: bigint): StoreError =>
  new StoreError('OC_IMAP_NOT_MIRRORED', SEC.NotFound, `folder 0x${fid.toString(16)} mirrors no selectable IMAP mailbox`);

export interface Mirrored {
  row: ImapFolderRow;
  state: FolderState;
}

/** The index row and state of a mirrored (selectable) folder, or null. */
export async function mirroredFolder(ctx: MirrorContext, fid: bigint): Promise<Mirrored | null> {
  const row = await ctx.imap.folderById(eidGlobcnt(fid));
  if (!row) return null;
  const state = folderState(row);
  return state.noselect ? null : { row, state };
}

const ID_CHUNK = 500;

/** The index rows of these MIDs that belong to this folder (current UIDVALIDITY), ordered by UID. */
export async function rowsOf(ctx: MirrorContext, row: ImapFolderRow, mids: readonly bigint[]): Promise<ImapMessageRow[]> {
  const all: ImapMessageRow[] = [];
  for (let i = 0; i < mids.length; i += ID_CHUNK) all.push(...(await ctx.imap.messagesById(mids.slice(i, i + ID_CHUNK).map((m) => eidGlobcnt(m)))));
  return all.filter((r) => r.folderGlobcnt === row.folderGlobcnt && r.uidvalidity === row.uidvalidity).sort((a, b) => a.uid - b.uid);
}

/**
 * Checks the server's UIDVALIDITY against the row: a never-synced row adopts it (UIDNEXT 1), a different one is
 * OC_IMAP_UIDVALIDITY. Returns the row to use.
 */
export async function checkValidity(ctx: MirrorContext, row: ImapFolderRow, server: bigint | number | undefined): Promise<ImapFolderRow> {
  const uv = Number(server ?? 0);
  if (!uv) throw new StoreError('OC_IMAP_UIDVALIDITY', SEC.Error, `IMAP mailbox ${row.imapName} reports no UIDVALIDITY`);
  if (row.uidvalidity === uv) return row;
  if (row.uidvalidity === 0) {
    const next = { ...row, uidvalidity: uv, uidnext: 1, highestModseq: 0n };
    await ctx.imap.putFolders([next]);
    return next;
  }
  throw new StoreError('OC_IMAP_UIDVALIDITY', SEC.ObjectModified, `UIDVALIDITY of IMAP mailbox ${row.imapName} changed (${row.uidvalidity} -> ${uv}); the folder must be synced first`);
}

/** Opens the folder's mailbox read-write and checks its UIDVALIDITY. */
export async function openRw(ctx: MirrorContext, client: ImapFlow, m: Mirrored): Promise<ImapFolderRow> {
  let box;
  try {
    box = await client.mailboxOpen(m.state.path);
  } catch (e) {
    throw imapError('OC_IMAP_SELECT', `IMAP mailbox ${m.row.imapName} cannot be selected`, e);
  }
  return checkValidity(ctx, m.row, box.uidValidity);
}

/** RFC 4315 UIDPLUS is required: UID EXPUNGE of exactly our UIDs, COPYUID/APPENDUID for the index. */
export function needUidplus(client: ImapFlow): void {
  if (!client.capabilities.has('UIDPLUS')) {
    throw new StoreError('OC_IMAP_NO_UIDPLUS', SEC.NotSupported, 'the IMAP server lacks UIDPLUS (RFC 4315), which write-back needs');
  }
}

/** The IMAP_FLAG bits a message's properties ask for (Seen, Flagged, Draft, Answered, Forwarded), and the mask. */
export function wantedBits(props: PropResult[]): { bits: number; mask: number } {
  const get = (tag: number): unknown => {
    const p = props.find((x) => x.tag >>> 0 === tag >>> 0);
    return p && 'value' in p ? p.value : undefined;
  };
  const flags = Number(get(T.MessageFlags) ?? 0);
  let bits = 0;
  if (flags & MSGFLAG_READ) bits |= IMAP_FLAG.Seen;
  if (flags & MSGFLAG_UNSENT) bits |= IMAP_FLAG.Draft;
  if (get(PidTagFlagStatus) === FOLLOWUP_FLAGGED) bits |= IMAP_FLAG.Flagged;
  const verb = get(PidTagLastVerbExecuted);
  let mask = IMAP_FLAG.Seen | IMAP_FLAG.Draft | IMAP_FLAG.Flagged;
  if (verb === undefined) mask |= IMAP_FLAG.Answered | IMAP_FLAG.Forwarded;
  else if (verb === NOTEVERB_FORWARD) {
    bits |= IMAP_FLAG.Forwarded;
    mask |= IMAP_FLAG.Forwarded;
  } else if (verb === 102 || verb === NOTEVERB_REPLY_TO_ALL) {
    bits |= IMAP_FLAG.Answered;
    mask |= IMAP_FLAG.Answered;
  }
  return { bits, mask };
}

export const FLAG_PROP_TAGS = [T.MessageFlags, PidTagFlagStatus, PidTagLastVerbExecuted];

/** Runs a command that must not run twice (APPEND, COPY, MOVE, CREATE): no retry after a lost connection. */
export async function once<X>(ctx: MirrorContext, fn: (client: ImapFlow) => Promise<X>): Promise<X> {
  const lease = await ctx.pool.acquire(ctx.username);
  try {
    const out = await fn(lease.client);
    lease.release();
    return out;
  } catch (e) {
    if (!lease.client.usable) {
      lease.discard();
      throw new StoreError('OC_IMAP_CONNECT', SEC.NetworkError, `IMAP connection of ${ctx.username} lost during write-back (not retried): ${(e as Error).message}`);
    }
    lease.release();
    throw e;
  }
}
