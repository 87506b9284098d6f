// The message content of an ICS messageChange (MS-OXCFXICS 2.2.4.3.11: IncrSyncMessage propList messageChildren),
// produced by K3's messageContent (content.ts) with the property list of RopSynchronizationConfigure.
//
// Choices where the spec leaves room:
// - PropertyTags is an exclude list, or with OnlySpecifiedProperties an include list (sync-download.ts decides which
//   applies to FAI messages); subobjects (recipients, attachments) follow K3's rule: they travel unless excluded by
//   PidTagMessageRecipients / PidTagMessageAttachments, or, in include mode, when listed.
// - BestBody: the bodies are sent as stored (the store keeps the body formats the client wrote; no conversion).
// - MetaTagFXDelProp (2.2.4.1.5.1, messageChildren 2.2.4.3.x) is written before the recipients and before the
//   attachments of every messageChange, whether or not the client has the message (IdsetGiven is optional and may
//   be incomplete): a messageChange replaces the client's whole version, so the client drops the recipients and
//   attachments it has before adding the ones that follow (for a new message that is a no-op). Only the subobjects
//   that travel (see above) get one; attachments of embedded messages get none (the embedded message is new).
import { messageContent, propFilter, ALL_PROPS, type PropFilter } from './content.js';
import type { MessageContentProducer } from './sync-download.js';

export const syncMessageContent: MessageContentProducer = (msg, opts) => {
  let f: PropFilter = ALL_PROPS;
  if (opts.tags) f = propFilter('include', opts.tags, true);
  else if (opts.exclude.size > 0) f = { mode: 'exclude', ids: opts.exclude, subObjects: true };
  return messageContent(msg, f, { store: opts.mb, strings: opts.encode.strings, log: opts.log }, true);
};
