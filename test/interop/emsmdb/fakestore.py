"""A small ROP-level mailbox emulator used only by selftest.py to drive outlook_start.py offline (it shares the
client's reading of the specs, so it proves the client's control flow, not the wire format)."""
import struct
import uuid

import ocemsmdb as O
import props as P
import ropreq
from props import encode_row, encode_tagged, encode_name

REPL_GUID = uuid.UUID('4d77d464-8349-704f-9b8b-46e635bb78ab')
MAILBOX_GUID = uuid.UUID('a591f8f7-341c-4116-8c48-9db01a86f50b')
ecNotFound, ecNullObject, ecDuplicateName, ecNotSupported, ecNoDelete = 0x8004010F, 0x4B9, 0x80040604, 0x80040102, 0x80040603


def fid(c):
    return P.make_fid(1, c)


def folder_eid(f):
    return struct.pack('<I', 0) + MAILBOX_GUID.bytes_le + struct.pack('<H', 1) + REPL_GUID.bytes_le + \
        P.fid_parts(f)[1].to_bytes(6, 'big') + b'\0\0'


class Store:
    def __init__(self, nmsgs=300):
        self.counter = 0x100
        self.folders = {}
        self.msgs = {}
        self.named = {}
        self.receive = {'': None, 'IPM': None, 'REPORT.IPM': None, 'IPC': None}
        names = ['Root', 'DeferredAction', 'SpoolerQueue', 'Top of Information Store', 'Inbox', 'Outbox',
                 'Sent Items', 'Deleted Items', 'Common Views', 'Schedule', 'Finder', 'Views', 'Shortcuts']
        self.logon_fids = []
        for i, n in enumerate(names):
            parent = None if i == 0 else (self.logon_fids[3] if n in ('Inbox', 'Outbox', 'Sent Items',
                                                                        'Deleted Items') else self.logon_fids[0])
            self.logon_fids.append(self.mkfolder(n, parent, special=True))
        ipm = self.logon_fids[3]
        for n, cls in (('Calendar', 'IPF.Appointment'), ('Contacts', 'IPF.Contact'), ('Bulk', 'IPF.Note')):
            self.mkfolder(n, ipm, cls=cls, special=n != 'Bulk')
        inbox = self.logon_fids[4]
        self.receive.update({'': inbox, 'IPM': inbox, 'REPORT.IPM': inbox, 'IPC': self.logon_fids[0]})
        bulk = [f for f, x in self.folders.items() if x['name'] == 'Bulk'][0]
        for k in range(nmsgs):
            self.mkmsg(bulk, 'message %d' % k, 0x01D9000000000000 + (k * 7919 % nmsgs) * 10000000, k % 3, k % 4 == 0)
        for f in (self.logon_fids[0], inbox):
            cal = [g for g, x in self.folders.items() if x['name'] == 'Calendar'][0]
            self.folders[f]['props'][0x36D00102] = folder_eid(cal)
            self.folders[f]['props'][0x36D81102] = [folder_eid(inbox)] * 5

    def next(self):
        self.counter += 1
        return fid(self.counter)

    def mkfolder(self, name, parent, cls='IPF.Note', special=False):
        f = self.next()
        self.folders[f] = {'name': name, 'parent': parent, 'special': special, 'msgs': [],
                           'props': {0x3001001F: name, 0x3613001F: cls, 0x36010003: 1, 0x3004001F: ''}}
        return f

    def mkmsg(self, folder, subject, t, importance, read):
        m = self.next()
        self.msgs[m] = {0x0037001F: subject, 0x0E060040: t, 0x00170003: importance, 0x0E070003: 1 if read else 0,
                        0x001A001F: 'IPM.Note', 'folder': folder}
        self.folders[folder]['msgs'].append(m)
        return m

    def children(self, f):
        return [g for g, x in self.folders.items() if x['parent'] == f]

    def fprop(self, f, tag):
        x = self.folders[f]
        pid = tag >> 16
        if pid == 0x6748:
            return f
        if pid == 0x6749:
            return x['parent'] or 0
        if pid == 0x360A:
            return bool(self.children(f))
        if pid == 0x3602:
            return len(x['msgs'])
        if pid == 0x3603:
            return sum(1 for m in x['msgs'] if not self.msgs[m][0x0E070003] & 1)
        if pid == 0x0FFF:
            return folder_eid(f)
        for t, v in x['props'].items():
            if t >> 16 == pid:
                return v
        return P.PropError(ecNotFound)

    def mprop(self, m, tag):
        pid = tag >> 16
        if pid == 0x674A:
            return m
        for t, v in self.msgs[m].items():
            if isinstance(t, int) and t >> 16 == pid:
                return v
        return P.PropError(ecNotFound)

    def delete_tree(self, f):
        for g in self.children(f):
            self.delete_tree(g)
        for m in self.folders[f]['msgs']:
            self.msgs.pop(m, None)
        del self.folders[f]

    def copy_tree(self, f, parent, name, recursive):
        x = self.folders[f]
        g = self.mkfolder(name, parent, x['props'][0x3613001F])
        self.folders[g]['props'] = dict(x['props'])
        self.folders[g]['props'][0x3001001F] = name
        for m in x['msgs']:
            n = self.next()
            self.msgs[n] = dict(self.msgs[m], folder=g)
            self.folders[g]['msgs'].append(n)
        if recursive:
            for c in self.children(f):
                self.copy_tree(c, g, self.folders[c]['name'], True)
        return g


def match(res, get):
    t = res['type']
    if t == 'and':
        return all(match(r, get) for r in res['restrictions'])
    if t == 'or':
        return any(match(r, get) for r in res['restrictions'])
    if t == 'not':
        return not match(res['restriction'], get)
    if t == 'exist':
        return not isinstance(get(res['tag']), P.PropError)
    v = get(res.get('tag'))
    if isinstance(v, P.PropError):
        return False
    if t == 'property':
        w = res['value'][1]
        return {0: v < w, 1: v <= w, 2: v > w, 3: v >= w, 4: v == w, 5: v != w}[res['relop']]
    if t == 'content':
        return str(res['value'][1]).lower() in str(v).lower()
    if t == 'bitmask':
        return bool(v & res['mask']) == bool(res['bmr'])
    raise ValueError('restriction %s not emulated' % t)


class Table:
    def __init__(self, store, kind, folder, flags):
        self.s, self.kind, self.folder, self.flags = store, kind, folder, flags
        self.columns = []
        self.sort = []
        self.cat = 0
        self.res = None
        self.pos = 0
        self.expanded = set()
        self.bookmarks = {}

    def items(self):
        if self.kind == 'hier':
            out = []

            def walk(f):
                for g in self.s.children(f):
                    out.append(g)
                    if self.flags & 0x04:
                        walk(g)
            walk(self.folder)
            return out
        return list(self.s.folders[self.folder]['msgs'])

    def get(self, item, tag):
        return self.s.fprop(item, tag) if self.kind == 'hier' else self.s.mprop(item, tag)

    def rows(self):
        items = [i for i in self.items() if self.res is None or match(self.res, lambda t, i=i: self.get(i, t))]
        for tag, order in reversed(self.sort):
            items.sort(key=lambda i: (isinstance(self.get(i, tag), P.PropError), self.get(i, tag)
                                      if not isinstance(self.get(i, tag), P.PropError) else 0), reverse=order == 1)
        if not self.cat:
            return [('leaf', i, None) for i in items]
        ctag = self.sort[0][0]
        out = []
        groups = {}
        order = []
        for i in items:
            k = self.get(i, ctag)
            if k not in groups:
                groups[k] = []
                order.append(k)
            groups[k].append(i)
        for k in order:
            cid = P.make_fid(2, 0x10000 + order.index(k))
            out.append(('cat', cid, (k, len(groups[k]))))
            if cid in self.expanded:
                out += [('leaf', i, None) for i in groups[k]]
        return out

    def value(self, row, tag):
        kind, i, extra = row
        pid = tag >> 16
        if kind == 'cat':
            if pid == 0x674D:
                return i
            if pid == 0x674E:
                return 0
            if pid == 0x0FF5:
                return 3 if i in self.expanded else 4
            if pid == 0x3005:
                return 0
            if pid == 0x3602:
                return extra[1]
            if tag == self.sort[0][0]:
                return extra[0]
            return P.PropError(ecNotFound)
        if pid == 0x674D:
            return i
        if pid == 0x674E:
            return 0
        if pid == 0x0FF5:
            return 1
        if pid == 0x3005:
            return 1 if self.cat else 0
        return self.get(i, tag)

    def encode(self, row):
        return encode_row(self.columns, [self.value(row, t) for t in self.columns])


class FakeStoreSession(O.Session):
    def __init__(self, store=None, **kw):
        O.Session.__init__(self, dce=None, **kw)
        self.st = store or Store()
        self.objs = {}
        self.nexth = 0x100
        self.cxh = O.CXH()
        self.limit = 0x8000 - 8

    def new(self, obj):
        self.nexth += 1
        self.objs[self.nexth] = obj
        return self.nexth

    def disconnect(self):
        return {'ErrorCode': 0, 'cxh': '00' * 20}

    def async_connect(self):
        return 0, O.CXH()

    def dummy(self):
        return 0

    def rpc_raw(self, rop_buffer, pcb_out=None, flags=None, aux_in=b''):
        self.stats['calls'] += 1
        try:
            reqs, handles = ropreq.decode_request_buffer(rop_buffer)
        except (ValueError, P.Truncated):
            raise O.EcError('EcDoRpcExt2', 0x000004B6)  # ecRpcFormat
        out = b''
        for k, q in enumerate(reqs):
            self.used = len(out) + 4 * len(handles) + 2
            resp = self.handle(q, handles)
            if resp is None:
                continue
            if 2 + len(out) + len(resp) + 4 * len(handles) > self.limit:
                tail = b''.join(x['raw'] for x in reqs[k:])
                out += b'\xff' + struct.pack('<H', len(resp)) + tail
                break
            out += resp
        payload = struct.pack('<H', 2 + len(out)) + out + b''.join(struct.pack('<I', h) for h in handles)
        ext = O.make_ext_buffer(payload, compress=self.compress, xor=self.xor)
        if ext[2] & O.EXT_COMPRESSED:
            self.stats['compressed_out'] += 1
        return {'exts': O.parse_ext_buffers(ext), 'pulFlags': 0, 'pulTransTime': 0, 'aux': b''}

    def handle(self, q, handles):
        rid = q['RopId']
        hin = q.get('InputHandleIndex')
        obj = self.objs.get(handles[hin]) if hin is not None and hin < len(handles) else None
        for k in ('OutputHandleIndex', 'DestHandleIndex'):
            if k in q and q[k] >= len(handles):
                return struct.pack('<BBI', rid, q[k], ecNullObject)

        def hdr(rv=0, idx=None):
            return struct.pack('<BBI', rid, hin if idx is None else idx, rv)

        st = self.st
        if rid == 0x01:
            self.objs.pop(handles[hin], None)
            return None
        if rid == 0xFE:
            handles[q['OutputHandleIndex']] = self.new(('logon',))
            body = struct.pack('<B', 1) + b''.join(struct.pack('<Q', f) for f in st.logon_fids) + b'\x07' + \
                MAILBOX_GUID.bytes_le + struct.pack('<H', 1) + REPL_GUID.bytes_le + bytes(8) + struct.pack('<QI', 0, 0)
            return hdr(0, q['OutputHandleIndex']) + body
        if obj is None:
            return hdr(ecNullObject)
        if rid in (0x04, 0x05, 0x1C, 0x0A, 0x0B, 0x09, 0x08, 0x67, 0x39, 0x35, 0x36, 0x58, 0x92, 0x1D, 0x1E, 0x91,
                   0x33) and obj[0] != 'folder':
            return hdr(ecNotSupported, q.get('OutputHandleIndex'))
        if rid == 0x02:
            if q['FolderId'] not in st.folders:
                return hdr(ecNotFound, q['OutputHandleIndex'])
            handles[q['OutputHandleIndex']] = self.new(('folder', q['FolderId']))
            return hdr(0, q['OutputHandleIndex']) + b'\0\0'
        if rid == 0x07:
            if obj[0] == 'logon':
                vals = [{0x3001001F: 'alice', 0x35E00102: folder_eid(st.logon_fids[3])}.get(t, P.PropError(ecNotFound))
                        for t in q['PropertyTags']]
            else:
                vals = [st.fprop(obj[1], t) for t in q['PropertyTags']]
            return hdr() + encode_row(q['PropertyTags'], vals)
        if rid == 0x7B:
            return hdr() + struct.pack('<I', 0)
        if rid == 0x43:
            return hdr() + REPL_GUID.bytes_le + P.fid_parts(q['ObjectId'])[1].to_bytes(6, 'big') + b'\0\0'
        if rid == 0x44:
            return hdr() + struct.pack('<Q', fid(int(q['LongTermId'][32:44], 16)))
        if rid in (0x42, 0x45):
            return hdr(ecNotSupported)
        if rid == 0x27:
            mc = q['MessageClass'].upper()
            while mc not in st.receive or st.receive[mc] is None:
                if mc == '':
                    break
                mc = mc.rsplit('.', 1)[0] if '.' in mc else ''
            return hdr() + struct.pack('<Q', st.receive.get(mc) or 0) + P.str8(mc)
        if rid == 0x26:
            if q['FolderId'] == 0:
                st.receive.pop(q['MessageClass'].upper(), None)
            else:
                st.receive[q['MessageClass'].upper()] = q['FolderId']
            return hdr()
        if rid == 0x68:
            rows = b''.join(encode_row([0x67480014, 0x001A001E, 0x30080040], [f, c, 0])
                            for c, f in sorted(st.receive.items()) if f)
            return hdr() + struct.pack('<I', sum(1 for f in st.receive.values() if f)) + rows
        if rid in (0x04, 0x05):
            t = Table(st, 'hier' if rid == 0x04 else 'contents', obj[1], q['TableFlags'])
            handles[q['OutputHandleIndex']] = self.new(('table', t))
            return hdr(0, q['OutputHandleIndex']) + struct.pack('<I', len(t.items()))
        if rid == 0x1C:
            parent = obj[1]
            name = q['DisplayName']
            same = [g for g in st.children(parent) if st.folders[g]['name'] == name]
            if same and not q['OpenExisting']:
                return hdr(ecDuplicateName, q['OutputHandleIndex'])
            f = same[0] if same else st.mkfolder(name, parent)
            handles[q['OutputHandleIndex']] = self.new(('folder', f))
            # MS-OXCFOLD 2.2.1.2.2: IsExistingFolder is always FALSE in a private mailbox
            return hdr(0, q['OutputHandleIndex']) + struct.pack('<QB', f, 0)
        if rid == 0x0A:
            for t, v in q['PropertyValues']:
                st.folders[obj[1]]['props'][t] = v
            return hdr() + struct.pack('<H', 0)
        if rid == 0x0B:
            for t in q['PropertyTags']:
                st.folders[obj[1]]['props'].pop(t, None)
            return hdr() + struct.pack('<H', 0)
        if rid == 0x09:
            tags = list(st.folders[obj[1]]['props'])
            return hdr() + struct.pack('<H', len(tags)) + b''.join(struct.pack('<I', t) for t in tags)
        if rid == 0x08:
            items = list(st.folders[obj[1]]['props'].items())
            return hdr() + struct.pack('<H', len(items)) + b''.join(encode_tagged(t, v) for t, v in items)
        if rid in (0x67, 0x39):
            dest = self.objs[handles[q['DestHandleIndex']]]
            src = st.folders[obj[1]]['props']
            if rid == 0x67:
                keys = [t for t in q['PropertyTags'] if t in src]
            else:
                keys = [t for t in src if t not in q['ExcludedTags']]
            for t in keys:
                st.folders[dest[1]]['props'][t] = src[t]
            return hdr() + struct.pack('<H', 0)
        if rid == 0x35:
            dest = self.objs[handles[q['DestHandleIndex']]]
            st.folders[q['FolderId']]['parent'] = dest[1]
            st.folders[q['FolderId']]['props'][0x3001001F] = q['NewFolderName']
            st.folders[q['FolderId']]['name'] = q['NewFolderName']
            return hdr() + b'\0'
        if rid == 0x36:
            dest = self.objs[handles[q['DestHandleIndex']]]
            st.copy_tree(q['FolderId'], dest[1], q['NewFolderName'], q['WantRecursive'])
            return hdr() + b'\0'
        if rid in (0x58, 0x92):
            f = obj[1]
            for g in st.children(f):
                st.delete_tree(g)
            for m in st.folders[f]['msgs']:
                st.msgs.pop(m, None)
            st.folders[f]['msgs'] = []
            return hdr() + b'\0'
        if rid == 0x1D:
            f = q['FolderId']
            if f not in st.folders:
                return hdr(ecNotFound) + b'\0'
            if st.folders[f]['special']:
                return hdr(ecNoDelete) + b'\0'
            st.delete_tree(f)
            return hdr() + b'\0'
        if rid in (0x1E, 0x91):
            for m in q['MessageIds']:
                if m in st.folders[obj[1]]['msgs']:
                    st.folders[obj[1]]['msgs'].remove(m)
                    st.msgs.pop(m, None)
            return hdr() + b'\0'
        if rid == 0x33:
            dest = self.objs[handles[q['DestHandleIndex']]][1]
            for m in q['MessageIds']:
                if q['WantCopy']:
                    n = st.next()
                    st.msgs[n] = dict(st.msgs[m], folder=dest)
                    st.folders[dest]['msgs'].append(n)
                else:
                    st.folders[obj[1]]['msgs'].remove(m)
                    st.folders[dest]['msgs'].append(m)
            return hdr() + b'\0'
        if rid == 0x56:
            ids = []
            for n in q['PropertyNames']:
                if str(n['guid']) == '00020328-0000-0000-c000-000000000046' and 'lid' in n:
                    ids.append(n['lid'])
                    continue
                k = (str(n['guid']), n.get('lid'), n.get('name'))
                if k not in st.named and q['Flags'] & 2:
                    st.named[k] = 0x8000 + len(st.named)
                ids.append(st.named.get(k, 0))
            rv = 0 if all(ids) else 0x00040380
            return hdr(rv) + struct.pack('<H', len(ids)) + b''.join(struct.pack('<H', i) for i in ids)
        if rid in (0x55, 0x5F):
            rev = {v: k for k, v in st.named.items()}
            if rid == 0x55:
                ids = q['PropertyIds']
            else:
                ids = [v for k, v in sorted(st.named.items(), key=lambda kv: kv[1])
                       if (not q['HasGuid'] or k[0] == q['PropertyGuid']) and not (q['QueryFlags'] & 1 and k[2])]
            out = b''
            for i in ids:
                if i < 0x8000:
                    out += encode_name({'guid': uuid.UUID('00020328-0000-0000-c000-000000000046'), 'lid': i})
                elif i in rev:
                    g, lid, name = rev[i]
                    out += encode_name({'guid': uuid.UUID(g), 'lid': lid} if lid is not None else
                                       {'guid': uuid.UUID(g), 'name': name})
                else:
                    out += b'\xff'
            if rid == 0x55:
                return hdr() + struct.pack('<H', len(ids)) + out
            return hdr() + struct.pack('<H', len(ids)) + b''.join(struct.pack('<H', i) for i in ids) + out
        if obj[0] != 'table':
            return hdr(ecNotSupported)
        t = obj[1]
        if rid == 0x12:
            t.columns = q['PropertyTags']
            return hdr() + b'\0'
        if rid == 0x13:
            t.sort = q['SortOrders']
            t.cat = q['CategorizedCount']
            t.expanded = set()
            t.pos = 0
            return hdr() + b'\0'
        if rid == 0x14:
            t.res = q['Restriction']
            t.pos = 0
            return hdr() + b'\0'
        if rid == 0x15:
            rows = t.rows()
            out = b''
            n = 0
            room = self.limit - self.used - 16
            while n < q['RowCount'] and t.pos < len(rows):
                e = t.encode(rows[t.pos])
                if len(out) + len(e) > room:
                    break
                out += e
                n += 1
                t.pos += 1
            first = self.used == 2 + 4 * len(handles)
            if (n == 0 or not first) and t.pos < len(rows) and n < q['RowCount']:
                t.pos -= n
                return b'\0' * (self.limit + 1)  # no row fits behind the earlier responses: RopBufferTooSmall
            origin = 2 if t.pos >= len(rows) else 1
            return hdr() + struct.pack('<BH', origin, n) + out
        if rid == 0x16 or rid == 0x38:
            return hdr() + b'\0'
        if rid == 0x17:
            return hdr() + struct.pack('<II', t.pos, len(t.rows()))
        if rid == 0x18:
            rows = t.rows()
            base = {0: 0, 1: t.pos, 2: len(rows)}[q['Origin']]
            new = max(0, min(len(rows), base + q['RowCount']))
            sought = new - base
            t.pos = new
            return hdr() + struct.pack('<Bi', 1 if sought != q['RowCount'] else 0, sought)
        if rid == 0x1B:
            bm = struct.pack('<I', len(t.bookmarks) + 1)
            t.bookmarks[bm] = t.pos
            return hdr() + struct.pack('<H', len(bm)) + bm
        if rid == 0x19:
            bm = bytes.fromhex(q['Bookmark'])
            if bm not in t.bookmarks:
                return hdr(0x80040405)
            t.pos = t.bookmarks[bm] + q['RowCount']
            return hdr() + struct.pack('<BBi', 0, 0, q['RowCount'])
        if rid == 0x89:
            t.bookmarks.pop(bytes.fromhex(q['Bookmark']), None)
            return hdr()
        if rid == 0x1A:
            t.pos = len(t.rows()) * q['Numerator'] // max(1, q['Denominator'])
            return hdr()
        if rid == 0x4F:
            rows = t.rows()
            for k in range(len(rows)):
                if rows[k][0] == 'leaf' and match(q['Restriction'], lambda tag, r=rows[k]: t.value(r, tag)):
                    t.pos = k
                    return hdr() + b'\x00\x01' + t.encode(rows[k])
            return hdr(ecNotFound)
        if rid == 0x37:
            return hdr() + struct.pack('<H', 3) + struct.pack('<III', 0x674A0014, 0x0037001F, 0x0E060040)
        if rid == 0x81:
            t.columns, t.sort, t.cat, t.res, t.pos = [], [], 0, None, 0
            return hdr()
        if rid == 0x59:
            t.expanded.add(q['CategoryId'])
            rows = [r for r in t.rows() if r[0] == 'leaf']
            cnt = next(r[2][1] for r in t.rows() if r[0] == 'cat' and r[1] == q['CategoryId'])
            body = b''
            k = 0
            while k < min(q['MaxRowCount'], cnt) and len(body) + len(t.encode(rows[k])) < self.limit - 80:
                body += t.encode(rows[k])
                k += 1
            return hdr() + struct.pack('<IH', cnt, k) + body
        if rid == 0x5A:
            cnt = next(r[2][1] for r in t.rows() if r[0] == 'cat' and r[1] == q['CategoryId'])
            t.expanded.discard(q['CategoryId'])
            return hdr() + struct.pack('<I', cnt)
        if rid == 0x6B:
            s = b''.join(struct.pack('<Q', c) for c in sorted(t.expanded))
            return hdr() + struct.pack('<H', len(s)) + s
        if rid == 0x6C:
            s = bytes.fromhex(q['CollapseState'])
            t.expanded = set(struct.unpack('<%dQ' % (len(s) // 8), s))
            bm = struct.pack('<I', len(t.bookmarks) + 1)
            t.bookmarks[bm] = 0
            return hdr() + struct.pack('<H', len(bm)) + bm
        return hdr(ecNotSupported)
