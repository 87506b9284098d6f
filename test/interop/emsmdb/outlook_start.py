#!/usr/bin/python3
"""An Outlook-like mailbox start over EMSMDB (MS-OXCRPC) with impacket's DCE/RPC at PKT_PRIVACY, printing one
JSON document of everything it read so a test can compare it with the store.

  outlook_start.py --host 127.0.0.1 --epm-port P [--port P] -u alice -p 'Passw0rd!' -d TEST --dn DN
                   [--folder NAME] [--category-tag 0x00170003] [--no-compress] [--no-xor] [--no-chain]
                   [--pcb-out 0x8000] [--rows all|N] [--async-wait SECONDS] [--keep] [--steps a,b,...]

Steps (all by default): epm connect logon store receive hierarchy folders messages contents named async
disconnect. The folder ops work only on folders this run creates (named OcTest-<random>) and delete them again
unless --keep. --folder names a folder under the IPM subtree that the caller pre-filled with messages.

Output (one JSON object on the last line; FIDs/MIDs as "RRRR-GGGGGGGGGGGG" = ReplicaId-GlobalCounter hex,
binary as {"hex": ...}, property errors as {"error": "0x8004010F"}):
  ok, steps [{name, ok, ms, error?}], errors [{step, trace}]
  epm {binding, port, asyncBinding}
  connect {ErrorCode, pcmsPollsMax, pcRetry, pcmsRetryDelay, picxr, szDNPrefix, szDisplayName, rgwServerVersion,
           serverVersion, rgwBestVersion, bestVersion, pulTimeStamp, cxh, rgbAuxOut, aux [{Type, name, ...}]}, dummy
  opnums {"0": {fault}, ..., dummyAfter}                                    (--probe-opnums)
  connectChecks {otherUsersDn, outlook2007, outlook2013, tooOld, cbAuxIn5, pcbAuxOutTooBig, auxInTooBig:
                 {ErrorCode | fault, bestVersion?}, sessionAlive}             (--connect-checks)
  logon {LogonFlags, FolderIds {Root, DeferredAction, ..., Shortcuts}, ResponseFlags, MailboxGuid, ReplId, ReplGuid,
         LogonTime, GwartTime, StoreState}
  store {store {PidTag...: value | folder entry id {hex, FolderType, DatabaseGuid, GlobalCounter, fid, folder}},
         root {...special entry ids...}, inbox {...}, storeState, longTermIds {Name: {LongTermId, back, roundTrip}},
         GetOwningServers, PublicFolderIsGhosted}
  receiveFolders {"": {ReturnValue, FolderId, ExplicitMessageClass}, IPM, IPC, Report.IPM, IPM.Note.Custom},
  receiveFolderTable [{FolderId, MessageClass, LastModificationTime}]
  hierarchy [{FolderId, ParentFolderId, DisplayName, Subfolders, ContentCount, ContentUnreadCount, ContainerClass,
              FolderType, EntryId, depth}]  (recursive walk from the root), ipmSubtreeDepthTable {RowCount, FolderIds}
  folders {createA, createAOpenExisting, createADuplicate, createB, rename, propertiesList, propertiesAll,
           deleteProperties, copyProperties, copyTo, move, copy, empty, hardDeleteMessagesAndSubfolders, deleteInbox,
           setReceiveFolder}
  contents {folder, FolderId, RowCount, queryRows {rows, calls, ms}, sortedByDeliveryTimeDesc, mids [...],
            first, status, queryPositionAtEnd, seekRow, bookmark, seekFractionalHalf, findRow, findRowSubject,
            restrictTime {time, rows, expected, mids}, restrictUnread, restrictCleared, queryColumnsAll, abort,
            afterReset, categories {tag, collapsedRows, headers, expand, rowsAfterExpand, collapseStateSize,
            collapse, rowsAfterCollapse, rowsAfterSetCollapseState}}                (--folder)
  messages {copy, move, delete, hardDelete, sourceCountBefore, sourceCountAfter, folders, deleted}   (--folder)
  named {names, ids, idsStable, unknownNoCreate, namesBack, roundTrip, queryAll, queryGuid, queryNoStrings,
         namedValueOnFolder, deleteP}
  delete {B, Bcopy, leftOver}
  bad {handleIndexOutOfRange, emptySlot, releasedHandle, wrongObjectType, truncatedRop, reservedRopId,
       ropSizeTooLarge, sessionAlive}
  async {EcDoAsyncConnectEx, acxh, EcDoAsyncWaitEx?}, disconnect {ErrorCode, cxh}, stats {calls, bytes_in, ...}
"""
import argparse
import json
import os
import random
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from start_common import *  # noqa: F401,F403
from start_common import P
from start_tables import TableSteps
from start_checks import CheckSteps


class Run(StepRun, TableSteps, CheckSteps):
    def __init__(self, a):
        StepRun.__init__(self, a)
        self.m = None
        self.s = None
        self.tag = 'OcTest-%06d' % random.randint(0, 999999)
        self.fids = {}
        self.repl_guid = None

    # ---- helpers
    def ok(self, resp, what=''):
        if resp is None:
            raise StepError('%s: no response' % what)
        if resp['ReturnValue'] != 0:
            rv = resp['ReturnValue']
            raise StepError('%s %s returned 0x%08X %s' % (what, resp['name'], rv, ERR_NAMES.get(rv, '')))
        return resp

    def one(self, build, objs=(), outs=(), what=''):
        if isinstance(outs, str):  # one(build, objs, 'what')
            outs, what = (), outs
        return self.ok(self.m.one(build, objs, outs), what)

    def rv(self, resp):
        return '0x%08X' % resp['ReturnValue']

    def props(self, obj, tags_by_name):
        names = list(tags_by_name)
        tags = [tags_by_name[n] for n in names]
        r = self.one(lambda i: R.RopGetPropertiesSpecific(tags, in_index=i[obj]), [obj], what='props of ' + obj)
        vals = r['RowData']['values']
        d = {}
        for n, t, v in zip(names, tags, vals):
            if isinstance(v, P.PropError):
                d[n] = {'error': '0x%08X' % v.code}
            elif t & 0xFFFF == 0x0102 and n.endswith('EntryId') and n not in ('PidTagUserEntryId',
                                                                                'PidTagMailboxOwnerEntryId'):
                e = parse_folder_entryid(v) if n != 'PidTagEntryId' or obj != 'logon' else {'hex': v.hex()}
                self.resolve(e)
                d[n] = e
            elif t & 0xFFFF == 0x1102:
                lst = []
                for x in v:
                    e = parse_folder_entryid(x) if len(x) == 46 else {'hex': x.hex()}
                    self.resolve(e)
                    lst.append(e)
                d[n] = lst
            elif t & 0xFFFF == 0x0014 and 'FolderId' in n:
                d[n] = fs(v)
            else:
                d[n] = v
        return d

    def resolve(self, e):
        if 'GlobalCounter' in e and self.repl_guid and e.get('DatabaseGuid') == self.repl_guid:
            e['fid'] = P.fid_str(P.make_fid(1, e['GlobalCounter']))

    def query_all(self, table, columns, batch=4096, limit=None):
        """QueryRows until the table says BOOKMARK_END or returns nothing."""
        rows = []
        calls = 0
        while True:
            want = batch if limit is None else min(batch, limit - len(rows))
            if want <= 0:
                break
            r = self.one(lambda i: R.RopQueryRows(want, columns, in_index=i[table]), [table], what='QueryRows')
            calls += 1
            rows += r['RowData']
            if r['RowCount'] == 0 or r['Origin'] == R.BOOKMARK_END:
                break
            if calls > 100000:
                raise StepError('QueryRows does not end')
        return rows, calls

    # ---- steps
    def s_epm(self):
        a = self.a
        binding = O.epm_lookup(a.host, a.epm_port)
        self.out['epm'] = {'binding': binding, 'port': O.port_from_binding(binding)}
        if not a.port:
            a.port = O.port_from_binding(binding)
        try:
            self.out['epm']['asyncBinding'] = O.epm_lookup(a.host, a.epm_port, O.MSRPC_UUID_ASYNCEMSMDB)
        except Exception as e:
            self.out['epm']['asyncBinding'] = 'error: %s' % e

    def s_connect(self):
        a = self.a
        if not a.port:
            a.port = a.epm_port
        dce = O.connect_dce(a.rpc_host or a.host, a.port, a.user, a.password, a.domain, a.level, proxy=a.proxy,
                            http_auth=a.http_auth)
        self.dce = dce
        self.s = O.Session(dce, compress=a.compress, xor=a.xor, chain=a.chain, pcb_out=a.pcb_out)
        self.m = O.Mapi(self.s)
        info = self.s.connect(a.dn, aux=a.aux)
        self.out['connect'] = info
        self.out['dummy'] = self.s.dummy()

    def s_logon(self):
        r = self.one(lambda i: R.RopLogon(self.a.dn, logon_flags=0x01, open_flags=0x01000000 | 0x04 | 0x08 | 0x400,
                                          out_index=i['logon']), outs=['logon'], what='logon')
        d = dict(r)
        d.pop('raw', None)
        d['FolderIds'] = {n: fs(f) for n, f in zip(LOGON_FOLDER_NAMES, r['FolderIds'])}
        self.fids = dict(zip(LOGON_FOLDER_NAMES, r['FolderIds']))
        self.repl_guid = r['ReplGuid']
        self.out['logon'] = d
        # open the folders every later step uses
        for n in ('Root', 'IpmSubtree', 'Inbox'):
            self.one(lambda i, n=n: R.RopOpenFolder(self.fids[n], in_index=i['logon'], out_index=i[n]),
                     ['logon'], [n], what='open ' + n)

    def s_store(self):
        out = {'store': self.props('logon', STORE_PROPS), 'root': self.props('Root', FOLDER_SPECIAL_PROPS),
               'inbox': self.props('Inbox', FOLDER_SPECIAL_PROPS)}
        out['storeState'] = self.one(lambda i: R.RopGetStoreState(in_index=i['logon']), ['logon'])['StoreState']
        # LongTermId round trips for every logon folder
        lt = {}
        for n, f in self.fids.items():
            if not f:
                continue
            r = self.one(lambda i, f=f: R.RopLongTermIdFromId(f, in_index=i['logon']), ['logon'], what='ltid')
            back = self.one(lambda i, l=r['LongTermId']: R.RopIdFromLongTermId(l, in_index=i['logon']), ['logon'])
            lt[n] = {'LongTermId': r['LongTermId'], 'back': fs(back['ObjectId']), 'roundTrip': back['ObjectId'] == f}
        out['longTermIds'] = lt
        for name, mk in (('GetOwningServers', lambda i: R.RopGetOwningServers(self.fids['Inbox'], in_index=i['logon'])),
                         ('PublicFolderIsGhosted',
                          lambda i: R.RopPublicFolderIsGhosted(self.fids['Inbox'], in_index=i['logon']))):
            r = self.m.one(mk, ['logon'])
            out[name] = {k: v for k, v in r.items() if k != 'raw'}
        self.out['store'] = out

    def s_receive(self):
        out = {}
        for mc in ('', 'IPM', 'IPC', 'Report.IPM', 'IPM.Note.Custom'):
            r = self.m.one(lambda i, mc=mc: R.RopGetReceiveFolder(mc, in_index=i['logon']), ['logon'])
            out[mc] = {'ReturnValue': self.rv(r), 'FolderId': fs(r.get('FolderId')),
                       'ExplicitMessageClass': r.get('ExplicitMessageClass')}
        t = self.one(lambda i: R.RopGetReceiveFolderTable(in_index=i['logon']), ['logon'], what='rf table')
        self.out['receiveFolders'] = out
        self.out['receiveFolderTable'] = [{'FolderId': fs(x['FolderId']), 'MessageClass': x['MessageClass'],
                                           'LastModificationTime': x['LastModificationTime']} for x in t['Rows']]

    def hier_table(self, folder_obj, flags=0):
        cols = HIER_COLUMNS
        resp = self.m.run(lambda i: [R.RopGetHierarchyTable(flags, in_index=i[folder_obj], out_index=i['ht']),
                                     R.RopSetColumns(cols, in_index=i['ht']),
                                     R.RopSortTable([(PidTagDisplayName, 0)], in_index=i['ht']),
                                     R.RopQueryRows(4096, cols, in_index=i['ht'])], [folder_obj], ['ht'])
        for r in resp:
            self.ok(r, 'hierarchy')
        rows = resp[3]['RowData']
        if resp[3]['Origin'] != R.BOOKMARK_END and resp[3]['RowCount']:
            more, _ = self.query_all('ht', cols)
            rows += more
        self.m.release('ht')
        return resp[0]['RowCount'], tbl_rows(rows, HIER_NAMES)

    def walk(self, fid, depth, out, seen):
        name = 'f%d' % depth
        self.one(lambda i: R.RopOpenFolder(fid, in_index=i['logon'], out_index=i[name]), ['logon'], [name], 'open')
        try:
            count, rows = self.hier_table(name)
        finally:
            self.m.release(name)
        if count != len(rows):
            raise StepError('hierarchy RowCount %d but %d rows for %s' % (count, len(rows), fs(fid)))
        for row in rows:
            f = row['FolderId']
            entry = {k: (fs(v) if k in ('FolderId', 'ParentFolderId') else
                         (parse_folder_entryid(v) if k == 'EntryId' and isinstance(v, bytes) else v))
                     for k, v in row.items()}
            entry['depth'] = depth
            out.append(P.jsonable(entry))
            if f in seen:
                raise StepError('folder %s seen twice' % fs(f))
            seen.add(f)
            if row['Subfolders'] is True:
                self.walk(f, depth + 1, out, seen)

    def s_hierarchy(self):
        out = []
        self.walk(self.fids['Root'], 0, out, set())
        self.out['hierarchy'] = out
        self.by_name = {}
        for f in out:
            self.by_name.setdefault(f['DisplayName'], f)
        # the same subtree through one recursive (Depth) table on the IPM subtree
        count, rows = self.hier_table('IpmSubtree', flags=0x04)
        self.out['ipmSubtreeDepthTable'] = {'RowCount': count, 'FolderIds': sorted(fs(r['FolderId']) for r in rows)}
        # entry IDs resolve to folders of the walk
        fids = {f['FolderId']: f['DisplayName'] for f in out}
        fids[fs(self.fids['Root'])] = '(root)'

        def mark(d):
            for v in d.values():
                for e in (v if isinstance(v, list) else [v]):
                    if isinstance(e, dict) and 'fid' in e:
                        e['folder'] = fids.get(e['fid'])
        for k in ('store', 'root', 'inbox'):
            if k in self.out.get('store', {}):
                mark(self.out['store'][k])

    def s_folders(self):
        out = {}
        a_name, b_name = self.tag + '-A', self.tag + '-B'
        r = self.one(lambda i: R.RopCreateFolder(a_name, 'created by outlook_start', in_index=i['IpmSubtree'],
                                                 out_index=i['A']), ['IpmSubtree'], ['A'], 'create A')
        out['createA'] = {'FolderId': fs(r['FolderId']), 'IsExistingFolder': r['IsExistingFolder']}
        fid_a = r['FolderId']
        r = self.one(lambda i: R.RopCreateFolder(a_name, in_index=i['IpmSubtree'], out_index=i['A2'],
                                                 open_existing=True), ['IpmSubtree'], ['A2'], 'create A again')
        out['createAOpenExisting'] = {'FolderId': fs(r['FolderId']), 'IsExistingFolder': r['IsExistingFolder'],
                                      'same': r['FolderId'] == fid_a}
        self.m.release('A2')
        r = self.m.one(lambda i: R.RopCreateFolder(a_name, in_index=i['IpmSubtree'], out_index=i['A3']),
                       ['IpmSubtree'], ['A3'])
        out['createADuplicate'] = {'ReturnValue': self.rv(r)}
        self.m.h.pop('A3', None)
        r = self.one(lambda i: R.RopCreateFolder(b_name, in_index=i['IpmSubtree'], out_index=i['B']),
                     ['IpmSubtree'], ['B'], 'create B')
        fid_b = r['FolderId']
        out['createB'] = {'FolderId': fs(fid_b)}
        if self.a.wide:
            # many children in one folder: 50 RopCreateFolder (+ RopRelease) per buffer, then read them back with
            # one QueryRows(4096) batch that cannot fit in 32 KB
            made = 0
            while made < self.a.wide:
                k = min(50, self.a.wide - made)
                names = ['%s-child-%04d' % (self.tag, made + j) for j in range(k)]
                outs = ['c%d' % j for j in range(k)]
                resp = self.m.run(lambda i, names=names, outs=outs: [
                    R.RopCreateFolder(n, in_index=i['B'], out_index=i[o]) for n, o in zip(names, outs)] +
                    [R.RopRelease(i[o]) for o in outs], ['B'], outs)
                for o in outs:
                    self.m.h.pop(o, None)
                for x in resp:
                    self.ok(x, 'create child')
                made += k
            kids = self.children('B')
            out['wide'] = {'created': made, 'listed': len(kids),
                           'sorted': [x['DisplayName'] for x in kids] == sorted(x['DisplayName'] for x in kids),
                           'stats': {k: self.s.stats[k] for k in ('buffer_too_small', 'chained')}}
        # rename A (SetProperties PidTagDisplayName) and read it back
        renamed = a_name + '-renamed'
        r = self.one(lambda i: R.RopSetProperties([(PidTagDisplayName, renamed), (PidTagComment, 'c2')],
                                                  in_index=i['A']), ['A'], what='rename')
        out['rename'] = {'problems': r['PropertyProblems'],
                         'readBack': self.props('A', {'PidTagDisplayName': PidTagDisplayName,
                                                      'PidTagComment': PidTagComment,
                                                      'PidTagFolderId': PidTagFolderId,
                                                      'PidTagParentFolderId': PidTagParentFolderId})}
        # properties: list / all / delete / copy between the two folders
        out['propertiesList'] = ['0x%08X' % t for t in self.one(lambda i: R.RopGetPropertiesList(in_index=i['A']),
                                                                  ['A'])['PropertyTags']]
        allp = self.one(lambda i: R.RopGetPropertiesAll(in_index=i['A']), ['A'])['PropertyValues']
        out['propertiesAll'] = {'0x%08X' % t: P.jsonable(v) for t, v in allp}
        r = self.one(lambda i: R.RopDeleteProperties([PidTagComment], in_index=i['A']), ['A'], what='delete prop')
        out['deleteProperties'] = {'problems': r['PropertyProblems'],
                                   'after': self.props('A', {'PidTagComment': PidTagComment})}
        r = self.one(lambda i: R.RopSetProperties([(PidTagComment, 'copy me')], in_index=i['A']), ['A'])
        r = self.one(lambda i: R.RopCopyProperties([PidTagComment], src_index=i['A'], dest_index=i['B']),
                     ['A', 'B'], what='CopyProperties')
        out['copyProperties'] = {'problems': r['PropertyProblems'],
                                 'dest': self.props('B', {'PidTagComment': PidTagComment})}
        r = self.m.one(lambda i: R.RopCopyTo([PidTagDisplayName], src_index=i['A'], dest_index=i['B']), ['A', 'B'])
        out['copyTo'] = {'ReturnValue': self.rv(r), 'problems': r.get('PropertyProblems'),
                         'dest': self.props('B', {'PidTagComment': PidTagComment,
                                                  'PidTagDisplayName': PidTagDisplayName})}
        self.m.release('A', 'B')
        # move A into B (new name), copy B recursively to the IPM subtree, empty the copy, delete all
        self.one(lambda i: R.RopOpenFolder(fid_b, in_index=i['logon'], out_index=i['B']), ['logon'], ['B'])
        r = self.one(lambda i: R.RopMoveFolder(fid_a, a_name + '-moved', src_index=i['IpmSubtree'],
                                               dest_index=i['B']), ['IpmSubtree', 'B'], what='move')
        out['move'] = {'PartialCompletion': r['PartialCompletion'], 'childrenOfB': self.children('B')}
        copy_name = self.tag + '-Bcopy'
        r = self.one(lambda i: R.RopCopyFolder(fid_b, copy_name, src_index=i['IpmSubtree'],
                                               dest_index=i['IpmSubtree'], recursive=True),
                     ['IpmSubtree'], what='copy')
        _, ipm_rows = self.hier_table('IpmSubtree')
        copies = [x for x in ipm_rows if x['DisplayName'] == copy_name]
        out['copy'] = {'PartialCompletion': r['PartialCompletion'], 'found': len(copies)}
        if copies:
            fid_c = copies[0]['FolderId']
            out['copy']['FolderId'] = fs(fid_c)
            self.one(lambda i: R.RopOpenFolder(fid_c, in_index=i['logon'], out_index=i['C']), ['logon'], ['C'])
            out['copy']['children'] = self.children('C')
            r = self.one(lambda i: R.RopEmptyFolder(in_index=i['C']), ['C'], what='empty')
            out['empty'] = {'PartialCompletion': r['PartialCompletion'], 'childrenAfter': self.children('C')}
            r = self.one(lambda i: R.RopHardDeleteMessagesAndSubfolders(in_index=i['C']), ['C'], what='hard empty')
            out['hardDeleteMessagesAndSubfolders'] = {'PartialCompletion': r['PartialCompletion']}
            self.m.release('C')
        self.folder_b = fid_b
        self.folder_a = fid_a
        self.copy_fid = copies[0]['FolderId'] if copies else None
        # special folders cannot be deleted
        r = self.m.one(lambda i: R.RopDeleteFolder(self.fids['Inbox'], in_index=i['IpmSubtree']), ['IpmSubtree'])
        out['deleteInbox'] = {'ReturnValue': self.rv(r), 'PartialCompletion': r.get('PartialCompletion')}
        # receive folder set/get/reset on our folder
        cls = 'IPM.' + self.tag
        r = self.m.one(lambda i: R.RopSetReceiveFolder(fid_b, cls, in_index=i['logon']), ['logon'])
        g = self.m.one(lambda i: R.RopGetReceiveFolder(cls + '.Sub', in_index=i['logon']), ['logon'])
        r2 = self.m.one(lambda i: R.RopSetReceiveFolder(0, cls, in_index=i['logon']), ['logon'])
        g2 = self.m.one(lambda i: R.RopGetReceiveFolder(cls + '.Sub', in_index=i['logon']), ['logon'])
        out['setReceiveFolder'] = {'set': self.rv(r), 'get': {'FolderId': fs(g.get('FolderId')),
                                                              'ExplicitMessageClass': g.get('ExplicitMessageClass'),
                                                              'matches': g.get('FolderId') == fid_b},
                                   'reset': self.rv(r2), 'getAfterReset': {'FolderId': fs(g2.get('FolderId')),
                                                                           'ExplicitMessageClass':
                                                                               g2.get('ExplicitMessageClass')}}
        self.m.release('B')
        self.out['folders'] = out

    def children(self, obj):
        _, rows = self.hier_table(obj)
        return [{'FolderId': fs(r['FolderId']), 'DisplayName': r['DisplayName'], 'Subfolders': r['Subfolders']}
                for r in rows]

    def cleanup(self):
        out = {}
        if self.a.keep or not self.m:
            return
        for n, f in (('B', getattr(self, 'folder_b', None)), ('Bcopy', getattr(self, 'copy_fid', None)),
                     ('Fill', getattr(self, 'fill_fid', None))):
            if not f:
                continue
            r = self.m.one(lambda i, f=f: R.RopDeleteFolder(f, flags=0x15, in_index=i['IpmSubtree']), ['IpmSubtree'])
            out[n] = {'ReturnValue': self.rv(r), 'PartialCompletion': r.get('PartialCompletion')}
        left = [x['DisplayName'] for x in self.hier_table('IpmSubtree')[1] if x['DisplayName'].startswith(self.tag)]
        out['leftOver'] = left
        self.out['delete'] = out
        if left:
            raise StepError('folders left after delete: %s' % left)

    def s_async(self):
        err, acxh = self.s.async_connect()
        out = {'EcDoAsyncConnectEx': err, 'acxh': O.cxh_hex(acxh)}
        if self.a.async_wait and err == 0:
            a = self.a
            dce2 = O.connect_dce(a.rpc_host or a.host, a.port, a.user, a.password, a.domain, a.level,
                                 O.MSRPC_UUID_ASYNCEMSMDB, proxy=a.proxy, http_auth=a.http_auth)
            box = {}

            def wait():
                try:
                    box['r'] = O.async_wait(dce2, acxh)
                except Exception as e:
                    box['e'] = str(e)
            t = threading.Thread(target=wait, daemon=True)
            t.start()
            t.join(a.async_wait)
            out['EcDoAsyncWaitEx'] = box.get('r') or ({'error': box['e']} if 'e' in box else 'pending')
        self.out['async'] = out

    def s_disconnect(self):
        self.out['heldBeforeDisconnect'] = sorted(self.m.h)
        self.m.release(*list(self.m.h))
        self.out['disconnect'] = self.s.disconnect()
        self.out['stats'] = self.s.stats

    def run(self):
        a = self.a
        if a.epm_port:
            self.step('epm', self.s_epm)
        self.step('connect', self.s_connect)
        if not self.s or not self.s.cxh:
            return self.out
        if a.probe_opnums:
            self.step('opnums', self.s_opnums)
        if a.connect_checks:
            self.step('connectChecks', self.s_connect_checks)
        self.step('logon', self.s_logon)
        if 'logon' not in self.m.h:
            self.step('async', self.s_async)
            self.step('disconnect', self.s_disconnect)
            return self.out
        self.step('store', self.s_store)
        self.step('receive', self.s_receive)
        self.step('hierarchy', self.s_hierarchy)
        self.step('folders', self.s_folders)
        if a.fill and not a.folder:
            self.step('fill', self.s_fill)
        if a.folder:
            self.step('contents', self.s_contents)
            self.step('messages', self.s_messages)
        self.step('named', self.s_named)
        self.step('cleanup', self.cleanup)
        self.step('bad', self.s_bad)
        self.step('async', self.s_async)
        self.step('disconnect', self.s_disconnect)
        return self.out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--proxy', default='', help='RPC over HTTP: the RPC proxy URL (https://H:P/rpc/rpcproxy.dll); '
                    'then --port is the endpoint in ?server:port (6001) and --epm-port 0')
    ap.add_argument('--rpc-host', default='', help='RPC over HTTP: the server name in ?server:port (default --host)')
    ap.add_argument('--http-auth', default='ntlm', choices=['ntlm', 'basic'])
    ap.add_argument('--epm-port', type=int, default=0, help='endpoint mapper port (0: skip the lookup)')
    ap.add_argument('--port', type=int, default=0, help='EMSMDB port (default: from the endpoint mapper)')
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    ap.add_argument('--level', type=int, default=6, help='RPC auth level (6 = PKT_PRIVACY)')
    ap.add_argument('--dn', default='/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)'
                                    '/cn=Recipients/cn=alice')
    ap.add_argument('--folder', default='', help='pre-filled folder under the IPM subtree for the contents steps')
    ap.add_argument('--fill', type=int, default=0,
                    help='without --folder: create a folder of N messages (RopCreateMessage) for the contents steps')
    ap.add_argument('--wide', type=int, default=0, help='create N subfolders in one test folder (big hierarchy table)')
    ap.add_argument('--category-tag', type=lambda s: int(s, 0), default=0x00170003,
                    help='column to categorize by (default PidTagImportance)')
    ap.add_argument('--no-compress', dest='compress', action='store_false')
    ap.add_argument('--no-xor', dest='xor', action='store_false')
    ap.add_argument('--no-chain', dest='chain', action='store_false')
    ap.add_argument('--no-aux', dest='aux', action='store_false', help='send no AUX blocks in EcDoConnectEx')
    ap.add_argument('--pcb-out', type=lambda s: int(s, 0), default=0x8000)
    ap.add_argument('--rows', default='all', help="'all' or N: how many sorted MIDs to print")
    ap.add_argument('--async-wait', type=float, default=0, help='seconds to wait in EcDoAsyncWaitEx (0: skip)')
    ap.add_argument('--connect-checks', action='store_true',
                    help='EcDoConnectEx with another user\'s DN, other client versions and bad AUX sizes')
    ap.add_argument('--probe-opnums', action='store_true', help='call the reserved EMSMDB opnums (expects faults)')
    ap.add_argument('--keep', action='store_true', help='keep the folders this run creates')
    ap.add_argument('--steps', type=lambda s: [x for x in s.split(',') if x], default=None)
    a = ap.parse_args()
    if a.steps is not None:
        a.steps = set(a.steps) | {'connect', 'logon'}
    run = Run(a)
    out = run.run()
    print(json.dumps(P.jsonable(out)))
    return 0 if out['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
