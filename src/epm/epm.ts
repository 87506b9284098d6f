// The endpoint mapper (C706 appendix O, MS-RPCE 2.1): ept_map and ept_lookup over a fixed endpoint table built
// from the configuration, with lookup handles kept per association group.
import { NULL_HANDLE, type ContextHandle } from '../dcerpc/association.js';
import { defineInterface, op, type CallContext, type InterfaceDef } from '../dcerpc/interface.js';
import { EPMAPPER, type InterfaceId } from '../dcerpc/well-known.js';
import { NDR20_SYNTAX } from '../dcerpc/constants.js';
import { NIL_GUID } from '../util/guid.js';
import { describeError } from '../util/errors.js';
import {
  EPT_STATUS,
  RPC_C_EP,
  RPC_C_VERS,
  empty_in,
  ept_delete_in,
  type ept_entry_t,
  ept_inq_object_out,
  ept_insert_in,
  ept_lookup_handle_free_in,
  ept_lookup_handle_free_out,
  ept_lookup_in,
  ept_lookup_out,
  ept_map_in,
  ept_map_out,
  ept_mgmt_delete_in,
  status_out,
  type twr_t,
} from './idl.js';
import { decodeTower, encodeTower, type TowerProtocol } from './tower.js';

export interface EndpointEntry {
  iface: InterfaceId;
  protocol: TowerProtocol;
  port: number;
  annotation: string;
}

export interface EndpointMapOptions {
  /** The registered endpoints (read on every call, so later registrations show up). */
  entries(): EndpointEntry[];
  /** IPv4 address for towers; empty = the local address of the client's connection. */
  advertiseAddress: string;
}

const LOOKUP_HANDLE = 'epm.lookup';
const MAP_HANDLE = 'epm.map';

function isNullHandle(h: ContextHandle): boolean {
  return h.uuid === NIL_GUID;
}

function addressFor(opts: EndpointMapOptions, call: CallContext): string {
  if (opts.advertiseAddress) return opts.advertiseAddress;
  const local = call.connection.localAddress;
  return /^\d+\.\d+\.\d+\.\d+$/.test(local) ? local : '0.0.0.0';
}

function towerOf(e: EndpointEntry, address: string): twr_t {
  const octets = encodeTower({
    iface: { uuid: e.iface.uuid, major: e.iface.major, minor: e.iface.minor },
    syntax: { uuid: NDR20_SYNTAX.uuid, major: NDR20_SYNTAX.version, minor: 0 },
    protocol: e.protocol,
    port: e.port,
    address,
  });
  return { tower_length: octets.length, tower_octet_string: octets };
}

function versionMatches(option: number, entry: InterfaceId, major: number, minor: number): boolean {
  switch (option) {
    case RPC_C_VERS.ALL:
      return true;
    case RPC_C_VERS.COMPATIBLE:
      return entry.major === major && entry.minor >= minor;
    case RPC_C_VERS.EXACT:
      return entry.major === major && entry.minor === minor;
    case RPC_C_VERS.MAJOR_ONLY:
      return entry.major === major;
    case RPC_C_VERS.UPTO:
      return entry.major < major || (entry.major === major && entry.minor <= minor);
    default:
      return false;
  }
}

/** A batch from `items` and the handle that continues it (null when nothing is left). */
function batch<T>(call: CallContext, kind: string, handle: ContextHandle, fresh: () => T[], max: number) {
  const table = call.assocGroup.handles;
  let items: T[];
  if (isNullHandle(handle)) items = fresh();
  else items = table.get<T[]>(handle, kind);
  const taken = items.slice(0, max);
  const rest = items.slice(max);
  if (!isNullHandle(handle)) table.close(handle);
  const next = rest.length > 0 ? table.create(kind, rest) : NULL_HANDLE;
  return { taken, next };
}

export function createEpmInterface(opts: EndpointMapOptions): InterfaceDef {
  return defineInterface({
    name: EPMAPPER.name,
    uuid: EPMAPPER.uuid,
    version: { major: EPMAPPER.major, minor: EPMAPPER.minor },
    ops: {
      // Registration is local to the server process: remote clients may not change the map.
      0: op({ name: 'ept_insert', request: ept_insert_in, response: status_out, handle: () => ({ status: EPT_STATUS.ept_s_cant_perform_op }) }),
      1: op({ name: 'ept_delete', request: ept_delete_in, response: status_out, handle: () => ({ status: EPT_STATUS.ept_s_cant_perform_op }) }),
      2: op({
        name: 'ept_lookup',
        request: ept_lookup_in,
        response: ept_lookup_out,
        handle: (req, call) => {
          const address = addressFor(opts, call);
          const matching = (): ept_entry_t[] =>
            opts
              .entries()
              .filter((e) => {
                const byIf = req.inquiry_type === RPC_C_EP.MATCH_BY_IF || req.inquiry_type === RPC_C_EP.MATCH_BY_BOTH;
                const byObj = req.inquiry_type === RPC_C_EP.MATCH_BY_OBJ || req.inquiry_type === RPC_C_EP.MATCH_BY_BOTH;
                if (byObj && req.object && req.object !== NIL_GUID) return false; // our entries carry no object UUID
                if (!byIf) return true;
                const want = req.interface_id;
                if (!want) return false;
                return want.uuid === e.iface.uuid && versionMatches(req.vers_option, e.iface, want.vers_major, want.vers_minor);
              })
              .map((e) => ({ object: NIL_GUID, tower: towerOf(e, address), annotation: e.annotation.slice(0, 63) }));
          const { taken, next } = batch(call, LOOKUP_HANDLE, req.entry_handle, matching, req.max_ents);
          const status = taken.length === 0 ? EPT_STATUS.ept_s_not_registered : EPT_STATUS.ok;
          return { entry_handle: next, num_ents: taken.length, max_ents: req.max_ents, entries: taken, status };
        },
      }),
      3: op({
        name: 'ept_map',
        request: ept_map_in,
        response: ept_map_out,
        handle: (req, call) => {
          const address = addressFor(opts, call);
          const towers = (): twr_t[] => {
            if (!req.map_tower) return [];
            let wanted;
            try {
              wanted = decodeTower(req.map_tower.tower_octet_string);
            } catch (e) {
              call.log.info({ err: describeError(e) }, 'ept_map with an unreadable tower');
              return [];
            }
            if (wanted.syntax.uuid !== NDR20_SYNTAX.uuid || wanted.syntax.major !== NDR20_SYNTAX.version) return [];
            return opts
              .entries()
              .filter(
                (e) =>
                  e.protocol === wanted.protocol &&
                  e.iface.uuid === wanted.iface.uuid &&
                  e.iface.major === wanted.iface.major &&
                  e.iface.minor >= wanted.iface.minor,
              )
              .map((e) => towerOf(e, address));
          };
          const { taken, next } = batch(call, MAP_HANDLE, req.entry_handle, towers, req.max_towers);
          call.log.debug({ found: taken.length }, 'ept_map');
          const status = taken.length === 0 ? EPT_STATUS.ept_s_not_registered : EPT_STATUS.ok;
          return { entry_handle: next, num_towers: taken.length, max_towers: req.max_towers, towers: taken, status };
        },
      }),
      4: op({
        name: 'ept_lookup_handle_free',
        request: ept_lookup_handle_free_in,
        response: ept_lookup_handle_free_out,
        handle: (req, call) => {
          const closed = !isNullHandle(req.entry_handle) && call.assocGroup.handles.close(req.entry_handle);
          return { entry_handle: NULL_HANDLE, status: closed || isNullHandle(req.entry_handle) ? EPT_STATUS.ok : EPT_STATUS.ept_s_invalid_entry };
        },
      }),
      5: op({ name: 'ept_inq_object', request: empty_in, response: ept_inq_object_out, handle: () => ({ ept_object: NIL_GUID, status: 0 }) }),
      6: op({ name: 'ept_mgmt_delete', request: ept_mgmt_delete_in, response: status_out, handle: () => ({ status: EPT_STATUS.ept_s_cant_perform_op }) }),
    },
  });
}
