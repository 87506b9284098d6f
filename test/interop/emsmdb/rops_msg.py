"""Issue-6 ROPs: message (MS-OXCROPS 2.2.6 / MS-OXCMSG), attachment, stream (2.2.9 / MS-OXCPRPT), transport
(2.2.7 / MS-OXOMSG) and notification (2.2.14 / MS-OXCNOTIF) request builders and response parsers, the
RecipientRow of MS-OXCDATA 2.8.3 and the RopNotify NotificationData of MS-OXCNOTIF 2.2.1.4.1.2.

Importing this module also teaches rops.py's response splitter the ROPs whose response fields are present
whatever the ReturnValue (RopReadStream, RopWriteStream, RopWriteStreamExtended) and to parse RopNotify /
RopPending appended to a response buffer."""
import struct

import props as P
import rops as R
from props import Reader, str8, strw
from rops import _rop, Rop, ROP_NAMES, _tags, _read_tags, _ids, ecDstNullObject

# re-exported: these two were already in rops.py (the spec vectors check them from here)
RopCreateMessage = R.RopCreateMessage
RopSaveChangesMessage = R.RopSaveChangesMessage

# ---------------- MS-OXCDATA 2.8.3 RecipientRow

# RecipientFlags (u16, little-endian): Type in the low 3 bits
RECIP_TYPE_MASK = 0x0007
RT_NOTYPE, RT_X500DN, RT_MSMAIL, RT_SMTP, RT_FAX, RT_PROFESSIONALOFFICESYSTEM, RT_PDL1, RT_PDL2 = range(8)
RF_E = 0x0008   # EmailAddress present
RF_D = 0x0010   # DisplayName present
RF_T = 0x0020   # TransmittableDisplayName present
RF_S = 0x0040   # SimpleDisplayName present
RF_R = 0x0080   # reserved
RF_N = 0x0100   # recipient does not support rich text
RF_U = 0x0200   # strings are UTF-16LE
RF_I = 0x0400   # TransmittableDisplayName is the same as DisplayName
RF_O = 0x8000   # AddressType present (Type = NoType)

# RecipientType (ModifyRecipientRow / OpenRecipientRow)
MAPI_ORIG, MAPI_TO, MAPI_CC, MAPI_BCC = 0, 1, 2, 3


def encode_recipient_row(rr, columns):
    """rr: dict with Flags and the fields they call for (AddressPrefixUsed, DisplayType, X500DN | EntryId,
    SearchKey | AddressType, EmailAddress, DisplayName, SimpleDisplayName, TransmittableDisplayName) and
    Values (list of values for the first len(Values) columns; PropertyRow flagged if Flagged or if any value is
    a PropError/NotPresent)."""
    f = rr['Flags']
    uni = bool(f & RF_U)
    s = strw if uni else str8
    out = struct.pack('<H', f)
    t = f & RECIP_TYPE_MASK
    if t == RT_X500DN:
        out += struct.pack('<BB', rr['AddressPrefixUsed'], rr['DisplayType']) + str8(rr['X500DN'])
    elif t in (RT_PDL1, RT_PDL2):
        out += struct.pack('<H', len(rr['EntryId'])) + rr['EntryId']
        out += struct.pack('<H', len(rr['SearchKey'])) + rr['SearchKey']
    elif t == RT_NOTYPE and f & RF_O:
        out += str8(rr['AddressType'])
    if f & RF_E:
        out += s(rr['EmailAddress'])
    if f & RF_D:
        out += s(rr['DisplayName'])
    if f & RF_S:
        out += s(rr['SimpleDisplayName'])
    if f & RF_T:
        out += s(rr['TransmittableDisplayName'])
    vals = rr.get('Values', [])
    cols = list(columns)[:len(vals)]
    if len(cols) != len(vals):
        raise ValueError('more recipient values (%d) than columns (%d)' % (len(vals), len(columns)))
    out += struct.pack('<H', len(vals)) + P.encode_row(cols, vals, rr.get('Flagged'))
    return out


def decode_recipient_row(r, columns):
    f = r.u16()
    uni = bool(f & RF_U)
    s = r.strw if uni else r.str8
    d = {'Flags': f, 'Type': f & RECIP_TYPE_MASK}
    t = d['Type']
    if t == RT_X500DN:
        d['AddressPrefixUsed'] = r.u8()
        d['DisplayType'] = r.u8()
        d['X500DN'] = r.str8()
    elif t in (RT_PDL1, RT_PDL2):
        d['EntryId'] = r.take(r.u16())
        d['SearchKey'] = r.take(r.u16())
    elif t == RT_NOTYPE and f & RF_O:
        d['AddressType'] = r.str8()
    if f & RF_E:
        d['EmailAddress'] = s()
    if f & RF_D:
        d['DisplayName'] = s()
    if f & RF_S:
        d['SimpleDisplayName'] = s()
    if f & RF_T:
        d['TransmittableDisplayName'] = s()
    n = r.u16()
    if n > len(columns):
        raise ValueError('RecipientColumnCount %d > %d columns' % (n, len(columns)))
    row = P.decode_row(r, list(columns)[:n])
    d['Flagged'] = row['flagged']
    d['Values'] = row['values']
    return d


def _sized(r, columns):
    size = r.u16()
    sub = Reader(r.take(size))
    d = decode_recipient_row(sub, columns)
    if sub.left():
        raise ValueError('RecipientRow shorter (%d) than RecipientRowSize %d' % (size - sub.left(), size))
    return d


# ---------------- TypedString (MS-OXCROPS 2.2.6.1.2.1)

def decode_typed_string(r):
    t = r.u8()
    if t == 0:
        return None
    if t == 1:
        return ''
    if t == 2:
        return r.str8()
    if t == 3:  # reduced Unicode: one byte per character
        return r.str8()
    if t == 4:
        return r.strw()
    raise ValueError('bad TypedString StringType %d' % t)


def _open_message_tail(r):
    d = {'HasNamedProperties': r.u8(), 'SubjectPrefix': decode_typed_string(r),
         'NormalizedSubject': decode_typed_string(r), 'RecipientCount': r.u16()}
    cols = _read_tags(r)
    d['RecipientColumns'] = cols
    rows = []
    for _ in range(r.u8()):
        row = {'RecipientType': r.u8(), 'CodePage': r.u16(), 'Reserved': r.u16()}
        row.update(_sized(r, cols))
        rows.append(row)
    d['RecipientRows'] = rows
    return d


# ---------------- MS-OXCROPS 2.2.6 message ROPs

def RopOpenMessage(folder_id, message_id, open_mode=0, code_page=0x0FFF, in_index=0, out_index=1, logon_id=0):
    """2.2.6.1; OpenModeFlags 0 ReadOnly, 1 ReadWrite, 3 BestAccess, 4 OpenSoftDeleted."""
    return _rop(0x03, 'RopOpenMessage', logon_id, in_index, struct.pack('<HQBQ', code_page, folder_id, open_mode,
                                                                      message_id),
                lambda r, rv: _open_message_tail(r), out_index=out_index)


def RopRemoveAllRecipients(in_index=0, logon_id=0):
    return _rop(0x0D, 'RopRemoveAllRecipients', logon_id, in_index, struct.pack('<I', 0), R._none)


def RopModifyRecipients(columns, rows, in_index=0, logon_id=0):
    """2.2.6.5. rows: list of dicts RowId, RecipientType and either Row (a RecipientRow dict for
    encode_recipient_row) or Row=None to delete that row (RecipientRowSize 0)."""
    body = _tags(columns) + struct.pack('<H', len(rows))
    for row in rows:
        rr = b'' if row.get('Row') is None else encode_recipient_row(row['Row'], columns)
        body += struct.pack('<IBH', row['RowId'], row['RecipientType'], len(rr)) + rr
    return _rop(0x0E, 'RopModifyRecipients', logon_id, in_index, body, R._none)


def decode_modify_recipients_body(r):
    cols = _read_tags(r)
    rows = []
    for _ in range(r.u16()):
        row = {'RowId': r.u32(), 'RecipientType': r.u8()}
        size = r.u16()
        if size == 0:
            row['Row'] = None
        else:
            sub = Reader(r.take(size))
            row['Row'] = decode_recipient_row(sub, cols)
            if sub.left():
                raise ValueError('RecipientRowSize %d leaves %d bytes' % (size, sub.left()))
        rows.append(row)
    return {'RecipientColumns': cols, 'RecipientRows': rows}


def RopReadRecipients(row_id=0, columns=None, in_index=0, logon_id=0):
    """2.2.6.6. The RecipientRows are decoded with `columns` (the message's recipient columns as
    RopOpenMessage returned them); without them the rows stay raw."""
    def parse(r, rv):
        rows = []
        for _ in range(r.u8()):
            row = {'RowId': r.u32(), 'RecipientType': r.u8(), 'CodePage': r.u16(), 'Reserved': r.u16()}
            if columns is None:
                row['raw'] = r.take(r.u16())
            else:
                row.update(_sized(r, columns))
            rows.append(row)
        return {'RecipientRows': rows}
    return _rop(0x0F, 'RopReadRecipients', logon_id, in_index, struct.pack('<IH', row_id, 0), parse)


def RopReloadCachedInformation(in_index=0, logon_id=0):
    return _rop(0x10, 'RopReloadCachedInformation', logon_id, in_index, struct.pack('<H', 0),
                lambda r, rv: _open_message_tail(r))


def RopSetMessageStatus(message_id, status_flags, status_mask, in_index=0, logon_id=0):
    return _rop(0x20, 'RopSetMessageStatus', logon_id, in_index,
                struct.pack('<QII', message_id, status_flags, status_mask),
                lambda r, rv: {'MessageStatusFlags': r.u32()})


def RopGetMessageStatus(message_id, in_index=0, logon_id=0):
    return _rop(0x1F, 'RopGetMessageStatus', logon_id, in_index, struct.pack('<Q', message_id),
                lambda r, rv: {'MessageStatusFlags': r.u32()})


def RopSetReadFlags(message_ids, read_flags=0, want_async=False, in_index=0, logon_id=0):
    """2.2.6.10; ReadFlags 0x00 rfDefault, 0x01 rfSuppressReceipt, 0x04 rfClearReadFlag, 0x10 rfGenerateReceiptOnly,
    0x20 rfClearNotifyRead, 0x40 rfClearNotifyUnread."""
    return _rop(0x66, 'RopSetReadFlags', logon_id, in_index,
                bytes([1 if want_async else 0, read_flags]) + _ids(message_ids), R._partial)


def RopSetMessageReadFlag(read_flags=0, client_data=None, in_index=1, response_index=0, logon_id=0):
    """2.2.6.11: RopId, LogonId, ResponseHandleIndex, InputHandleIndex, ReadFlags, ClientData (24 bytes, only
    on a public-folders logon). Response: ReadStatusChanged (whether a public folder message's read status
    changed), then LogonId + ClientData only when it is nonzero (MS-OXCROPS 2.2.6.11.2)."""
    ROP_NAMES[0x11] = 'RopSetMessageReadFlag'
    prefix = bytes([0x11, logon_id, response_index, in_index])
    body = bytes([read_flags])
    if client_data is not None:
        if len(client_data) != 24:
            raise ValueError('ClientData must be 24 bytes')
        body += bytes(client_data)
    def parse(r, rv):
        d = {'ReadStatusChanged': r.u8()}
        if d['ReadStatusChanged']:
            d['LogonId'] = r.u8()
            d['ClientData'] = r.take(24)
        return d
    return Rop(0x11, 'RopSetMessageReadFlag', prefix, body, parse, in_index=in_index)


def RopOpenEmbeddedMessage(open_mode=0, code_page=0x0FFF, in_index=0, out_index=1, logon_id=0):
    """2.2.6.16; OpenModeFlags 0 ReadOnly, 1 ReadWrite, 2 Create."""
    def parse(r, rv):
        d = {'Reserved': r.u8(), 'MessageId': r.u64()}
        d.update(_open_message_tail(r))
        return d
    return _rop(0x46, 'RopOpenEmbeddedMessage', logon_id, in_index, struct.pack('<HB', code_page, open_mode), parse,
                out_index=out_index)


# ---------------- attachments (2.2.6.12 - 2.2.6.17)

def RopGetAttachmentTable(table_flags=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x21, 'RopGetAttachmentTable', logon_id, in_index, bytes([table_flags]), R._none, out_index=out_index)


def RopOpenAttachment(attach_id, open_flags=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x22, 'RopOpenAttachment', logon_id, in_index, struct.pack('<BI', open_flags, attach_id), R._none,
                out_index=out_index)


def RopCreateAttachment(in_index=0, out_index=1, logon_id=0):
    return _rop(0x23, 'RopCreateAttachment', logon_id, in_index, b'', lambda r, rv: {'AttachmentID': r.u32()},
                out_index=out_index)


def RopDeleteAttachment(attach_id, in_index=0, logon_id=0):
    return _rop(0x24, 'RopDeleteAttachment', logon_id, in_index, struct.pack('<I', attach_id), R._none)


def RopSaveChangesAttachment(save_flags=0x0A, in_index=1, response_index=0, logon_id=0):
    """2.2.6.15: RopId, LogonId, ResponseHandleIndex, InputHandleIndex, SaveFlags."""
    ROP_NAMES[0x25] = 'RopSaveChangesAttachment'
    prefix = bytes([0x25, logon_id, response_index, in_index])
    return Rop(0x25, 'RopSaveChangesAttachment', prefix, bytes([save_flags]), R._none, in_index=in_index)


def RopGetValidAttachments(in_index=0, logon_id=0):
    def parse(r, rv):
        n = r.u16()
        return {'AttachmentIdArray': [r.u32() for _ in range(n)]}
    return _rop(0x52, 'RopGetValidAttachments', logon_id, in_index, b'', parse)


# ---------------- streams (2.2.9)

STREAM_READONLY, STREAM_READWRITE, STREAM_CREATE, STREAM_BESTACCESS = 0, 1, 2, 3
SEEK_BEGINNING, SEEK_CURRENT, SEEK_END = 0, 1, 2


def RopOpenStream(prop_tag, open_mode=STREAM_READONLY, in_index=0, out_index=1, logon_id=0):
    return _rop(0x2B, 'RopOpenStream', logon_id, in_index, struct.pack('<IB', prop_tag, open_mode),
                lambda r, rv: {'StreamSize': r.u32()}, out_index=out_index)


def RopReadStream(byte_count, maximum_byte_count=None, in_index=0, logon_id=0):
    """2.2.9.2: ByteCount 0xBABE means 'read up to MaximumByteCount' (then present, u32)."""
    if byte_count == 0xBABE:
        if maximum_byte_count is None:
            raise ValueError('ByteCount 0xBABE needs MaximumByteCount')
        body = struct.pack('<HI', byte_count, maximum_byte_count)
    else:
        if maximum_byte_count is not None:
            raise ValueError('MaximumByteCount is only sent with ByteCount 0xBABE')
        body = struct.pack('<H', byte_count)

    def parse(r, rv):
        n = r.u16()
        return {'DataSize': n, 'Data': r.take(n)}
    return _rop(0x2C, 'RopReadStream', logon_id, in_index, body, parse)


def RopWriteStream(data, in_index=0, logon_id=0):
    data = bytes(data)
    if len(data) > 0xFFFF:
        raise ValueError('RopWriteStream data over 65535 bytes')
    return _rop(0x2D, 'RopWriteStream', logon_id, in_index, struct.pack('<H', len(data)) + data,
                lambda r, rv: {'WrittenSize': r.u16()})


def RopWriteStreamExtended(data, in_index=0, logon_id=0):
    data = bytes(data)
    if len(data) > 0xFFFF:
        raise ValueError('RopWriteStreamExtended data over 65535 bytes')
    return _rop(0xA3, 'RopWriteStreamExtended', logon_id, in_index, struct.pack('<H', len(data)) + data,
                lambda r, rv: {'WrittenSize': r.u32()})


def RopCommitStream(in_index=0, logon_id=0):
    return _rop(0x5D, 'RopCommitStream', logon_id, in_index, b'', R._none)


def RopGetStreamSize(in_index=0, logon_id=0):
    return _rop(0x5E, 'RopGetStreamSize', logon_id, in_index, b'', lambda r, rv: {'StreamSize': r.u32()})


def RopSetStreamSize(size, in_index=0, logon_id=0):
    return _rop(0x2F, 'RopSetStreamSize', logon_id, in_index, struct.pack('<Q', size), R._none)


def RopSeekStream(offset, origin=SEEK_BEGINNING, in_index=0, logon_id=0):
    return _rop(0x2E, 'RopSeekStream', logon_id, in_index, struct.pack('<Bq', origin, offset),
                lambda r, rv: {'NewPosition': r.u64()})


def RopCopyToStream(byte_count, src_index=0, dest_index=1, logon_id=0):
    def parse(r, rv):
        d = {}
        if rv == ecDstNullObject:
            d['DestHandleIndex'] = r.u32()
        d['ReadByteCount'] = r.u64()
        d['WrittenByteCount'] = r.u64()
        return d
    return _rop(0x3A, 'RopCopyToStream', logon_id, src_index, struct.pack('<Q', byte_count), parse,
                dest_index=dest_index)


# ---------------- transport (2.2.7)

def RopSubmitMessage(submit_flags=0, in_index=0, logon_id=0):
    """SubmitFlags 0x00 None, 0x01 PreProcess, 0x02 NeedsSpooler."""
    return _rop(0x32, 'RopSubmitMessage', logon_id, in_index, bytes([submit_flags]), R._none)


def RopAbortSubmit(folder_id, message_id, in_index=0, logon_id=0):
    return _rop(0x34, 'RopAbortSubmit', logon_id, in_index, struct.pack('<QQ', folder_id, message_id), R._none)


def RopGetAddressTypes(in_index=0, logon_id=0):
    def parse(r, rv):
        n = r.u16()
        size = r.u16()
        sub = Reader(r.take(size))
        types = [sub.str8() for _ in range(n)]
        if sub.left():
            raise ValueError('AddressTypeSize leaves %d bytes' % sub.left())
        return {'AddressTypes': types}
    return _rop(0x49, 'RopGetAddressTypes', logon_id, in_index, b'', parse)


# ---------------- notifications (2.2.14, MS-OXCNOTIF 2.2.1.4.1.2)

NF_NEWMAIL, NF_CREATED, NF_DELETED, NF_MODIFIED, NF_MOVED, NF_COPIED, NF_SEARCHCOMPLETE, NF_TABLE = \
    0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0040, 0x0080, 0x0100
NF_EXTENDED = 0x0400
NF_T, NF_U, NF_S, NF_M = 0x1000, 0x2000, 0x4000, 0x8000
NOTIFICATION_NAMES = {NF_NEWMAIL: 'NewMail', NF_CREATED: 'ObjectCreated', NF_DELETED: 'ObjectDeleted',
                      NF_MODIFIED: 'ObjectModified', NF_MOVED: 'ObjectMoved', NF_COPIED: 'ObjectCopied',
                      NF_SEARCHCOMPLETE: 'SearchComplete', NF_TABLE: 'TableModified', NF_EXTENDED: 'Extended'}
TABLE_EVENTS = {0x0001: 'TableChanged', 0x0003: 'TableRowAdded', 0x0004: 'TableRowDeleted',
                0x0005: 'TableRowModified', 0x0007: 'TableRestrictionChanged'}


def RopRegisterNotification(notification_types, want_whole_store=True, folder_id=0, message_id=0, in_index=0,
                            out_index=1, logon_id=0):
    """2.2.14.1; NotificationTypes bits: 0x02 NewMail, 0x04 ObjectCreated, 0x08 ObjectDeleted, 0x10 ObjectModified,
    0x20 ObjectMoved, 0x40 ObjectCopied, 0x80 SearchComplete. FolderId/MessageId only when not whole store."""
    body = struct.pack('<BBB', notification_types, 0, 1 if want_whole_store else 0)
    if not want_whole_store:
        body += struct.pack('<QQ', folder_id, message_id)
    return _rop(0x29, 'RopRegisterNotification', logon_id, in_index, body, R._none, out_index=out_index)


def parse_notification_data(r, columns=None):
    """NotificationData. Returns a dict whose '_fields' lists (name, offset, length) in wire order.
    TableRowData is decoded when `columns` (the table's column set) is given."""
    start = r.p
    fields = []
    d = {}

    def get(name, fn):
        p = r.p
        d[name] = fn()
        fields.append((name, p - start, r.p - p))

    get('NotificationFlags', r.u16)
    f = d['NotificationFlags']
    typ = f & 0x0FFF
    d['NotificationType'] = NOTIFICATION_NAMES.get(typ, 'Unknown(0x%03X)' % typ)
    m = bool(f & NF_M)
    if typ == NF_TABLE:
        get('TableEventType', r.u16)
        ev = d['TableEventType']
        d['TableEvent'] = TABLE_EVENTS.get(ev, 'Unknown(%d)' % ev)
        if ev in (3, 4, 5):
            get('TableRowFolderID', r.u64)
            if m:
                get('TableRowMessageID', r.u64)
                get('TableRowInstance', r.u32)
        if ev in (3, 5):
            get('InsertAfterTableRowFolderID', r.u64)
            if m:
                get('InsertAfterTableRowID', r.u64)
                get('InsertAfterTableRowInstance', r.u32)
            get('TableRowDataSize', r.u16)
            get('TableRowData', lambda: r.take(d['TableRowDataSize']))
            if columns is not None:
                sub = Reader(d['TableRowData'])
                d['Row'] = P.decode_row(sub, columns)
                if sub.left():
                    raise ValueError('TableRowData has %d bytes after the row' % sub.left())
        d['_fields'] = fields
        return d
    if typ == NF_EXTENDED:
        raise ValueError('extended notifications are not parsed')
    get('FolderId', r.u64)
    if m:
        get('MessageId', r.u64)
    if typ in (NF_CREATED, NF_DELETED, NF_MOVED, NF_COPIED) and (not m or f & NF_S):
        get('ParentFolderId', r.u64)
    if typ in (NF_MOVED, NF_COPIED):
        get('OldFolderId', r.u64)
        if m:
            get('OldMessageId', r.u64)
        else:
            get('OldParentFolderId', r.u64)
    if typ in (NF_CREATED, NF_MODIFIED):
        get('TagCount', r.u16)
        if d['TagCount'] not in (0, 0xFFFF):
            get('Tags', lambda: [r.u32() for _ in range(d['TagCount'])])
    if f & NF_T:
        get('TotalMessageCount', r.u32)
    if f & NF_U:
        get('UnreadMessageCount', r.u32)
    if typ == NF_NEWMAIL:
        get('MessageFlags', r.u32)
        get('UnicodeFlag', r.u8)
        get('MessageClass', r.strw if d['UnicodeFlag'] else r.str8)
    d['_fields'] = fields
    return d


def encode_notification_data(d):
    """Inverse of parse_notification_data (from the field values, in wire order)."""
    fmt = {'NotificationFlags': '<H', 'TableEventType': '<H', 'TableRowFolderID': '<Q', 'TableRowMessageID': '<Q',
           'TableRowInstance': '<I', 'InsertAfterTableRowFolderID': '<Q', 'InsertAfterTableRowID': '<Q',
           'InsertAfterTableRowInstance': '<I', 'TableRowDataSize': '<H', 'FolderId': '<Q', 'MessageId': '<Q',
           'ParentFolderId': '<Q', 'OldFolderId': '<Q', 'OldMessageId': '<Q', 'OldParentFolderId': '<Q',
           'TagCount': '<H', 'TotalMessageCount': '<I', 'UnreadMessageCount': '<I', 'MessageFlags': '<I',
           'UnicodeFlag': '<B'}
    out = b''
    for name, _, _ in d['_fields']:
        v = d[name]
        if name in fmt:
            out += struct.pack(fmt[name], v)
        elif name == 'Tags':
            out += b''.join(struct.pack('<I', t) for t in v)
        elif name == 'TableRowData':
            out += v
        elif name == 'MessageClass':
            out += strw(v) if d['UnicodeFlag'] else str8(v)
        else:
            raise ValueError('unknown notification field %s' % name)
    return out


def parse_rop_notify(r, columns=None):
    """RopNotify (0x2A) response: RopId, NotificationHandle u32, LogonId u8, NotificationData."""
    rid = r.u8()
    if rid != 0x2A:
        raise ValueError('not a RopNotify: 0x%02X' % rid)
    d = {'RopId': 0x2A, 'name': 'RopNotify', 'NotificationHandle': r.u32(), 'LogonId': r.u8()}
    d['NotificationData'] = parse_notification_data(r, columns)
    return d


def parse_rop_pending(r):
    rid = r.u8()
    if rid != 0x6E:
        raise ValueError('not a RopPending: 0x%02X' % rid)
    return {'RopId': 0x6E, 'name': 'RopPending', 'SessionIndex': r.u16()}


def parse_extra(r, table_columns=None):
    """RopNotify / RopPending the server appends to a response buffer. table_columns: handle -> column set for
    table notifications' rows. Anything else (or an unparsable notification) is kept raw."""
    out = []
    while r.left() > 0:
        rid = r.b[r.p]
        save = r.p
        try:
            if rid == 0x6E:
                out.append(parse_rop_pending(r))
                continue
            if rid == 0x2A:
                h = struct.unpack_from('<I', r.b, r.p + 1)[0] if r.left() >= 5 else None
                out.append(parse_rop_notify(r, (table_columns or {}).get(h)))
                continue
        except ValueError:
            r.p = save
        out.append({'RopId': rid, 'name': 'unparsed', 'raw': r.take(r.left())})
    return out


# response fields present whatever the ReturnValue (MS-OXCROPS 2.2.9.2.2, 2.2.9.3.2, 2.2.9.4.2)
R.ALWAYS_BODY.update({0x2C, 0x2D, 0xA3})
R.BODY_ON_RV.setdefault(0x3A, set()).add(ecDstNullObject)
R.parse_extra = parse_extra
for _id, _n in ((0x2A, 'RopNotify'), (0x6E, 'RopPending')):
    ROP_NAMES.setdefault(_id, _n)


# ---------------- permissions (MS-OXCROPS 2.2.10, MS-OXCPERM 2.2)

PERM_ADD_ROW, PERM_MODIFY_ROW, PERM_REMOVE_ROW = 0x01, 0x02, 0x04   # PermissionData DataFlags
PERM_INCLUDE_FREEBUSY, PERM_REPLACE_ROWS = 0x02, 0x01              # ModifyFlags / TableFlags


def _tagged_values16(values):
    """PropertyValueCount u16 + TaggedPropertyValues; a PtypRuleAction (0x00FE) value is passed already encoded."""
    out = struct.pack('<H', len(values))
    for tag, v in values:
        if tag & 0xFFFF == 0x00FE:
            out += struct.pack('<I', tag) + bytes(v)
        else:
            out += P.encode_tagged(tag, v)
    return out


def RopGetPermissionsTable(table_flags=0, in_index=0, out_index=1, logon_id=0):
    """2.2.10.2; TableFlags 0x02 IncludeFreeBusy."""
    return _rop(0x3E, 'RopGetPermissionsTable', logon_id, in_index, bytes([table_flags]), R._none,
                out_index=out_index)


def RopModifyPermissions(rows, modify_flags=0, in_index=0, logon_id=0):
    """2.2.10.1. rows: list of (DataFlags, [(tag, value), ...]) PermissionData entries."""
    body = struct.pack('<BH', modify_flags, len(rows))
    for flags, values in rows:
        body += bytes([flags]) + _tagged_values16(values)
    return _rop(0x40, 'RopModifyPermissions', logon_id, in_index, body, R._none)


# ---------------- rules (MS-OXCROPS 2.2.11, MS-OXORULE 2.2)

RULE_ADD_ROW, RULE_MODIFY_ROW, RULE_REMOVE_ROW = 0x01, 0x02, 0x04   # RuleDataFlags
OP_MOVE, OP_COPY, OP_REPLY, OP_OOF_REPLY, OP_DEFER_ACTION, OP_BOUNCE, OP_FORWARD, OP_DELEGATE, OP_TAG, \
    OP_DELETE, OP_MARK_AS_READ = range(1, 12)


def RopModifyRules(rules, modify_flags=0, in_index=0, logon_id=0):
    """2.2.11.1. rules: list of (RuleDataFlags, [(tag, value), ...]); PidTagRuleCondition takes a restriction dict,
    PidTagRuleActions the bytes of encode_rule_actions."""
    body = struct.pack('<BH', modify_flags, len(rules))
    for flags, values in rules:
        body += bytes([flags]) + _tagged_values16(values)
    return _rop(0x41, 'RopModifyRules', logon_id, in_index, body, R._none)


def RopGetRulesTable(table_flags=0, in_index=0, out_index=1, logon_id=0):
    """2.2.11.2; TableFlags 0x40 U (Unicode strings)."""
    return _rop(0x3F, 'RopGetRulesTable', logon_id, in_index, bytes([table_flags]), R._none, out_index=out_index)


def RopUpdateDeferredActionMessages(server_entry_id, client_entry_id, in_index=0, logon_id=0):
    body = struct.pack('<H', len(server_entry_id)) + bytes(server_entry_id) + \
        struct.pack('<H', len(client_entry_id)) + bytes(client_entry_id)
    return _rop(0x57, 'RopUpdateDeferredActionMessages', logon_id, in_index, body, R._none)


def action_block(action_type, data, flavor=0, flags=0):
    """MS-OXORULE 2.2.5.1 ActionBlock of a standard rule: ActionLength u16 (of what follows), ActionType u8,
    ActionFlavor u32, ActionFlags u32, ActionData."""
    rest = struct.pack('<BII', action_type, flavor, flags) + bytes(data)
    return struct.pack('<H', len(rest)) + rest


def rule_action_move(fid, copy=False):
    """OP_MOVE / OP_COPY to a folder of the same mailbox (MS-OXORULE 2.2.5.1.2.1): FolderInThisStore 1, a
    one-byte StoreEID (its content MUST be ignored when FolderInThisStore is set), FolderEID as a ServerEid
    (Ours 1, FolderId, MessageId 0, Instance 0: MS-OXORULE 2.2.5.1.2.1.1)."""
    seid = struct.pack('<BQQI', 1, fid, 0, 0)
    data = struct.pack('<BH', 1, 1) + b'\x00' + struct.pack('<H', len(seid)) + seid
    return action_block(OP_COPY if copy else OP_MOVE, data)


def encode_rule_actions(blocks):
    """MS-OXORULE 2.2.5 RuleAction for standard rules: NoOfActions u16, ActionBlocks."""
    return struct.pack('<H', len(blocks)) + b''.join(blocks)


def decode_rule_actions(b):
    r = Reader(b)
    out = []
    for _ in range(r.u16()):
        n = r.u16()
        sub = Reader(r.take(n))
        d = {'ActionType': sub.u8(), 'ActionFlavor': sub.u32(), 'ActionFlags': sub.u32()}
        d['ActionData'] = sub.take(sub.left())
        out.append(d)
    if r.left():
        raise ValueError('%d bytes after the last ActionBlock' % r.left())
    return out


# ---------------- search folders (MS-OXCROPS 2.2.4.4 / 2.2.4.5, MS-OXCFOLD 2.2.1.4)

def RopSetSearchCriteria(restriction, folder_ids, search_flags, in_index=0, logon_id=0):
    """RestrictionDataSize u16, RestrictionData, FolderIdCount u16, FolderIds, SearchFlags u32."""
    data = P.encode_restriction(restriction) if restriction is not None else b''
    body = struct.pack('<H', len(data)) + data + _ids(folder_ids) + struct.pack('<I', search_flags)
    return _rop(0x30, 'RopSetSearchCriteria', logon_id, in_index, body, R._none)


def RopGetSearchCriteria(use_unicode=True, include_restriction=True, include_folders=True, in_index=0, logon_id=0):
    def parse(r, rv):
        size = r.u16()
        sub = Reader(r.take(size))
        d = {'Restriction': P.decode_restriction(sub) if size else None}
        if sub.left():
            raise ValueError('RestrictionDataSize leaves %d bytes' % sub.left())
        d['LogonId'] = r.u8()
        n = r.u16()
        d['FolderIds'] = [r.u64() for _ in range(n)]
        d['SearchFlags'] = r.u32()
        return d
    body = bytes([1 if use_unicode else 0, 1 if include_restriction else 0, 1 if include_folders else 0])
    return _rop(0x31, 'RopGetSearchCriteria', logon_id, in_index, body, parse)
