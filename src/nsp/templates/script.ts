// PidTagScriptData (MS-OXOABKT 2.2.2.2 Script Format): a DWORD count followed by that many DWORDs of instructions
// and the data they reference. Display templates carry no script; address creation templates, which this server
// does not offer (its address creation table is empty), would.
import { OcError, ProtocolError } from '../../util/errors.js';

// MS-OXOABKT 2.2.2.2 Script Format
export function encodeScript(dwords: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dwords.length);
  b.writeUInt32LE(dwords.length, 0);
  dwords.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new OcError('OC_ABKT_FIELD_RANGE', `script DWORD ${i} is not a DWORD: ${d}`);
    }
    b.writeUInt32LE(d, 4 + 4 * i);
  });
  return b;
}

/** The script's DWORDs; a ProtocolError if the count does not fit the bytes or `maxDwords`. */
export function decodeScript(buf: Buffer, maxDwords = 65536): number[] {
  if (buf.length < 4) throw new ProtocolError('OC_ABKT_SHORT_BUFFER', `script of ${buf.length} bytes has no count`);
  const n = buf.readUInt32LE(0);
  if (n > maxDwords || 4 + 4 * n > buf.length) {
    throw new ProtocolError('OC_ABKT_SHORT_BUFFER', `script count ${n} does not fit ${buf.length} bytes`, { n });
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(buf.readUInt32LE(4 + 4 * i));
  return out;
}

/** The script of a template that has none: a count of 0. */
export const emptyScript = (): Buffer => encodeScript([]);
