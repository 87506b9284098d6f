// C706 appendix O (ept) wire types and operation parameters, as NDR schemas.
import { ndr, type Infer } from '../ndr/index.js';

// C706 O twr_t: tower_length + [size_is(tower_length)] byte tower_octet_string[] (a conformant struct)
export const twr_t = ndr.struct('twr_t', {
  tower_length: ndr.u32,
  tower_octet_string: ndr.conformantBytes({ sizeIs: 'tower_length' }),
});
export type twr_t = Infer<typeof twr_t>;

// C706 O ept_entry_t
export const ept_entry_t = ndr.struct('ept_entry_t', {
  object: ndr.guid,
  tower: ndr.full(twr_t),
  annotation: ndr.varyingString(64),
});
export type ept_entry_t = Infer<typeof ept_entry_t>;

// C706 Q rpc_if_id_t
export const rpc_if_id_t = ndr.struct('rpc_if_id_t', { uuid: ndr.guid, vers_major: ndr.u16, vers_minor: ndr.u16 });

// C706 O ept_insert (opnum 0) / ept_delete (opnum 1)
export const ept_insert_in = ndr.params({
  num_ents: ndr.u32,
  entries: ndr.conformantArray(ept_entry_t, { sizeIs: 'num_ents' }),
  replace: ndr.u32,
});
export const ept_delete_in = ndr.params({
  num_ents: ndr.u32,
  entries: ndr.conformantArray(ept_entry_t, { sizeIs: 'num_ents' }),
});
export const status_out = ndr.params({ status: ndr.u32 });

// C706 O ept_lookup (opnum 2)
export const ept_lookup_in = ndr.params({
  inquiry_type: ndr.u32,
  object: ndr.full(ndr.guid),
  interface_id: ndr.full(rpc_if_id_t),
  vers_option: ndr.u32,
  entry_handle: ndr.ref(ndr.contextHandle),
  max_ents: ndr.range(ndr.u32, 0, 500),
});
export const ept_lookup_out = ndr.params({
  entry_handle: ndr.ref(ndr.contextHandle),
  num_ents: ndr.ref(ndr.u32),
  max_ents: ndr.virtual<number>(),
  entries: ndr.conformantVaryingArray(ept_entry_t, { sizeIs: 'max_ents', lengthIs: 'num_ents' }),
  status: ndr.ref(ndr.u32),
});

// C706 O ept_map (opnum 3)
export const ept_map_in = ndr.params({
  object: ndr.full(ndr.guid),
  map_tower: ndr.full(twr_t),
  entry_handle: ndr.ref(ndr.contextHandle),
  max_towers: ndr.range(ndr.u32, 0, 500),
});
export const ept_map_out = ndr.params({
  entry_handle: ndr.ref(ndr.contextHandle),
  num_towers: ndr.ref(ndr.u32),
  max_towers: ndr.virtual<number>(),
  towers: ndr.conformantVaryingArray(ndr.full(twr_t), { sizeIs: 'max_towers', lengthIs: 'num_towers' }),
  status: ndr.ref(ndr.u32),
});

// C706 O ept_lookup_handle_free (opnum 4)
export const ept_lookup_handle_free_in = ndr.params({ entry_handle: ndr.ref(ndr.contextHandle) });
export const ept_lookup_handle_free_out = ndr.params({ entry_handle: ndr.ref(ndr.contextHandle), status: ndr.ref(ndr.u32) });

// C706 O ept_inq_object (opnum 5)
export const empty_in = ndr.params({});
export const ept_inq_object_out = ndr.params({ ept_object: ndr.ref(ndr.guid), status: ndr.ref(ndr.u32) });

// C706 O ept_mgmt_delete (opnum 6)
export const ept_mgmt_delete_in = ndr.params({
  object_speced: ndr.u32,
  object: ndr.full(ndr.guid),
  tower: ndr.full(twr_t),
});

// C706 O / DCE status values
export const EPT_STATUS = {
  ok: 0,
  /** ept_s_not_registered: no (more) entries match. */
  ept_s_not_registered: 0x16c9a0d6,
  /** EPT_S_CANT_PERFORM_OP (Windows): registration is not possible remotely. */
  ept_s_cant_perform_op: 0x000006d8,
  /** ept_s_invalid_entry: a lookup handle that is not ours. */
  ept_s_invalid_entry: 0x16c9a0d1,
} as const;

// C706 O inquiry types and version options of ept_lookup
export const RPC_C_EP = { ALL_ELTS: 0, MATCH_BY_IF: 1, MATCH_BY_OBJ: 2, MATCH_BY_BOTH: 3 } as const;
export const RPC_C_VERS = { ALL: 1, COMPATIBLE: 2, EXACT: 3, MAJOR_ONLY: 4, UPTO: 5 } as const;
