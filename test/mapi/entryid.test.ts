// MS-OXCDATA 2.2.4 folder, message and store object entry IDs: layouts, round trips, rejects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFolderEntryId,
  decodeMessageEntryId,
  decodeStoreEntryId,
  EIT,
  encodeFolderEntryId,
  encodeMessageEntryId,
  encodeStoreEntryId,
  EntryIdError,
  MUID_STORE_PRIVATE,
  MUID_STORE_PUBLIC,
  privateFolderEntryId,
  privateMessageEntryId,
  WRAPPED_TYPE_PRIVATE,
  WRAPPED_TYPE_PUBLIC,
} from '../../src/mapi/entryid.js';
import { ProtocolError } from '../../src/util/errors.js';

const MBX = 'a591f8f7-341c-4116-8c48-9db01a86f50b';
const REPL = '64d4774d-4983-4f70-9b8b-46e635bb78ab';
const guid = fc.uuid({ version: [4] });
const globcnt = fc.bigInt({ min: 1n, max: (1n << 48n) - 1n });

describe('Folder EntryID (MS-OXCDATA 2.2.4.1)', () => {
  it('lays out Flags, ProviderUID, FolderType, DatabaseGuid, GlobalCounter (big-endian), Pad in 46 bytes', () => {
    const b = privateFolderEntryId(MBX, REPL, 0x78271en);
    expect(b.length).toBe(46);
    expect(b.toString('hex')).toBe(
      '00000000' + 'f7f891a51c3416418c489db01a86f50b' + '0100' + '4d77d4648349704f9b8b46e635bb78ab' + '00000078271e' + '0000',
    );
    expect(decodeFolderEntryId(b)).toEqual({ flags: 0, providerUid: MBX, folderType: EIT.eitLTPrivateFolder, databaseGuid: REPL, globcnt: 0x78271en });
  });

  it('round-trips and rejects other sizes and types', () => {
    fc.assert(
      fc.property(guid, guid, globcnt, fc.constantFrom(1, 3, 5), (p, d, g, t) => {
        const e = { flags: 0, providerUid: p, folderType: t, databaseGuid: d, globcnt: g };
        expect(decodeFolderEntryId(encodeFolderEntryId(e))).toEqual(e);
      }),
    );
    expect(() => decodeFolderEntryId(Buffer.alloc(45))).toThrow(EntryIdError);
    const m = privateMessageEntryId(MBX, REPL, 1n, 2n);
    expect(() => decodeFolderEntryId(Buffer.concat([m.subarray(0, 46)]))).toThrow(EntryIdError); // type 0x0007
  });
});

describe('Message EntryID (MS-OXCDATA 2.2.4.2)', () => {
  it('lays out folder and message database GUID + GlobalCounter in 70 bytes', () => {
    const b = privateMessageEntryId(MBX, REPL, 0x78271en, 0x1234n);
    expect(b.length).toBe(70);
    expect(b.readUInt16LE(20)).toBe(0x0007);
    expect(b.subarray(62, 68).toString('hex')).toBe('000000001234');
    expect(decodeMessageEntryId(b)).toEqual({
      flags: 0,
      providerUid: MBX,
      messageType: EIT.eitLTPrivateMessage,
      folderDatabaseGuid: REPL,
      folderGlobcnt: 0x78271en,
      messageDatabaseGuid: REPL,
      messageGlobcnt: 0x1234n,
    });
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(guid, guid, guid, globcnt, globcnt, fc.constantFrom(7, 9, 11), (p, fd, md, fg, mg, t) => {
        const e = { flags: 0, providerUid: p, messageType: t, folderDatabaseGuid: fd, folderGlobcnt: fg, messageDatabaseGuid: md, messageGlobcnt: mg };
        expect(decodeMessageEntryId(encodeMessageEntryId(e))).toEqual(e);
      }),
    );
    expect(() => decodeMessageEntryId(Buffer.alloc(70))).toThrow(EntryIdError);
  });
});

describe('Store Object EntryID (MS-OXCDATA 2.2.4.3)', () => {
  it('wraps the private store with emsmdb.dll, the server short name and the mailbox DN', () => {
    const e = { flags: 0, wrappedProviderUid: MUID_STORE_PRIVATE, wrappedType: WRAPPED_TYPE_PRIVATE, serverShortname: 'srv', mailboxDn: '/o=Org/cn=Recipients/cn=user' };
    const b = encodeStoreEntryId(e);
    expect(b.subarray(0, 60).toString('hex')).toBe(
      '00000000' +
        '38a1bb1005e5101aa1bb08002b2a56c2' +
        '0000' +
        Buffer.from('emsmdb.dll\0\0\0\0').toString('hex') +
        '00000000' +
        '1b55fa20aa6611cd9bc800aa002fc45a' +
        '0c000000',
    );
    expect(b.subarray(60).toString('latin1')).toBe('srv\0/o=Org/cn=Recipients/cn=user\0');
    expect(decodeStoreEntryId(b)).toEqual(e);
  });

  it('public store: no mailbox DN', () => {
    const e = { flags: 0, wrappedProviderUid: MUID_STORE_PUBLIC, wrappedType: WRAPPED_TYPE_PUBLIC, serverShortname: 'srv' };
    expect(decodeStoreEntryId(encodeStoreEntryId(e))).toEqual(e);
  });

  it('arbitrary bytes decode or fail with a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        for (const f of [decodeFolderEntryId, decodeMessageEntryId, decodeStoreEntryId]) {
          try {
            f(b);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
    );
  });
});
