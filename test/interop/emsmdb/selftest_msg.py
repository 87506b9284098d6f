"""Issue-6 offline checks (imported by selftest.py): MS-OXCMSG section 4 and MS-OXCPRPT 4.4 stream vectors,
MS-OXCNOTIF section 4 NotificationData, and round trips of the builders/parsers that have no spec vector."""
import json
import struct

import props as P
import rops as R
import rops_msg as M

from selfcheck import eq, fid, load


# MS-OXCMSG 4.7.1: the recipient columns and the one row, written from the spec's annotations
RECIP_COLS = [0x0FFE0003, 0x39000003, 0x39FF001F, 0x39FE001F, 0x3A710003, 0x39050003, 0x5FF6001F, 0x5FFD0003,
              0x5FFF0003, 0x5FDE0003, 0x5FDF0003, 0x5FF70102]
X500 = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user2'
# EX address-book EntryID (MS-OXCDATA 2.2.5.2): Flags, ProviderUID, Version 1, Type 0 (mailuser), X500DN
EX_ENTRYID = (b'\0' * 4 + bytes.fromhex('dca740c8c042101ab4b908002b2fe182') + struct.pack('<II', 1, 0) +
              X500.encode() + b'\0')
RECIP_ROW = {'Flags': M.RT_X500DN | M.RF_D | M.RF_S | M.RF_U | M.RF_I, 'AddressPrefixUsed': 0x5A, 'DisplayType': 0,
             'X500DN': 'User2', 'DisplayName': 'user2', 'SimpleDisplayName': 'user2',
             'Values': [6, 0, 'user2', 'user2@szfkuk-dom.extest.microsoft.com', 0, 0x40000000, 'user2', 1, 0, 0, 0,
                        EX_ENTRYID]}

REQUESTS = {
    'ms-oxcmsg-4.1.1#1': lambda: M.RopCreateMessage(fid('0100000000f07993'), associated=False, code_page=0x0FFF,
                                                    in_index=0, out_index=1),
    'ms-oxcmsg-4.3.1#1': lambda: M.RopGetAttachmentTable(0, in_index=0, out_index=1),
    'ms-oxcmsg-4.4.1#1': lambda: M.RopCreateAttachment(in_index=0, out_index=1),
    'ms-oxcmsg-4.4.4#1': lambda: M.RopSaveChangesAttachment(0x0A, in_index=0, response_index=1),
    'ms-oxcmsg-4.5.1#1': lambda: M.RopCreateAttachment(in_index=0, out_index=3),
    'ms-oxcmsg-4.5.4#1': lambda: M.RopSaveChangesAttachment(0x0A, in_index=1, response_index=2),
    'ms-oxcmsg-4.7.1#1': lambda: M.RopModifyRecipients(RECIP_COLS, [{'RowId': 0, 'RecipientType': M.MAPI_TO,
                                                                     'Row': RECIP_ROW}], in_index=8),
    'ms-oxcmsg-4.8.1#1': lambda: M.RopSaveChangesMessage(0x0A, in_index=1, response_index=0),
    'ms-oxcprpt-4.4.1.1#1': lambda: M.RopOpenStream(0x0E9A0102, M.STREAM_READWRITE, in_index=0, out_index=1,
                                                    logon_id=1),
    'ms-oxcprpt-4.4.3.1#1': lambda: M.RopCommitStream(in_index=1, logon_id=1),
}

RESPONSES = {
    'ms-oxcmsg-4.1.2#1': (lambda: M.RopCreateMessage(0), lambda d: eq((d['HandleIndex'], d['HasMessageId']), (1, 0))),
    'ms-oxcmsg-4.3.2#1': (lambda: M.RopGetAttachmentTable(), lambda d: eq(d['HandleIndex'], 1)),
    'ms-oxcmsg-4.4.2#1': (lambda: M.RopCreateAttachment(), lambda d: eq((d['HandleIndex'], d['AttachmentID']), (1, 0))),
    'ms-oxcmsg-4.4.5#1': (lambda: M.RopSaveChangesAttachment(), lambda d: eq(d['HandleIndex'], 1)),
    'ms-oxcmsg-4.5.2#1': (lambda: M.RopCreateAttachment(), lambda d: eq((d['HandleIndex'], d['AttachmentID']), (3, 1))),
    'ms-oxcmsg-4.5.5#1': (lambda: M.RopSaveChangesAttachment(), lambda d: eq(d['HandleIndex'], 2)),
    'ms-oxcmsg-4.7.2#1': (lambda: M.RopModifyRecipients([], []), lambda d: eq(d['HandleIndex'], 8)),
    'ms-oxcmsg-4.8.2#1': (lambda: M.RopSaveChangesMessage(),
                          lambda d: eq((d['HandleIndex'], d['InputHandleIndex'], d['MessageId']),
                                       (0, 1, fid('0100000000f08639')))),
    'ms-oxcprpt-4.4.1.2#1': (lambda: M.RopOpenStream(0), lambda d: eq((d['HandleIndex'], d['StreamSize']),
                                                                      (1, 0x2E15))),
    'ms-oxcprpt-4.4.2.2#1': (lambda: M.RopWriteStream(b''), lambda d: eq((d['HandleIndex'], d['WrittenSize']),
                                                                         (1, 0x2E15))),
    'ms-oxcprpt-4.4.3.2#1': (lambda: M.RopCommitStream(), lambda d: eq(d['HandleIndex'], 1)),
}


def t_msg_stream_vectors():
    vecs = [v for v in load('rop-buffers-from-specs.json')['vectors']
            if v['spec'] == 'MS-OXCMSG' or v['id'].startswith('ms-oxcprpt-4.4.')]
    report, failures, inconsistent = [], [], []
    for v in vecs:
        b = bytes.fromhex(v['hex'])
        e = {'id': v['id'], 'rop': v['rop'], 'direction': v['direction']}
        try:
            if v['id'] in REQUESTS:
                mine = REQUESTS[v['id']]().encode()
                eq(mine.hex(), b.hex(), 'request bytes')
                e['result'] = 'request bytes reproduced'
            elif v['id'] in RESPONSES:
                mk, expect = RESPONSES[v['id']]
                r = P.Reader(b)
                d = R.parse_response(r, mk())
                eq(d['ReturnValue'], 0, 'ReturnValue')
                eq(r.left(), 0, 'response fully consumed')
                expect(d)
                e['result'] = 'response parsed to the spec values'
            elif v['id'] == 'ms-oxcprpt-4.4.2.1#1':
                # RopId 2D, LogonId 01, InputHandleIndex 01, DataSize 0x2E15, then only 43 bytes of Data printed
                size = struct.unpack_from('<H', b, 3)[0]
                shown = b[5:]
                data = shown + b'x' * (size - len(shown))
                mine = M.RopWriteStream(data, in_index=1, logon_id=1).encode()
                eq(mine[:len(b)].hex(), b.hex(), 'request prefix')
                e['result'] = 'request bytes reproduced (prefix: the spec prints Data truncated)'
                e['note'] = ('DataSize is 0x%04X (%d) but only %d Data bytes are printed (%r...); the builder '
                             'reproduces the printed bytes as the prefix of a %d-byte request; the response '
                             '(4.4.2.2) says WrittenSize 0x2E15, agreeing with DataSize' %
                             (size, size, len(shown), shown[:12], len(mine)))
                inconsistent.append({'id': v['id'], 'evidence': e['note']})
            else:
                e['result'] = 'NOT CHECKED'
                failures.append(v['id'] + ' has no check')
        except Exception as ex:
            e['result'] = 'FAIL'
            e['error'] = '%s: %s' % (type(ex).__name__, ex)
            failures.append(v['id'])
        report.append(e)
    if failures:
        raise AssertionError('failed: %s; report %s' % (failures, json.dumps(report)))
    # the decoded ModifyRecipients row, for the record
    r = P.Reader(bytes.fromhex([v for v in vecs if v['id'] == 'ms-oxcmsg-4.7.1#1'][0]['hex']))
    r.take(3)
    mr = M.decode_modify_recipients_body(r)
    eq(r.left(), 0, 'ModifyRecipients consumed')
    row = mr['RecipientRows'][0]['Row']
    eq((row['X500DN'], row['DisplayName'], row['Values'][3], row['Values'][11]),
       ('User2', 'user2', 'user2@szfkuk-dom.extest.microsoft.com', EX_ENTRYID), 'decoded recipient row')
    return {'checked': sum(1 for x in report if x['result'].startswith(('request', 'response'))),
            'total': len(report), 'vectors': report, 'inconsistent': inconsistent,
            'recipientRow': {'Flags': '0x%04X' % row['Flags'], 'X500DN': row['X500DN'],
                             'SmtpAddress': row['Values'][3]}}


# ---- MS-OXCNOTIF section 4

FLAG_LABELS = {'message': M.NF_M, 'uflag,unreaditemschanged': M.NF_U, 'tflag,totalitemschanged': M.NF_T}
ALIASES = {'newmessagefolderid': 'folderid', 'newmessagemessageid': 'messageid', 'newobjectfolderid': 'folderid',
           'messagefolderid': 'folderid', 'unicodeflagindicatesascii': 'unicodeflag',
           'tablerowdatasizetablerowdata': 'tablerowdatasize', 'insertaftertablerowfolderid':
           'insertaftertablerowfolderid'}
# labels found not to match the bytes (see the report): (vector id, label)
KNOWN_LABEL_MISMATCHES = {('oxcnotif-4-ObjectCopiedNotification#1', 'OldMessageId'),
                          ('oxcnotif-4-ObjectCopiedNotification#1', 'OldFolderId')}


def _label_target(label, d):
    """-> (field name, byte offset within the field) or ('NotificationFlags', check) for flag labels."""
    k = label.lower().replace(' ', '')
    if k.startswith('notificationtypeis'):
        rest = k[len('notificationtypeis'):]
        want = rest.split('and')[0]
        eq(d['NotificationType'].lower(), want, 'notification type in label %r' % label)
        if 'sandmflags' in rest:
            eq(d['NotificationFlags'] & (M.NF_S | M.NF_M), M.NF_S | M.NF_M, 'S and M flags')
        return 'notificationflags', None
    if k.startswith('tableeventtypeis'):
        eq(d['TableEvent'].lower(), k[len('tableeventtypeis'):], 'table event in label %r' % label)
        return 'tableeventtype', None
    if k in FLAG_LABELS:
        eq(bool(d['NotificationFlags'] & FLAG_LABELS[k]), True, 'flag in label %r' % label)
        return 'notificationflags', 1
    if k == 'noflags':
        eq(d['NotificationFlags'] & 0xF000, 0, 'no flags')
        return 'notificationflags', 1
    if k == 'noerrors':
        eq(d['Row']['flagged'], False, 'standard PropertyRow')
        return 'tablerowdata', 0
    if k == 'unreadmessagecount':
        return 'unreadmessagecount', 0
    k = ALIASES.get(k, k)
    if d['NotificationType'] == 'TableModified' and k in ('folderid', 'messageid'):
        k = 'tablerow' + k
    return k, 0


def t_notifications():
    vecs = load('ms-oxcnotif-notifications.json')['vectors']
    report, mismatches = [], []
    for v in vecs:
        b = bytes.fromhex(v['hex'])
        cols = [0x3001001F, 0x0FFF0102] if v['notification'] == 'TableRowAddModifiedNotification' else None
        r = P.Reader(b)
        d = M.parse_notification_data(r, cols)
        eq(r.left(), 0, v['id'] + ' consumed')
        eq(M.encode_notification_data(d).hex(), b.hex(), v['id'] + ' re-encode')
        where = {n.lower(): (off, ln) for n, off, ln in d['_fields']}
        checked = 0
        for f in v['fields']:
            name, sub = _label_target(f['label'], d)
            if name not in where:
                raise AssertionError('%s: label %r -> field %s not decoded (have %s)' %
                                     (v['id'], f['label'], name, list(where)))
            off, ln = where[name]
            h = bytes.fromhex(f['hex'])
            if sub is None:
                ok = b[off:off + len(h)] == h
            else:
                ok = b[off + sub:off + sub + len(h)] == h
            if not ok:
                mismatches.append({'id': v['id'], 'label': f['label'], 'labelHex': f['hex'],
                                   'bytesAtField': b[off:off + ln].hex(), 'offset': off})
            checked += 1
        # the NewMail row, the moved/copied old IDs, the counts: spot values
        report.append({'id': v['id'], 'type': d['NotificationType'], 'fields': [n for n, _, _ in d['_fields']],
                       'labelsChecked': checked})
    got = {(m['id'], m['label']) for m in mismatches}
    if got != KNOWN_LABEL_MISMATCHES:
        raise AssertionError('label mismatches %s' % json.dumps(mismatches))
    nm = M.parse_notification_data(P.Reader(bytes.fromhex(vecs[0]['hex'])))
    eq((nm['MessageClass'], nm['MessageFlags'], nm['UnicodeFlag']), ('IPM.Note', 0x22, 0), 'NewMail values')
    return {'parsed': len(report), 'reencoded': len(report), 'vectors': report, 'inconsistent': mismatches,
            'types': sorted(set(x['type'] for x in report))}


def _rt(rop, resp_body, rv=0, hidx=None):
    """Build a response for `rop` and parse it back through rops.parse_response."""
    h = rop.in_index if hidx is None else hidx
    if rop.out_index is not None:
        h = rop.out_index
    b = bytes([rop.rop_id, h or 0]) + struct.pack('<I', rv) + resp_body
    r = P.Reader(b)
    d = R.parse_response(r, rop)
    eq(r.left(), 0, rop.name + ' consumed')
    return d


def t_roundtrips():
    """Builders and parsers without spec vectors: wire layouts of MS-OXCROPS 2.2.6, 2.2.7, 2.2.9, 2.2.14."""
    out = {}
    # requests: exact bytes from the MS-OXCROPS field lists
    cases = [
        (M.RopOpenMessage(0x11, 0x22, open_mode=1, in_index=0, out_index=1),
         '03000001ff0f' + '1100000000000000' + '01' + '2200000000000000'),
        (M.RopRemoveAllRecipients(in_index=2), '0d000200000000'),
        (M.RopReadRecipients(5, in_index=1), '0f0001050000000000'),
        (M.RopReloadCachedInformation(in_index=1), '1000010000'),
        (M.RopSetMessageStatus(0x33, 0x1000, 0x1000), '2000003300000000000000' + '00100000' + '00100000'),
        (M.RopGetMessageStatus(0x33), '1f00003300000000000000'),
        (M.RopSetReadFlags([1, 2], read_flags=0x04), '66000000040200' + '0100000000000000' + '0200000000000000'),
        (M.RopSetMessageReadFlag(0x01, in_index=1, response_index=0), '1100000101'),
        (M.RopSetMessageReadFlag(0x00, client_data=bytes(range(24)), in_index=1, response_index=2),
         '11000201' + '00' + bytes(range(24)).hex()),
        (M.RopOpenEmbeddedMessage(open_mode=2, in_index=1, out_index=2), '46000102ff0f02'),
        (M.RopOpenAttachment(3, open_flags=1, in_index=1, out_index=2), '220001020103000000'),
        (M.RopDeleteAttachment(3, in_index=1), '24000103000000'),
        (M.RopGetValidAttachments(in_index=1), '520001'),
        (M.RopReadStream(0x1000, in_index=2), '2c00020010'),
        (M.RopReadStream(0xBABE, 0x100000, in_index=2), '2c0002beba' + '00001000'),
        (M.RopWriteStreamExtended(b'abc', in_index=2), 'a30002' + '0300' + '616263'),
        (M.RopGetStreamSize(in_index=2), '5e0002'),
        (M.RopSetStreamSize(0x500000, in_index=2), '2f0002' + '0000500000000000'),
        (M.RopSeekStream(-4, M.SEEK_END, in_index=2), '2e000202' + 'fcffffffffffffff'),
        (M.RopCopyToStream(0x1234, src_index=2, dest_index=3), '3a000203' + '3412000000000000'),
        (M.RopSubmitMessage(0, in_index=1), '32000100'),
        (M.RopAbortSubmit(0x11, 0x22, in_index=0), '340000' + '1100000000000000' + '2200000000000000'),
        (M.RopGetAddressTypes(in_index=0), '490000'),
        (M.RopRegisterNotification(0x02, want_whole_store=True, in_index=0, out_index=1), '2900000102' + '0001'),
        (M.RopRegisterNotification(0x10, want_whole_store=False, folder_id=0x11, message_id=0x22, in_index=0,
                                   out_index=1), '2900000110' + '0000' + '1100000000000000' + '2200000000000000'),
    ]
    for rop, hexs in cases:
        eq(rop.encode().hex(), hexs, rop.name)
    out['requests'] = len(cases)
    try:
        M.RopReadStream(0xBABE)
        raise AssertionError('0xBABE without MaximumByteCount accepted')
    except ValueError:
        pass

    # recipient rows: every Type/flag combination round-trips
    cols = [0x0FFE0003, 0x3001001F, 0x39FE001F, 0x0C150003]
    rows = [
        {'Flags': M.RT_X500DN | M.RF_D | M.RF_S | M.RF_U | M.RF_I, 'AddressPrefixUsed': 0, 'DisplayType': 0,
         'X500DN': '/o=x/cn=bob', 'DisplayName': 'Bob', 'SimpleDisplayName': 'Bob', 'Values': [6, 'Bob', 'b@x', 1],
         'Flagged': False},
        {'Flags': M.RT_SMTP | M.RF_E | M.RF_D | M.RF_T | M.RF_U, 'EmailAddress': 'carol@example.org',
         'DisplayName': 'Carol', 'TransmittableDisplayName': 'Carol C', 'Values': [6, 'Carol'], 'Flagged': False},
        {'Flags': M.RT_NOTYPE | M.RF_O | M.RF_E | M.RF_D, 'AddressType': 'FAX', 'EmailAddress': '+1 555',
         'DisplayName': 'Fax', 'Values': [6, P.NOT_PRESENT, 'x', P.PropError(0x8004010F)], 'Flagged': True},
        {'Flags': M.RT_PDL1 | M.RF_D | M.RF_U, 'EntryId': b'\1\2', 'SearchKey': b'SK', 'DisplayName': 'List',
         'Values': [], 'Flagged': False},
    ]
    for rr in rows:
        b = M.encode_recipient_row(rr, cols)
        r = P.Reader(b)
        back = M.decode_recipient_row(r, cols)
        eq(r.left(), 0, 'recipient row consumed')
        back.pop('Type')
        eq(back, rr, 'recipient row round trip')
    mr = M.RopModifyRecipients(cols, [{'RowId': i, 'RecipientType': 1 + i % 3, 'Row': rr} for i, rr in enumerate(rows)]
                               + [{'RowId': 9, 'RecipientType': 1, 'Row': None}])
    r = P.Reader(mr.body)
    dec = M.decode_modify_recipients_body(r)
    eq((r.left(), len(dec['RecipientRows']), dec['RecipientRows'][-1]['Row']), (0, 5, None), 'ModifyRecipients')
    out['recipientRows'] = len(rows)

    # responses
    def typed(s, t):
        return bytes([t]) + ({0: b'', 1: b'', 2: (s or '').encode() + b'\0', 3: (s or '').encode() + b'\0',
                              4: (s or '').encode('utf-16-le') + b'\0\0'}[t])
    rb = [M.encode_recipient_row(rr, cols) for rr in rows[:2]]
    tail = (b'\1' + typed('RE: ', 2) + typed('Hello', 4) + struct.pack('<H', 3) + struct.pack('<H', len(cols)) +
            b''.join(struct.pack('<I', c) for c in cols) + bytes([2]) +
            b''.join(struct.pack('<BHHH', 1, 0x0FFF, 0, len(x)) + x for x in rb))
    d = _rt(M.RopOpenMessage(1, 2), tail)
    eq((d['HasNamedProperties'], d['SubjectPrefix'], d['NormalizedSubject'], d['RecipientCount'],
        d['RecipientColumns'], len(d['RecipientRows']), d['RecipientRows'][1]['EmailAddress']),
       (1, 'RE: ', 'Hello', 3, cols, 2, 'carol@example.org'), 'RopOpenMessage')
    d = _rt(M.RopReloadCachedInformation(), tail)
    eq(d['RecipientRows'][0]['X500DN'], '/o=x/cn=bob', 'RopReloadCachedInformation')
    d = _rt(M.RopOpenEmbeddedMessage(), b'\0' + struct.pack('<Q', 0x77) + tail)
    eq((d['MessageId'], d['NormalizedSubject']), (0x77, 'Hello'), 'RopOpenEmbeddedMessage')
    d = _rt(M.RopOpenMessage(1, 2), b'\0' + typed(None, 0) + typed('', 1) + struct.pack('<HH', 0, 0) + b'\0')
    eq((d['SubjectPrefix'], d['NormalizedSubject'], d['RecipientRows']), (None, '', []), 'empty TypedStrings')
    rr_body = bytes([1]) + struct.pack('<IBHHH', 4, 2, 0x0FFF, 0, len(rb[1])) + rb[1]
    d = _rt(M.RopReadRecipients(0, columns=cols), rr_body)
    eq((d['RecipientRows'][0]['RowId'], d['RecipientRows'][0]['RecipientType'],
        d['RecipientRows'][0]['DisplayName']), (4, 2, 'Carol'), 'RopReadRecipients')
    eq(_rt(M.RopSetMessageStatus(1, 2, 3), struct.pack('<I', 0x1000))['MessageStatusFlags'], 0x1000, 'status')
    eq(_rt(M.RopGetMessageStatus(1), struct.pack('<I', 0x2000))['MessageStatusFlags'], 0x2000, 'status')
    eq(_rt(M.RopSetReadFlags([1]), b'\0')['PartialCompletion'], 0, 'SetReadFlags')
    d = _rt(M.RopSetMessageReadFlag(1), b'\0')
    eq((d['ReadStatusChanged'], 'LogonId' in d, 'ClientData' in d), (0, False, False), 'SetMessageReadFlag private')
    d = _rt(M.RopSetMessageReadFlag(1, client_data=b'\0' * 24), b'\1\0' + b'C' * 24)
    eq((d['LogonId'], d['ClientData']), (0, b'C' * 24), 'SetMessageReadFlag public')
    eq(_rt(M.RopGetValidAttachments(), struct.pack('<HII', 2, 0, 3))['AttachmentIdArray'], [0, 3], 'valid atts')
    eq(_rt(M.RopOpenAttachment(0), b'')['HandleIndex'], 1, 'OpenAttachment')
    d = _rt(M.RopReadStream(0xBABE, 0x10000), struct.pack('<H', 5) + b'hello')
    eq((d['DataSize'], d['Data']), (5, b'hello'), 'ReadStream')
    d = _rt(M.RopReadStream(10), struct.pack('<H', 0), rv=0x80004005)
    eq(d['DataSize'], 0, 'ReadStream failure keeps DataSize')
    eq(_rt(M.RopWriteStream(b'x'), struct.pack('<H', 0), rv=0x80030070)['WrittenSize'], 0, 'WriteStream failure')
    eq(_rt(M.RopWriteStreamExtended(b'x'), struct.pack('<I', 1))['WrittenSize'], 1, 'WriteStreamExtended')
    eq(_rt(M.RopGetStreamSize(), struct.pack('<I', 5 << 20))['StreamSize'], 5 << 20, 'GetStreamSize')
    eq(_rt(M.RopSeekStream(0), struct.pack('<Q', 4096))['NewPosition'], 4096, 'SeekStream')
    d = _rt(M.RopCopyToStream(10), struct.pack('<QQ', 10, 10))
    eq((d['ReadByteCount'], d['WrittenByteCount']), (10, 10), 'CopyToStream')
    d = _rt(M.RopCopyToStream(10), struct.pack('<IQQ', 1, 0, 0), rv=R.ecDstNullObject)
    eq(d['DestHandleIndex'], 1, 'CopyToStream ecDstNullObject')
    d = _rt(M.RopGetAddressTypes(), struct.pack('<HH', 2, 8) + b'EX\0SMTP\0')
    eq(d['AddressTypes'], ['EX', 'SMTP'], 'GetAddressTypes')
    for rop in (M.RopSubmitMessage(), M.RopAbortSubmit(1, 2), M.RopRegisterNotification(2), M.RopSetStreamSize(1),
                M.RopDeleteAttachment(1), M.RopRemoveAllRecipients()):
        _rt(rop, b'')
    out['responses'] = 'parsed'

    # RopNotify + RopPending appended to a response buffer (MS-OXCROPS 2.2.14.2, 2.2.14.3)
    nm = bytes.fromhex(load('ms-oxcnotif-notifications.json')['vectors'][0]['hex'])
    tbl = bytes.fromhex([v for v in load('ms-oxcnotif-notifications.json')['vectors']
                         if v['id'] == 'oxcnotif-4-TableRowAddModifiedNotification#2'][0]['hex'])
    body = (bytes([0x2C, 0]) + struct.pack('<IH', 0, 2) + b'ok' + bytes([0x2A]) + struct.pack('<IB', 0x55, 0) + nm +
            bytes([0x2A]) + struct.pack('<IB', 0x66, 0) + tbl + bytes([0x6E]) + struct.pack('<H', 3))
    payload = struct.pack('<H', 2 + len(body)) + body + struct.pack('<I', 7)
    sp = R.split_response_payload(payload, [M.RopReadStream(2)])
    eq(sp['responses'][0]['Data'], b'ok', 'ReadStream in buffer')
    ex = sp['extra']
    eq([x['name'] for x in ex], ['RopNotify', 'RopNotify', 'RopPending'], 'extra ROPs')
    eq((ex[0]['NotificationHandle'], ex[0]['NotificationData']['NotificationType'],
        ex[0]['NotificationData']['MessageClass']), (0x55, 'NewMail', 'IPM.Note'), 'RopNotify new mail')
    eq(ex[1]['NotificationData']['TableEvent'], 'TableRowAdded', 'RopNotify table')
    eq(ex[2]['SessionIndex'], 3, 'RopPending')
    r = P.Reader(bytes([0x2A]) + struct.pack('<IB', 0x66, 0) + tbl)
    eq(M.parse_extra(r, {0x66: [0x3001001F, 0x0FFF0102]})[0]['NotificationData']['Row']['values'][0],
       'Billy D.S. Proxy', 'table row decoded with the registered columns')
    # search complete: flags 0x0080 + FolderId
    sc = struct.pack('<HQ', 0x0080, 0x1234)
    d = M.parse_notification_data(P.Reader(sc))
    eq((d['NotificationType'], d['FolderId']), ('SearchComplete', 0x1234), 'SearchComplete')
    eq(M.encode_notification_data(d), sc, 'SearchComplete re-encode')
    # folder moved (M clear): ParentFolderId, OldFolderId, OldParentFolderId
    fm = struct.pack('<HQQQQ', 0x0020, 1, 2, 3, 4)
    d = M.parse_notification_data(P.Reader(fm))
    eq((d['ParentFolderId'], d['OldFolderId'], d['OldParentFolderId']), (2, 3, 4), 'folder moved')
    out['notify'] = 'RopNotify/RopPending split from a response buffer'

    # decoders on mutated input raise only ValueError-family errors
    import random
    rnd = random.Random(6)
    seeds = [bytes.fromhex(v['hex']) for v in load('ms-oxcnotif-notifications.json')['vectors']]
    mseed = M.RopModifyRecipients(cols, [{'RowId': 0, 'RecipientType': 1, 'Row': rr} for rr in rows]).body
    targets = [('parse_notification_data', seeds, lambda b: M.parse_notification_data(P.Reader(b), cols[:2])),
               ('decode_modify_recipients_body', [mseed], lambda b: M.decode_modify_recipients_body(P.Reader(b))),
               ('RopOpenMessage response', [tail], lambda b: M.RopOpenMessage(1, 2).parse(P.Reader(b), 0))]
    fz = {}
    for name, sd, fn in targets:
        ok = err = 0
        for k in range(300):
            b = bytearray(rnd.choice(sd))
            if k % 3 == 0:
                b = b[:rnd.randint(0, len(b))]
            else:
                for _ in range(rnd.randint(1, 4)):
                    if b:
                        b[rnd.randrange(len(b))] = rnd.getrandbits(8)
            try:
                fn(bytes(b))
                ok += 1
            except ValueError:
                err += 1
            except Exception as e:
                raise AssertionError('%s raised %s: %s on %s' % (name, type(e).__name__, e, bytes(b).hex()[:200]))
        fz[name] = {'value': ok, 'error': err}
    out['fuzz'] = fz
    return out


# ---- MS-OXCPERM section 4 and MS-OXORULE section 4 request vectors (the builders the acceptance run uses)

def _split_tagged16(r):
    """PropertyValueCount u16 + TaggedPropertyValues, a PtypRuleAction kept as its bytes."""
    vals = []
    for _ in range(r.u16()):
        tag = r.u32()
        if tag & 0xFFFF == 0x00FE:
            start = r.p
            for _ in range(r.u16()):
                r.take(r.u16())
            vals.append((tag, r.b[start:r.p]))
        else:
            vals.append((tag, P.decode_value(r, tag & 0xFFFF)))
    return vals


def _rows_body(b):
    """RopModifyPermissions / RopModifyRules request after the 3-byte prefix: flags, count, rows."""
    r = P.Reader(b)
    prefix = r.take(3)
    flags = r.u8()
    rows = [(r.u8(), _split_tagged16(r)) for _ in range(r.u16())]
    eq(r.left(), 0, 'request consumed')
    return prefix, flags, rows


def t_perm_rule_vectors():
    vs = {v['id']: v for v in load('rop-buffers-from-specs.json')['vectors']}
    out = {}

    def check(vid, build):
        want = vs[vid]['hex']
        eq(build().encode().hex(), want, vid)
        out[vid] = 'request bytes reproduced'

    for vid in ('ms-oxcperm-4.1#9', 'ms-oxcperm-4.2#4', 'ms-oxcperm-4.3#4'):
        prefix, flags, rows = _rows_body(bytes.fromhex(vs[vid]['hex']))
        check(vid, lambda: M.RopModifyPermissions(rows, modify_flags=flags, in_index=prefix[2], logon_id=prefix[1]))
    # 4.1: AddRow carries PidTagEntryId (an address-book EntryID) and PidTagMemberRights; 4.3: RemoveRow PidTagMemberId
    _, _, add = _rows_body(bytes.fromhex(vs['ms-oxcperm-4.1#9']['hex']))
    eq((add[0][0], [t for t, _ in add[0][1]]), (M.PERM_ADD_ROW, [0x0FFF0102, 0x66730003]), '4.1 AddRow')
    eq(add[0][1][0][1][4:20].hex(), 'dca740c8c042101ab4b908002b2fe182', '4.1 EntryID ProviderUID')
    _, _, rem = _rows_body(bytes.fromhex(vs['ms-oxcperm-4.3#4']['hex']))
    eq((rem[0][0], rem[0][1]), (M.PERM_REMOVE_ROW, [(0x66710014, 0x1500000002)]), '4.3 RemoveRow')
    check('ms-oxcperm-4.1#3', lambda: M.RopGetPermissionsTable(0x02, in_index=0, out_index=1))
    check('ms-oxorule-4.2.1#1', lambda: M.RopGetRulesTable(0x40, in_index=0, out_index=1))
    for vid in ('ms-oxorule-4.1.1#1', 'ms-oxorule-4.3.1#1'):
        prefix, flags, rows = _rows_body(bytes.fromhex(vs[vid]['hex']))
        check(vid, lambda: M.RopModifyRules(rows, modify_flags=flags, in_index=prefix[2], logon_id=prefix[1]))
    # 4.1.1: one OP_MOVE action block; re-encoded from its decoded fields
    _, _, rows = _rows_body(bytes.fromhex(vs['ms-oxorule-4.1.1#1']['hex']))
    acts = dict(rows[0][1])[0x668000FE]
    blocks = M.decode_rule_actions(acts)
    eq([(x['ActionType'], x['ActionFlavor'], x['ActionFlags']) for x in blocks], [(M.OP_MOVE, 0, 0)], 'actions')
    eq(M.encode_rule_actions([M.action_block(x['ActionType'], x['ActionData'], x['ActionFlavor'], x['ActionFlags'])
                              for x in blocks]), acts, 'RuleAction re-encoded')
    data = blocks[0]['ActionData']
    store_size = struct.unpack_from('<H', data, 1)[0]
    folder_eid = data[3 + store_size + 2:]
    eq((data[0], len(folder_eid), folder_eid[0]), (1, 21, 1), 'OP_MOVE FolderInThisStore / ServerEid')
    # the builder's own same-store move: FolderInThisStore 1, a 1-byte StoreEID, a 21-byte ServerEid
    mine = M.decode_rule_actions(M.encode_rule_actions([M.rule_action_move(0x0102030405060001)]))
    d = mine[0]['ActionData']
    eq((mine[0]['ActionType'], d[0], struct.unpack_from('<H', d, 1)[0], struct.unpack_from('<H', d, 4)[0],
        struct.unpack_from('<Q', d, 7)[0]), (M.OP_MOVE, 1, 1, 21, 0x0102030405060001), 'rule_action_move')
    # search criteria: request layout and a response round trip
    res = {'type': 'content', 'fuzzy_low': 1, 'fuzzy_high': 1, 'tag': 0x0037001F, 'value': (0x0037001F, 'report')}
    q = M.RopSetSearchCriteria(res, [0x1234000000000001], 0x02, in_index=3).encode()
    rd = P.encode_restriction(res)
    eq(q, bytes([0x30, 0, 3]) + struct.pack('<H', len(rd)) + rd + struct.pack('<HQI', 1, 0x1234000000000001, 2),
       'RopSetSearchCriteria')
    body = struct.pack('<H', len(rd)) + rd + struct.pack('<BHQI', 0, 1, 0x1234000000000001, 0x1002)
    d = R.parse_response(P.Reader(bytes([0x31, 0]) + struct.pack('<I', 0) + body), M.RopGetSearchCriteria())
    eq((d['Restriction'], d['FolderIds'], d['SearchFlags']), (res, [0x1234000000000001], 0x1002),
       'RopGetSearchCriteria response')
    out['search'] = 'request built, response parsed'
    return out
