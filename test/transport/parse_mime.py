# Independent MIME parse for the transport tests: reads an RFC 5322 message on stdin and prints its structure as
# JSON (decoded headers, parts with their content types, file names and decoded payloads).
import email
import email.policy
import json
import sys

msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)


def part_info(p):
    info = {"type": p.get_content_type(), "filename": p.get_filename(), "disposition": p.get_content_disposition()}
    if p.get_content_type() == "message/rfc822":
        inner = p.get_payload()[0]
        info["inner"] = {"subject": str(inner["subject"]), "body": inner.get_body(("plain",)).get_content() if inner.get_body(("plain",)) else None}
    elif not p.is_multipart():
        data = p.get_payload(decode=True) or b""
        if p.get_content_maintype() == "text":
            info["text"] = data.decode(p.get_content_charset() or "utf-8", errors="replace")
            info["hex"] = data.hex()
        else:
            info["hex"] = data.hex()
    return info


out = {
    "subject": str(msg["subject"]) if msg["subject"] is not None else None,
    "from": str(msg["from"]),
    "sender": str(msg["sender"]) if msg["sender"] is not None else None,
    "to": str(msg["to"]) if msg["to"] is not None else None,
    "cc": str(msg["cc"]) if msg["cc"] is not None else None,
    "bcc": str(msg["bcc"]) if msg["bcc"] is not None else None,
    "message_id": str(msg["message-id"]),
    "date": str(msg["date"]),
    "type": msg.get_content_type(),
    "defects": [str(d) for d in msg.defects],
    "parts": [],
}
body = msg.get_body(("plain",))
out["plain"] = body.get_content() if body is not None else None
html = msg.get_body(("html",))
out["html"] = html.get_content() if html is not None else None
for p in msg.iter_attachments():
    out["parts"].append(part_info(p))
print(json.dumps(out))
