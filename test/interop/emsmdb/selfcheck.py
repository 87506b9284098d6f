"""What the offline self-tests (selftest.py, selftest_msg.py, selftest_ics.py) share: where the project's fixture
copies live, loading a vector file, and the equality check that names what differed."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, '../../../fixtures'))  # the project's copies of spec vectors and captures
VEC = os.path.join(FIXTURES, 'vectors')
CAP = os.path.join(FIXTURES, 'captures')


def eq(a, b, what=''):
    if a != b:
        raise AssertionError('%s: got %r, expected %r' % (what, a, b))


def load(name):
    with open(os.path.join(VEC, name)) as f:
        return json.load(f)


def fid(h):
    """A FolderId/MessageId written as 16 hex digits (little-endian bytes) in a vector file."""
    return struct.unpack('<Q', bytes.fromhex(h))[0]
