// The message content of an ICS messageChange (MS-OXCFXICS 2.2.4.3.11: IncrSyncMessage propList messageChildren),
// produced by K3's messageContent (content.ts) with the property list of RopSynchronizationConfigure.
//
// Choices where the spec leaves room:
// - PropertyTags is an exclude list, or with OnlySpecifiedProperties an include list (sync-download.ts decides which
//   applies to FAI messages); subobjects (recipients, attachments) follow K3's rule: they travel unless excluded by
//   PidTagMessageRecipients / PidTagMessageAttachments, or, in include mode, when listed.
// - BestBody: the bodies are sent as stored (the store keeps the body formats the client wrote; no conversion).
import { messageContent, propFilter, ALL_PROPS, type PropFilter } from './content.js';
import type { MessageContentProducer } from './sync-download.js';

export const syncMessageContent: MessageContentProducer = (msg, opts) => {
  let f: PropFilter = ALL_PROPS;
  if (opts.tags) f = propFilter('include', opts.tags, true);
  else if (opts.exclude.size > 0) f = { mode: 'exclude', ids: opts.exclude, subObjects: true };
  return messageContent(msg, f, { store: opts.mb, strings: opts.encode.strings, log: opts.log });
};
