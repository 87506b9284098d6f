"""MS-XCA "Plain LZ77" (the LZ77 + DIRECT2 format of MS-OXCRPC 3.1.4.1.1.2) compressor and decompressor.

Written from the format description (32-bit flag words consumed MSB first, 16-bit metadata
((distance-1) << 3 | min(length-3, 7)), shared-nibble / byte / u16 / u32 length extension).
"""
import struct


class LZ77Error(ValueError):
    pass


def decompress(data, expected_size=None, max_size=1 << 24):
    src = bytes(data)
    n = len(src)
    out = bytearray()
    pos = 0
    flags = 0
    nflags = 0
    nibble_at = None  # index of the half-used shared length byte
    while True:
        if nflags == 0:
            if pos + 4 > n:
                # a stream may end exactly after the last element with no room for a new flag word
                if pos == n:
                    break
                raise LZ77Error('truncated flag word at %d' % pos)
            flags = struct.unpack_from('<I', src, pos)[0]
            pos += 4
            nflags = 32
        nflags -= 1
        bit = (flags >> nflags) & 1
        if bit == 0:
            if pos >= n:
                raise LZ77Error('literal past end of input')
            out.append(src[pos])
            pos += 1
            continue
        if pos >= n:
            break  # end marker
        if pos + 2 > n:
            raise LZ77Error('truncated metadata at %d' % pos)
        meta = src[pos] | (src[pos + 1] << 8)
        pos += 2
        dist = (meta >> 3) + 1
        length = meta & 7
        if length == 7:
            if nibble_at is None:
                if pos >= n:
                    raise LZ77Error('truncated nibble')
                length = src[pos] & 0x0F
                nibble_at = pos
                pos += 1
            else:
                length = src[nibble_at] >> 4
                nibble_at = None
            if length == 15:
                if pos >= n:
                    raise LZ77Error('truncated length byte')
                length = src[pos]
                pos += 1
                if length == 255:
                    if pos + 2 > n:
                        raise LZ77Error('truncated length word')
                    length = src[pos] | (src[pos + 1] << 8)
                    pos += 2
                    if length == 0:
                        if pos + 4 > n:
                            raise LZ77Error('truncated length dword')
                        length = struct.unpack_from('<I', src, pos)[0]
                        pos += 4
                    if length < 15 + 7:
                        raise LZ77Error('invalid long length %d' % length)
                    length -= 15 + 7
                length += 15
            length += 7
        length += 3
        if dist > len(out):
            raise LZ77Error('match distance %d beyond output %d' % (dist, len(out)))
        if len(out) + length > max_size:
            raise LZ77Error('output exceeds limit')
        start = len(out) - dist
        if dist >= length:
            out += out[start:start + length]
        else:
            for i in range(length):
                out.append(out[start + i])
    if expected_size is not None and len(out) != expected_size:
        raise LZ77Error('decompressed %d bytes, expected %d' % (len(out), expected_size))
    return bytes(out)


MAX_DIST = 8192
MIN_MATCH = 3
MAX_MATCH = 0xFFFF + 3  # encodable with the u16 form; longer runs are just split


def compress(data, max_chain=32):
    src = bytes(data)
    n = len(src)
    out = bytearray(b'\0\0\0\0')
    flag_pos = 0
    flags = 0
    nflags = 0
    nibble_at = None
    head = {}
    prev = [0] * n if n else []

    def push_flag(bit):
        nonlocal flags, nflags, flag_pos
        flags = (flags << 1) | bit
        nflags += 1
        if nflags == 32:
            struct.pack_into('<I', out, flag_pos, flags)
            flag_pos = len(out)
            out.extend(b'\0\0\0\0')
            flags = 0
            nflags = 0

    def insert(i):
        if i + 3 <= n:
            k = src[i:i + 3]
            prev[i] = head.get(k, -1)
            head[k] = i

    i = 0
    while i < n:
        best_len = 0
        best_dist = 0
        if i + MIN_MATCH <= n:
            cand = head.get(src[i:i + 3], -1)
            chain = 0
            limit = min(n - i, MAX_MATCH)
            while cand >= 0 and i - cand <= MAX_DIST and chain < max_chain:
                l = 3
                # extend (overlap allowed)
                while l < limit and src[cand + l] == src[i + l]:
                    l += 1
                if l > best_len:
                    best_len = l
                    best_dist = i - cand
                    if l == limit:
                        break
                cand = prev[cand]
                chain += 1
        if best_len >= MIN_MATCH:
            lc = best_len - 3
            out += struct.pack('<H', ((best_dist - 1) << 3) | min(lc, 7))
            if lc >= 7:
                rest = lc - 7
                if nibble_at is None:
                    nibble_at = len(out)
                    out.append(min(rest, 15))
                else:
                    out[nibble_at] |= min(rest, 15) << 4
                    nibble_at = None
                if rest >= 15:
                    rest -= 15
                    if rest < 255:
                        out.append(rest)
                    else:
                        out.append(255)
                        out += struct.pack('<H', best_len - 3)
            # the flag bit is recorded after the element's bytes: a full flag word is flushed and the next one
            # reserved right behind the 32nd element, where the decoder looks for it
            push_flag(1)
            for j in range(i, i + best_len):
                insert(j)
            i += best_len
        else:
            out.append(src[i])
            push_flag(0)
            insert(i)
            i += 1
    # terminate: remaining flag bits (at least one, since a full word is flushed at once) are 1s
    free = 32 - nflags
    flags = ((flags << free) | ((1 << free) - 1)) & 0xFFFFFFFF
    struct.pack_into('<I', out, flag_pos, flags)
    return bytes(out)
