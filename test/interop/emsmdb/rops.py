"""ROP request builders and response parsers (MS-OXCROPS 2.2) for the mailbox-core ROPs, the ROP buffer
(RopSize | RopsList | ServerObjectHandleTable, MS-OXCROPS 2.2.1) and a response splitter that uses the
request list to know how to parse each response."""
import struct
import uuid

from props import (Reader, str8, strw, encode_restriction, decode_row, decode_tagged, encode_tagged_list,
                   decode_problems, encode_name, decode_name)

ecWarnWithErrors = 0x00040380
ecDstNullObject = 0x00000503
ecWrongServer = 0x00000478
ecNullObject = 0x000004B9

ROP_NAMES = {}


class Rop:
    """One ROP request. prefix = RopId, LogonId, handle indexes; body = ROP-specific fields."""

    def __init__(self, rop_id, name, prefix, body, parse, in_index=None, out_index=None, dest_index=None,
                 has_response=True, context=None):
        self.rop_id = rop_id
        self.name = name
        self.prefix = prefix
        self.body = body
        self.parse = parse  # parse(Reader, rv) -> dict
        self.in_index = in_index
        self.out_index = out_index
        self.dest_index = dest_index
        self.has_response = has_response
        self.context = context or {}

    def encode(self):
        return self.prefix + self.body

    def __repr__(self):
        return '<%s %s>' % (self.name, self.encode().hex())


def _rop(rop_id, name, logon_id, in_index, body, parse, out_index=None, dest_index=None, has_response=True,
         context=None, no_input=False):
    ROP_NAMES[rop_id] = name
    prefix = bytes([rop_id, logon_id])
    if not no_input:
        prefix += bytes([in_index])
    if dest_index is not None:
        prefix += bytes([dest_index])
    if out_index is not None:
        prefix += bytes([out_index])
    return Rop(rop_id, name, prefix, body, parse, in_index, out_index, dest_index, has_response, context)


def _none(r, rv):
    return {}


def _table_status(r, rv):
    return {'TableStatus': r.u8()}


def _partial(r, rv):
    return {'PartialCompletion': r.u8()}


def _partial_dest(r, rv):
    if rv == ecDstNullObject:
        return {'DestHandleIndex': r.u32(), 'PartialCompletion': r.u8()}
    return {'PartialCompletion': r.u8()}


def _problems(r, rv):
    return {'PropertyProblems': decode_problems(r)}


def _problems_dest(r, rv):
    if rv == ecDstNullObject:
        return {'DestHandleIndex': r.u32()}
    return {'PropertyProblems': decode_problems(r)}


def _tags(tags):
    return struct.pack('<H', len(tags)) + b''.join(struct.pack('<I', t) for t in tags)


def _read_tags(r):
    n = r.u16()
    return [r.u32() for _ in range(n)]


def _ids(ids):
    return struct.pack('<H', len(ids)) + b''.join(struct.pack('<Q', i) for i in ids)


def _servers(r):
    n = r.u16()
    cheap = r.u16()
    return {'ServerCount': n, 'CheapServerCount': cheap, 'Servers': [r.str8() for _ in range(n)]}


def _str(s, unicode):
    return strw(s) if unicode else str8(s)


# ---------------- MS-OXCROPS 2.2.3 store ROPs

def RopLogon(essdn, logon_flags=0x01, open_flags=0x01000000, store_state=0, logon_id=0, out_index=0):
    """2.2.3.1 RopLogon: OutputHandleIndex only (no input handle)."""
    e = str8(essdn) if essdn else b''
    body = struct.pack('<BIIH', logon_flags, open_flags, store_state, len(e)) + e
    private = bool(logon_flags & 0x01)

    def parse(r, rv):
        if rv == ecWrongServer:
            lf = r.u8()
            size = r.u8()
            return {'LogonFlags': lf, 'ServerNameSize': size, 'ServerName': r.str8()}
        return parse_logon_body(r, private)

    return _rop(0xFE, 'RopLogon', logon_id, None, body, parse, out_index=out_index, no_input=True)


def parse_logon_body(r, private):
    d = {'LogonFlags': r.u8(), 'FolderIds': [r.u64() for _ in range(13)]}
    if private:
        d['ResponseFlags'] = r.u8()
        d['MailboxGuid'] = str(uuid.UUID(bytes_le=r.take(16)))
        d['ReplId'] = r.u16()
        d['ReplGuid'] = str(uuid.UUID(bytes_le=r.take(16)))
        t = r.take(8)
        d['LogonTime'] = {'Seconds': t[0], 'Minutes': t[1], 'Hour': t[2], 'DayOfWeek': t[3], 'Day': t[4],
                          'Month': t[5], 'Year': struct.unpack('<H', t[6:8])[0]}
        d['GwartTime'] = r.u64()
        d['StoreState'] = r.u32()
    else:
        d['ReplId'] = r.u16()
        d['ReplGuid'] = str(uuid.UUID(bytes_le=r.take(16)))
        d['PerUserGuid'] = str(uuid.UUID(bytes_le=r.take(16)))
    return d


def RopRelease(in_index, logon_id=0):
    return _rop(0x01, 'RopRelease', logon_id, in_index, b'', _none, has_response=False)


def RopGetReceiveFolder(message_class, in_index=0, logon_id=0):
    def parse(r, rv):
        return {'FolderId': r.u64(), 'ExplicitMessageClass': r.str8()}
    return _rop(0x27, 'RopGetReceiveFolder', logon_id, in_index, str8(message_class), parse)


def RopSetReceiveFolder(folder_id, message_class, in_index=0, logon_id=0):
    return _rop(0x26, 'RopSetReceiveFolder', logon_id, in_index, struct.pack('<Q', folder_id) + str8(message_class),
                _none)


def parse_receive_folder_table(r, rv=0):
    n = r.u32()
    rows = []
    for _ in range(n):
        # PropertyRow with columns PidTagFolderId, PidTagMessageClass (string8), PidTagLastModificationTime
        row = decode_row(r, [0x67480014, 0x001A001E, 0x30080040])
        v = row['values']
        rows.append({'flagged': row['flagged'], 'FolderId': v[0], 'MessageClass': v[1], 'LastModificationTime': v[2]})
    return {'RowCount': n, 'Rows': rows}


def RopGetReceiveFolderTable(in_index=0, logon_id=0):
    return _rop(0x68, 'RopGetReceiveFolderTable', logon_id, in_index, b'', parse_receive_folder_table)


def RopGetStoreState(in_index=0, logon_id=0):
    return _rop(0x7B, 'RopGetStoreState', logon_id, in_index, b'', lambda r, rv: {'StoreState': r.u32()})


def RopLongTermIdFromId(object_id, in_index=0, logon_id=0):
    def parse(r, rv):
        return {'LongTermId': parse_ltid(r.take(24))}
    return _rop(0x43, 'RopLongTermIdFromId', logon_id, in_index, struct.pack('<Q', object_id), parse)


def parse_ltid(b):
    return {'DatabaseGuid': str(uuid.UUID(bytes_le=b[:16])), 'GlobalCounter': int.from_bytes(b[16:22], 'big'),
            'Pad': struct.unpack('<H', b[22:24])[0], 'hex': b.hex()}


def encode_ltid(ltid):
    if isinstance(ltid, (bytes, bytearray)):
        return bytes(ltid)
    if 'hex' in ltid:
        return bytes.fromhex(ltid['hex'])
    return uuid.UUID(ltid['DatabaseGuid']).bytes_le + ltid['GlobalCounter'].to_bytes(6, 'big') + \
        struct.pack('<H', ltid.get('Pad', 0))


def RopIdFromLongTermId(ltid, in_index=0, logon_id=0):
    return _rop(0x44, 'RopIdFromLongTermId', logon_id, in_index, encode_ltid(ltid),
                lambda r, rv: {'ObjectId': r.u64()})


def RopGetOwningServers(folder_id, in_index=0, logon_id=0):
    def parse(r, rv):
        n = r.u16()
        cheap = r.u16()
        return {'OwningServersCount': n, 'CheapServersCount': cheap, 'OwningServers': [r.str8() for _ in range(n)]}
    return _rop(0x42, 'RopGetOwningServers', logon_id, in_index, struct.pack('<Q', folder_id), parse)


def RopPublicFolderIsGhosted(folder_id, in_index=0, logon_id=0):
    def parse(r, rv):
        d = {'IsGhosted': r.u8()}
        if d['IsGhosted']:
            d.update(_servers(r))
        return d
    return _rop(0x45, 'RopPublicFolderIsGhosted', logon_id, in_index, struct.pack('<Q', folder_id), parse)


# ---------------- MS-OXCROPS 2.2.4 folder ROPs

def _folder_open_info(r):
    d = {'HasRules': r.u8(), 'IsGhosted': r.u8()}
    if d['IsGhosted']:
        d.update(_servers(r))
    return d


def RopOpenFolder(folder_id, open_mode=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x02, 'RopOpenFolder', logon_id, in_index, struct.pack('<QB', folder_id, open_mode),
                lambda r, rv: _folder_open_info(r), out_index=out_index)


def RopCreateFolder(display_name, comment='', folder_type=1, unicode=True, open_existing=False, in_index=0,
                    out_index=1, logon_id=0):
    body = struct.pack('<BBBB', folder_type, 1 if unicode else 0, 1 if open_existing else 0, 0) + \
        _str(display_name, unicode) + _str(comment, unicode)

    def parse(r, rv):
        d = {'FolderId': r.u64(), 'IsExistingFolder': r.u8()}
        if d['IsExistingFolder']:
            d.update(_folder_open_info(r))
        return d
    return _rop(0x1C, 'RopCreateFolder', logon_id, in_index, body, parse, out_index=out_index)


def RopDeleteFolder(folder_id, flags=0x05, in_index=0, logon_id=0):
    return _rop(0x1D, 'RopDeleteFolder', logon_id, in_index, struct.pack('<BQ', flags, folder_id), _partial)


def RopMoveFolder(folder_id, new_name, src_index=0, dest_index=1, want_async=False, unicode=True, logon_id=0):
    body = struct.pack('<BBQ', 1 if want_async else 0, 1 if unicode else 0, folder_id) + _str(new_name, unicode)
    return _rop(0x35, 'RopMoveFolder', logon_id, src_index, body, _partial_dest, dest_index=dest_index)


def RopCopyFolder(folder_id, new_name, src_index=0, dest_index=1, want_async=False, recursive=True, unicode=True,
                  logon_id=0):
    body = struct.pack('<BBBQ', 1 if want_async else 0, 1 if recursive else 0, 1 if unicode else 0, folder_id) + \
        _str(new_name, unicode)
    return _rop(0x36, 'RopCopyFolder', logon_id, src_index, body, _partial_dest, dest_index=dest_index)


def RopEmptyFolder(want_async=False, delete_associated=False, in_index=0, logon_id=0):
    return _rop(0x58, 'RopEmptyFolder', logon_id, in_index,
                struct.pack('<BB', 1 if want_async else 0, 1 if delete_associated else 0), _partial)


def RopHardDeleteMessagesAndSubfolders(want_async=False, delete_associated=False, in_index=0, logon_id=0):
    return _rop(0x92, 'RopHardDeleteMessagesAndSubfolders', logon_id, in_index,
                struct.pack('<BB', 1 if want_async else 0, 1 if delete_associated else 0), _partial)


def RopDeleteMessages(message_ids, want_async=False, notify_non_read=False, in_index=0, logon_id=0):
    body = struct.pack('<BB', 1 if want_async else 0, 1 if notify_non_read else 0) + _ids(message_ids)
    return _rop(0x1E, 'RopDeleteMessages', logon_id, in_index, body, _partial)


def RopHardDeleteMessages(message_ids, want_async=False, notify_non_read=False, in_index=0, logon_id=0):
    body = struct.pack('<BB', 1 if want_async else 0, 1 if notify_non_read else 0) + _ids(message_ids)
    return _rop(0x91, 'RopHardDeleteMessages', logon_id, in_index, body, _partial)


def RopMoveCopyMessages(message_ids, src_index=0, dest_index=1, want_async=False, want_copy=False, logon_id=0):
    body = _ids(message_ids) + struct.pack('<BB', 1 if want_async else 0, 1 if want_copy else 0)
    return _rop(0x33, 'RopMoveCopyMessages', logon_id, src_index, body, _partial_dest, dest_index=dest_index)


def RopGetHierarchyTable(table_flags=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x04, 'RopGetHierarchyTable', logon_id, in_index, bytes([table_flags]),
                lambda r, rv: {'RowCount': r.u32()}, out_index=out_index)


def RopGetContentsTable(table_flags=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x05, 'RopGetContentsTable', logon_id, in_index, bytes([table_flags]),
                lambda r, rv: {'RowCount': r.u32()}, out_index=out_index)


# ---------------- MS-OXCROPS 2.2.6 message ROPs (only what the --fill option of outlook_start needs)

def RopCreateMessage(folder_id, associated=False, code_page=0x0FFF, in_index=0, out_index=1, logon_id=0):
    def parse(r, rv):
        d = {'HasMessageId': r.u8()}
        if d['HasMessageId']:
            d['MessageId'] = r.u64()
        return d
    return _rop(0x06, 'RopCreateMessage', logon_id, in_index, struct.pack('<HQB', code_page, folder_id,
                                                                        1 if associated else 0), parse,
                out_index=out_index)


def RopSaveChangesMessage(save_flags=0x0C, in_index=1, response_index=1, logon_id=0):
    """2.2.6.3: RopId, LogonId, ResponseHandleIndex, InputHandleIndex, SaveFlags"""
    ROP_NAMES[0x0C] = 'RopSaveChangesMessage'
    prefix = bytes([0x0C, logon_id, response_index, in_index])
    return Rop(0x0C, 'RopSaveChangesMessage', prefix, bytes([save_flags]),
               lambda r, rv: {'InputHandleIndex': r.u8(), 'MessageId': r.u64()}, in_index=in_index)


# ---------------- MS-OXCROPS 2.2.5 table ROPs

def RopSetColumns(tags, flags=0, in_index=0, logon_id=0):
    return _rop(0x12, 'RopSetColumns', logon_id, in_index, bytes([flags]) + _tags(tags), _table_status,
                context={'columns': list(tags)})


def RopSortTable(sort_orders, categorized=0, expanded=0, flags=0, in_index=0, logon_id=0):
    """sort_orders: list of (tag, order) with order 0 ascending, 1 descending, 4 category max, 8 category min"""
    body = struct.pack('<BHHH', flags, len(sort_orders), categorized, expanded) + \
        b''.join(struct.pack('<IB', t, o) for t, o in sort_orders)
    return _rop(0x13, 'RopSortTable', logon_id, in_index, body, _table_status)


def RopRestrict(restriction, flags=0, in_index=0, logon_id=0):
    data = encode_restriction(restriction) if restriction is not None else b''
    return _rop(0x14, 'RopRestrict', logon_id, in_index, struct.pack('<BH', flags, len(data)) + data, _table_status)


def _rows(r, n, columns):
    if columns is None:
        raise ValueError('column set unknown: cannot parse PropertyRows')
    return [decode_row(r, columns) for _ in range(n)]


def parse_query_rows(r, columns):
    origin = r.u8()
    n = r.u16()
    return {'Origin': origin, 'RowCount': n, 'RowData': _rows(r, n, columns)}


def RopQueryRows(row_count, columns, flags=0, forward=True, in_index=0, logon_id=0):
    """columns: the column set last set on the table (needed to parse RowData)"""
    return _rop(0x15, 'RopQueryRows', logon_id, in_index, struct.pack('<BBH', flags, 1 if forward else 0, row_count),
                lambda r, rv: parse_query_rows(r, columns))


def RopAbort(in_index=0, logon_id=0):
    return _rop(0x38, 'RopAbort', logon_id, in_index, b'', _table_status)


def RopGetStatus(in_index=0, logon_id=0):
    return _rop(0x16, 'RopGetStatus', logon_id, in_index, b'', _table_status)


def RopQueryPosition(in_index=0, logon_id=0):
    return _rop(0x17, 'RopQueryPosition', logon_id, in_index, b'',
                lambda r, rv: {'Numerator': r.u32(), 'Denominator': r.u32()})


BOOKMARK_BEGINNING, BOOKMARK_CURRENT, BOOKMARK_END = 0, 1, 2


def RopSeekRow(origin, row_count, want_moved=True, in_index=0, logon_id=0):
    return _rop(0x18, 'RopSeekRow', logon_id, in_index, struct.pack('<BiB', origin, row_count, 1 if want_moved else 0),
                lambda r, rv: {'HasSoughtLess': r.u8(), 'RowsSought': r.i32()})


def RopSeekRowBookmark(bookmark, row_count, want_moved=True, in_index=0, logon_id=0):
    body = struct.pack('<H', len(bookmark)) + bytes(bookmark) + struct.pack('<iB', row_count, 1 if want_moved else 0)
    return _rop(0x19, 'RopSeekRowBookmark', logon_id, in_index, body,
                lambda r, rv: {'RowNoLongerVisible': r.u8(), 'HasSoughtLess': r.u8(), 'RowsSought': r.i32()})


def RopSeekRowFractional(numerator, denominator, in_index=0, logon_id=0):
    return _rop(0x1A, 'RopSeekRowFractional', logon_id, in_index, struct.pack('<II', numerator, denominator), _none)


def _bookmark(r, rv):
    return {'Bookmark': r.take(r.u16())}


def RopCreateBookmark(in_index=0, logon_id=0):
    return _rop(0x1B, 'RopCreateBookmark', logon_id, in_index, b'', _bookmark)


def RopFreeBookmark(bookmark, in_index=0, logon_id=0):
    return _rop(0x89, 'RopFreeBookmark', logon_id, in_index, struct.pack('<H', len(bookmark)) + bytes(bookmark), _none)


def RopQueryColumnsAll(in_index=0, logon_id=0):
    return _rop(0x37, 'RopQueryColumnsAll', logon_id, in_index, b'', lambda r, rv: {'PropertyTags': _read_tags(r)})


def RopFindRow(restriction, columns, origin=BOOKMARK_BEGINNING, bookmark=b'', flags=0, in_index=0, logon_id=0):
    data = encode_restriction(restriction) if restriction is not None else b''
    body = struct.pack('<BH', flags, len(data)) + data + struct.pack('<BH', origin, len(bookmark)) + bytes(bookmark)

    def parse(r, rv):
        d = {'RowNoLongerVisible': r.u8(), 'HasRowData': r.u8()}
        if d['HasRowData']:
            d['RowData'] = decode_row(r, columns)
        return d
    return _rop(0x4F, 'RopFindRow', logon_id, in_index, body, parse)


def RopResetTable(in_index=0, logon_id=0):
    return _rop(0x81, 'RopResetTable', logon_id, in_index, b'', _none)


def RopExpandRow(category_id, columns, max_rows=0, in_index=0, logon_id=0):
    def parse(r, rv):
        exp = r.u32()
        n = r.u16()
        return {'ExpandedRowCount': exp, 'RowCount': n, 'RowData': _rows(r, n, columns)}
    return _rop(0x59, 'RopExpandRow', logon_id, in_index, struct.pack('<HQ', max_rows, category_id), parse)


def RopCollapseRow(category_id, in_index=0, logon_id=0):
    return _rop(0x5A, 'RopCollapseRow', logon_id, in_index, struct.pack('<Q', category_id),
                lambda r, rv: {'CollapsedRowCount': r.u32()})


def RopGetCollapseState(row_id, row_instance=0, in_index=0, logon_id=0):
    return _rop(0x6B, 'RopGetCollapseState', logon_id, in_index, struct.pack('<QI', row_id, row_instance),
                lambda r, rv: {'CollapseState': r.take(r.u16())})


def RopSetCollapseState(state, in_index=0, logon_id=0):
    return _rop(0x6C, 'RopSetCollapseState', logon_id, in_index, struct.pack('<H', len(state)) + bytes(state),
                _bookmark)


# ---------------- MS-OXCROPS 2.2.8 property ROPs

def RopGetPropertiesSpecific(tags, size_limit=0, want_unicode=True, in_index=0, logon_id=0):
    body = struct.pack('<HH', size_limit, 1 if want_unicode else 0) + _tags(tags)
    return _rop(0x07, 'RopGetPropertiesSpecific', logon_id, in_index, body,
                lambda r, rv: {'RowData': decode_row(r, tags)}, context={'columns': list(tags)})


def RopGetPropertiesAll(size_limit=0, want_unicode=True, in_index=0, logon_id=0):
    def parse(r, rv):
        n = r.u16()
        return {'PropertyValues': [decode_tagged(r) for _ in range(n)]}
    return _rop(0x08, 'RopGetPropertiesAll', logon_id, in_index, struct.pack('<HH', size_limit, 1 if want_unicode else 0),
                parse)


def RopGetPropertiesList(in_index=0, logon_id=0):
    return _rop(0x09, 'RopGetPropertiesList', logon_id, in_index, b'', lambda r, rv: {'PropertyTags': _read_tags(r)})


def _set_props_body(values):
    vals = encode_tagged_list(values)
    return struct.pack('<HH', 2 + len(vals), len(values)) + vals


def RopSetProperties(values, in_index=0, logon_id=0):
    """values: list of (tag, value)"""
    return _rop(0x0A, 'RopSetProperties', logon_id, in_index, _set_props_body(values), _problems)


def RopSetPropertiesNoReplicate(values, in_index=0, logon_id=0):
    return _rop(0x79, 'RopSetPropertiesNoReplicate', logon_id, in_index, _set_props_body(values), _problems)


def RopDeleteProperties(tags, in_index=0, logon_id=0):
    return _rop(0x0B, 'RopDeleteProperties', logon_id, in_index, _tags(tags), _problems)


def RopCopyProperties(tags, src_index=0, dest_index=1, want_async=False, copy_flags=0, logon_id=0):
    body = struct.pack('<BB', 1 if want_async else 0, copy_flags) + _tags(tags)
    return _rop(0x67, 'RopCopyProperties', logon_id, src_index, body, _problems_dest, dest_index=dest_index)


def RopCopyTo(excluded_tags=(), src_index=0, dest_index=1, want_async=False, want_subobjects=False, copy_flags=0,
              logon_id=0):
    body = struct.pack('<BBB', 1 if want_async else 0, 1 if want_subobjects else 0, copy_flags) + _tags(excluded_tags)
    return _rop(0x39, 'RopCopyTo', logon_id, src_index, body, _problems_dest, dest_index=dest_index)


def RopGetPropertyIdsFromNames(names, create=True, in_index=0, logon_id=0):
    body = struct.pack('<BH', 0x02 if create else 0x00, len(names)) + b''.join(encode_name(n) for n in names)

    def parse(r, rv):
        n = r.u16()
        return {'PropertyIds': [r.u16() for _ in range(n)]}
    return _rop(0x56, 'RopGetPropertyIdsFromNames', logon_id, in_index, body, parse)


def RopGetNamesFromPropertyIds(prop_ids, in_index=0, logon_id=0):
    body = struct.pack('<H', len(prop_ids)) + b''.join(struct.pack('<H', p) for p in prop_ids)

    def parse(r, rv):
        n = r.u16()
        return {'PropertyNames': [decode_name(r) for _ in range(n)]}
    return _rop(0x55, 'RopGetNamesFromPropertyIds', logon_id, in_index, body, parse)


def RopQueryNamedProperties(query_flags=0, guid=None, in_index=0, logon_id=0):
    body = struct.pack('<BB', query_flags, 1 if guid else 0)
    if guid:
        body += (guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))).bytes_le

    def parse(r, rv):
        n = r.u16()
        ids = [r.u16() for _ in range(n)]
        return {'PropertyIds': ids, 'PropertyNames': [decode_name(r) for _ in range(n)]}
    return _rop(0x5F, 'RopQueryNamedProperties', logon_id, in_index, body, parse)


def RopProgress(want_cancel=False, in_index=0, logon_id=0):
    def parse(r, rv):
        return {'LogonId': r.u8(), 'CompletedTaskCount': r.u32(), 'TotalTaskCount': r.u32()}
    return _rop(0x50, 'RopProgress', logon_id, in_index, bytes([1 if want_cancel else 0]), parse)


# ROPs whose response carries fields even when ReturnValue != 0
ALWAYS_BODY = {0x1D, 0x1E, 0x91, 0x92, 0x58, 0x33, 0x35, 0x36}
BODY_ON_RV = {0xFE: {ecWrongServer}, 0x39: {ecDstNullObject}, 0x67: {ecDstNullObject},
              0x56: {ecWarnWithErrors}, 0x55: {ecWarnWithErrors}}


# ---------------- ROP buffers (MS-OXCROPS 2.2.1)

def build_rop_buffer(rops, handles):
    body = b''.join(r.encode() for r in rops)
    if len(body) + 2 > 0xFFFF:
        raise ValueError('ROP list too long')
    return struct.pack('<H', 2 + len(body)) + body + b''.join(struct.pack('<I', h & 0xFFFFFFFF) for h in handles)


def parse_response(r, rop):
    """Parse one response for request `rop` at reader r. Returns a dict."""
    start = r.p
    rid = r.u8()
    if rid == 0xFF:
        need = r.u16()
        return {'RopId': 0xFF, 'name': 'RopBufferTooSmall', 'SizeNeeded': need, 'RequestBuffers': r.take(r.left())}
    if rid != rop.rop_id:
        raise ValueError('response RopId 0x%02X at %d does not match request %s (0x%02X)' %
                         (rid, start, rop.name, rop.rop_id))
    hidx = r.u8()
    rv = r.u32()
    d = {'RopId': rid, 'name': rop.name, 'HandleIndex': hidx, 'ReturnValue': rv}
    if rv == 0 or rid in ALWAYS_BODY or rv in BODY_ON_RV.get(rid, ()):
        d.update(rop.parse(r, rv))
    d['raw'] = r.b[start:r.p]
    return d


def parse_extra(r):
    """Responses the server may append that no request asked for: RopNotify, RopPending, RopBackoff."""
    out = []
    while r.left() > 0:
        rid = r.b[r.p]
        if rid == 0x6E:  # RopPending: RopId, SessionIndex u16
            r.u8()
            out.append({'RopId': 0x6E, 'name': 'RopPending', 'SessionIndex': r.u16()})
        else:
            out.append({'RopId': rid, 'name': 'unparsed', 'raw': r.take(r.left())})
    return out


def split_response_payload(payload, rops):
    """Parse one ROP output buffer (RopSize | responses | handle table) against the requests `rops`.
    Returns dict: responses, handles, stopped_at (index of the first request without a response here, or None),
    too_small (True when the server answered RopBufferTooSmall for request stopped_at), extra (unrequested ROPs)."""
    if len(payload) < 2:
        raise ValueError('ROP output buffer shorter than RopSize')
    size = struct.unpack_from('<H', payload, 0)[0]
    if size < 2 or size > len(payload):
        raise ValueError('RopSize %d out of range (payload %d)' % (size, len(payload)))
    tail = payload[size:]
    if len(tail) % 4:
        raise ValueError('handle table length %d not a multiple of 4' % len(tail))
    handles = list(struct.unpack('<%dI' % (len(tail) // 4), tail))
    r = Reader(payload, 2, size)
    responses = []
    stopped_at = None
    too_small = False
    for i, rop in enumerate(rops):
        if not rop.has_response:
            continue
        if r.left() == 0:
            stopped_at = i
            break
        d = parse_response(r, rop)
        if d['RopId'] == 0xFF:
            # RequestBuffers holds the unprocessed tail of the request list: find where it starts
            req = d['RequestBuffers']
            acc = b''
            idx = i
            for j in range(len(rops) - 1, -1, -1):
                acc = rops[j].encode() + acc
                if len(acc) >= len(req):
                    idx = j
                    break
            d['ResendFrom'] = idx
            d['RequestBuffersMatch'] = acc == req
            responses.append(d)
            stopped_at = idx
            too_small = True
            break
        responses.append(d)
    extra = parse_extra(r) if stopped_at is None else []
    return {'responses': responses, 'handles': handles, 'stopped_at': stopped_at, 'too_small': too_small,
            'extra': extra}
