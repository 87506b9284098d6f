// Message status and flag bits of the embedded backend (MS-OXCMSG 2.2.3.8-10): PidTagMessageStatus of a message
// (get, set under a mask) and the clearing of stored PidTagMessageFlags bits. Called by LocalMailbox, which
// serializes the changes.
// Changed in place: no CN, ChangeKey, PCL or modification time (MS-OXCMSG 3.2.5.8: "changes only the
// PidTagMessageStatus property"); an open copy keeps the stored value at its save unless it set it itself (objects.ts).
import { SEC, StoreError } from '../../errors.js';
import { decodeStored, encodeStored, type StoredProps } from '../../propcodec.js';
import { TAG } from '../../tags.js';
import type { LocalMailbox } from './mailbox.js';
import type { MessageRow } from './schema.js';

/** MS-OXCMSG 2.2.1.8 PidTagMessageStatus: kept outside change tracking (RopSetMessageStatus takes no CN). */
export const PidTagMessageStatus = 0x0e170003;

function messageInFolder(mb: LocalMailbox, fid: bigint, mid: bigint): MessageRow {
  const f = mb.folderRow(fid);
  const r = mb.messageRow(mid);
  if (r.fid !== f.fid) throw new StoreError('OC_STORE_NOT_FOUND', SEC.NotFound, `message 0x${mid.toString(16)} is not in folder 0x${fid.toString(16)}`);
  return r;
}

export async function getMessageStatus(mb: LocalMailbox, fid: bigint, mid: bigint): Promise<number> {
  const v = decodeStored(messageInFolder(mb, fid, mid).props, null).get(PidTagMessageStatus);
  return typeof v === 'number' ? v >>> 0 : 0;
}

export async function setMessageStatus(mb: LocalMailbox, fid: bigint, mid: bigint, flags: number, mask: number): Promise<number> {
  const r = messageInFolder(mb, fid, mid);
  const props = decodeStored(r.props, r.big);
  const v = props.get(PidTagMessageStatus);
  const before = typeof v === 'number' ? v >>> 0 : 0;
  const after = ((before & ~mask) | (flags & mask)) >>> 0;
  if (after !== before) {
    props.set(PidTagMessageStatus, after | 0);
    const s = encodeStored(props);
    mb.write(() => mb.sql('UPDATE messages SET props = ?, big = ? WHERE mid = ?').run(s.text, s.big, r.mid));
  }
  return before;
}

export async function clearMessageFlags(mb: LocalMailbox, fid: bigint, mids: readonly bigint[], bits: number): Promise<bigint[]> {
  const f = mb.folderRow(fid);
  const out: bigint[] = [];
  const up: { mid: number; s: StoredProps }[] = [];
  for (const mid of mids) {
    let r: MessageRow;
    try {
      r = mb.messageRow(mid);
    } catch {
      continue;
    }
    if (r.fid !== f.fid) continue;
    out.push(mid);
    const props = decodeStored(r.props, r.big);
    const v = props.get(TAG.MessageFlags);
    if (typeof v === 'number' && (v & bits) !== 0) {
      props.set(TAG.MessageFlags, v & ~bits);
      up.push({ mid: r.mid, s: encodeStored(props) });
    }
  }
  if (up.length > 0) {
    mb.write(() => {
      const st = mb.sql('UPDATE messages SET props = ?, big = ? WHERE mid = ?');
      for (const u of up) st.run(u.s.text, u.s.big, u.mid);
    });
  }
  return out;
}
