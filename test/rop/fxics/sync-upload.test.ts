// The rules of the ICS upload context (src/rop/fxics/sync-upload.ts): the fixed-position property lists of
// RopSynchronizationImportMessageChange / ImportHierarchyChange (decoders: arbitrary values give a result or an
// ImportFormatError, never another exception), conflict detection by PCL against a plain-map model
// (MS-OXCFXICS 3.1.5.6.1), last writer wins (3.1.5.6.2.2) and the collector's ICS state bookkeeping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeXid, makeEid } from '../../../src/mapi/ids.js';
import type { PropValue, TaggedValue } from '../../../src/mapi/props.js';
import { encodePcl, mergePcl, type PclEntry } from '../../../src/mapistore/pcl.js';
import type { LogonObject } from '../../../src/rop/handlers/objects.js';
import {
  comparePcl, IcsUploadObject, ImportFormatError, lastWriterWins, parseHierarchyChange, parseMessageChange,
  PidTagChangeKey, PidTagDisplayNameW, PidTagLastModificationTime, PidTagParentSourceKey, PidTagPredecessorChangeList, PidTagSourceKey,
} from '../../../src/rop/fxics/sync-upload.js';

const G1 = '11111111-2222-3333-4444-555555555555';
const G2 = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const G3 = '01234567-89ab-cdef-0123-456789abcdef';
const GUIDS = [G1, G2, G3];

const pclFrom = (m: Map<string, number>): Buffer =>
  encodePcl(mergePcl([...m].map(([guid, n]) => ({ guid, localId: encodeXid(guid, BigInt(n)).subarray(16) }) as PclEntry)));

/** Model: A includes B iff every namespace of B is in A with a counter at least as large. */
const includes = (a: Map<string, number>, b: Map<string, number>): boolean => [...b].every(([g, n]) => (a.get(g) ?? -1) >= n);

const arbPclMap = fc.dictionary(fc.constantFrom(...GUIDS), fc.integer({ min: 1, max: 1000 }), { maxKeys: 3 }).map((o) => new Map(Object.entries(o)));

const arbValue: fc.Arbitrary<PropValue> = fc.oneof(
  fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const arbTag = fc.oneof(
  fc.constantFrom(PidTagSourceKey, PidTagChangeKey, PidTagPredecessorChangeList, PidTagLastModificationTime, PidTagParentSourceKey, PidTagDisplayNameW),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const arbValues = fc.array(fc.record({ tag: arbTag, value: arbValue }), { maxLength: 8 }) as fc.Arbitrary<TaggedValue[]>;

const xid = (g: string, n: number) => encodeXid(g, BigInt(n));

describe('ICS upload rules', () => {
  it('parses the fixed-position values of an imported message', () => {
    const v = parseMessageChange([
      { tag: PidTagSourceKey, value: xid(G1, 7) }, { tag: PidTagLastModificationTime, value: 5n },
      { tag: PidTagChangeKey, value: xid(G1, 8) }, { tag: PidTagPredecessorChangeList, value: pclFrom(new Map([[G1, 8]])) },
      { tag: 0x0037001f, value: 'extra values are allowed' },
    ]);
    expect(v).toEqual({ sourceKey: xid(G1, 7), lastModified: 5n, changeKey: xid(G1, 8), pcl: pclFrom(new Map([[G1, 8]])) });
    const f = parseHierarchyChange([
      { tag: PidTagParentSourceKey, value: Buffer.alloc(0) }, { tag: PidTagSourceKey, value: xid(G1, 7) }, { tag: PidTagLastModificationTime, value: 5n },
      { tag: PidTagChangeKey, value: xid(G1, 8) }, { tag: PidTagPredecessorChangeList, value: Buffer.alloc(0) }, { tag: PidTagDisplayNameW, value: 'Folder' },
    ]);
    expect(f.displayName).toBe('Folder');
    expect(f.parentSourceKey.length).toBe(0);
  });

  it('arbitrary value lists give a version or an ImportFormatError, never another exception', () => {
    fc.assert(
      fc.property(arbValues, (values) => {
        for (const parse of [parseMessageChange, parseHierarchyChange]) {
          try {
            parse(values);
          } catch (e) {
            expect(e).toBeInstanceOf(ImportFormatError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('classifies PCLs as the model does (3.1.5.6.1)', () => {
    fc.assert(
      fc.property(arbPclMap, arbPclMap, (s, c) => {
        const want = includes(s, c) ? 'serverNewer' : includes(c, s) ? 'clientNewer' : 'conflict';
        expect(comparePcl(pclFrom(s), pclFrom(c))).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('last writer wins: later time; ties by the larger change key GUID for messages, the server for folders', () => {
    const a = { lastModified: 10n, changeKey: xid(G1, 1) };
    const b = { lastModified: 11n, changeKey: xid(G1, 1) };
    expect(lastWriterWins(a, b, 'message')).toBe('client');
    expect(lastWriterWins(b, a, 'message')).toBe('server');
    expect(lastWriterWins({ lastModified: 10n, changeKey: xid(G2, 1) }, { lastModified: 10n, changeKey: xid(G1, 1) }, 'message')).toBe('server');
    expect(lastWriterWins({ lastModified: 10n, changeKey: xid(G1, 1) }, { lastModified: 10n, changeKey: xid(G2, 1) }, 'message')).toBe('client');
    expect(lastWriterWins(a, { ...a }, 'message')).toBe('client');
    expect(lastWriterWins(a, { ...a }, 'folder')).toBe('server');
  });

  it('the collector state gains imported CNs and ids and loses deleted ids', () => {
    const repl = G3;
    const logon = { store: { replGuid: repl } } as unknown as LogonObject;
    const c = new IcsUploadObject(0, null, logon, makeEid(1, 5n), true);
    expect(c.syncKind).toBe('contents');
    c.noteChange(makeEid(1, 100n), makeEid(1, 200n), false);
    c.noteChange(makeEid(1, 101n), makeEid(1, 201n), true);
    c.noteRead(makeEid(1, 202n));
    const s = c.holder.state;
    expect(s.cnsetSeen.hasGlobcnt(repl, 200)).toBe(true);
    expect(s.cnsetSeen.hasGlobcnt(repl, 201)).toBe(false);
    expect(s.cnsetSeenFAI.hasGlobcnt(repl, 201)).toBe(true);
    expect(s.cnsetRead.hasGlobcnt(repl, 202)).toBe(true);
    expect(s.idsetGiven.hasGlobcnt(repl, 100) && s.idsetGiven.hasGlobcnt(repl, 101)).toBe(true);
    c.noteDeleted([makeEid(1, 100n)]);
    expect(s.idsetGiven.hasGlobcnt(repl, 100)).toBe(false);
    expect(new IcsUploadObject(0, null, logon, 1n, false).syncKind).toBe('hierarchy');
  });
});
