"""Constants and helpers shared by outlook_start.py and its step modules, and by messages_day.py and cached_mode.py
(StepError, StepRun with run_and_exit, fs)."""
import json
import os
import struct
import sys
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocemsmdb as O
import props as P
import rops as R

# property tags
PidTagEntryId = 0x0FFF0102
PidTagDisplayName = 0x3001001F
PidTagComment = 0x3004001F
PidTagFolderId = 0x67480014
PidTagParentFolderId = 0x67490014
PidTagMid = 0x674A0014
PidTagInstID = 0x674D0014
PidTagInstanceNum = 0x674E0003
PidTagRowType = 0x0FF50003
PidTagDepth = 0x30050003
PidTagSubfolders = 0x360A000B
PidTagContentCount = 0x36020003
PidTagContentUnreadCount = 0x36030003
PidTagContainerClass = 0x3613001F
PidTagFolderType = 0x36010003
PidTagSubject = 0x0037001F
PidTagMessageDeliveryTime = 0x0E060040
PidTagMessageClass = 0x001A001F
PidTagMessageFlags = 0x0E070003
PidTagContentCountCat = 0x36020003

STORE_PROPS = {
    'PidTagDisplayName': PidTagDisplayName, 'PidTagMailboxOwnerName': 0x661C001F,
    'PidTagMailboxOwnerEntryId': 0x661B0102, 'PidTagUserEntryId': 0x66190102,
    'PidTagIpmSubtreeEntryId': 0x35E00102, 'PidTagIpmOutboxEntryId': 0x35E20102,
    'PidTagIpmWastebasketEntryId': 0x35E30102, 'PidTagIpmSentMailEntryId': 0x35E40102,
    'PidTagViewsEntryId': 0x35E50102, 'PidTagCommonViewsEntryId': 0x35E60102, 'PidTagFinderEntryId': 0x35E70102,
    'PidTagValidFolderMask': 0x35DF0003, 'PidTagStoreSupportMask': 0x340D0003, 'PidTagStoreState': 0x340E0003,
    'PidTagEntryId': PidTagEntryId,
}
FOLDER_SPECIAL_PROPS = {
    'PidTagIpmAppointmentEntryId': 0x36D00102, 'PidTagIpmContactEntryId': 0x36D10102,
    'PidTagIpmJournalEntryId': 0x36D20102, 'PidTagIpmNoteEntryId': 0x36D30102, 'PidTagIpmTaskEntryId': 0x36D40102,
    'PidTagRemindersOnlineEntryId': 0x36D50102, 'PidTagIpmDraftsEntryId': 0x36D70102,
    'PidTagAdditionalRenEntryIds': 0x36D81102, 'PidTagAdditionalRenEntryIdsEx': 0x36D90102,
    'PidTagFreeBusyEntryIds': 0x36E41102,
    'PidTagDisplayName': PidTagDisplayName, 'PidTagFolderId': PidTagFolderId, 'PidTagEntryId': PidTagEntryId,
    'PidTagContainerClass': PidTagContainerClass, 'PidTagFolderType': PidTagFolderType,
}
LOGON_FOLDER_NAMES = ['Root', 'DeferredAction', 'SpoolerQueue', 'IpmSubtree', 'Inbox', 'Outbox', 'SentItems',
                      'DeletedItems', 'CommonViews', 'Schedule', 'Finder', 'Views', 'Shortcuts']
HIER_COLUMNS = [PidTagFolderId, PidTagParentFolderId, PidTagDisplayName, PidTagSubfolders, PidTagContentCount,
                PidTagContentUnreadCount, PidTagContainerClass, PidTagFolderType, PidTagEntryId]
HIER_NAMES = ['FolderId', 'ParentFolderId', 'DisplayName', 'Subfolders', 'ContentCount', 'ContentUnreadCount',
              'ContainerClass', 'FolderType', 'EntryId']

PS_PUBLIC_STRINGS = uuid.UUID('00020329-0000-0000-c000-000000000046')
PSETID_Common = uuid.UUID('00062008-0000-0000-c000-000000000046')
PSETID_Appointment = uuid.UUID('00062002-0000-0000-c000-000000000046')
PS_MAPI = uuid.UUID('00020328-0000-0000-c000-000000000046')

ERR_NAMES = {0x8004010F: 'ecNotFound', 0x80040102: 'ecNotSupported', 0x80070005: 'ecAccessDenied',
             0x80040111: 'ecLoginFailure', 0x000004B9: 'ecNullObject', 0x80040104: 'ecNoDelete?',
             0x00040380: 'ecWarnWithErrors', 0x80040116: 'ecObjectDeleted?'}


class StepError(Exception):
    pass


class StepRun:
    """The step loop of a run: self.out = {ok, steps: [{name, ok, ms, error?}], errors: [{step, trace}]}; a step not in
    a.steps (when given) is skipped, a failing one is recorded with the last TRACE_LINES lines of its traceback."""
    TRACE_LINES = 6

    def __init__(self, a):
        self.a = a
        self.out = {'ok': True, 'steps': [], 'errors': []}

    def step(self, name, fn):
        if self.a.steps and name not in self.a.steps:
            return
        t0 = time.time()
        try:
            fn()
            self.out['steps'].append({'name': name, 'ok': True, 'ms': int((time.time() - t0) * 1000)})
        except Exception as e:
            self.out['ok'] = False
            self.out['steps'].append({'name': name, 'ok': False, 'error': '%s: %s' % (type(e).__name__, e),
                                      'ms': int((time.time() - t0) * 1000)})
            self.out['errors'].append({'step': name, 'trace': traceback.format_exc().splitlines()[-self.TRACE_LINES:]})

    def run_and_exit(self):
        """Runs the whole run (self.run(), defined by the subclass), prints its result as one JSON line on stdout and
        ends the process, exit status 0 when it is ok. An exception out of run() fails the run with its traceback (the
        last TRACE_LINES lines) under step 'run'. os._exit: a wait thread may still block on its socket."""
        try:
            out = self.run()
        except Exception:
            out = self.out
            out['ok'] = False
            out['errors'].append({'step': 'run', 'trace': traceback.format_exc().splitlines()[-self.TRACE_LINES:]})
        print(json.dumps(P.jsonable(out)))
        sys.stdout.flush()
        os._exit(0 if out['ok'] else 1)


def fs(v):
    return P.fid_str(v) if isinstance(v, int) else v


def parse_folder_entryid(b):
    """MS-OXCDATA 2.2.4.1 Folder EntryID (46 bytes)"""
    b = bytes(b)
    d = {'hex': b.hex()}
    if len(b) != 46:
        d['error'] = 'length %d != 46' % len(b)
        return d
    d['Flags'] = struct.unpack_from('<I', b, 0)[0]
    d['ProviderUID'] = str(uuid.UUID(bytes_le=b[4:20]))
    d['FolderType'] = struct.unpack_from('<H', b, 20)[0]
    d['DatabaseGuid'] = str(uuid.UUID(bytes_le=b[22:38]))
    d['GlobalCounter'] = int.from_bytes(b[38:44], 'big')
    d['Pad'] = struct.unpack_from('<H', b, 44)[0]
    return d


def tbl_rows(resp, names):
    out = []
    for row in resp:
        out.append({n: v for n, v in zip(names, row['values'])})
    return out
