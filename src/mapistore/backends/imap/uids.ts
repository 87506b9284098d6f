// UIDs on the wire for the IMAP mirror and write-back: compact UID sets (RFC 9051 sequence-set) and a UID SEARCH
// whose refusal is an error.
// - a UID SEARCH the server refuses (NO/BAD) fails the sync (OC_IMAP_SEARCH) before the folder's state is stored:
//   imapflow answers it with `false`, which is not "no UIDs".
import type { ImapFlow, SearchObject } from 'imapflow';
import { SEC, StoreError } from '../../errors.js';

/** UIDs per index query (messagesByUid) and per UID FETCH of sizes. */
export const UID_QUERY_CHUNK = 500;

/** A compact UID set (RFC 9051 sequence-set) of sorted UIDs. */
export function uidSet(uids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/**
 * UID SEARCH whose refusal is an error. imapflow resolves a NO or BAD answer as `false`: read as "no UIDs", it would
 * make every mirrored message of the folder count as expunged, or skip new messages for good once UIDNEXT is stored.
 */
export async function searchUids(client: ImapFlow, mailbox: string, query: SearchObject): Promise<number[]> {
  // imapflow keeps the refusal's text to itself; its 'response' event still names the status and response code
  let answer = '';
  const onResponse = (r: { response?: string; code?: string }): void => {
    if (r.response === 'NO' || r.response === 'BAD') answer = r.code ? `${r.response} [${r.code}]` : r.response;
  };
  client.on('response', onResponse);
  let found;
  try {
    found = await client.search(query, { uid: true });
  } finally {
    client.off('response', onResponse);
  }
  if (!Array.isArray(found)) {
    throw new StoreError('OC_IMAP_SEARCH', SEC.Error, `IMAP server refused UID SEARCH in mailbox ${mailbox}${answer ? ` (answer: ${answer})` : ''}; the folder is left as it was`, { mailbox });
  }
  return found;
}
