#!/usr/bin/python3
"""Cached Exchange Mode over EMSMDB (MS-OXCFXICS ICS and FastTransfer), issue 7's acceptance scenario, driven by this
project's own client (ics.py: written from the spec, independently of src/) over ncacn_ip_tcp at PKT_PRIVACY with
LZ77 + XOR. Each phase is one process (the ICS state lives in --state between phases, so every phase after the first
also proves the state survives a disconnect and a reconnect); the vitest test changes the store between phases.

  cached_mode.py --epm-port P -u alice -p PASSWORD -d TEST --dn DN --state FILE --phase PHASE [--expected FILE]

Phases (each prints one JSON object, steps as in the other runs: out.steps [{name, ok, ms, error?}], data under
out[step]):
  first        connect; hierarchy sync of the IPM subtree (empty state uploaded: RopSynchronizationUploadState-
               StreamBegin/End per state property); contents sync of every folder named in --expected
               (Unicode|ReadState|FAI|Normal|Progress, Eid|Cn extra flags, RopFastTransferSourceGetBuffer 0xBABE
               loop); the messages received compared with --expected (the store's properties, recipients,
               attachments, embedded messages as JSON) value by value; state saved.
  incremental  the saved state uploaded per folder (Begin/Continue/End); what comes back: message changes,
               deletions (MetaTagIdsetDeleted / soft), read-state changes (MetaTagIdsetRead / Unread); the changed
               messages compared with --expected.
  upload       RopGetLocalReplicaIds; RopSynchronizationOpenCollector on folder 0 (state uploaded): a new message
               (ImportMessageChange + RopSetProperties + RopSaveChangesMessage), a read-state change, a delete,
               a conflicting edit (the vitest changed that message after the state was taken), a conflicting edit
               with FailOnConflict; on folder 1's collector an ImportMessageMove from folder 0; the collectors'
               RopSynchronizationGetTransferState; then a download with that state: nothing of ours echoes back.
  hierarchy    hierarchy collector: a folder created, one renamed, one moved, one deleted (ImportHierarchyChange /
               ImportDeletes Hierarchy); then a hierarchy download with the collector's state, applied to the local
               folder tree, which is printed (the vitest compares it with the store's).
  bad          corrupt and truncated state streams, reversed and overlapping ranges, CNSETs naming CNs never
               issued, a FastTransfer upload with markers out of order: the ROP and ec each was refused with, and
               whether that is the spec's (IDSETs that do not decode: ecRpcFormat at StreamEnd, 3.1.5.4.3.2).

A message in conflict arrives as its conflicting versions (several messageChanges with one source key, MS-OXCFXICS
3.1.5.6.2.1): the client checks that their PCLs conflict and keeps the last writer's version with the merged PCL
(resolve_versions). An upload context's transfer state must come without MetaTagIdsetGiven (3.2.5.2.1,
check_collector_state); the client merges its own back (checkpointing, 3.3.5.6).
  quiet        reconnect with the saved state: every folder's contents sync and the hierarchy sync return nothing.
"""
import argparse
import json
import os
import struct
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ics as I
import ocemsmdb as O
import props as P
import rops as R
import rops_msg as MSG
from start_common import StepRun

CONTENTS_FLAGS = I.SF_UNICODE | I.SF_READSTATE | I.SF_FAI | I.SF_NORMAL | I.SF_PROGRESS
CONTENTS_EXTRA = I.SX_EID | I.SX_CN
HIER_FLAGS = I.SF_UNICODE
HIER_EXTRA = I.SX_EID | I.SX_CN
CLIENT_GUID = uuid.UUID('6b1a5f0e-8c2d-4e7a-9f10-c1c1c1c1c1c1')   # this client's replica (change keys it makes)
PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046'
ERR = {0x000004B6: 'ecRpcFormat', 0x000004ED: 'ecFormatError', 0x80040802: 'ecSyncConflict', 0x8004010F: 'ecNotFound',
       0x80070057: 'ecInvalidParam', 0x80040102: 'ecNotSupported', 0x80040FFF: 'ecNotImplemented',
       0x000004B9: 'ecNullObject', 0x80040108: 'ecObjectModified', 0x80004005: 'ecError', 0x80040106: 'ecUnknownFlags',
       0x00000480: 'ecServerBusy', 0x8004060C: 'ecNotInitialized', 0x80040805: 'ecSyncIgnore?', 0x80040609: 'ecSyncNoParent?'}


class StepError(Exception):
    pass


def rvs(rv):
    return '0x%08X%s' % (rv, (' ' + ERR[rv]) if rv in ERR else '')


def hexd(b):
    return bytes(b).hex()


# ------------------------------------------------------------------ canonical property values (shared with the vitest)

STRING_TYPES = {0x001E: 0x001F, 0x101E: 0x101F}


def canon_key(p):
    """'0xTTTTTTTT' (string8 types shown as Unicode) or 'guid/lid:0xLLLL/0xTYPE' / 'guid/name:N/0xTYPE'."""
    t = p.tag & 0xFFFF
    t = STRING_TYPES.get(t, t)
    if p.name is None:
        return '0x%08X' % ((p.tag & 0xFFFF0000) | t)
    n = p.name
    k = ('lid:0x%04X' % n['lid']) if 'lid' in n else ('name:' + n['name'])
    return '%s/%s/0x%04X' % (n['guid'].lower(), k, t)


def canon_value(p):
    t = p.tag & 0xFFFF
    if t & 0x1000:
        base = t & ~0x3000
        return [_canon_scalar(base, v, raw) for v, raw in zip(p.value, p.raw)]
    return _canon_scalar(t, p.value, p.raw)


def _canon_scalar(t, v, raw):
    if t == 0x000B:
        return bool(v)
    if t == 0x001F:
        return v.encode('utf-16-le').hex()
    if t == 0x001E:
        return v.encode('utf-16-le').hex()
    if t & 0x8000 and isinstance(v, dict):
        return bytes.fromhex(v['bytes']).rstrip(b'\0').decode('cp1252', 'replace').encode('utf-16-le').hex()
    return hexd(raw)


def props_json(node, header=False):
    out = {}
    for p in (node.header if header else node.props):
        out[canon_key(p)] = canon_value(p)
    return out


# ------------------------------------------------------------------ client

class Client:
    def __init__(self, a):
        self.a = a
        self.s = None
        self.m = None

    def connect(self):
        a = self.a
        port = O.port_from_binding(O.epm_lookup(a.host, a.epm_port))
        self.dce = O.connect_dce(a.host, port, a.user, a.password, a.domain, 6)   # RPC_C_AUTHN_LEVEL_PKT_PRIVACY
        self.s = O.Session(self.dce, compress=True, xor=True, chain=True, pcb_out=0x8000)
        self.m = O.Mapi(self.s)
        info = self.s.connect(a.dn)
        r = self.one(lambda i: R.RopLogon(a.dn, logon_flags=0x01, open_flags=0x01000000 | 0x04,
                                          out_index=i['logon']), outs=['logon'], what='RopLogon')
        self.logon = r
        self.fids = dict(zip(['Root', 'DeferredAction', 'SpoolerQueue', 'IpmSubtree', 'Inbox', 'Outbox', 'SentItems',
                              'DeletedItems', 'CommonViews', 'Schedule', 'Finder', 'Views', 'Shortcuts'], r['FolderIds']))
        self.replguid = r['ReplGuid']
        self.replid = r['ReplId']
        return {'ErrorCode': info['ErrorCode'], 'port': port, 'ReplGuid': self.replguid, 'ReplId': self.replid}

    def ok(self, resp, what=''):
        if resp is None:
            raise StepError('%s: no response' % what)
        if resp['ReturnValue'] != 0:
            raise StepError('%s: %s returned %s' % (what, resp['name'], rvs(resp['ReturnValue'])))
        return resp

    def one(self, build, objs=(), outs=(), what=''):
        return self.ok(self.m.one(build, objs, outs), what)

    def try_one(self, build, objs=(), outs=()):
        r = self.m.one(build, objs, outs)
        return r

    def release(self, *names):
        self.m.release(*names)

    def open_folder(self, fid, name):
        self.one(lambda i: R.RopOpenFolder(fid, in_index=i['logon'], out_index=i[name]), ['logon'], [name],
                 what='RopOpenFolder %s' % P.fid_str(fid))

    # -- state upload (MS-OXCFXICS 3.3.5.x: Begin, Continue* , End per property)
    def upload_state(self, obj, state, chunk=0x3F00, collector=False):
        """collector: an upload context gets no MetaTagIdsetGiven (MS-OXCFXICS 3.3.5.13: clients SHOULD remove it)."""
        res = []
        for tag in I.STATE_TAGS:
            if collector and tag == I.MetaTagIdsetGiven:
                continue
            blob = state.get(tag, b'')
            rr = self.m.run(lambda i, tag=tag, blob=blob: (
                [I.RopSynchronizationUploadStateStreamBegin(tag, len(blob), in_index=i[obj])] +
                [I.RopSynchronizationUploadStateStreamContinue(blob[k:k + chunk], in_index=i[obj])
                 for k in range(0, len(blob), chunk)] +
                [I.RopSynchronizationUploadStateStreamEnd(in_index=i[obj])]), [obj])
            for x in rr:
                if x.get('ReturnValue', 0) != 0:
                    raise StepError('state upload 0x%08X: %s returned %s' % (tag, x['name'], rvs(x['ReturnValue'])))
            res.append(len(blob))
        return res

    # -- GetBuffer loop (MS-OXCFXICS 3.3.5.7.1: 0xBABE, until Done or Error)
    def download(self, obj):
        data = bytearray()
        cuts = []
        statuses = []
        calls = 0
        h = self.m.h[obj]
        progress = []
        t0 = time.time()
        while True:
            rop = I.RopFastTransferSourceGetBuffer(0xBABE, 0x7FF0, in_index=0)
            res = self.s.rpc_raw(R.build_rop_buffer([rop], [h]), pcb_out=0x40000)
            calls += 1
            done = False
            for ext in res['exts']:
                part = R.split_response_payload(ext['payload'], [rop])
                for x in part['responses']:
                    if x['RopId'] == 0xFF:
                        raise StepError('RopBufferTooSmall on GetBuffer 0xBABE (SizeNeeded %d)' % x['SizeNeeded'])
                    if x['ReturnValue'] != 0:
                        raise StepError('RopFastTransferSourceGetBuffer returned %s after %d bytes'
                                        % (rvs(x['ReturnValue']), len(data)))
                    if data:
                        cuts.append(len(data))
                    data += x['TransferBuffer']
                    statuses.append(x['TransferStatus'])
                    progress.append((x['InProgressCount'], x['TotalStepCount']))
                    if x['TransferStatus'] in (I.TS_DONE, I.TS_ERROR):
                        done = True
                        if x['TransferStatus'] == I.TS_ERROR:
                            raise StepError('TransferStatus Error after %d bytes' % len(data))
            if done:
                break
            if calls > 100000:
                raise StepError('GetBuffer does not end')
        ms = (time.time() - t0) * 1000
        stats = {'calls': calls, 'buffers': len(statuses), 'bytes': len(data), 'ms': int(ms),
                 'statuses': sorted(set(statuses)), 'lastProgress': progress[-1] if progress else None,
                 'maxBuffer': max([b - a for a, b in zip([0] + cuts, cuts + [len(data)])] or [0])}
        return bytes(data), cuts, stats

    def sync(self, fid, kind, state, flags=None, extra=None, send_options=I.SO_UNICODE):
        """RopOpenFolder, RopSynchronizationConfigure, state upload, GetBuffer loop. Returns (tree, stats)."""
        self.open_folder(fid, 'sf')
        try:
            if kind == 'contents':
                cfg = lambda i: I.RopSynchronizationConfigure(I.SYNC_CONTENTS, send_options,
                                                              CONTENTS_FLAGS if flags is None else flags, None,
                                                              CONTENTS_EXTRA if extra is None else extra, (),
                                                              in_index=i['sf'], out_index=i['sync'])
            else:
                cfg = lambda i: I.RopSynchronizationConfigure(I.SYNC_HIERARCHY, send_options,
                                                              HIER_FLAGS if flags is None else flags, None,
                                                              HIER_EXTRA if extra is None else extra, (),
                                                              in_index=i['sf'], out_index=i['sync'])
            self.one(cfg, ['sf'], ['sync'], what='RopSynchronizationConfigure %s' % kind)
            self.upload_state('sync', state)
            data, cuts, stats = self.download('sync')
            tree = I.parse_stream(data, cuts)
            stats['splitViolations'] = tree.meta['split_violations'][:5]
            stats['splitViolationCount'] = len(tree.meta['split_violations'])
            stats['splitValues'] = tree.meta['split_values']
            stats['grammar'] = tree.meta['grammar'][:5]
            return tree, stats
        finally:
            self.release('sync', 'sf')

    def disconnect(self):
        for n in list(self.m.h):
            if n != 'logon':
                self.release(n)
        self.release('logon')
        return self.s.disconnect()


# ------------------------------------------------------------------ local replica model

def load_state(path):
    if not os.path.exists(path):
        return {'hierarchy': {}, 'contents': {}, 'folders': {}, 'messages': {}, 'counter': 1}
    with open(path) as f:
        d = json.load(f)
    dec = lambda st: {int(k, 16): bytes.fromhex(v) for k, v in st.items()}
    d['hierarchy'] = dec(d['hierarchy'])
    d['contents'] = {k: dec(v) for k, v in d['contents'].items()}
    return d


def save_state(path, st):
    enc = lambda s: {'0x%08X' % k: v.hex() for k, v in s.items()}
    d = dict(st)
    d['hierarchy'] = enc(st['hierarchy'])
    d['contents'] = {k: enc(v) for k, v in st['contents'].items()}
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(d, f)
    os.replace(tmp, path)


PidTagMessageStatus = 0x0E170003
MS_IN_CONFLICT = 0x00000800    # MS-OXCMSG 2.2.1.8


def message_of(change, repl_guid):
    """A message change node -> dict with mid, source key, change key, pcl, read, props json, children."""
    h = {p.tag: p.value for p in change.header}
    sk = h.get(I.PidTagSourceKey)
    mid = h.get(I.PidTagMid)
    if mid is None and sk:
        mid = I.make_eid(1, I.gc_from_source_key(sk))
    body = props_json(change, header=True)
    body.update(props_json(change))
    flags = change.get('0x%08X' % I.PidTagMessageFlags)
    return {'mid': P.fid_str(mid) if mid is not None else None, 'sk': hexd(sk or b''),
            'ck': hexd(h.get(I.PidTagChangeKey, b'')), 'pcl': hexd(h.get(I.PidTagPredecessorChangeList, b'')),
            'lm': h.get(I.PidTagLastModificationTime), 'delProps': list(change.meta.get('delProps', [])),
            'status': change.get('0x%08X' % PidTagMessageStatus),
            'cn': h.get(I.PidTagChangeNumber), 'associated': h.get(I.PidTagAssociated),
            'read': bool(flags & 1) if isinstance(flags, int) else None, 'props': body,
            'recipients': [props_json(r) for r in change.kids('recipient')],
            'attachments': [attachment_json(a) for a in change.kids('attachment')]}


def attachment_json(a):
    d = {'props': props_json(a)}
    emb = a.kids('embedded')
    if emb:
        e = emb[0]
        d['embedded'] = {'props': props_json(e), 'recipients': [props_json(r) for r in e.kids('recipient')],
                         'attachments': [attachment_json(x) for x in e.kids('attachment')]}
    return d


def compare_props(exp, got, where, out):
    for k, v in exp.items():
        if k not in got:
            out['missing'][k] = out['missing'].get(k, 0) + 1
            if len(out['missingExamples']) < 20:
                out['missingExamples'].append('%s %s' % (where, k))
        elif got[k] != v:
            out['mismatched'].append({'where': where, 'key': k, 'expected': str(v)[:200], 'got': str(got[k])[:200]})
    for k in got:
        if k not in exp:
            out['extra'][k] = out['extra'].get(k, 0) + 1


def compare_message(exp, got, where, out, top=True):
    """exp: {props, recipients: [props], attachments: [{props, embedded?}]} from the vitest."""
    compare_props(exp['props'], got['props'], where, out)
    if len(exp.get('recipients', [])) != len(got['recipients']):
        out['mismatched'].append({'where': where, 'key': 'recipients', 'expected': len(exp['recipients']),
                                  'got': len(got['recipients'])})
    for i, (e, g) in enumerate(zip(exp.get('recipients', []), got['recipients'])):
        compare_props(e, g, '%s/recip%d' % (where, i), out)
    if len(exp.get('attachments', [])) != len(got['attachments']):
        out['mismatched'].append({'where': where, 'key': 'attachments', 'expected': len(exp['attachments']),
                                  'got': len(got['attachments'])})
    for i, (e, g) in enumerate(zip(exp.get('attachments', []), got['attachments'])):
        compare_props(e['props'], g['props'], '%s/att%d' % (where, i), out)
        if 'embedded' in e:
            if 'embedded' not in g:
                out['mismatched'].append({'where': '%s/att%d' % (where, i), 'key': 'embedded', 'expected': True,
                                          'got': False})
            else:
                compare_message(e['embedded'], g['embedded'], '%s/att%d/embedded' % (where, i), out, False)
                out['embeddedCompared'] = out.get('embeddedCompared', 0) + 1
    if top:
        out['compared'] += 1


def new_compare():
    return {'compared': 0, 'mismatched': [], 'missing': {}, 'missingExamples': [], 'extra': {}}


def idset_mids(node_props, tag):
    for p in node_props:
        if p.tag == tag:
            form, sets = I.decode_any_idset(p.value)
            mids = []
            for k, rs in sets.items():
                rid = k if form == 'replid' else 1
                mids.extend(P.fid_str(I.make_eid(rid, v)) for v in I.values_of(rs))
            return form, mids
    return None, []


def resolve_versions(group):
    """Several messageChanges of one source key in one stream: the versions of a message in conflict (MS-OXCFXICS
    3.1.5.6.2.1: the conflict resolve message is not synchronized, each version is, and the receiver detects the
    conflict and builds its own resolve message). Their PCLs must conflict pairwise (otherwise one version supersedes
    another and the server sent a stale one); the local message is the last writer's version (3.1.5.6.2.2) with the
    merged PCL (a resolve message succeeds every version)."""
    pcls = [bytes.fromhex(m['pcl']) for m in group]
    if not I.pcls_in_conflict(pcls):
        raise StepError('%d changes of source key %s whose PCLs do not conflict (a superseded version was sent)'
                        % (len(group), group[0]['sk']))
    if len(set(m['ck'] for m in group)) != len(group):
        raise StepError('two versions of source key %s with the same change key' % group[0]['sk'])
    vs = [{'lm': m['lm'], 'ck': bytes.fromhex(m['ck']), 'm': m} for m in group]
    win = dict(I.conflict_winner(vs)['m'])
    win['pcl'] = hexd(I.pcl_merge(*pcls))
    win['conflict'] = {'versions': len(group), 'changeKeys': [m['ck'] for m in group], 'winner': win['ck']}
    return win


def summarize_contents(tree, repl_guid):
    out = {'changes': [], 'deleted': [], 'softDeleted': [], 'noLongerInScope': [], 'expired': [], 'read': [],
           'unread': [], 'forms': {}, 'other': [], 'conflicts': {}, 'inConflictWhole': []}
    msgs = []
    by_sk = {}
    for c in tree.children:
        if c.kind == 'change':
            m = message_of(c, repl_guid)
            if m['sk'] and m['sk'] in by_sk:
                by_sk[m['sk']].append(m)
                continue
            by_sk[m['sk']] = [m]
            msgs.append(m)
            out['changes'].append(m['mid'])
        elif c.kind == 'partial':
            out['other'].append('partial change')
        elif c.kind == 'deletions':
            for p in c.props:
                form, mids = idset_mids([p], p.tag)
                name = {I.MetaTagIdsetDeleted: 'deleted', I.MetaTagIdsetNoLongerInScope: 'noLongerInScope',
                        I.MetaTagIdsetExpired: 'expired'}.get(p.tag, 'softDeleted')
                out[name].extend(mids)
                out['forms']['0x%08X' % p.tag] = form
        elif c.kind == 'read':
            for p in c.props:
                form, mids = idset_mids([p], p.tag)
                out['read' if p.tag == I.MetaTagIdsetRead else 'unread'].extend(mids)
                out['forms']['0x%08X' % p.tag] = form
        elif c.kind == 'progress':
            for p in c.props:
                if isinstance(p.value, bytes) and len(p.value) == 32:
                    out['progress'] = I.decode_progress(p.value)
        elif c.kind == 'progressPerMsg':
            out['perMsg'] = out.get('perMsg', 0) + 1
    for k, m in enumerate(msgs):
        group = by_sk.get(m['sk'], [m])
        if len(group) > 1:
            msgs[k] = resolve_versions(group)
            out['conflicts'][m['mid']] = msgs[k]['conflict']
        elif isinstance(m.get('status'), int) and m['status'] & MS_IN_CONFLICT:
            # 3.1.5.6.2.1: a conflict resolve message MUST NOT be synchronized as a Message object (its versions are)
            out['inConflictWhole'].append(m['mid'])
    return out, msgs


def check_collector_state(st, kind):
    """The state RopSynchronizationGetTransferState returns on an upload context: MetaTagCnsetSeen (contents also
    MetaTagCnsetSeenFAI, MetaTagCnsetRead) and no MetaTagIdsetGiven under either tag (MS-OXCFXICS 3.2.5.2.1: the
    server does not download it back to the client; 3.3.5.13)."""
    tags = set(st)
    if I.MetaTagIdsetGiven in tags or I.MetaTagIdsetGiven_B in tags:
        raise StepError('the upload context returned MetaTagIdsetGiven in its state (MS-OXCFXICS 3.2.5.2.1)')
    want = {I.MetaTagCnsetSeen} | ({I.MetaTagCnsetSeenFAI, I.MetaTagCnsetRead} if kind == 'contents' else set())
    if not want <= tags or tags - want:
        raise StepError('upload context state of %s: %s' % (kind, ['0x%08X' % t for t in sorted(tags)]))


# ------------------------------------------------------------------ the run

class Run(StepRun):
    TRACE_LINES = 10

    def __init__(self, a):
        StepRun.__init__(self, a)
        self.c = Client(a)
        self.st = load_state(a.state)
        self.exp = {}
        self.cp = {}
        if a.expected:
            with open(a.expected) as f:
                self.exp = json.load(f)

    def data(self, name):
        return self.out.setdefault(name, {})

    def s_connect(self):
        self.data('connect').update(self.c.connect())
        self.out['phase'] = self.a.phase

    def folder_fid(self, name):
        f = self.st['folders'].get(name)
        if not f:
            # not learnt from a hierarchy sync (that step failed): the vitest's FIDs, so the contents steps still run
            e = self.exp.get('folderIds', {}).get(name)
            if not e:
                raise StepError('folder %s unknown to the local replica' % name)
            rid, gc = e.split('-')
            fid = I.make_eid(int(rid, 16), int(gc, 16))
            f = self.st['folders'][name] = {'fid': '%016X' % fid, 'sk': hexd(I.source_key(self.c.replguid, int(gc, 16))),
                                            'fromVitest': True}
            self.out.setdefault('folderIdsNotFromHierarchy', []).append(name)
        return int(f['fid'], 16)

    # ---- hierarchy download
    def hier_download(self, d):
        tree, stats = self.c.sync(self.c.fids['IpmSubtree'], 'hierarchy', self.st['hierarchy'])
        changes = []
        for ch in tree.children:
            if ch.kind != 'change':
                continue
            v = {p.tag: p.value for p in ch.props + ch.header}
            skb = v.get(I.PidTagSourceKey, b'')
            fidv = v.get(I.PidTagFolderId)
            if fidv is None and len(skb) == 22:
                fidv = I.make_eid(1, I.gc_from_source_key(skb))
            f = {'name': v.get(I.PidTagDisplayName), 'sk': hexd(skb),
                 'parentSk': hexd(v.get(I.PidTagParentSourceKey, b'')),
                 'pcl': hexd(v.get(I.PidTagPredecessorChangeList, b'')),
                 'fid': '%016X' % fidv if fidv is not None else None,
                 'cn': v.get(I.PidTagChangeNumber)}
            changes.append(f)
        deleted = []
        for c in tree.kids('deletions'):
            for p in c.props:
                form, ids = idset_mids([p], p.tag)
                deleted.extend(ids)
        # apply to the local tree (by source key)
        local = self.st.setdefault('tree', {})
        for f in changes:
            local[f['sk']] = {'name': f['name'], 'parentSk': f['parentSk'], 'fid': f['fid'], 'pcl': f['pcl']}
        for fid_s in deleted:
            for sk, f in list(local.items()):
                if f['fid'] and P.fid_str(int(f['fid'], 16)) == fid_s:
                    del local[sk]
        for sk, f in local.items():
            if f['name']:
                self.st['folders'][f['name']] = {'fid': f['fid'], 'sk': sk}
        st = I.state_of(tree)
        if not st:
            raise StepError('hierarchy sync returned no state')
        self.st['hierarchy'] = st
        d.update({'stats': stats, 'changes': [{k: v for k, v in f.items() if k not in ('cn', 'pcl')} for f in changes],
                  'deleted': deleted, 'stateTags': ['0x%08X' % t for t in st],
                  'state': {k: P.jsonable(v) for k, v in I.state_summary(st).items()}})
        return changes, deleted

    def local_tree_paths(self):
        local = self.st.get('tree', {})
        paths = []
        for sk, f in local.items():
            parts = [f['name']]
            p = f['parentSk']
            seen = 0
            while p and p in local and seen < 50:
                parts.append(local[p]['name'])
                p = local[p]['parentSk']
                seen += 1
            paths.append('/'.join(reversed(parts)))
        return sorted(paths)

    def s_hierarchy_first(self):
        d = self.data('hierarchy')
        self.hier_download(d)
        d['paths'] = self.local_tree_paths()
        missing = [n for n in self.exp.get('folders', []) if n not in self.st['folders']]
        if missing:
            raise StepError('hierarchy sync did not return folders %s' % missing)

    # ---- contents
    def contents_sync(self, name, d, compare=None):
        fid = self.folder_fid(name)
        state = {k: v for k, v in self.st['contents'].get(name, {}).items()}
        tree, stats = self.c.sync(fid, 'contents', state)
        summ, msgs = summarize_contents(tree, self.c.replguid)
        st = I.state_of(tree)
        if not st:
            raise StepError('contents sync of %s returned no state' % name)
        self.st['contents'][name] = st
        local = self.st['messages']
        for m in msgs:
            local[m['mid']] = {'folder': name, 'sk': m['sk'], 'ck': m['ck'], 'pcl': m['pcl'], 'read': m['read']}
            if m.get('conflict'):
                local[m['mid']]['conflict'] = m['conflict']
        for mid in summ['deleted'] + summ['softDeleted'] + summ['noLongerInScope']:
            local.pop(mid, None)
        for mid in summ['read']:
            if mid in local:
                local[mid]['read'] = True
        for mid in summ['unread']:
            if mid in local:
                local[mid]['read'] = False
        # MS-OXCFXICS 2.2.4.3 messageChildren: MetaTagFXDelProp before the recipients and before the attachments
        both = [I.PidTagMessageRecipients, I.PidTagMessageAttachments]
        d[name] = {'stats': stats, 'summary': {k: (v if k not in ('changes',) else sorted(v)) for k, v in summ.items()},
                   'messages': len(msgs), 'state': {k: P.jsonable(v) for k, v in I.state_summary(st).items()},
                   'delProps': {'both': sum(1 for m in msgs if m['delProps'] == both),
                                'other': [[m['mid'], m['delProps']] for m in msgs if m['delProps'] != both][:10]}}
        if compare is not None:
            exp_msgs = self.exp.get('messages', {})
            for m in msgs:
                e = exp_msgs.get(m['mid'])
                if e is None:
                    compare.setdefault('unexpected', []).append(m['mid'])
                    continue
                compare_message(e, m, m['mid'], compare)
        return summ, msgs

    def s_contents_first(self):
        d = self.data('contents')
        cmp = new_compare()
        total = 0
        t0 = time.time()
        for name in self.exp.get('folders', []):
            summ, msgs = self.contents_sync(name, d, cmp)
            total += len(msgs)
        el = time.time() - t0
        d['_total'] = {'messages': total, 'seconds': round(el, 3), 'perSecond': round(total / el, 1) if el else None}
        exp_mids = set(self.exp.get('messages', {}))
        got = set(mid for mid, m in self.st['messages'].items())
        cmp['notReceived'] = sorted(exp_mids - got)[:20]
        cmp['notReceivedCount'] = len(exp_mids - got)
        cmp['mismatchedCount'] = len(cmp['mismatched'])
        cmp['mismatched'] = cmp['mismatched'][:30]
        self.out['compare'] = cmp

    def s_fx_copy(self):
        """RopFastTransferSourceCopyMessages of --expected's `copy` MIDs from folder 0 (messageList, 2.2.4.3.?),
        GetBuffer loop, each message compared with --expected (matched by subject: the stream has no MIDs)."""
        c = self.c
        d = self.data('fxCopy')
        want = self.exp.get('copy', [])
        if not want:
            return
        mids = []
        for e in want:
            rid, gc = e.split('-')
            mids.append(I.make_eid(int(rid, 16), int(gc, 16)))
        c.open_folder(self.folder_fid(self.exp['folders'][0]), 'cf')
        try:
            c.one(lambda i: I.RopFastTransferSourceCopyMessages(mids, 0, I.SO_UNICODE, in_index=i['cf'],
                                                                out_index=i['fx']), ['cf'], ['fx'],
                  what='RopFastTransferSourceCopyMessages')
            data, cuts, stats = c.download('fx')
        finally:
            c.release('fx', 'cf')
        tree = I.parse_stream(data, cuts)
        by_subject = {}
        for mid in want:
            e = self.exp['messages'][mid]
            by_subject[e['props'].get('0x0037001F')] = (mid, e)
        cmp = new_compare()
        msgs = tree.kids('message')
        for n in msgs:
            got = {'props': props_json(n), 'recipients': [props_json(r) for r in n.kids('recipient')],
                   'attachments': [attachment_json(a) for a in n.kids('attachment')]}
            hit = by_subject.get(got['props'].get('0x0037001F'))
            if not hit:
                cmp.setdefault('unexpected', []).append(str(got['props'].get('0x0037001F'))[:40])
                continue
            compare_message(hit[1], got, hit[0], cmp)
        cmp['mismatchedCount'] = len(cmp['mismatched'])
        cmp['mismatched'] = cmp['mismatched'][:20]
        d.update({'stats': stats, 'messages': len(msgs), 'fai': len(tree.kids('fai')), 'compare': cmp,
                  'splitViolationCount': len(tree.meta['split_violations'])})

    def s_contents_incremental(self):
        d = self.data('incremental')
        cmp = new_compare()
        agg = {'changes': [], 'deleted': [], 'softDeleted': [], 'read': [], 'unread': [], 'noLongerInScope': []}
        for name in self.exp.get('folders', []):
            summ, msgs = self.contents_sync(name, d, cmp)
            for k in agg:
                agg[k].extend(summ[k])
        d['_all'] = {k: sorted(v) for k, v in agg.items()}
        cmp['mismatchedCount'] = len(cmp['mismatched'])
        cmp['mismatched'] = cmp['mismatched'][:30]
        self.out['compare'] = cmp

    # ---- upload
    def new_ck(self):
        self.st['counter'] = self.st.get('counter', 1) + 1
        return I.xid(CLIENT_GUID, self.st['counter'])

    def s_upload(self):
        c = self.c
        d = self.data('upload')
        names = self.exp['folders']
        fa, fb = names[0], names[1]
        u = self.exp.get('upload', {})
        r = c.one(lambda i: I.RopGetLocalReplicaIds(16, in_index=i['logon']), ['logon'], what='RopGetLocalReplicaIds')
        d['localReplicaIds'] = {'ReplGuid': r['ReplGuid'], 'GlobalCount': r['GlobalCount']}
        next_gc = [r['GlobalCount']]

        def new_sk():
            v = next_gc[0]
            next_gc[0] += 1
            return I.source_key(r['ReplGuid'], v)

        now = int((time.time() + 11644473600) * 10000000)
        c.open_folder(self.folder_fid(fa), 'fa')
        c.one(lambda i: I.RopSynchronizationOpenCollector(True, in_index=i['fa'], out_index=i['col']), ['fa'], ['col'],
              what='RopSynchronizationOpenCollector')
        c.upload_state('col', self.st['contents'].get(fa, {}), collector=True)
        # 1. a new message
        sk = new_sk()
        ck = self.new_ck()
        hdr = [(I.PidTagSourceKey, sk), (I.PidTagLastModificationTime, now), (I.PidTagChangeKey, ck),
               (I.PidTagPredecessorChangeList, I.encode_pcl([ck]))]
        resp = c.m.run(lambda i: [I.RopSynchronizationImportMessageChange(hdr, 0, in_index=i['col'], out_index=i['im'])],
                       ['col'], ['im'])
        c.ok(resp[0], 'ImportMessageChange (new)')
        names_r = c.one(lambda i: R.RopGetPropertyIdsFromNames([{'guid': PS_PUBLIC_STRINGS, 'name': 'Keywords'}],
                                                              in_index=i['im']), ['im'], what='GetPropertyIdsFromNames')
        kw = (names_r['PropertyIds'][0] << 16) | 0x101F
        subject = 'Uploaded from the cached-mode client'
        c.one(lambda i: R.RopSetProperties([(0x0037001F, subject), (0x1000001F, 'Body written offline.'),
                                            (0x001A001F, 'IPM.Note'), (kw, ['Offline', 'Green']),
                                            (0x0E070003, 1)], in_index=i['im']), ['im'], what='SetProperties (new)')
        sv = c.one(lambda i: R.RopSaveChangesMessage(0x0C, in_index=i['im'], response_index=i['im']), ['im'],
                   what='SaveChangesMessage (new)')
        c.release('im')
        d['newMessage'] = {'sk': hexd(sk), 'subject': subject, 'MessageId': P.fid_str(sv['MessageId']),
                           'ImportMessageId': P.fid_str(resp[0]['MessageId']),
                           'idFromSourceKey': P.fid_str(I.make_eid(1, I.gc_from_source_key(sk)))}
        self.checkpoint(fa, add=[I.gc_from_source_key(sk)])
        mine = {'sk': [hexd(sk)]}
        # 2. read-state change
        rmid = u.get('read')
        if rmid:
            rsk = bytes.fromhex(self.st['messages'][rmid]['sk'])
            c.one(lambda i: I.RopSynchronizationImportReadStateChanges([(rsk, True)], in_index=i['col']), ['col'],
                  what='ImportReadStateChanges')
            d['read'] = rmid
        # 3. delete
        dmid = u.get('delete')
        if dmid:
            dsk = bytes.fromhex(self.st['messages'][dmid]['sk'])
            c.one(lambda i: I.RopSynchronizationImportDeletes([dsk], 0, in_index=i['col']), ['col'],
                  what='ImportDeletes')
            d['delete'] = dmid
            self.checkpoint(fa, remove=[I.gc_from_source_key(dsk)])
            self.st['messages'].pop(dmid, None)
        # 4. conflicting edit (the server changed it after our state): default resolution
        for key, flag in (('conflict', 0), ('conflictFail', I.IMPORT_FAILONCONFLICT)):
            cmid = u.get(key)
            if not cmid:
                continue
            lm = self.st['messages'][cmid]
            ck2 = self.new_ck()
            pcl = I.pcl_merge(bytes.fromhex(lm['pcl']), I.encode_pcl([ck2]))
            hdr = [(I.PidTagSourceKey, bytes.fromhex(lm['sk'])), (I.PidTagLastModificationTime, now),
                   (I.PidTagChangeKey, ck2), (I.PidTagPredecessorChangeList, pcl)]
            resp = c.m.run(lambda i, hdr=hdr, flag=flag: [I.RopSynchronizationImportMessageChange(
                hdr, flag, in_index=i['col'], out_index=i['cm'])], ['col'], ['cm'])
            rv = resp[0]['ReturnValue']
            e = {'mid': cmid, 'ImportMessageChange': rvs(rv)}
            if rv == 0:
                sr = c.m.one(lambda i: R.RopSetProperties([(0x0037001F, 'Client edit of ' + cmid)], in_index=i['cm']),
                             ['cm'])
                e['SetProperties'] = rvs(sr['ReturnValue'])
                sv = c.m.one(lambda i: R.RopSaveChangesMessage(0x0C, in_index=i['cm'], response_index=i['cm']), ['cm'])
                e['SaveChangesMessage'] = rvs(sv['ReturnValue'])
                c.release('cm')
            d[key] = e
        # 5. the collector's state
        d['collectorStateA'] = self.collector_state('col', fa)
        c.release('col', 'fa')
        # 6. move a message from folder 0 to folder 1 (the destination's collector)
        mmid = u.get('move')
        if mmid:
            lm = self.st['messages'][mmid]
            c.open_folder(self.folder_fid(fb), 'fb')
            c.one(lambda i: I.RopSynchronizationOpenCollector(True, in_index=i['fb'], out_index=i['colb']), ['fb'],
                  ['colb'], what='RopSynchronizationOpenCollector (dest)')
            c.upload_state('colb', self.st['contents'].get(fb, {}), collector=True)
            dsk = new_sk()
            ck3 = self.new_ck()
            src_fsk = bytes.fromhex(self.st['folders'][fa]['sk'])
            mv = c.one(lambda i: I.RopSynchronizationImportMessageMove(src_fsk, bytes.fromhex(lm['sk']),
                                                                       bytes.fromhex(lm['pcl']), dsk, ck3,
                                                                       in_index=i['colb']), ['colb'],
                       what='ImportMessageMove')
            d['move'] = {'mid': mmid, 'destSk': hexd(dsk), 'MessageId': P.fid_str(mv['MessageId']),
                         'idFromSourceKey': P.fid_str(I.make_eid(1, I.gc_from_source_key(dsk)))}
            mine['sk'].append(hexd(dsk))
            self.checkpoint(fb, add=[I.gc_from_source_key(dsk)])
            d['collectorStateB'] = self.collector_state('colb', fb)
            c.release('colb', 'fb')
            # the source folder's replica no longer holds the moved message: the client drops it from that folder's
            # MetaTagIdsetGiven itself (the source folder's collector did not see the move)
            self.checkpoint(fa, remove=[I.gc_from_source_key(bytes.fromhex(lm['sk']))])
            sa = self.st['contents'].get(fa, {})
            sa[I.MetaTagIdsetGiven] = self.merged_given(fa, sa.get(I.MetaTagIdsetGiven, b''))
            self.st['messages'].pop(mmid, None)
        self.mine = mine

    def checkpoint(self, name, add=(), remove=()):
        """MS-OXCFXICS 3.3.5.6 checkpointing: the IDs (GLOBCNTs) of objects created in / moved into the local
        replica join the folder's MetaTagIdsetGiven, deleted and moved-away ones leave it."""
        cp = self.cp.setdefault(name, {'add': set(), 'remove': set()})
        cp['add'].update(add)
        cp['remove'].update(remove)

    def merged_given(self, name, old):
        sets = I.decode_idset_replguid(old) if old else {}
        g = str(uuid.UUID(self.c.replguid))
        vals = set(I.values_of(sets.get(g, [])))
        cp = self.cp.get(name, {'add': set(), 'remove': set()})
        vals = (vals | cp['add']) - cp['remove']
        sets[g] = I.ranges_of(sorted(vals))
        return I.encode_idset_replguid(sets)

    def s_fx_upload(self):
        """FastTransfer destination (MS-OXCFXICS 2.2.3.1.2): RopFastTransferDestinationConfigure (CopyMessages) on
        folder 2, RopTellVersion, then a messageList with one message (recipient, attachment) in two
        RopFastTransferDestinationPutBuffer calls, cut inside the body's value; and RopSetLocalReplicaMidsetDeleted
        for IDs reserved and never used."""
        c = self.c
        d = self.data('fxUpload')
        name = self.exp['folders'][2]
        subject = 'Uploaded through FastTransfer'
        body = 'FastTransfer body ' * 400
        W = I.fx_prop
        stream = I.fx_marker('StartMessage') + W(0x0037001F, subject) + W(0x1000001F, body) + \
            W(0x001A001F, 'IPM.Note') + W(0x00170003, 2) + \
            I.fx_marker('StartRecip') + W(0x0C150003, 1) + W(0x3001001F, 'FX Recipient') + \
            W(0x3003001F, 'fx@example.org') + W(0x3002001F, 'SMTP') + I.fx_marker('EndToRecip') + \
            I.fx_marker('NewAttach') + W(0x0E210003, 0) + W(0x37050003, 1) + W(0x3707001F, 'fx.bin') + W(0x37010102, bytes(range(256)) * 8) + \
            I.fx_marker('EndAttach') + I.fx_marker('EndMessage')
        cut = stream.index(body[:20].encode('utf-16-le')) + 1000
        c.open_folder(self.folder_fid(name), 'uf')
        try:
            c.one(lambda i: I.RopFastTransferDestinationConfigure(I.FXOP_COPYMESSAGES, 0, in_index=i['uf'],
                                                                  out_index=i['ud']), ['uf'], ['ud'],
                  what='RopFastTransferDestinationConfigure')
            tv = c.m.one(lambda i: I.RopTellVersion((0x000F, 0x0000, 0x0000), in_index=i['ud']), ['ud'])
            d['TellVersion'] = rvs(tv['ReturnValue']) if tv else 'no response'
            used = []
            for part in (stream[:cut], stream[cut:]):
                r = c.one(lambda i, part=part: I.RopFastTransferDestinationPutBuffer(part, in_index=i['ud']), ['ud'],
                          what='RopFastTransferDestinationPutBuffer')
                used.append(r['BufferUsedSize'])
            d.update({'subject': subject, 'bytes': len(stream), 'cut': cut, 'BufferUsedSize': used})
        finally:
            c.release('ud', 'uf')
        # IDs reserved with RopGetLocalReplicaIds and never used, reported on folder 0
        r = c.one(lambda i: I.RopGetLocalReplicaIds(8, in_index=i['logon']), ['logon'], what='RopGetLocalReplicaIds')
        g = uuid.UUID(r['ReplGuid']).bytes_le
        lo = g + r['GlobalCount'].to_bytes(6, 'big') + b'\0\0'
        hi = g + (r['GlobalCount'] + 7).to_bytes(6, 'big') + b'\0\0'
        c.open_folder(self.folder_fid(self.exp['folders'][0]), 'mf')
        try:
            x = c.m.one(lambda i: I.RopSetLocalReplicaMidsetDeleted([(lo, hi)], in_index=i['mf']), ['mf'])
            d['SetLocalReplicaMidsetDeleted'] = rvs(x['ReturnValue'])
        finally:
            c.release('mf')

    def collector_state(self, col, name):
        c = self.c
        c.one(lambda i: I.RopSynchronizationGetTransferState(in_index=i[col], out_index=i['ts']), [col], ['ts'],
              what='RopSynchronizationGetTransferState')
        data, cuts, stats = c.download('ts')
        c.release('ts')
        tree = I.parse_stream(data, cuts, state_only=True)
        st = I.state_of(tree)
        if not st:
            raise StepError('GetTransferState stream has no state (%d bytes)' % len(data))
        tags = ['0x%08X' % t for t in st]
        # MS-OXCFXICS 3.2.5.2.1 / 3.3.5.13: the final state of an upload context has no MetaTagIdsetGiven (the server
        # does not download it back); the client merges its own back
        check_collector_state(st, 'contents')
        old = self.st['contents'].get(name, {}).get(I.MetaTagIdsetGiven, b'')
        st[I.MetaTagIdsetGiven] = self.merged_given(name, old)
        self.st['contents'][name] = st
        return {'bytes': len(data), 'tags': tags,
                'state': {k: P.jsonable(v) for k, v in I.state_summary(st).items()}}

    def s_after_upload(self):
        d = self.data('afterUpload')
        names = self.exp['folders']
        mine = getattr(self, 'mine', {'sk': []})
        agg = {'changes': [], 'deleted': [], 'read': [], 'unread': [], 'softDeleted': []}
        echoed = []
        received = {}
        for name in names[:2]:
            summ, msgs = self.contents_sync(name, d)
            for k in agg:
                agg[k].extend(summ[k])
            d.setdefault('conflicts', {}).update(summ['conflicts'])
            d.setdefault('inConflictWhole', []).extend(summ['inConflictWhole'])
            for m in msgs:
                received[m['mid']] = {'sk': m['sk'], 'subject': P.jsonable(m['props'].get('0x0037001F')),
                                      'status': m['props'].get('0x0E170003'), 'delProps': m['delProps']}
                if m['sk'] in mine['sk']:
                    echoed.append(m['mid'])
        u = self.out.get('upload', {})
        for k in ('read', 'delete'):
            if u.get(k) and (u[k] in agg['read'] or u[k] in agg['deleted'] or u[k] in agg['softDeleted']):
                echoed.append('%s %s' % (k, u[k]))
        d['_all'] = {k: sorted(v) for k, v in agg.items()}
        d['received'] = received
        d['echoed'] = echoed

    # ---- hierarchy changes from the client
    def s_hierarchy_upload(self):
        c = self.c
        d = self.data('hierarchyUpload')
        h = self.exp.get('hierarchy', {})
        r = c.one(lambda i: I.RopGetLocalReplicaIds(4, in_index=i['logon']), ['logon'], what='RopGetLocalReplicaIds')
        gc = [r['GlobalCount']]
        now = int((time.time() + 11644473600) * 10000000)
        c.open_folder(c.fids['IpmSubtree'], 'ipm')
        c.one(lambda i: I.RopSynchronizationOpenCollector(False, in_index=i['ipm'], out_index=i['hcol']), ['ipm'],
              ['hcol'], what='RopSynchronizationOpenCollector (hierarchy)')
        c.upload_state('hcol', self.st['hierarchy'], collector=True)
        local = self.st.setdefault('tree', {})

        def sk_of(name):
            for sk, f in local.items():
                if f['name'] == name:
                    return sk
            raise StepError('no local folder %s' % name)

        def change(sk, parent_sk, name, pcl=b''):
            ck = self.new_ck()
            pcl2 = I.pcl_merge(pcl, I.encode_pcl([ck])) if pcl else I.encode_pcl([ck])
            hv = [(I.PidTagParentSourceKey, bytes.fromhex(parent_sk)), (I.PidTagSourceKey, bytes.fromhex(sk)),
                  (I.PidTagLastModificationTime, now), (I.PidTagChangeKey, ck), (I.PidTagPredecessorChangeList, pcl2),
                  (I.PidTagDisplayName, name)]
            rr = c.one(lambda i: I.RopSynchronizationImportHierarchyChange(hv, [], in_index=i['hcol']), ['hcol'],
                       what='ImportHierarchyChange %s' % name)
            return P.fid_str(rr['FolderId'])

        res = {}
        if h.get('create'):
            sk = hexd(I.source_key(r['ReplGuid'], gc[0]))
            self.checkpoint('<hierarchy>', add=[gc[0]])
            gc[0] += 1
            res['create'] = change(sk, '', h['create'])
            res['createIdFromSourceKey'] = P.fid_str(I.make_eid(1, I.gc_from_source_key(bytes.fromhex(sk))))
            local[sk] = {'name': h['create'], 'parentSk': '', 'fid': '%016X' % I.make_eid(1, I.gc_from_source_key(
                bytes.fromhex(sk)))}
        if h.get('rename'):
            old, new = h['rename']
            sk = sk_of(old)
            res['rename'] = change(sk, local[sk]['parentSk'], new, bytes.fromhex(local[sk].get('pcl', '')))
            local[sk]['name'] = new
        if h.get('move'):
            what, under = h['move']
            sk = sk_of(what)
            psk = sk_of(under)
            res['move'] = change(sk, psk, what, bytes.fromhex(local[sk].get('pcl', '')))
            local[sk]['parentSk'] = psk
        if h.get('delete'):
            sk = sk_of(h['delete'])
            c.one(lambda i: I.RopSynchronizationImportDeletes([bytes.fromhex(sk)], I.DEL_HIERARCHY, in_index=i['hcol']),
                  ['hcol'], what='ImportDeletes (hierarchy)')
            res['delete'] = h['delete']
            self.checkpoint('<hierarchy>', remove=[I.gc_from_source_key(bytes.fromhex(sk))])
            del local[sk]
        c.one(lambda i: I.RopSynchronizationGetTransferState(in_index=i['hcol'], out_index=i['ts']), ['hcol'], ['ts'],
              what='RopSynchronizationGetTransferState (hierarchy)')
        data, cuts, stats = c.download('ts')
        c.release('ts', 'hcol', 'ipm')
        st = I.state_of(I.parse_stream(data, cuts, state_only=True))
        if not st:
            raise StepError('hierarchy collector state empty')
        d['collectorStateTags'] = ['0x%08X' % t for t in st]
        check_collector_state(st, 'hierarchy')
        st[I.MetaTagIdsetGiven] = self.merged_given('<hierarchy>', self.st['hierarchy'].get(I.MetaTagIdsetGiven, b''))
        self.st['hierarchy'] = st
        d.update(res)

    def s_hierarchy_download(self):
        d = self.data('hierarchyDownload')
        changes, deleted = self.hier_download(d)
        d['paths'] = self.local_tree_paths()
        # what the download said: the folders changed (by display name and FID) and deleted (FIDs)
        d['changed'] = [{'name': f['name'], 'fid': P.fid_str(int(f['fid'], 16)) if f['fid'] else None} for f in changes]
        d['deleted'] = list(deleted)

    # ---- bad input
    def s_bad(self):
        c = self.c
        d = self.data('bad')
        name = self.exp['folders'][0]
        fid = self.folder_fid(name)
        good = self.st['contents'].get(name, {}).get(I.MetaTagCnsetSeen, b'')
        g = uuid.UUID(c.replguid).bytes_le
        # MS-OXCFXICS 3.1.5.4.3.2: an IDSET that does not decode (unknown command, truncated, Range with low > high,
        # overlapping ranges) SHOULD be answered with ecRpcFormat (0x000004B6), at RopSynchronizationUploadState-
        # StreamEnd; a CNSET that decodes but names CNs the server never issued is refused otherwise (ecInvalidParam)
        rpc_format = '0x000004B6 ecRpcFormat'
        cases = {
            'corrupt state stream': (I.MetaTagCnsetSeen, b'\xff\x13' * 40, rpc_format),
            'truncated state stream': (I.MetaTagCnsetSeen, good[:max(1, len(good) // 2)] if len(good) > 2 else g[:9],
                                       rpc_format),
            'range reversed': (I.MetaTagCnsetSeen, g + bytes.fromhex('52' '000000000900' '000000000100' '00'), rpc_format),
            'ranges overlapping': (I.MetaTagIdsetGiven, g + bytes.fromhex('05000000000052010a5052' '000000000005'
                                                                           '000000000020' '00'), rpc_format),
            'CNSET with change numbers never issued': (I.MetaTagCnsetSeen,
                                                       g + bytes.fromhex('52' '000000000001' 'fffffffffff0' '00'),
                                                       '0x80070057 ecInvalidParam'),
        }
        for what, (tag, blob, want) in cases.items():
            r = d[what] = self.bad_state(fid, tag, blob)
            r['expected'] = {'refusedBy': 'End', 'ec': want}
            r['asSpecified'] = r.get('refusedBy') == 'End' and r.get('ec') == want
        d['fastTransfer markers out of order'] = self.bad_fx(fid)
        # the session still answers
        r = c.m.one(lambda i: R.RopGetPropertiesSpecific([0x3001001F], in_index=i['logon']), ['logon'])
        d['sessionAlive'] = r is not None and r['ReturnValue'] == 0

    def bad_state(self, fid, tag, blob):
        c = self.c
        c.open_folder(fid, 'bf')
        try:
            c.one(lambda i: I.RopSynchronizationConfigure(I.SYNC_CONTENTS, I.SO_UNICODE, CONTENTS_FLAGS, None,
                                                          CONTENTS_EXTRA, (), in_index=i['bf'], out_index=i['bs']),
                  ['bf'], ['bs'], what='RopSynchronizationConfigure')
            steps = [('Begin', lambda i: I.RopSynchronizationUploadStateStreamBegin(tag, len(blob), in_index=i['bs'])),
                     ('Continue', lambda i: I.RopSynchronizationUploadStateStreamContinue(blob, in_index=i['bs'])),
                     ('End', lambda i: I.RopSynchronizationUploadStateStreamEnd(in_index=i['bs'])),
                     ('GetBuffer', lambda i: I.RopFastTransferSourceGetBuffer(0xBABE, 0x7FF0, in_index=i['bs']))]
            for label, b in steps:
                r = c.m.one(b, ['bs'])
                if r is None:
                    return {'refusedBy': label, 'ec': 'no response'}
                if r['ReturnValue'] != 0:
                    return {'refusedBy': label, 'ec': rvs(r['ReturnValue']), 'property': '0x%08X' % tag,
                            'blob': blob.hex()[:80]}
                if label == 'GetBuffer' and r.get('TransferStatus') == I.TS_ERROR:
                    return {'refusedBy': label, 'ec': 'TransferStatus Error', 'property': '0x%08X' % tag}
            return {'refusedBy': None, 'ec': 'accepted', 'property': '0x%08X' % tag, 'blob': blob.hex()[:80]}
        finally:
            c.release('bs', 'bf')

    def bad_fx(self, fid):
        c = self.c
        c.open_folder(fid, 'bf')
        try:
            r = c.m.one(lambda i: I.RopFastTransferDestinationConfigure(I.FXOP_COPYMESSAGES, 0, in_index=i['bf'],
                                                                        out_index=i['fd']), ['bf'], ['fd'])
            if r['ReturnValue'] != 0:
                return {'refusedBy': 'DestinationConfigure', 'ec': rvs(r['ReturnValue'])}
            # messageList = *( StartMessage messageContent EndMessage ): EndMessage first, attachment closed twice
            stream = I.fx_marker('EndMessage') + I.fx_marker('StartMessage') + I.fx_prop(0x0037001F, 'bad order') + \
                I.fx_marker('EndAttach') + I.fx_marker('EndMessage')
            r = c.m.one(lambda i: I.RopFastTransferDestinationPutBuffer(stream, in_index=i['fd']), ['fd'])
            if r['ReturnValue'] != 0:
                return {'refusedBy': 'PutBuffer', 'ec': rvs(r['ReturnValue']), 'BufferUsedSize': r.get('BufferUsedSize')}
            return {'refusedBy': None, 'ec': 'accepted', 'TransferStatus': r.get('TransferStatus')}
        finally:
            c.release('fd', 'bf')

    # ---- quiet
    def s_quiet(self):
        d = self.data('quiet')
        agg = {'changes': [], 'deleted': [], 'softDeleted': [], 'read': [], 'unread': []}
        for name in self.exp.get('folders', []):
            summ, msgs = self.contents_sync(name, d)
            for k in agg:
                agg[k].extend(summ[k])
        dh = {}
        changes, deleted = self.hier_download(dh)
        d['_all'] = {k: sorted(v) for k, v in agg.items()}
        d['_hierarchy'] = {'changes': [f['name'] for f in changes], 'deleted': deleted}

    def s_disconnect(self):
        self.data('disconnect').update(self.c.disconnect())
        self.out['stats'] = {k: self.c.s.stats[k] for k in ('calls', 'bytes_out', 'compressed_out', 'xor_out',
                                                             'chained', 'violations')}

    def run(self):
        a = self.a
        self.step('connect', self.s_connect)
        if a.phase == 'first':
            self.step('hierarchy', self.s_hierarchy_first)
            self.step('contents', self.s_contents_first)
            self.step('fxCopy', self.s_fx_copy)
        elif a.phase == 'incremental':
            self.step('incremental', self.s_contents_incremental)
        elif a.phase == 'upload':
            self.step('upload', self.s_upload)
            self.step('afterUpload', self.s_after_upload)
            self.step('fxUpload', self.s_fx_upload)
        elif a.phase == 'hierarchy':
            self.step('hierarchyUpload', self.s_hierarchy_upload)
            self.step('hierarchyDownload', self.s_hierarchy_download)
        elif a.phase == 'bad':
            self.step('bad', self.s_bad)
        elif a.phase == 'quiet':
            self.step('quiet', self.s_quiet)
        if self.c.s and self.c.s.cxh is not None:
            self.step('disconnect', self.s_disconnect)
        save_state(a.state, self.st)
        self.out['localMessages'] = len(self.st['messages'])
        return self.out


def base_parser(doc):
    """The connection arguments every run of this client takes: --host, --epm-port, -u, -p, -d, --dn, --steps."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--epm-port', type=int, required=True)
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    ap.add_argument('--dn', required=True)
    ap.add_argument('--steps', default=None)
    return ap


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--state', required=True)
    ap.add_argument('--phase', required=True, choices=['first', 'incremental', 'upload', 'hierarchy', 'bad', 'quiet'])
    ap.add_argument('--expected')
    a = ap.parse_args()
    Run(a).run_and_exit()


if __name__ == '__main__':
    main()
