// Wire constants of connection-oriented DCE/RPC, named as in C706 chapter 12 / appendix E and MS-RPCE 2.2.
// One table per family (architecture rule 3).

// C706 12.6.4 / MS-RPCE 2.2.2 PTYPE values
export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16, // rpc_auth_3, MS-RPCE 2.2.2.10
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
  rts: 20, // MS-RPCH
} as const;
export type PType = (typeof PTYPE)[keyof typeof PTYPE];

export const PTYPE_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(PTYPE).map(([k, v]) => [v, k]),
);

// C706 12.6.3.1 pfc_flags
export const PFC = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  PENDING_CANCEL: 0x04, // request/response: cancel pending
  SUPPORT_HEADER_SIGN: 0x04, // bind/bind_ack/alter_context (MS-RPCE 2.2.2.3)
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

// C706 appendix E (nca_s_*) and the Windows status values DCE/RPC faults carry (MS-RPCE 2.2.2.11 / MS-ERREF)
export const FAULT = {
  nca_s_fault_access_denied: 0x00000005, // ERROR_ACCESS_DENIED (Windows, Samba DCERPC_FAULT_ACCESS_DENIED)
  rpc_s_invalid_tag: 0x1c000006, // nca_s_fault_invalid_tag
  nca_s_fault_invalid_bound: 0x1c000007,
  nca_rpc_version_mismatch: 0x1c000008,
  nca_s_fault_cancel: 0x1c00000d,
  nca_s_fault_unspec: 0x1c000012,
  nca_s_fault_context_mismatch: 0x1c00001a,
  nca_s_fault_remote_no_memory: 0x1c00001b,
  nca_invalid_pres_context_id: 0x1c00001c,
  nca_unsupported_authn_level: 0x1c00001d,
  nca_invalid_checksum: 0x1c00001f,
  nca_s_op_rng_error: 0x1c010002,
  nca_s_unk_if: 0x1c010003,
  nca_proto_error: 0x1c01000b,
  nca_server_too_busy: 0x1c010014,
  nca_s_fault_ndr: 0x000006f7, // RPC_X_BAD_STUB_DATA
  rpc_s_cannot_support: 0x000006e4, // RPC_S_CANNOT_SUPPORT
  nca_s_fault_sec_pkg_error: 0x00000721, // RPC_S_SEC_PKG_ERROR
} as const;

// C706 12.6.3.1 p_cont_def_result_t, MS-RPCE 2.2.2.4 (negotiate_ack)
export const CONT_RESULT = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  negotiate_ack: 3,
} as const;

// C706 12.6.3.1 p_provider_reason_t
export const PROVIDER_REASON = {
  reason_not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

// C706 12.6.3.1 p_reject_reason_t (bind_nak), MS-RPCE 2.2.2.5 additions
export const BIND_NAK_REASON = {
  reason_not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  called_paddr_unknown: 3,
  protocol_version_not_supported: 4,
  default_context_not_supported: 5,
  user_data_not_readable: 6,
  no_psap_available: 7,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

// MS-RPCE 2.2.1.1.7 security providers
export const AUTHN = {
  RPC_C_AUTHN_NONE: 0x00,
  RPC_C_AUTHN_GSS_NEGOTIATE: 0x09,
  RPC_C_AUTHN_WINNT: 0x0a,
  RPC_C_AUTHN_GSS_SCHANNEL: 0x0e,
  RPC_C_AUTHN_GSS_KERBEROS: 0x10,
  RPC_C_AUTHN_NETLOGON: 0x44,
  RPC_C_AUTHN_DEFAULT: 0xff,
} as const;

// MS-RPCE 2.2.1.1.8 authentication levels
export const AUTHN_LEVEL = {
  RPC_C_AUTHN_LEVEL_DEFAULT: 0,
  RPC_C_AUTHN_LEVEL_NONE: 1,
  RPC_C_AUTHN_LEVEL_CONNECT: 2,
  RPC_C_AUTHN_LEVEL_CALL: 3,
  RPC_C_AUTHN_LEVEL_PKT: 4,
  RPC_C_AUTHN_LEVEL_PKT_INTEGRITY: 5,
  RPC_C_AUTHN_LEVEL_PKT_PRIVACY: 6,
} as const;

// Transfer syntaxes (C706 appendix I, MS-RPCE 2.2.4.12 NDR64, 3.3.1.5.3 bind time feature negotiation)
export const NDR20_SYNTAX = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 } as const;
export const NDR64_SYNTAX = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', version: 1 } as const;
/** Bind time feature negotiation: 6cb71c2c-9812-4540-XXXX-XXXXXXXXXXXX, low 8 bytes = bitmask. */
export const BTFN_PREFIX = '6cb71c2c-9812-4540-';
export const BTFN_FEATURE = {
  SecurityContextMultiplexingSupported: 0x01,
  KeepConnectionOnOrphanSupported: 0x02,
} as const;

/** Fragments may be no smaller than this (MS-RPCE 3.3.3.5.4, C706 MustRecvFragSize). */
export const MIN_FRAG_SIZE = 1432;
export const COMMON_HEADER_SIZE = 16;
export const SEC_TRAILER_SIZE = 8;
/** Stub data of signed/sealed PDUs is padded to this boundary before the sec_trailer (MS-RPCE 2.2.2.11). */
export const AUTH_PAD_ALIGN = 16;
