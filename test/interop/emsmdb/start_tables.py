"""outlook_start.py steps on a pre-filled folder: contents table (sort, restrict, bookmarks, FindRow,
categories) and message move/copy/delete on copies in folders the run creates."""
import time

from start_common import *  # noqa: F401,F403


class TableSteps:
    def s_fill(self):
        """--fill N: a folder of N messages made with RopCreateMessage/RopSetProperties/RopSaveChangesMessage,
        used by the contents steps when no --folder is given, deleted at cleanup."""
        n = self.a.fill
        name = self.tag + '-Fill'
        r = self.one(lambda i: R.RopCreateFolder(name, in_index=i['IpmSubtree'], out_index=i['fill']),
                     ['IpmSubtree'], ['fill'], 'create fill folder')
        fid = r['FolderId']
        self.fill_fid = fid
        base = 0x01DB000000000000
        made = 0
        for k in range(n):
            vals = [(PidTagSubject, 'fill message %05d' % k), (0x001A001F, 'IPM.Note'),
                    (PidTagMessageDeliveryTime, base + ((k * 7919) % n) * 600000000), (0x00170003, k % 3),
                    (PidTagMessageFlags, 1 if k % 4 == 0 else 0)]
            resp = self.m.run(lambda i, vals=vals: [R.RopCreateMessage(fid, in_index=i['logon'], out_index=i['msg']),
                                                    R.RopSetProperties(vals, in_index=i['msg']),
                                                    R.RopSaveChangesMessage(0x0C, in_index=i['msg'],
                                                                            response_index=i['msg']),
                                                    R.RopRelease(i['msg'])], ['logon'], ['msg'])
            self.m.h.pop('msg', None)
            for x in resp:
                self.ok(x, 'fill message %d' % k)
            made += 1
        self.m.release('fill')
        self.a.folder = name
        self.out['fill'] = {'folder': name, 'FolderId': fs(fid), 'messages': made}

    def find_folder(self):
        name = self.a.folder
        _, rows = self.hier_table('IpmSubtree')
        hit = [r for r in rows if r['DisplayName'] == name]
        if not hit:
            raise StepError('folder %r not found under the IPM subtree' % name)
        return hit[0]['FolderId']

    def s_contents(self):
        fid = self.find_folder()
        out = {'folder': self.a.folder, 'FolderId': fs(fid)}
        self.one(lambda i: R.RopOpenFolder(fid, in_index=i['logon'], out_index=i['F']), ['logon'], ['F'])
        cols = [PidTagMid, PidTagSubject, PidTagMessageDeliveryTime, PidTagMessageFlags, PidTagInstID,
                PidTagInstanceNum]
        names = ['Mid', 'Subject', 'DeliveryTime', 'MessageFlags', 'InstID', 'InstanceNum']
        resp = self.m.run(lambda i: [R.RopGetContentsTable(0, in_index=i['F'], out_index=i['T']),
                                     R.RopSetColumns(cols, in_index=i['T']),
                                     R.RopSortTable([(PidTagMessageDeliveryTime, 1), (PidTagMid, 0)],
                                                    in_index=i['T'])], ['F'], ['T'])
        for r in resp:
            self.ok(r, 'contents setup')
        out['RowCount'] = resp[0]['RowCount']
        t0 = time.time()
        rows, calls = self.query_all('T', cols)
        out['queryRows'] = {'rows': len(rows), 'calls': calls, 'ms': int((time.time() - t0) * 1000)}
        rows = tbl_rows(rows, names)
        times = [r['DeliveryTime'] for r in rows]
        out['sortedByDeliveryTimeDesc'] = all(times[k] >= times[k + 1] for k in range(len(times) - 1))
        out['mids'] = [fs(r['Mid']) for r in rows] if self.a.rows == 'all' else \
            [fs(r['Mid']) for r in rows[:int(self.a.rows)]]
        out['first'] = P.jsonable(rows[:3])
        n = len(rows)
        st = self.one(lambda i: R.RopGetStatus(in_index=i['T']), ['T'])
        out['status'] = st['TableStatus']
        out['queryPositionAtEnd'] = {k: self.one(lambda i: R.RopQueryPosition(in_index=i['T']), ['T'])[k]
                                     for k in ('Numerator', 'Denominator')}
        if n:
            # seek / bookmark / fractional seek
            k = n // 3
            r = self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, k, in_index=i['T']), ['T'])
            out['seekRow'] = {'HasSoughtLess': r['HasSoughtLess'], 'RowsSought': r['RowsSought']}
            bm = self.one(lambda i: R.RopCreateBookmark(in_index=i['T']), ['T'])['Bookmark']
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_END, -1, in_index=i['T']), ['T'])
            last = self.one(lambda i: R.RopQueryRows(1, cols, in_index=i['T']), ['T'])
            r = self.one(lambda i: R.RopSeekRowBookmark(bm, 0, in_index=i['T']), ['T'])
            at = self.one(lambda i: R.RopQueryRows(1, cols, flags=1, in_index=i['T']), ['T'])
            pos = self.one(lambda i: R.RopQueryPosition(in_index=i['T']), ['T'])
            out['bookmark'] = {'size': len(bm), 'seek': {x: r[x] for x in ('RowNoLongerVisible', 'HasSoughtLess',
                                                                            'RowsSought')},
                               'rowAtBookmark': fs(at['RowData'][0]['values'][0]) if at['RowData'] else None,
                               'expected': fs(rows[k]['Mid']),
                               'lastRow': fs(last['RowData'][0]['values'][0]) if last['RowData'] else None,
                               'position': {'Numerator': pos['Numerator'], 'Denominator': pos['Denominator']}}
            self.one(lambda i: R.RopFreeBookmark(bm, in_index=i['T']), ['T'])
            r = self.m.one(lambda i: R.RopSeekRowBookmark(bm, 0, in_index=i['T']), ['T'])
            out['bookmark']['afterFree'] = self.rv(r)
            self.one(lambda i: R.RopSeekRowFractional(1, 2, in_index=i['T']), ['T'])
            pos = self.one(lambda i: R.RopQueryPosition(in_index=i['T']), ['T'])
            out['seekFractionalHalf'] = {'Numerator': pos['Numerator'], 'Denominator': pos['Denominator']}
            # FindRow on the subject of a row two thirds down
            target = rows[(2 * n) // 3]
            res = {'type': 'property', 'relop': 4, 'tag': PidTagMid, 'value': (PidTagMid, target['Mid'])}
            r = self.one(lambda i: R.RopFindRow(res, cols, origin=R.BOOKMARK_BEGINNING, in_index=i['T']), ['T'])
            out['findRow'] = {'HasRowData': r['HasRowData'], 'expected': fs(target['Mid']),
                              'found': fs(r['RowData']['values'][0]) if r.get('RowData') else None,
                              'position': self.one(lambda i: R.RopQueryPosition(in_index=i['T']), ['T'])['Numerator']}
            res_s = {'type': 'content', 'fuzzy_low': 0x0001, 'fuzzy_high': 0x0001, 'tag': PidTagSubject,
                     'value': (PidTagSubject, target['Subject'] or '')}
            r = self.one(lambda i: R.RopFindRow(res_s, cols, in_index=i['T']), ['T'])
            out['findRowSubject'] = {'subject': target['Subject'], 'HasRowData': r['HasRowData'],
                                     'found': fs(r['RowData']['values'][0]) if r.get('RowData') else None}
            # restrict: delivered at or after the median time (and, separately, unread)
            median = rows[n // 2]['DeliveryTime']
            res_t = {'type': 'property', 'relop': 'ge', 'tag': PidTagMessageDeliveryTime,
                     'value': (PidTagMessageDeliveryTime, median)}
            self.one(lambda i: R.RopRestrict(res_t, in_index=i['T']), ['T'], 'restrict')
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i['T']), ['T'])
            rr, _ = self.query_all('T', cols)
            rr = tbl_rows(rr, names)
            out['restrictTime'] = {'time': median, 'rows': len(rr), 'expected': sum(1 for x in times if x >= median),
                                   'mids': [fs(x['Mid']) for x in rr] if self.a.rows == 'all' else None}
            res_u = {'type': 'bitmask', 'bmr': 0, 'tag': PidTagMessageFlags, 'mask': 0x1}
            self.one(lambda i: R.RopRestrict(res_u, in_index=i['T']), ['T'], 'restrict unread')
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i['T']), ['T'])
            ru, _ = self.query_all('T', cols)
            out['restrictUnread'] = {'rows': len(ru), 'expected': sum(1 for x in rows if not (x['MessageFlags'] or 0) & 1)}
            self.one(lambda i: R.RopRestrict(None, in_index=i['T']), ['T'], 'restrict none')
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i['T']), ['T'])
            rn, _ = self.query_all('T', cols)
            out['restrictCleared'] = {'rows': len(rn)}
        out['queryColumnsAll'] = ['0x%08X' % t for t in self.one(lambda i: R.RopQueryColumnsAll(in_index=i['T']),
                                                                   ['T'])['PropertyTags']]
        out['abort'] = self.rv(self.m.one(lambda i: R.RopAbort(in_index=i['T']), ['T']))
        self.one(lambda i: R.RopResetTable(in_index=i['T']), ['T'])
        out['afterReset'] = {'status': self.one(lambda i: R.RopGetStatus(in_index=i['T']), ['T'])['TableStatus']}
        # categorize
        out['categories'] = self.categorize('T', cols, names)
        self.m.release('T', 'F')
        self.out['contents'] = out
        self.filled_fid = fid
        self.filled_rows = rows

    def categorize(self, table, cols, names):
        cat = self.a.category_tag
        ccols = [PidTagMid, PidTagInstID, PidTagInstanceNum, PidTagRowType, PidTagDepth, PidTagContentCount, cat,
                 PidTagMessageDeliveryTime]
        cnames = ['Mid', 'InstID', 'InstanceNum', 'RowType', 'Depth', 'ContentCount', 'Category', 'DeliveryTime']
        self.one(lambda i: R.RopSetColumns(ccols, in_index=i[table]), [table], 'cat columns')
        self.one(lambda i: R.RopSortTable([(cat, 0), (PidTagMessageDeliveryTime, 1)], categorized=1, expanded=0,
                                          in_index=i[table]), [table], 'categorize')
        hdr, _ = self.query_all(table, ccols)
        hdr = tbl_rows(hdr, cnames)
        out = {'tag': '0x%08X' % cat, 'collapsedRows': len(hdr),
               'headers': [{'Category': P.jsonable(h['Category']), 'RowType': h['RowType'],
                            'ContentCount': h['ContentCount'], 'InstID': fs(h['InstID'])} for h in hdr]}
        if hdr:
            h = hdr[0]
            r = self.one(lambda i: R.RopExpandRow(h['InstID'], ccols, max_rows=50, in_index=i[table]), [table],
                         'expand')
            out['expand'] = {'ExpandedRowCount': r['ExpandedRowCount'], 'RowCount': r['RowCount'],
                             'firstRowTypes': [x['values'][3] for x in r['RowData']][:5]}
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i[table]), [table])
            rows, _ = self.query_all(table, ccols)
            out['rowsAfterExpand'] = len(rows)
            st = self.one(lambda i: R.RopGetCollapseState(h['InstID'], h['InstanceNum'] or 0, in_index=i[table]),
                          [table], 'collapse state')
            out['collapseStateSize'] = len(st['CollapseState'])
            r = self.one(lambda i: R.RopCollapseRow(h['InstID'], in_index=i[table]), [table], 'collapse')
            out['collapse'] = {'CollapsedRowCount': r['CollapsedRowCount']}
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i[table]), [table])
            rows, _ = self.query_all(table, ccols)
            out['rowsAfterCollapse'] = len(rows)
            r = self.one(lambda i: R.RopSetCollapseState(st['CollapseState'], in_index=i[table]), [table], 'set state')
            self.one(lambda i: R.RopSeekRowBookmark(r['Bookmark'], 0, in_index=i[table]), [table], 'seek state bm')
            self.one(lambda i: R.RopSeekRow(R.BOOKMARK_BEGINNING, 0, in_index=i[table]), [table])
            rows, _ = self.query_all(table, ccols)
            out['rowsAfterSetCollapseState'] = len(rows)
        return out

    def s_messages(self):
        """MoveCopy / Delete / HardDelete on copies of a few pre-filled messages inside folders we create."""
        if getattr(self, 'filled_rows', None) is None:
            raise StepError('needs the contents step (a pre-filled --folder)')
        if not self.filled_rows:
            self.out['messages'] = {'skipped': 'the --folder is empty'}
            return
        out = {}
        mids = [r['Mid'] for r in self.filled_rows[:5]]
        self.one(lambda i: R.RopCreateFolder(self.tag + '-M', in_index=i['IpmSubtree'], out_index=i['M']),
                 ['IpmSubtree'], ['M'], 'create M')
        self.one(lambda i: R.RopCreateFolder(self.tag + '-N', in_index=i['IpmSubtree'], out_index=i['N']),
                 ['IpmSubtree'], ['N'], 'create N')
        self.one(lambda i: R.RopOpenFolder(self.filled_fid, in_index=i['logon'], out_index=i['F']), ['logon'], ['F'])
        r = self.one(lambda i: R.RopMoveCopyMessages(mids, src_index=i['F'], dest_index=i['M'], want_copy=True),
                     ['F', 'M'], 'copy messages')
        out['copy'] = {'PartialCompletion': r['PartialCompletion'], 'countInM': self.count('M')}
        m_mids = self.mids('M')
        r = self.one(lambda i: R.RopMoveCopyMessages(m_mids[:2], src_index=i['M'], dest_index=i['N']), ['M', 'N'],
                     'move messages')
        out['move'] = {'PartialCompletion': r['PartialCompletion'], 'countInM': self.count('M'),
                       'countInN': self.count('N')}
        rest = self.mids('M')
        r = self.one(lambda i: R.RopDeleteMessages(rest[:1], in_index=i['M']), ['M'], 'delete messages')
        out['delete'] = {'PartialCompletion': r['PartialCompletion'], 'countInM': self.count('M')}
        r = self.one(lambda i: R.RopHardDeleteMessages(self.mids('M'), in_index=i['M']), ['M'], 'hard delete')
        out['hardDelete'] = {'PartialCompletion': r['PartialCompletion'], 'countInM': self.count('M')}
        out['sourceCountAfter'] = self.count('F')
        out['sourceCountBefore'] = len(self.filled_rows)
        made = [self.fid_of(n) for n in ('M', 'N')]
        out['folders'] = [fs(f) for f in made]
        self.m.release('F', 'M', 'N')
        for fv in made:
            r = self.m.one(lambda i, fv=fv: R.RopDeleteFolder(fv, flags=0x15, in_index=i['IpmSubtree']),
                           ['IpmSubtree'])
            out.setdefault('deleted', []).append(self.rv(r))
        self.out['messages'] = out

    def fid_of(self, obj):
        r = self.one(lambda i: R.RopGetPropertiesSpecific([PidTagFolderId], in_index=i[obj]), [obj], 'PidTagFolderId')
        v = r['RowData']['values'][0]
        if not isinstance(v, int):
            raise StepError('%s has no PidTagFolderId: %r' % (obj, v))
        return v

    def count(self, obj):
        r = self.one(lambda i: R.RopGetPropertiesSpecific([PidTagContentCount], in_index=i[obj]), [obj])
        return r['RowData']['values'][0]

    def mids(self, obj):
        resp = self.m.run(lambda i: [R.RopGetContentsTable(0, in_index=i[obj], out_index=i['mt']),
                                     R.RopSetColumns([PidTagMid], in_index=i['mt'])], [obj], ['mt'])
        for r in resp:
            self.ok(r)
        rows, _ = self.query_all('mt', [PidTagMid])
        self.m.release('mt')
        return [r['values'][0] for r in rows]
