# Independent check of the MIME the writer produces (src/transport/mime.ts): reads every .eml file in the directory
# given as the only argument with Python's email package (policy.default) and prints one JSON object, file name ->
# the defects found (of the message, of every part, nested messages included, and of every header field) and a few
# decoded values (subject, addresses, file names) to compare with what was written.
import email
import email.policy
import json
import os
import sys


def defects_of(msg):
    out = []
    for part in msg.walk():
        out.extend(type(d).__name__ + ": " + str(d) for d in part.defects)
        for name in part.keys():
            for value in part.get_all(name, []):
                out.extend(name + ": " + type(d).__name__ + ": " + str(d) for d in getattr(value, "defects", ()))
    return out


def info(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    get = lambda n: str(msg[n]) if msg[n] is not None else None
    files = []
    for part in msg.walk():
        if part.get_content_disposition() in ("attachment", "inline") and not part.is_multipart():
            files.append({"type": part.get_content_type(), "filename": part.get_filename(), "size": len(part.get_payload(decode=True) or b"")})
    return {
        "defects": defects_of(msg),
        "subject": get("subject"),
        "from": get("from"),
        "sender": get("sender"),
        "to": get("to"),
        "cc": get("cc"),
        "bcc": get("bcc"),
        "addresses": {n: [a.addr_spec for a in msg[n].addresses] if msg[n] is not None else [] for n in ("from", "sender", "to", "cc", "bcc")},
        "message_id": get("message-id"),
        "content_language": get("content-language"),
        "files": files,
    }


directory = sys.argv[1]
result = {}
for name in sorted(os.listdir(directory)):
    if name.endswith(".eml"):
        result[name] = info(os.path.join(directory, name))
print(json.dumps(result))
