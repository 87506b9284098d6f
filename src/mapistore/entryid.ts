// MS-OXCDATA 2.2.4.1 Folder EntryID and 2.2.4.2 Message EntryID of a private mailbox, from src/mapi/entryid.ts
// under the names the store uses.
export { privateFolderEntryId as folderEntryId, privateMessageEntryId as messageEntryId } from '../mapi/entryid.js';
