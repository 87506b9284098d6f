// MS-OXOSFLD 2.2 / MS-OXCSTOR 2.2.1.1.3: the folders every private mailbox has, created on first logon, in
// creation order (a parent before its children).
import type { SpecialFolderName } from './types.js';
import { FOLDER_GENERIC, FOLDER_ROOT, FOLDER_SEARCH } from './types.js';

export interface SpecialFolderDef {
  key: SpecialFolderName;
  parent: SpecialFolderName | null;
  displayName: string;
  containerClass?: string;
  folderType: number;
  hidden?: boolean;
}

export const SPECIAL_FOLDERS: readonly SpecialFolderDef[] = [
  { key: 'root', parent: null, displayName: 'Root Container', folderType: FOLDER_ROOT },
  { key: 'deferredAction', parent: 'root', displayName: 'Deferred Action', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'spoolerQueue', parent: 'root', displayName: 'Spooler Queue', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'ipmSubtree', parent: 'root', displayName: 'Top of Information Store', folderType: FOLDER_GENERIC },
  { key: 'inbox', parent: 'ipmSubtree', displayName: 'Inbox', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'outbox', parent: 'ipmSubtree', displayName: 'Outbox', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'sentItems', parent: 'ipmSubtree', displayName: 'Sent Items', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'deletedItems', parent: 'ipmSubtree', displayName: 'Deleted Items', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'commonViews', parent: 'root', displayName: 'Common Views', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'schedule', parent: 'root', displayName: 'Schedule', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'finder', parent: 'root', displayName: 'Finder', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'views', parent: 'root', displayName: 'Views', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'shortcuts', parent: 'root', displayName: 'Shortcuts', folderType: FOLDER_GENERIC, hidden: true },
  { key: 'drafts', parent: 'ipmSubtree', displayName: 'Drafts', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'calendar', parent: 'ipmSubtree', displayName: 'Calendar', containerClass: 'IPF.Appointment', folderType: FOLDER_GENERIC },
  { key: 'contacts', parent: 'ipmSubtree', displayName: 'Contacts', containerClass: 'IPF.Contact', folderType: FOLDER_GENERIC },
  { key: 'tasks', parent: 'ipmSubtree', displayName: 'Tasks', containerClass: 'IPF.Task', folderType: FOLDER_GENERIC },
  { key: 'notes', parent: 'ipmSubtree', displayName: 'Notes', containerClass: 'IPF.StickyNote', folderType: FOLDER_GENERIC },
  { key: 'journal', parent: 'ipmSubtree', displayName: 'Journal', containerClass: 'IPF.Journal', folderType: FOLDER_GENERIC },
  { key: 'junk', parent: 'ipmSubtree', displayName: 'Junk E-mail', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'syncIssues', parent: 'ipmSubtree', displayName: 'Sync Issues', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'conflicts', parent: 'syncIssues', displayName: 'Conflicts', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'localFailures', parent: 'syncIssues', displayName: 'Local Failures', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  { key: 'serverFailures', parent: 'syncIssues', displayName: 'Server Failures', containerClass: 'IPF.Note', folderType: FOLDER_GENERIC },
  // search folders: Reminders (MS-OXORMDR 2.2.2.2) and the To-Do search folder (MS-OXOSFLD 2.2.6) live under the root
  { key: 'reminders', parent: 'root', displayName: 'Reminders', containerClass: 'Outlook.Reminder', folderType: FOLDER_SEARCH, hidden: true },
  { key: 'todoSearch', parent: 'root', displayName: 'To-Do Search', containerClass: 'IPF.Task', folderType: FOLDER_SEARCH, hidden: true },
];

/** Receive folders set on provisioning (MAPI default receive folders; MS-OXCSTOR 3.2.5.2). */
export const DEFAULT_RECEIVE_FOLDERS: readonly [string, SpecialFolderName][] = [
  ['', 'inbox'],
  ['IPM', 'inbox'],
  ['Report.IPM', 'inbox'],
  ['IPC', 'root'],
];

/** MS-OXOSFLD 2.2.4 PidTagAdditionalRenEntryIds value order. */
export const ADDITIONAL_REN_ORDER: readonly SpecialFolderName[] = ['conflicts', 'syncIssues', 'localFailures', 'serverFailures', 'junk'];

/** MS-OXOSFLD 2.2.4 PersistData block ids (PidTagAdditionalRenEntryIdsEx). */
export const RSF_PID_TODO_SEARCH = 0x8004;
export const RSF_ELID_ENTRYID = 0x0001;
export const PERSIST_SENTINEL = 0x0000;
/** Ends the PersistElement list of a block. */
export const ELEMENT_SENTINEL = 0x0000;

/** PidTagAdditionalRenEntryIdsEx with one PersistData block per (persistId, entryId) and the sentinel. */
export function persistDataBlocks(blocks: readonly [number, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [pid, eid] of blocks) {
    const elem = Buffer.alloc(4 + eid.length + 4);
    elem.writeUInt16LE(RSF_ELID_ENTRYID, 0);
    elem.writeUInt16LE(eid.length, 2);
    eid.copy(elem, 4);
    elem.writeUInt16LE(ELEMENT_SENTINEL, 4 + eid.length); // ElementDataSize 0 follows
    const head = Buffer.alloc(4);
    head.writeUInt16LE(pid, 0);
    head.writeUInt16LE(elem.length, 2);
    parts.push(head, elem);
  }
  parts.push(Buffer.from([PERSIST_SENTINEL, 0, 0, 0]));
  return Buffer.concat(parts);
}
