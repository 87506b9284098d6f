"""What the IMAP-backend runs (imap_inbox_sync.py, imap_inbox_dump.py, imap_newmail.py) share: a step run around
cached_mode's Client (connect, the run's own steps, disconnect) and the connection arguments of every run."""
import argparse

import cached_mode as C


class InboxRun(C.StepRun):
    """A step run on one connected cached_mode Client; subclasses give STEPS: [(name, method name)]."""
    TRACE_LINES = 10
    STEPS = []

    def __init__(self, a):
        C.StepRun.__init__(self, a)
        self.c = C.Client(a)

    def s_connect(self):
        self.out['connect'] = self.c.connect()

    def s_disconnect(self):
        self.c.disconnect()

    def finish(self):
        """Called after the steps (e.g. to save a state file)."""

    def run(self):
        self.step('connect', self.s_connect)
        for name, method in self.STEPS:
            self.step(name, getattr(self, method))
        if self.c.s and self.c.s.cxh is not None:
            self.step('disconnect', self.s_disconnect)
        self.finish()
        return self.out


def parser(doc):
    """The arguments of every run: --host, --epm-port, -u, -p, -d, --dn, --steps."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--epm-port', type=int, required=True)
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    ap.add_argument('--dn', required=True)
    ap.add_argument('--steps', default=None)
    return ap
