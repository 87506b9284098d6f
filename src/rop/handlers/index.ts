// The mailbox ROP handlers (issue 4), one map per spec module, joined for loadRopRegistry in src/server.ts.
import type { RopHandlerEntry } from '../types.js';
import type { MailboxHandlerDeps } from './objects.js';
import { createFolderHandlers } from './oxcfold.js';
import { createPropertyHandlers } from './oxcprpt.js';
import { createStoreHandlers } from './oxcstor.js';
import { createTableHandlers } from './oxctabl.js';

export type { MailboxHandlerDeps } from './objects.js';

export function createMailboxHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry>[] {
  return [createStoreHandlers(deps), createFolderHandlers(deps), createTableHandlers(deps), createPropertyHandlers(deps)];
}
