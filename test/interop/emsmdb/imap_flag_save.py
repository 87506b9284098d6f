#!/usr/bin/python3
"""Outlook in online mode flags and categorizes a message of the Inbox (issue 8, the IMAP-backed store): the client of
cached_mode.py connects (ncacn_ip_tcp, PKT_PRIVACY), asks for PidNameKeywords' property id (RopGetPropertyIdsFromNames,
PS_PUBLIC_STRINGS "Keywords", MS-OXCMSG 2.2.1.17), opens the message read-write (RopOpenMessage), sets PidTagFlagStatus
2 (MS-OXOFLAG 2.2.1.1) and the categories (RopSetProperties) and saves it (RopSaveChangesMessage), as Outlook does.

  imap_flag_save.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --mid N --category C [--category C2 ...]

Prints one JSON object: steps as in the other runs; under 'flagged': the property id, the RopSetProperties problems
and the MessageId RopSaveChangesMessage answered.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import imap_common as H
import props as P
import rops as R
import rops_msg as M

PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046'
PID_TAG_FLAG_STATUS = 0x10900003
PT_MV_UNICODE = 0x101F


class Run(H.InboxRun):
    STEPS = [('flagged', 's_flag')]

    def s_flag(self):
        a = self.a
        c = self.c
        d = self.out.setdefault('flagged', {})
        r = c.one(lambda i: R.RopGetPropertyIdsFromNames([{'guid': PS_PUBLIC_STRINGS, 'name': 'Keywords'}], True,
                                                          in_index=i['logon']), ['logon'], what='RopGetPropertyIdsFromNames')
        pid = r['PropertyIds'][0]
        d['PropertyId'] = pid
        inbox = c.fids['Inbox']
        c.one(lambda i: M.RopOpenMessage(inbox, a.mid, 1, in_index=i['logon'], out_index=i['msg']), ['logon'], ['msg'],
              what='RopOpenMessage')
        keywords = ((pid << 16) | PT_MV_UNICODE) & 0xFFFFFFFF
        sp = c.one(lambda i: R.RopSetProperties([(PID_TAG_FLAG_STATUS, 2), (keywords, a.category)], in_index=i['msg']),
                   ['msg'], what='RopSetProperties')
        d['problems'] = sp.get('PropertyProblems', [])
        sv = c.one(lambda i: R.RopSaveChangesMessage(0x0C, in_index=i['msg'], response_index=i['msg']), ['msg'],
                   what='RopSaveChangesMessage')
        d['MessageId'] = P.fid_str(sv['MessageId'])
        c.release('msg')


def main():
    ap = H.parser(__doc__)
    ap.add_argument('--mid', type=int, required=True)
    ap.add_argument('--category', action='append', required=True)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
