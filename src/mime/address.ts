// RFC 5322 3.4 address lists (mailbox, name-addr, angle-addr, group, 3.2.2 comments) and 4.4 obsolete forms
// (obs-route `<@a,@b:x@y>`, obs-local-part, bare commas, missing closing `>`), with RFC 2047 5(3) encoded-words in
// display names -> [{ name, address }].
//
// Choices where the RFCs leave room, as mail readers do:
// - groups are flattened into their members (an empty group yields nothing); the group name is dropped.
// - a bare address with a trailing comment (`a@b (Name)`, the old RFC 822 style) takes the comment as its name.
// - whitespace runs in unquoted phrase text become one space; quoted strings and encoded-words keep theirs.
// - encoded-words are decoded in unquoted phrases and inside quoted strings (which Outlook and others emit).
// - IDN domains (UTF-8 or xn--) are kept as given; addresses are not lower-cased.
// - an entry without `@` and without angle brackets is kept as an address only if it is not empty (a local
//   name such as `undisclosed-recipients` followed by `:;` is a group and yields nothing).
import { decodeWords } from './text.js';

export interface Address {
  name: string;
  address: string;
}

/** Splits at top-level separators (not inside quotes, comments or angle brackets). */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (!angle && sep.includes(c)) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** A phrase: quoted strings unquoted, comments collected apart, encoded-words decoded, whitespace collapsed. */
function phrase(s: string): { text: string; comments: string[] } {
  let text = '';
  const comments: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let q = '';
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        q += s[i];
      }
      text += decodeWords(q);
    } else if (c === '(') {
      let depth = 1;
      let cm = '';
      for (i++; i < s.length && depth > 0; i++) {
        if (s[i] === '\\' && i + 1 < s.length) cm += s[++i];
        else if (s[i] === '(') (depth++, (cm += '('));
        else if (s[i] === ')') (--depth > 0 ? (cm += ')') : null);
        else cm += s[i];
      }
      i--;
      comments.push(decodeWords(cm).trim());
      text += ' ';
    } else {
      let run = '';
      while (i < s.length && s[i] !== '"' && s[i] !== '(') run += s[i++];
      i--;
      text += decodeWords(run.replace(/[ \t\r\n]+/g, ' '));
    }
  }
  return { text: text.replace(/^[ \t]+|[ \t]+$/g, ''), comments };
}

function addrSpec(s: string): string {
  // obs-route: drop `@a,@b:` before the address
  const noRoute = s.replace(/^\s*(@[^:]*:)/, '');
  const p = phrase(noRoute).text;
  return p.replace(/\s+/g, '');
}

function mailbox(entry: string): Address | null {
  const e = entry.trim();
  if (!e) return null;
  const lt = e.indexOf('<', 0);
  // `<` outside quotes: find the angle-addr by scanning with quotes respected
  let angleAt = -1;
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    const c = e[i]!;
    if (c === '\\') i++;
    else if (quoted) quoted = c !== '"';
    else if (depth > 0) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    else if (c === '"') quoted = true;
    else if (c === '(') depth = 1;
    else if (c === '<') {
      angleAt = i;
      break;
    }
  }
  if (lt >= 0 && angleAt >= 0) {
    const close = e.indexOf('>', angleAt);
    const inner = e.slice(angleAt + 1, close < 0 ? e.length : close);
    const name = phrase(e.slice(0, angleAt)).text;
    const address = addrSpec(inner);
    if (!address && !name) return null;
    return { name, address };
  }
  const p = phrase(e);
  const address = p.text.replace(/\s+/g, '');
  if (!address) return null;
  return { name: p.comments.filter((c) => c).join(' '), address };
}

/** Parses an address-list header value (To, Cc, From, Reply-To, ...). */
export function parseAddressList(value: string): Address[] {
  const out: Address[] = [];
  for (const item of splitTop(value, ',;')) {
    // group: `name: a, b;` -- the colon separates the display name of the group from its members
    const parts = splitTop(item, ':');
    if (parts.length > 1 && !/^\s*@/.test(item) && !/<[^>]*:/.test(parts[0]!)) {
      const rest = parts.slice(1).join(':');
      const m = mailbox(rest);
      if (m) out.push(m);
      continue;
    }
    const m = mailbox(item);
    if (m) out.push(m);
  }
  return out;
}
