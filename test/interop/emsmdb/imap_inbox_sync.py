#!/usr/bin/python3
"""Cached-mode contents sync of the Inbox only (issue 8, the IMAP-backed store): the ICS client of cached_mode.py
(ics.py, written from MS-OXCFXICS independently of src/) connects over ncacn_ip_tcp at PKT_PRIVACY, syncs the Inbox
folder of the RopLogon answer with the state kept in --state (a missing file: a first sync from an empty state) and
saves the new state, so a second run is an incremental sync.

  imap_inbox_sync.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --state FILE

Prints one JSON object: steps as in the other runs; under 'inbox': the message changes (mid, subject, read),
deleted / softDeleted MIDs, read / unread MIDs (MetaTagIdsetRead / Unread) and the number of messages received.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cached_mode as C

SUBJECT = '0x0037001F'


class Run(C.StepRun):
    TRACE_LINES = 10

    def __init__(self, a):
        C.StepRun.__init__(self, a)
        self.c = C.Client(a)
        self.st = C.load_state(a.state)

    def s_connect(self):
        self.out['connect'] = self.c.connect()

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

    def s_disconnect(self):
        self.c.disconnect()

    def run(self):
        self.step('connect', self.s_connect)
        self.step('inbox', self.s_inbox)
        if self.c.s and self.c.s.cxh is not None:
            self.step('disconnect', self.s_disconnect)
        C.save_state(self.a.state, self.st)
        return self.out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--epm-port', type=int, required=True)
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    ap.add_argument('--dn', required=True)
    ap.add_argument('--state', required=True)
    ap.add_argument('--steps', default=None)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
