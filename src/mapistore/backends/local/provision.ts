// First logon: the special folders of a private mailbox (MS-OXOSFLD 2.2, MS-OXCSTOR 2.2.1.1.3).
import type Database from 'better-sqlite3';
import type { PropValue } from '../../../mapi/props.js';
import { folderEntryId } from '../../entryid.js';
import { pclAfterChange } from '../../pcl.js';
import { encodeProps } from '../../propcodec.js';
import { ADDITIONAL_REN_ORDER, DEFAULT_RECEIVE_FOLDERS, RSF_PID_TODO_SEARCH, SPECIAL_FOLDERS, persistDataBlocks } from '../../special.js';
import { TAG } from '../../tags.js';
import type { SpecialFolderName } from '../../types.js';
import { g2n } from './helpers.js';
import { LOCAL_SCHEMA_VERSION } from './schema.js';

/** GLOBCNTs provisionMailbox needs / 2. */
export const PROVISION_IDS = SPECIAL_FOLDERS.length;

/**
 * MS-OXOSFLD 2.2: creates the special folders, their entry-ID properties and the default receive folders, with
 * the 2 * PROVISION_IDS GLOBCNTs from `first` (one ID and one CN per folder).
 */
export function provisionMailbox(db: Database.Database, mailboxGuid: string, replGuid: string, first: bigint): void {
  const n = SPECIAL_FOLDERS.length;
  const ins = db.prepare(
    'INSERT INTO folders (fid, parent, name, name_lc, folder_type, special, cn, created, modified, pcl, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const setMeta = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)');
  const now = Date.now();
  const fids = new Map<SpecialFolderName, number>();
  SPECIAL_FOLDERS.forEach((d, i) => fids.set(d.key, g2n(first) + i));
  const feid = (k: SpecialFolderName) => folderEntryId(mailboxGuid, replGuid, BigInt(fids.get(k) as number));
  // PR_IPM_*_ENTRYID and PidTagAdditionalRenEntryIds(Ex) on the root and the Inbox
  const ren = new Map<number, PropValue>([
    [TAG.IpmAppointmentEntryId, feid('calendar')],
    [TAG.IpmContactEntryId, feid('contacts')],
    [TAG.IpmJournalEntryId, feid('journal')],
    [TAG.IpmNoteEntryId, feid('notes')],
    [TAG.IpmTaskEntryId, feid('tasks')],
    [TAG.RemindersOnlineEntryId, feid('reminders')],
    [TAG.IpmDraftsEntryId, feid('drafts')],
    [TAG.AdditionalRenEntryIds, ADDITIONAL_REN_ORDER.map(feid)],
    [TAG.AdditionalRenEntryIdsEx, persistDataBlocks([[RSF_PID_TODO_SEARCH, feid('todoSearch')]])],
  ]);
  db.transaction(() => {
    SPECIAL_FOLDERS.forEach((d, i) => {
      const fid = fids.get(d.key) as number;
      const cn = first + BigInt(n + i);
      const props = new Map<number, PropValue>();
      if (d.containerClass) props.set(TAG.ContainerClass, d.containerClass);
      if (d.hidden) props.set(TAG.AttributeHidden, true);
      if (d.key === 'root' || d.key === 'inbox') for (const [t, v] of ren) props.set(t, v);
      ins.run(
        fid, d.parent === null ? null : (fids.get(d.parent) as number), d.displayName, d.displayName.toLowerCase(), d.folderType, d.key,
        g2n(cn), now, now, pclAfterChange(null, replGuid, cn), encodeProps(props),
      );
    });
    for (const [cls, k] of DEFAULT_RECEIVE_FOLDERS) {
      db.prepare('INSERT OR REPLACE INTO receive_folders (class_lc, class, fid, modified) VALUES (?, ?, ?, ?)').run(cls.toLowerCase(), cls, fids.get(k) as number, now);
    }
    setMeta.run('last_cn', String(g2n(first) + 2 * n - 1));
    setMeta.run('schema', String(LOCAL_SCHEMA_VERSION));
    setMeta.run('mailbox_guid', mailboxGuid);
    setMeta.run('provisioned', String(now));
  })();
}

