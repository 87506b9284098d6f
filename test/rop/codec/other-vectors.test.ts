// ROP buffers printed in MS-OXCMSG, MS-OXCPERM and MS-OXORULE §4 (shared/vectors/rop-buffers-from-specs.json):
// decode to the spec's fields, re-encode byte for byte. Buffers of ROPs in CORE_CODECS (RopSetColumns,
// RopQueryRows) are checked with those codecs when src/rop/codec/core.ts is there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { OTHER_CODECS } from '../../../src/rop/codec/other.js';
import type { CodecContext, RopCodec } from '../../../src/rop/types.js';

interface Vector {
  id: string;
  spec: string;
  rop?: string;
  ropId?: string;
  direction: 'request' | 'response';
  coverage?: string;
  hex: string;
  kind?: string;
}

const file = JSON.parse(readFileSync(new URL('../../../fixtures/vectors/rop-buffers-from-specs.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};
const vectors = file.vectors.filter((v) => ['MS-OXCMSG', 'MS-OXCPERM', 'MS-OXORULE'].includes(v.spec));
const ctx: CodecContext = { codePage: 1252 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCodec = RopCodec<any, any>;
const byId = new Map<number, AnyCodec>(OTHER_CODECS.map((c) => [c.RopId, c]));
let coreLoaded = false;
try {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const core = (await import('../../../src/rop/codec/core.js' as string)) as { CORE_CODECS?: AnyCodec[] };
  for (const c of core.CORE_CODECS ?? []) if (!byId.has(c.RopId)) byId.set(c.RopId, c);
  coreLoaded = true;
} catch {
  coreLoaded = false;
}

/**
 * The request that a response vector answers: the nearest earlier request vector of the same ROP in the same
 * example; where the example shows no request (MS-OXCPERM 4.2/4.3 start from a table opened before), a request
 * with the response's handle index.
 */
function requestFor(v: Vector, hexOf: (v: Vector) => Buffer): unknown {
  const at = vectors.indexOf(v);
  const example = v.id.split('#')[0]!.split('.').slice(0, 2).join('.');
  const c = byId.get(parseInt(v.ropId!, 16))!;
  for (let i = at - 1; i >= 0; i--) {
    const x = vectors[i]!;
    if (x.direction === 'request' && x.ropId === v.ropId && x.id.startsWith(example)) return c.decodeRequest(new RopReader(hexOf(x)), ctx);
  }
  const h = hexOf(v)[1]!;
  return { RopId: c.RopId, LogonId: 0, InputHandleIndex: h, OutputHandleIndex: h, ResponseHandleIndex: h };
}

const hexOf = (v: Vector): Buffer => Buffer.from(v.hex, 'hex');

describe('MS-OXCMSG / MS-OXCPERM / MS-OXORULE §4 ROP buffers', () => {
  for (const v of vectors) {
    if (!v.ropId) continue; // ServerObjectHandleTable dumps
    const ropId = parseInt(v.ropId, 16);
    const mine = OTHER_CODECS.some((c) => c.RopId === ropId);
    it.skipIf(!mine && !coreLoaded)(`${v.id} ${v.rop} ${v.direction}`, () => {
      expect(v.coverage).toMatch(/complete ROP buffer/);
      const codec = byId.get(ropId);
      expect(codec, `codec for ${v.rop}`).toBeDefined();
      const bytes = hexOf(v);
      const r = new RopReader(bytes);
      const w = new RopWriter();
      if (v.direction === 'request') {
        const req = codec!.decodeRequest(r, ctx);
        expect(r.left).toBe(0);
        codec!.encodeRequest(w, req, ctx);
      } else {
        const req = requestFor(v, hexOf);
        const res = codec!.decodeResponse(r, ctx, req);
        expect(r.left).toBe(0);
        expect(res.HandleIndex).toBe(codec!.responseHandleIndex(req));
        codec!.encodeResponse(w, res, ctx, req);
      }
      expect(w.result().toString('hex')).toBe(v.hex);
    });
  }
});

const decodeReq = (hex: string) => {
  const c = byId.get(parseInt(hex.slice(0, 2), 16))!;
  const r = new RopReader(Buffer.from(hex, 'hex'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return c.decodeRequest(r, ctx) as any;
};
const hex = (id: string) => vectors.find((v) => v.id === id)!.hex;

describe('decoded fields match the spec text', () => {
  it('MS-OXCMSG 4.1.1 RopCreateMessage request', () => {
    expect(decodeReq(hex('ms-oxcmsg-4.1.1#1'))).toEqual({
      RopId: 0x06,
      LogonId: 0,
      InputHandleIndex: 0,
      OutputHandleIndex: 1,
      CodePageId: 0x0fff,
      FolderId: 0x9379f00000000001n,
      AssociatedFlag: 0,
    });
  });

  it('MS-OXCMSG 4.1.2 RopCreateMessage response: HasMessageId 0, no MessageId', () => {
    const c = byId.get(0x06)!;
    const req = decodeReq(hex('ms-oxcmsg-4.1.1#1'));
    const res = c.decodeResponse(new RopReader(Buffer.from(hex('ms-oxcmsg-4.1.2#1'), 'hex')), ctx, req);
    expect(res).toEqual({ RopId: 0x06, HandleIndex: 1, ReturnValue: 0, HasMessageId: 0 });
  });

  it('MS-OXCMSG 4.8 RopSaveChangesMessage: ResponseHandleIndex before InputHandleIndex', () => {
    const req = decodeReq(hex('ms-oxcmsg-4.8.1#1'));
    expect(req).toEqual({ RopId: 0x0c, LogonId: 0, ResponseHandleIndex: 0, InputHandleIndex: 1, SaveFlags: 0x0a });
    const c = byId.get(0x0c)!;
    const res = c.decodeResponse(new RopReader(Buffer.from(hex('ms-oxcmsg-4.8.2#1'), 'hex')), ctx, req);
    expect(res).toEqual({ RopId: 0x0c, HandleIndex: 0, ReturnValue: 0, InputHandleIndex: 1, MessageId: 0x3986f00000000001n });
  });

  it('MS-OXCMSG 4.4.4 / 4.5.4 RopSaveChangesAttachment: the response carries ResponseHandleIndex', () => {
    const a = decodeReq(hex('ms-oxcmsg-4.4.4#1'));
    expect(a).toMatchObject({ ResponseHandleIndex: 1, InputHandleIndex: 0, SaveFlags: 0x0a });
    expect(byId.get(0x25)!.responseHandleIndex(a)).toBe(1);
    const b = decodeReq(hex('ms-oxcmsg-4.5.4#1'));
    expect(byId.get(0x25)!.responseHandleIndex(b)).toBe(2);
  });

  it('MS-OXCMSG 4.5.2 RopCreateAttachment response: AttachmentID 1', () => {
    const c = byId.get(0x23)!;
    const req = decodeReq(hex('ms-oxcmsg-4.5.1#1'));
    expect(req.OutputHandleIndex).toBe(3);
    expect(c.decodeResponse(new RopReader(Buffer.from(hex('ms-oxcmsg-4.5.2#1'), 'hex')), ctx, req)).toEqual({
      RopId: 0x23,
      HandleIndex: 3,
      ReturnValue: 0,
      AttachmentID: 1,
    });
  });

  it('MS-OXCMSG 4.7.1 RopModifyRecipients: 12 columns, one X500DN recipient "User2"', () => {
    const req = decodeReq(hex('ms-oxcmsg-4.7.1#1'));
    expect(req.InputHandleIndex).toBe(8);
    expect(req.RecipientColumns).toHaveLength(12);
    expect(req.RecipientColumns[0]).toBe(0x0ffe0003);
    expect(req.RecipientColumns[11]).toBe(0x5ff70102);
    expect(req.RecipientRows).toHaveLength(1);
    const row = req.RecipientRows[0];
    expect(row).toMatchObject({ RowId: 0, RecipientType: 1 });
    expect(row.RecipientRow).toMatchObject({
      RecipientFlags: 0x0651,
      AddressPrefixUsed: 90,
      DisplayType: 0,
      X500DN: 'User2',
      DisplayName: 'user2',
      SimpleDisplayName: 'user2',
      RecipientColumnCount: 12,
    });
    const props = row.RecipientRow.RecipientProperties;
    expect(props[0]).toBe(6); // PidTagObjectType MAPI_MAILUSER
    expect(props[3]).toBe('user2@szfkuk-dom.extest.microsoft.com');
    expect(props[7]).toBe(1); // PidTagRecipientFlags
    expect(Buffer.isBuffer(props[11]) && props[11].length).toBe(0x7c);
  });

  it('MS-OXCPERM 4.1 RopModifyPermissions: AddRow with PidTagEntryId + PidTagMemberRights', () => {
    const req = decodeReq(hex('ms-oxcperm-4.1#9'));
    expect(req).toMatchObject({ InputHandleIndex: 2, ModifyFlags: 0x02 });
    expect(req.PermissionsData).toHaveLength(1);
    const [d] = req.PermissionsData;
    expect(d.DataFlags).toBe(0x01);
    expect(d.PermissionDataEntries.map((x: { tag: number }) => x.tag)).toEqual([0x0fff0102, 0x66730003]);
    expect(d.PermissionDataEntries[1].value).toBe(0x1ffb);
  });

  it('MS-OXCPERM 4.2 / 4.3 RopModifyPermissions: ModifyRow and RemoveRow by PidTagMemberId', () => {
    const m = decodeReq(hex('ms-oxcperm-4.2#4'));
    expect(m.PermissionsData[0].DataFlags).toBe(0x02);
    expect(m.PermissionsData[0].PermissionDataEntries).toEqual([
      { tag: 0x66710014, value: 0x1500000002n },
      { tag: 0x66730003, value: 0x1800 },
    ]);
    const d = decodeReq(hex('ms-oxcperm-4.3#4'));
    expect(d.PermissionsData[0].DataFlags).toBe(0x04);
    expect(d.PermissionsData[0].PermissionDataEntries).toEqual([{ tag: 0x66710014, value: 0x1500000002n }]);
  });

  it('MS-OXORULE 4.1.1 RopModifyRules: one rule added with 8 properties', () => {
    const req = decodeReq(hex('ms-oxorule-4.1.1#1'));
    expect(req).toMatchObject({ InputHandleIndex: 1, ModifyRulesFlag: 0 });
    expect(req.RulesData).toHaveLength(1);
    const rule = req.RulesData[0];
    expect(rule.RuleDataFlags).toBe(0x01);
    expect(rule.PropertyValues.map((x: { tag: number }) => x.tag >>> 0)).toEqual([
      0x6682001f, 0x66760003, 0x66770003, 0x667900fd, 0x668000fe, 0x6681001f, 0x66830003, 0x66840102,
    ]);
    expect(rule.PropertyValues[0].value).toBe('Project X');
    expect(rule.PropertyValues[5].value).toBe('RuleOrganizer');
  });

  it('MS-OXORULE 4.3.1 RopModifyRules: delete rule by PidTagRuleId', () => {
    const req = decodeReq(hex('ms-oxorule-4.3.1#1'));
    expect(req.RulesData).toEqual([{ RuleDataFlags: 0x04, PropertyValues: [{ tag: 0x66740014, value: 0x56f83f0100000001n }] }]);
  });

  it('MS-OXCPERM 4.1 / MS-OXORULE 4.2.1 table requests: OutputHandleIndex and TableFlags', () => {
    expect(decodeReq(hex('ms-oxcperm-4.1#3'))).toEqual({ RopId: 0x3e, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, TableFlags: 0x02 });
    expect(decodeReq(hex('ms-oxorule-4.2.1#1'))).toEqual({ RopId: 0x3f, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, TableFlags: 0x40 });
    expect(decodeReq(hex('ms-oxcperm-4.1#1'))).toEqual({
      RopId: 0x2b,
      LogonId: 0,
      InputHandleIndex: 1,
      OutputHandleIndex: 2,
      PropertyTag: 0x0e6a001f,
      OpenModeFlags: 0,
    });
  });
});
