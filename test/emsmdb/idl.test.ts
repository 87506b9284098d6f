// The EMSMDB stub schemas against real bytes: the two Outlook 2007 EcDoRpcExt2 request stubs (fixtures/emsmdb) decode
// to the values worked out by hand and re-encode byte for byte; their ROP payloads run through the dispatcher with
// the project's codecs (when src/rop/codec is there); EcDoConnectEx's layout follows NDR alignment.
import { describe, expect, it } from 'vitest';
import { readExtendedBuffer, RGB_IN_LIMITS } from '../../src/emsmdb/extbuf.js';
import { EcDoConnectEx_in, EcDoConnectEx_out, EcDoRpcExt2_in } from '../../src/emsmdb/idl.js';
import { RopRunner, splitRopBuffer } from '../../src/rop/dispatch.js';
import { ec } from '../../src/rop/ec.js';
import { loadRopRegistry } from '../../src/rop/registry.js';
import { silentLogger } from '../../src/util/log.js';
import { fixture, hex } from './helpers.js';

const CAPTURES = ['outlook2007-lzxpress-001.json', 'outlook2007-lzxpress-002.json'];

describe.each(CAPTURES)('EcDoRpcExt2 request of %s', (name) => {
  const cap = fixture(name);
  const stub = hex(cap.stubHex);

  it('decodes to the hand-checked values and re-encodes byte for byte', () => {
    const { value, length } = EcDoRpcExt2_in.decodeWithLength(stub);
    expect(value.pulFlags).toBe(cap.ndr.pulFlags);
    expect(value.cbIn).toBe(cap.ndr.cbIn);
    expect(value.rgbIn.length).toBe(cap.ndr.cbIn);
    expect(value.pcbOut).toBe(cap.ndr.pcbOut);
    expect(value.cbAuxIn).toBe(cap.ndr.cbAuxIn);
    expect(value.pcbAuxOut).toBe(cap.ndr.pcbAuxOut);
    expect(value.pcxh.attributes).toBe(0);
    expect(EcDoRpcExt2_in.encode(value)).toEqual(stub.subarray(0, length));
  });

  it('its ROP payload goes through the dispatcher: every ROP answered', async () => {
    const { value } = EcDoRpcExt2_in.decodeWithLength(stub);
    const [payload] = readExtendedBuffer(value.rgbIn, RGB_IN_LIMITS);
    expect(payload!.toString('hex')).toBe(cap.rgbIn.payloadHex);
    const registry = await loadRopRegistry();
    const run = new RopRunner(registry, { session: null, log: silentLogger() });
    const r = await run.run(payload!, Math.min(value.pcbOut - 8, 0x8000));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const rops = cap.rgbIn.rops as Array<{ RopId: string }>;
    const known = rops.findIndex((x) => !registry.codec(Number(x.RopId)));
    expect(known).toBe(-1); // every ROP Outlook 2007 sent there has a codec
    {
      expect(r.stopped).toBeUndefined();
      expect(r.processed).toBe(rops.length);
      // nothing is open in this fresh session: each ROP answers ecNullObject (RopRelease answers nothing)
      const { rops: out, handles } = splitRopBuffer(r.output);
      expect(handles.length).toBe(cap.rgbIn.ServerObjectHandleTable.length);
      expect(out.length).toBeGreaterThan(0);
      expect(out.readUInt32LE(2)).toBe(ec.NullObject);
    }
  });
});

describe('EcDoConnectEx stub layout (MS-OXCRPC 4.1 parameter values)', () => {
  const dn = '/o=First Organization/ou=First Administrative Group/CN=recipients/CN=janedow';
  const req = {
    szUserDN: Buffer.from(dn, 'latin1'),
    ulFlags: 0,
    ulConMod: 0x00340567,
    cbLimit: 0,
    ulCpid: 0x4e4,
    ulLcidString: 0x409,
    ulLcidSort: 0x409,
    ulIcxrLink: 0xffffffff,
    usFCanConvertCodePages: 1,
    rgwClientVersion: [0x000c, 0x183e, 0x03e8],
    pulTimeStamp: 0,
    rgbAuxIn: Buffer.alloc(0),
    cbAuxIn: 0,
    pcbAuxOut: 0x1008,
  };

  it('request: string, 7 u32s, the u16 and rgwClientVersion unpadded, then pulTimeStamp 4-aligned', () => {
    const b = EcDoConnectEx_in.encode(req);
    const s = 12 + dn.length + 1;
    const at = (s + 3) & ~3;
    expect(b.readUInt32LE(0)).toBe(dn.length + 1);
    expect(b.readUInt32LE(at + 4 * 7 - 4)).toBe(0xffffffff); // ulIcxrLink
    expect(b.readUInt16LE(at + 28)).toBe(1);
    expect([b.readUInt16LE(at + 30), b.readUInt16LE(at + 32), b.readUInt16LE(at + 34)]).toEqual(req.rgwClientVersion);
    expect(b.length).toBe(at + 36 + 4 + 4 + 4 + 4); // pulTimeStamp, max_count 0, cbAuxIn, pcbAuxOut
    expect(EcDoConnectEx_in.decode(b)).toEqual(req);
  });

  it('response round-trips, null strings and an AUX buffer included', () => {
    const res = {
      pcxh: { attributes: 0, uuid: '11111111-2222-3333-4444-555555555555' },
      pcmsPollsMax: 60000,
      pcRetry: 6,
      pcmsRetryDelay: 10000,
      picxr: 0x304,
      szDNPrefix: Buffer.from('/o=x/ou=y/cn=Configuration/cn=Servers/cn=S'),
      szDisplayName: null,
      rgwServerVersion: [0x0e03, 0x807b, 4],
      rgwBestVersion: [0x000c, 0x183e, 0x03e8],
      pulTimeStamp: 1234,
      rgbAuxOut: hex('00000400080008000800011700000000'),
      pcbAuxOut: 16,
      result: 0,
    };
    expect(EcDoConnectEx_out.decode(EcDoConnectEx_out.encode(res))).toEqual(res);
  });
});
