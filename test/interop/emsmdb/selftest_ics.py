"""Offline checks of ics.py (the client's ICS / FastTransfer codec): GLOBSET command vectors built from the rules of
MS-OXCFXICS 2.2.2.6 / 3.1.5.4.3, the spec examples the project keeps under fixtures/ (when present), random round
trips of GLOBSETs and IDSETs in both forms against a plain-set model, refusal of malformed GLOBSETs, a FastTransfer
stream with every marker written, cut into buffers at every allowed place and parsed back into the same tree, and
the ROP request layouts of MS-OXCROPS 2.2.12 / 2.2.13."""
import glob
import json
import os
import random
import struct
import uuid

import ics as I
import props as P

from selfcheck import FIXTURES, eq


def raises(fn, exc=ValueError, what=''):
    try:
        fn()
    except exc:
        return
    raise AssertionError('%s: accepted' % what)


def t_globset_commands():
    h = bytes.fromhex
    # a singleton: Push 6 bytes (the GLOBCNT is complete: not kept on the stack), End
    eq(I.encode_globset([(0x010203040506, 0x010203040506)]), h('06010203040506' '00'), 'singleton')
    # a range sharing 5 high-order bytes: Push 5, Range (1 byte each), Pop, End
    eq(I.encode_globset([(1, 10)]), h('050000000000' '52010a' '50' '00'), 'range')
    # sparse values sharing 5 bytes: Push 5, Bitmask(start, mask), Pop, End
    eq(I.encode_globset(I.ranges_of([1, 2, 4, 9])), h('050000000000' '42' '01' '85' '50' '00'), 'bitmask')
    # a range with no common bytes: Range of two 6-byte values
    eq(I.encode_globset([(1, 0x010000000000)]), h('52' '000000000001' '010000000000' '00'), 'wide range')
    # decoder: nested pushes, pop, range, bitmask, singleton
    # stack 0102 | 0304, then Push 2 completes a GLOBCNT (a singleton, not kept), Range of 2-byte values under
    # the 4-byte stack, Push 1 (5 bytes), Bitmask, three Pops, End
    b = h('020102' '020304' '020506' '5200070009' '0110' '421003' '50' '50' '50' '00')
    d = I.decode_globset(P.Reader(b.replace(b' ', b'')))
    eq(d['ranges'], [(0x010203040506, 0x010203040506), (0x010203040007, 0x010203040009),
                     (0x010203041010, 0x010203041010), (0x010203041011, 0x010203041011),
                     (0x010203041012, 0x010203041012)], 'decoded')
    eq(d['commands'], ['push2', 'push2', 'push2*', 'range', 'push1', 'bitmask', 'pop', 'pop', 'pop', 'end'], 'commands')
    return {'vectors': 5}


def t_globset_decode_spec_rules():
    h = bytes.fromhex
    # bitmask: StartingValue and bit i -> StartingValue + i + 1 (2.2.2.6.3)
    d = I.decode_globset(P.Reader(h('05 0000000001' '42 20 81' '50 00')))
    eq(I.values_of(I.normalize(d['ranges'])), [0x120, 0x121, 0x128], 'bitmask values')
    # range shorter than 6 bytes combined with the stack (2.2.2.6.4)
    d = I.decode_globset(P.Reader(h('03 000102' '52 000010 0000ff' '50 00')))
    eq(d['ranges'], [(0x000102000010, 0x0001020000ff)], 'range with prefix')
    bad = {
        'reversed range': '52 000000000009 000000000001 00',
        'pop on empty stack': '50 00',
        'bitmask with 3 bytes on the stack': '03 000000 42 01 01 50 00',
        'push past 6 bytes': '04 00000000 04 00000000 00',
        'unknown command': '07 00',
        'truncated range': '52 0000',
        'no End': '05 0000000000 52 01 02 50',
        'End with bytes on the stack': '02 0000 00',
    }
    for what, hx in bad.items():
        raises(lambda hx=hx: I.decode_globset(P.Reader(h(hx.replace(' ', '')))), ValueError, what)
    return {'refused': sorted(bad)}


def _random_set(rnd):
    base = rnd.choice([0, 1, 0xFF, 0x1000, 0xFFFFFF, 0x0102030400, 0x7FFFFFFFFF00, 0xFFFFFFFFFF00])
    vals = set()
    for _ in range(rnd.randint(0, 40)):
        k = rnd.random()
        if k < 0.4:
            vals.add(base + rnd.randint(0, 300))
        elif k < 0.6:
            lo = base + rnd.randint(0, 5000)
            vals.update(range(lo, lo + rnd.randint(1, 600)))
        elif k < 0.8:
            vals.add(rnd.randint(0, (1 << 48) - 1))
        else:
            vals.add(base + rnd.randint(0, 0x1FFFF))
    return sorted(v for v in vals if 0 <= v < 1 << 48)


def t_globset_roundtrip():
    rnd = random.Random(11)
    n = 0
    used = set()
    for _ in range(600):
        vals = _random_set(rnd)
        b = I.encode_globset(I.ranges_of(vals))
        d = I.decode_globset(P.Reader(b))
        used.update(c.rstrip('*') if not c.startswith('push') else 'push' for c in d['commands'])
        eq(I.values_of(I.normalize(d['ranges'])), vals, 'round trip')
        n += 1
    for c in ('push', 'pop', 'range', 'bitmask', 'end'):
        if c not in used:
            raise AssertionError('command %s never produced' % c)
    return {'sets': n, 'commands': sorted(used)}


def t_idset_forms_and_algebra():
    rnd = random.Random(5)
    g1, g2 = uuid.UUID('11111111-2222-3333-4444-555555555555'), uuid.UUID('01010101-2222-3333-4444-555555555555')
    for _ in range(200):
        a = {1: I.ranges_of(_random_set(rnd)), 5: I.ranges_of(_random_set(rnd))}
        a = {k: v for k, v in a.items() if v}
        eq(I.decode_idset_replid(I.encode_idset_replid(a)), a, 'REPLID form')
        b = {str(g1): I.ranges_of(_random_set(rnd)), str(g2): I.ranges_of(_random_set(rnd))}
        b = {k: v for k, v in b.items() if v}
        enc = I.encode_idset_replguid(b)
        eq(I.decode_idset_replguid(enc), b, 'REPLGUID form')
        if len(b) == 2:
            eq(enc[:16], g2.bytes_le, 'REPLGUIDs in ascending byte order')
        # union / difference through the value model
        x, y = set(_random_set(rnd)), set(_random_set(rnd))
        eq(I.values_of(I.normalize(I.ranges_of(x) + I.ranges_of(y))), sorted(x | y), 'union')
    # out-of-order REPLGUIDs are refused
    bad = g1.bytes_le + I.encode_globset([(1, 1)]) + g2.bytes_le + I.encode_globset([(1, 1)])
    raises(lambda: I.decode_idset_replguid(bad), ValueError, 'descending REPLGUIDs')
    # PCL: merge keeps the highest LocalId per GUID, includes
    p1 = I.encode_pcl([I.xid(g1, 5), I.xid(g2, 9)])
    p2 = I.encode_pcl([I.xid(g1, 7)])
    m = I.pcl_merge(p1, p2)
    eq(sorted(I.decode_pcl(m)), sorted([(str(g1), (7).to_bytes(6, 'big')), (str(g2), (9).to_bytes(6, 'big'))]), 'merge')
    eq((I.pcl_includes(m, p1), I.pcl_includes(p1, p2), I.pcl_includes(m, p2)), (True, False, True), 'includes')
    return {'idsets': 400}


def t_spec_fixtures():
    """The MS-OXCFXICS examples as the project keeps them (fixtures/**/*oxcfxics*.json, written by the server side's
    IDSET owner): every entry with hex bytes and a value list decodes to those values."""
    files = sorted(set(glob.glob(os.path.join(FIXTURES, '**', '*oxcfxics*.json'), recursive=True)))
    checked = []
    for f in files:
        with open(f) as fh:
            d = json.load(fh)
        items = d.get('vectors') or d.get('examples') or (d if isinstance(d, list) else [])
        if any('ranges' in v or 'replicas' in v for v in items if isinstance(v, dict)):
            checked.extend(_check_idset_vectors(d, os.path.basename(f)))
            continue
        for v in items:
            if not isinstance(v, dict):
                continue
            hx = v.get('hex') or v.get('bytes') or v.get('serialized')
            if not isinstance(hx, str):
                continue
            try:
                raw = bytes.fromhex(hx.replace(' ', ''))
            except ValueError:
                continue
            if isinstance(v.get('elements'), list):
                checked.append({'file': os.path.basename(f), 'id': v.get('id'), 'stream': _check_stream_vector(raw, v)})
                continue
            kind = (v.get('kind') or v.get('form') or v.get('type') or '').lower()
            try:
                if 'replguid' in kind:
                    got = I.decode_idset_replguid(raw)
                elif 'replid' in kind:
                    got = I.decode_idset_replid(raw)
                elif 'globset' in kind or kind == '':
                    got = I.normalize(I.decode_globset(P.Reader(raw))['ranges'])
                else:
                    continue
            except ValueError as e:
                if v.get('valid') is False or v.get('error') or v.get('ec'):
                    checked.append({'file': os.path.basename(f), 'id': v.get('id'), 'refused': str(e)})
                    continue
                raise AssertionError('%s %s: %s' % (os.path.basename(f), v.get('id'), e))
            checked.append({'file': os.path.basename(f), 'id': v.get('id'), 'decoded': P.jsonable(got)})
    return {'files': [os.path.basename(f) for f in files], 'checked': checked}


def _check_idset_vectors(d, fname):
    """fixtures/vectors/ms-oxcfxics-idset.json: decode gives `ranges` (per replica for IDSETs); our encoder's output
    decodes back to them (and is compared byte for byte when the vector is canonical: reported, not required of a
    client); every `bad` vector is refused."""
    out = []
    rg = lambda rs: [(int(a, 16), int(b, 16)) for a, b in rs]
    for v in d['vectors']:
        raw = bytes.fromhex(v['hex'].replace(' ', ''))
        kind = v['kind']
        if kind == 'globset':
            r = P.Reader(raw)
            got = I.normalize(I.decode_globset(r)['ranges'])
            eq(r.left(), 0, v['id'] + ' consumed')
            want = I.normalize(rg(v['ranges']))
            eq(got, want, v['id'])
            enc = I.encode_globset(want)
            eq(I.normalize(I.decode_globset(P.Reader(enc))['ranges']), want, v['id'] + ' re-encoded')
            out.append({'id': v['id'], 'ok': True, 'sameBytes': enc == raw if v.get('canonical') else None})
        elif kind in ('idset-replid', 'idset-replguid'):
            if kind == 'idset-replid':
                got = I.decode_idset_replid(raw)
                want = {x['replid']: I.normalize(rg(x['ranges'])) for x in v['replicas']}
                enc = I.encode_idset_replid(want)
                eq(I.decode_idset_replid(enc), want, v['id'] + ' re-encoded')
            else:
                got = I.decode_idset_replguid(raw)
                want = {x['replguid']: I.normalize(rg(x['ranges'])) for x in v['replicas']}
                enc = I.encode_idset_replguid(want)
                eq(I.decode_idset_replguid(enc), want, v['id'] + ' re-encoded')
            eq(got, want, v['id'])
            out.append({'id': v['id'], 'ok': True, 'sameBytes': enc == raw if v.get('canonical') else None})
    for b in d.get('bad', []):
        raw = bytes.fromhex(b['hex'].replace(' ', ''))
        raises(lambda raw=raw: I.decode_globset(P.Reader(raw)), ValueError, b['id'])
        out.append({'id': b['id'], 'refused': True})
    return out


def _lex(raw, cuts=()):
    lx = I.FxLexer(raw, cuts)
    toks = []
    for typ, v, off in lx.tokens():
        toks.append({'marker': v} if typ == 'marker' else v)
    return toks, lx


def _check_stream_vector(raw, v):
    """A FastTransfer stream fragment: tokens equal the vector's element list; cut at every byte, same tokens."""
    toks, lx = _lex(raw)
    eq(len(toks), len(v['elements']), '%s element count' % v['id'])
    for t, e in zip(toks, v['elements']):
        if 'marker' in e:
            eq(t, {'marker': e['marker']}, 'marker')
            continue
        eq('0x%08X' % t.tag, e['tag'].upper().replace('0X', '0x'), 'tag')
        if 'binary' in e:
            eq(t.value.hex(), e['binary'], e['tag'])
        elif 'u64' in e:
            eq(t.value, int(e['u64'], 16), e['tag'])
        elif 'i32' in e:
            eq(t.value, e['i32'], e['tag'])
        elif 'bool' in e:
            eq(t.value, e['bool'], e['tag'] + ' (PtypBoolean is 2 bytes in a FastTransfer stream)')
        elif 'string' in e:
            eq(t.value, e['string'], e['tag'])
    # re-encode with the writer
    out = b''
    for t, e in zip(toks, v['elements']):
        out += I.fx_marker(e['marker']) if 'marker' in e else I.fx_prop(t.tag, t.value, t.name)
    eq(out.hex(), raw.hex(), '%s re-encoded' % v['id'])
    for c in range(1, len(raw)):
        t2, _ = _lex(raw, [c])
        eq(len(t2), len(toks), 'cut at %d' % c)
    return {'elements': len(toks), 'reencoded': True, 'cuts': len(raw) - 1}


NAME_KEYWORDS = {'guid': '00020329-0000-0000-c000-000000000046', 'name': 'Keywords'}


def sample_stream():
    """A contentsSync stream with one message (recipient, attachment with an embedded message holding its own
    recipient and attachment), deletions, read state and the state."""
    W = I.fx_prop
    mk = I.fx_marker
    sk = I.source_key('c0ffee00-0000-0000-0000-000000000001', 0x1234)
    s = b''
    s += mk('IncrSyncProgressMode') + W(0x00000102, struct.pack('<HHIQIIQ', 0, 0, 0, 0, 1, 0, 4242))
    s += mk('IncrSyncProgressPerMsg') + W(I.PidTagMessageSize, 4242) + W(I.PidTagAssociated, False)
    s += mk('IncrSyncChg') + W(I.PidTagSourceKey, sk) + W(I.PidTagLastModificationTime, 130000000000000000) + \
        W(I.PidTagChangeKey, sk) + W(I.PidTagPredecessorChangeList, bytes([22]) + sk) + W(I.PidTagAssociated, False)
    s += mk('IncrSyncMessage') + W(0x0037001F, 'Subject äöü 東京') + W(0x1000001F, 'body ' * 3000) + \
        W(0x8001101F, ['Red', 'Blue'], NAME_KEYWORDS) + W(0x0E070003, 1) + W(0x0E1B000B, True) + \
        W(0x80020003, 7, {'guid': '00062008-0000-0000-c000-000000000046', 'lid': 0x8501}) + \
        W(0x0E060040, 1 << 60) + W(0x001A001E, 'IPM.Note')
    s += W(I.MetaTagFXDelProp, 0x0E12000D) + mk('StartRecip') + W(0x0C150003, 1) + W(0x3001001F, 'Bob') + mk('EndToRecip')
    s += W(I.MetaTagFXDelProp, 0x0E13000D) + mk('NewAttach') + W(0x0E210003, 0) + W(0x37050003, 5)
    s += mk('StartEmbed') + W(0x0037001F, 'inner') + mk('StartRecip') + W(0x3001001F, 'Inner') + mk('EndToRecip') + \
        mk('NewAttach') + W(0x0E210003, 0) + W(0x37010102, bytes(range(256)) * 40) + mk('EndAttach') + mk('EndEmbed') + mk('EndAttach')
    ids = I.encode_idset_replid({1: [(5, 9)]})
    s += mk('IncrSyncDel') + W(I.MetaTagIdsetDeleted, ids)
    s += mk('IncrSyncRead') + W(I.MetaTagIdsetRead, ids) + W(I.MetaTagIdsetUnread, I.encode_idset_replid({1: [(11, 11)]}))
    st = I.encode_idset_replguid({'c0ffee00-0000-0000-0000-000000000001': [(1, 100)]})
    s += mk('IncrSyncStateBegin') + W(I.MetaTagCnsetSeen, st) + W(I.MetaTagIdsetGiven, st) + mk('IncrSyncStateEnd')
    s += mk('IncrSyncEnd')
    return s


def _shape(n):
    return {'kind': n.kind, 'header': [p.key() for p in n.header], 'props': [(p.key(), P.jsonable(p.value)) for p in n.props],
            'children': [_shape(c) for c in n.children]}


def t_fx_stream():
    s = sample_stream()
    whole = I.parse_stream(s)
    ref = _shape(whole)
    ch = whole.kids('change')[0]
    eq(ch.get('0x0037001F'), 'Subject äöü 東京', 'subject')
    kw = [p for p in ch.props if p.name and p.name.get('name') == 'Keywords'][0]
    eq(kw.value, ['Red', 'Blue'], 'named multi-valued string')
    eq(len(ch.kids('recipient')), 1, 'recipient')
    att = ch.kids('attachment')[0]
    emb = att.kids('embedded')[0]
    eq((emb.get('0x0037001F'), len(emb.kids('recipient')), len(emb.kids('attachment'))), ('inner', 1, 1), 'embedded')
    eq(whole.meta['grammar'], [], 'PidTagAttachNumber right after NewAttach')
    # messageChildren (2.2.4.3): MetaTagFXDelProp before the recipients and before the attachments, not a property
    eq(ch.meta.get('delProps'), [I.PidTagMessageRecipients, I.PidTagMessageAttachments], 'MetaTagFXDelProp values')
    eq([p.tag for p in ch.props if p.tag == I.MetaTagFXDelProp], [], 'MetaTagFXDelProp kept out of the properties')
    eq(I.state_of(whole)[I.MetaTagCnsetSeen][:16], uuid.UUID('c0ffee00-0000-0000-0000-000000000001').bytes_le, 'state')
    # cut everywhere: every cut parses to the same tree; cuts inside atomic items are reported, inside values not
    rnd = random.Random(3)
    allowed = forbidden = 0
    for k in range(300):
        cuts = sorted(rnd.sample(range(1, len(s)), rnd.randint(1, 12)))
        t = I.parse_stream(s, cuts)
        eq(_shape(t), ref, 'tree with cuts %s' % cuts[:4])
        forbidden += len(t.meta['split_violations'])
        allowed += t.meta['split_values']
    if not (allowed and forbidden):
        raise AssertionError('cuts did not exercise both cases')
    # markers out of order are refused
    mk = I.fx_marker
    bad = {
        'EndToRecip without StartRecip': mk('IncrSyncChg') + mk('IncrSyncMessage') + mk('EndToRecip') + mk('IncrSyncEnd'),
        'EndEmbed in an attachment': mk('StartMessage') + mk('NewAttach') + mk('EndEmbed'),
        'IncrSyncMessage twice': mk('IncrSyncChg') + mk('IncrSyncMessage') + mk('IncrSyncMessage'),
        'StartRecip in a change header': mk('IncrSyncChg') + mk('StartRecip'),
        'unclosed attachment at IncrSyncEnd': mk('IncrSyncChg') + mk('IncrSyncMessage') + mk('NewAttach') + mk('IncrSyncEnd'),
        'StateEnd without Begin': mk('IncrSyncStateEnd'),
        'truncated value': I.fx_prop(0x0037001F, 'abc')[:-3],
        'string without terminator': struct.pack('<II', 0x0037001F, 2) + b'ab',
        'EndMessage at top': mk('EndMessage'),
    }
    # MetaTagFXDelProp out of place (messageChildren = [FXDelProp] *recipient [FXDelProp] *attachment)
    W = I.fx_prop
    chg = mk('IncrSyncChg') + W(I.PidTagSourceKey, b'\1' * 22) + mk('IncrSyncMessage') + W(0x0037001F, 's')
    rcp = mk('StartRecip') + W(0x3001001F, 'r') + mk('EndToRecip')
    att = mk('NewAttach') + W(0x0E210003, 0) + mk('EndAttach')
    dr, da = W(I.MetaTagFXDelProp, I.PidTagMessageRecipients), W(I.MetaTagFXDelProp, I.PidTagMessageAttachments)
    end = mk('IncrSyncEnd')
    bad.update({
        'FXDelProp in a change header': mk('IncrSyncChg') + dr + mk('IncrSyncMessage') + end,
        'FXDelProp(recipients) after a recipient': chg + rcp + dr + end,
        'FXDelProp(recipients) after the attachments': chg + da + att + dr + end,
        'FXDelProp(attachments) after an attachment': chg + att + da + end,
        'FXDelProp(attachments) twice': chg + da + da + end,
        'FXDelProp of another property': chg + W(I.MetaTagFXDelProp, 0x0037001F) + end,
        'a recipient after the attachments': chg + att + rcp + end,
        'a property after the recipients': chg + dr + rcp + W(0x1000001F, 'late') + end,
        'a property after FXDelProp': chg + dr + W(0x1000001F, 'late') + end,
    })
    good = {
        'both': (chg + dr + rcp + da + att + end, [I.PidTagMessageRecipients, I.PidTagMessageAttachments]),
        'attachments only': (chg + rcp + da + att + end, [I.PidTagMessageAttachments]),
        'none': (chg + rcp + att + end, []),
        'no subobjects': (chg + dr + da + end, [I.PidTagMessageRecipients, I.PidTagMessageAttachments]),
    }
    for what, (b, want) in good.items():
        c = I.parse_stream(b).kids('change')[0]
        eq(c.meta.get('delProps', []), want, what)
        eq(c.get('0x0037001F'), 's', what)
    for what, b in bad.items():
        raises(lambda b=b: I.parse_stream(b), ValueError, what)
    # a FastTransfer copy stream: topFolder with a subfolder and messages
    top = mk('StartTopFld') + W(0x3001001F, 'Top') + mk('StartMessage') + W(0x0037001F, 'm1') + mk('EndMessage') + \
        mk('StartSubFld') + W(0x3001001F, 'Sub') + mk('StartFAIMsg') + W(0x0037001F, 'fai') + mk('EndMessage') + \
        mk('EndFolder') + mk('EndFolder')
    t = I.parse_stream(top)
    f = t.kids('folder')[0]
    eq((f.get('0x3001001F'), f.kids('message')[0].get('0x0037001F'), f.kids('folder')[0].kids('fai')[0].get('0x0037001F')),
       ('Top', 'm1', 'fai'), 'topFolder')
    return {'bytes': len(s), 'splitValuesSeen': allowed, 'forbiddenCutsSeen': forbidden, 'refused': sorted(bad)}


def t_conflict_versions():
    """A message in conflict arrives as its versions (3.1.5.6.2.1), one messageChange each with the same source key:
    their PCLs conflict pairwise; the winner is the last writer (3.1.5.6.2.2: time, then the greater change-key
    GUID); a version whose PCL another includes is no conflict."""
    ga, gb = '11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000002'
    base = I.xid(ga, 5)
    va, vb = I.xid(ga, 6), I.xid(gb, 1)
    pa = I.encode_pcl([va])
    pb = I.pcl_merge(I.encode_pcl([base]), I.encode_pcl([vb]))
    eq(I.pcls_in_conflict([pa, pb]), True, 'A 6 vs A 5 + B 1')
    eq(I.pcls_in_conflict([I.encode_pcl([base]), pa]), False, 'A 6 includes A 5')
    eq(I.pcls_in_conflict([pa, pb, I.encode_pcl([I.xid(gb, 2)])]), True, 'B 2 alone does not include A 5 + B 1')
    eq(I.pcls_in_conflict([pa, pb, I.pcl_merge(I.encode_pcl([base]), I.encode_pcl([I.xid(gb, 2)]))]), False,
       'A 5 + B 2 includes A 5 + B 1 (three versions)')
    w = I.conflict_winner([{'lm': 10, 'ck': va}, {'lm': 20, 'ck': vb}])
    eq(w['ck'], vb, 'later wins')
    w = I.conflict_winner([{'lm': 10, 'ck': vb}, {'lm': 10, 'ck': va}])
    eq(w['ck'], vb, 'tie: greater change-key GUID bytes')
    merged = I.pcl_merge(pa, pb)
    eq((I.pcl_includes(merged, pa), I.pcl_includes(merged, pb)), (True, True), 'the merged PCL succeeds both')
    return {'checked': 8}


def t_rop_layouts():
    h = bytes.fromhex
    cases = [
        (I.RopSynchronizationConfigure(I.SYNC_CONTENTS, I.SO_UNICODE, 0x8039, None, 0, [0x0037001F], in_index=1,
                                       out_index=2),
         '70 00 01 02 01 01 3980 0000 00000000 0100 1f003700'),
        (I.RopFastTransferSourceGetBuffer(0xBABE, 0x7FF0, in_index=2), '4e 00 02 beba f07f'),
        (I.RopFastTransferSourceGetBuffer(15480, in_index=2), '4e 00 02 783c'),
        (I.RopSynchronizationUploadStateStreamBegin(I.MetaTagCnsetSeen, 5, in_index=2), '75 00 02 02019667 05000000'),
        (I.RopSynchronizationUploadStateStreamContinue(b'\1\2', in_index=2), '76 00 02 02000000 0102'),
        (I.RopSynchronizationUploadStateStreamEnd(in_index=2), '77 00 02'),
        (I.RopSynchronizationGetTransferState(in_index=2, out_index=3), '82 00 02 03'),
        (I.RopSynchronizationOpenCollector(True, in_index=1, out_index=2), '7e 00 01 02 01'),
        (I.RopGetLocalReplicaIds(10, in_index=0), '7f 00 00 0a000000'),
        (I.RopSynchronizationImportReadStateChanges([(b'\xaa' * 22, True)], in_index=2),
         '80 00 02 1900 1600' + 'aa' * 22 + '01'),
        (I.RopSynchronizationImportDeletes([b'\1\2'], I.DEL_HARD, in_index=2), '74 00 02 02 0100 02110000 01000000 0200 0102'),
        (I.RopSynchronizationImportMessageMove(b'\1', b'\2', b'\3', b'\4', b'\5', in_index=2),
         '78 00 02 01000000 01 01000000 02 01000000 03 01000000 04 01000000 05'),
        (I.RopFastTransferDestinationConfigure(I.FXOP_COPYMESSAGES, 0, in_index=1, out_index=2), '53 00 01 02 03 00'),
        (I.RopFastTransferDestinationPutBuffer(b'\x0c\x00\x40\x40', in_index=2), '54 00 02 0400 0c004040'),
        (I.RopTellVersion((15, 0, 847), in_index=2), '86 00 02 0f00 0000 4f03'),
        (I.RopFastTransferSourceCopyMessages([1], 0, I.SO_UNICODE, in_index=1, out_index=2),
         '4b 00 01 02 0100 0100000000000000 00 01'),
        (I.RopFastTransferSourceCopyTo(0, 0, I.SO_UNICODE, [], in_index=1, out_index=2), '4d 00 01 02 00 00000000 01 0000'),
        (I.RopSetLocalReplicaMidsetDeleted([(b'\1' * 24, b'\2' * 24)], in_index=1),
         '93 00 01 3400 01000000' + '01' * 24 + '02' * 24),
    ]
    for rop, hx in cases:
        eq(rop.encode().hex(), h(hx.replace(' ', '')).hex(), rop.name)
    # responses
    r = P.Reader(h('0300 0500 0900 00 0300 616263'))
    eq(I._getbuffer_parse(r, 0), {'TransferStatus': 3, 'InProgressCount': 5, 'TotalStepCount': 9, 'Reserved': 0,
                                  'TransferBufferSize': 3, 'TransferBuffer': b'abc'}, 'GetBuffer response')
    eq(I._getbuffer_parse(P.Reader(h('10270000')), I.ecServerBusy), {'BackoffTime': 10000}, 'GetBuffer ServerBusy')
    return {'rops': len(cases)}


CHECKS = [
    ('ics: GLOBSET commands push/pop/bitmask/range/end (MS-OXCFXICS 2.2.2.6)', t_globset_commands),
    ('ics: GLOBSET decoding rules and refusals', t_globset_decode_spec_rules),
    ('ics: 600 GLOBSET round trips against a plain-set model', t_globset_roundtrip),
    ('ics: IDSET REPLID / REPLGUID forms, PCL merge', t_idset_forms_and_algebra),
    ('ics: MS-OXCFXICS examples under fixtures/', t_spec_fixtures),
    ('ics: FastTransfer stream tree, buffer cuts, markers out of order', t_fx_stream),
    ('ics: Synchronization* / FastTransfer* ROP layouts (MS-OXCROPS 2.2.12, 2.2.13)', t_rop_layouts),
    ('ics: conflicting versions of one message (MS-OXCFXICS 3.1.5.6.2)', t_conflict_versions),
]

if __name__ == '__main__':
    import sys
    bad = 0
    for name, fn in CHECKS:
        try:
            print(name, json.dumps(P.jsonable(fn()))[:300])
        except Exception as e:
            import traceback
            traceback.print_exc()
            bad += 1
    sys.exit(1 if bad else 0)
