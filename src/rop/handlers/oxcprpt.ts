// MS-OXCPRPT 3.2.5 property ROPs on logon and folder objects (messages and attachments through prpt-target.ts
// once their objects exist): get specific/all/list, set, delete, copy, named-property mappings, RopProgress.
//
// Choices where the spec leaves room:
// - a value larger than PropertySizeLimit (nonzero), or one that keeps the response from fitting the output space,
//   is sent as the error NotEnoughMemory (0x8007000E) in its cell, largest values first (MS-OXCDATA 2.4.2);
// - WantUnicode decides the string type of PT_UNSPECIFIED requests and of every string in RopGetPropertiesAll;
// - a folder rename is RopSetProperties of PidTagDisplayName; a sibling of the same name is refused with a
//   PropertyProblem ecDuplicateName (MS-OXCFOLD 2.2.2.2.2.5: sibling display names are unique), the ROP succeeds;
// - RopGetPropertyIdsFromNames with no names on a logon returns the ids of every named property of the mailbox;
//   unresolved names get id 0 and ecWarnWithErrors (MS-OXCPRPT 3.2.5.8); names with Kind 0xFF are unresolved;
// - RopGetNamesFromPropertyIds: ids below 0x8000 are PS_MAPI names with LID = id; unknown ids get Kind 0xFF and
//   ecWarnWithErrors;
// - RopProgress: nothing runs asynchronously, so it answers Success with no tasks (0 of 0) for its logon.
import { PS_MAPI, type PropertyName } from '../../mapi/named.js';
import { NIL_GUID } from '../../util/guid.js';
import type { RopCopyPropertiesRequest } from '../codec/RopCopyProperties.js';
import type { RopCopyToRequest } from '../codec/RopCopyTo.js';
import type { RopDeletePropertiesRequest } from '../codec/RopDeleteProperties.js';
import type { RopGetNamesFromPropertyIdsRequest } from '../codec/RopGetNamesFromPropertyIds.js';
import type { RopGetPropertiesAllRequest } from '../codec/RopGetPropertiesAll.js';
import type { RopGetPropertiesSpecificRequest } from '../codec/RopGetPropertiesSpecific.js';
import type { RopGetPropertyIdsFromNamesRequest } from '../codec/RopGetPropertyIdsFromNames.js';
import type { RopProgressRequest } from '../codec/RopProgress.js';
import type { RopQueryNamedPropertiesRequest } from '../codec/RopQueryNamedProperties.js';
import type { RopSetPropertiesRequest } from '../codec/RopSetProperties.js';
import { ec } from '../ec.js';
import type { ObjectKind, RopContext, RopHandlerEntry, RopResult } from '../types.js';
import { guard, logonOf, type MailboxHandlerDeps } from './objects.js';
import { COPY_MOVE, COPY_NO_OVERWRITE, copyProperties, copyTo } from './prpt-copy.js';
import { propTargetOf, wireProblems, type PropTarget } from './prpt-target.js';
import { allValues, fitRow, fitValues, specificCells } from './prpt-values.js';

// MS-OXCROPS 2.2.8 RopIds
const ROP = {
  GetPropertiesSpecific: 0x07,
  GetPropertiesAll: 0x08,
  GetPropertiesList: 0x09,
  SetProperties: 0x0a,
  DeleteProperties: 0x0b,
  CopyTo: 0x39,
  Progress: 0x50,
  GetNamesFromPropertyIds: 0x55,
  GetPropertyIdsFromNames: 0x56,
  QueryNamedProperties: 0x5f,
  CopyProperties: 0x67,
  SetPropertiesNoReplicate: 0x79,
  DeletePropertiesNoReplicate: 0x7a,
} as const;

/** Objects with properties (MS-OXCPRPT 1.3). */
const PROP_OBJECTS: readonly ObjectKind[] = ['logon', 'folder', 'message', 'embeddedMessage', 'attachment'];

/** RopId + HandleIndex + ReturnValue. */
const RESPONSE_HEAD = 6;
/** MS-OXCPRPT 2.2.12.1 Flags: create the mapping. */
const MAPI_CREATE = 0x02;
// MS-OXCPRPT 2.2.13.1 QueryFlags
const NO_STRINGS = 0x01;
const NO_IDS = 0x02;
/** First id of the named-property range (MS-OXCPRPT 3.2.5.8). */
const NAMED_FIRST = 0x8000;

type Body = Record<string, unknown>;

function onProps<Req>(fn: (t: PropTarget, req: Req, ctx: RopContext) => Promise<RopResult<Body>> | RopResult<Body>): RopHandlerEntry {
  return {
    inputKinds: PROP_OBJECTS,
    handle: (req: Req, ctx: RopContext) => {
      const t = propTargetOf(ctx.input);
      if (!t) return { ec: ec.NotSupported };
      return guard(ctx, () => fn(t, req, ctx));
    },
  };
}

const validName = (n: PropertyName): boolean => (n.lid !== undefined) !== (n.name !== undefined);

async function setProps(t: PropTarget, req: RopSetPropertiesRequest): Promise<RopResult<Body>> {
  const problems = await t.set(req.PropertyValues);
  return { ec: ec.Success, response: { PropertyProblems: wireProblems(problems) } };
}

async function deleteProps(t: PropTarget, req: RopDeletePropertiesRequest): Promise<RopResult<Body>> {
  const problems = await t.delete(req.PropertyTags);
  return { ec: ec.Success, response: { PropertyProblems: wireProblems(problems) } };
}

/** The destination's property target, of the same kind as the source (MS-OXCPRPT 3.2.5.10/11). */
function destOf(src: PropTarget, ctx: RopContext, index: number): PropTarget | { ec: number } {
  const o = ctx.resolve(index);
  if (!o) return { ec: ec.DstNullObject };
  const d = propTargetOf(o);
  if (!d || d.kind !== src.kind) return { ec: ec.NotSupported };
  return d;
}

export function createPropertyHandlers(_deps: MailboxHandlerDeps): Map<number, RopHandlerEntry> {
  const m = new Map<number, RopHandlerEntry>();

  // MS-OXCPRPT 3.2.5.1 RopGetPropertiesSpecific
  m.set(
    ROP.GetPropertiesSpecific,
    onProps<RopGetPropertiesSpecificRequest>(async (t, req, ctx) => {
      const results = await t.get(req.PropertyTags);
      const cells = specificCells(req.PropertyTags, results, req.WantUnicode !== 0, req.PropertySizeLimit);
      const RowData = fitRow(req.PropertyTags, cells, ctx.codePage, ctx.outputSpace - RESPONSE_HEAD);
      return { ec: ec.Success, response: { RowData } };
    }),
  );

  // MS-OXCPRPT 3.2.5.2 RopGetPropertiesAll
  m.set(
    ROP.GetPropertiesAll,
    onProps<RopGetPropertiesAllRequest>(async (t, req, ctx) => {
      const values = allValues(await t.get(), req.WantUnicode !== 0, req.PropertySizeLimit);
      return { ec: ec.Success, response: { PropertyValues: fitValues(values, ctx.codePage, ctx.outputSpace - RESPONSE_HEAD) } };
    }),
  );

  // MS-OXCPRPT 3.2.5.3 RopGetPropertiesList
  m.set(ROP.GetPropertiesList, onProps(async (t) => ({ ec: ec.Success, response: { PropertyTags: await t.list() } })));

  // MS-OXCPRPT 3.2.5.4/3.2.5.5 RopSetProperties, RopSetPropertiesNoReplicate (no replication here: the same)
  m.set(ROP.SetProperties, onProps<RopSetPropertiesRequest>(setProps));
  m.set(ROP.SetPropertiesNoReplicate, onProps<RopSetPropertiesRequest>(setProps));

  // MS-OXCPRPT 3.2.5.6/3.2.5.7 RopDeleteProperties, RopDeletePropertiesNoReplicate
  m.set(ROP.DeleteProperties, onProps<RopDeletePropertiesRequest>(deleteProps));
  m.set(ROP.DeletePropertiesNoReplicate, onProps<RopDeletePropertiesRequest>(deleteProps));

  // MS-OXCPRPT 3.2.5.10 RopCopyProperties
  m.set(
    ROP.CopyProperties,
    onProps<RopCopyPropertiesRequest>(async (src, req, ctx) => {
      if (req.CopyFlags & ~(COPY_MOVE | COPY_NO_OVERWRITE)) return { ec: ec.InvalidParam };
      const dst = destOf(src, ctx, req.DestHandleIndex);
      if ('ec' in dst) return dst.ec === ec.DstNullObject ? { ec: dst.ec, response: { DestHandleIndex: req.DestHandleIndex } } : dst;
      const r = await copyProperties(src, dst, req.PropertyTags, req.CopyFlags);
      return r.ec === ec.Success ? { ec: r.ec, response: { PropertyProblems: wireProblems(r.problems) } } : { ec: r.ec };
    }),
  );

  // MS-OXCPRPT 3.2.5.11 RopCopyTo
  m.set(
    ROP.CopyTo,
    onProps<RopCopyToRequest>(async (src, req, ctx) => {
      if (req.CopyFlags & ~(COPY_MOVE | COPY_NO_OVERWRITE)) return { ec: ec.InvalidParam };
      const dst = destOf(src, ctx, req.DestHandleIndex);
      if ('ec' in dst) return dst.ec === ec.DstNullObject ? { ec: dst.ec, response: { DestHandleIndex: req.DestHandleIndex } } : dst;
      const r = await copyTo(src, dst, req.ExcludedTags, req.CopyFlags, req.WantSubObjects !== 0);
      return r.ec === ec.Success ? { ec: r.ec, response: { PropertyProblems: wireProblems(r.problems) } } : { ec: r.ec };
    }),
  );

  // MS-OXCPRPT 3.2.5.8 RopGetPropertyIdsFromNames
  m.set(
    ROP.GetPropertyIdsFromNames,
    onProps<RopGetPropertyIdsFromNamesRequest>(async (t, req, ctx) => {
      const store = t.store;
      if (req.PropertyNames.length === 0) {
        if (ctx.input.kind !== 'logon') return { ec: ec.InvalidParam };
        const all = await store.queryNamedProps();
        return { ec: ec.Success, response: { PropertyIds: all.map((x) => x.id) } };
      }
      const create = (req.Flags & MAPI_CREATE) !== 0;
      const idx: number[] = [];
      const names: PropertyName[] = [];
      req.PropertyNames.forEach((n, i) => {
        if (validName(n)) {
          idx.push(i);
          names.push(n);
        }
      });
      const ids = new Array<number>(req.PropertyNames.length).fill(0);
      const got = names.length > 0 ? await store.getNamedIds(names, create) : [];
      got.forEach((id, k) => (ids[idx[k] as number] = id));
      const ok = ids.every((id) => id !== 0);
      return { ec: ok ? ec.Success : ec.WarnWithErrors, response: { PropertyIds: ids } };
    }),
  );

  // MS-OXCPRPT 3.2.5.9 RopGetNamesFromPropertyIds
  m.set(
    ROP.GetNamesFromPropertyIds,
    onProps<RopGetNamesFromPropertyIdsRequest>(async (t, req) => {
      const named = req.PropertyIds.filter((id) => id >= NAMED_FIRST);
      const found = named.length > 0 ? await t.store.getNames(named) : [];
      const byId = new Map<number, PropertyName | null>();
      named.forEach((id, i) => byId.set(id, found[i] ?? null));
      let missing = false;
      const PropertyNames = req.PropertyIds.map((id): PropertyName => {
        if (id < NAMED_FIRST) return { guid: PS_MAPI, lid: id };
        const n = byId.get(id);
        if (n) return n;
        missing = true;
        return { guid: NIL_GUID };
      });
      return { ec: missing ? ec.WarnWithErrors : ec.Success, response: { PropertyNames } };
    }),
  );

  // MS-OXCPRPT 3.2.5.12 RopQueryNamedProperties
  m.set(
    ROP.QueryNamedProperties,
    onProps<RopQueryNamedPropertiesRequest>(async (t, req) => {
      const all = await t.store.queryNamedProps(req.PropertyGuid);
      const keep = all.filter((x) => !((req.QueryFlags & NO_STRINGS) && x.name.name !== undefined) && !((req.QueryFlags & NO_IDS) && x.name.lid !== undefined));
      return { ec: ec.Success, response: { PropertyIds: keep.map((x) => x.id), PropertyNames: keep.map((x) => x.name) } };
    }),
  );

  // MS-OXCPRPT 3.2.5.20 RopProgress: no asynchronous operation is ever in progress
  m.set(ROP.Progress, {
    inputKinds: 'any',
    handle: (req: RopProgressRequest, ctx: RopContext) => {
      if (!logonOf(ctx)) return { ec: ec.NullObject };
      return { ec: ec.Success, response: { LogonId: req.LogonId, CompletedTaskCount: 0, TotalTaskCount: 0 } };
    },
  });

  return m;
}
