// Ambiguous name resolution (MS-OXNSPI 3.1.4.7: the algorithm is local policy; MS-OXOABK 3.1.4.4). Ours:
//  - the string is trimmed; NULL and "" are unresolved (3.1.4.7);
//  - a leading "=" asks for exact matches only; an address-type prefix ("SMTP:", "EX:", "X500:") is dropped;
//  - matching ignores case, accents and width (the NSPI compare flags, 2.2.1.6);
//  - exact tier: the whole string equals the display name, alias, SMTP address, a proxy address, the DN, or
//    "given surname" / "surname given" / "surname, given"; one such object resolves, several are ambiguous;
//  - prefix tier (only when nothing matched exactly): every word of the string starts a word of the display name,
//    given name, surname, alias, SMTP or proxy address or office.
// GetMatches' PR_ANR restriction matches both tiers.
//
// Index: the exact keys in a Map; the words in a sorted array (binary search finds the range a prefix covers) with
// the objects of each word, so that resolving one name costs a lookup and a walk that stops at the second match.
import { fold } from './collation.js';
import type { AbEntry } from './entry.js';

export type AnrResult = { kind: 'unresolved' } | { kind: 'ambiguous'; entries: AbEntry[] } | { kind: 'resolved'; entry: AbEntry };

const ADDRTYPE_PREFIX = /^(?:smtp|ex|x500|x400|sip):/i;
const WORD_SPLIT = /[\s,;()"]+/;

const list = (v: number | number[] | undefined): number[] => (v === undefined ? [] : typeof v === 'number' ? [v] : v);

export class AnrIndex {
  // a key's objects: one index, or an array of them (most keys name one object: no array for those)
  private readonly exact = new Map<string, number | number[]>();
  private readonly byWord = new Map<string, number | number[]>();
  private readonly sorted: string[];
  private readonly words: string[][] = [];
  /** Folded [given name, surname] of the objects that have both. */
  private readonly names: Array<[string, string] | undefined> = [];

  /**
   * `entries` in the order results are reported (the GAL's display-name order); `byDn` finds an object by its
   * lower-cased DN (the exact tier's DN match, kept out of the index).
   */
  constructor(
    private readonly entries: readonly AbEntry[],
    private readonly byDn: (dnKey: string) => AbEntry | undefined = () => undefined,
  ) {
    const push = (m: Map<string, number | number[]>, k: string, i: number) => {
      const l = m.get(k);
      if (l === undefined) m.set(k, i);
      else if (typeof l === 'number') {
        if (l !== i) m.set(k, [l, i]);
      } else if (l[l.length - 1] !== i) l.push(i);
    };
    // names, surnames and offices repeat across objects: fold and split each distinct value once
    const folded = new Map<string, string>();
    const foldShared = (v: string): string => {
      let f = folded.get(v);
      if (f === undefined) folded.set(v, (f = fold(v.trim())));
      return f;
    };
    const split = new Map<string, string[]>();
    const wordsOf = (v: string): string[] => {
      let w = split.get(v);
      if (w === undefined) split.set(v, (w = foldShared(v).split(WORD_SPLIT).filter(Boolean)));
      return w;
    };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as AbEntry;
      const a = e.attributes;
      const ws: string[] = [];
      const addWord = (w: string) => {
        if (w && !ws.includes(w)) ws.push(w);
      };
      const name = fold(e.displayName.trim());
      if (name) push(this.exact, name, i);
      for (const w of name.split(WORD_SPLIT)) addWord(w);
      const account = fold(e.account);
      if (account) {
        push(this.exact, account, i);
        addWord(account);
      }
      const smtp = fold(e.smtpAddress);
      if (smtp) {
        push(this.exact, smtp, i);
        addWord(smtp);
      }
      for (const p of e.proxyAddresses) {
        const v = fold(p.replace(ADDRTYPE_PREFIX, '').trim());
        if (!v || v === smtp || v.startsWith('/')) continue; // X500 proxies are DNs: matched exactly, below
        push(this.exact, v, i);
        addWord(v);
      }
      // "given surname" / "surname given" / "surname, given" are matched at query time from these (three more exact
      // keys per object cost a third of the index build at 50,000 entries)
      if (a.givenName && a.surname) this.names[i] = [foldShared(a.givenName), foldShared(a.surname)];
      for (const v of [a.givenName, a.surname, a.office]) if (v) for (const w of wordsOf(v)) addWord(w);
      this.words.push(ws);
      for (const w of ws) push(this.byWord, w, i);
    }
    this.sorted = [...this.byWord.keys()].sort();
    this.position = new Map(entries.map((e, i) => [e, i]));
  }

  private readonly position: Map<AbEntry, number>;

  /** Index of the first word >= `token`. */
  private lowerBound(token: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as string) < token) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The objects the string matches: the exact tier, or, when `exactFirst` and it found any, only that; stops once
   * `limit` objects are found (resolving needs to know only 0, 1 or more).
   */
  private query(raw: string | null, within: ((e: AbEntry) => boolean) | undefined, limit: number, exactFirst: boolean): number[] {
    let q = (raw ?? '').trim();
    if (!q) return [];
    let exactOnly = false;
    if (q.startsWith('=')) {
      exactOnly = true;
      q = q.slice(1).trim();
    }
    const fq = fold(q.replace(ADDRTYPE_PREFIX, '').trim());
    if (!fq) return [];
    const ok = (i: number) => !within || within(this.entries[i] as AbEntry);
    const exact = list(this.exact.get(fq)).filter(ok);
    this.nameMatches(fq, ok, exact);
    // a DN (the object's own, or an X500 proxy address naming it)
    const byDn = fq.startsWith('/') ? this.byDn(fq) : undefined;
    const dnAt = byDn ? this.position.get(byDn) : undefined;
    if (dnAt !== undefined && ok(dnAt) && !exact.includes(dnAt)) exact.push(dnAt);
    if (exactOnly || (exactFirst && exact.length > 0)) return exact.slice(0, limit);
    const found = new Set<number>(exact);
    const tokens = fq.split(WORD_SPLIT).filter(Boolean);
    if (tokens.length === 0) return [...found];
    const longest = tokens.reduce((x, y) => (y.length > x.length ? y : x));
    const others = tokens.filter((t) => t !== longest);
    for (let w = this.lowerBound(longest); w < this.sorted.length && found.size < limit; w++) {
      const word = this.sorted[w] as string;
      if (!word.startsWith(longest)) break;
      for (const i of list(this.byWord.get(word))) {
        if (found.has(i) || !ok(i)) continue;
        const ws = this.words[i] as string[];
        if (others.every((t) => ws.some((x) => x.startsWith(t)))) found.add(i);
        if (found.size >= limit) break;
      }
    }
    return [...found];
  }

  /** Adds the objects whose "given surname", "surname given" or "surname, given" is `fq` (not already in `out`). */
  private nameMatches(fq: string, ok: (i: number) => boolean, out: number[]): void {
    const first = fq.split(WORD_SPLIT, 1)[0];
    if (!first || fq.length === first.length) return; // one word: not a name pair
    for (const i of list(this.byWord.get(first))) {
      const n = this.names[i];
      if (!n || out.includes(i) || !ok(i)) continue;
      const [g, sn] = n;
      if (fq === `${g} ${sn}` || fq === `${sn} ${g}` || fq === `${sn}, ${g}`) out.push(i);
    }
  }

  /** ANR for NspiResolveNames(W): unique, ambiguous or unresolved; `within` limits it to one container. */
  resolve(s: string | null, within?: (e: AbEntry) => boolean): AnrResult {
    const pick = this.query(s, within, 2, true);
    if (pick.length === 0) return { kind: 'unresolved' };
    if (pick.length === 1) return { kind: 'resolved', entry: this.entries[pick[0] as number] as AbEntry };
    return { kind: 'ambiguous', entries: pick.map((i) => this.entries[i] as AbEntry) };
  }

  /** Every object the string matches (the PR_ANR restriction of NspiGetMatches), in table order. */
  matches(s: string | null): AbEntry[] {
    return this.query(s, undefined, Infinity, false)
      .sort((a, b) => a - b)
      .map((i) => this.entries[i] as AbEntry);
  }

  /** The match set of `s` (PR_ANR inside a restriction tree). */
  matchSet(s: string | null): Set<AbEntry> {
    return new Set(this.matches(s));
  }
}
