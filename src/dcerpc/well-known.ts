// Identities of the interfaces this server exposes (shared/reference/interfaces.md §1; MS-OXCRPC 6, MS-OXNSPI 6,
// MS-OXABREF 6, C706 appendices O and Q).

export interface InterfaceId {
  readonly name: string;
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export const EPMAPPER: InterfaceId = { name: 'epmapper', uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 };
export const MGMT: InterfaceId = { name: 'mgmt', uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', major: 1, minor: 0 };
export const EMSMDB: InterfaceId = { name: 'emsmdb', uuid: 'a4f1db00-ca47-1067-b31f-00dd010662da', major: 0, minor: 81 };
export const ASYNCEMSMDB: InterfaceId = { name: 'asyncemsmdb', uuid: '5261574a-4572-206e-b268-6b199213b4e4', major: 0, minor: 1 };
export const NSPI: InterfaceId = { name: 'nspi', uuid: 'f5cc5a18-4264-101a-8c59-08002b2f8426', major: 56, minor: 0 };
export const RFR: InterfaceId = { name: 'rfr', uuid: '1544f5e0-613c-11d1-93df-00c04fd7bd09', major: 1, minor: 0 };
