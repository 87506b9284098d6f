// Names from the IMAP server, without a server: imap.loginName both ways (credentials.ts loginName / usernameOf) and
// the mapping of a LIST answer onto folders (folders.ts mappedMailboxes, personalRoot) for arbitrary answers and
// namespaces (fast-check): nothing throws, each mailbox is listed once, a special folder takes one mailbox, and a
// mailbox at the top of the personal namespace (no parent, or directly under its prefix) is marked so; the identity
// in a STATUS answer (folders.ts parseStatusIdentity: UIDVALIDITY, RFC 8474 MAILBOXID) for arbitrary answers.
import fc from 'fast-check';
import type { ImapFlow, ListResponse } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { ImapCredentials, type ImapAuthSettings } from '../../src/mapistore/backends/imap/credentials.js';
import { inboxJustCreated, mappedMailboxes, parseStatusIdentity, personalRoot } from '../../src/mapistore/backends/imap/folders.js';
import { stubSource } from '../../src/mapistore/backends/imap/import.js';
import { parseMime } from '../../src/mime/parse.js';
import { mimeToMapi } from '../../src/mime/to-mapi.js';

const SETTINGS: ImapAuthSettings = {
  auth: 'trusted', masterUser: '', masterPassword: '', masterPasswordFile: '', masterSeparator: '*', trustedPassword: 't', passwordFile: '',
};

describe('imap.loginName (property)', () => {
  it('usernameOf never throws, and takes back every username loginName put in', () => {
    const form = fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })).filter(([a, b]) => !`${a}${b}`.includes('%u'));
    fc.assert(
      fc.property(form, fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 40 }), ([pre, post], user, anything) => {
        const c = new ImapCredentials({ ...SETTINGS, loginName: `${pre}%u${post}` });
        const back = c.usernameOf(anything);
        expect(back === null || typeof back === 'string').toBe(true);
        expect(c.usernameOf(c.loginName(user))).toBe(user);
        expect(c.usernameOf(c.loginName(user).toUpperCase())?.toLowerCase()).toBe(user.toUpperCase().toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });
});

/** A LIST entry as imapflow builds it from a path and a delimiter. */
function entry(path: string, delimiter: string, flags: string[], specialUse?: string): ListResponse {
  const parts = path.split(delimiter);
  return {
    path, pathAsListed: path, name: parts[parts.length - 1] ?? '', delimiter, parent: parts.slice(0, -1), parentPath: parts.slice(0, -1).join(delimiter),
    flags: new Set(flags), listed: true, subscribed: true, ...(specialUse ? { specialUse, specialUseSource: 'extension' as const } : {}),
  };
}

const fakeClient = (personal: { prefix: string; delimiter: string } | null, shared: string[]): ImapFlow =>
  ({ namespaces: { personal: personal ? [personal] : [], other: shared.map((prefix) => ({ prefix, delimiter: '/' })), shared: false } }) as unknown as ImapFlow;

describe('mappedMailboxes (property)', () => {
  const delimiter = fc.constantFrom('/', '.');
  const segment = fc.constantFrom('INBOX', 'inbox', 'Sent', 'Drafts', 'Trash', 'Junk', 'Spam', 'Projects', 'Q1', 'shared', 'Mail', 'x', 'Été', '');

  it('for any LIST answer and namespaces: no throw, each path once, one mailbox per special folder, top marked as defined', () => {
    fc.assert(
      fc.property(
        delimiter,
        fc.array(fc.tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.subarray(['\\Noselect', '\\HasChildren', '\\NonExistent']), fc.option(fc.constantFrom('\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\All')))),
        fc.option(fc.constantFrom('', 'INBOX', 'Mail', 'inbox')),
        fc.subarray(['shared/', 'shared.', 'Other Users/']),
        (d, rows, personalName, shared) => {
          const list = rows.map(([segs, flags, use]) => entry(segs.join(d), d, flags, use ?? undefined));
          const prefix = personalName === null ? null : personalName === '' ? '' : `${personalName}${d}`;
          const client = fakeClient(prefix === null ? null : { prefix, delimiter: d }, shared);
          const { listed, roles, top } = mappedMailboxes(client, list);
          const root = personalRoot(client);
          expect(root.prefix).toBe(prefix ?? '');
          // a subset of the answer, in the order parents first
          for (const e of listed) expect(list).toContain(e);
          for (let i = 1; i < listed.length; i++) expect(listed[i]!.parent.length).toBeGreaterThanOrEqual(listed[i - 1]!.parent.length);
          // other users' namespaces left out
          for (const e of listed) for (const p of shared) expect(e.path.startsWith(p)).toBe(false);
          // one mailbox per special folder, INBOX only as the Inbox
          const taken = [...roles.values()];
          expect(new Set(taken).size).toBe(taken.length);
          for (const [path, role] of roles) if (role === 'inbox') expect(path.toUpperCase()).toBe('INBOX');
          // top: no parent, or directly under the personal prefix (INBOX never below it)
          for (const e of listed) {
            const underPrefix = root.prefix !== '' && e.path.toUpperCase() !== 'INBOX' && `${e.parentPath}${e.delimiter}`.toUpperCase() === root.prefix.toUpperCase();
            expect(top.has(e.path)).toBe(e.parent.length === 0 || underPrefix);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('stubSource (property)', () => {
  const field = fc.oneof(
    fc.constantFrom('Subject: hello', 'From: A <a@example.org>', 'Content-Type: multipart/mixed;', ' boundary="x"', 'MIME-Version: 1.0',
      'Content-Transfer-Encoding: base64', 'content-disposition: attachment', 'X-Note: y', '\tcontinued', 'To: b@example.org'),
    fc.string({ maxLength: 60 }).map((x) => x.replace(/[\r\n]/g, ' ')),
  );
  it('for any header bytes: never throws, parses, keeps none of the body\'s own fields, and says why in a text/plain body', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 12 }), fc.nat({ max: 2 ** 31 }), fc.boolean(), (lines, size, lf) => {
        const header = Buffer.from(lines.join(lf ? '\n' : '\r\n') + (lf ? '\n\n' : '\r\n\r\n'), 'latin1');
        const out = stubSource(header, size);
        const parsed = parseMime(out);
        const types = parsed.root.headers.filter((h) => /^content-type$/i.test(h.name));
        expect(types).toHaveLength(1);
        expect(parsed.root.headers.filter((h) => /^content-transfer-encoding$/i.test(h.name))).toHaveLength(1);
        expect(parsed.root.headers.some((h) => /^content-disposition$/i.test(h.name))).toBe(false);
        const m = mimeToMapi(parsed);
        expect(String(m.values.get(0x1000001f) ?? m.values.get(0x1000001e))).toContain('only its header fields are shown here');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('STATUS identity (folders.ts parseStatusIdentity, property)', () => {
  const atom = (value: unknown) => ({ type: 'ATOM', value });
  const leaf = fc.oneof(
    fc.string({ maxLength: 12 }).map(atom),
    fc.constantFrom('UIDVALIDITY', 'MAILBOXID', 'uidvalidity', 'MESSAGES').map(atom),
    fc.uint8Array({ maxLength: 6 }).map((b) => ({ type: 'STRING', value: Buffer.from(b) })),
    fc.constant(null),
    fc.integer().map(atom),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 5 })),
  })).node;

  it('gives a valid identity or none for any answer, never throws', () => {
    fc.assert(fc.property(fc.option(fc.array(tree, { maxLength: 4 }), { nil: undefined }), (attributes) => {
      const r = parseStatusIdentity({ attributes });
      if (r.uidvalidity !== undefined) expect(Number.isInteger(r.uidvalidity) && r.uidvalidity >= 1 && r.uidvalidity <= 0xffffffff).toBe(true);
      if (r.mailboxId !== undefined) expect(r.mailboxId).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    }), { numRuns: 3000 });
  });

  it("reads Cyrus's answer, and survives any one part of it replaced or dropped", () => {
    const good = [atom('INBOX/RenC'), [atom('UIDVALIDITY'), atom('1795862528'), atom('MAILBOXID'), [atom('c0xgmkvc88mw065clb9vr0l3')]]];
    expect(parseStatusIdentity({ attributes: good })).toEqual({ uidvalidity: 1795862528, mailboxId: 'c0xgmkvc88mw065clb9vr0l3' });
    expect(parseStatusIdentity({ attributes: [atom('X'), [atom('UIDVALIDITY'), atom('0'), atom('MAILBOXID'), [atom('a b')]]] })).toEqual({});
    expect(parseStatusIdentity({ attributes: [atom('X'), [atom('UIDVALIDITY'), atom('4294967296')]] })).toEqual({});
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), tree, fc.boolean(), (i, repl, drop) => {
      const items = [...(good[1] as unknown[])];
      if (drop) items.splice(i, 1);
      else items[i] = repl;
      const r = parseStatusIdentity({ attributes: [good[0], items] });
      expect(r.uidvalidity === undefined || r.uidvalidity === 1795862528 || i === 1).toBe(true);
      expect(r.mailboxId === undefined || r.mailboxId === 'c0xgmkvc88mw065clb9vr0l3' || i === 3 || drop).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('inboxJustCreated: an empty INBOX whose UIDVALIDITY (its creation second) is the current time', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  const at = (secondsAgo: number): number => now / 1000 - secondsAgo;

  it('is made by this login when empty and at most 300 s old (a clock up to 60 s ahead counts as now)', () => {
    expect(inboxJustCreated(at(0), 0, now)).toBe(0);
    expect(inboxJustCreated(at(42.4), 0, now)).toBe(42);
    expect(inboxJustCreated(at(299), 0, now)).toBe(299);
    expect(inboxJustCreated(at(-59), 0, now)).toBe(0);
  });

  it('is not when it holds mail, is older, or is further in the future', () => {
    expect(inboxJustCreated(at(5), 1, now)).toBeNull();
    expect(inboxJustCreated(at(300), 0, now)).toBeNull();
    expect(inboxJustCreated(at(86_400), 0, now)).toBeNull();
    expect(inboxJustCreated(at(-61), 0, now)).toBeNull();
    // a UIDVALIDITY that is no timestamp (a small counter, as some servers give)
    expect(inboxJustCreated(1, 0, now)).toBeNull();
  });
});
