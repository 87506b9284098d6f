"""What the IMAP-backend runs (imap_inbox_sync.py, imap_inbox_dump.py, imap_newmail.py) share: a step run around
cached_mode's Client (connect, the run's own steps, disconnect) and the connection arguments of every run."""

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


# The arguments of every run: cached_mode.py's connection arguments (--host, --epm-port, -u, -p, -d, --dn, --steps).
parser = C.base_parser
