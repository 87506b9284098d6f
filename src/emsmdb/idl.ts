// MS-OXCRPC section 6 (and 3.1.4, 3.3.4): the [in] and [out] parameter lists of the EMSMDB methods the server
// answers and of AsyncEMSMDB's EcDoAsyncWaitEx, as NDR schemas; EMSMDB_OPS / ASYNCEMSMDB_OPS are the opnum tables
// emsmdb.ts / async.ts complete with handlers. Opnums 0, 2, 3, 5, 7, 8, 9, 12 and 13 are reserved (not used on the
// wire): they have no entry, so a call gets nca_s_op_rng_error from the runtime.
//
// BIG_RANGE_ULONG ([range(0x0, 0x40000)]) and SMALL_RANGE_ULONG ([range(0x0, 0x1008)]) are ndr.range: a value out
// of range fails decoding and the runtime faults the call with RPC_X_BAD_STUB_DATA (0x6F7), as MS-OXCRPC 3.1.4.1 and
// 3.1.4.2 require. `[size_is(cbX)]` input arrays are read as plain conformant arrays (their size parameter follows
// them); the handlers check that the two agree.
import { ndr, type Infer } from '../ndr/index.js';

/** MS-OXCRPC 2.2.1.1 BIG_RANGE_ULONG / SMALL_RANGE_ULONG upper bounds. */
export const BIG_RANGE = 0x40000;
export const SMALL_RANGE = 0x1008;

const CXH = ndr.contextHandle;
const BIG_RANGE_ULONG = ndr.range(ndr.u32, 0, BIG_RANGE);
const SMALL_RANGE_ULONG = ndr.range(ndr.u32, 0, SMALL_RANGE);
const result = ndr.u32;
const bytesIn = ndr.conformantBytes();
const bytesOut = ndr.conformantVaryingBytes();
const version3 = ndr.fixedArray(ndr.u16, 3);

// MS-OXCRPC 3.1.4.3 EcDoDisconnect (opnum 1)
export const EcDoDisconnect_in = ndr.params({ pcxh: ndr.ref(CXH) });
export const EcDoDisconnect_out = ndr.params({ pcxh: ndr.ref(CXH), result });

// MS-OXCRPC 3.1.4.5 EcRRegisterPushNotification (opnum 4)
export const EcRRegisterPushNotification_in = ndr.params({
  pcxh: ndr.ref(CXH),
  iRpc: ndr.u32,
  rgbContext: bytesIn,
  cbContext: ndr.u16,
  grbitAdviseBits: ndr.u32,
  rgbCallbackAddress: bytesIn,
  cbCallbackAddress: ndr.u16,
});
export const EcRRegisterPushNotification_out = ndr.params({ pcxh: ndr.ref(CXH), hNotification: ndr.ref(ndr.u32), result });

// MS-OXCRPC 3.1.4.4 EcDummyRpc (opnum 6): nothing but the binding handle in
export const EcDummyRpc_in = ndr.params({});
export const EcDummyRpc_out = ndr.params({ result });

// MS-OXCRPC 3.1.4.1 EcDoConnectEx (opnum 10)
export const EcDoConnectEx_in = ndr.params({
  szUserDN: ndr.ref(ndr.stringBytes()),
  ulFlags: ndr.u32,
  ulConMod: ndr.u32,
  cbLimit: ndr.u32,
  ulCpid: ndr.u32,
  ulLcidString: ndr.u32,
  ulLcidSort: ndr.u32,
  ulIcxrLink: ndr.u32,
  usFCanConvertCodePages: ndr.u16,
  rgwClientVersion: version3,
  pulTimeStamp: ndr.ref(ndr.u32),
  rgbAuxIn: bytesIn,
  cbAuxIn: ndr.u32,
  pcbAuxOut: ndr.ref(SMALL_RANGE_ULONG),
});
export const EcDoConnectEx_out = ndr.params({
  pcxh: ndr.ref(CXH),
  pcmsPollsMax: ndr.ref(ndr.u32),
  pcRetry: ndr.ref(ndr.u32),
  pcmsRetryDelay: ndr.ref(ndr.u32),
  picxr: ndr.ref(ndr.u16),
  szDNPrefix: ndr.ref(ndr.unique(ndr.stringBytes())),
  szDisplayName: ndr.ref(ndr.unique(ndr.stringBytes())),
  rgwServerVersion: version3,
  rgwBestVersion: version3,
  pulTimeStamp: ndr.ref(ndr.u32),
  rgbAuxOut: bytesOut,
  pcbAuxOut: ndr.ref(ndr.u32),
  result,
});

// MS-OXCRPC 3.1.4.2 EcDoRpcExt2 (opnum 11)
export const EcDoRpcExt2_in = ndr.params({
  pcxh: ndr.ref(CXH),
  pulFlags: ndr.ref(ndr.u32),
  rgbIn: bytesIn,
  cbIn: BIG_RANGE_ULONG,
  pcbOut: ndr.ref(BIG_RANGE_ULONG),
  rgbAuxIn: bytesIn,
  cbAuxIn: SMALL_RANGE_ULONG,
  pcbAuxOut: ndr.ref(SMALL_RANGE_ULONG),
});
export const EcDoRpcExt2_out = ndr.params({
  pcxh: ndr.ref(CXH),
  pulFlags: ndr.ref(ndr.u32),
  rgbOut: bytesOut,
  pcbOut: ndr.ref(ndr.u32),
  rgbAuxOut: bytesOut,
  pcbAuxOut: ndr.ref(ndr.u32),
  pulTransTime: ndr.ref(ndr.u32),
  result,
});

// MS-OXCRPC 3.1.4.6 EcDoAsyncConnectEx (opnum 14): [in] CXH cxh, [out, ref] ACXH *pacxh
export const EcDoAsyncConnectEx_in = ndr.params({ cxh: CXH });
export const EcDoAsyncConnectEx_out = ndr.params({ pacxh: ndr.ref(CXH), result });

// MS-OXCRPC 3.3.4.1 EcDoAsyncWaitEx (AsyncEMSMDB opnum 0)
export const EcDoAsyncWaitEx_in = ndr.params({ acxh: CXH, ulFlagsIn: ndr.u32 });
export const EcDoAsyncWaitEx_out = ndr.params({ pulFlagsOut: ndr.ref(ndr.u32), result });

/** The implemented EMSMDB opnums (MS-OXCRPC 3.1.4); the others are reserved. */
export const EMSMDB_OPS = {
  1: { name: 'EcDoDisconnect', request: EcDoDisconnect_in, response: EcDoDisconnect_out },
  4: { name: 'EcRRegisterPushNotification', request: EcRRegisterPushNotification_in, response: EcRRegisterPushNotification_out },
  6: { name: 'EcDummyRpc', request: EcDummyRpc_in, response: EcDummyRpc_out },
  10: { name: 'EcDoConnectEx', request: EcDoConnectEx_in, response: EcDoConnectEx_out },
  11: { name: 'EcDoRpcExt2', request: EcDoRpcExt2_in, response: EcDoRpcExt2_out },
  14: { name: 'EcDoAsyncConnectEx', request: EcDoAsyncConnectEx_in, response: EcDoAsyncConnectEx_out },
} as const;

export const ASYNCEMSMDB_OPS = {
  0: { name: 'EcDoAsyncWaitEx', request: EcDoAsyncWaitEx_in, response: EcDoAsyncWaitEx_out },
} as const;

export type EcDoDisconnect_in = Infer<typeof EcDoDisconnect_in>;
export type EcDoDisconnect_out = Infer<typeof EcDoDisconnect_out>;
export type EcRRegisterPushNotification_in = Infer<typeof EcRRegisterPushNotification_in>;
export type EcRRegisterPushNotification_out = Infer<typeof EcRRegisterPushNotification_out>;
export type EcDummyRpc_out = Infer<typeof EcDummyRpc_out>;
export type EcDoConnectEx_in = Infer<typeof EcDoConnectEx_in>;
export type EcDoConnectEx_out = Infer<typeof EcDoConnectEx_out>;
export type EcDoRpcExt2_in = Infer<typeof EcDoRpcExt2_in>;
export type EcDoRpcExt2_out = Infer<typeof EcDoRpcExt2_out>;
export type EcDoAsyncConnectEx_in = Infer<typeof EcDoAsyncConnectEx_in>;
export type EcDoAsyncConnectEx_out = Infer<typeof EcDoAsyncConnectEx_out>;
export type EcDoAsyncWaitEx_in = Infer<typeof EcDoAsyncWaitEx_in>;
export type EcDoAsyncWaitEx_out = Infer<typeof EcDoAsyncWaitEx_out>;
