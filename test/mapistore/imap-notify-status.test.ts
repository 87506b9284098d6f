// The mailbox name of an untagged STATUS as imapflow's parser gives it (src/mapistore/backends/imap/watcher.ts
// statusMailbox): the watcher's NOTIFY handler reads it from whatever a server sent, so it must never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusMailbox } from '../../src/mapistore/backends/imap/watcher.js';

describe('statusMailbox (RFC 5465 STATUS responses on the IDLE connection)', () => {
  it('reads the name of STATUS as Dovecot sends it (atom, quoted string, literal)', () => {
    const items = [{ type: 'ATOM', value: 'MESSAGES' }, { type: 'ATOM', value: '1' }];
    expect(statusMailbox([{ type: 'ATOM', value: 'Archive' }, items])).toBe('Archive');
    expect(statusMailbox([{ type: 'STRING', value: 'INBOX/Sub folder' }, items])).toBe('INBOX/Sub folder');
    expect(statusMailbox([{ type: 'LITERAL', value: Buffer.from('Entw&APw-rfe') }, items])).toBe('Entw&APw-rfe');
  });

  it('is null for a STATUS without a usable name', () => {
    expect(statusMailbox(undefined)).toBeNull();
    expect(statusMailbox([])).toBeNull();
    expect(statusMailbox([null])).toBeNull();
    expect(statusMailbox([[{ type: 'ATOM', value: 'MESSAGES' }]])).toBeNull();
    expect(statusMailbox([{ type: 'ATOM', value: null }])).toBeNull();
  });

  it('never throws, and gives a string only from the first attribute\'s string or bytes (fast-check)', () => {
    const attr = fc.letrec((tie) => ({
      node: fc.oneof(
        fc.constant(null),
        fc.constant(undefined),
        fc.string(),
        fc.integer(),
        fc.record({ type: fc.constantFrom('ATOM', 'STRING', 'LITERAL', 'SECTION'), value: fc.oneof(fc.string(), fc.uint8Array().map((u) => Buffer.from(u)), fc.constant(null), fc.integer()) }),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.option(fc.array(attr, { maxLength: 4 }), { nil: undefined }), (attrs) => {
        const got = statusMailbox(attrs as unknown[] | undefined);
        const v = (attrs?.[0] as { value?: unknown } | null | undefined)?.value;
        if (typeof v === 'string') expect(got).toBe(v);
        else if (Buffer.isBuffer(v)) expect(got).toBe(v.toString('utf8'));
        else expect(got).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});
