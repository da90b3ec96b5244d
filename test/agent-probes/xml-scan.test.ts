/** The bounded XML scanner the SOAP readers stand on (edge-agent/probes/xml-scan.ts). */
import { describe, expect, it } from 'vitest';
import { attribute, decodeEntities, findElement, findElements, MAX_DEPTH, MAX_ELEMENTS, MAX_XML_CHARS, scanXml, XmlError } from '../../edge-agent/probes/xml-scan.ts';

describe('scanXml', () => {
  it('elements by local name whatever the prefix; text, CDATA and entities; comments and PIs skipped', () => {
    const doc = scanXml('<?xml version="1.0"?><!-- c --><s:Envelope a="1"><s:Body><tt:Uri>http://h/x?a=1&amp;b=&#50;<![CDATA[&lt;]]></tt:Uri><Uri/></s:Body></s:Envelope>');
    const uris = findElements(doc, 'Uri');
    expect(uris.map((u) => u.qname)).toEqual(['tt:Uri', 'Uri']);
    expect(uris[0]!.text).toBe('http://h/x?a=1&b=2&lt;');
    expect(findElement(doc, 'Envelope')?.attrs).toBe(' a="1"');
  });

  it('attributes: any prefix, either quote, > inside a value, entities decoded, malformed → undefined', () => {
    const p = findElement(scanXml(`<trt:Profiles fixed="true" tt:token='a&amp;b' x="y>z"/>`), 'Profiles')!;
    expect(attribute(p, 'token')).toBe('a&b');
    expect(attribute(p, 'x')).toBe('y>z');
    expect(attribute(p, 'none')).toBeUndefined();
    expect(attribute(findElement(scanXml('<a token=bare/>'), 'a')!, 'token')).toBeUndefined();
  });

  it('unknown entities and bare & stay as written', () => {
    expect(decodeEntities('a &nbsp; & b &#0; &#x110000; &#xD800; &amp')).toBe('a &nbsp; & b &#0; &#x110000; &#xD800; &amp');
    expect(decodeEntities('&lt;&gt;&quot;&apos;&amp;&#x41;&#66;')).toBe('<>"\'&AB');
  });

  it.each([
    ['an unclosed element', '<a><b></b>', 'unclosed element'],
    ['a mismatched end tag', '<a></b>', 'does not match'],
    ['an end tag with nothing open', '</a>', 'does not match'],
    ['< inside a tag', '<a <b>', '< inside a tag'],
    ['< in a tag name', '<a<b>', 'bad character'],
    ['an unterminated start tag', '<a x="1"', 'unterminated'],
    ['an unterminated attribute value', '<a x="1>', 'unterminated attribute'],
    ['a DTD (no entity expansion, ever)', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'DTDs'],
    ['an unterminated comment', '<a><!-- x', 'unterminated comment'],
    ['an unterminated CDATA section', '<a><![CDATA[x', 'unterminated CDATA'],
    ['a nameless tag', '<>', 'without a name'],
  ])('%s is malformed', (_name, xml, message) => {
    expect(() => scanXml(xml)).toThrow(XmlError);
    expect(() => scanXml(xml)).toThrow(message);
  });

  it('limits: depth, element count, size', () => {
    expect(() => scanXml('<a>'.repeat(MAX_DEPTH) + '</a>'.repeat(MAX_DEPTH))).not.toThrow();
    expect(() => scanXml('<a>'.repeat(MAX_DEPTH + 1) + '</a>'.repeat(MAX_DEPTH + 1))).toThrow('nested deeper');
    expect(() => scanXml(`<r>${'<v/>'.repeat(MAX_ELEMENTS - 1)}</r>`)).not.toThrow();
    expect(() => scanXml(`<r>${'<v/>'.repeat(MAX_ELEMENTS)}</r>`)).toThrow('more than');
    expect(() => scanXml(`<r>${'x'.repeat(MAX_XML_CHARS)}</r>`)).toThrow('characters');
  });

  it('linear: four times the input, about four times the time (not sixteen)', () => {
    const body = (n: number): string => `<s:Fault>${'<tt:Value>x&amp;y</tt:Value><a b="c"/>'.repeat(n)}</s:Fault>`;
    const time = (xml: string): number => {
      let best = Infinity;
      for (let k = 0; k < 9; k++) {
        const t = performance.now();
        scanXml(xml);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    time(body(2400)); // warm up
    // a 4× input: linear ≈ 4×, quadratic ≈ 16×; the bound between leaves room for a GC pause or a busy machine
    const small = time(body(2400));
    const large = time(body(9600)); // 19,200 elements, 365 KB: inside the limits
    expect(large / small).toBeLessThan(10);
  });
});
