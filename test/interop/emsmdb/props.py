"""MS-OXCDATA structures as they appear in ROP buffers: property values (2.11), PropertyRow (2.8.1),
TaggedPropertyValue (2.11.4), restrictions (2.12), PropertyName (2.6.1), PropertyProblem (2.7), IDs (2.2.1)."""
import struct
import uuid

PT = dict(Unspecified=0x0000, Null=0x0001, Integer16=0x0002, Integer32=0x0003, Floating32=0x0004, Floating64=0x0005,
          Currency=0x0006, FloatingTime=0x0007, ErrorCode=0x000A, Boolean=0x000B, Object=0x000D, Integer64=0x0014,
          String8=0x001E, String=0x001F, Time=0x0040, Guid=0x0048, ServerId=0x00FB, Restriction=0x00FD,
          RuleAction=0x00FE, Binary=0x0102)
MV = 0x1000
MVI = 0x2000
FIXED = {0x0002: '<h', 0x0003: '<i', 0x0004: '<f', 0x0005: '<d', 0x0006: '<q', 0x0007: '<d', 0x000A: '<I',
         0x000B: '<B', 0x0014: '<Q', 0x0040: '<Q'}
# PtypInteger64 is read unsigned (FIDs/MIDs/CNs are its main use); negative values are accepted when encoding


class Truncated(ValueError):
    pass


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.b = bytes(data)
        self.p = pos
        self.end = len(self.b) if end is None else end

    def left(self):
        return self.end - self.p

    def take(self, n):
        if n < 0 or self.p + n > self.end:
            raise Truncated('need %d bytes at %d, have %d' % (n, self.p, self.end - self.p))
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack('<H', self.take(2))[0]
    def u32(self): return struct.unpack('<I', self.take(4))[0]
    def i32(self): return struct.unpack('<i', self.take(4))[0]
    def u64(self): return struct.unpack('<Q', self.take(8))[0]
    def fmt(self, f): return struct.unpack(f, self.take(struct.calcsize(f)))[0]

    def str8(self):
        i = self.b.find(b'\0', self.p, self.end)
        if i < 0:
            raise Truncated('unterminated 8-bit string at %d' % self.p)
        s = self.b[self.p:i].decode('cp1252', 'replace')
        self.p = i + 1
        return s

    def strw(self):
        i = self.p
        while True:
            if i + 2 > self.end:
                raise Truncated('unterminated UTF-16 string at %d' % self.p)
            if self.b[i] == 0 and self.b[i + 1] == 0:
                break
            i += 2
        s = self.b[self.p:i].decode('utf-16-le', 'replace')
        self.p = i + 2
        return s


def str8(s):
    return s.encode('cp1252') + b'\0'


def strw(s):
    return s.encode('utf-16-le') + b'\0\0'


def ptype(tag):
    return tag & 0xFFFF


def pid(tag):
    return tag >> 16


# ---- IDs (MS-OXCDATA 2.2.1.1): ReplicaId u16 LE + GlobalCounter 6 bytes big-endian, carried as u64 LE

def fid_parts(v):
    b = struct.pack('<Q', v)
    return struct.unpack('<H', b[:2])[0], int.from_bytes(b[2:], 'big')


def make_fid(replid, counter):
    return struct.unpack('<Q', struct.pack('<H', replid) + counter.to_bytes(6, 'big'))[0]


def fid_str(v):
    r, c = fid_parts(v)
    return '%04X-%012X' % (r, c)


# ---- values (MS-OXCDATA 2.11): JSON-friendly python values
# binary -> bytes, Guid -> uuid.UUID, ServerId -> bytes, Restriction -> dict, MV -> list

def encode_value(t, v):
    if t & MVI:
        t &= ~(MV | MVI)
    if t in FIXED:
        if t == 0x000B:
            return struct.pack('<B', 1 if v else 0)
        if t == 0x0014 and v < 0:
            return struct.pack('<q', v)
        return struct.pack(FIXED[t], v)
    if t == 0x0001:
        return b''
    if t == 0x001E:
        return str8(v)
    if t == 0x001F:
        return strw(v)
    if t == 0x0048:
        return (v if isinstance(v, bytes) else v.bytes_le)
    if t in (0x0102, 0x00FB):
        v = bytes(v)
        return struct.pack('<H', len(v)) + v
    if t == 0x00FD:
        return encode_restriction(v)
    if t & MV:
        base = t & ~MV
        out = struct.pack('<I', len(v))
        for x in v:
            out += encode_value(base, x)
        return out
    raise ValueError('cannot encode property type 0x%04X' % t)


def decode_value(r, t):
    if t & MVI:
        t &= ~(MV | MVI)
    if t in FIXED:
        v = r.fmt(FIXED[t])
        return bool(v) if t == 0x000B else v
    if t == 0x0001:
        return None
    if t == 0x001E:
        return r.str8()
    if t == 0x001F:
        return r.strw()
    if t == 0x0048:
        return uuid.UUID(bytes_le=r.take(16))
    if t in (0x0102, 0x00FB):
        return r.take(r.u16())
    if t == 0x00FD:
        return decode_restriction(r)
    if t & MV:
        base = t & ~MV
        n = r.u32()
        if n > r.left():
            raise Truncated('multi-value count %d exceeds buffer' % n)
        return [decode_value(r, base) for _ in range(n)]
    raise ValueError('cannot decode property type 0x%04X' % t)


def encode_tagged(tag, v):
    return struct.pack('<I', tag) + encode_value(ptype(tag), v)


def decode_tagged(r):
    tag = r.u32()
    return tag, decode_value(r, ptype(tag))


def encode_tagged_list(values):
    """values: list of (tag, value)"""
    return b''.join(encode_tagged(t, v) for t, v in values)


class PropError:
    """A property that came back as an error (flagged row 0x0A or PtypErrorCode value)."""

    def __init__(self, code):
        self.code = code

    def __repr__(self):
        return 'PropError(0x%08X)' % self.code

    def __eq__(self, o):
        return isinstance(o, PropError) and o.code == self.code


class NotPresent:
    def __repr__(self):
        return 'NotPresent'

    def __eq__(self, o):
        return isinstance(o, NotPresent)


NOT_PRESENT = NotPresent()


# ---- PropertyRow (MS-OXCDATA 2.8.1): StandardPropertyRow (flag 0) / FlaggedPropertyRow (flag 1)

def decode_row(r, columns):
    flag = r.u8()
    vals = []
    if flag == 0x00:
        for tag in columns:
            t = ptype(tag)
            if t == 0:
                t = r.u16()
            vals.append(decode_value(r, t))
    elif flag == 0x01:
        for tag in columns:
            t = ptype(tag)
            if t == 0:
                t = r.u16()
            f = r.u8()
            if f == 0x00:
                vals.append(decode_value(r, t))
            elif f == 0x01:
                vals.append(NOT_PRESENT)
            elif f == 0x0A:
                vals.append(PropError(r.u32()))
            else:
                raise ValueError('bad FlaggedPropertyValue flag 0x%02X' % f)
    else:
        raise ValueError('bad PropertyRow flag 0x%02X' % flag)
    return {'flagged': flag == 1, 'values': vals}


def encode_row(columns, values, flagged=None):
    if flagged is None:
        flagged = any(isinstance(v, (PropError, NotPresent)) for v in values)
    out = bytearray([1 if flagged else 0])
    for tag, v in zip(columns, values):
        t = ptype(tag)
        if flagged:
            if isinstance(v, NotPresent):
                out.append(1)
                continue
            if isinstance(v, PropError):
                out.append(0x0A)
                out += struct.pack('<I', v.code)
                continue
            out.append(0)
        out += encode_value(t, v)
    return bytes(out)


# ---- PropertyProblem (MS-OXCDATA 2.7)

def decode_problems(r):
    n = r.u16()
    return [{'Index': r.u16(), 'PropertyTag': r.u32(), 'ErrorCode': r.u32()} for _ in range(n)]


# ---- PropertyName (MS-OXCDATA 2.6.1): Kind 0x00 MNID_ID (LID u32), 0x01 MNID_STRING (NameSize u8 + UTF-16 name), 0xFF none

def encode_name(name):
    """name: {'guid': uuid or str, 'lid': int} or {'guid':..., 'name': str} or {'kind': 0xFF}"""
    if name.get('kind') == 0xFF:
        return b'\xff'
    g = name['guid']
    g = g if isinstance(g, uuid.UUID) else uuid.UUID(str(g))
    if 'lid' in name:
        return b'\x00' + g.bytes_le + struct.pack('<I', name['lid'])
    s = strw(name['name'])
    return b'\x01' + g.bytes_le + struct.pack('<B', len(s)) + s


def decode_name(r):
    kind = r.u8()
    if kind == 0xFF:
        return {'kind': 0xFF}
    g = uuid.UUID(bytes_le=r.take(16))
    if kind == 0x00:
        return {'guid': g, 'lid': r.u32()}
    if kind == 0x01:
        size = r.u8()
        raw = r.take(size)
        s = raw.decode('utf-16-le')
        if s.endswith('\0'):
            s = s[:-1]
        return {'guid': g, 'name': s}
    raise ValueError('bad PropertyName Kind 0x%02X' % kind)


# ---- Restrictions (MS-OXCDATA 2.12), ROP-buffer form: RestrictType u8, counts u16
# dict forms:
#  {'type':'and'|'or', 'restrictions':[...]}        {'type':'not', 'restriction':r}
#  {'type':'content', 'fuzzy_low':u16, 'fuzzy_high':u16, 'tag':t, 'value':(tag,v)}
#  {'type':'property', 'relop':op, 'tag':t, 'value':(tag,v)}
#  {'type':'compare', 'relop':op, 'tag1':t, 'tag2':t}
#  {'type':'bitmask', 'bmr':0|1, 'tag':t, 'mask':m}      {'type':'size', 'relop':op, 'tag':t, 'size':n}
#  {'type':'exist', 'tag':t}     {'type':'subobject', 'subobject':t, 'restriction':r}
#  {'type':'comment', 'values':[(tag,v)...], 'restriction':r|None}   {'type':'count', 'count':n, 'restriction':r}
RES = {'and': 0x00, 'or': 0x01, 'not': 0x02, 'content': 0x03, 'property': 0x04, 'compare': 0x05, 'bitmask': 0x06,
       'size': 0x07, 'exist': 0x08, 'subobject': 0x09, 'comment': 0x0A, 'count': 0x0B}
RES_NAME = {v: k for k, v in RES.items()}
RELOP = {'lt': 0, 'le': 1, 'gt': 2, 'ge': 3, 'eq': 4, 'ne': 5, 'like': 6, 'member_of_dl': 0x64}
FL = {'fullstring': 0, 'substring': 1, 'prefix': 2, 'ignorecase': 0x1, 'ignorenonspace': 0x2, 'loose': 0x4}


def _relop(v):
    return RELOP[v] if isinstance(v, str) else v


def encode_restriction(res):
    t = res['type']
    code = RES[t]
    out = bytearray([code])
    if t in ('and', 'or'):
        out += struct.pack('<H', len(res['restrictions']))
        for sub in res['restrictions']:
            out += encode_restriction(sub)
    elif t == 'not':
        out += encode_restriction(res['restriction'])
    elif t == 'content':
        vt, vv = res['value']
        out += struct.pack('<HHI', res['fuzzy_low'], res['fuzzy_high'], res['tag']) + encode_tagged(vt, vv)
    elif t == 'property':
        vt, vv = res['value']
        out += struct.pack('<BI', _relop(res['relop']), res['tag']) + encode_tagged(vt, vv)
    elif t == 'compare':
        out += struct.pack('<BII', _relop(res['relop']), res['tag1'], res['tag2'])
    elif t == 'bitmask':
        out += struct.pack('<BII', res['bmr'], res['tag'], res['mask'])
    elif t == 'size':
        out += struct.pack('<BII', _relop(res['relop']), res['tag'], res['size'])
    elif t == 'exist':
        out += struct.pack('<I', res['tag'])
    elif t == 'subobject':
        out += struct.pack('<I', res['subobject']) + encode_restriction(res['restriction'])
    elif t == 'comment':
        vals = res['values']
        out += struct.pack('<B', len(vals)) + encode_tagged_list(vals)
        if res.get('restriction') is not None:
            out += b'\x01' + encode_restriction(res['restriction'])
        else:
            out += b'\x00'
    elif t == 'count':
        out += struct.pack('<I', res['count']) + encode_restriction(res['restriction'])
    return bytes(out)


def decode_restriction(r, depth=0):
    if depth > 255:
        raise ValueError('restriction nested too deeply')
    code = r.u8()
    if code not in RES_NAME:
        raise ValueError('bad RestrictType 0x%02X' % code)
    t = RES_NAME[code]
    if t in ('and', 'or'):
        n = r.u16()
        return {'type': t, 'restrictions': [decode_restriction(r, depth + 1) for _ in range(n)]}
    if t == 'not':
        return {'type': t, 'restriction': decode_restriction(r, depth + 1)}
    if t == 'content':
        lo, hi, tag = r.u16(), r.u16(), r.u32()
        return {'type': t, 'fuzzy_low': lo, 'fuzzy_high': hi, 'tag': tag, 'value': decode_tagged(r)}
    if t == 'property':
        op, tag = r.u8(), r.u32()
        return {'type': t, 'relop': op, 'tag': tag, 'value': decode_tagged(r)}
    if t == 'compare':
        return {'type': t, 'relop': r.u8(), 'tag1': r.u32(), 'tag2': r.u32()}
    if t == 'bitmask':
        return {'type': t, 'bmr': r.u8(), 'tag': r.u32(), 'mask': r.u32()}
    if t == 'size':
        return {'type': t, 'relop': r.u8(), 'tag': r.u32(), 'size': r.u32()}
    if t == 'exist':
        return {'type': t, 'tag': r.u32()}
    if t == 'subobject':
        return {'type': t, 'subobject': r.u32(), 'restriction': decode_restriction(r, depth + 1)}
    if t == 'comment':
        n = r.u8()
        vals = [decode_tagged(r) for _ in range(n)]
        present = r.u8()
        return {'type': t, 'values': vals, 'restriction': decode_restriction(r, depth + 1) if present else None}
    if t == 'count':
        return {'type': t, 'count': r.u32(), 'restriction': decode_restriction(r, depth + 1)}


def jsonable(v):
    """Turn decoded values into JSON-friendly ones (bytes -> hex, UUID -> str, errors -> dicts)."""
    if isinstance(v, (bytes, bytearray)):
        return {'hex': bytes(v).hex()}
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, PropError):
        return {'error': '0x%08X' % v.code}
    if isinstance(v, NotPresent):
        return {'notPresent': True}
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, float) and (v != v or v in (float('inf'), float('-inf'))):
        return str(v)
    return v
