"""ICS and FastTransfer on the client side (MS-OXCFXICS), written from the spec independently of src/:

  * GLOBSET (2.2.2.6) with every command (Push 0x01-0x06, Pop 0x50, Bitmask 0x42, Range 0x52, End 0x00),
    IDSETs in both forms (2.2.2.4.1 REPLID, 2.2.2.4.2 REPLGUID), CNSET helpers, XIDs and PredecessorChangeLists
    (2.2.2.2, 2.2.2.3), ICS state property blobs (2.2.1.1);
  * a FastTransfer stream parser (2.2.4): lexical tokens (markers 2.2.4.1.4, property values 2.2.4.3 with named
    properties, code-page strings, multi-values) over the concatenation of GetBuffer buffers, recording where the
    buffers were cut (2.2.4.1: only variable-size value bytes may be split), and a tree builder for
    contentsSync / hierarchySync / messageContent / folderContent / messageList / topFolder (2.2.4.2) with
    recipients, attachments and embedded messages; messageChildren in order ([MetaTagFXDelProp] *recipient
    [MetaTagFXDelProp] *attachment, MetaTagFXDelProp naming PidTagMessageRecipients / PidTagMessageAttachments,
    recorded in Node.meta['delProps'], not as properties), no property after them;
  * a FastTransfer stream writer for uploads (RopFastTransferDestinationPutBuffer);
  * ROP builders / parsers for RopSynchronization* and RopFastTransfer*, RopTellVersion, RopGetLocalReplicaIds,
    RopSetLocalReplicaMidsetDeleted (MS-OXCROPS 2.2.12, 2.2.13).

Where the spec leaves room: the GLOBSET encoder groups by common high-order bytes, uses Bitmask for sparse values
sharing 5 bytes and Range otherwise (any valid command sequence is acceptable to a decoder; it is not always the
canonical form of fixtures/vectors/ms-oxcfxics-idset.json); PtypBoolean inside a FastTransfer stream is 2 bytes
(FX_BOOL_SIZE; as in the Exchange hierarchySync sample of fixtures/vectors/ms-oxcfxics-stream.json). The decoder
refuses overlapping ranges in one GLOBSET (the fixture's bad-range-overlap) besides reversed ones.
"""
import struct
import uuid

import props as P
import rops as R
from props import Reader
from rops import _rop, _tags, _ids

# ------------------------------------------------------------------ errors


class IcsFormatError(ValueError):
    pass


# ------------------------------------------------------------------ GLOBCNT / IDs (MS-OXCDATA 2.2.1, MS-OXCFXICS 2.2.2.5)

def globcnt_of(eid):
    """The GLOBCNT (int) of a FID/MID/CN carried as a little-endian u64 (ReplId u16 + 6 big-endian bytes)."""
    return P.fid_parts(eid)[1]


def replid_of(eid):
    return P.fid_parts(eid)[0]


def make_eid(replid, gc):
    return P.make_fid(replid, gc)


def gc_bytes(gc):
    return gc.to_bytes(6, 'big')


# ------------------------------------------------------------------ GLOBSET (2.2.2.6, 3.1.5.4.3)

CMD_END, CMD_BITMASK, CMD_POP, CMD_RANGE = 0x00, 0x42, 0x50, 0x52


def normalize(ranges):
    """Sorted, merged (adjacent and overlapping joined) list of inclusive (low, high) ranges."""
    out = []
    for lo, hi in sorted(ranges):
        if lo > hi:
            raise IcsFormatError('range reversed %x > %x' % (lo, hi))
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def ranges_of(values):
    return normalize([(v, v) for v in values])


def values_of(ranges):
    out = []
    for lo, hi in ranges:
        out.extend(range(lo, hi + 1))
    return out


def contains(ranges, v):
    return any(lo <= v <= hi for lo, hi in ranges)


def count(ranges):
    return sum(hi - lo + 1 for lo, hi in ranges)


def decode_globset(r, strict=True):
    """Reads commands up to and including End. Returns {'ranges': [...] as sent, 'commands': [names]}.
    strict: reversed ranges (2.2.2.6.4), a stack deeper than 6 bytes, Pop on an empty stack, Bitmask without 5
    bytes on the stack and unknown commands raise IcsFormatError."""
    stack = []  # list of byte strings
    ranges = []
    cmds = []

    def depth():
        return sum(len(x) for x in stack)

    while True:
        c = r.u8()
        if c == CMD_END:
            cmds.append('end')
            if stack and strict:
                raise IcsFormatError('End with %d bytes on the common byte stack' % depth())
            if strict:
                srt = sorted(ranges)
                for (a, b), (c2, d2) in zip(srt, srt[1:]):
                    if c2 <= b:
                        raise IcsFormatError('overlapping ranges %x-%x and %x-%x' % (a, b, c2, d2))
            return {'ranges': ranges, 'commands': cmds}
        if 1 <= c <= 6:
            b = r.take(c)
            if depth() + c > 6:
                raise IcsFormatError('Push of %d bytes over a stack of %d' % (c, depth()))
            if depth() + c == 6:   # 3.1.5.4.3.1: a full GLOBCNT is a singleton and is not kept on the stack
                v = int.from_bytes(b''.join(stack) + b, 'big')
                ranges.append((v, v))
                cmds.append('push%d*' % c)
            else:
                stack.append(b)
                cmds.append('push%d' % c)
        elif c == CMD_POP:
            if not stack:
                raise IcsFormatError('Pop on an empty stack')
            stack.pop()
            cmds.append('pop')
        elif c == CMD_BITMASK:
            if depth() != 5:
                raise IcsFormatError('Bitmask with %d bytes on the stack (needs 5)' % depth())
            start = r.u8()
            mask = r.u8()
            prefix = b''.join(stack)
            base = int.from_bytes(prefix + b'\0', 'big')
            ranges.append((base + start, base + start))
            for i in range(8):
                if mask & (1 << i):
                    if start + i + 1 > 0xFF:
                        raise IcsFormatError('Bitmask value past the low byte')
                    v = base + start + i + 1
                    ranges.append((v, v))
            cmds.append('bitmask')
        elif c == CMD_RANGE:
            n = 6 - depth()
            if n <= 0:
                raise IcsFormatError('Range with a full stack')
            lo = int.from_bytes(b''.join(stack) + r.take(n), 'big')
            hi = int.from_bytes(b''.join(stack) + r.take(n), 'big')
            if lo > hi and strict:
                raise IcsFormatError('Range low %x > high %x' % (lo, hi))
            ranges.append((lo, hi))
            cmds.append('range')
        else:
            raise IcsFormatError('unknown GLOBSET command 0x%02X' % c)


def _common_prefix(a, b, start):
    """Number of equal bytes of 6-byte a and b after `start`."""
    n = 0
    for i in range(start, 6):
        if a[i] != b[i]:
            break
        n += 1
    return n


def encode_globset(ranges, use_bitmask=True):
    """GLOBSET commands for the set (normalized first), ending with End."""
    rs = normalize(ranges)
    out = bytearray()

    def emit(group, depth):
        # group: ranges sharing the first `depth` bytes (already on the stack)
        if not group:
            return
        lo6 = gc_bytes(group[0][0])
        hi6 = gc_bytes(group[-1][1])
        c = _common_prefix(lo6, hi6, depth)
        if len(group) == 1 and group[0][0] == group[0][1]:
            out.append(6 - depth)          # singleton push
            out.extend(lo6[depth:])
            return
        if c > 0 and depth + c < 6:
            if depth + c == 5 and use_bitmask and len(group) > 1:
                out.append(c)
                out.extend(lo6[depth:depth + c])
                emit_bitmasks(group)
                out.append(CMD_POP)
                return
            if len(group) > 1 or depth + c < 6:
                out.append(c)
                out.extend(lo6[depth:depth + c])
                emit(group, depth + c)
                out.append(CMD_POP)
                return
        if len(group) == 1:
            out.append(CMD_RANGE)
            out.extend(lo6[depth:])
            out.extend(hi6[depth:])
            return
        # no common byte: split the group by the next byte of each range's low value
        if depth == 5:
            emit_bitmasks(group)
            return
        sub = []
        key = None
        for lo, hi in group:
            k = gc_bytes(lo)[depth]
            kh = gc_bytes(hi)[depth]
            if k != kh:   # the range spans several values of this byte: on its own
                if sub:
                    emit(sub, depth)
                    sub = []
                    key = None
                emit_range(lo, hi, depth)
                continue
            if key is not None and k != key:
                emit(sub, depth)
                sub = []
            key = k
            sub.append((lo, hi))
        if sub:
            emit(sub, depth)

    def emit_range(lo, hi, depth):
        lo6, hi6 = gc_bytes(lo), gc_bytes(hi)
        if lo == hi:
            out.append(6 - depth)
            out.extend(lo6[depth:])
            return
        c = _common_prefix(lo6, hi6, depth)
        if c:
            out.append(c)
            out.extend(lo6[depth:depth + c])
        out.append(CMD_RANGE)
        out.extend(lo6[depth + c:])
        out.extend(hi6[depth + c:])
        if c:
            out.append(CMD_POP)

    def emit_bitmasks(group):
        # all values share 5 bytes: Bitmask for runs of values within start..start+8, Range for longer runs
        vals = values_of(group)
        i = 0
        while i < len(vals):
            start = vals[i]
            j = i
            while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
                j += 1
            if j - i >= 8:
                out.append(CMD_RANGE)
                out.append(start & 0xFF)
                out.append(vals[j] & 0xFF)
                i = j + 1
                continue
            mask = 0
            k = i + 1
            while k < len(vals) and vals[k] - start <= 8:
                mask |= 1 << (vals[k] - start - 1)
                k += 1
            out.append(CMD_BITMASK)
            out.append(start & 0xFF)
            out.append(mask)
            i = k

    # top level: groups sharing the high byte(s) are handled by emit's splitting
    emit(rs, 0)
    out.append(CMD_END)
    return bytes(out)


# ------------------------------------------------------------------ IDSET (2.2.2.4)

def decode_idset_replid(b, strict=True):
    """Serialized IDSET with REPLID (2.2.2.4.1): {replid: ranges}."""
    r = Reader(b)
    out = {}
    while r.left() > 0:
        rid = r.u16()
        g = decode_globset(r, strict)
        out.setdefault(rid, []).extend(g['ranges'])
    return {k: normalize(v) if strict else v for k, v in out.items()}


def decode_idset_replguid(b, strict=True):
    """Serialized IDSET with REPLGUID (2.2.2.4.2): {guid string: ranges}."""
    r = Reader(b)
    out = {}
    order = []
    while r.left() > 0:
        g = uuid.UUID(bytes_le=r.take(16))
        order.append(g.bytes_le)
        gs = decode_globset(r, strict)
        out.setdefault(str(g), []).extend(gs['ranges'])
    if strict and order != sorted(order):
        raise IcsFormatError('REPLGUIDs not in ascending byte order')
    return {k: normalize(v) if strict else v for k, v in out.items()}


def encode_idset_replid(sets):
    """sets: {replid: ranges}."""
    return b''.join(struct.pack('<H', rid) + encode_globset(rs) for rid, rs in sorted(sets.items()) if rs)


def encode_idset_replguid(sets):
    """sets: {guid (str or UUID): ranges}, serialized by ascending GUID bytes."""
    items = [(uuid.UUID(str(g)).bytes_le, rs) for g, rs in sets.items() if rs]
    return b''.join(gb + encode_globset(rs) for gb, rs in sorted(items))


def idset_from_eids(eids, replguid):
    """FIDs/MIDs/CNs (replica 1 of the logon) -> {replguid: ranges}."""
    return {str(replguid): ranges_of([globcnt_of(e) for e in eids])} if eids else {}


def eids_from_idset(sets, replguid, replid=1):
    return [make_eid(replid, v) for v in values_of(sets.get(str(replguid), []))]


# ------------------------------------------------------------------ XID, PCL (2.2.2.2, 2.2.2.3)

def xid(guid, counter, size=6):
    return uuid.UUID(str(guid)).bytes_le + counter.to_bytes(size, 'big')


def decode_pcl(b):
    """PredecessorChangeList: SizedXid* -> list of (guid str, LocalId bytes)."""
    r = Reader(b)
    out = []
    while r.left() > 0:
        n = r.u8()
        x = r.take(n)
        if n < 17:
            raise IcsFormatError('SizedXid of %d bytes' % n)
        out.append((str(uuid.UUID(bytes_le=x[:16])), x[16:]))
    return out


def encode_pcl(xids):
    """xids: list of XID bytes (16-byte GUID + LocalId); sorted by GUID (2.2.2.3)."""
    return b''.join(bytes([len(x)]) + x for x in sorted(xids, key=lambda x: x[:16]))


def pcl_merge(*pcls):
    """Union keeping, per GUID, the highest LocalId."""
    best = {}
    for p in pcls:
        for g, lid in decode_pcl(p):
            if g not in best or (len(lid), lid) > (len(best[g]), best[g]):
                best[g] = lid
    return encode_pcl([uuid.UUID(g).bytes_le + lid for g, lid in best.items()])


def pcl_includes(a, b):
    """Every XID of PCL b is included in PCL a."""
    da = dict(decode_pcl(a))
    for g, lid in decode_pcl(b):
        if g not in da or (len(da[g]), da[g]) < (len(lid), lid):
            return False
    return True


def pcls_in_conflict(pcls):
    """3.1.5.6.1: versions conflict when no one's PCL includes another's (every pair)."""
    for i, a in enumerate(pcls):
        for j, b in enumerate(pcls):
            if i != j and pcl_includes(a, b):
                return False
    return True


def conflict_winner(versions):
    """3.1.5.6.2.2 last writer wins: the latest PidTagLastModificationTime, a tie broken by the greater GUID of the
    change key (compared as bytes). versions: dicts with 'lm' (FILETIME int) and 'ck' (bytes)."""
    return max(versions, key=lambda v: (v.get('lm') or 0, bytes(v.get('ck') or b'')[:16]))


# ------------------------------------------------------------------ ICS state (2.2.1.1)

MetaTagIdsetGiven = 0x40170003       # PtypInteger32 tag, serialized as a binary (2.2.1.1.1)
MetaTagIdsetGiven_B = 0x40170102
MetaTagCnsetSeen = 0x67960102
MetaTagCnsetSeenFAI = 0x67DA0102
MetaTagCnsetRead = 0x67D20102
STATE_TAGS = (MetaTagIdsetGiven, MetaTagCnsetSeen, MetaTagCnsetSeenFAI, MetaTagCnsetRead)

MetaTagIdsetDeleted = 0x67E50102
MetaTagIdsetNoLongerInScope = 0x40210102
MetaTagIdsetExpired = 0x67930102
MetaTagIdsetRead = 0x402D0102
MetaTagIdsetUnread = 0x402E0102
MetaTagIdsetSoftDeleted = 0x40810102   # not always present; any IDSET property in `deletions` is decoded
MetaTagFXDelProp = 0x40160003
MetaTagEcWarning = 0x400F0003
MetaTagNewFXFolder = 0x40110102
MetaTagIncrSyncGroupId = 0x407C0003
MetaTagIncrementalSyncMessagePartial = 0x407A0003
MetaTagDnPrefix = 0x4008001E


def state_summary(state):
    """state: {tag: bytes} -> decoded sets (REPLGUID form)."""
    out = {}
    for tag, blob in state.items():
        out['0x%08X' % tag] = decode_idset_replguid(blob) if blob else {}
    return out


# ------------------------------------------------------------------ FastTransfer markers (2.2.4.1.4)

MARKERS = {
    0x40090003: 'StartTopFld', 0x400B0003: 'EndFolder', 0x400A0003: 'StartSubFld',
    0x400C0003: 'StartMessage', 0x400D0003: 'EndMessage', 0x40100003: 'StartFAIMsg',
    0x40010003: 'StartEmbed', 0x40020003: 'EndEmbed',
    0x40030003: 'StartRecip', 0x40040003: 'EndToRecip',
    0x40000003: 'NewAttach', 0x400E0003: 'EndAttach',
    0x40120003: 'IncrSyncChg', 0x407D0003: 'IncrSyncChgPartial', 0x40130003: 'IncrSyncDel',
    0x40140003: 'IncrSyncEnd', 0x402F0003: 'IncrSyncRead', 0x403A0003: 'IncrSyncStateBegin',
    0x403B0003: 'IncrSyncStateEnd', 0x4074000B: 'IncrSyncProgressMode', 0x4075000B: 'IncrSyncProgressPerMsg',
    0x40150003: 'IncrSyncMessage', 0x407B0102: 'IncrSyncGroupInfo',
    0x40180003: 'FXErrorInfo',
}
M = {v: k for k, v in MARKERS.items()}

FX_BOOL_SIZE = 2  # see the module docstring
FIXED_SIZE = {0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4, 0x000B: FX_BOOL_SIZE,
              0x0014: 8, 0x0040: 8, 0x0048: 16}
VAR_TYPES = {0x001E, 0x001F, 0x0102, 0x00FB, 0x000D, 0x00FD, 0x00FE}
# meta-properties whose declared type is not their serialization (2.2.4.1.5)
AS_BINARY = {MetaTagIdsetGiven}


def _fixed_value(t, b):
    if t == 0x000B:
        return bool(int.from_bytes(b, 'little'))
    if t == 0x0048:
        return str(uuid.UUID(bytes_le=b))
    f = {0x0002: '<h', 0x0003: '<i', 0x0004: '<f', 0x0005: '<d', 0x0006: '<q', 0x0007: '<d', 0x000A: '<I',
         0x0014: '<Q', 0x0040: '<Q'}[t]
    return struct.unpack(f, b)[0]


class FxProp:
    """One property of a FastTransfer stream: tag (with the stream's property ID), name (named properties),
    value (python) and raw (the value's bytes as they appeared, without length prefixes for var-size values)."""

    __slots__ = ('tag', 'name', 'value', 'raw', 'offset')

    def __init__(self, tag, name, value, raw, offset):
        self.tag = tag
        self.name = name
        self.value = value
        self.raw = raw
        self.offset = offset

    def key(self):
        """'0xTTTTTTTT' for tagged properties; 'guid:lid:type' / 'guid:name:type' for named ones."""
        if self.name is None:
            return '0x%08X' % self.tag
        n = self.name
        k = ('lid:0x%04X' % n['lid']) if 'lid' in n else ('name:' + n['name'])
        return '%s/%s/0x%04X' % (n['guid'], k, self.tag & 0xFFFF)

    def __repr__(self):
        return 'FxProp(%s=%r)' % (self.key(), self.value if not isinstance(self.value, bytes) else self.value.hex())


class FxLexer:
    """Tokens of a FastTransfer stream (the concatenation of the buffers); `cuts` are the offsets where one
    GetBuffer buffer ended and the next began, used to report splits the spec does not allow (2.2.4.1)."""

    def __init__(self, data, cuts=()):
        self.r = Reader(data)
        self.cuts = sorted(set(c for c in cuts if 0 < c < len(data)))
        self.split_violations = []
        self.split_values = 0

    def _atomic(self, start, n, what):
        for c in self.cuts:
            if start < c < start + n:
                self.split_violations.append({'offset': start, 'cut': c, 'what': what})

    def _var(self, what):
        r = self.r
        p = r.p
        n = r.u32()
        self._atomic(p, 4, what + ' length')
        if n > r.left():
            raise P.Truncated('%s: length %d > %d left' % (what, n, r.left()))
        b = r.take(n)
        if any(p + 4 < c < p + 4 + n for c in self.cuts):
            self.split_values += 1
        return b

    def tokens(self):
        r = self.r
        while r.left() > 0:
            p = r.p
            tag = r.u32()
            self._atomic(p, 4, 'tag 0x%08X' % tag)
            if tag in MARKERS:
                yield ('marker', MARKERS[tag], p)
                continue
            pid, t = tag >> 16, tag & 0xFFFF
            name = None
            if pid >= 0x8000:
                q = r.p
                g = str(uuid.UUID(bytes_le=r.take(16)))
                kind = r.u8()
                if kind == 0:
                    name = {'guid': g, 'lid': r.u32()}
                elif kind == 1:
                    name = {'guid': g, 'name': r.strw()}
                else:
                    raise IcsFormatError('PropertyName Kind 0x%02X at %d' % (kind, q))
                self._atomic(q, r.p - q, 'property name')
            yield ('prop', self._value(tag, t, name, p), p)

    def _value(self, tag, t, name, p):
        r = self.r
        what = 'value of 0x%08X' % tag
        if tag in AS_BINARY:
            b = self._var(what)
            return FxProp(tag, name, b, b, p)
        if t & 0x8000 and not t & 0x1000:     # PtypString8 in code page (t & 0x7FFF) (2.2.4.1.3)
            b = self._var(what)
            cp = t & 0x0FFF
            return FxProp(tag, name, {'codepage': cp, 'bytes': b.hex()}, b, p)
        if t & 0x1000:
            q = r.p
            n = r.u32()
            self._atomic(q, 4, what + ' count')
            base = t & ~0x3000
            vals = []
            raws = []
            for _ in range(n):
                if base in FIXED_SIZE:
                    q = r.p
                    b = r.take(FIXED_SIZE[base])
                    self._atomic(q, len(b), what + ' element')
                    vals.append(_fixed_value(base, b))
                else:
                    b = self._var(what + ' element')
                    vals.append(self._var_value(base, b))
                raws.append(b)
            return FxProp(tag, name, vals, raws, p)
        if t in FIXED_SIZE:
            q = r.p
            b = r.take(FIXED_SIZE[t])
            self._atomic(q, len(b), what)
            return FxProp(tag, name, _fixed_value(t, b), b, p)
        if t in VAR_TYPES:
            b = self._var(what)
            return FxProp(tag, name, self._var_value(t, b), b, p)
        if t == 0x0001:
            return FxProp(tag, name, None, b'', p)
        raise IcsFormatError('unknown property type 0x%04X (tag 0x%08X) at %d' % (t, tag, p))

    @staticmethod
    def _var_value(t, b):
        if t == 0x001F:
            if len(b) < 2 or b[-2:] != b'\0\0' or len(b) % 2:
                raise IcsFormatError('PtypString without its terminator: %s' % b[-8:].hex())
            return b[:-2].decode('utf-16-le', 'replace')
        if t == 0x001E:
            if not b or b[-1] != 0:
                raise IcsFormatError('PtypString8 without its terminator')
            return b[:-1].decode('cp1252', 'replace')
        return b


# ------------------------------------------------------------------ tree (2.2.4.2)

class Node:
    __slots__ = ('kind', 'props', 'header', 'children', 'meta')

    def __init__(self, kind):
        self.kind = kind
        self.props = []
        self.header = []
        self.children = []
        self.meta = {}

    def get(self, key, default=None, header=False):
        for p in (self.header if header else self.props) + ([] if header else self.header):
            if p.key() == key or ('0x%08X' % p.tag) == key:
                return p.value
        return default

    def kids(self, kind):
        return [c for c in self.children if c.kind == kind]


class FxTreeError(IcsFormatError):
    pass


MESSAGE_KINDS = ('change', 'partial', 'message', 'fai', 'embedded')
# messageContent = propList messageChildren; messageChildren = [ MetaTagFXDelProp ] *recipient [ MetaTagFXDelProp ]
# *attachment (2.2.4.3; MetaTagFXDelProp 2.2.4.1.5.1 names the subobjects that follow: 2.2.1.7). Node.meta['phase'] of a
# message node: None (its propList), 'recips', 'atts'; Node.meta['delProps'] the MetaTagFXDelProp values seen (the
# client drops its own recipients / attachments of the message there: not properties of the message).
PidTagMessageRecipients = 0x0E12000D
PidTagMessageAttachments = 0x0E13000D
FULL_MESSAGE_KINDS = ('change', 'message', 'fai', 'embedded')   # messageChangePartial has its own propList groups


def _message_phase(n, to, what, off):
    """Moves message node n into messageChildren phase `to` ('recips' / 'atts'); raises when out of order."""
    order = (None, 'recips', 'atts')
    cur = n.meta.get('phase')
    if order.index(to) < order.index(cur):
        raise FxTreeError('%s after the attachments of a message at %d' % (what, off))
    n.meta['phase'] = to


def _message_delprop(n, v, off):
    """MetaTagFXDelProp inside messageContent: PidTagMessageRecipients before any recipient or attachment,
    PidTagMessageAttachments before any attachment; once each."""
    val = v.value & 0xFFFFFFFF if isinstance(v.value, int) else v.value
    cur = n.meta.get('phase')
    seen = n.meta.setdefault('delProps', [])
    if val == PidTagMessageRecipients:
        if cur is not None or n.meta.get('recipients'):
            raise FxTreeError('MetaTagFXDelProp(PidTagMessageRecipients) after the recipients began at %d' % off)
        n.meta['phase'] = 'recips'
    elif val == PidTagMessageAttachments:
        if cur == 'atts':
            raise FxTreeError('MetaTagFXDelProp(PidTagMessageAttachments) after the attachments began at %d' % off)
        n.meta['phase'] = 'atts'
    else:
        raise FxTreeError('MetaTagFXDelProp(0x%08X) in a message at %d (2.2.1.7: recipients or attachments only)'
                          % (val, off))
    seen.append(val)
TOP_SECTIONS = {'IncrSyncDel': 'deletions', 'IncrSyncRead': 'read', 'IncrSyncStateBegin': 'state',
                'IncrSyncProgressMode': 'progress', 'IncrSyncProgressPerMsg': 'progressPerMsg',
                'FXErrorInfo': 'error'}


def parse_stream(data, cuts=(), root_kind='root', state_only=False):
    """Parses a whole FastTransfer stream into a Node tree. Raises IcsFormatError on markers out of order.
    state_only: the stream of RopSynchronizationGetTransferState (2.2.3.2.3.1): one `state` element, no IncrSyncEnd."""
    lx = FxLexer(data, cuts)
    root = Node(root_kind)
    stack = [root]
    ended = False

    def top():
        return stack[-1]

    def close_top_level():
        # a change / section at top level ends where the next top-level element begins
        while len(stack) > 1 and top().kind in ('change', 'partial', 'folderChange', 'deletions', 'read', 'progress',
                                                'progressPerMsg', 'error'):
            stack.pop()
        if len(stack) > 1 and top().kind not in ('folder',):
            raise FxTreeError('%s still open at a top-level element' % top().kind)

    for typ, v, off in lx.tokens():
        if ended:
            raise FxTreeError('data after IncrSyncEnd at %d' % off)
        if typ == 'prop':
            n = top()
            if v.tag == MetaTagFXDelProp and n.kind in MESSAGE_KINDS and (n.meta.get('body') or n.kind not in ('change', 'partial')):
                _message_delprop(n, v, off)
                continue
            if n.kind in FULL_MESSAGE_KINDS and n.meta.get('phase') and (n.kind != 'change' or n.meta.get('body')):
                raise FxTreeError('property 0x%08X after the messageChildren of a message began at %d' % (v.tag, off))
            if n.kind in ('change', 'partial') and not n.meta.get('body'):
                if v.tag == MetaTagFXDelProp:
                    raise FxTreeError('MetaTagFXDelProp in a change header at %d' % off)
                if v.tag == MetaTagIncrementalSyncMessagePartial:
                    n.meta['body'] = True
                    n.props.append(v)
                else:
                    n.header.append(v)
            elif n.kind == 'root' and v.tag in (MetaTagIncrSyncGroupId, 0x407B0102):
                root.meta.setdefault('groupInfo', []).append(v)
            else:
                if n.kind == 'attachment' and not n.props and v.tag != 0x0E210003:
                    # 2.2.4.2: attachment = NewAttach PidTagAttachNumber attachmentContent EndAttach
                    root.meta.setdefault('grammar', []).append('0x%08X first in an attachment at %d' % (v.tag, off))
                n.props.append(v)
            continue
        name = v
        if name == 'IncrSyncChg':
            close_top_level()
            if root.kind != 'root' and top().kind != 'root':
                raise FxTreeError('IncrSyncChg inside %s' % top().kind)
            n = Node('change')
            root.children.append(n)
            stack.append(n)
        elif name == 'IncrSyncChgPartial':
            close_top_level()
            n = Node('partial')
            root.children.append(n)
            stack.append(n)
        elif name == 'IncrSyncMessage':
            if top().kind != 'change' or top().meta.get('body'):
                raise FxTreeError('IncrSyncMessage outside a change header at %d' % off)
            top().meta['body'] = True
        elif name in TOP_SECTIONS:
            close_top_level()
            n = Node(TOP_SECTIONS[name])
            root.children.append(n)
            stack.append(n)
        elif name == 'IncrSyncStateEnd':
            if top().kind != 'state':
                raise FxTreeError('IncrSyncStateEnd without IncrSyncStateBegin at %d' % off)
            stack.pop()
        elif name == 'IncrSyncEnd':
            close_top_level()
            if len(stack) != 1:
                raise FxTreeError('IncrSyncEnd with %s open' % top().kind)
            root.meta['ended'] = True
            ended = True
        elif name == 'StartRecip':
            if top().kind not in MESSAGE_KINDS:
                raise FxTreeError('StartRecip inside %s at %d' % (top().kind, off))
            if top().kind == 'change' and not top().meta.get('body'):
                raise FxTreeError('StartRecip in a change header')
            _message_phase(top(), 'recips', 'StartRecip', off)
            top().meta['recipients'] = True
            n = Node('recipient')
            top().children.append(n)
            stack.append(n)
        elif name == 'EndToRecip':
            if top().kind != 'recipient':
                raise FxTreeError('EndToRecip inside %s at %d' % (top().kind, off))
            stack.pop()
        elif name == 'NewAttach':
            if top().kind not in MESSAGE_KINDS:
                raise FxTreeError('NewAttach inside %s at %d' % (top().kind, off))
            if top().kind == 'change' and not top().meta.get('body'):
                raise FxTreeError('NewAttach in a change header')
            _message_phase(top(), 'atts', 'NewAttach', off)
            n = Node('attachment')
            top().children.append(n)
            stack.append(n)
        elif name == 'EndAttach':
            if top().kind != 'attachment':
                raise FxTreeError('EndAttach inside %s at %d' % (top().kind, off))
            stack.pop()
        elif name == 'StartEmbed':
            if top().kind != 'attachment':
                raise FxTreeError('StartEmbed inside %s at %d' % (top().kind, off))
            n = Node('embedded')
            top().children.append(n)
            stack.append(n)
        elif name == 'EndEmbed':
            if top().kind != 'embedded':
                raise FxTreeError('EndEmbed inside %s at %d' % (top().kind, off))
            stack.pop()
        elif name in ('StartMessage', 'StartFAIMsg'):
            if top().kind not in ('root', 'folder'):
                raise FxTreeError('%s inside %s at %d' % (name, top().kind, off))
            n = Node('fai' if name == 'StartFAIMsg' else 'message')
            top().children.append(n)
            stack.append(n)
        elif name == 'EndMessage':
            if top().kind not in ('message', 'fai'):
                raise FxTreeError('EndMessage inside %s at %d' % (top().kind, off))
            stack.pop()
        elif name in ('StartTopFld', 'StartSubFld'):
            if (name == 'StartTopFld') != (top().kind == 'root'):
                raise FxTreeError('%s inside %s at %d' % (name, top().kind, off))
            n = Node('folder')
            top().children.append(n)
            stack.append(n)
        elif name == 'EndFolder':
            if top().kind != 'folder':
                raise FxTreeError('EndFolder inside %s at %d' % (top().kind, off))
            stack.pop()
        elif name == 'IncrSyncGroupInfo':
            root.meta.setdefault('groupInfo', []).append(off)
        else:
            raise FxTreeError('unhandled marker %s' % name)
    if state_only:
        if [c.kind for c in root.children] != ['state'] or len(stack) != 1 or root.meta.get('ended'):
            raise FxTreeError('transfer state stream is not one state element: %s' % [c.kind for c in root.children])
    elif root.kind == 'root' and (root.meta.get('ended') or any(c.kind in ('change', 'state') for c in root.children)):
        if not root.meta.get('ended'):
            raise FxTreeError('ICS stream without IncrSyncEnd')
    elif len(stack) > 1:
        # FastTransfer copy streams end when every element is closed
        if not all(n.kind in ('change', 'folderChange') for n in stack[1:]):
            raise FxTreeError('stream ends with %s open' % top().kind)
    root.meta.setdefault('grammar', [])
    root.meta['split_violations'] = lx.split_violations
    root.meta['split_values'] = lx.split_values
    root.meta['bytes'] = len(data)
    return root


def hierarchy_changes(root):
    """In a hierarchySync stream every IncrSyncChg carries folder properties only."""
    return [c for c in root.children if c.kind == 'change']


def state_of(root):
    """{tag: bytes} of the stream's state element."""
    out = {}
    for c in root.kids('state'):
        for p in c.props:
            out[p.tag if p.tag != MetaTagIdsetGiven_B else MetaTagIdsetGiven] = p.raw
    return out


def decode_any_idset(b):
    try:
        return 'replid', decode_idset_replid(b)
    except (ValueError, P.Truncated):
        return 'replguid', decode_idset_replguid(b)


# ------------------------------------------------------------------ FastTransfer writer (uploads)

def fx_tag(tag):
    return struct.pack('<I', tag)


def fx_marker(name):
    return struct.pack('<I', M[name])


def fx_prop(tag, value, name=None):
    """One property in FastTransfer form (2.2.4.3)."""
    t = tag & 0xFFFF
    out = struct.pack('<I', tag)
    if name is not None:
        g = uuid.UUID(str(name['guid'])).bytes_le
        if 'lid' in name:
            out += g + b'\0' + struct.pack('<I', name['lid'])
        else:
            out += g + b'\1' + P.strw(name['name'])
    if tag in AS_BINARY:
        return out + struct.pack('<I', len(value)) + bytes(value)
    if t & 0x1000:
        base = t & ~0x3000
        out += struct.pack('<I', len(value))
        for v in value:
            out += _fx_scalar(base, v)
        return out
    return out + _fx_scalar(t, value)


def _fx_scalar(t, v):
    if t == 0x000B:
        return (1 if v else 0).to_bytes(FX_BOOL_SIZE, 'little')
    if t == 0x0048:
        return uuid.UUID(str(v)).bytes_le
    if t in FIXED_SIZE:
        return P.encode_value(t, v)
    if t == 0x001F:
        b = P.strw(v)
    elif t == 0x001E:
        b = P.str8(v)
    else:
        b = bytes(v)
    return struct.pack('<I', len(b)) + b


# ------------------------------------------------------------------ ROPs (MS-OXCROPS 2.2.12 / 2.2.13, MS-OXCFXICS 2.2.3)

SYNC_CONTENTS, SYNC_HIERARCHY = 0x01, 0x02
# SendOptions (2.2.3.1.1.1.1)
SO_UNICODE, SO_USECPID, SO_FORUPLOAD, SO_RECOVERMODE, SO_FORCEUNICODE, SO_PARTIALITEM = 0x01, 0x02, 0x03, 0x04, 0x08, 0x10
# SynchronizationFlags (2.2.3.2.1.1.1)
SF_UNICODE, SF_NODELETIONS, SF_IGNORENOLONGERINSCOPE, SF_READSTATE, SF_FAI, SF_NORMAL = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
SF_ONLYSPECIFIEDPROPERTIES, SF_NOFOREIGNIDENTIFIERS, SF_RESERVED, SF_BESTBODY = 0x80, 0x100, 0x1000, 0x2000
SF_IGNORESPECIFIEDONFAI, SF_PROGRESS = 0x4000, 0x8000
# SynchronizationExtraFlags (2.2.3.2.1.1.1)
SX_EID, SX_MESSAGESIZE, SX_CN, SX_ORDERBYDELIVERYTIME = 0x01, 0x02, 0x04, 0x08
# TransferStatus (2.2.3.1.1.5.2)
TS_ERROR, TS_PARTIAL, TS_NOROOM, TS_DONE = 0, 1, 2, 3
# ImportFlag (2.2.3.2.4.2.1)
IMPORT_ASSOCIATED, IMPORT_FAILONCONFLICT = 0x10, 0x40
# ImportDeleteFlags (2.2.3.2.4.5.1)
DEL_HIERARCHY, DEL_HARD = 0x01, 0x02
# RopFastTransferDestinationConfigure SourceOperation (2.2.3.1.2.1.1)
FXOP_COPYTO, FXOP_COPYPROPERTIES, FXOP_COPYMESSAGES, FXOP_COPYFOLDER = 1, 2, 3, 4

ecServerBusy = 0x00000480

# responses whose fields are present whatever the ReturnValue
R.ALWAYS_BODY.update({0x54, 0x9D})
R.BODY_ON_RV.setdefault(0x4E, set()).add(ecServerBusy)


def _getbuffer_parse(r, rv):
    if rv == ecServerBusy:
        return {'BackoffTime': r.u32()}
    d = {'TransferStatus': r.u16(), 'InProgressCount': r.u16(), 'TotalStepCount': r.u16(), 'Reserved': r.u8()}
    n = r.u16()
    d['TransferBufferSize'] = n
    d['TransferBuffer'] = r.take(n)
    return d


def RopFastTransferSourceGetBuffer(buffer_size=0xBABE, maximum=0x7FF0, in_index=0, logon_id=0):
    """2.2.12.4: BufferSize u16, MaximumBufferSize u16 present only when BufferSize is 0xBABE."""
    body = struct.pack('<H', buffer_size) + (struct.pack('<H', maximum) if buffer_size == 0xBABE else b'')
    return _rop(0x4E, 'RopFastTransferSourceGetBuffer', logon_id, in_index, body, _getbuffer_parse)


def RopFastTransferSourceCopyTo(level=0, copy_flags=0, send_options=SO_UNICODE, excluded=(), in_index=0, out_index=1,
                                logon_id=0):
    body = struct.pack('<BIB', level, copy_flags, send_options) + _tags(excluded)
    return _rop(0x4D, 'RopFastTransferSourceCopyTo', logon_id, in_index, body, R._none, out_index=out_index)


def RopFastTransferSourceCopyProperties(tags, level=0, copy_flags=0, send_options=SO_UNICODE, in_index=0, out_index=1,
                                        logon_id=0):
    body = struct.pack('<BBB', level, copy_flags, send_options) + _tags(tags)
    return _rop(0x69, 'RopFastTransferSourceCopyProperties', logon_id, in_index, body, R._none, out_index=out_index)


def RopFastTransferSourceCopyMessages(mids, copy_flags=0, send_options=SO_UNICODE, in_index=0, out_index=1, logon_id=0):
    body = _ids(mids) + struct.pack('<BB', copy_flags, send_options)
    return _rop(0x4B, 'RopFastTransferSourceCopyMessages', logon_id, in_index, body, R._none, out_index=out_index)


def RopFastTransferSourceCopyFolder(copy_flags=0, send_options=SO_UNICODE, in_index=0, out_index=1, logon_id=0):
    return _rop(0x4C, 'RopFastTransferSourceCopyFolder', logon_id, in_index, struct.pack('<BB', copy_flags, send_options),
                R._none, out_index=out_index)


def RopFastTransferDestinationConfigure(source_operation, copy_flags=0, in_index=0, out_index=1, logon_id=0):
    return _rop(0x53, 'RopFastTransferDestinationConfigure', logon_id, in_index,
                struct.pack('<BB', source_operation, copy_flags), R._none, out_index=out_index)


def _putbuffer_parse(r, rv):
    return {'TransferStatus': r.u16(), 'InProgressCount': r.u16(), 'TotalStepCount': r.u16(), 'Reserved': r.u8(),
            'BufferUsedSize': r.u16()}


def RopFastTransferDestinationPutBuffer(data, in_index=0, logon_id=0):
    return _rop(0x54, 'RopFastTransferDestinationPutBuffer', logon_id, in_index,
                struct.pack('<H', len(data)) + bytes(data), _putbuffer_parse)


def RopTellVersion(version=(0x000F, 0x0000, 0x0000), in_index=0, logon_id=0):
    return _rop(0x86, 'RopTellVersion', logon_id, in_index, struct.pack('<HHH', *version), R._none,
                has_response=True)


def RopSynchronizationConfigure(sync_type, send_options=SO_UNICODE, sync_flags=0, restriction=None, extra_flags=0,
                                tags=(), in_index=0, out_index=1, logon_id=0):
    """2.2.13.1: SynchronizationType u8, SendOptions u8, SynchronizationFlags u16, RestrictionDataSize u16 +
    RestrictionData, SynchronizationExtraFlags u32, PropertyTagCount u16 + PropertyTags."""
    res = P.encode_restriction(restriction) if restriction is not None else b''
    body = struct.pack('<BBHH', sync_type, send_options, sync_flags, len(res)) + res + \
        struct.pack('<I', extra_flags) + _tags(tags)
    return _rop(0x70, 'RopSynchronizationConfigure', logon_id, in_index, body, R._none, out_index=out_index)


def RopSynchronizationUploadStateStreamBegin(state_property, size, in_index=0, logon_id=0):
    return _rop(0x75, 'RopSynchronizationUploadStateStreamBegin', logon_id, in_index,
                struct.pack('<II', state_property, size), R._none)


def RopSynchronizationUploadStateStreamContinue(data, in_index=0, logon_id=0):
    return _rop(0x76, 'RopSynchronizationUploadStateStreamContinue', logon_id, in_index,
                struct.pack('<I', len(data)) + bytes(data), R._none)


def RopSynchronizationUploadStateStreamEnd(in_index=0, logon_id=0):
    return _rop(0x77, 'RopSynchronizationUploadStateStreamEnd', logon_id, in_index, b'', R._none)


def RopSynchronizationGetTransferState(in_index=0, out_index=1, logon_id=0):
    return _rop(0x82, 'RopSynchronizationGetTransferState', logon_id, in_index, b'', R._none, out_index=out_index)


def RopSynchronizationOpenCollector(contents=True, in_index=0, out_index=1, logon_id=0):
    return _rop(0x7E, 'RopSynchronizationOpenCollector', logon_id, in_index, bytes([1 if contents else 0]), R._none,
                out_index=out_index)


def RopSynchronizationImportMessageChange(values, import_flag=0, in_index=0, out_index=1, logon_id=0):
    """values: list of (tag, value): PidTagSourceKey, PidTagLastModificationTime, PidTagChangeKey,
    PidTagPredecessorChangeList (2.2.3.2.4.2.1)."""
    body = struct.pack('<BH', import_flag, len(values)) + P.encode_tagged_list(values)
    return _rop(0x72, 'RopSynchronizationImportMessageChange', logon_id, in_index, body,
                lambda r, rv: {'MessageId': r.u64()}, out_index=out_index)


def RopSynchronizationImportHierarchyChange(hierarchy_values, values, in_index=0, logon_id=0):
    body = struct.pack('<H', len(hierarchy_values)) + P.encode_tagged_list(hierarchy_values) + \
        struct.pack('<H', len(values)) + P.encode_tagged_list(values)
    return _rop(0x73, 'RopSynchronizationImportHierarchyChange', logon_id, in_index, body,
                lambda r, rv: {'FolderId': r.u64()})


def RopSynchronizationImportDeletes(source_keys, flags=0, in_index=0, logon_id=0):
    """2.2.13.5: ImportDeleteFlags u8, PropertyValueCount u16, one PtypMultipleBinary of source keys."""
    body = struct.pack('<BH', flags, 1) + P.encode_tagged(0x00001102, list(source_keys))
    return _rop(0x74, 'RopSynchronizationImportDeletes', logon_id, in_index, body, R._none)


def _sized32(b):
    return struct.pack('<I', len(b)) + bytes(b)


def RopSynchronizationImportMessageMove(src_folder_sk, src_message_sk, pcl, dst_message_sk, change_key, in_index=0,
                                        logon_id=0):
    body = _sized32(src_folder_sk) + _sized32(src_message_sk) + _sized32(pcl) + _sized32(dst_message_sk) + \
        _sized32(change_key)
    return _rop(0x78, 'RopSynchronizationImportMessageMove', logon_id, in_index, body,
                lambda r, rv: {'MessageId': r.u64()})


def RopSynchronizationImportReadStateChanges(changes, in_index=0, logon_id=0):
    """changes: list of (message source key / long-term id bytes, mark_as_read)."""
    data = b''.join(struct.pack('<H', len(k)) + bytes(k) + bytes([1 if rd else 0]) for k, rd in changes)
    return _rop(0x80, 'RopSynchronizationImportReadStateChanges', logon_id, in_index,
                struct.pack('<H', len(data)) + data, R._none)


def RopGetLocalReplicaIds(id_count, in_index=0, logon_id=0):
    def parse(r, rv):
        return {'ReplGuid': str(uuid.UUID(bytes_le=r.take(16))), 'GlobalCount': int.from_bytes(r.take(6), 'big')}
    return _rop(0x7F, 'RopGetLocalReplicaIds', logon_id, in_index, struct.pack('<I', id_count), parse)


def RopSetLocalReplicaMidsetDeleted(ranges, in_index=0, logon_id=0):
    """ranges: list of (min LongTermId bytes 24, max LongTermId bytes 24)."""
    data = struct.pack('<I', len(ranges)) + b''.join(bytes(a) + bytes(b) for a, b in ranges)
    return _rop(0x93, 'RopSetLocalReplicaMidsetDeleted', logon_id, in_index, struct.pack('<H', len(data)) + data,
                R._none)


for _id, _n in ((0x4E, 'RopFastTransferSourceGetBuffer'), (0x70, 'RopSynchronizationConfigure')):
    R.ROP_NAMES[_id] = _n

# ------------------------------------------------------------------ property tags used by ICS

PidTagSourceKey = 0x65E00102
PidTagParentSourceKey = 0x65E10102
PidTagChangeKey = 0x65E20102
PidTagPredecessorChangeList = 0x65E30102
PidTagLastModificationTime = 0x30080040
PidTagAssociated = 0x67AA000B
PidTagMid = 0x674A0014
PidTagFolderId = 0x67480014
PidTagParentFolderId = 0x67490014
PidTagChangeNumber = 0x67A40014
PidTagMessageSize = 0x0E080003
PidTagDisplayName = 0x3001001F
PidTagMessageFlags = 0x0E070003
PidTagSubject = 0x0037001F
PidTagIncrSyncProgressInformation = 0x00000102  # tag of the ProgressInformation binary after IncrSyncProgressMode


def source_key(replguid, gc):
    """MS-OXCFXICS 2.2.1.2.5 PidTagSourceKey: XID of the object's GID (REPLGUID + 6-byte GLOBCNT)."""
    return uuid.UUID(str(replguid)).bytes_le + gc_bytes(gc)


def gc_from_source_key(sk):
    if len(sk) != 22:
        raise IcsFormatError('source key of %d bytes' % len(sk))
    return int.from_bytes(sk[16:22], 'big')


def decode_progress(b):
    """2.2.2.7 ProgressInformation: Version u16, Padding u16, FAIMessageCount u32, FAIMessageTotalSize u64,
    NormalMessageCount u32, Padding u32, NormalMessageTotalSize u64."""
    r = Reader(b)
    d = {'Version': r.u16(), 'Padding1': r.u16(), 'FAIMessageCount': r.u32(), 'FAIMessageTotalSize': r.u64(),
         'NormalMessageCount': r.u32(), 'Padding2': r.u32(), 'NormalMessageTotalSize': r.u64()}
    return d
