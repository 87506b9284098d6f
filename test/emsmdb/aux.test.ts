// MS-OXCRPC 2.2.2.2 AUX_HEADER + auxiliary blocks: the section 4.1 rgbAuxOut byte for byte, the blocks Outlook 2007
// sent in the captures, round trips of every structure, unknown blocks, every error code, hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUX_STRUCTURES,
  auxClientControl,
  auxEndpointCapabilities,
  auxExOrgInfo,
  auxServerCapabilities,
  auxStructureOf,
  AuxType,
  ENABLE_COMPRESSION,
  ENABLE_HTTP_TUNNELING,
  ENABLE_PERF_SENDTOSERVER,
  encodeAuxBlock,
  encodeAuxBlocks,
  ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT,
  PACKED_FAST_TRANSFER_UPLOAD_BUFFERS,
  parseAuxBlocks,
  PUBLIC_FOLDERS_ENABLED,
  type AuxBlock,
  type AuxStructureName,
} from '../../src/emsmdb/aux.js';
import { AuxError } from '../../src/emsmdb/errors.js';
import { AUX_IN_LIMITS, MAX_AUX_SIZE, readExtendedBuffer, writeExtendedBuffer } from '../../src/emsmdb/extbuf.js';
import { codeOf, fixture, hex, mutated, RUNS, valueOrCodedError } from './helpers.js';

const fx = fixture('ms-oxcrpc-extended-buffer.json');
const rgbAuxOut41 = fx.vectors.find((v: { id: string }) => v.id === 'oxcrpc-4.1-rgbAuxOut');

describe('MS-OXCRPC 4.1 EcDoConnectEx rgbAuxOut', () => {
  it('is reproduced byte for byte: RPC_HEADER_EXT{0, Last, 8, 8} + AUX_EXORGINFO{PUBLIC_FOLDERS_ENABLED}', () => {
    const payload = encodeAuxBlocks([auxExOrgInfo(PUBLIC_FOLDERS_ENABLED)]);
    // the client asked for compression and obfuscation of nothing (cbAuxIn 0, pulFlags n/a): the spec example
    // carries a plain payload; 8 bytes are below the compression threshold anyway
    const out = writeExtendedBuffer([payload], { compress: true, xor: false, maxOut: MAX_AUX_SIZE });
    expect(out.toString('hex')).toBe(rgbAuxOut41.hex);
    expect(out.length).toBe(0x10);
  });

  it('parses back to the block', () => {
    const [payload] = readExtendedBuffer(hex(rgbAuxOut41.hex), AUX_IN_LIMITS);
    expect(parseAuxBlocks(payload!)).toEqual([{ Version: 1, Type: 0x17, structure: 'AUX_EXORGINFO', OrgFlags: 1 }]);
  });
});

describe('Outlook 2007 rgbAuxIn (fixtures/emsmdb/outlook2007-lzxpress-00{1,2}.json)', () => {
  for (const [name, reqId, prev] of [
    ['outlook2007-lzxpress-001.json', 0xa3, 0xa2],
    ['outlook2007-lzxpress-002.json', 0x1c, 0x1b],
  ] as const) {
    it(`${name}: AUX_PERF_REQUESTID then two AUX_PERF_BG_DEFMDB_SUCCESS`, () => {
      const cap = fixture(name);
      const stub = hex(cap.stubHex);
      const at = cap.ndr.rgbAuxInOffset;
      const [payload] = readExtendedBuffer(stub.subarray(at, at + cap.ndr.cbAuxIn), AUX_IN_LIMITS);
      expect(payload!.toString('hex')).toBe(cap.rgbAuxIn.payloadHex);
      const blocks = parseAuxBlocks(payload!);
      expect(blocks.map((b) => [b.Version, b.Type, b.structure])).toEqual([
        [1, AuxType.AUX_TYPE_PERF_REQUESTID, 'AUX_PERF_REQUESTID'],
        [1, AuxType.AUX_TYPE_PERF_BG_DEFMDB_SUCCESS, 'AUX_PERF_DEFMDB_SUCCESS'],
        [1, AuxType.AUX_TYPE_PERF_BG_DEFMDB_SUCCESS, 'AUX_PERF_DEFMDB_SUCCESS'],
      ]);
      expect(blocks[0]).toMatchObject({ SessionID: 1, RequestID: reqId });
      expect(blocks[1]).toMatchObject({ RequestID: prev, Reserved: 0 });
      expect(blocks[2]).toMatchObject({ RequestID: prev });
      // and our encoder writes the same bytes back
      expect(encodeAuxBlocks(blocks).equals(payload!)).toBe(true);
    });
  }
});

describe('server blocks (MS-OXCRPC 3.1.4.1.2.1)', () => {
  it('AUX_CLIENT_CONTROL, AUX_ENDPOINT_CAPABILITIES, AUX_SERVER_CAPABILITIES, AUX_EXORGINFO', () => {
    const flags = ENABLE_PERF_SENDTOSERVER | ENABLE_COMPRESSION | ENABLE_HTTP_TUNNELING;
    expect(encodeAuxBlock(auxClientControl(flags, 60_000)).toString('hex')).toBe('0c00010a' + '0d000000' + '60ea0000');
    expect(encodeAuxBlock(auxEndpointCapabilities(ENDPOINT_CAPABILITIES_SINGLE_ENDPOINT)).toString('hex')).toBe('08000148' + '01000000');
    expect(encodeAuxBlock(auxServerCapabilities(PACKED_FAST_TRANSFER_UPLOAD_BUFFERS)).toString('hex')).toBe('08000146' + '01000000');
    expect(encodeAuxBlock(auxExOrgInfo(0)).toString('hex')).toBe('08000117' + '00000000');
    const all = encodeAuxBlocks([auxExOrgInfo(1), auxClientControl(flags, 60_000), auxEndpointCapabilities(1)]);
    expect(parseAuxBlocks(all)).toEqual([auxExOrgInfo(1), auxClientControl(flags, 60_000), auxEndpointCapabilities(1)]);
  });

  it('places variable fields after the fixed part, offsets from the AUX_HEADER, blocks padded to 4 bytes', () => {
    const b = encodeAuxBlock({
      Version: 1,
      Type: AuxType.AUX_TYPE_PERF_CLIENTINFO,
      structure: 'AUX_PERF_CLIENTINFO',
      AdapterSpeed: 100000,
      ClientID: 1,
      MachineName: 'PC',
      UserName: 'u',
      ClientIP: Buffer.from([192, 0, 2, 1]),
      ClientIPMask: null,
      AdapterName: null,
      MacAddress: Buffer.from([1, 2, 3, 4, 5, 6]),
      ClientMode: 2,
      Reserved: 0,
    });
    expect(b.readUInt16LE(4 + 6)).toBe(32); // MachineNameOffset: 4 + 28-byte fixed part
    expect(b.readUInt16LE(4 + 8)).toBe(38); // UserNameOffset: after "PC\0" in UTF-16
    expect(b.readUInt16LE(4 + 14)).toBe(0); // ClientIPMaskOffset: null
    expect(b.length % 4).toBe(0);
    expect(b.readUInt16LE(0)).toBe(b.length);
  });

  it('refuses a block whose (Version, Type) does not select its structure', () => {
    expect(() => encodeAuxBlock({ ...auxExOrgInfo(1), Type: 0x18 })).toThrow(/not AUX_EXORGINFO/);
  });
});

/** A value for every field of a structure, from its declaration (the same table the codec uses). */
function blockArb(name: AuxStructureName, version: number, type: number): fc.Arbitrary<AuxBlock> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [f, kind] of AUX_STRUCTURES[name]) {
    if (kind === 'u8') fields[f] = fc.integer({ min: 0, max: 0xff });
    else if (kind === 'u16') fields[f] = fc.integer({ min: 0, max: 0xffff });
    else if (kind === 'u32') fields[f] = fc.integer({ min: 0, max: 0xffffffff });
    else if (kind === 'guid') fields[f] = fc.uuid();
    else if (kind === 'wstr') fields[f] = fc.option(fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0')));
    else if (kind === 'sizedBytes') fields[f] = fc.option(fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)));
    else {
      const n = Number(kind.slice(5));
      fields[f] = fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Buffer.from(u));
    }
  }
  return fc.record(fields).map((v) => ({ Version: version, Type: type, structure: name, ...v }) as AuxBlock);
}

const PAIRS: Array<[number, number, AuxStructureName]> = [];
for (let v = 1; v <= 2; v++) for (let t = 0; t < 256; t++) {
  const s = auxStructureOf(v, t);
  if (s) PAIRS.push([v, t, s]);
}
const anyBlock = fc.oneof(...PAIRS.map(([v, t, s]) => blockArb(s, v, t)));

describe('round trips', () => {
  it('covers the spec table: 40 (Version, Type) pairs, 23 structures', () => {
    expect(PAIRS.length).toBe(40);
    expect(new Set(PAIRS.map((p) => p[2])).size).toBe(23);
    expect(auxStructureOf(2, AuxType.AUX_TYPE_PERF_PROCESSINFO)).toBe('AUX_PERF_PROCESSINFO');
    expect(auxStructureOf(2, AuxType.AUX_TYPE_EXORGINFO)).toBeUndefined();
  });

  it('every structure: encode -> parse gives the same values; Size is a multiple of 4', () => {
    fc.assert(
      fc.property(fc.array(anyBlock, { minLength: 1, maxLength: 6 }), (blocks) => {
        const bytes = encodeAuxBlocks(blocks);
        const back = parseAuxBlocks(bytes);
        expect(back).toEqual(blocks);
        let at = 0;
        for (let i = 0; i < blocks.length; i++) {
          expect(bytes.readUInt16LE(at) % 4).toBe(0);
          at += bytes.readUInt16LE(at);
        }
        expect(at).toBe(bytes.length);
      }),
      { numRuns: 600 },
    );
  });

  it('keeps unknown (Version, Type) pairs as bytes and skips them by Size', () => {
    const unknown = Buffer.from('10000199' + '0102030405060708090a0b0c', 'hex'); // V1 type 0x99, 12 bytes
    const v3 = Buffer.from('08000302' + 'aabbccdd', 'hex'); // Version 3
    const odd = Buffer.from('05000177' + '42', 'hex'); // Size 5: not aligned, still followed
    const bytes = Buffer.concat([unknown, encodeAuxBlock(auxExOrgInfo(2)), v3, odd, encodeAuxBlock(auxEndpointCapabilities(1))]);
    const blocks = parseAuxBlocks(bytes);
    expect(blocks.map((b) => b.structure)).toEqual(['unknown', 'AUX_EXORGINFO', 'unknown', 'unknown', 'AUX_ENDPOINT_CAPABILITIES']);
    expect(blocks[0]).toEqual({ Version: 1, Type: 0x99, structure: 'unknown', data: hex('0102030405060708090a0b0c') });
    expect(blocks[2]).toMatchObject({ Version: 3, Type: 2 });
    expect(encodeAuxBlock(blocks[0]!).equals(unknown)).toBe(true);
  });

  it('reads a block longer than its structure (padding or fields of a later revision)', () => {
    const b = Buffer.from('10000117' + '01000000' + 'ffffffff' + 'eeeeeeee', 'hex');
    expect(parseAuxBlocks(b)).toEqual([auxExOrgInfo(1)]);
  });
});

describe('parse errors', () => {
  it('OC_AUX_BAD_SIZE: Size below 4 or past the end', () => {
    expect(codeOf(() => parseAuxBlocks(hex('03000117')))).toBe('OC_AUX_BAD_SIZE');
    expect(codeOf(() => parseAuxBlocks(hex('0000011701000000')))).toBe('OC_AUX_BAD_SIZE');
    expect(codeOf(() => parseAuxBlocks(hex('0c0001170100000000')))).toBe('OC_AUX_BAD_SIZE');
  });
  it('OC_AUX_TRUNCATED: bytes left that cannot hold an AUX_HEADER', () => {
    expect(codeOf(() => parseAuxBlocks(hex('08000117010000000800')))).toBe('OC_AUX_TRUNCATED');
  });
  it('OC_AUX_SHORT_BLOCK: a known structure larger than its block', () => {
    expect(codeOf(() => parseAuxBlocks(hex('04000117')))).toBe('OC_AUX_SHORT_BLOCK');
    expect(codeOf(() => parseAuxBlocks(hex('0800010a01000000')))).toBe('OC_AUX_SHORT_BLOCK'); // CLIENT_CONTROL needs 8
  });
  it('OC_AUX_BAD_OFFSET / OC_AUX_BAD_STRING: variable fields outside the block or unterminated', () => {
    // AUX_SERVER_SESSION_INFO: offset 0x40 in an 8-byte block; offset 2 (inside the header); no terminator
    expect(codeOf(() => parseAuxBlocks(hex('0800014b' + '40000000')))).toBe('OC_AUX_BAD_OFFSET');
    expect(codeOf(() => parseAuxBlocks(hex('0800014b' + '02000000')))).toBe('OC_AUX_BAD_OFFSET');
    expect(codeOf(() => parseAuxBlocks(hex('0c00014b' + '06004100' + '42004300')))).toBe('OC_AUX_BAD_STRING');
    expect(parseAuxBlocks(hex('0c00014b' + '06004100' + '00000000'))).toEqual([
      { Version: 1, Type: 0x4b, structure: 'AUX_SERVER_SESSION_INFO', ServerSessionContextInfo: 'A' },
    ]);
    // AUX_PERF_CLIENTINFO with a MacAddress reaching past the block
    const ci = encodeAuxBlock({
      Version: 1, Type: 2, structure: 'AUX_PERF_CLIENTINFO', AdapterSpeed: 0, ClientID: 0, MachineName: null, UserName: null,
      ClientIP: null, ClientIPMask: null, AdapterName: null, MacAddress: Buffer.alloc(6, 1), ClientMode: 0, Reserved: 0,
    });
    ci.writeUInt16LE(200, 4 + 20); // MacAddressSize
    expect(codeOf(() => parseAuxBlocks(ci))).toBe('OC_AUX_BAD_OFFSET');
  });
  it('OC_AUX_TOO_MANY', () => {
    const many = encodeAuxBlocks(Array.from({ length: 5 }, () => auxExOrgInfo(1)));
    expect(codeOf(() => parseAuxBlocks(many, { maxBlocks: 4 }))).toBe('OC_AUX_TOO_MANY');
    expect(parseAuxBlocks(many, { maxBlocks: 5 }).length).toBe(5);
  });
});

describe('parseAuxBlocks on hostile input', () => {
  it('arbitrary bytes: blocks or an AuxError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (u) => {
        valueOrCodedError(() => parseAuxBlocks(u), AuxError);
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid buffers: blocks or an AuxError', () => {
    const samples = fc.sample(fc.array(anyBlock, { minLength: 1, maxLength: 4 }), { numRuns: 20, seed: 42 }).map((bs) => encodeAuxBlocks(bs));
    samples.push(hex(fixture('outlook2007-lzxpress-001.json').rgbAuxIn.payloadHex));
    fc.assert(
      fc.property(fc.constantFrom(...samples).chain(mutated), (m) => {
        valueOrCodedError(() => parseAuxBlocks(m), AuxError);
      }),
      RUNS,
    );
  });
});
