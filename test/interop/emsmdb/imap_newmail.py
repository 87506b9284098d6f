#!/usr/bin/python3
"""New mail from IMAP reaches an EMSMDB session (issue 8, the IMAP-backed store): the client of cached_mode.py connects
(ncacn_ip_tcp, PKT_PRIVACY), opens the asynchronous context handle (EcDoAsyncConnectEx) and a second association bound
to AsyncEMSMDB, registers for NewMail on the whole store (RopRegisterNotification, MS-OXCNOTIF 2.2.1.2.1), starts an
EcDoAsyncWaitEx in a thread, then APPENDs a message to the user's INBOX over IMAP with Python's imaplib (the "other
mail client") and measures how long after the APPEND's OK the wait completes. One EcDoRpcExt2 then collects the
RopNotify blocks.

With --mailbox NAME --events created it registers for ObjectCreated instead and APPENDs to that IMAP mailbox (a
folder other than INBOX: the server hears of it through RFC 5465 NOTIFY).

  imap_newmail.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --imap-port N --imap-user U --imap-password W
                  --subject S [--mailbox INBOX] [--events newmail|created]

Prints one JSON object: steps as in the other runs; under 'newMail': waitLatencyMs (APPEND OK -> wait completed),
EcDoAsyncWaitEx's answer, the notifications (type, FolderId, MessageId, whether FolderId is the Inbox).
"""
import imaplib
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cached_mode as C
import imap_common as H
import ocemsmdb as O
import props as P
import rops as R
import rops_msg as M


class Run(H.InboxRun):
    STEPS = [('newMail', 's_new_mail')]

    def s_connect(self):
        a = self.a
        info = self.c.connect()
        self.out['connect'] = info
        err, self.acxh = self.c.s.async_connect()
        if err != 0:
            raise C.StepError('EcDoAsyncConnectEx returned 0x%08X' % err)
        self.async_dce = O.connect_dce(a.host, info['port'], a.user, a.password, a.domain, 6, O.MSRPC_UUID_ASYNCEMSMDB)
        kinds = M.NF_CREATED if a.events == 'created' else M.NF_NEWMAIL
        self.c.one(lambda i: M.RopRegisterNotification(kinds, True, in_index=i['logon'], out_index=i['notif']),
                   ['logon'], ['notif'], what='RopRegisterNotification')
        self.out['connect']['drainedBefore'] = len(self.drain())

    def drain(self):
        resp = self.c.m.run(lambda i: [R.RopGetStoreState(in_index=i['logon'])], ['logon'])
        return [x for x in resp if x.get('RopId') == 0x2A]

    def s_new_mail(self):
        a = self.a
        d = self.out.setdefault('newMail', {})
        box = O.start_async_wait(self.async_dce, self.acxh)
        time.sleep(0.3)
        d['waitPendingBeforeAppend'] = 'done' not in box
        m = imaplib.IMAP4(a.host, a.imap_port)
        m.login(a.imap_user, a.imap_password)
        msg = ('From: Eve <eve@example.org>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <newmail.%d@example.org>\r\n\r\n'
               'New mail over IMAP.\r\n' % (a.imap_user, a.subject, int(time.time() * 1000))).encode()
        typ, _ = m.append(a.mailbox, None, None, msg)
        t_append = time.time()
        m.logout()
        if typ != 'OK':
            raise C.StepError('imaplib APPEND answered %s' % typ)
        box['thread'].join(10.0)
        if 'done' not in box:
            d['EcDoAsyncWaitEx'] = 'pending after 10 s'
            return
        d['EcDoAsyncWaitEx'] = box.get('r') or {'error': box.get('e')}
        d['waitLatencyMs'] = int((box['done'] - t_append) * 1000)
        notes = self.drain()
        inbox = self.c.fids['Inbox']
        d['notifications'] = []
        for n in notes:
            nd = n['NotificationData']
            d['notifications'].append({'type': nd.get('NotificationType'), 'FolderId': P.fid_str(nd['FolderId']) if isinstance(nd.get('FolderId'), int) else None,
                                       'MessageId': P.fid_str(nd['MessageId']) if isinstance(nd.get('MessageId'), int) else None,
                                       'inInbox': nd.get('FolderId') == inbox, 'MessageClass': nd.get('MessageClass')})



def main():
    ap = H.parser(__doc__)
    ap.add_argument('--imap-port', type=int, required=True)
    ap.add_argument('--imap-user', required=True)
    ap.add_argument('--imap-password', required=True)
    ap.add_argument('--subject', required=True)
    ap.add_argument('--mailbox', default='INBOX')
    ap.add_argument('--events', choices=['newmail', 'created'], default='newmail')
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
