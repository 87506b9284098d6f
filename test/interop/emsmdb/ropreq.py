"""Decoder for ROP *request* buffers (MS-OXCROPS 2.2): used to check captured Outlook payloads and our own
builders. Knows the mailbox-core ROPs plus the message ROPs seen in the Outlook 2007 captures."""
import struct
import uuid

from props import Reader, decode_restriction, decode_tagged, decode_name


def _tags(r):
    return [r.u32() for _ in range(r.u16())]


def _ids(r):
    return [r.u64() for _ in range(r.u16())]


def _s(r, unicode):
    return r.strw() if unicode else r.str8()


def _ltid(r):
    return r.take(24).hex()


def _restriction_sized(r):
    size = r.u16()
    if size == 0:
        return None
    end = r.p + size
    sub = Reader(r.b, r.p, end)
    res = decode_restriction(sub)
    if sub.p != end:
        raise ValueError('restriction size %d but decoded %d bytes' % (size, sub.p - r.p))
    r.p = end
    return res


def _logon(r):
    d = {'LogonFlags': r.u8(), 'OpenFlags': r.u32(), 'StoreState': r.u32()}
    n = r.u16()
    d['Essdn'] = Reader(r.take(n)).str8() if n else ''
    return d


def _create_folder(r):
    d = {'FolderType': r.u8(), 'UseUnicodeStrings': r.u8(), 'OpenExisting': r.u8(), 'Reserved': r.u8()}
    d['DisplayName'] = _s(r, d['UseUnicodeStrings'])
    d['Comment'] = _s(r, d['UseUnicodeStrings'])
    return d


def _move_folder(r):
    d = {'WantAsynchronous': r.u8(), 'UseUnicode': r.u8(), 'FolderId': r.u64()}
    d['NewFolderName'] = _s(r, d['UseUnicode'])
    return d


def _copy_folder(r):
    d = {'WantAsynchronous': r.u8(), 'WantRecursive': r.u8(), 'UseUnicode': r.u8(), 'FolderId': r.u64()}
    d['NewFolderName'] = _s(r, d['UseUnicode'])
    return d


def _sort(r):
    d = {'SortTableFlags': r.u8()}
    n = r.u16()
    d['CategorizedCount'] = r.u16()
    d['ExpandedCount'] = r.u16()
    d['SortOrders'] = [(r.u32(), r.u8()) for _ in range(n)]
    return d


def _set_props(r):
    size = r.u16()
    start = r.p
    n = r.u16()
    vals = [decode_tagged(r) for _ in range(n)]
    if r.p - start != size:
        raise ValueError('PropertyValueSize %d but values take %d' % (size, r.p - start))
    return {'PropertyValueSize': size, 'PropertyValues': vals}


def _find_row(r):
    d = {'FindRowFlags': r.u8(), 'Restriction': _restriction_sized(r), 'Origin': r.u8()}
    d['Bookmark'] = r.take(r.u16()).hex()
    return d


def _query_named(r):
    d = {'QueryFlags': r.u8(), 'HasGuid': r.u8()}
    if d['HasGuid']:
        d['PropertyGuid'] = str(uuid.UUID(bytes_le=r.take(16)))
    return d


def _modify_recipients(r):
    cols = _tags(r)
    n = r.u16()
    rows = []
    for _ in range(n):
        row = {'RowId': r.u32(), 'RecipientType': r.u8()}
        size = r.u16()
        row['RecipientRow'] = r.take(size).hex()
        rows.append(row)
    return {'RecipientColumns': cols, 'RecipientRows': rows}


def _open_message(r):
    return {'CodePageId': r.u16(), 'FolderId': r.u64(), 'OpenModeFlags': r.u8(), 'MessageId': r.u64()}


def _register_notification(r):
    d = {'NotificationTypes': r.u8(), 'Reserved': r.u8(), 'WantWholeStore': r.u8()}
    if not d['WantWholeStore']:
        d['FolderId'] = r.u64()
        d['MessageId'] = r.u64()
    return d


# id: (name, layout) where layout = 'in' | 'in,out' | 'in,dest' | 'out' | 'resp,in' and a body decoder
REQ = {
    0x01: ('RopRelease', 'in', lambda r: {}),
    0x02: ('RopOpenFolder', 'in,out', lambda r: {'FolderId': r.u64(), 'OpenModeFlags': r.u8()}),
    0x03: ('RopOpenMessage', 'in,out', _open_message),
    0x04: ('RopGetHierarchyTable', 'in,out', lambda r: {'TableFlags': r.u8()}),
    0x05: ('RopGetContentsTable', 'in,out', lambda r: {'TableFlags': r.u8()}),
    0x06: ('RopCreateMessage', 'in,out', lambda r: {'CodePageId': r.u16(), 'FolderId': r.u64(), 'AssociatedFlag': r.u8()}),
    0x07: ('RopGetPropertiesSpecific', 'in', lambda r: {'PropertySizeLimit': r.u16(), 'WantUnicode': r.u16(),
                                                       'PropertyTags': _tags(r)}),
    0x08: ('RopGetPropertiesAll', 'in', lambda r: {'PropertySizeLimit': r.u16(), 'WantUnicode': r.u16()}),
    0x09: ('RopGetPropertiesList', 'in', lambda r: {}),
    0x0A: ('RopSetProperties', 'in', _set_props),
    0x0B: ('RopDeleteProperties', 'in', lambda r: {'PropertyTags': _tags(r)}),
    0x0C: ('RopSaveChangesMessage', 'resp,in', lambda r: {'SaveFlags': r.u8()}),
    0x0D: ('RopRemoveAllRecipients', 'in', lambda r: {'Reserved': r.u32()}),
    0x0E: ('RopModifyRecipients', 'in', _modify_recipients),
    0x12: ('RopSetColumns', 'in', lambda r: {'SetColumnsFlags': r.u8(), 'PropertyTags': _tags(r)}),
    0x13: ('RopSortTable', 'in', _sort),
    0x14: ('RopRestrict', 'in', lambda r: {'RestrictFlags': r.u8(), 'Restriction': _restriction_sized(r)}),
    0x15: ('RopQueryRows', 'in', lambda r: {'QueryRowsFlags': r.u8(), 'ForwardRead': r.u8(), 'RowCount': r.u16()}),
    0x16: ('RopGetStatus', 'in', lambda r: {}),
    0x17: ('RopQueryPosition', 'in', lambda r: {}),
    0x18: ('RopSeekRow', 'in', lambda r: {'Origin': r.u8(), 'RowCount': r.i32(), 'WantRowMovedCount': r.u8()}),
    0x19: ('RopSeekRowBookmark', 'in', lambda r: {'Bookmark': r.take(r.u16()).hex(), 'RowCount': r.i32(),
                                                   'WantRowMovedCount': r.u8()}),
    0x1A: ('RopSeekRowFractional', 'in', lambda r: {'Numerator': r.u32(), 'Denominator': r.u32()}),
    0x1B: ('RopCreateBookmark', 'in', lambda r: {}),
    0x1C: ('RopCreateFolder', 'in,out', _create_folder),
    0x1D: ('RopDeleteFolder', 'in', lambda r: {'DeleteFolderFlags': r.u8(), 'FolderId': r.u64()}),
    0x1E: ('RopDeleteMessages', 'in', lambda r: {'WantAsynchronous': r.u8(), 'NotifyNonRead': r.u8(),
                                                  'MessageIds': _ids(r)}),
    0x26: ('RopSetReceiveFolder', 'in', lambda r: {'FolderId': r.u64(), 'MessageClass': r.str8()}),
    0x27: ('RopGetReceiveFolder', 'in', lambda r: {'MessageClass': r.str8()}),
    0x29: ('RopRegisterNotification', 'in,out', _register_notification),
    0x2B: ('RopOpenStream', 'in,out', lambda r: {'PropertyTag': r.u32(), 'OpenModeFlags': r.u8()}),
    0x32: ('RopSubmitMessage', 'in', lambda r: {'SubmitFlags': r.u8()}),
    0x33: ('RopMoveCopyMessages', 'in,dest', lambda r: {'MessageIds': _ids(r), 'WantAsynchronous': r.u8(),
                                                         'WantCopy': r.u8()}),
    0x35: ('RopMoveFolder', 'in,dest', _move_folder),
    0x36: ('RopCopyFolder', 'in,dest', _copy_folder),
    0x37: ('RopQueryColumnsAll', 'in', lambda r: {}),
    0x38: ('RopAbort', 'in', lambda r: {}),
    0x39: ('RopCopyTo', 'in,dest', lambda r: {'WantAsynchronous': r.u8(), 'WantSubObjects': r.u8(),
                                              'CopyFlags': r.u8(), 'ExcludedTags': _tags(r)}),
    0x42: ('RopGetOwningServers', 'in', lambda r: {'FolderId': r.u64()}),
    0x43: ('RopLongTermIdFromId', 'in', lambda r: {'ObjectId': r.u64()}),
    0x44: ('RopIdFromLongTermId', 'in', lambda r: {'LongTermId': _ltid(r)}),
    0x45: ('RopPublicFolderIsGhosted', 'in', lambda r: {'FolderId': r.u64()}),
    0x4F: ('RopFindRow', 'in', _find_row),
    0x50: ('RopProgress', 'in', lambda r: {'WantCancel': r.u8()}),
    0x55: ('RopGetNamesFromPropertyIds', 'in', lambda r: {'PropertyIds': [r.u16() for _ in range(r.u16())]}),
    0x56: ('RopGetPropertyIdsFromNames', 'in', lambda r: {'Flags': r.u8(),
                                                          'PropertyNames': [decode_name(r) for _ in range(r.u16())]}),
    0x58: ('RopEmptyFolder', 'in', lambda r: {'WantAsynchronous': r.u8(), 'WantDeleteAssociated': r.u8()}),
    0x59: ('RopExpandRow', 'in', lambda r: {'MaxRowCount': r.u16(), 'CategoryId': r.u64()}),
    0x5A: ('RopCollapseRow', 'in', lambda r: {'CategoryId': r.u64()}),
    0x5F: ('RopQueryNamedProperties', 'in', _query_named),
    0x67: ('RopCopyProperties', 'in,dest', lambda r: {'WantAsynchronous': r.u8(), 'CopyFlags': r.u8(),
                                                       'PropertyTags': _tags(r)}),
    0x68: ('RopGetReceiveFolderTable', 'in', lambda r: {}),
    0x6B: ('RopGetCollapseState', 'in', lambda r: {'RowId': r.u64(), 'RowInstanceNumber': r.u32()}),
    0x6C: ('RopSetCollapseState', 'in', lambda r: {'CollapseState': r.take(r.u16()).hex()}),
    0x79: ('RopSetPropertiesNoReplicate', 'in', _set_props),
    0x7B: ('RopGetStoreState', 'in', lambda r: {}),
    0x81: ('RopResetTable', 'in', lambda r: {}),
    0x89: ('RopFreeBookmark', 'in', lambda r: {'Bookmark': r.take(r.u16()).hex()}),
    0x91: ('RopHardDeleteMessages', 'in', lambda r: {'WantAsynchronous': r.u8(), 'NotifyNonRead': r.u8(),
                                                      'MessageIds': _ids(r)}),
    0x92: ('RopHardDeleteMessagesAndSubfolders', 'in', lambda r: {'WantAsynchronous': r.u8(),
                                                                   'WantDeleteAssociated': r.u8()}),
    0xFE: ('RopLogon', 'out', _logon),
}


def decode_request(r):
    start = r.p
    rid = r.u8()
    if rid not in REQ:
        raise ValueError('unknown or unsupported RopId 0x%02X at %d' % (rid, start))
    name, layout, body = REQ[rid]
    d = {'RopId': rid, 'name': name}
    if layout == 'resp,in':
        d['LogonId'] = r.u8()
        d['ResponseHandleIndex'] = r.u8()
        d['InputHandleIndex'] = r.u8()
    else:
        d['LogonId'] = r.u8()
        for part in layout.split(','):
            d[{'in': 'InputHandleIndex', 'out': 'OutputHandleIndex', 'dest': 'DestHandleIndex'}[part]] = r.u8()
    d.update(body(r))
    d['raw'] = r.b[start:r.p]
    return d


def decode_request_buffer(payload):
    """RopSize | RopsList | ServerObjectHandleTable -> (list of request dicts, handles)"""
    if len(payload) < 2:
        raise ValueError('ROP buffer shorter than RopSize')
    size = struct.unpack_from('<H', payload, 0)[0]
    if size < 2 or size > len(payload):
        raise ValueError('RopSize %d out of range' % size)
    r = Reader(payload, 2, size)
    reqs = []
    while r.left() > 0:
        reqs.append(decode_request(r))
    tail = payload[size:]
    if len(tail) % 4:
        raise ValueError('handle table not a multiple of 4')
    return reqs, list(struct.unpack('<%dI' % (len(tail) // 4), tail))
