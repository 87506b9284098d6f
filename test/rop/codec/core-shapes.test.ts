// Core ROP codecs built from values (the server's direction): prefixes and handle indexes, string forms chosen by
// UseUnicode flags and the code page, conditional fields, row-carrying responses decoded with their columns.
import { describe, expect, it } from 'vitest';
import { RopReader, RopWriter } from '../../../src/mapi/buffer.js';
import { PT } from '../../../src/mapi/props.js';
import { readPropertyRow, writePropertyRow } from '../../../src/mapi/ropprops.js';
import { CORE_CODECS } from '../../../src/rop/codec/core.js';
import { logonTime } from '../../../src/rop/codec/RopLogon.js';
import type { CodecContext, RopCodec, RopRequestHeader, RopResponse } from '../../../src/rop/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const codec = (name: string): RopCodec<any, any> => CORE_CODECS.find((c) => c.name === name)!;
const ctx: CodecContext = { codePage: 1252 };

function req(name: string, q: Record<string, unknown>, c: CodecContext = ctx): { bytes: Buffer; back: RopRequestHeader } {
  const w = new RopWriter();
  codec(name).encodeRequest(w, q as unknown as RopRequestHeader, c);
  const bytes = Buffer.from(w.result());
  const r = new RopReader(bytes);
  const back = codec(name).decodeRequest(r, c);
  expect(r.left).toBe(0);
  return { bytes, back };
}

function res(name: string, s: RopResponse, q: RopRequestHeader, c: CodecContext = ctx): { bytes: Buffer; back: RopResponse } {
  const w = new RopWriter();
  codec(name).encodeResponse(w, s, c, q);
  const bytes = Buffer.from(w.result());
  const r = new RopReader(bytes);
  const back = codec(name).decodeResponse(r, c, q);
  expect(r.left).toBe(0);
  return { bytes, back };
}

describe('core codec shapes', () => {
  it('RopRelease has no response; object-creating ROPs answer with OutputHandleIndex', () => {
    expect(codec('RopRelease').hasResponse).toBe(false);
    const created = CORE_CODECS.filter((c) => c.createsObject).map((c) => c.name).sort();
    expect(created).toEqual(['RopCreateFolder', 'RopGetContentsTable', 'RopGetHierarchyTable', 'RopLogon', 'RopOpenFolder']);
    const q = { RopId: 0x02, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 3, FolderId: 5n, OpenModeFlags: 0 };
    expect(codec('RopOpenFolder').responseHandleIndex(q)).toBe(3);
  });

  it('RopLogon: no InputHandleIndex; private and public responses from values', () => {
    const { bytes, back } = req('RopLogon', { RopId: 0xfe, LogonId: 2, OutputHandleIndex: 0, LogonFlags: 1, OpenFlags: 0x01000000, StoreState: 0, Essdn: '/o=Org/cn=u' });
    expect(bytes.subarray(0, 3).toString('hex')).toBe('fe0200');
    expect(back.InputHandleIndex).toBeUndefined();
    const fids = Array.from({ length: 13 }, (_, i) => BigInt(i + 1));
    const priv = res(
      'RopLogon',
      {
        RopId: 0xfe,
        HandleIndex: 0,
        ReturnValue: 0,
        LogonFlags: 1,
        FolderIds: fids,
        ResponseFlags: 7,
        MailboxGuid: '11111111-2222-3333-4444-555555555555',
        ReplId: 1,
        ReplGuid: '66666666-2222-3333-4444-555555555555',
        LogonTime: logonTime(new Date(Date.UTC(2008, 2, 10, 15, 16, 13))),
        GwartTime: 128497641190000000n,
        StoreState: 0,
      } as RopResponse,
      back,
    );
    expect(priv.bytes.length).toBe(6 + 160);
    expect(priv.back).toMatchObject({ FolderIds: fids, LogonTime: { Year: 2008, Month: 3, Day: 10, DayOfWeek: 1, Hour: 15 } });
    const pub = res(
      'RopLogon',
      { RopId: 0xfe, HandleIndex: 0, ReturnValue: 0, LogonFlags: 0, FolderIds: fids, ReplId: 1, ReplGuid: '66666666-2222-3333-4444-555555555555', PerUserGuid: '77777777-2222-3333-4444-555555555555' } as RopResponse,
      back,
    );
    expect(pub.bytes.length).toBe(6 + 139);
  });

  it('RopCreateFolder strings follow UseUnicodeStrings (UTF-16LE or the code page)', () => {
    const base = { RopId: 0x1c, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1, FolderType: 1, OpenExisting: 0, Reserved: 0, Comment: 'c' };
    const a = req('RopCreateFolder', { ...base, UseUnicodeStrings: 0, DisplayName: 'Größe' });
    expect(a.bytes.subarray(8).toString('hex')).toBe(Buffer.from('Größe\0c\0', 'latin1').toString('hex'));
    expect(a.back).toMatchObject({ DisplayName: 'Größe', Comment: 'c' });
    const u = req('RopCreateFolder', { ...base, UseUnicodeStrings: 1, DisplayName: '日本' });
    expect(u.bytes.subarray(8).toString('hex')).toBe(Buffer.from('日本\0c\0', 'utf16le').toString('hex'));
    const jp = req('RopCreateFolder', { ...base, UseUnicodeStrings: 0, DisplayName: '日本' }, { codePage: 932 });
    expect(jp.back).toMatchObject({ DisplayName: '日本' });
  });

  it('RopCreateFolder / RopOpenFolder: existing and ghosted folders carry the conditional fields', () => {
    const q = { RopId: 0x1c, LogonId: 0, InputHandleIndex: 0, OutputHandleIndex: 1 } as RopRequestHeader;
    expect(res('RopCreateFolder', { RopId: 0x1c, HandleIndex: 1, ReturnValue: 0, FolderId: 1n, IsExistingFolder: 0 } as RopResponse, q).bytes.length).toBe(15);
    const ex = res('RopCreateFolder', { RopId: 0x1c, HandleIndex: 1, ReturnValue: 0, FolderId: 1n, IsExistingFolder: 1, HasRules: 1, IsGhosted: 0 } as RopResponse, q);
    expect(ex.bytes.length).toBe(17);
    const gh = res('RopOpenFolder', { RopId: 0x02, HandleIndex: 1, ReturnValue: 0, HasRules: 0, IsGhosted: 1, Ghost: { CheapServerCount: 1, Servers: ['a', 'bc'] } } as RopResponse, q);
    expect(gh.bytes.subarray(6).toString('hex')).toBe('0001' + '0200' + '0100' + '6100' + '626300');
    expect(gh.back).toMatchObject({ IsGhosted: 1, Ghost: { CheapServerCount: 1, Servers: ['a', 'bc'] } });
  });

  it('RopQueryRows / RopFindRow / RopExpandRow / RopGetPropertiesSpecific: rows as bytes, decodable with the columns', () => {
    const cols = [0x67480014, 0x3001001f, 0x0e080003];
    const w = new RopWriter();
    writePropertyRow(w, cols, [1n, 'Inbox', 7], 1252);
    writePropertyRow(w, cols, [2n, 'Sent', undefined], 1252);
    const rows = Buffer.from(w.result());
    const q = { RopId: 0x15, LogonId: 0, InputHandleIndex: 0, QueryRowsFlags: 0, ForwardRead: 1, RowCount: 10, Columns: cols } as RopRequestHeader;
    const qr = res('RopQueryRows', { RopId: 0x15, HandleIndex: 0, ReturnValue: 0, Origin: 0, RowCount: 2, RowData: rows } as RopResponse, q);
    const data = (qr.back as unknown as { RowData: Buffer }).RowData;
    expect(data).toEqual(rows);
    const r = new RopReader(data);
    expect(readPropertyRow(r, cols, 1252)).toEqual([1n, 'Inbox', 7]);
    expect(readPropertyRow(r, cols, 1252)).toEqual([2n, 'Sent', { error: 0x8004010f }]);

    const fq = { RopId: 0x4f, LogonId: 0, InputHandleIndex: 0, Columns: cols } as RopRequestHeader;
    const w1 = new RopWriter();
    writePropertyRow(w1, cols, [1n, 'Inbox', 7], 1252);
    const one = Buffer.from(w1.result());
    const fr = res('RopFindRow', { RopId: 0x4f, HandleIndex: 0, ReturnValue: 0, RowNoLongerVisible: 0, HasRowData: 1, RowData: one } as RopResponse, fq);
    expect(fr.back).toMatchObject({ HasRowData: 1, RowData: one });
    expect(res('RopFindRow', { RopId: 0x4f, HandleIndex: 0, ReturnValue: 0, RowNoLongerVisible: 0, HasRowData: 0 } as RopResponse, fq).bytes.length).toBe(8);

    const gq = { RopId: 0x07, LogonId: 0, InputHandleIndex: 0, PropertySizeLimit: 0, WantUnicode: 1, PropertyTags: [0x3001001f, 0x0e080003, 0x00010102] };
    const gw = new RopWriter();
    writePropertyRow(gw, gq.PropertyTags, ['x', 1, Buffer.from([1])], 1252);
    const g = res('RopGetPropertiesSpecific', { RopId: 7, HandleIndex: 0, ReturnValue: 0, RowData: Buffer.from(gw.result()) } as RopResponse, gq);
    expect(g.bytes.subarray(6)).toEqual(Buffer.from(gw.result()));
  });

  it('RopGetPropertiesAll / RopSetProperties carry TaggedPropertyValues (PropertyValueSize counts the count field)', () => {
    const vals = [
      { tag: 0x3001001f, value: 'Inbox' },
      { tag: 0x0e080003, value: 42 },
      { tag: 0x0ff90102, value: Buffer.from([1, 2, 3]) },
      { tag: 0x6800101f, value: ['a', 'b'] },
    ];
    const s = req('RopSetProperties', { RopId: 0x0a, LogonId: 0, InputHandleIndex: 0, PropertyValues: vals });
    expect(s.bytes.readUInt16LE(3)).toBe(s.bytes.length - 5);
    expect(s.back).toMatchObject({ PropertyValues: vals });
    const ga = res('RopGetPropertiesAll', { RopId: 8, HandleIndex: 0, ReturnValue: 0, PropertyValues: vals } as RopResponse, s.back);
    expect(ga.back).toMatchObject({ PropertyValues: vals });
    const p = res('RopSetProperties', { RopId: 0x0a, HandleIndex: 0, ReturnValue: 0, PropertyProblems: [{ Index: 1, PropertyTag: 0x0e080003, ErrorCode: 0x80070005 }] } as RopResponse, s.back);
    expect(p.bytes.subarray(6).toString('hex')).toBe('0100' + '0100' + '0300080e' + '05000780');
  });

  it('RopWritePerUserInformation: ReplGuid only with DataOffset 0 and USE_PER_MDB_REPLID_MAPPING', () => {
    const base = { RopId: 0x64, LogonId: 0, InputHandleIndex: 0, FolderId: Buffer.alloc(24, 1), HasFinished: 1, DataOffset: 0, Data: Buffer.from([9]) };
    expect(req('RopWritePerUserInformation', base).bytes.length).toBe(3 + 24 + 1 + 4 + 2 + 1);
    const withGuid = req('RopWritePerUserInformation', { ...base, ReplGuid: '11111111-2222-3333-4444-555555555555' }, { codePage: 1252, logonOpenFlags: () => 0x01000000 });
    expect(withGuid.bytes.length).toBe(3 + 24 + 1 + 4 + 2 + 1 + 16);
    expect(withGuid.back).toMatchObject({ ReplGuid: '11111111-2222-3333-4444-555555555555' });
    const later = req('RopWritePerUserInformation', { ...base, DataOffset: 5 }, { codePage: 1252, logonOpenFlags: () => 0x01000000 });
    expect(later.bytes.length).toBe(3 + 24 + 1 + 4 + 2 + 1);
  });

  it('named properties: RopGetNamesFromPropertyIds (Kind 0xFF for unknown ids) and RopQueryNamedProperties', () => {
    const q = req('RopGetNamesFromPropertyIds', { RopId: 0x55, LogonId: 0, InputHandleIndex: 0, PropertyIds: [0x8001, 0x8002] }).back;
    const names = [{ guid: '00020329-0000-0000-c000-000000000046', name: 'Keywords' }, { guid: '00000000-0000-0000-0000-000000000000' }];
    const gn = res('RopGetNamesFromPropertyIds', { RopId: 0x55, HandleIndex: 0, ReturnValue: 0, PropertyNames: names } as RopResponse, q);
    expect(gn.back).toMatchObject({ PropertyNames: names });
    expect(gn.bytes[gn.bytes.length - 1]).toBe(0xff);
    const nq = req('RopQueryNamedProperties', { RopId: 0x5f, LogonId: 0, InputHandleIndex: 0, QueryFlags: 0, PropertyGuid: '00062008-0000-0000-c000-000000000046' });
    expect(nq.bytes.length).toBe(5 + 16);
    const nr = res('RopQueryNamedProperties', { RopId: 0x5f, HandleIndex: 0, ReturnValue: 0, PropertyIds: [0x8501], PropertyNames: [{ guid: '00062008-0000-0000-c000-000000000046', lid: 0x8501 }] } as RopResponse, nq.back);
    expect(nr.bytes.subarray(6).toString('hex')).toBe('0100' + '0185' + '00' + '0820060000000000c000000000000046' + '01850000');
  });

  it('RopGetReceiveFolderTable rows are standard PropertyRows of FolderId, MessageClass (8-bit), LastModificationTime', () => {
    const q = { RopId: 0x68, LogonId: 0, InputHandleIndex: 0 } as RopRequestHeader;
    const rows = [{ FolderId: 0x1e27780000000001n, MessageClass: 'IPM', LastModificationTime: 0x01c882c05f56ef32n }];
    const x = res('RopGetReceiveFolderTable', { RopId: 0x68, HandleIndex: 0, ReturnValue: 0, Rows: rows } as RopResponse, q);
    expect(x.bytes.subarray(6).toString('hex')).toBe('01000000' + '00' + '010000000078271e' + '49504d00' + '32ef565fc082c801');
    expect(x.back).toMatchObject({ Rows: rows });
    expect(PT.STRING8).toBe(0x1e);
  });
});
