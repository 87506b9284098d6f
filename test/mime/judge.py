# Independent judge for test/mime/corpus.test.ts: parses each message file named on the command line with Python's
# email package (email.policy.default) and prints one JSON object per file: subject, from, to, cc (lists of
# [display name, address]), date (epoch seconds or null), text and html bodies (get_body), and the file names of all
# non-multipart parts and message/rfc822 parts that have one (walking the tree, not entering nested messages).
import email
import email.policy
import json
import sys


def raw8(s):
    # Python keeps raw 8-bit header bytes as surrogate escapes (RFC 6532 UTF-8 headers are not decoded); the parser
    # under test decodes them as UTF-8 (latin1 when invalid), so restore the bytes and read them as UTF-8 here.
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def addrs(msg, name):
    h = msg[name]
    if h is None:
        return []
    return [[raw8(a.display_name), raw8(a.addr_spec)] for a in h.addresses]


def names(part, out):
    if part.get_content_type() == "message/rfc822":
        if part.get_filename() is not None:
            out.append(part.get_filename())
        return
    if part.is_multipart():
        for p in part.get_payload():
            names(p, out)
        return
    if part.get_filename() is not None:
        out.append(part.get_filename())


def body(msg, kind):
    b = msg.get_body((kind,))
    return None if b is None else b.get_content()


result = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    d = msg["date"]
    files = []
    names(msg, files)
    result.append({
        "subject": raw8(str(msg["subject"])) if msg["subject"] is not None else None,
        "from": addrs(msg, "from"),
        "to": addrs(msg, "to"),
        "cc": addrs(msg, "cc"),
        "date": d.datetime.timestamp() if d is not None and d.datetime is not None else None,
        "text": body(msg, "plain"),
        "html": body(msg, "html"),
        "files": files,
    })
print(json.dumps(result))
