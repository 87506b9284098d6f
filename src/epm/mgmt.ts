// The remote management interface (C706 appendix Q), answered on every endpoint as Windows does.
import { defineInterface, op, type InterfaceDef, type InterfaceRegistry } from '../dcerpc/interface.js';
import { MGMT } from '../dcerpc/well-known.js';
import { AUTHN } from '../dcerpc/constants.js';
import { ndr } from '../ndr/index.js';
import { rpc_if_id_t } from './idl.js';

// C706 Q rpc_if_id_vector_t: count + [size_is(count)] rpc_if_id_p_t if_id[]
const rpc_if_id_vector_t = ndr.struct('rpc_if_id_vector_t', {
  count: ndr.u32,
  if_id: ndr.conformantArray(ndr.unique(rpc_if_id_t), { sizeIs: 'count' }),
});

const none_in = ndr.params({});
// C706 Q rpc__mgmt_inq_if_ids: [out] rpc_if_id_vector_p_t *if_id_vector, [out] error_status_t *status
export const inq_if_ids_out = ndr.params({ if_id_vector: ndr.ref(ndr.unique(rpc_if_id_vector_t)), status: ndr.ref(ndr.u32) });
// C706 Q rpc__mgmt_inq_stats: [in,out] unsigned32 *count, [out, size_is(*count)] unsigned32 statistics[*], status
const inq_stats_in = ndr.params({ count: ndr.ref(ndr.range(ndr.u32, 0, 64)) });
const inq_stats_out = ndr.params({
  count: ndr.ref(ndr.u32),
  statistics: ndr.conformantArray(ndr.u32, { sizeIs: 'count' }),
  status: ndr.ref(ndr.u32),
});
// C706 Q rpc__mgmt_is_server_listening: [out] error_status_t *status, returns boolean32
const is_server_listening_out = ndr.params({ status: ndr.ref(ndr.u32), result: ndr.u32 });
// C706 Q rpc__mgmt_stop_server_listening: [out] error_status_t *status
const status_out = ndr.params({ status: ndr.ref(ndr.u32) });
// C706 Q rpc__mgmt_inq_princ_name: [in] authn_proto, [in] princ_name_size, [out, string, size_is(princ_name_size)] char princ_name[], status
const inq_princ_name_in = ndr.params({ authn_proto: ndr.u32, princ_name_size: ndr.range(ndr.u32, 0, 4096) });
const inq_princ_name_out = ndr.params({
  princ_name_size: ndr.virtual<number>(),
  princ_name: ndr.conformantVaryingBytes({ sizeIs: 'princ_name_size' }),
  status: ndr.ref(ndr.u32),
});

export const MGMT_STATUS = {
  rpc_s_ok: 0,
  /** RPC_S_ACCESS_DENIED: stop_server_listening is never allowed remotely. */
  rpc_s_access_denied: 0x00000005,
  /** RPC_S_UNKNOWN_AUTHN_SERVICE */
  rpc_s_unknown_authn_service: 0x000006d3,
  /** RPC_S_BUFFER_TOO_SMALL (princ_name_size too small) */
  rpc_s_buffer_too_small: 0x0000007a,
} as const;

export interface MgmtStats {
  callsIn: number;
  callsOut: number;
  pktsIn: number;
  pktsOut: number;
}

export interface MgmtOptions {
  registry: InterfaceRegistry;
  /** Counters for inq_stats (rpc_c_stats_calls_in, calls_out, pkts_in, pkts_out). */
  stats(): MgmtStats;
  /** The principal name reported for NTLM/Negotiate, e.g. "EXCH01$". */
  principalName: string;
}

export function createMgmtInterface(opts: MgmtOptions): InterfaceDef {
  return defineInterface({
    name: MGMT.name,
    uuid: MGMT.uuid,
    version: { major: MGMT.major, minor: MGMT.minor },
    ops: {
      0: op({
        name: 'inq_if_ids',
        request: none_in,
        response: inq_if_ids_out,
        handle: () => {
          const ifs = opts.registry.list().map((d) => ({ uuid: d.uuid, vers_major: d.version.major, vers_minor: d.version.minor }));
          return { if_id_vector: { count: ifs.length, if_id: ifs }, status: MGMT_STATUS.rpc_s_ok };
        },
      }),
      1: op({
        name: 'inq_stats',
        request: inq_stats_in,
        response: inq_stats_out,
        handle: (req) => {
          const s = opts.stats();
          const all = [s.callsIn, s.callsOut, s.pktsIn, s.pktsOut].map((v) => v >>> 0);
          const statistics = all.slice(0, req.count);
          return { count: statistics.length, statistics, status: MGMT_STATUS.rpc_s_ok };
        },
      }),
      2: op({ name: 'is_server_listening', request: none_in, response: is_server_listening_out, handle: () => ({ status: 0, result: 1 }) }),
      3: op({
        name: 'stop_server_listening',
        request: none_in,
        response: status_out,
        handle: (_req, call) => {
          call.log.warn('remote stop_server_listening refused');
          return { status: MGMT_STATUS.rpc_s_access_denied };
        },
      }),
      4: op({
        name: 'inq_princ_name',
        request: inq_princ_name_in,
        response: inq_princ_name_out,
        handle: (req) => {
          const known = req.authn_proto === AUTHN.RPC_C_AUTHN_WINNT || req.authn_proto === AUTHN.RPC_C_AUTHN_GSS_NEGOTIATE;
          const name = Buffer.from(opts.principalName + '\0', 'latin1');
          if (!known) return { princ_name_size: req.princ_name_size, princ_name: Buffer.from([0]), status: MGMT_STATUS.rpc_s_unknown_authn_service };
          if (name.length > req.princ_name_size) {
            return { princ_name_size: req.princ_name_size, princ_name: Buffer.from([0]).subarray(0, Math.min(1, req.princ_name_size)), status: MGMT_STATUS.rpc_s_buffer_too_small };
          }
          return { princ_name_size: req.princ_name_size, princ_name: name, status: MGMT_STATUS.rpc_s_ok };
        },
      }),
    },
  });
}
