// The two LZ77-compressed Outlook 2007 EcDoRpcExt2 requests from OpenChange's test data (shared/captures, copied
// with their analysis into fixtures/emsmdb/outlook2007-lzxpress-00{1,2}.json): the NDR stub around rgbIn, the
// RPC_HEADER_EXT, decompression to SizeActual, and the shape of the ROP request buffer inside (MS-OXCRPC 3.1.4.2.1.1.1:
// RopSize u16 = 2 + size of the ROP list, then the ServerObjectHandleTable of u32 handles up to the end).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRpcHeaderExt, readExtendedBuffer, RGB_IN_LIMITS, RHE_FLAG_COMPRESSED, RHE_FLAG_LAST, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import { decompress } from '../../src/emsmdb/lz77.js';
import { fixture, hex } from './helpers.js';

/** EcDoRpcExt2 request stub (MS-OXCRPC 3.1.4.2, NDR 2.0): pcxh, pulFlags, rgbIn[cbIn], cbIn, pcbOut, rgbAuxIn[cbAuxIn], cbAuxIn, pcbAuxOut. */
function parseStub(stub: Buffer) {
  let o = 20; // CXH: u32 attributes + GUID
  const pulFlags = stub.readUInt32LE(o);
  o += 4;
  const maxIn = stub.readUInt32LE(o);
  o += 4;
  const rgbIn = stub.subarray(o, o + maxIn);
  o = (o + maxIn + 3) & ~3;
  const cbIn = stub.readUInt32LE(o);
  const pcbOut = stub.readUInt32LE(o + 4);
  const maxAux = stub.readUInt32LE(o + 8);
  o += 12;
  const rgbAuxIn = stub.subarray(o, o + maxAux);
  o = (o + maxAux + 3) & ~3;
  const cbAuxIn = stub.readUInt32LE(o);
  const pcbAuxOut = stub.readUInt32LE(o + 4);
  return { pulFlags, rgbIn, cbIn, pcbOut, rgbAuxIn, cbAuxIn, pcbAuxOut, end: o + 8 };
}

const CAPTURES = [
  ['openchange_lzxpress_001_Outlook_2007_in_ModifyRecipients_comp.dat', 'outlook2007-lzxpress-001.json'],
  ['openchange_lzxpress_002_Outlook_2007_in_Tables_operations_comp.dat', 'outlook2007-lzxpress-002.json'],
] as const;

describe.each(CAPTURES)('%s', (file, fixtureName) => {
  const cap = fixture(fixtureName);
  const stub = hex(cap.stubHex);

  it('the fixture holds the capture byte for byte', () => {
    // fixtures/captures holds the capture files as OpenChange ships them
    const raw = readFileSync(new URL(`../../fixtures/captures/${file}`, import.meta.url));
    expect(raw.equals(stub)).toBe(true);
  });

  it('is an EcDoRpcExt2 request stub: cbIn = max_count, one RPC_HEADER_EXT{0, Compressed|Last} with 8 + Size = cbIn', () => {
    const s = parseStub(stub);
    expect(s.end).toBe(stub.length);
    expect(s.pulFlags).toBe(cap.ndr.pulFlags);
    expect(s.cbIn).toBe(s.rgbIn.length);
    expect(s.cbIn).toBe(cap.ndr.cbIn);
    expect([s.pcbOut, s.cbAuxIn, s.pcbAuxOut]).toEqual([cap.ndr.pcbOut, cap.ndr.cbAuxIn, cap.ndr.pcbAuxOut]);
    const h = decodeRpcHeaderExt(s.rgbIn, 0);
    expect(h).toEqual(cap.rgbIn.RPC_HEADER_EXT);
    expect(h.Flags).toBe(RHE_FLAG_COMPRESSED | RHE_FLAG_LAST);
    expect(8 + h.Size).toBe(s.cbIn);
    expect(h.Size).toBeLessThan(h.SizeActual);
  });

  it('decompresses to SizeActual bytes, equal to the independently decoded payload', () => {
    const s = parseStub(stub);
    const h = decodeRpcHeaderExt(s.rgbIn, 0);
    const direct = decompress(s.rgbIn.subarray(8, 8 + h.Size), h.SizeActual);
    expect(direct.length).toBe(h.SizeActual);
    const [viaChain, ...rest] = readExtendedBuffer(s.rgbIn, RGB_IN_LIMITS);
    expect(rest).toEqual([]);
    expect(viaChain!.equals(direct)).toBe(true);
    expect(direct.toString('hex')).toBe(cap.rgbIn.payloadHex);
  });

  it('holds a plausible ROP request buffer: RopSize, the ROPs of the fixture, a handle table filling the rest', () => {
    const [payload] = readExtendedBuffer(parseStub(stub).rgbIn, RGB_IN_LIMITS);
    const p = payload!;
    const ropSize = p.readUInt16LE(0);
    expect(ropSize).toBe(cap.rgbIn.RopSize);
    expect(ropSize).toBeLessThanOrEqual(p.length);
    expect((p.length - ropSize) % 4).toBe(0); // ServerObjectHandleTable: u32 handles to the end
    const handles: string[] = [];
    for (let o = ropSize; o < p.length; o += 4) handles.push('0x' + p.readUInt32LE(o).toString(16).toUpperCase().padStart(8, '0'));
    expect(handles).toEqual(cap.rgbIn.ServerObjectHandleTable);
    // the ROP boundaries worked out by hand tile the ROP list exactly, each starting with its RopId
    let at = 0;
    for (const rop of cap.rgbIn.rops as Array<{ offset: number; length: number; RopId: string }>) {
      expect(rop.offset).toBe(at);
      expect(p[2 + at]).toBe(Number(rop.RopId));
      expect(p[2 + at + 1]).toBe(0); // LogonId 0 everywhere
      const inputHandleIndex = p[2 + at + 2]!;
      expect(inputHandleIndex).toBeLessThan(handles.length);
      at += rop.length;
    }
    expect(2 + at).toBe(ropSize);
  });

  it('round-trips through our writer (compressed + XOR) and reader', () => {
    const payload = hex(cap.rgbIn.payloadHex);
    const out = writeExtendedBuffer([payload], { compress: true, xor: true, maxOut: 0x40000 });
    expect(decodeRpcHeaderExt(out, 0).Size).toBeLessThan(payload.length);
    expect(readExtendedBuffer(out)[0]!.equals(payload)).toBe(true);
  });
});

describe('ROP ids for the ROP-parser work', () => {
  it('001: RopRemoveAllRecipients, RopModifyRecipients, RopSetProperties, RopSubmitMessage, RopGetPropertiesSpecific', () => {
    const ids = fixture('outlook2007-lzxpress-001.json').rgbIn.rops.map((r: { RopId: string }) => r.RopId);
    expect(ids).toEqual(['0x0D', '0x0E', '0x0A', '0x32', '0x07']);
  });
  it('002: RopGetContentsTable, RopSetColumns, RopFindRow, RopOpenFolder x2, RopRegisterNotification, RopGetPropertiesSpecific', () => {
    const ids = fixture('outlook2007-lzxpress-002.json').rgbIn.rops.map((r: { RopId: string }) => r.RopId);
    expect(ids).toEqual(['0x05', '0x12', '0x4F', '0x02', '0x02', '0x29', '0x07']);
  });
});
