// A small, strict-enough XML reader for Autodiscover POX requests (MS-OXDSCLI): elements, attributes, text,
// CDATA, comments and processing instructions. It never expands entities beyond the five predefined ones and
// character references, refuses any DOCTYPE (no internal subset, so no "billion laughs" and no external entities),
// and bounds input size, nesting depth, element count and text length (architecture rule 4). Namespace prefixes are
// dropped: callers match local names, as POX clients differ in how they declare namespaces.
import { ProtocolError } from '../util/errors.js';

export interface XmlElement {
  /** Local name (prefix removed), as written. */
  name: string;
  /** The prefix as written, '' when none. */
  prefix: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (not its children). */
  text: string;
}

export interface XmlLimits {
  /** Characters of the decoded document. */
  maxChars: number;
  maxDepth: number;
  maxElements: number;
  /** Characters of one element's text or one attribute value. */
  maxText: number;
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxChars: 65536, maxDepth: 16, maxElements: 256, maxText: 4096, maxAttributes: 32 };

/** OC_XML_* errors: the document is not one this reader accepts. */
export class XmlError extends ProtocolError {}

const NAME_START = /[A-Za-z_\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(code: string, message: string, at: number): never {
  throw new XmlError(code, `${message} at offset ${at}`, { offset: at });
}

/** A code point allowed in an XML 1.0 document (section 2.2 Char). */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

class Reader {
  pos = 0;
  elements = 0;
  constructor(
    readonly s: string,
    readonly limits: XmlLimits,
  ) {}

  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.s.length && ' \t\r\n'.includes(this.s[this.pos]!)) this.pos++;
  }

  expect(t: string): void {
    if (!this.startsWith(t)) fail('OC_XML_SYNTAX', `expected "${t}"`, this.pos);
    this.pos += t.length;
  }

  /** Skips to just after `end`; the skipped text is returned. */
  until(end: string, what: string): string {
    const i = this.s.indexOf(end, this.pos);
    if (i < 0) fail('OC_XML_TRUNCATED', `unterminated ${what}`, this.pos);
    const out = this.s.slice(this.pos, i);
    this.pos = i + end.length;
    return out;
  }

  name(): string {
    const start = this.pos;
    if (this.pos >= this.s.length || !NAME_START.test(this.s[this.pos]!)) fail('OC_XML_SYNTAX', 'expected a name', this.pos);
    this.pos++;
    while (this.pos < this.s.length && (NAME_CHAR.test(this.s[this.pos]!) || this.s[this.pos] === ':')) this.pos++;
    if (this.pos - start > 256) fail('OC_XML_LIMIT', 'name too long', start);
    return this.s.slice(start, this.pos);
  }

  /** Replaces entity and character references in raw character data (no other entities exist here). */
  decodeRefs(raw: string, at: number): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&<]{0,12});?/g, (m, body: string) => {
      if (!m.endsWith(';')) fail('OC_XML_ENTITY', 'unterminated reference', at);
      if (body.startsWith('#')) {
        const hex = body[1] === 'x';
        const digits = body.slice(hex ? 2 : 1);
        if (!(hex ? /^[0-9A-Fa-f]{1,6}$/ : /^[0-9]{1,7}$/).test(digits)) fail('OC_XML_ENTITY', 'bad character reference', at);
        const cp = parseInt(digits, hex ? 16 : 10);
        if (!isXmlChar(cp)) fail('OC_XML_ENTITY', 'character reference to a forbidden character', at);
        return String.fromCodePoint(cp);
      }
      const v = PREDEFINED[body];
      if (v === undefined) fail('OC_XML_ENTITY', `undeclared entity "&${body};"`, at);
      return v;
    });
  }

  /** Comments, processing instructions and whitespace between markup; DOCTYPE is refused. */
  misc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) {
        this.pos += 4;
        this.until('-->', 'comment');
      } else if (this.startsWith('<?')) {
        this.pos += 2;
        this.until('?>', 'processing instruction');
      } else if (this.startsWith('<!')) {
        fail('OC_XML_DOCTYPE', 'document type declarations are not accepted', this.pos);
      } else return;
    }
  }

  element(depth: number): XmlElement {
    if (depth > this.limits.maxDepth) fail('OC_XML_LIMIT', 'elements nested too deeply', this.pos);
    if (++this.elements > this.limits.maxElements) fail('OC_XML_LIMIT', 'too many elements', this.pos);
    this.expect('<');
    const qname = this.name();
    const colon = qname.indexOf(':');
    const el: XmlElement = {
      name: colon >= 0 ? qname.slice(colon + 1) : qname,
      prefix: colon >= 0 ? qname.slice(0, colon) : '',
      attributes: new Map(),
      children: [],
      text: '',
    };
    if (el.name === '' || el.name.includes(':')) fail('OC_XML_SYNTAX', 'bad qualified name', this.pos);
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.pos += 2;
        return el;
      }
      if (this.startsWith('>')) {
        this.pos++;
        break;
      }
      if (this.pos === before) fail('OC_XML_SYNTAX', 'expected whitespace before an attribute', this.pos);
      const an = this.name();
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      const q = this.s[this.pos];
      if (q !== '"' && q !== "'") fail('OC_XML_SYNTAX', 'attribute value must be quoted', this.pos);
      this.pos++;
      const at = this.pos;
      const raw = this.until(q, 'attribute value');
      if (raw.includes('<')) fail('OC_XML_SYNTAX', '"<" in an attribute value', at);
      if (raw.length > this.limits.maxText) fail('OC_XML_LIMIT', 'attribute value too long', at);
      if (el.attributes.has(an)) fail('OC_XML_SYNTAX', `duplicate attribute "${an}"`, at);
      if (el.attributes.size >= this.limits.maxAttributes) fail('OC_XML_LIMIT', 'too many attributes', at);
      el.attributes.set(an, this.decodeRefs(raw, at));
    }
    // content
    let text = '';
    for (;;) {
      if (this.pos >= this.s.length) fail('OC_XML_TRUNCATED', `element "${qname}" not closed`, this.pos);
      if (this.startsWith('</')) {
        this.pos += 2;
        const end = this.name();
        if (end !== qname) fail('OC_XML_SYNTAX', `"</${end}>" does not close "<${qname}>"`, this.pos);
        this.skipSpace();
        this.expect('>');
        el.text = text;
        return el;
      }
      if (this.startsWith('<![CDATA[')) {
        this.pos += 9;
        text += this.until(']]>', 'CDATA section');
      } else if (this.startsWith('<!--')) {
        this.pos += 4;
        this.until('-->', 'comment');
      } else if (this.startsWith('<?')) {
        this.pos += 2;
        this.until('?>', 'processing instruction');
      } else if (this.startsWith('<!')) {
        fail('OC_XML_DOCTYPE', 'declarations are not accepted inside elements', this.pos);
      } else if (this.startsWith('<')) {
        el.children.push(this.element(depth + 1));
      } else {
        const at = this.pos;
        let i = this.s.indexOf('<', this.pos);
        if (i < 0) i = this.s.length;
        const raw = this.s.slice(this.pos, i);
        this.pos = i;
        text += this.decodeRefs(raw, at);
      }
      if (text.length > this.limits.maxText) fail('OC_XML_LIMIT', 'text too long', this.pos);
    }
  }
}

/**
 * Parses a whole document already decoded to a string: optional XML declaration, comments and PIs, one root element,
 * nothing but comments, PIs and whitespace after it. Throws XmlError (OC_XML_*) for anything else.
 */
export function parseXml(doc: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  if (doc.length > limits.maxChars) fail('OC_XML_LIMIT', 'document too large', 0);
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c < 0x20 && c !== 0x9 && c !== 0xa && c !== 0xd) fail('OC_XML_CHAR', 'control character in document', i);
    if (c === 0xfffe || c === 0xffff) fail('OC_XML_CHAR', 'non-character in document', i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = doc.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) fail('OC_XML_CHAR', 'lone surrogate in document', i);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) fail('OC_XML_CHAR', 'lone surrogate in document', i);
  }
  const r = new Reader(doc, limits);
  r.misc();
  if (!r.startsWith('<')) fail('OC_XML_SYNTAX', 'expected the root element', r.pos);
  const root = r.element(1);
  r.misc();
  if (r.pos !== doc.length) fail('OC_XML_SYNTAX', 'content after the root element', r.pos);
  return root;
}

/** Children with this local name, compared case-insensitively. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  const n = name.toLowerCase();
  return el.children.filter((c) => c.name.toLowerCase() === n);
}

/** Escapes text for element content or a double-quoted attribute value. */
export function escapeXml(s: string): string {
  // characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD
  const clean = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return clean.replace(/[<>&"']/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;'));
}
