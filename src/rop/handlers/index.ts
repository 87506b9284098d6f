// The mailbox ROP handlers (issue 4), one map per spec module, joined for loadRopRegistry in src/server.ts.
import type { RopHandlerEntry } from '../types.js';
import type { MailboxHandlerDeps } from './objects.js';
import { createFolderHandlers } from './oxcfold.js';
import { createPropertyHandlers } from './oxcprpt.js';
import { createStreamHandlers } from './oxcprpt-stream.js';
import { createStoreHandlers } from './oxcstor.js';
import { createTableHandlers } from './oxctabl.js';
import { createRuleHandlers } from './oxorule.js';
import { createNotificationHandlers } from './oxcnotif.js';
import { createPermissionHandlers } from './oxcperm.js';
import { createSearchHandlers } from './oxcfold-search.js';
import { createMessageHandlers } from './oxcmsg.js';
import { createMessagingHandlers } from './oxomsg.js';
import { createUploadHandlers } from './oxcfxics-upload.js';
import { createFxCopyHandlers } from './oxcfxics-copy.js';
import { createSyncDownloadHandlers } from './oxcfxics-sync.js';

export type { MailboxHandlerDeps } from './objects.js';

export function createMailboxHandlers(deps: MailboxHandlerDeps): Map<number, RopHandlerEntry>[] {
  return [createStoreHandlers(deps), createFolderHandlers(deps), createTableHandlers(deps), createNotificationHandlers(deps), createPropertyHandlers(deps), createMessageHandlers(deps), createStreamHandlers(deps), createPermissionHandlers(deps), createSearchHandlers(deps), createRuleHandlers(deps), createMessagingHandlers(deps), createUploadHandlers(deps), createFxCopyHandlers(deps), createSyncDownloadHandlers(deps)];
}
