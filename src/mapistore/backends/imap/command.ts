// Commands imapflow has no method for (RFC 4314 GETACL / SETACL / DELETEACL in acl-store.ts, RFC 5465 NOTIFY in
// watcher.ts): sent with imapflow's internal exec(), whose result must be released with next() before the connection
// can send anything else. A NO or BAD rejects with imapflow's error.
import type { ImapFlow } from 'imapflow';
import type { RawUntagged } from './acl.js';

/** An argument: an atom is sent as it is, a string quoted (or as a literal when needed), a list in parentheses. */
export type ImapArg = { type: 'ATOM' | 'STRING'; value: string } | ImapArg[];

export const atom = (value: string): ImapArg => ({ type: 'ATOM', value });
export const str = (value: string): ImapArg => ({ type: 'STRING', value });

/** imapflow's internals used here. */
export type RawImapFlow = {
  exec(command: string, attributes: ImapArg[], options: { untagged: Record<string, (u: RawUntagged) => Promise<void>> }): Promise<{ next: () => void }>;
  /** The handlers of untagged responses no running command takes, by keyword. */
  untaggedHandlers: Record<string, ((u: RawUntagged) => Promise<void>) | undefined>;
};

/**
 * Sends `cmd` with `args`; returns the untagged responses named `collect` (one name or several) that came with it, in
 * the order they came (each with its `command`, the response's name).
 */
export async function rawCommand(client: ImapFlow, cmd: string, args: ImapArg[], collect?: string | readonly string[]): Promise<RawUntagged[]> {
  const got: RawUntagged[] = [];
  const untagged: Record<string, (u: RawUntagged) => Promise<void>> = {};
  for (const name of typeof collect === 'string' ? [collect] : (collect ?? [])) {
    untagged[name] = async (u) => {
      got.push(u);
    };
  }
  const r = await (client as unknown as RawImapFlow).exec(cmd, args, { untagged });
  r.next();
  return got;
}
