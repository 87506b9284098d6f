// GUIDs on the wire (DCE/NDR form, MS-DTYP 2.3.4.2): Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 8 bytes as-is.
// Inside the program a GUID is its lower-case textual form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
import { randomBytes } from 'node:crypto';
import { ProtocolError } from './errors.js';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const NIL_GUID = '00000000-0000-0000-0000-000000000000';

export function isGuid(s: string): boolean {
  return GUID_RE.test(s.toLowerCase());
}

// The same GUIDs (interfaces, syntaxes, handles) are encoded over and over: keep their wire forms.
const wireCache = new Map<string, Uint8Array>();
const WIRE_CACHE_MAX = 4096;
const ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

function parseWire(guid: string): Uint8Array {
  const s = guid.toLowerCase();
  if (!GUID_RE.test(s)) throw new ProtocolError('OC_BAD_GUID', `not a GUID: ${guid}`);
  const h = s.replace(/-/g, '');
  const b = new Uint8Array(16);
  // Data1..Data3 reversed (little-endian), Data4 as written
  for (let i = 0; i < 16; i++) {
    const j = ORDER[i] as number;
    b[i] = parseInt(h.slice(j * 2, j * 2 + 2), 16);
  }
  return b;
}

/** Writes the 16-byte wire form of `guid` into `out` at `offset`. */
export function writeGuid(guid: string, out: Uint8Array, offset: number): void {
  let b = wireCache.get(guid);
  if (!b) {
    b = parseWire(guid);
    if (wireCache.size >= WIRE_CACHE_MAX) wireCache.clear();
    wireCache.set(guid, b);
  }
  out.set(b, offset);
}

export function guidToBytes(guid: string): Buffer {
  const b = Buffer.alloc(16);
  writeGuid(guid, b, 0);
  return b;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Reads a GUID from 16 wire bytes at `offset` (caller checks the length). */
export function readGuid(b: Uint8Array, offset: number): string {
  const x = (i: number) => HEX[b[offset + i] as number] as string;
  return (
    x(3) + x(2) + x(1) + x(0) + '-' + x(5) + x(4) + '-' + x(7) + x(6) + '-' + x(8) + x(9) + '-' +
    x(10) + x(11) + x(12) + x(13) + x(14) + x(15)
  );
}

export function randomGuid(): string {
  const b = randomBytes(16);
  b[7] = ((b[7] as number) & 0x0f) | 0x40; // version 4 (Data3 high nibble; Data3 is LE on the wire)
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  return readGuid(b, 0);
}
