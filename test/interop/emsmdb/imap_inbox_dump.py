#!/usr/bin/python3
"""First cached-mode contents sync of the Inbox, dumped whole (issue 8, the acceptance judge of
test/integration/imap-judge.test.ts): the ICS client of cached_mode.py (ics.py, written from MS-OXCFXICS
independently of src/) connects over ncacn_ip_tcp at PKT_PRIVACY, syncs the Inbox folder of the RopLogon answer from
an empty state and, for every message change, keeps the canonical JSON of cached_mode.message_of: mid, read, props
(props_json of the change, header and body: strings as UTF-16LE hex, other values as their raw bytes in hex),
recipients (props_json of each row) and attachments (attachment_json). Nothing is decoded here: the caller judges.

  imap_inbox_dump.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN [--out FILE]

Prints one JSON object: steps as in the other runs and 'inbox': {messages, statuses}; the messages themselves go
under 'inbox'.'dump' or, with --out, into FILE as a JSON list (a dump of 1,000 messages is larger than a pipe
buffer a caller may accept).
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cached_mode as C
import imap_common as H


class Run(H.InboxRun):
    STEPS = [('inbox', 's_inbox')]

    def s_inbox(self):
        tree, stats = self.c.sync(self.c.fids['Inbox'], 'contents', {})
        _summ, msgs = C.summarize_contents(tree, self.c.replguid)
        dump = [{'mid': m['mid'], 'read': m['read'], 'props': m['props'], 'recipients': m['recipients'],
                 'attachments': m['attachments']} for m in msgs]
        self.out['inbox'] = {'messages': len(msgs), 'statuses': stats['statuses']}
        if self.a.out:
            tmp = self.a.out + '.tmp'
            with open(tmp, 'w') as f:
                json.dump(dump, f)
            os.replace(tmp, self.a.out)
        else:
            self.out['inbox']['dump'] = dump


def main():
    ap = H.parser(__doc__)
    ap.add_argument('--out', default=None)
    Run(ap.parse_args()).run_and_exit()


if __name__ == '__main__':
    main()
