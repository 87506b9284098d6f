import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOutlookSchema, MAX_REQUEST_BYTES, OUTLOOK_RESPONSE_SCHEMA, parseAutodiscoverRequest } from '../../src/autodiscover/request.js';
import { parseXml } from '../../src/autodiscover/xml.js';
import { ProtocolError } from '../../src/util/errors.js';

// The request as the POX Autodiscover reference shows it (and as Outlook 2007-2013 and exchangelib send it).
const SPEC_REQUEST =
  '<?xml version="1.0" encoding="utf-8"?>\r\n' +
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">\r\n' +
  '  <Request>\r\n' +
  '    <EMailAddress>alice@example.com</EMailAddress>\r\n' +
  `    <AcceptableResponseSchema>${OUTLOOK_RESPONSE_SCHEMA}</AcceptableResponseSchema>\r\n` +
  '  </Request>\r\n' +
  '</Autodiscover>\r\n';

const parse = (s: string | Buffer) => parseAutodiscoverRequest(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  throw new Error('no error thrown');
}

describe('Autodiscover request parsing', () => {
  it('reads the MS-OXDSCLI request', () => {
    expect(parse(SPEC_REQUEST)).toEqual({ emailAddress: 'alice@example.com', legacyDN: null, acceptableResponseSchema: OUTLOOK_RESPONSE_SCHEMA });
  });

  it('reads LegacyDN instead of EMailAddress', () => {
    const r = parse(
      '<Autodiscover><Request><LegacyDN>/o=First Organization/ou=X/cn=Recipients/cn=alice</LegacyDN>' +
        `<AcceptableResponseSchema>${OUTLOOK_RESPONSE_SCHEMA}</AcceptableResponseSchema></Request></Autodiscover>`,
    );
    expect(r.legacyDN).toBe('/o=First Organization/ou=X/cn=Recipients/cn=alice');
    expect(r.emailAddress).toBeNull();
  });

  it('is tolerant of prefixes, namespaces, element-name case and no XML declaration', () => {
    const r = parse(
      '<a:autodiscover xmlns:a="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><a:REQUEST>' +
        '<a:emailaddress> bob@example.com </a:emailaddress><a:acceptableresponseschema>HTTPS://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</a:acceptableresponseschema>' +
        '</a:REQUEST></a:autodiscover>',
    );
    expect(r.emailAddress).toBe('bob@example.com');
    expect(isOutlookSchema(r.acceptableResponseSchema!)).toBe(true);
    expect(parse('<Autodiscover><Request><EMailAddress>x@y</EMailAddress></Request></Autodiscover>').acceptableResponseSchema).toBeNull();
  });

  it('decodes references, CDATA, comments and processing instructions', () => {
    const r = parse(
      '<?xml version="1.0"?><!-- hi --><Autodiscover><?pi x?><Request><EMailAddress>a&amp;b&#x40;c&#46;d<!-- c --></EMailAddress>' +
        '<LegacyDN><![CDATA[/o=<x>]]></LegacyDN></Request></Autodiscover><!-- bye -->',
    );
    expect(r.emailAddress).toBe('a&b@c.d');
    expect(r.legacyDN).toBe('/o=<x>');
  });

  it('reads UTF-8 with a BOM, UTF-16 LE and BE with a BOM, and declared Latin-1', () => {
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SPEC_REQUEST.replace('alice', 'zoë'), 'utf8')]);
    expect(parse(bom8).emailAddress).toBe('zoë@example.com');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SPEC_REQUEST.replace('utf-8', 'utf-16'), 'utf16le')]);
    expect(parse(le).emailAddress).toBe('alice@example.com');
    const be = Buffer.from(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(SPEC_REQUEST, 'utf16le').swap16()]));
    expect(parse(be).emailAddress).toBe('alice@example.com');
    const l1 = Buffer.from(SPEC_REQUEST.replace('utf-8', 'ISO-8859-1').replace('alice', 'zoë'), 'latin1');
    expect(parse(l1).emailAddress).toBe('zoë@example.com');
  });

  it('refuses a DOCTYPE: billion laughs and external entities are never expanded', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      '<Autodiscover><Request><EMailAddress>&lol3;</EMailAddress></Request></Autodiscover>';
    expect(code(() => parse(laughs))).toBe('OC_XML_DOCTYPE');
    const xxe = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>';
    expect(code(() => parse(xxe))).toBe('OC_XML_DOCTYPE');
    // an undeclared entity without a DOCTYPE is an error too, not an empty string
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>&lol;</EMailAddress></Request></Autodiscover>'))).toBe('OC_XML_ENTITY');
  });

  it('bounds size, depth, element count and text length', () => {
    const huge = Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20);
    expect(code(() => parse(huge))).toBe('OC_AUTODISCOVER_TOO_LARGE');
    const deep = '<Autodiscover><Request>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</Request></Autodiscover>';
    expect(code(() => parse(deep))).toBe('OC_XML_LIMIT');
    const wide = '<Autodiscover><Request>' + '<a/>'.repeat(1000) + '<EMailAddress>x@y</EMailAddress></Request></Autodiscover>';
    expect(code(() => parse(wide))).toBe('OC_XML_LIMIT');
    const longText = `<Autodiscover><Request><EMailAddress>${'a'.repeat(5000)}@y</EMailAddress></Request></Autodiscover>`;
    expect(code(() => parse(longText))).toBe('OC_XML_LIMIT');
    const longAddr = `<Autodiscover><Request><EMailAddress>${'a'.repeat(400)}@y</EMailAddress></Request></Autodiscover>`;
    expect(code(() => parse(longAddr))).toBe('OC_AUTODISCOVER_TOO_LONG');
  });

  it('refuses bad encodings', () => {
    const badUtf8 = Buffer.concat([Buffer.from('<Autodiscover><Request><EMailAddress>'), Buffer.from([0xc3, 0x28]), Buffer.from('@y</EMailAddress></Request></Autodiscover>')]);
    expect(code(() => parse(badUtf8))).toBe('OC_AUTODISCOVER_ENCODING');
    const overlong = Buffer.concat([Buffer.from('<Autodiscover><Request><EMailAddress>'), Buffer.from([0xc0, 0xbc]), Buffer.from('@y</EMailAddress></Request></Autodiscover>')]);
    expect(code(() => parse(overlong))).toBe('OC_AUTODISCOVER_ENCODING');
    const oddUtf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([0x3c, 0x00, 0x00, 0xd8, 0x41])]);
    expect(code(() => parse(oddUtf16))).toBe('OC_AUTODISCOVER_ENCODING');
    expect(code(() => parse(SPEC_REQUEST.replace('utf-8', 'ebcdic-cp-us')))).toBe('OC_AUTODISCOVER_ENCODING');
    const ascii = Buffer.from(SPEC_REQUEST.replace('utf-8', 'us-ascii').replace('alice', 'zoë'), 'latin1');
    expect(code(() => parse(ascii))).toBe('OC_AUTODISCOVER_ENCODING');
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>a\u0001@y</EMailAddress></Request></Autodiscover>'))).toBe('OC_XML_CHAR');
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>&#xD800;@y</EMailAddress></Request></Autodiscover>'))).toBe('OC_XML_ENTITY');
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>&#0;@y</EMailAddress></Request></Autodiscover>'))).toBe('OC_XML_ENTITY');
  });

  it('refuses documents that are not one Autodiscover request', () => {
    expect(code(() => parse(''))).toBe('OC_AUTODISCOVER_EMPTY');
    expect(code(() => parse('hello'))).toBe('OC_XML_SYNTAX');
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>x@y</EMailAddress></Request>'))).toBe('OC_XML_TRUNCATED');
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>x@y</Request></EMailAddress></Autodiscover>'))).toBe('OC_XML_SYNTAX');
    expect(code(() => parse('<Autodiscover/><Autodiscover/>'))).toBe('OC_XML_SYNTAX');
    expect(code(() => parse('<Other><Request><EMailAddress>x@y</EMailAddress></Request></Other>'))).toBe('OC_AUTODISCOVER_NOT_AUTODISCOVER');
    expect(code(() => parse('<Autodiscover/>'))).toBe('OC_AUTODISCOVER_REQUEST_COUNT');
    expect(code(() => parse('<Autodiscover><Request/><Request/></Autodiscover>'))).toBe('OC_AUTODISCOVER_REQUEST_COUNT');
    expect(code(() => parse('<Autodiscover><Request><AcceptableResponseSchema>x</AcceptableResponseSchema></Request></Autodiscover>'))).toBe(
      'OC_AUTODISCOVER_NO_ADDRESS',
    );
    expect(code(() => parse('<Autodiscover><Request><EMailAddress>a@b</EMailAddress><EMailAddress>c@d</EMailAddress></Request></Autodiscover>'))).toBe(
      'OC_AUTODISCOVER_DUPLICATE',
    );
    expect(code(() => parse('<Autodiscover a="1" a="2"><Request/></Autodiscover>'))).toBe('OC_XML_SYNTAX');
    expect(code(() => parse('<Autodiscover a=1><Request/></Autodiscover>'))).toBe('OC_XML_SYNTAX');
  });

  it('gives a request or a coded ProtocolError for any bytes, never anything else (fast-check)', () => {
    const valid = Buffer.from(SPEC_REQUEST, 'utf8');
    const mutated = fc
      .array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
      .chain((edits) =>
        fc.nat({ max: valid.length }).map((cut) => {
          const b = Buffer.from(valid);
          for (const [i, v] of edits) b[i] = v;
          return b.subarray(0, cut);
        }),
      );
    const markup = fc
      .array(fc.constantFrom('<', '>', '/', '&', ';', '#', 'x', '"', "'", '=', ' ', 'a', 'Autodiscover', 'Request', 'EMailAddress', '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', '<!DOCTYPE', '&#x41;', '&lt;', '\u00e9', '\ud83d\ude00'), { maxLength: 60 })
      .map((parts) => Buffer.from(parts.join(''), 'utf8'));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), mutated, markup), (buf) => {
        try {
          const r = parseAutodiscoverRequest(buf);
          expect(r.emailAddress !== null || r.legacyDN !== null).toBe(true);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          expect(e.code).toMatch(/^OC_(XML|AUTODISCOVER)_/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parses quickly even for adversarial near-limit input', () => {
    const t0 = Date.now();
    const many = '<Autodiscover><Request>' + '<!--x-->'.repeat(7000) + '<EMailAddress>x@y</EMailAddress></Request></Autodiscover>';
    expect(parse(many).emailAddress).toBe('x@y');
    const refs = `<Autodiscover><Request><EMailAddress>${'&amp;'.repeat(800)}</EMailAddress></Request></Autodiscover>`;
    expect(code(() => parse(refs))).toBe('OC_AUTODISCOVER_TOO_LONG');
    const unclosed = '<Autodiscover><Request><!--' + 'x'.repeat(60000);
    expect(code(() => parse(unclosed))).toBe('OC_XML_TRUNCATED');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('keeps attributes and prefixes in the tree', () => {
    const el = parseXml('<p:A xmlns:p="urn:x" b=\'1 &lt; 2\'><p:C>t</p:C></p:A>');
    expect(el.name).toBe('A');
    expect(el.prefix).toBe('p');
    expect(el.attributes.get('b')).toBe('1 < 2');
    expect(el.children[0]!.text).toBe('t');
  });
});
