// The NSPI interface (MS-OXNSPI; opnums 17/18 as MS-NSPI defines them): the opnum table of idl.ts completed with
// handlers that convert the NDR values, call the address book model (src/nsp/ab) and convert back. The NSPI_HANDLE
// of NspiBind is a context handle of the association group holding the session. A handler that throws (a directory
// failure, a bug) is logged here once and answered GeneralFailure with its output parameters cleared.
import { NULL_HANDLE, type ContextHandle } from '../dcerpc/association.js';
import { AUTHN_LEVEL, FAULT } from '../dcerpc/constants.js';
import { defineInterface, op, RpcFault, type CallContext, type InterfaceDef, type OperationDef } from '../dcerpc/interface.js';
import { NSPI } from '../dcerpc/well-known.js';
import { MAPI_E } from '../mapi/props.js';
import { describeError } from '../util/errors.js';
import type { AddressBook } from './ab/addressbook.js';
import { NSPI_EC } from './ab/constants.js';
import { nspiDNToMId, nspiGetPropList, nspiGetProps, nspiModLinkAtt, nspiModProps } from './ab/ops-props.js';
import {
  nspiBind,
  nspiGetIDsFromNames,
  nspiGetNamesFromIDs,
  nspiGetSpecialTable,
  nspiGetTemplateInfo,
  nspiQueryColumns,
} from './ab/ops-session.js';
import {
  nspiCompareMIds,
  nspiGetMatches,
  nspiQueryRows,
  nspiResolveNames,
  nspiResortRestriction,
  nspiSeekEntries,
  nspiUpdateStat,
} from './ab/ops-table.js';
import { callCodePage, type NspiSession } from './ab/session.js';
import { NSPI_OPS } from './idl.js';
import {
  fromPropertyName,
  fromPropertyValue,
  fromRestriction,
  fromRow,
  fromTagArray,
  str8,
  toPropertyName,
  toRow,
  toRowSet,
  toTagArray,
} from './wire.js';

export interface NspiOptions {
  addressBook: AddressBook;
}

const HANDLE_KIND = 'nspi';

type Wire<N extends keyof typeof NSPI_OPS> = (typeof NSPI_OPS)[N];
type ReqOf<N extends keyof typeof NSPI_OPS> = Wire<N>['request'] extends { decode(b: Uint8Array): infer R } ? R : never;
type ResOf<N extends keyof typeof NSPI_OPS> = Wire<N>['response'] extends { encode(v: infer R): Buffer } ? R : never;

/** The session behind a context handle, which must belong to the caller (else access denied). */
function sessionOf(call: CallContext, h: ContextHandle): NspiSession {
  const s = call.assocGroup.handles.get<NspiSession>(h, HANDLE_KIND);
  if (!call.user || call.user.username.toLowerCase() !== s.username.toLowerCase()) {
    throw new RpcFault(FAULT.nca_s_fault_access_denied, 'NSPI context handle of another user');
  }
  return s;
}

/** An operation whose handler failures become GeneralFailure (`failed` builds the reply from the request). */
function nspiOp<N extends keyof typeof NSPI_OPS>(
  opnum: N,
  handle: (req: ReqOf<N>, call: CallContext) => ResOf<N> | Promise<ResOf<N>>,
  failed: (req: ReqOf<N>) => ResOf<N>,
): OperationDef<ReqOf<N>, ResOf<N>> {
  const w = NSPI_OPS[opnum];
  return op<ReqOf<N>, ResOf<N>>({
    name: w.name,
    request: w.request as never,
    response: w.response as never,
    handle: async (req, call) => {
      try {
        return await handle(req, call);
      } catch (e) {
        if (e instanceof RpcFault) throw e;
        call.log.error({ err: describeError(e) }, `${w.name} failed`);
        return failed(req);
      }
    },
  });
}

const fail = MAPI_E.CALL_FAILED;

export function createNspiInterface(opts: NspiOptions): InterfaceDef {
  const ab = opts.addressBook;
  return defineInterface({
    name: NSPI.name,
    uuid: NSPI.uuid,
    version: { major: NSPI.major, minor: NSPI.minor },
    // Authenticated calls only: the address book is the organization's, and NspiBind binds the caller's identity
    minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT,
    ops: {
      // MS-OXNSPI 3.1.4.1.1
      0: nspiOp(
        0,
        async (req, call) => {
          const r = await nspiBind(ab, { flags: req.dwFlags, stat: req.pStat, user: call.user?.username ?? null });
          if (!r.session) {
            call.log.info({ ec: `0x${r.ec.toString(16)}`, codePage: req.pStat.CodePage }, 'NspiBind refused');
            return { pServerGuid: req.pServerGuid, contextHandle: NULL_HANDLE, result: r.ec };
          }
          const session = r.session;
          const contextHandle = call.assocGroup.handles.create(HANDLE_KIND, session);
          return { pServerGuid: req.pServerGuid === null ? null : r.serverGuid, contextHandle, result: r.ec };
        },
        (req) => ({ pServerGuid: req.pServerGuid, contextHandle: NULL_HANDLE, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.2: UnbindSuccess when the handle was destroyed, UnbindFailure otherwise; NULL either way
      1: nspiOp(
        1,
        (req, call) => ({
          contextHandle: NULL_HANDLE,
          result: call.assocGroup.handles.close(req.contextHandle) ? NSPI_EC.UnbindSuccess : NSPI_EC.UnbindFailure,
        }),
        () => ({ contextHandle: NULL_HANDLE, result: NSPI_EC.UnbindFailure }),
      ),
      // MS-OXNSPI 3.1.4.1.4
      2: nspiOp(
        2,
        async (req, call) => {
          const r = await nspiUpdateStat(sessionOf(call, req.hRpc), req.pStat, req.plDelta !== null);
          return { pStat: r.stat, plDelta: req.plDelta === null ? null : (r.delta ?? req.plDelta), result: r.ec };
        },
        (req) => ({ pStat: req.pStat, plDelta: req.plDelta, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.8
      3: nspiOp(
        3,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiQueryRows(s, { flags: req.dwFlags, stat: req.pStat, table: req.lpETable, count: req.Count, propTags: fromTagArray(req.pPropTags) });
          return { pStat: r.stat, ppRows: r.rows ? toRowSet(r.rows, callCodePage(s, req.pStat.CodePage)) : null, result: r.ec };
        },
        (req) => ({ pStat: req.pStat, ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.9
      4: nspiOp(
        4,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiSeekEntries(s, {
            reserved: req.Reserved,
            stat: req.pStat,
            target: fromPropertyValue(req.pTarget, callCodePage(s, req.pStat.CodePage)),
            table: fromTagArray(req.lpETable),
            propTags: fromTagArray(req.pPropTags),
          });
          return { pStat: r.stat, ppRows: r.rows ? toRowSet(r.rows, callCodePage(s, req.pStat.CodePage)) : null, result: r.ec };
        },
        (req) => ({ pStat: req.pStat, ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.10
      5: nspiOp(
        5,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const none = { pStat: req.pStat, ppOutMIds: null, ppRows: null };
          if (req.filterTooComplex) return { ...none, result: MAPI_E.TOO_COMPLEX };
          let filter = null;
          if (req.Filter) {
            filter = fromRestriction(req.Filter, callCodePage(s, req.pStat.CodePage));
            if (!filter) return { ...none, result: MAPI_E.INVALID_PARAMETER };
          }
          const r = await nspiGetMatches(s, {
            reserved1: req.Reserved1,
            stat: req.pStat,
            filter,
            propName: fromPropertyName(req.lpPropName),
            requested: req.ulRequested,
            propTags: fromTagArray(req.pPropTags),
          });
          return {
            pStat: r.stat,
            ppOutMIds: r.mids ? toTagArray(r.mids) : null,
            ppRows: r.rows ? toRowSet(r.rows, callCodePage(s, req.pStat.CodePage)) : null,
            result: r.ec,
          };
        },
        (req) => ({ pStat: req.pStat, ppOutMIds: null, ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.11
      6: nspiOp(
        6,
        async (req, call) => {
          const r = await nspiResortRestriction(sessionOf(call, req.hRpc), req.pStat, req.pInMIds.aulPropTag);
          return { pStat: r.stat, ppOutMIds: r.mids ? toTagArray(r.mids) : null, result: r.ec };
        },
        (req) => ({ pStat: req.pStat, ppOutMIds: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.13 (DNs are 7-bit; read in the session's code page)
      7: nspiOp(
        7,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiDNToMId(s, req.pNames.Strings.map((b) => (b === null ? null : str8(b, s.codePage))));
          return { ppOutMIds: toTagArray(r.mids), result: r.ec };
        },
        () => ({ ppOutMIds: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.6
      8: nspiOp(
        8,
        async (req, call) => {
          const r = await nspiGetPropList(sessionOf(call, req.hRpc), req.dwFlags, req.dwMId, req.CodePage);
          return { ppPropTags: r.tags ? toTagArray(r.tags) : null, result: r.ec };
        },
        () => ({ ppPropTags: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.7
      9: nspiOp(
        9,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiGetProps(s, req.dwFlags, req.pStat, fromTagArray(req.pPropTags));
          return { ppRows: r.row ? toRow(r.row, callCodePage(s, req.pStat.CodePage)) : null, result: r.ec };
        },
        () => ({ ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.12
      10: nspiOp(
        10,
        async (req, call) => {
          const r = await nspiCompareMIds(sessionOf(call, req.hRpc), req.pStat, req.MId1, req.MId2);
          return { plResult: r.result, result: r.ec };
        },
        () => ({ plResult: 0, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.14
      11: nspiOp(
        11,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiModProps(s, req.pStat, fromTagArray(req.pPropTags), fromRow(req.pRow, callCodePage(s, req.pStat.CodePage)));
          if (r.ec) call.log.info({ ec: `0x${r.ec.toString(16)}`, mid: req.pStat.CurrentRec }, 'NspiModProps refused');
          return { result: r.ec };
        },
        () => ({ result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.3
      12: nspiOp(
        12,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiGetSpecialTable(s, req.dwFlags, req.pStat, req.lpVersion);
          return { lpVersion: r.version, ppRows: r.rows ? toRowSet(r.rows, callCodePage(s, req.pStat.CodePage)) : null, result: r.ec };
        },
        (req) => ({ lpVersion: req.lpVersion, ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.18 (values come in dwCodePage)
      13: nspiOp(
        13,
        (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = nspiGetTemplateInfo(s, {
            flags: req.dwFlags,
            type: req.ulType,
            dn: req.pDN === null ? null : str8(req.pDN, s.codePage),
            codePage: req.dwCodePage,
            localeId: req.dwLocaleID,
          });
          return { ppData: r.row ? toRow(r.row, callCodePage(s, req.dwCodePage)) : null, result: r.ec };
        },
        () => ({ ppData: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.15
      14: nspiOp(
        14,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const ids = (req.lpEntryIds.lpbin ?? []).map((b) => b.lpb ?? Buffer.alloc(0));
          const r = await nspiModLinkAtt(s, req.dwFlags, req.ulPropTag, req.dwMId, ids);
          if (r.ec) call.log.info({ ec: `0x${r.ec.toString(16)}`, mid: req.dwMId, tag: `0x${(req.ulPropTag >>> 0).toString(16)}` }, 'NspiModLinkAtt refused');
          return { result: r.ec };
        },
        () => ({ result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.5
      16: nspiOp(
        16,
        (req, call) => {
          sessionOf(call, req.hRpc);
          const r = nspiQueryColumns(req.dwFlags);
          return { ppColumns: toTagArray(r.tags), result: r.ec };
        },
        () => ({ ppColumns: null, result: fail }),
      ),
      // MS-NSPI 3.1.4.16: success or ErrorsReturned carry the lists (null otherwise)
      17: nspiOp(
        17,
        (req, call) => {
          sessionOf(call, req.hRpc);
          const r = nspiGetNamesFromIDs(req.lpguid, fromTagArray(req.pPropTags));
          return {
            ppReturnedPropTags: toTagArray(r.tags),
            ppNames: { cNames: r.names.length, aNames: r.names.map(toPropertyName) },
            result: r.ec,
          };
        },
        () => ({ ppReturnedPropTags: null, ppNames: null, result: fail }),
      ),
      // MS-NSPI 3.1.4.17
      18: nspiOp(
        18,
        (req, call) => {
          sessionOf(call, req.hRpc);
          const r = nspiGetIDsFromNames(req.pNames.map((n) => fromPropertyName(n) ?? { guid: null, id: 0 }));
          return { ppPropTags: toTagArray(r.tags), result: r.ec };
        },
        () => ({ ppPropTags: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.16: the strings in the STAT's code page (3.1.4.3.4)
      19: nspiOp(
        19,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const cp = callCodePage(s, req.pStat.CodePage);
          const names = req.paStr.Strings.map((b) => (b === null ? null : str8(b, cp)));
          const r = await nspiResolveNames(s, { stat: req.pStat, propTags: fromTagArray(req.pPropTags), names });
          return { ppMIds: r.mids ? toTagArray(r.mids) : null, ppRows: r.rows ? toRowSet(r.rows, cp) : null, result: r.ec };
        },
        () => ({ ppMIds: null, ppRows: null, result: fail }),
      ),
      // MS-OXNSPI 3.1.4.1.17
      20: nspiOp(
        20,
        async (req, call) => {
          const s = sessionOf(call, req.hRpc);
          const r = await nspiResolveNames(s, { stat: req.pStat, propTags: fromTagArray(req.pPropTags), names: req.paWStr.Strings });
          return { ppMIds: r.mids ? toTagArray(r.mids) : null, ppRows: r.rows ? toRowSet(r.rows, callCodePage(s, req.pStat.CodePage)) : null, result: r.ec };
        },
        () => ({ ppMIds: null, ppRows: null, result: fail }),
      ),
    },
  });
}
