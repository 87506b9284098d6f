// A mailbox for the EMSMDB acceptance runs: the whole server (test/helpers/full-server.ts) with alice's mailbox
// provisioned through the server's own store and a folder "Bulk" under the IPM subtree pre-filled with messages
// whose delivery times, importance, read state and senders are known, so what the client reads can be checked
// against what the store holds.
import type { DeepPartial } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { PT, makeTag, toFileTime } from '../../src/mapi/props.js';
import type { MailboxStore } from '../../src/mapistore/types.js';
import { startTestServer, type TestServer } from './full-server.js';

export const USER_DN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';

export const TAG_SUBJECT = makeTag(0x0037, PT.UNICODE);
export const TAG_DELIVERY = makeTag(0x0e06, PT.SYSTIME);
export const TAG_IMPORTANCE = makeTag(0x0017, PT.LONG);
export const TAG_MESSAGE_CLASS = makeTag(0x001a, PT.UNICODE);
export const TAG_SENDER_NAME = makeTag(0x0c1a, PT.UNICODE);
export const TAG_MESSAGE_SIZE = makeTag(0x0e08, PT.LONG);

export interface BulkMessage {
  mid: bigint;
  subject: string;
  delivery: bigint;
  importance: number;
  read: boolean;
}

export interface MailboxServer {
  ts: TestServer;
  mailbox: MailboxStore;
  bulkFid: bigint;
  messages: BulkMessage[];
  close(): Promise<void>;
}

/** Starts the server, provisions alice's mailbox and fills "Bulk" with `n` messages (deterministic content). */
export async function startMailboxServer(over: DeepPartial<Config>, n: number): Promise<MailboxServer> {
  const ts = await startTestServer(over);
  try {
    const store = ts.server.store;
    if (!store) throw new Error('the server has no store');
    const mailbox = await store.openMailbox({ username: 'alice', displayName: 'alice', legacyDn: USER_DN });
    const { fid } = await mailbox.createFolder(mailbox.special.ipmSubtree, { displayName: 'Bulk', containerClass: 'IPF.Note' });
    const base = toFileTime(new Date(Date.UTC(2026, 0, 1)));
    const inits = [];
    const meta: Omit<BulkMessage, 'mid'>[] = [];
    for (let i = 0; i < n; i++) {
      // delivery times spread over a year in a scrambled order, all distinct
      const delivery = base + BigInt((i * 7919) % n) * 3_000_000_000n + BigInt(i);
      const importance = i % 3;
      const read = i % 4 === 0;
      const subject = `Message ${String(i).padStart(5, '0')} ${['report', 'invoice', 'meeting', 'lunch'][i % 4]}`;
      meta.push({ subject, delivery, importance, read });
      inits.push({
        read,
        props: [
          { tag: TAG_SUBJECT, value: subject },
          { tag: TAG_DELIVERY, value: delivery },
          { tag: TAG_IMPORTANCE, value: importance },
          { tag: TAG_MESSAGE_CLASS, value: 'IPM.Note' },
          { tag: TAG_SENDER_NAME, value: `Sender ${i % 17}` },
        ],
      });
    }
    const mids = await mailbox.bulkInsertMessages(fid, inits);
    const messages = mids.map((mid, i) => ({ mid, ...meta[i]! }));
    return { ts, mailbox, bulkFid: fid, messages, close: () => ts.close() };
  } catch (e) {
    await ts.close();
    throw e;
  }
}

/** "RRRR-GGGGGGGGGGGG" (ReplicaId-GlobalCounter, hex) as the Python client prints EIDs. */
export function eidString(eid: bigint): string {
  const repl = Number(eid & 0xffffn);
  let g = 0n;
  for (let i = 0; i < 6; i++) g = (g << 8n) | ((eid >> BigInt(8 * (2 + i))) & 0xffn);
  return `${repl.toString(16).toUpperCase().padStart(4, '0')}-${g.toString(16).toUpperCase().padStart(12, '0')}`;
}
