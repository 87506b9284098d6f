#!/usr/bin/python3
"""The "other IMAP client" of test/integration/imap-session.test.ts: Python's imaplib and email (stdlib, independent of
src/) log in to the Dovecot or Cyrus test server as a user (master login `user*master`, SASL PLAIN as the proxy user with
the user as authorization identity, or the user's own password) and run a
list of operations given as JSON, printing one JSON object with each operation's result.

  imap_session_ops.py --host H --port P --login 'alice*master' --password PW --ops OPS.json
  imap_session_ops.py --host H --port P --login proxy --authzid alice --password PW --ops OPS.json   (Cyrus)

Operations (each a JSON object with "op"):
  list                               LIST "" "*" with RFC 6154 SPECIAL-USE flags: [{name, flags}]
  messages   mailbox                 every message: [{uid, subject, messageId, flags, size}] (UID order)
  fetch      mailbox uid             one message parsed with email: headers, flags, attachments (name, type, size; the
                                     subject of a message/rfc822 part), the first text part's length and SHA-256 of
                                     its UTF-16LE encoding (line breaks as CRLF)
  seed       mailbox count start [seen_every flagged_every attach_every]
                                     APPENDs `count` generated messages (subjects "Seeded NNNN ..."), some with
                                     \\Seen / \\Flagged and an attachment: [uids]
  append     mailbox subject [flags] APPENDs one message: its UID (APPENDUID, RFC 4315)
  store      mailbox uids flags mode STORE (mode "+" or "-") of flags on UIDs
  expunge    mailbox uids            \\Deleted + UID EXPUNGE of those UIDs
  create / delete  mailbox           CREATE + SUBSCRIBE / DELETE + UNSUBSCRIBE (the UNSUBSCRIBE answer is not
                                     checked: the mailbox may never have been subscribed)
  rename     mailbox to              RENAME, UNSUBSCRIBE of the old name (unchecked), SUBSCRIBE of the new one
Mailbox names are sent quoted as given (the test server has no non-ASCII names here). A failed command fails the run
(exit 1, the error in the JSON)."""
import argparse
import email
import email.policy
import email.utils
import hashlib
import imaplib
import json
import re
import sys
from email.message import EmailMessage

sys.dont_write_bytecode = True

UID_RE = re.compile(rb'UID (\d+)')
APPENDUID_RE = re.compile(rb'APPENDUID \d+ (\d+)')


class OpError(Exception):
    pass


def q(name):
    return '"%s"' % name.replace('\\', '\\\\').replace('"', '\\"')


def ok(res, what):
    typ, data = res
    if typ != 'OK':
        raise OpError('%s: %s %r' % (what, typ, data))
    return data


def parse_list(lines):
    out = []
    for line in lines:
        if line is None:
            continue
        m = re.match(rb'\((.*?)\) (?:"(.)"|NIL) (.*)$', line)
        if not m:
            continue
        name = m.group(3).decode()
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace('\\\\', '\\')
        out.append({'name': name, 'flags': m.group(1).decode().split()})
    return out


def make_message(subject, i, attach=False, body=None):
    msg = EmailMessage()
    msg['From'] = 'Sender %d <sender%d@example.org>' % (i % 13, i % 13)
    msg['To'] = 'Alice <alice@example.org>'
    msg['Subject'] = subject
    msg['Date'] = email.utils.formatdate(1735689600 + i * 3600)
    msg['Message-ID'] = '<seed.%d@example.org>' % i
    msg.set_content(body or ('Message %d\nZürich report 東京 naïve meeting € data Ωmega\n' % i) * (1 + i % 5))
    if attach:
        data = bytes(((k * 31 + i) & 0xff) for k in range(500 + (i % 11) * 700))
        msg.add_attachment(data, maintype='application', subtype='octet-stream', filename='file%d.bin' % i)
    return msg.as_bytes(policy=email.policy.SMTP)


class Ops:
    def __init__(self, m):
        self.m = m

    def select(self, mailbox, readonly=False):
        ok(self.m.select(q(mailbox), readonly=readonly), 'SELECT %s' % mailbox)

    def op_list(self, o):
        return parse_list(ok(self.m.list('""', '"*"'), 'LIST'))

    def op_messages(self, o):
        self.select(o['mailbox'], True)
        uids = ok(self.m.uid('SEARCH', None, 'ALL'), 'UID SEARCH')[0].split()
        out = []
        if not uids:
            return out
        data = ok(self.m.uid('FETCH', b','.join(uids).decode(),
                             '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])'), 'UID FETCH')
        for part in data:
            if not isinstance(part, tuple):
                continue
            head = part[0]
            h = email.message_from_bytes(part[1], policy=email.policy.default)
            fl = re.search(rb'FLAGS \((.*?)\)', head)
            sz = re.search(rb'RFC822.SIZE (\d+)', head)
            out.append({'uid': int(UID_RE.search(head).group(1)), 'subject': str(h['Subject'] or ''),
                        'messageId': str(h['Message-ID'] or ''), 'flags': fl.group(1).decode().split() if fl else [],
                        'size': int(sz.group(1)) if sz else None})
        return sorted(out, key=lambda x: x['uid'])

    def op_fetch(self, o):
        self.select(o['mailbox'], True)
        data = ok(self.m.uid('FETCH', str(o['uid']), '(FLAGS BODY.PEEK[])'), 'UID FETCH')
        part = [x for x in data if isinstance(x, tuple)][0]
        msg = email.message_from_bytes(part[1], policy=email.policy.default)
        fl = re.search(rb'FLAGS \((.*?)\)', part[0])
        atts = []
        text = None
        for p in msg.walk():
            if p.get_content_type() == 'message/rfc822':
                inner = p.get_payload()[0]
                atts.append({'name': p.get_filename(), 'type': 'message/rfc822', 'subject': str(inner['Subject'] or '')})
                continue
            if p.is_multipart():
                continue
            fn = p.get_filename()
            if fn:
                payload = p.get_payload(decode=True)
                atts.append({'name': fn, 'type': p.get_content_type(), 'size': len(payload) if payload else None})
            elif p.get_content_maintype() == 'text' and text is None:
                text = p.get_content().replace('\r\n', '\n').replace('\n', '\r\n')
        return {'subject': str(msg['Subject'] or ''), 'from': str(msg['From'] or ''), 'to': str(msg['To'] or ''),
                'cc': str(msg['Cc'] or ''), 'bcc': str(msg['Bcc'] or ''), 'messageId': str(msg['Message-ID'] or ''),
                'flags': fl.group(1).decode().split() if fl else [], 'attachments': atts,
                'textLength': len(text) if text is not None else None,
                'textSha256': hashlib.sha256(text.encode('utf-16-le')).hexdigest() if text is not None else None,
                'bytes': len(part[1])}

    def append(self, mailbox, raw, flags):
        r = ok(self.m.append(q(mailbox), '(%s)' % ' '.join(flags) if flags else None, None, raw), 'APPEND')
        mm = APPENDUID_RE.search(r[0] if r and r[0] else b'')
        if not mm:
            raise OpError('APPEND to %s: no APPENDUID in %r' % (mailbox, r))
        return int(mm.group(1))

    def op_seed(self, o):
        uids = []
        seen, flagged, attach = o.get('seenEvery', 4), o.get('flaggedEvery', 5), o.get('attachEvery', 3)
        for k in range(o['count']):
            i = o['start'] + k
            subject = 'Seeded %04d %s' % (i, ['report', 'invoice', 'lunch', '会议'][i % 4])
            flags = (['\\Seen'] if i % seen == 0 else []) + (['\\Flagged'] if i % flagged == 2 else [])
            uids.append(self.append(o['mailbox'], make_message(subject, i, i % attach == 0), flags))
        return uids

    def op_append(self, o):
        raw = make_message(o['subject'], o.get('i', 7), o.get('attach', False), o.get('body'))
        return self.append(o['mailbox'], raw, o.get('flags', []))

    def op_store(self, o):
        self.select(o['mailbox'])
        uids = ','.join(str(u) for u in o['uids'])
        ok(self.m.uid('STORE', uids, '%sFLAGS.SILENT' % o.get('mode', '+'), '(%s)' % ' '.join(o['flags'])), 'UID STORE')
        return len(o['uids'])

    def op_expunge(self, o):
        self.select(o['mailbox'])
        uids = ','.join(str(u) for u in o['uids'])
        ok(self.m.uid('STORE', uids, '+FLAGS.SILENT', '(\\Deleted)'), 'UID STORE \\Deleted')
        ok(self.m.uid('EXPUNGE', uids), 'UID EXPUNGE')
        return len(o['uids'])

    def op_create(self, o):
        ok(self.m.create(q(o['mailbox'])), 'CREATE')
        ok(self.m.subscribe(q(o['mailbox'])), 'SUBSCRIBE')
        return True

    def op_delete(self, o):
        ok(self.m.delete(q(o['mailbox'])), 'DELETE')
        self.m.unsubscribe(q(o['mailbox']))
        return True

    def op_rename(self, o):
        ok(self.m.rename(q(o['mailbox']), q(o['to'])), 'RENAME')
        self.m.unsubscribe(q(o['mailbox']))
        ok(self.m.subscribe(q(o['to'])), 'SUBSCRIBE')
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--login', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--authzid', help='log in by AUTHENTICATE PLAIN as --login on behalf of this user (Cyrus proxyservers)')
    ap.add_argument('--ops', required=True, help='a JSON file with a list of operations')
    a = ap.parse_args()
    with open(a.ops) as f:
        ops = json.load(f)
    out = {'results': [], 'error': None}
    try:
        m = imaplib.IMAP4(a.host, a.port)
        if a.authzid:
            cred = ('%s\0%s\0%s' % (a.authzid, a.login, a.password)).encode()
            ok(m.authenticate('PLAIN', lambda _: cred), 'AUTHENTICATE PLAIN')
        else:
            ok(m.login(a.login, a.password), 'LOGIN')
        o = Ops(m)
        for op in ops:
            fn = getattr(o, 'op_' + op['op'], None)
            if fn is None:
                raise OpError('unknown operation %s' % op['op'])
            out['results'].append(fn(op))
        m.logout()
    except (OpError, imaplib.IMAP4.error, OSError) as e:
        out['error'] = '%s: %s' % (type(e).__name__, e)
    print(json.dumps(out))
    sys.exit(1 if out['error'] else 0)


if __name__ == '__main__':
    main()
