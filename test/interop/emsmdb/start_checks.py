"""outlook_start.py steps: named-property round trips, bad input the server must survive, EcDoConnectEx
rules and reserved opnums."""
import struct

from start_common import *  # noqa: F401,F403


class CheckSteps:
    def s_named(self):
        out = {}
        names = [{'guid': PSETID_Common, 'lid': 0x8501}, {'guid': PSETID_Appointment, 'lid': 0x820D},
                 {'guid': PS_PUBLIC_STRINGS, 'name': 'Keywords'}, {'guid': PS_PUBLIC_STRINGS, 'name': self.tag},
                 {'guid': PS_MAPI, 'lid': 0x3001}]
        r = self.one(lambda i: R.RopGetPropertyIdsFromNames(names, create=True, in_index=i['logon']), ['logon'],
                     'ids create')
        ids = r['PropertyIds']
        r2 = self.one(lambda i: R.RopGetPropertyIdsFromNames(names, create=False, in_index=i['logon']), ['logon'],
                      'ids again')
        unknown = [{'guid': PS_PUBLIC_STRINGS, 'name': self.tag + '-never'}]
        r3 = self.m.one(lambda i: R.RopGetPropertyIdsFromNames(unknown, create=False, in_index=i['logon']), ['logon'])
        # 0xFFF0 is unknown: the answer may be ecWarnWithErrors with Kind 0xFF for it
        back = self.m.one(lambda i: R.RopGetNamesFromPropertyIds(ids + [0x0037, 0xFFF0], in_index=i['logon']),
                          ['logon'])
        if back['ReturnValue'] not in (0, R.ecWarnWithErrors):
            self.ok(back, 'names')
        out['namesReturnValue'] = self.rv(back)
        q_all = self.one(lambda i: R.RopQueryNamedProperties(0, None, in_index=i['logon']), ['logon'], 'query all')
        q_g = self.one(lambda i: R.RopQueryNamedProperties(0, PS_PUBLIC_STRINGS, in_index=i['logon']), ['logon'])
        q_ns = self.one(lambda i: R.RopQueryNamedProperties(0x01, None, in_index=i['logon']), ['logon'])  # NoStrings
        out['names'] = P.jsonable(names)
        out['ids'] = ['0x%04X' % x for x in ids]
        out['idsStable'] = r2['PropertyIds'] == ids
        out['unknownNoCreate'] = {'ReturnValue': self.rv(r3), 'PropertyIds': r3.get('PropertyIds')}
        out['namesBack'] = P.jsonable(back['PropertyNames'])
        out['roundTrip'] = [P.jsonable(n) == P.jsonable(b) for n, b in zip(names, back['PropertyNames'])]
        qa = dict(zip(q_all['PropertyIds'], q_all['PropertyNames']))
        out['queryAll'] = {'count': len(qa), 'containsOurs': all(x in qa for x in ids if x >= 0x8000)}
        out['queryGuid'] = {'count': len(q_g['PropertyIds']),
                            'allPublicStrings': all(str(n.get('guid')) == str(PS_PUBLIC_STRINGS)
                                                    for n in q_g['PropertyNames'])}
        out['queryNoStrings'] = {'count': len(q_ns['PropertyIds']),
                                 'noStrings': all('name' not in n for n in q_ns['PropertyNames'])}
        # use a named property on a folder we create
        nid = ids[3]
        tag = (nid << 16) | 0x001F
        self.one(lambda i: R.RopCreateFolder(self.tag + '-P', in_index=i['IpmSubtree'], out_index=i['P']),
                 ['IpmSubtree'], ['P'], 'create P')
        r = self.one(lambda i: R.RopSetProperties([(tag, 'named value')], in_index=i['P']), ['P'])
        got = self.props('P', {'named': tag})
        out['namedValueOnFolder'] = {'tag': '0x%08X' % tag, 'set': r['PropertyProblems'], 'get': got['named']}
        fv = self.fid_of('P')
        self.m.release('P')
        out['deleteP'] = self.rv(self.m.one(lambda i: R.RopDeleteFolder(fv, flags=0x15, in_index=i['IpmSubtree']),
                                            ['IpmSubtree']))
        self.out['named'] = out

    def s_bad(self):
        """Bad input the server must survive: each gets its ec value and the session carries on."""
        out = {}
        logon_h = self.m.h['logon']

        def raw(rops, handles):
            try:
                res = self.s.rpc_raw(R.build_rop_buffer(rops, handles) if isinstance(rops, list) else rops)
                parts = []
                for e in res['exts']:
                    p = e['payload']
                    size = struct.unpack_from('<H', p)[0]
                    parts.append({'responses': p[2:size].hex(), 'handles': p[size:].hex()})
                return {'ok': True, 'payloads': parts}
            except O.EcError as e:
                return {'ok': False, 'ErrorCode': '0x%08X' % e.code}
            except Exception as e:
                return {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}

        def alive():
            r = self.m.one(lambda i: R.RopGetStoreState(in_index=i['logon']), ['logon'])
            return r is not None and r['ReturnValue'] == 0

        # handle index outside the table, then a good ROP in the same buffer
        resp = self.m.run(lambda i: [R.RopGetPropertiesSpecific([PidTagDisplayName], in_index=5),
                                     R.RopGetStoreState(in_index=i['logon'])], ['logon'])
        out['handleIndexOutOfRange'] = {'ReturnValue': self.rv(resp[0]), 'next': self.rv(resp[1])}
        # a slot holding 0xFFFFFFFF (no object)
        resp = self.m.run(lambda i: [R.RopGetPropertiesSpecific([PidTagDisplayName], in_index=i['x']),
                                     R.RopGetStoreState(in_index=i['logon'])], ['logon'], ['x'])
        out['emptySlot'] = {'ReturnValue': self.rv(resp[0]), 'next': self.rv(resp[1])}
        # a released handle
        self.one(lambda i: R.RopOpenFolder(self.fids['Inbox'], in_index=i['logon'], out_index=i['rel']),
                 ['logon'], ['rel'], 'open to release')
        stale = self.m.h['rel']
        self.m.release('rel')
        self.m.h['stale'] = stale
        resp = self.m.run(lambda i: [R.RopGetPropertiesSpecific([PidTagDisplayName], in_index=i['stale']),
                                     R.RopGetStoreState(in_index=i['logon'])], ['stale', 'logon'])
        del self.m.h['stale']
        out['releasedHandle'] = {'ReturnValue': self.rv(resp[0]), 'next': self.rv(resp[1])}
        # a table ROP on a folder, a folder ROP on the logon
        resp = self.m.run(lambda i: [R.RopQueryRows(10, [], in_index=i['Inbox']),
                                     R.RopGetContentsTable(0, in_index=i['logon'], out_index=i['t']),
                                     R.RopGetStoreState(in_index=i['logon'])], ['Inbox', 'logon'], ['t'])
        out['wrongObjectType'] = {'QueryRowsOnFolder': self.rv(resp[0]), 'GetContentsTableOnLogon': self.rv(resp[1]),
                                  'next': self.rv(resp[2])}
        self.m.h.pop('t', None)
        # a truncated last ROP, a reserved RopId, a RopSize larger than the payload
        good = R.RopGetStoreState(in_index=0).encode()
        trunc = R.RopGetPropertiesSpecific([PidTagDisplayName, PidTagEntryId], in_index=0).encode()[:-3]
        for name, body in (('truncatedRop', good + trunc), ('reservedRopId', good + bytes([0x28, 0, 0]) + good)):
            buf = struct.pack('<H', 2 + len(body)) + body + struct.pack('<I', logon_h)
            out[name] = raw(buf, None)
        body = good
        out['ropSizeTooLarge'] = raw(struct.pack('<H', 2 + len(body) + 40) + body + struct.pack('<I', logon_h), None)
        out['sessionAlive'] = alive()
        self.out['bad'] = out

    def s_connect_checks(self):
        """EcDoConnectEx rules (MS-OXCRPC 3.1.4.1): each attempt on the same association, session freed after."""
        a = self.a
        out = {}
        other = a.dn.rsplit('=', 1)[0] + '=' + 'someoneelse'
        cases = [
            ('otherUsersDn', dict(user_dn=other)),
            ('outlook2007', dict(user_dn=a.dn, version=[0x000C, 0x183E, 0x03E8])),
            ('outlook2013', dict(user_dn=a.dn, version=O.version_words(15, 0, 4420, 1017))),
            ('tooOld', dict(user_dn=a.dn, version=[0x0006, 0x0FA0, 0x0000])),
            ('cbAuxIn5', dict(user_dn=a.dn, aux_raw=b'\0' * 5)),
            ('pcbAuxOutTooBig', dict(user_dn=a.dn, aux_out=0x1009)),
            ('auxInTooBig', dict(user_dn=a.dn, aux_raw=b'\0' * 0x1009)),
        ]
        for name, kw in cases:
            s = O.Session(self.dce)
            try:
                info = s.connect(**kw)
                out[name] = {'ErrorCode': 0, 'bestVersion': info['bestVersion']}
                out[name]['disconnect'] = s.disconnect()['ErrorCode']
            except O.EcError as e:
                out[name] = {'ErrorCode': '0x%08X' % e.code}
            except O.RpcFault as e:
                out[name] = {'fault': str(e)}
        out['sessionAlive'] = self.s.dummy() == 0
        self.out['connectChecks'] = out

    def s_opnums(self):
        out = {}
        for op in (0, 2, 3, 5, 7, 8, 9, 12, 13):
            try:
                self.dce.call(op, b'')
                ans = self.dce.recv()
                out[str(op)] = {'answer': ans.hex()}
            except Exception as e:
                out[str(op)] = {'fault': str(e)}
        out['dummyAfter'] = self.s.dummy()
        self.out['opnums'] = out
