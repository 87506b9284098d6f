// CRC-32 with the reflected polynomial 0xEDB88320 (ISO 3309 / ITU-T V.42), one table for every user: NTLM
// (MS-NLMP 6 CRC32: initial and final value 0xFFFFFFFF) and compressed RTF (MS-OXRTFCP 3.1.3.2: initial 0, no final
// xor) differ only in how they start and finish.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Runs the CRC register `crc` over bytes[start..end) (no pre- or post-conditioning). */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32 of `data` (initial value and final xor 0xFFFFFFFF). */
export function crc32(data: Uint8Array): number {
  return (crc32Update(0xffffffff, data) ^ 0xffffffff) >>> 0;
}
