#!/usr/bin/python3
"""Cached-mode contents sync of the Inbox only (issue 8, the IMAP-backed store): the ICS client of cached_mode.py
(ics.py, written from MS-OXCFXICS independently of src/) connects over ncacn_ip_tcp at PKT_PRIVACY, syncs the Inbox
folder of the RopLogon answer with the state kept in --state (a missing file: a first sync from an empty state) and
saves the new state, so a second run is an incremental sync.

  imap_inbox_sync.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --state FILE

Prints one JSON object: steps as in the other runs; under 'inbox': the message changes (mid, subject, read),
deleted / softDeleted MIDs, read / unread MIDs (MetaTagIdsetRead / Unread) and the number of messages received.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cached_mode as C
import imap_common as H

SUBJECT = '0x0037001F'


class Run(H.InboxRun):
    STEPS = [('inbox', 's_inbox')]

    def __init__(self, a):
        H.InboxRun.__init__(self, a)
        self.st = C.load_state(a.state)

    def s_inbox(self):
        state = dict(self.st['contents'].get('Inbox', {}))
        tree, stats = self.c.sync(self.c.fids['Inbox'], 'contents', state)
        summ, msgs = C.summarize_contents(tree, self.c.replguid)
        st = C.I.state_of(tree)
        if not st:
            raise C.StepError('contents sync of the Inbox returned no state')
        self.st['contents']['Inbox'] = st
        changes = []
        for m in msgs:
            s = m['props'].get(SUBJECT)
            changes.append({'mid': m['mid'], 'subject': bytes.fromhex(s).decode('utf-16-le') if isinstance(s, str) else None,
                            'read': m['read']})
        self.out['inbox'] = {'messages': len(msgs), 'changes': changes,
                             'deleted': sorted(summ['deleted']), 'softDeleted': sorted(summ['softDeleted']),
                             'read': sorted(summ['read']), 'unread': sorted(summ['unread']),
                             'statuses': stats['statuses']}

    def finish(self):
        C.save_state(self.a.state, self.st)


def main():
    ap = H.parser(__doc__)
    ap.add_argument('--state', required=True)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
