#!/usr/bin/python3
"""An ordinary day in Outlook over EMSMDB (MS-OXCRPC, impacket DCE/RPC at PKT_PRIVACY): issue 6's acceptance
scenario, driven by this project's own client (written from the specs, independently of src/), printing one JSON
document a vitest test checks step by step.

  messages_day.py --host 127.0.0.1 --epm-port P -p PASSWORD -d TEST
                  --a-user alice --a-dn DN --a-smtp ADDR --b-user bob --b-dn DN --b-smtp ADDR
                  --c-smtp ADDR --external external@example.org [--body-bytes N] [--steps a,b,...]

Users: A (the sender) has one session; B has two sessions at the same time (B1: EcDoAsyncConnectEx, an
EcDoAsyncWaitEx waiting on a second association bound to AsyncEMSMDB, RopRegisterNotification for new mail on the
whole store; B2: the second session of the same user, for read flags, delegate access to A's mailbox and rules).

Steps (each in `steps` [{name, ok, ms, error?}], its data under out[name]):
  connect      EcDoConnectEx + RopLogon for A, B1, B2; B1's EcDoAsyncConnectEx and the AsyncEMSMDB association;
               B1's RopRegisterNotification (NewMail, whole store).
  compose      A: RopCreateMessage in Drafts; RopModifyRecipients with three rows (To: B as an X500DN row with its
               address-book EntryID in PidTagRecipientEntryId; Cc: C's SMTP address; Bcc: an external SMTP address,
               both with one-off EntryIDs); two attachments by value (PidTagAttachDataBinary written through RopOpenStream /
               RopWriteStream in 4 KB chunks / RopCommitStream); one embedded message (RopOpenEmbeddedMessage
               Create, subject and body); a body of --body-bytes (5 MiB) as PidTagBody_W written in 4 KB
               RopWriteStream chunks, several per EcDoRpcExt2; RopSaveChangesMessage; release.
  readBack     A: RopOpenMessage again; recipients from the RopOpenMessage rows and RopReadRecipients; the body
               through RopReadStream (0xBABE, chained payloads, as Outlook reads); four RopReadStream in one ROP
               buffer (multiRead); the attachment table, each attachment's data, the embedded message.
  submit       B1's EcDoAsyncWaitEx is started (and seen still waiting), A: RopSubmitMessage. B1's wait completes
               (latency from the submit measured); B1's next EcDoRpcExt2 carries RopNotify (NewMail); B1 finds the
               message in its Inbox, opens it (attachments, the whole body, recipients); A's copy is in Sent
               Items and gone from Drafts; what A's Inbox holds afterwards (senderInbox: the external Bcc's NDR).
  readFlags    B2 RopSetMessageReadFlag (read) -> B1's contents table shows MSGFLAG_READ; B1 RopSetReadFlags
               (rfClearReadFlag) -> B2's contents table shows it unread.
  permissions  A: an appointment in its Calendar, RopGetPermissionsTable, RopModifyPermissions (AddRow with B's
               address-book EntryID, Reviewer rights); B2: RopLogon with A's DN (LogonId 1), RopOpenFolder Calendar,
               contents table; A's Inbox refused; A: RopModifyPermissions RemoveRow (PidTagMemberId); B2 reopens the
               Calendar: ecAccessDenied.
  search       B2: RopCreateFolder (FOLDER_SEARCH) under the Finder folder, RopSetSearchCriteria over the Inbox
               (subject contains 'report'), RopGetSearchCriteria; A sends a matching message: it appears; B2
               changes its subject: it disappears.
  rules        B2: a folder 'From A' under the Inbox, RopModifyRules on the Inbox (sender is A -> OP_MOVE to it),
               RopGetRulesTable; A sends a message: it lands in 'From A', not in the Inbox; the rule is removed.
  disconnect   every session released and EcDoDisconnect; B1's pending wait ends.

Output: one JSON object on the last line (FIDs/MIDs as "RRRR-GGGGGGGGGGGG"); errors carry the server's answer.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocemsmdb as O
import props as P
import rops as R
import rops_msg as M
from start_common import StepError, StepRun, fs

# ---------------------------------------------------------------- property tags (MS-OXPROPS)
PidTagEntryId = 0x0FFF0102
PidTagSubject = 0x0037001F
PidTagMessageClass = 0x001A001F
PidTagMessageFlags = 0x0E070003
PidTagHasAttachments = 0x0E1B000B
PidTagMid = 0x674A0014
PidTagFolderId = 0x67480014
PidTagBody = 0x1000001F
PidTagDisplayName = 0x3001001F
PidTagSenderEmailAddress = 0x0C1F001F
PidTagSenderSmtpAddress = 0x5D01001F
PidTagSenderName = 0x0C1A001F
PidTagSentMailSvrEID = 0x674000FB
PidTagIpmAppointmentEntryId = 0x36D00102
PidTagAttachNumber = 0x0E210003
PidTagAttachMethod = 0x37050003
PidTagAttachLongFilename = 0x3707001F
PidTagAttachFilename = 0x3704001F
PidTagAttachDataBinary = 0x37010102
PidTagAttachSize = 0x0E200003
PidTagDisplayType = 0x39000003
PidTagSmtpAddress = 0x39FE001F
PidTagRecipientDisplayName = 0x5FF6001F
PidTagRecipientOrder = 0x5FDF0003
PidTagRecipientEntryId = 0x5FF70102
PidTagMemberId = 0x66710014
PidTagMemberName = 0x6672001F
PidTagMemberRights = 0x66730003
PidTagRuleId = 0x66740014
PidTagRuleSequence = 0x66760003
PidTagRuleState = 0x66770003
PidTagRuleUserFlags = 0x66780003
PidTagRuleCondition = 0x667900FD
PidTagRuleActions = 0x668000FE
PidTagRuleProvider = 0x6681001F
PidTagRuleName = 0x6682001F
PidTagRuleLevel = 0x66830003

MSGFLAG_READ = 0x0001
MSGFLAG_HASATTACH = 0x0010
AFBYVALUE, AFEMBEDDEDMESSAGE = 1, 5
ROLE_REVIEWER = 0x00000401   # MS-OXCPERM 2.2.7: ReadAny | FolderVisible
ST_ENABLED = 0x00000001      # MS-OXORULE 2.2.1.3.1.3 PidTagRuleState
OP_MOVE = 0x01
FOLDER_SEARCH = 2            # MS-OXCFOLD 2.2.1.2 RopCreateFolder FolderType
RESTART_SEARCH = 0x00000002  # MS-OXCFOLD 2.2.1.4.1 SearchFlags

ecAccessDenied = 0x80070005
ERR_NAMES = {0x80040102: 'ecNotSupported', 0x80040FFF: 'ecNotImplemented', 0x80070005: 'ecAccessDenied',
             0x8004010F: 'ecNotFound', 0x000004B9: 'ecNullObject', 0x80040111: 'ecLoginFailure',
             0x80040301: 'ecInvalidObject?', 0x000003F2: 'ecLoginPerm', 0x000003EB: 'ecUnknownUser',
             0x80070057: 'ecInvalidParam', 0x80040108: 'ecObjectModified', 0x80040604: 'ecDuplicateName'}

LOGON_FOLDERS = ['Root', 'DeferredAction', 'SpoolerQueue', 'IpmSubtree', 'Inbox', 'Outbox', 'SentItems',
                 'DeletedItems', 'CommonViews', 'Schedule', 'Finder', 'Views', 'Shortcuts']
# Drafts is not among the 13 logon folders: its entry id is PidTagIpmDraftsEntryId on the root / Inbox
PidTagIpmDraftsEntryId = 0x36D70102

# MS-OXCDATA 2.2.5.2 Address Book EntryID / 2.2.5.1 One-Off EntryID
AB_PROVIDER = bytes.fromhex('dca740c8c042101ab4b908002b2fe182')
ONEOFF_PROVIDER = bytes.fromhex('812b1fa4bea310199d6e00dd010f5402')


def rvs(rv):
    return '0x%08X' % rv


def attachment_table(i, o):
    """RopGetAttachmentTable (MS-OXCROPS 2.2.6.17) of the object in slot i into slot o: a get_table of Client.table_rows."""
    return M.RopGetAttachmentTable(0, in_index=i, out_index=o)


def ab_entryid(dn):
    return b'\0' * 4 + AB_PROVIDER + struct.pack('<II', 1, 0) + dn.encode('latin-1') + b'\0'


def oneoff_entryid(display, addrtype, address):
    # Flags 0, ProviderUID, Version 0, then the flags word (MAPI_UNICODE | no rich info), UTF-16 strings
    return (b'\0' * 4 + ONEOFF_PROVIDER + struct.pack('<HH', 0, 0x9001) + P.strw(display) + P.strw(addrtype) +
            P.strw(address))


def server_eid(fid, mid=0, instance=0):
    """MS-OXCDATA 2.2.4.2 / MS-OXORULE 2.2.5.1.2.1.1 ServerEid: Ours = 1, FolderId, MessageId, Instance."""
    return struct.pack('<BQQI', 1, fid, mid, instance)


def fid_from_entryid(eid, repl_id):
    """MS-OXCDATA 2.2.4.1 Folder EntryID: the GlobalCounter at bytes 38..44 (replica of the logon)."""
    if len(eid) != 46:
        raise StepError('folder entry id of %d bytes' % len(eid))
    return P.make_fid(repl_id, int.from_bytes(eid[38:44], 'big'))


def body_text(nbytes):
    """Deterministic UTF-16LE text of exactly nbytes (even): ASCII words, accented letters, CJK, line breaks,
    and a line number in every line so that no two 4 KB chunks are alike (a misplaced chunk shows)."""
    words = ['report', 'Zürich', 'naïve', '€100', '東京', 'Ωmega', 'line', 'café', 'ß', 'data', 'mail']
    parts = []
    n = 0
    i = 0
    while n < nbytes // 2:
        w = words[(i * 7 + i // 11) % len(words)]
        if i % 13 == 0:
            w = '[%06d] %s' % (i // 13, w)
        sep = '\r\n' if i % 13 == 12 else ' '
        parts.append(w + sep)
        n += len(w) + len(sep)
        i += 1
    s = ''.join(parts)[:nbytes // 2]
    b = s.encode('utf-16-le')
    assert len(b) == nbytes
    return b


def blob(n, seed):
    """Deterministic binary attachment data of n bytes (a simple LCG: every byte value occurs)."""
    out = bytearray(n)
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---------------------------------------------------------------- one client session

class Client:
    def __init__(self, run, name, user, dn):
        self.run = run
        self.name = name
        self.user = user
        self.dn = dn
        self.s = None
        self.m = None
        self.fids = {}
        self.repl_id = 1

    def connect(self):
        a = self.run.a
        self.dce = O.connect_dce(a.host, a.port, self.user, a.password, a.domain, 6)
        self.s = O.Session(self.dce, pcb_out=0x8000)
        self.m = O.Mapi(self.s)
        info = self.s.connect(self.dn)
        r = self.one(lambda i: R.RopLogon(self.dn, logon_flags=0x01, open_flags=0x01000000 | 0x04,
                                          out_index=i['logon']), outs=['logon'], what='RopLogon')
        self.fids = dict(zip(LOGON_FOLDERS, r['FolderIds']))
        self.repl_id = r['ReplId']
        for n in ('Root', 'Inbox'):
            self.one(lambda i, n=n: R.RopOpenFolder(self.fids[n], in_index=i['logon'], out_index=i[n]),
                     ['logon'], [n], what='open ' + n)
        special = self.props('Root', [PidTagIpmDraftsEntryId, PidTagIpmAppointmentEntryId])
        self.fids['Drafts'] = fid_from_entryid(special[0], self.repl_id)
        self.fids['Calendar'] = fid_from_entryid(special[1], self.repl_id)
        return {'ErrorCode': info['ErrorCode'], 'szDisplayName': info['szDisplayName'],
                'folders': {k: fs(v) for k, v in self.fids.items()}}

    # -- helpers
    def ok(self, resp, what=''):
        if resp is None:
            raise StepError('%s %s: no response' % (self.name, what))
        if resp['ReturnValue'] != 0:
            rv = resp['ReturnValue']
            raise StepError('%s: %s %s returned %s %s' % (self.name, what, resp['name'], rvs(rv),
                                                          ERR_NAMES.get(rv, '')))
        return resp

    def one(self, build, objs=(), outs=(), what=''):
        return self.ok(self.m.one(build, objs, outs), what)

    def many(self, build, objs=(), outs=(), what=''):
        resp = self.m.run(build, objs, outs)
        for r in resp:
            if r.get('RopId') in (0x2A, 0x6E) or r.get('name') == 'unparsed':
                continue
            self.ok(r, what)
        return resp

    def notifications(self, resp):
        return [x for x in resp if x.get('RopId') == 0x2A]

    def props(self, obj, tags, what='props'):
        r = self.one(lambda i: R.RopGetPropertiesSpecific(tags, in_index=i[obj]), [obj], what=what)
        return r['RowData']['values']

    def release(self, *names):
        self.m.release(*names)

    def open_folder(self, fid, name, logon='logon', logon_id=0):
        return self.m.one(lambda i: R.RopOpenFolder(fid, in_index=i[logon], out_index=i[name], logon_id=logon_id),
                          [logon], [name])

    def table_rows(self, obj, get_table, columns, name, count=100, logon_id=0, what='table'):
        """get_table(in_index, out_index) opens a table of `obj` as `name`; RopSetColumns `columns`, one RopQueryRows of
        up to `count` rows, the table released: the rows' values."""
        resp = self.many(lambda i: [get_table(i[obj], i[name]),
                                    R.RopSetColumns(columns, in_index=i[name], logon_id=logon_id),
                                    R.RopQueryRows(count, columns, in_index=i[name], logon_id=logon_id)],
                         [obj], [name], what=what)
        self.release(name)
        q = [x for x in resp if x.get('RopId') == 0x15][0]
        return [row['values'] for row in q['RowData']]

    def contents(self, folder_obj, columns, logon_id=0, what='contents'):
        rows = self.table_rows(folder_obj, lambda i, o: R.RopGetContentsTable(0, in_index=i, out_index=o, logon_id=logon_id),
                               columns, 'ct', 1000, logon_id, what)
        return [dict(zip(columns, values)) for values in rows]

    def folder_rows(self, fid, columns, name='tmpf'):
        r = self.open_folder(fid, name)
        self.ok(r, 'open folder %s' % fs(fid))
        try:
            return self.contents(name, columns)
        finally:
            self.release(name)

    def write_stream(self, obj, tag, data, chunk=4096, per_call=7, open_mode=M.STREAM_CREATE):
        """RopOpenStream, RopWriteStream in `chunk`-byte pieces (`per_call` per EcDoRpcExt2), RopCommitStream."""
        self.one(lambda i: M.RopOpenStream(tag, open_mode, in_index=i[obj], out_index=i['stm']), [obj], ['stm'],
                 what='RopOpenStream 0x%08X' % tag)
        calls = 0
        written = 0
        pieces = [data[k:k + chunk] for k in range(0, len(data), chunk)]
        for k in range(0, len(pieces), per_call):
            batch = pieces[k:k + per_call]
            resp = self.many(lambda i, batch=batch: [M.RopWriteStream(p, in_index=i['stm']) for p in batch],
                             ['stm'], what='RopWriteStream')
            calls += 1
            for p, r in zip(batch, [x for x in resp if x.get('RopId') == 0x2D]):
                if r['WrittenSize'] != len(p):
                    raise StepError('%s: RopWriteStream wrote %d of %d bytes' % (self.name, r['WrittenSize'], len(p)))
                written += r['WrittenSize']
        self.one(lambda i: M.RopCommitStream(in_index=i['stm']), ['stm'], what='RopCommitStream')
        self.release('stm')
        return {'written': written, 'writes': len(pieces), 'calls': calls}

    def read_stream(self, obj, tag, logon_id=0, max_per_call=0x3C000):
        """RopOpenStream (read-only), then RopReadStream the way Outlook reads large values: one ROP per
        EcDoRpcExt2 with ByteCount 0xBABE and a large MaximumByteCount, pulFlags Chain and pcbOut 0x40000, so that
        the server answers with several chained payloads (MS-OXCRPC 3.1.4.2, 4.3), each a RopReadStream response
        with the next bytes. Returns (StreamSize, data, calls, payloads)."""
        r = self.one(lambda i: M.RopOpenStream(tag, M.STREAM_READONLY, in_index=i[obj], out_index=i['rstm'],
                                               logon_id=logon_id), [obj], ['rstm'], what='RopOpenStream(read)')
        size = r['StreamSize']
        buf = bytearray()
        calls = payloads = 0
        h = self.m.h['rstm']
        while len(buf) < size:
            rop = M.RopReadStream(0xBABE, min(size - len(buf), max_per_call), in_index=0, logon_id=logon_id)
            res = self.s.rpc_raw(R.build_rop_buffer([rop], [h]), pcb_out=0x40000)
            calls += 1
            got = 0
            for ext in res['exts']:
                part = R.split_response_payload(ext['payload'], [rop])
                payloads += 1
                for x in part['responses']:
                    if x['RopId'] != 0x2C:
                        raise StepError('%s: RopReadStream answered %s' % (self.name, x['name']))
                    self.ok(x, 'RopReadStream')
                    buf += x['Data']
                    got += x['DataSize']
            if got == 0:
                break
            if calls > 10000:
                raise StepError('RopReadStream does not end')
        self.release('rstm')
        return size, bytes(buf), calls, payloads


# ---------------------------------------------------------------- the run

class Run(StepRun):
    TRACE_LINES = 8

    def __init__(self, a):
        StepRun.__init__(self, a)
        self.A = self.B1 = self.B2 = None
        self.wait_box = {}

    def attempt(self, fn):
        """Runs a part of a step whose failure should not hide the checks after it: 'ok' or its error."""
        try:
            fn()
            return 'ok'
        except Exception as e:
            self.out['ok'] = False
            msg = '%s: %s' % (type(e).__name__, e)
            self.out['errors'].append({'step': 'part', 'trace': [msg]})
            return msg

    def data(self, name):
        return self.out.setdefault(name, {})

    # ---- connect
    def s_connect(self):
        a = self.a
        d = self.data('connect')
        binding = O.epm_lookup(a.host, a.epm_port)
        a.port = O.port_from_binding(binding)
        d['port'] = a.port
        self.A = Client(self, 'A', a.a_user, a.a_dn)
        self.B1 = Client(self, 'B1', a.b_user, a.b_dn)
        self.B2 = Client(self, 'B2', a.b_user, a.b_dn)
        for c in (self.A, self.B1, self.B2):
            d[c.name] = c.connect()
        # B1: the asynchronous context handle and a second association bound to AsyncEMSMDB (MS-OXCRPC 3.3.4.1)
        err, self.acxh = self.B1.s.async_connect()
        d['EcDoAsyncConnectEx'] = err
        if err != 0:
            raise StepError('EcDoAsyncConnectEx returned 0x%08X' % err)
        self.async_dce = O.connect_dce(a.host, a.port, a.b_user, a.password, a.domain, 6, O.MSRPC_UUID_ASYNCEMSMDB)
        # B1: new-mail notifications for the whole store (MS-OXCNOTIF 2.2.1.2.1)
        r = self.B1.one(lambda i: M.RopRegisterNotification(M.NF_NEWMAIL, True, in_index=i['logon'],
                                                            out_index=i['notif']), ['logon'], ['notif'],
                        what='RopRegisterNotification')
        d['notificationHandle'] = self.B1.m.h.get('notif')
        d['sameStore'] = self.A.fids['Inbox'] != 0 and self.B1.fids['Inbox'] == self.B2.fids['Inbox']

    # ---- compose
    def recipients(self):
        a = self.a
        # MS-OXCMSG 2.2.3.5.1: RecipientColumns leave out what the RecipientRow's fixed part carries (PidTagEntryId
        # among them): the entry ID goes in PidTagRecipientEntryId, as Outlook sends it (MS-OXCMSG 4.7.1)
        cols = [PidTagRecipientEntryId, PidTagSmtpAddress, PidTagRecipientDisplayName, PidTagDisplayType,
                PidTagRecipientOrder]
        rows = [
            {'RowId': 0, 'RecipientType': M.MAPI_TO, 'Row': {
                'Flags': M.RT_X500DN | M.RF_D | M.RF_U, 'AddressPrefixUsed': 0, 'DisplayType': 0, 'X500DN': a.b_dn,
                'DisplayName': a.b_user,
                'Values': [ab_entryid(a.b_dn), a.b_smtp, a.b_user, 0, 0]}},
            {'RowId': 1, 'RecipientType': M.MAPI_CC, 'Row': {
                'Flags': M.RT_SMTP | M.RF_E | M.RF_D | M.RF_U, 'EmailAddress': a.c_smtp, 'DisplayName': 'Carol C',
                'Values': [oneoff_entryid('Carol C', 'SMTP', a.c_smtp), a.c_smtp, 'Carol C', 0, 1]}},
            {'RowId': 2, 'RecipientType': M.MAPI_BCC, 'Row': {
                'Flags': M.RT_SMTP | M.RF_E | M.RF_D | M.RF_U, 'EmailAddress': a.external,
                'DisplayName': 'External Person',
                'Values': [oneoff_entryid('External Person', 'SMTP', a.external), a.external, 'External Person', 6, 2]}},
        ]
        return cols, rows

    def s_compose(self):
        A = self.A
        d = self.data('compose')
        a = self.a
        self.subject1 = 'Quarterly report with attachments'
        self.body = body_text(a.body_bytes)
        self.att_data = [blob(70000, 1), blob(1234, 2)]   # one over a 64 KiB chunk, one small
        self.att_names = ['figures.bin', 'notes.txt']
        self.emb_subject = 'Embedded: minutes of the meeting'
        self.emb_body = 'The embedded message body.\r\nSecond line é€.'
        drafts = A.fids['Drafts']
        A.one(lambda i: R.RopOpenFolder(drafts, in_index=i['logon'], out_index=i['Drafts']), ['logon'], ['Drafts'],
              what='open Drafts')
        r = A.one(lambda i: M.RopCreateMessage(drafts, in_index=i['Drafts'], out_index=i['msg']), ['Drafts'], ['msg'],
                  what='RopCreateMessage')
        d['CreateMessage'] = {'HasMessageId': r['HasMessageId']}
        A.one(lambda i: R.RopSetProperties([(PidTagMessageClass, 'IPM.Note'), (PidTagSubject, self.subject1),
                                            (PidTagSentMailSvrEID, server_eid(A.fids['SentItems']))],
                                           in_index=i['msg']), ['msg'], what='SetProperties')
        cols, rows = self.recipients()
        self.recip_cols, self.recip_rows = cols, rows
        A.one(lambda i: M.RopModifyRecipients(cols, rows, in_index=i['msg']), ['msg'], what='RopModifyRecipients')
        # two attachments by value, data through streams
        d['attachments'] = []
        for data, fname in zip(self.att_data, self.att_names):
            r = A.one(lambda i: M.RopCreateAttachment(in_index=i['msg'], out_index=i['att']), ['msg'], ['att'],
                      what='RopCreateAttachment')
            num = r['AttachmentID']
            A.one(lambda i, fname=fname: R.RopSetProperties([(PidTagAttachMethod, AFBYVALUE),
                                                             (PidTagAttachLongFilename, fname),
                                                             (PidTagAttachFilename, fname)], in_index=i['att']),
                  ['att'], what='attachment props')
            w = A.write_stream('att', PidTagAttachDataBinary, data)
            A.one(lambda i: M.RopSaveChangesAttachment(in_index=i['att'], response_index=i['msg']), ['att', 'msg'],
                  what='RopSaveChangesAttachment')
            A.release('att')
            d['attachments'].append({'AttachmentID': num, 'size': len(data), 'stream': w})
        # one embedded message
        r = A.one(lambda i: M.RopCreateAttachment(in_index=i['msg'], out_index=i['att']), ['msg'], ['att'],
                  what='RopCreateAttachment (embedded)')
        d['embeddedAttachmentID'] = r['AttachmentID']
        A.one(lambda i: R.RopSetProperties([(PidTagAttachMethod, AFEMBEDDEDMESSAGE),
                                            (PidTagDisplayName, self.emb_subject)], in_index=i['att']),
              ['att'], what='embedded attachment props')
        r = A.one(lambda i: M.RopOpenEmbeddedMessage(open_mode=2, in_index=i['att'], out_index=i['emb']), ['att'],
                  ['emb'], what='RopOpenEmbeddedMessage(Create)')
        d['embeddedMessageId'] = fs(r['MessageId'])
        A.one(lambda i: R.RopSetProperties([(PidTagMessageClass, 'IPM.Note'), (PidTagSubject, self.emb_subject),
                                            (PidTagBody, self.emb_body)], in_index=i['emb']), ['emb'],
              what='embedded props')
        A.one(lambda i: M.RopSaveChangesMessage(in_index=i['emb'], response_index=i['emb']), ['emb'],
              what='RopSaveChangesMessage (embedded)')
        A.release('emb')
        A.one(lambda i: M.RopSaveChangesAttachment(in_index=i['att'], response_index=i['msg']), ['att', 'msg'],
              what='RopSaveChangesAttachment (embedded)')
        A.release('att')
        # the 5 MB body in 4 KB chunks
        t0 = time.time()
        d['body'] = A.write_stream('msg', PidTagBody, self.body)
        d['body']['ms'] = int((time.time() - t0) * 1000)
        d['body']['sha256'] = sha(self.body)
        r = A.one(lambda i: M.RopSaveChangesMessage(in_index=i['msg'], response_index=i['msg']), ['msg'],
                  what='RopSaveChangesMessage')
        self.mid1 = r['MessageId']
        d['MessageId'] = fs(self.mid1)
        A.release('msg')

    # ---- read back
    def s_read_back(self):
        A = self.A
        d = self.data('readBack')
        drafts = A.fids['Drafts']
        r = A.one(lambda i: M.RopOpenMessage(drafts, self.mid1, open_mode=0, in_index=i['Drafts'], out_index=i['msg']),
                  ['Drafts'], ['msg'], what='RopOpenMessage')
        cols = r['RecipientColumns']
        d['OpenMessage'] = {'RecipientCount': r['RecipientCount'], 'RowsInResponse': len(r['RecipientRows']),
                            'NormalizedSubject': r['NormalizedSubject'], 'SubjectPrefix': r['SubjectPrefix'],
                            'RecipientColumns': ['0x%08X' % t for t in cols]}
        rr = A.one(lambda i: M.RopReadRecipients(0, cols, in_index=i['msg']), ['msg'], what='RopReadRecipients')
        d['recipients'] = self.compare_recipients(r['RecipientRows'], rr['RecipientRows'], cols)
        # properties
        vals = A.props('msg', [PidTagSubject, PidTagMessageClass, PidTagMessageFlags, PidTagHasAttachments])
        d['props'] = P.jsonable({'Subject': vals[0], 'MessageClass': vals[1], 'MessageFlags': vals[2],
                                 'HasAttachments': vals[3]})
        # body
        t0 = time.time()
        size, body, calls, payloads = A.read_stream('msg', PidTagBody)
        d['body'] = {'StreamSize': size, 'read': len(body), 'calls': calls, 'payloads': payloads,
                     'ms': int((time.time() - t0) * 1000), 'identical': body == self.body, 'sha256': sha(body)}
        if body != self.body:
            d['body']['firstDiff'] = next((k for k in range(min(len(body), len(self.body)))
                                           if body[k] != self.body[k]), min(len(body), len(self.body)))
        # several RopReadStream in one buffer (MS-OXCROPS 2.2.1, 3.1.4.2.1.1): each is answered, or the ones that
        # do not fit come back in RopBufferTooSmall and are sent again; the bytes follow on from each other
        d['multiRead'] = {}

        def multi():
            A.one(lambda i: M.RopOpenStream(PidTagBody, M.STREAM_READONLY, in_index=i['msg'], out_index=i['mstm']),
                  ['msg'], ['mstm'], what='RopOpenStream(read)')
            try:
                resp = A.many(lambda i: [M.RopReadStream(0x3000, in_index=i['mstm']) for _ in range(4)], ['mstm'],
                              what='4 x RopReadStream')
            finally:
                A.release('mstm')
            data = b''.join(x['Data'] for x in resp if x.get('RopId') == 0x2C)
            d['multiRead'].update({'responses': sum(1 for x in resp if x.get('RopId') == 0x2C), 'bytes': len(data),
                                   'identical': data == self.body[:len(data)],
                                   'bufferTooSmall': A.s.stats['buffer_too_small']})
        d['multiRead']['result'] = self.attempt(multi)
        # attachment table
        tcols = [PidTagAttachNumber, PidTagAttachMethod, PidTagAttachLongFilename, PidTagAttachSize]
        rows = [dict(zip(['AttachNumber', 'AttachMethod', 'AttachLongFilename', 'AttachSize'], x))
                for x in A.table_rows('msg', attachment_table, tcols, 'at', what='attachment table')]
        d['attachmentTable'] = P.jsonable(rows)
        d['attachments'] = []
        for row in rows:
            num = row['AttachNumber']
            A.one(lambda i, num=num: M.RopOpenAttachment(num, 0, in_index=i['msg'], out_index=i['att']), ['msg'],
                  ['att'], what='RopOpenAttachment %s' % num)
            if row['AttachMethod'] == AFEMBEDDEDMESSAGE:
                A.one(lambda i: M.RopOpenEmbeddedMessage(open_mode=0, in_index=i['att'], out_index=i['emb']),
                      ['att'], ['emb'], what='RopOpenEmbeddedMessage(ReadOnly)')
                v = A.props('emb', [PidTagSubject, PidTagBody, PidTagMessageClass])
                d['embedded'] = P.jsonable({'Subject': v[0], 'Body': v[1], 'MessageClass': v[2],
                                            'identical': v[0] == self.emb_subject and v[1] == self.emb_body})
                A.release('emb')
            else:
                size, data, _, _ = A.read_stream('att', PidTagAttachDataBinary)
                k = self.att_names.index(row['AttachLongFilename']) if row['AttachLongFilename'] in self.att_names \
                    else -1
                d['attachments'].append({'AttachNumber': num, 'name': row['AttachLongFilename'], 'StreamSize': size,
                                         'read': len(data),
                                         'identical': k >= 0 and data == self.att_data[k]})
            A.release('att')
        A.release('msg')

    def compare_recipients(self, open_rows, read_rows, cols):
        """The rows as written versus as RopOpenMessage / RopReadRecipients return them (fixed fields and every
        column written, looked up by tag in the server's RecipientColumns)."""
        out = {'openRows': len(open_rows), 'readRows': len(read_rows), 'rows': []}
        by_id = {x['RowId']: x for x in read_rows}
        for k, w in enumerate(self.recip_rows):
            got = by_id.get(w['RowId'])
            row = {'RowId': w['RowId']}
            if got is None:
                row['missing'] = True
                out['rows'].append(row)
                continue
            wr = w['Row']
            diffs = []
            if got['RecipientType'] & 0x0F != w['RecipientType']:
                diffs.append('RecipientType %d != %d' % (got['RecipientType'], w['RecipientType']))
            if got['Type'] != wr['Flags'] & M.RECIP_TYPE_MASK:
                diffs.append('Type %d != %d' % (got['Type'], wr['Flags'] & M.RECIP_TYPE_MASK))
            for f in ('X500DN', 'EmailAddress', 'DisplayName'):
                if f not in wr:
                    continue
                have = got.get(f)
                want = wr[f]
                if f == 'X500DN' and have is not None:
                    # MS-OXCDATA 2.8.3.1: the server may leave out the first AddressPrefixUsed bytes of the DN
                    # (a prefix shared with the logon's DN); DNs compare case-insensitively
                    have = (wr[f][:got.get('AddressPrefixUsed', 0)] + have).lower()
                    want = want.lower()
                if have != want:
                    diffs.append('%s %r != %r' % (f, have, want))
            vals = dict(zip(cols, got['Values']))
            for tag, want in zip(self.recip_cols, wr['Values']):
                if tag not in vals:
                    diffs.append('column 0x%08X not returned' % tag)
                elif vals[tag] != want:
                    diffs.append('column 0x%08X %r != %r' % (tag, P.jsonable(vals[tag]), P.jsonable(want)))
            row['diffs'] = diffs
            # the open-message rows are the same rows (as many as fit)
            if k < len(open_rows):
                o = open_rows[k]
                row['openMatchesRead'] = {x: o.get(x) for x in ('Flags', 'DisplayName', 'X500DN', 'EmailAddress')} == \
                    {x: got.get(x) for x in ('Flags', 'DisplayName', 'X500DN', 'EmailAddress')} and \
                    o['Values'] == got['Values']
            out['rows'].append(row)
        return out

    # ---- submit and the new-mail notification
    def start_wait(self):
        return O.start_async_wait(self.async_dce, self.acxh)

    def drain(self, c):
        """One EcDoRpcExt2 (RopGetStoreState) on c: returns the RopNotify blocks appended to its answer."""
        resp = c.m.run(lambda i: [R.RopGetStoreState(in_index=i['logon'])], ['logon'])
        return [x for x in resp if x.get('RopId') == 0x2A]

    def poll(self, fn, timeout=5.0, every=0.1):
        end = time.time() + timeout
        while True:
            v = fn()
            if v or time.time() > end:
                return v
            time.sleep(every)

    def send(self, subject, body='hello', to_b=True):
        """A sends a short message to B (EX recipient) from Drafts; returns the draft's MID."""
        A = self.A
        a = self.a
        drafts = A.fids['Drafts']
        A.one(lambda i: M.RopCreateMessage(drafts, in_index=i['Drafts'], out_index=i['m2']), ['Drafts'], ['m2'],
              what='RopCreateMessage')
        A.one(lambda i: R.RopSetProperties([(PidTagMessageClass, 'IPM.Note'), (PidTagSubject, subject),
                                            (PidTagBody, body),
                                            (PidTagSentMailSvrEID, server_eid(A.fids['SentItems']))],
                                           in_index=i['m2']), ['m2'], what='SetProperties')
        cols, rows = self.recipients()
        A.one(lambda i: M.RopModifyRecipients(cols, rows[:1], in_index=i['m2']), ['m2'], what='RopModifyRecipients')
        r = A.one(lambda i: M.RopSaveChangesMessage(in_index=i['m2'], response_index=i['m2']), ['m2'],
                  what='RopSaveChangesMessage')
        A.one(lambda i: M.RopSubmitMessage(0, in_index=i['m2']), ['m2'], what='RopSubmitMessage')
        A.release('m2')
        return r['MessageId']

    def find_subject(self, c, fid, subject):
        rows = c.folder_rows(fid, [PidTagMid, PidTagSubject, PidTagMessageFlags])
        return [r for r in rows if r[PidTagSubject] == subject]

    def s_submit(self):
        A, B1 = self.A, self.B1
        d = self.data('submit')
        # nothing queued for B1 before the wait starts
        d['drainedBefore'] = len(self.drain(B1))
        box = self.wait_box = self.start_wait()
        time.sleep(0.3)
        d['waitPendingBeforeSubmit'] = 'done' not in box
        drafts = A.fids['Drafts']
        A.one(lambda i: M.RopOpenMessage(drafts, self.mid1, open_mode=1, in_index=i['Drafts'], out_index=i['msg']),
              ['Drafts'], ['msg'], what='RopOpenMessage(ReadWrite)')
        t_submit = time.time()
        A.one(lambda i: M.RopSubmitMessage(0, in_index=i['msg']), ['msg'], what='RopSubmitMessage')
        d['submitMs'] = int((time.time() - t_submit) * 1000)
        A.release('msg')
        box['thread'].join(5.0)
        if 'done' in box:
            d['EcDoAsyncWaitEx'] = box.get('r') or {'error': box.get('e')}
            d['waitLatencyMs'] = int((box['done'] - t_submit) * 1000)
        else:
            d['EcDoAsyncWaitEx'] = 'pending after 5 s'
        # B1's next EcDoRpcExt2 carries the RopNotify
        notes = self.drain(B1)
        d['notifications'] = [P.jsonable({k: v for k, v in n.items() if k != 'raw'}) for n in notes]
        for n in d['notifications']:
            n['NotificationData'].pop('_fields', None)
        nm = [n for n in notes if n['NotificationData']['NotificationType'] == 'NewMail']
        d['newMail'] = bool(nm)
        if nm:
            nd = nm[0]['NotificationData']
            d['newMailInfo'] = {'FolderId': fs(nd.get('FolderId')), 'MessageId': fs(nd.get('MessageId')),
                                'inInbox': nd.get('FolderId') == B1.fids['Inbox'],
                                'NotificationHandle': nm[0]['NotificationHandle'],
                                'MessageClass': nd.get('MessageClass')}
        # B1 finds the message in its Inbox
        found = self.poll(lambda: self.find_subject(B1, B1.fids['Inbox'], self.subject1), 3.0)
        d['inboxMatches'] = len(found)
        if found:
            self.b_mid1 = found[0][PidTagMid]
            d['inboxMid'] = fs(self.b_mid1)
            if nm:
                d['newMailInfo']['sameMessage'] = nm[0]['NotificationData'].get('MessageId') == self.b_mid1
            d['delivered'] = self.inspect_delivered(B1, B1.fids['Inbox'], self.b_mid1)
        # A's copy is in Sent Items and no longer in Drafts
        sent = self.poll(lambda: self.find_subject(A, A.fids['SentItems'], self.subject1), 3.0)
        d['sentItemsMatches'] = len(sent)
        d['draftsMatchesAfter'] = len(self.find_subject(A, A.fids['Drafts'], self.subject1))
        # for the record: what A's Inbox holds now (the external Bcc recipient has no SMTP relay in this run)
        rows = A.folder_rows(A.fids['Inbox'], [PidTagMid, PidTagSubject, PidTagMessageClass])
        d['senderInbox'] = [{'Subject': r[PidTagSubject], 'MessageClass': r[PidTagMessageClass]} for r in rows]

    def inspect_delivered(self, c, fid, mid):
        out = {}
        c.one(lambda i: R.RopOpenFolder(fid, in_index=i['logon'], out_index=i['df']), ['logon'], ['df'],
              what='open folder')
        r = c.one(lambda i: M.RopOpenMessage(fid, mid, open_mode=0, in_index=i['df'], out_index=i['dm']), ['df'],
                  ['dm'], what='RopOpenMessage (delivered)')
        out['RecipientCount'] = r['RecipientCount']
        v = c.props('dm', [PidTagSubject, PidTagMessageFlags, PidTagHasAttachments, PidTagSenderName,
                           PidTagSenderEmailAddress, PidTagSenderSmtpAddress])
        out.update(P.jsonable({'Subject': v[0], 'MessageFlags': v[1], 'HasAttachments': v[2], 'SenderName': v[3],
                               'SenderEmailAddress': v[4], 'SenderSmtpAddress': v[5]}))
        tcols = [PidTagAttachNumber, PidTagAttachMethod, PidTagAttachLongFilename]
        rows = c.table_rows('dm', attachment_table, tcols, 'at', what='attachment table (delivered)')
        out['attachments'] = sorted([str(x[2]) if x[1] == AFBYVALUE else 'embedded' for x in rows])
        size, body, _, _ = c.read_stream('dm', PidTagBody)
        out['body'] = {'StreamSize': size, 'identical': body == self.body}
        c.release('dm', 'df')
        return out

    # ---- read flags across two sessions of B
    def read_flag_of(self, c, mid):
        rows = c.folder_rows(c.fids['Inbox'], [PidTagMid, PidTagMessageFlags])
        for r in rows:
            if r[PidTagMid] == mid:
                return r[PidTagMessageFlags]
        raise StepError('%s: message %s not in the Inbox' % (c.name, fs(mid)))

    def s_read_flags(self):
        B1, B2 = self.B1, self.B2
        d = self.data('readFlags')
        mid = self.b_mid1
        d['before'] = {'B1': self.read_flag_of(B1, mid) & MSGFLAG_READ, 'B2': self.read_flag_of(B2, mid) & MSGFLAG_READ}
        inbox = B2.fids['Inbox']
        B2.one(lambda i: M.RopOpenMessage(inbox, mid, open_mode=1, in_index=i['Inbox'], out_index=i['rm']),
               ['Inbox'], ['rm'], what='RopOpenMessage')
        r = B2.one(lambda i: M.RopSetMessageReadFlag(0x01, in_index=i['rm'], response_index=i['rm']), ['rm'],
                   what='RopSetMessageReadFlag')
        d['SetMessageReadFlag'] = {'ReadStatusChanged': r['ReadStatusChanged']}
        B2.release('rm')
        d['afterSetInB2'] = {'B1': self.read_flag_of(B1, mid) & MSGFLAG_READ}
        r = B1.one(lambda i: M.RopSetReadFlags([mid], read_flags=0x04, in_index=i['Inbox']), ['Inbox'],
                   what='RopSetReadFlags(rfClearReadFlag)')
        d['SetReadFlags'] = {'PartialCompletion': r['PartialCompletion']}
        d['afterClearInB1'] = {'B2': self.read_flag_of(B2, mid) & MSGFLAG_READ}

    # ---- permissions on A's Calendar for B (delegate logon)
    def permission_rows(self, c, obj):
        cols = [PidTagMemberId, PidTagMemberName, PidTagMemberRights, PidTagEntryId]
        rows = c.table_rows(obj, lambda i, o: M.RopGetPermissionsTable(0, in_index=i, out_index=o), cols, 'pt',
                            what='permissions table')
        return [dict(zip(['MemberId', 'MemberName', 'MemberRights', 'EntryId'], x)) for x in rows]

    def s_permissions(self):
        A, B2 = self.A, self.B2
        a = self.a
        d = self.data('permissions')
        cal = A.fids['Calendar']
        d['calendar'] = fs(cal)
        A.one(lambda i: R.RopOpenFolder(cal, in_index=i['logon'], out_index=i['Cal']), ['logon'], ['Cal'],
              what='open Calendar')
        def appointment():
            A.one(lambda i: M.RopCreateMessage(cal, in_index=i['Cal'], out_index=i['appt']), ['Cal'], ['appt'],
                  what='RopCreateMessage (appointment)')
            A.one(lambda i: R.RopSetProperties([(PidTagMessageClass, 'IPM.Appointment'),
                                                (PidTagSubject, 'Team sync')], in_index=i['appt']), ['appt'],
                  what='appointment props')
            A.one(lambda i: M.RopSaveChangesMessage(in_index=i['appt'], response_index=i['appt']), ['appt'],
                  what='save appointment')
            A.release('appt')
        # the access checks below go on without it (the Calendar's contents are then empty)
        d['appointment'] = self.attempt(appointment)
        d['tableBefore'] = P.jsonable(self.permission_rows(A, 'Cal'))
        # B2: a second logon (LogonId 1) to A's mailbox
        r = B2.m.one(lambda i: R.RopLogon(a.a_dn, logon_flags=0x01, open_flags=0x01000000, logon_id=1,
                                          out_index=i['alogon']), outs=['alogon'])
        d['delegateLogon'] = rvs(r['ReturnValue'])
        B2.ok(r, 'RopLogon to A\'s mailbox')
        d['delegateLogonSameFolders'] = r['FolderIds'][4] == A.fids['Inbox']
        # before the grant: the Calendar is refused
        r = B2.open_folder(cal, 'aCal', 'alogon', 1)
        d['openBeforeGrant'] = rvs(r['ReturnValue'])
        if r['ReturnValue'] == 0:
            B2.release('aCal')
        # A grants Reviewer rights to B (MS-OXCPERM 2.2.5 AddRow with PidTagEntryId and PidTagMemberRights)
        A.one(lambda i: M.RopModifyPermissions([(M.PERM_ADD_ROW, [(PidTagEntryId, ab_entryid(a.b_dn)),
                                                                  (PidTagMemberRights, ROLE_REVIEWER)])],
                                               in_index=i['Cal']), ['Cal'], what='RopModifyPermissions(AddRow)')
        rows = self.permission_rows(A, 'Cal')
        d['tableAfterGrant'] = P.jsonable(rows)
        mine = [x for x in rows if x['EntryId'] == ab_entryid(a.b_dn) or
                (isinstance(x['MemberName'], str) and x['MemberName'].lower() == a.b_user.lower())]
        d['grantRow'] = P.jsonable(mine[0]) if mine else None
        # B2 opens A's Calendar and reads it
        r = B2.open_folder(cal, 'aCal', 'alogon', 1)
        d['openAfterGrant'] = rvs(r['ReturnValue'])
        B2.ok(r, 'RopOpenFolder(A\'s Calendar) after the grant')
        rows = B2.contents('aCal', [PidTagMid, PidTagSubject, PidTagMessageClass], logon_id=1,
                           what='A\'s Calendar contents')
        d['calendarSubjects'] = [x[PidTagSubject] for x in rows]
        B2.release('aCal')
        r = B2.open_folder(A.fids['Inbox'], 'aInbox', 'alogon', 1)
        d['openInboxNoRights'] = rvs(r['ReturnValue'])
        if r['ReturnValue'] == 0:
            B2.release('aInbox')
        # A revokes (RemoveRow by PidTagMemberId)
        if not mine:
            raise StepError('no permission row for B after the grant: %s' % d['tableAfterGrant'])
        member = mine[0]['MemberId']
        A.one(lambda i: M.RopModifyPermissions([(M.PERM_REMOVE_ROW, [(PidTagMemberId, member)])], in_index=i['Cal']),
              ['Cal'], what='RopModifyPermissions(RemoveRow)')
        d['tableAfterRevoke'] = P.jsonable(self.permission_rows(A, 'Cal'))
        A.release('Cal')
        r = B2.open_folder(cal, 'aCal', 'alogon', 1)
        d['openAfterRevoke'] = rvs(r['ReturnValue'])
        if r['ReturnValue'] == 0:
            B2.release('aCal')
        B2.release('alogon')

    # ---- search folder over B's Inbox
    def s_search(self):
        A, B2 = self.A, self.B2
        d = self.data('search')
        finder = B2.fids['Finder']
        B2.one(lambda i: R.RopOpenFolder(finder, in_index=i['logon'], out_index=i['Finder']), ['logon'], ['Finder'],
               what='open Finder')
        r = B2.one(lambda i: R.RopCreateFolder('Reports', 'subject contains report', folder_type=FOLDER_SEARCH,
                                               in_index=i['Finder'], out_index=i['sf']), ['Finder'], ['sf'],
                   what='RopCreateFolder(FOLDER_SEARCH)')
        self.search_fid = r['FolderId']
        d['FolderId'] = fs(self.search_fid)
        r = B2.m.one(lambda i: M.RopRegisterNotification(M.NF_SEARCHCOMPLETE, False, folder_id=self.search_fid,
                                                         in_index=i['logon'], out_index=i['sfn']), ['logon'], ['sfn'])
        d['registerSearchComplete'] = rvs(r['ReturnValue'])
        res = {'type': 'content', 'fuzzy_low': P.FL['substring'], 'fuzzy_high': P.FL['ignorecase'],
               'tag': PidTagSubject, 'value': (PidTagSubject, 'report')}
        inbox = B2.fids['Inbox']
        resp = B2.many(lambda i: [M.RopSetSearchCriteria(res, [inbox], RESTART_SEARCH, in_index=i['sf'])], ['sf'],
                       what='RopSetSearchCriteria')
        d['notesAfterSet'] = [n['NotificationData']['NotificationType'] for n in B2.notifications(resp)]
        r = B2.one(lambda i: M.RopGetSearchCriteria(in_index=i['sf']), ['sf'], what='RopGetSearchCriteria')
        d['criteria'] = {'FolderIds': [fs(x) for x in r['FolderIds']], 'SearchFlags': '0x%08X' % r['SearchFlags'],
                         'restrictionRoundTrip': r['Restriction'] == res, 'LogonId': r['LogonId']}
        cols = [PidTagMid, PidTagSubject]
        subjects = lambda: sorted(x[PidTagSubject] for x in B2.contents('sf', cols, what='search folder contents'))
        d['initial'] = self.poll(lambda: [s for s in subjects() if s == self.subject1], 3.0) and subjects()
        # a new matching message arrives
        self.subject2 = 'Weekly report %d' % int(time.time())
        self.send(self.subject2)
        d['afterNew'] = self.poll(lambda: self.subject2 in subjects() and subjects(), 5.0) or subjects()
        d['searchCompleteSeen'] = any(n['NotificationData']['NotificationType'] == 'SearchComplete'
                                      for n in self.drain(B2)) or 'SearchComplete' in d['notesAfterSet']
        # B2 changes it so it no longer matches
        found = self.find_subject(B2, inbox, self.subject2)
        if not found:
            raise StepError('the new message is not in B\'s Inbox')
        mid = found[0][PidTagMid]
        B2.one(lambda i: M.RopOpenMessage(inbox, mid, open_mode=1, in_index=i['Inbox'], out_index=i['cm']),
               ['Inbox'], ['cm'], what='RopOpenMessage(ReadWrite)')
        B2.one(lambda i: R.RopSetProperties([(PidTagSubject, 'Weekly summary')], in_index=i['cm']), ['cm'],
               what='SetProperties(subject)')
        B2.one(lambda i: M.RopSaveChangesMessage(in_index=i['cm'], response_index=i['cm']), ['cm'],
               what='RopSaveChangesMessage')
        B2.release('cm')
        d['afterChange'] = self.poll(lambda: self.subject2 not in subjects() and subjects(), 5.0) or subjects()
        d['changedStillInInbox'] = len(self.find_subject(B2, inbox, 'Weekly summary'))
        B2.release('sf', 'sfn', 'Finder')

    # ---- a rule that moves mail from A
    def s_rules(self):
        A, B2 = self.A, self.B2
        a = self.a
        d = self.data('rules')
        r = B2.one(lambda i: R.RopCreateFolder('From A', open_existing=True, in_index=i['Inbox'], out_index=i['fa']),
                   ['Inbox'], ['fa'], what='RopCreateFolder(From A)')
        fa = r['FolderId']
        d['folder'] = fs(fa)
        B2.release('fa')
        # MS-OXORULE 2.2.4 / 2.2.5: sender is A (its address-book address or its SMTP address), move to 'From A'
        cond = {'type': 'or', 'restrictions': [
            {'type': 'content', 'fuzzy_low': P.FL['fullstring'], 'fuzzy_high': P.FL['ignorecase'],
             'tag': PidTagSenderEmailAddress, 'value': (PidTagSenderEmailAddress, a.a_dn)},
            {'type': 'content', 'fuzzy_low': P.FL['fullstring'], 'fuzzy_high': P.FL['ignorecase'],
             'tag': PidTagSenderSmtpAddress, 'value': (PidTagSenderSmtpAddress, a.a_smtp)}]}
        actions = M.encode_rule_actions([M.rule_action_move(fa)])
        rule = [(PidTagRuleSequence, 10), (PidTagRuleState, ST_ENABLED), (PidTagRuleName, 'From A'),
                (PidTagRuleProvider, 'RuleOrganizer'), (PidTagRuleLevel, 0), (PidTagRuleUserFlags, 0),
                (PidTagRuleCondition, cond), (PidTagRuleActions, actions)]
        B2.one(lambda i: M.RopModifyRules([(M.RULE_ADD_ROW, rule)], in_index=i['Inbox']), ['Inbox'],
               what='RopModifyRules(AddRow)')
        cols = [PidTagRuleId, PidTagRuleName, PidTagRuleSequence, PidTagRuleState, PidTagRuleProvider,
                PidTagRuleCondition]
        rows = B2.table_rows('Inbox', lambda i, o: M.RopGetRulesTable(0, in_index=i, out_index=o), cols, 'rt',
                             what='rules table')
        d['rulesTable'] = [{'RuleId': fs(x[0]), 'RuleName': x[1], 'RuleSequence': x[2], 'RuleState': x[3],
                            'RuleProvider': x[4], 'conditionRoundTrip': x[5] == cond} for x in rows]
        mine = [x for x in rows if x[1] == 'From A']
        # A sends; the message lands in 'From A', not the Inbox
        self.subject3 = 'Rule test %d' % int(time.time())
        self.send(self.subject3)
        d['inFromA'] = len(self.poll(lambda: self.find_subject(B2, fa, self.subject3), 5.0))
        d['inInbox'] = len(self.find_subject(B2, B2.fids['Inbox'], self.subject3))
        if mine:
            rid = mine[0][0]
            r = B2.m.one(lambda i: M.RopModifyRules([(M.RULE_REMOVE_ROW, [(PidTagRuleId, rid)])], in_index=i['Inbox']),
                         ['Inbox'])
            d['remove'] = rvs(r['ReturnValue'])

    # ---- end
    def s_disconnect(self):
        d = self.data('disconnect')
        for c in (self.A, self.B1, self.B2):
            if c and c.s and c.s.cxh:
                c.m.release(*list(c.m.h))
                d[c.name] = c.s.disconnect()
                d[c.name + 'Stats'] = {k: c.s.stats[k] for k in ('calls', 'bytes_in', 'bytes_out', 'violations')}
        box = self.wait_box
        if box and 'thread' in box and 'done' not in box:
            box['thread'].join(3.0)
            d['pendingWaitEnded'] = 'done' in box

    def run(self):
        self.step('connect', self.s_connect)
        if not (self.A and self.B1 and self.B2 and self.B2.s):
            return self.out
        self.step('compose', self.s_compose)
        if hasattr(self, 'mid1'):
            self.step('readBack', self.s_read_back)
            self.step('submit', self.s_submit)
        if hasattr(self, 'b_mid1'):
            self.step('readFlags', self.s_read_flags)
        self.step('permissions', self.s_permissions)
        self.step('search', self.s_search)
        self.step('rules', self.s_rules)
        self.step('disconnect', self.s_disconnect)
        return self.out


def selftest():
    """Offline: the permission / rule / search builders against the MS-OXCPERM and MS-OXORULE section 4 requests."""
    import selftest_msg
    try:
        out = {'ok': True, 'detail': selftest_msg.t_perm_rule_vectors()}
    except Exception as e:
        out = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
    print(json.dumps(out))
    return 0 if out['ok'] else 1


def main():
    if sys.argv[1:] == ['--selftest']:
        sys.exit(selftest())
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--epm-port', type=int, required=True)
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    for who in ('a', 'b'):
        ap.add_argument('--%s-user' % who, required=True)
        ap.add_argument('--%s-dn' % who, required=True)
        ap.add_argument('--%s-smtp' % who, required=True)
    ap.add_argument('--c-smtp', required=True, help='a third local user\'s SMTP address (the Cc recipient)')
    ap.add_argument('--external', default='external@example.org')
    ap.add_argument('--body-bytes', type=int, default=5 * 1024 * 1024)
    ap.add_argument('--steps', type=lambda s: [x for x in s.split(',') if x], default=None)
    a = ap.parse_args()
    if a.steps is not None:
        a.steps = set(a.steps) | {'connect'}
    a.port = 0
    Run(a).run_and_exit()


if __name__ == '__main__':
    main()
