// Non-delivery reports (MS-OXOMSG 2.2.2 report properties, 3.2.5.x; MAPI's "report" messages): when recipients of a
// submission cannot be reached, a message of class REPORT.<original class>.NDR goes to the sender's Inbox, never a
// silent loss. Its recipient rows are the failed recipients, each with PidTagNonDeliveryReportReasonCode,
// PidTagNonDeliveryReportDiagCode and PidTagSupplementaryInfo (the reason as text); the body says the same for
// clients that show the report as a plain message.
//
// Choices: the report names the server as the sender ("System Administrator", as Exchange's reports do, address
// type SMTP postmaster@<domain>); the original message is not attached (its subject, class, submit time and
// recipients are in the PidTagOriginal* properties and the body).
import type { PropValue, TaggedValue } from '../mapi/props.js';
import type { MailboxStore } from '../mapistore/types.js';
import type { Logger } from '../util/log.js';
import { T, filetimeNow } from './tags.js';
import type { RecipientOutcome } from './types.js';

// MS-OXOMSG 2.2.2.x / MAPI mapidefs.h NDR reason and diagnostic codes
export const NDR_REASON = { TransferFailed: 0, TransferImpossible: 1 } as const;
export const NDR_DIAG = { NoDiagnostic: -1, OrNameUnrecognized: 0 } as const;

export interface NdrInput {
  mailbox: MailboxStore;
  /** Values of the original message (subject, class, submit time, display-to). */
  original: ReadonlyMap<number, PropValue> | { subject: string; messageClass: string; submitTime: bigint; displayTo: string };
  failed: RecipientOutcome[];
  postmaster: string;
  log: Logger;
}

const str = (v: PropValue | undefined): string => (typeof v === 'string' ? v : '');

/** Stores the report in the sender's mailbox (receive folder of the report class, normally the Inbox); returns its MID. */
export async function writeNdr(input: NdrInput): Promise<{ fid: bigint; mid: bigint }> {
  const { mailbox: mb, failed } = input;
  const o = input.original instanceof Map
    ? {
        subject: str(input.original.get(T.Subject)),
        messageClass: str(input.original.get(T.MessageClass)) || 'IPM.Note',
        submitTime: (input.original.get(T.ClientSubmitTime) as bigint | undefined) ?? filetimeNow(),
        displayTo: str(input.original.get(0x0e04001f)),
      }
    : (input.original as { subject: string; messageClass: string; submitTime: bigint; displayTo: string });
  const cls = `REPORT.${o.messageClass}.NDR`;
  const now = filetimeNow();
  const lines = [
    'Delivery has failed to these recipients:',
    '',
    ...failed.map((f) => `${f.displayName || f.address} <${f.addressType}:${f.address}>: ${f.reason ?? 'not delivered'}`),
    '',
    `Subject: ${o.subject}`,
  ];
  const text = lines.join('\r\n');
  const { fid } = await mb.getReceiveFolder(cls);
  const m = await mb.newMessage(fid);
  try {
    const props: TaggedValue[] = [
      { tag: T.MessageClass, value: cls },
      { tag: T.Subject, value: `Undeliverable: ${o.subject}` },
      { tag: T.NormalizedSubject, value: o.subject },
      { tag: T.SubjectPrefix, value: 'Undeliverable: ' },
      { tag: T.Body, value: text },
      { tag: T.ReportText, value: text },
      { tag: T.MessageFlags, value: 0 },
      { tag: T.MessageDeliveryTime, value: now },
      { tag: T.ClientSubmitTime, value: now },
      { tag: T.ReportTime, value: now },
      { tag: T.ReportName, value: 'System Administrator' },
      { tag: T.OriginalSubject, value: o.subject },
      { tag: T.OriginalMessageClass, value: o.messageClass },
      { tag: T.OriginalSubmitTime, value: o.submitTime },
      { tag: T.OriginalDisplayTo, value: o.displayTo },
      { tag: T.SenderName, value: 'System Administrator' },
      { tag: T.SenderAddressType, value: 'SMTP' },
      { tag: T.SenderEmailAddress, value: input.postmaster },
      { tag: T.SenderSmtpAddress, value: input.postmaster },
      { tag: T.SentRepresentingName, value: 'System Administrator' },
      { tag: T.SentRepresentingAddressType, value: 'SMTP' },
      { tag: T.SentRepresentingEmailAddress, value: input.postmaster },
      { tag: T.ReceivedByName, value: mb.owner.displayName },
      { tag: T.ReceivedByAddressType, value: 'EX' },
      { tag: T.ReceivedByEmailAddress, value: mb.owner.legacyDn },
    ];
    await m.setProps(props);
    await m.setRecipients(
      failed.map((f, i) => ({
        rowId: i,
        props: [
          { tag: T.RecipientType, value: f.recipientType || 1 },
          { tag: T.DisplayName, value: f.displayName || f.address },
          { tag: T.AddressType, value: f.addressType },
          { tag: T.EmailAddress, value: f.address },
          { tag: T.NonDeliveryReportReasonCode, value: NDR_REASON.TransferImpossible },
          { tag: T.NonDeliveryReportDiagCode, value: f.unknownAddress ? NDR_DIAG.OrNameUnrecognized : NDR_DIAG.NoDiagnostic },
          { tag: T.SupplementaryInfo, value: f.reason ?? 'not delivered' },
          { tag: T.ReportTime, value: now },
        ],
      })),
    );
    const mid = await m.save();
    await m.discard();
    await mb.notifyNewMail(fid, mid).catch((e: unknown) => input.log.warn({ err: String(e) }, 'new-mail event for a non-delivery report failed'));
    input.log.info({ mailbox: mb.owner.username, failed: failed.map((f) => `${f.addressType}:${f.address}`), mid: mid.toString(16) }, 'non-delivery report written');
    return { fid, mid };
  } catch (e) {
    await m.discard().catch(() => {});
    throw e;
  }
}
