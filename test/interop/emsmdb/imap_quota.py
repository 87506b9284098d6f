#!/usr/bin/python3
"""Outlook and an IMAP mailbox with a quota (issue 8, RFC 9208 QUOTA on the IMAP server): the client of cached_mode.py
connects (ncacn_ip_tcp, PKT_PRIVACY), reads the quota properties of the store object as Outlook does for its "mailbox
almost full" bar (RopGetPropertiesSpecific on the logon: PidTagProhibitReceiveQuota, PidTagProhibitSendQuota,
PidTagStorageQuotaLimit in KiB, PidTagMessageSizeExtended in bytes; MS-OXCSTOR 2.2.2.1.1), then composes a message in
the Inbox whose body (written through RopOpenStream / RopWriteStream in 4 KB pieces) does not fit in what is left, and
saves it (RopSaveChangesMessage), as Outlook saves an item in online mode; the run records what the save answered.

  imap_quota.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --subject S --body-bytes N

Prints one JSON object: steps as in the other runs; 'quota': the four values (or the errors they came back as);
'save': the ReturnValue of RopSaveChangesMessage (and the MessageId when it succeeded).
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import imap_common as H
import props as P
import rops as R
import rops_msg as M

PID_TAG_PROHIBIT_RECEIVE_QUOTA = 0x666A0003
PID_TAG_PROHIBIT_SEND_QUOTA = 0x666E0003
PID_TAG_STORAGE_QUOTA_LIMIT = 0x3FF50003
PID_TAG_MESSAGE_SIZE_EXTENDED = 0x0E080014
PID_TAG_MESSAGE_CLASS = 0x001A001F
PID_TAG_SUBJECT = 0x0037001F
PID_TAG_BODY_W = 0x1000001F


class Run(H.InboxRun):
    STEPS = [('quota', 's_quota'), ('save', 's_save')]

    def s_quota(self):
        c = self.c
        tags = [PID_TAG_PROHIBIT_RECEIVE_QUOTA, PID_TAG_PROHIBIT_SEND_QUOTA, PID_TAG_STORAGE_QUOTA_LIMIT,
                PID_TAG_MESSAGE_SIZE_EXTENDED]
        r = c.one(lambda i: R.RopGetPropertiesSpecific(tags, in_index=i['logon']), ['logon'],
                  what='RopGetPropertiesSpecific(store)')
        self.out['quota'] = P.jsonable(r['RowData'])

    def s_save(self):
        c = self.c
        a = self.a
        d = self.out.setdefault('save', {})
        inbox = c.fids['Inbox']
        c.open_folder(inbox, 'inbox')
        c.one(lambda i: R.RopCreateMessage(inbox, in_index=i['inbox'], out_index=i['msg']), ['inbox'], ['msg'],
              what='RopCreateMessage')
        c.one(lambda i: R.RopSetProperties([(PID_TAG_MESSAGE_CLASS, 'IPM.Note'), (PID_TAG_SUBJECT, a.subject)],
                                           in_index=i['msg']), ['msg'], what='RopSetProperties')
        text = ('%s: a line of the body. ' % a.subject) * (a.body_bytes // 40 + 1)
        data = text.encode('utf-16-le')[:a.body_bytes - a.body_bytes % 2]
        c.one(lambda i: M.RopOpenStream(PID_TAG_BODY_W, M.STREAM_CREATE, in_index=i['msg'], out_index=i['stm']),
              ['msg'], ['stm'], what='RopOpenStream')
        for k in range(0, len(data), 4096):
            piece = data[k:k + 4096]
            r = c.one(lambda i, piece=piece: M.RopWriteStream(piece, in_index=i['stm']), ['stm'], what='RopWriteStream')
            if r['WrittenSize'] != len(piece):
                raise H.C.StepError('RopWriteStream wrote %d of %d bytes' % (r['WrittenSize'], len(piece)))
        c.one(lambda i: M.RopCommitStream(in_index=i['stm']), ['stm'], what='RopCommitStream')
        c.release('stm')
        sv = c.try_one(lambda i: R.RopSaveChangesMessage(0x0C, in_index=i['msg'], response_index=i['msg']), ['msg'])
        if sv is None:
            raise H.C.StepError('RopSaveChangesMessage: no response')
        d['ReturnValue'] = sv['ReturnValue']
        if sv['ReturnValue'] == 0:
            d['MessageId'] = P.fid_str(sv['MessageId'])
        c.release('msg')
        c.release('inbox')


def main():
    ap = H.parser(__doc__)
    ap.add_argument('--subject', required=True)
    ap.add_argument('--body-bytes', type=int, required=True)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
