// MS-NLMP 2.2.2.5 NEGOTIATE flags, 2.2.2.1 AV_PAIR ids, 2.2.1 message types. Names as in the spec.

export const NTLMSSP_NEGOTIATE_UNICODE = 0x00000001;
export const NTLM_NEGOTIATE_OEM = 0x00000002;
export const NTLMSSP_REQUEST_TARGET = 0x00000004;
export const NTLMSSP_NEGOTIATE_SIGN = 0x00000010;
export const NTLMSSP_NEGOTIATE_SEAL = 0x00000020;
export const NTLMSSP_NEGOTIATE_DATAGRAM = 0x00000040;
export const NTLMSSP_NEGOTIATE_LM_KEY = 0x00000080;
export const NTLMSSP_NEGOTIATE_NTLM = 0x00000200;
export const NTLMSSP_NEGOTIATE_ANONYMOUS = 0x00000800;
export const NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x00001000;
export const NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x00002000;
export const NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000;
export const NTLMSSP_TARGET_TYPE_DOMAIN = 0x00010000;
export const NTLMSSP_TARGET_TYPE_SERVER = 0x00020000;
export const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
export const NTLMSSP_NEGOTIATE_IDENTIFY = 0x00100000;
export const NTLMSSP_REQUEST_NON_NT_SESSION_KEY = 0x00400000;
export const NTLMSSP_NEGOTIATE_TARGET_INFO = 0x00800000;
export const NTLMSSP_NEGOTIATE_VERSION = 0x02000000;
export const NTLMSSP_NEGOTIATE_128 = 0x20000000;
export const NTLMSSP_NEGOTIATE_KEY_EXCH = 0x40000000;
export const NTLMSSP_NEGOTIATE_56 = 0x80000000;

export const MsvAvEOL = 0;
export const MsvAvNbComputerName = 1;
export const MsvAvNbDomainName = 2;
export const MsvAvDnsComputerName = 3;
export const MsvAvDnsDomainName = 4;
export const MsvAvDnsTreeName = 5;
export const MsvAvFlags = 6;
export const MsvAvTimestamp = 7;
export const MsvAvSingleHost = 8;
export const MsvAvTargetName = 9;
export const MsvAvChannelBindings = 10;

/** MsvAvFlags bit: the AUTHENTICATE_MESSAGE carries a MIC (MS-NLMP 2.2.2.1). */
export const MSV_AV_FLAG_MIC_PRESENT = 0x00000002;

export const NtLmNegotiate = 1;
export const NtLmChallenge = 2;
export const NtLmAuthenticate = 3;

/** "NTLMSSP\0" */
export const NTLMSSP_SIGNATURE = Buffer.from('4e544c4d53535000', 'hex');

/** Offset and size of the MIC in an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3). */
export const MIC_OFFSET = 72;
export const MIC_SIZE = 16;

/** NTLMSSP_REVISION_W2K3 (MS-NLMP 2.2.2.10). */
export const NTLMSSP_REVISION_W2K3 = 0x0f;

/** Size of NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9). */
export const NTLMSSP_SIGNATURE_SIZE = 16;
