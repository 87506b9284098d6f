// MS-OXCFOLD search-folder ROPs: RopSetSearchCriteria (2.2.1.4, 3.2.5.4) and RopGetSearchCriteria (2.2.1.5, 3.2.5.5)
// on a Folder object that is a search folder (RopCreateFolder FolderType 2). The store keeps the criteria and the
// folder's contents (src/mapistore/backends/local/search.ts); the handlers check the input and map the answers.
//
// Choices where the spec leaves room:
// - a folder that is not a search folder answers ecNotSearchFolder (0x00000461) before the request is looked at
//   further, so a bad restriction on a generic folder still says "not a search folder";
// - a restriction past the limits (the codec's RestrictionTooComplex) or one the evaluator refuses (RELOP_RE,
//   PT_UNSPECIFIED) is ecTooComplex; RestrictionDataSize 0 or FolderIdCount 0 on the first call ecNotInitialized;
//   a scope folder of another replica, the search folder itself or another search folder
//   ecSearchFolderScopeViolation; an unknown scope folder ecNotFound; STOP+RESTART or RECURSIVE+SHALLOW ecInvalidParam;
// - rights: a delegate needs FolderOwner on the search folder and ReadAny (or FolderOwner) on each scope folder,
//   else ecAccessDenied (the mailbox owner has every right);
// - RopGetSearchCriteria on a search folder never given criteria answers ecNotInitialized (as IMAPIContainer's
//   GetSearchCriteria does); UseUnicode 0 turns the restriction's PT_UNICODE tags into PT_STRING8 (and 1 the other
//   way), so the client gets the string width it asked for; LogonId echoes the request's.
import { MV_FLAG, PT, propType, withType, type TaggedValue } from '../../mapi/props.js';
import type { RopRestriction } from '../../mapi/ropres.js';
import { SEARCH_EC, FOLDER_SEARCH } from '../../mapistore/types.js';
import { TAG } from '../../mapistore/tags.js';
import type { RopSetSearchCriteriaRequest } from '../codec/RopSetSearchCriteria.js';
import type { RopGetSearchCriteriaRequest, RopGetSearchCriteriaResponse } from '../codec/RopGetSearchCriteria.js';
import { ec } from '../ec.js';
import type { RopContext, RopHandlerEntry, RopRequestHeader, RopResult } from '../types.js';
import { checkedLogon, folderRights, FolderObject, guard, RIGHTS, type LogonObject, type MailboxHandlerDeps } from './objects.js';

// MS-OXCROPS 2.2.4.4 / 2.2.4.5 RopIds
export const SEARCH_ROP = { RopSetSearchCriteria: 0x30, RopGetSearchCriteria: 0x31 } as const;

/** The folder object of the call, with its logon checked against the request's LogonId. */
function folderOf(req: RopRequestHeader, ctx: RopContext): { folder: FolderObject; logon: LogonObject } | undefined {
  const logon = checkedLogon(req, ctx);
  const folder = ctx.input;
  if (!logon || !(folder instanceof FolderObject) || folder.logon !== logon) return undefined;
  return { folder, logon };
}

/** ecNotSearchFolder unless `fid` is a search folder (PidTagFolderType 2). */
async function isSearchFolder(logon: LogonObject, fid: bigint): Promise<boolean> {
  const [t] = await logon.store.getFolderProps(fid, [TAG.FolderType]);
  return t !== undefined && 'value' in t && t.value === FOLDER_SEARCH;
}

/** A string tag in the width asked for (PT_STRING8 / PT_UNICODE and their multi-valued forms); others unchanged. */
function widthTag(tag: number, unicode: boolean): number {
  const t = propType(tag);
  const base = t & ~MV_FLAG;
  if (base !== PT.STRING8 && base !== PT.UNICODE) return tag;
  return withType(tag, (t & MV_FLAG) | (unicode ? PT.UNICODE : PT.STRING8));
}

const widthValue = (v: TaggedValue, unicode: boolean): TaggedValue => ({ tag: widthTag(v.tag, unicode), value: v.value });

/** The restriction with every string property tag in one width (RopGetSearchCriteria UseUnicode). */
export function restrictionInWidth(r: RopRestriction, unicode: boolean): RopRestriction {
  switch (r.type) {
    case 'and':
    case 'or':
      return { type: r.type, res: r.res.map((x) => restrictionInWidth(x, unicode)) } as RopRestriction;
    case 'not':
      return { type: 'not', res: restrictionInWidth(r.res, unicode) } as RopRestriction;
    case 'sub':
      return { type: 'sub', subObject: r.subObject, res: restrictionInWidth(r.res, unicode) } as RopRestriction;
    case 'count':
      return { type: 'count', count: r.count, res: restrictionInWidth(r.res, unicode) };
    case 'comment':
      return { type: 'comment', values: r.values.map((v) => widthValue(v, unicode)), res: r.res ? restrictionInWidth(r.res, unicode) : null };
    case 'content':
      return { ...r, propTag: widthTag(r.propTag, unicode), value: widthValue(r.value, unicode) };
    case 'property':
      return { ...r, propTag: widthTag(r.propTag, unicode), value: widthValue(r.value, unicode) };
    case 'compareProps':
      return { ...r, propTag1: widthTag(r.propTag1, unicode), propTag2: widthTag(r.propTag2, unicode) };
    case 'bitmask':
    case 'size':
    case 'exist':
      return { ...r, propTag: widthTag(r.propTag, unicode) };
  }
}

export function createSearchHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();

  // MS-OXCFOLD 3.2.5.4 RopSetSearchCriteria
  m.set(SEARCH_ROP.RopSetSearchCriteria, {
    inputKinds: ['folder'],
    handle: async (req: RopSetSearchCriteriaRequest, ctx: RopContext): Promise<RopResult<Record<string, never>>> => {
      const f = folderOf(req, ctx);
      if (!f) return { ec: ec.NullObject };
      return guard(ctx, async () => {
        const { folder, logon } = f;
        if (!(await isSearchFolder(logon, folder.fid))) return { ec: SEARCH_EC.NotSearchFolder };
        if (req.RestrictionTooComplex) {
          ctx.log.info({ rop: 'RopSetSearchCriteria' }, 'search restriction too complex');
          return { ec: ec.TooComplex };
        }
        if (((await folderRights(logon, folder.fid)) & RIGHTS.FolderOwner) === 0) return { ec: ec.AccessDenied };
        for (const fid of req.FolderIds) {
          if (!(await logon.store.folderExists(fid))) continue; // the store answers ecNotFound / scope violation
          if (((await folderRights(logon, fid)) & (RIGHTS.ReadAny | RIGHTS.FolderOwner)) === 0) return { ec: ec.AccessDenied };
        }
        await logon.store.setSearchCriteria(folder.fid, {
          restriction: req.Restriction ?? null,
          folderIds: req.FolderIds,
          searchFlags: req.SearchFlags,
        });
        return { ec: ec.Success, response: {} };
      });
    },
  });

  // MS-OXCFOLD 3.2.5.5 RopGetSearchCriteria
  m.set(SEARCH_ROP.RopGetSearchCriteria, {
    inputKinds: ['folder'],
    handle: async (req: RopGetSearchCriteriaRequest, ctx: RopContext): Promise<RopResult<RopGetSearchCriteriaResponse>> => {
      const f = folderOf(req, ctx);
      if (!f) return { ec: ec.NullObject };
      return guard(ctx, async () => {
        const c = await f.logon.store.getSearchCriteria(f.folder.fid);
        if (!c) return { ec: SEARCH_EC.NotInitialized };
        const res: RopGetSearchCriteriaResponse = {
          ...(req.IncludeRestriction !== 0 ? { Restriction: restrictionInWidth(c.restriction, req.UseUnicode !== 0) } : { RestrictionData: Buffer.alloc(0) }),
          LogonId: req.LogonId,
          FolderIds: req.IncludeFolders !== 0 ? c.folderIds : [],
          SearchFlags: c.searchState,
        };
        return { ec: ec.Success, response: res };
      });
    },
  });

  return m;
}
