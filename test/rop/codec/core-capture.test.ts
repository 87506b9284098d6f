// Outlook 2007 capture (fixtures/emsmdb/outlook2007-lzxpress-002.json, OpenChange test data): the core ROPs in a
// real client's ROP buffer decode to the fields the fixture notes and re-encode byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { CORE_CODECS } from '../../../src/rop/codec/core.js';
import type { CodecContext } from '../../../src/rop/types.js';

const fx = JSON.parse(readFileSync(new URL('../../../fixtures/emsmdb/outlook2007-lzxpress-002.json', import.meta.url), 'utf8')) as {
  rgbIn: { payloadHex: string; rops: Array<{ offset: number; length: number; RopId: string; name: string }> };
};
const payload = Buffer.from(fx.rgbIn.payloadHex, 'hex');
const rops = payload.subarray(2); // after RopSize
const ctx: CodecContext = { codePage: 1252 };

describe('Outlook 2007 ROP buffer (Tables operations)', () => {
  const decoded = new Map<string, Record<string, unknown>>();
  for (const rop of fx.rgbIn.rops) {
    const codec = CORE_CODECS.find((c) => c.name === rop.name);
    if (!codec) continue; // RopRegisterNotification: OTHER_CODECS
    it(`${rop.name} at ${rop.offset} decodes and re-encodes`, () => {
      const bytes = rops.subarray(rop.offset, rop.offset + rop.length);
      const r = new RopReader(bytes);
      const req = codec.decodeRequest(r, ctx);
      expect(r.left).toBe(0);
      const w = new RopWriter();
      codec.encodeRequest(w, req, ctx);
      expect(Buffer.from(w.result())).toEqual(bytes);
      decoded.set(`${rop.name}@${rop.offset}`, req as unknown as Record<string, unknown>);
    });
  }

  it('has the fields the fixture notes', () => {
    expect(decoded.get('RopGetContentsTable@0')).toMatchObject({ OutputHandleIndex: 1, TableFlags: 0x02 });
    expect((decoded.get('RopSetColumns@5')?.PropertyTags as number[]).length).toBe(13);
    const fr = decoded.get('RopFindRow@63') as { Restriction: { type: string; res: Array<Record<string, unknown>> }; Origin: number; Bookmark: Buffer };
    expect(fr.Restriction.type).toBe('and');
    expect(fr.Restriction.res).toHaveLength(5);
    expect(fr.Restriction.res[0]).toEqual({ type: 'property', relop: 4, propTag: 0x001a001f, value: { tag: 0x001a001f, value: 'IPM.Microsoft.FolderDesign.NamedView' } });
    expect(fr.Restriction.res[1]).toEqual({ type: 'bitmask', relBMR: 0, propTag: 0x68340003, mask: 1 });
    expect(fr.Restriction.res[4]).toMatchObject({ type: 'content', fuzzyLevel: 0, propTag: 0x0037001f, value: { value: 'Messages' } });
    expect(fr.Bookmark.length).toBe(0);
    expect(decoded.get('RopOpenFolder@224')).toMatchObject({ InputHandleIndex: 2, OutputHandleIndex: 3, FolderId: 0x0951330000000001n, OpenModeFlags: 0 });
    expect(decoded.get('RopGetPropertiesSpecific@273')).toMatchObject({ InputHandleIndex: 4, PropertySizeLimit: 0, WantUnicode: 1 });
    expect((decoded.get('RopGetPropertiesSpecific@273')?.PropertyTags as number[]).length).toBe(18);
  });
});

describe('Outlook 2007 ROP buffer (sending a message)', () => {
  const f1 = JSON.parse(readFileSync(new URL('../../../fixtures/emsmdb/outlook2007-lzxpress-001.json', import.meta.url), 'utf8')) as typeof fx;
  const body = Buffer.from(f1.rgbIn.payloadHex, 'hex').subarray(2);
  it('RopSetProperties and RopGetPropertiesSpecific decode and re-encode', () => {
    for (const rop of f1.rgbIn.rops) {
      const codec = CORE_CODECS.find((c) => c.name === rop.name);
      if (!codec) continue;
      const bytes = body.subarray(rop.offset, rop.offset + rop.length);
      const r = new RopReader(bytes);
      const req = codec.decodeRequest(r, ctx) as unknown as Record<string, unknown>;
      expect(r.left).toBe(0);
      const w = new RopWriter();
      codec.encodeRequest(w, req as never, ctx);
      expect(Buffer.from(w.result())).toEqual(bytes);
      if (rop.name === 'RopSetProperties') {
        const vals = req.PropertyValues as Array<{ tag: number; value: unknown }>;
        expect(vals.map((v) => v.tag)).toEqual([0x003d001f, 0x0e1d001f]);
        expect(vals[0]?.value).toBe('');
      }
      if (rop.name === 'RopGetPropertiesSpecific') expect(req).toMatchObject({ WantUnicode: 0, PropertyTags: [0x65e20102] });
    }
  });
});
