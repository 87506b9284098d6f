// MS-OXABREF 3.1.4 / section 6: the parameter lists of the NSPI referral interface (RFR) as NDR schemas. Strings are
// `[string] unsigned char`: DNs and FQDNs, 7-bit text, kept as JS strings (one character per byte).
import { ndr, type Infer } from '../ndr/index.js';

/** MS-OXABREF 3.1.4.2: cbMailboxServerDN is `[range(10,1024)]`. */
export const MIN_SERVER_DN_BYTES = 10;
export const MAX_SERVER_DN_BYTES = 1024;

// MS-OXABREF 3.1.4.1 RfrGetNewDSA (opnum 0): [in,out,unique,string] unsigned char ** is a [unique] pointer to a
// pointer, whose value is null (outer NULL) or { value: string | null }
export const RfrGetNewDSA_in = ndr.params({
  ulFlags: ndr.u32,
  pUserDN: ndr.ref(ndr.string()),
  ppszUnused: ndr.unique(ndr.unique(ndr.string())),
  ppszServer: ndr.unique(ndr.unique(ndr.string())),
});
export const RfrGetNewDSA_out = ndr.params({
  ppszUnused: ndr.unique(ndr.unique(ndr.string())),
  ppszServer: ndr.unique(ndr.unique(ndr.string())),
  result: ndr.u32,
});
export type RfrGetNewDSA_in = Infer<typeof RfrGetNewDSA_in>;
export type RfrGetNewDSA_out = Infer<typeof RfrGetNewDSA_out>;

// MS-OXABREF 3.1.4.2 RfrGetFQDNFromServerDN (opnum 1)
export const RfrGetFQDNFromServerDN_in = ndr.params({
  ulFlags: ndr.u32,
  cbMailboxServerDN: ndr.range(ndr.u32, MIN_SERVER_DN_BYTES, MAX_SERVER_DN_BYTES),
  szMailboxServerDN: ndr.ref(ndr.string({ sizeIs: 'cbMailboxServerDN' })),
});
export const RfrGetFQDNFromServerDN_out = ndr.params({
  ppszServerFQDN: ndr.ref(ndr.unique(ndr.string())),
  result: ndr.u32,
});
export type RfrGetFQDNFromServerDN_in = Infer<typeof RfrGetFQDNFromServerDN_in>;
export type RfrGetFQDNFromServerDN_out = Infer<typeof RfrGetFQDNFromServerDN_out>;
