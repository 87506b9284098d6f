#!/usr/bin/python3
"""Outlook's send-size limit (smtp.maxSendSizeKb): the client of cached_mode.py connects (ncacn_ip_tcp, PKT_PRIVACY),
reads PidTagMaximumSubmitMessageSize from the store object (RopGetPropertiesSpecific on the logon, MS-OXCSTOR), then
composes two messages in the Outbox to one SMTP recipient, each body written through RopOpenStream / RopWriteStream
in 4 KB pieces: one larger than the limit, one within it. Each is saved (RopSaveChangesMessage) and submitted
(RopSubmitMessage); the run records what each submit answered.

  submit_limit.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --to ADDR --big-bytes N --small-bytes N

Prints one JSON object: steps as in the other runs; 'limit': the property's value (or the error it came back as);
'big' and 'small': the MessageId RopSaveChangesMessage gave and RopSubmitMessage's ReturnValue.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import imap_common as H
import props as P
import rops as R
import rops_msg as M

PID_TAG_MAXIMUM_SUBMIT_MESSAGE_SIZE = 0x666D0003
PID_TAG_MESSAGE_CLASS = 0x001A001F
PID_TAG_SUBJECT = 0x0037001F
PID_TAG_BODY_W = 0x1000001F
PID_TAG_SMTP_ADDRESS = 0x39FE001F
PID_TAG_RECIPIENT_DISPLAY_NAME = 0x5FF6001F


class Run(H.InboxRun):
    STEPS = [('limit', 's_limit'), ('big', 's_big'), ('small', 's_small')]

    def s_limit(self):
        c = self.c
        r = c.one(lambda i: R.RopGetPropertiesSpecific([PID_TAG_MAXIMUM_SUBMIT_MESSAGE_SIZE], in_index=i['logon']),
                  ['logon'], what='RopGetPropertiesSpecific(store)')
        self.out['limit'] = P.jsonable(r['RowData'])

    def compose_and_submit(self, name, subject, body_bytes):
        c = self.c
        a = self.a
        d = self.out.setdefault(name, {})
        outbox = c.fids['Outbox']
        c.open_folder(outbox, 'outbox')
        c.one(lambda i: R.RopCreateMessage(outbox, in_index=i['outbox'], out_index=i['msg']), ['outbox'], ['msg'],
              what='RopCreateMessage')
        c.one(lambda i: R.RopSetProperties([(PID_TAG_MESSAGE_CLASS, 'IPM.Note'), (PID_TAG_SUBJECT, subject)],
                                           in_index=i['msg']), ['msg'], what='RopSetProperties')
        cols = [PID_TAG_SMTP_ADDRESS, PID_TAG_RECIPIENT_DISPLAY_NAME]
        rows = [{'RowId': 0, 'RecipientType': M.MAPI_TO, 'Row': {
            'Flags': M.RT_SMTP | M.RF_E | M.RF_D | M.RF_U, 'EmailAddress': a.to, 'DisplayName': 'Recipient',
            'Values': [a.to, 'Recipient']}}]
        c.one(lambda i: M.RopModifyRecipients(cols, rows, in_index=i['msg']), ['msg'], what='RopModifyRecipients')
        text = ('%s line of the body. ' % subject) * (body_bytes // 40 + 1)
        data = text.encode('utf-16-le')[:body_bytes - body_bytes % 2]
        c.one(lambda i: M.RopOpenStream(PID_TAG_BODY_W, M.STREAM_CREATE, in_index=i['msg'], out_index=i['stm']),
              ['msg'], ['stm'], what='RopOpenStream')
        for k in range(0, len(data), 4096):
            piece = data[k:k + 4096]
            r = c.one(lambda i, piece=piece: M.RopWriteStream(piece, in_index=i['stm']), ['stm'], what='RopWriteStream')
            if r['WrittenSize'] != len(piece):
                raise H.C.StepError('RopWriteStream wrote %d of %d bytes' % (r['WrittenSize'], len(piece)))
        c.one(lambda i: M.RopCommitStream(in_index=i['stm']), ['stm'], what='RopCommitStream')
        c.release('stm')
        sv = c.one(lambda i: R.RopSaveChangesMessage(0x0C, in_index=i['msg'], response_index=i['msg']), ['msg'],
                   what='RopSaveChangesMessage')
        d['MessageId'] = P.fid_str(sv['MessageId'])
        d['bodyBytes'] = len(data)
        r = c.try_one(lambda i: M.RopSubmitMessage(0, in_index=i['msg']), ['msg'])
        d['SubmitReturnValue'] = None if r is None else r['ReturnValue']
        c.release('msg')
        c.release('outbox')

    def s_big(self):
        self.compose_and_submit('big', 'too big to send', self.a.big_bytes)

    def s_small(self):
        self.compose_and_submit('small', 'small enough', self.a.small_bytes)


def main():
    ap = H.parser(__doc__)
    ap.add_argument('--to', required=True)
    ap.add_argument('--big-bytes', type=int, required=True)
    ap.add_argument('--small-bytes', type=int, required=True)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
