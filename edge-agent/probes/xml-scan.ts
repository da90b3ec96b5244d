/**
 * A small, bounded, linear-time XML scanner for camera replies (hostile input): one pass over
 * the text, every character looked at a bounded number of times, no regular expressions; the
 * few ONVIF readers (./soap-parse.ts) query the element tree it returns.
 *
 * Strict where leniency would cost: a tag that never closes, a close tag that does not match,
 * `<` inside a tag, a DTD, more than MAX_DEPTH levels or MAX_ELEMENTS elements, text longer than
 * MAX_XML_CHARS → XmlError (the reply is malformed; its reader says so). Lenient where cameras
 * are sloppy: an unknown entity (`&nbsp;`, a bare `&`) stays as it is; text outside the root is
 * ignored; several roots are fine. Namespaces are not resolved: an element is known by its local
 * name (after the last `:`), whatever its prefix (SOAP-ENV:, env:, s:, tt:, tds:, none).
 */

export const MAX_XML_CHARS = 512 * 1024;
export const MAX_DEPTH = 64;
export const MAX_ELEMENTS = 20_000;

export class XmlError extends Error {}

export interface XmlElement {
  /** the name as written, e.g. `tt:UTCDateTime` ('' for the document) */
  qname: string;
  /** after the last `:`, e.g. `UTCDateTime` */
  name: string;
  /** the raw attribute text of the start tag (read with `attribute`) */
  attrs: string;
  /** the element's own text (CDATA included, entities decoded), children's text left out */
  text: string;
  children: XmlElement[];
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const QUOT = 0x22;
const APOS = 0x27;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

/** One left-to-right pass: the five named entities and character references; anything else stays as written. */
export function decodeEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    // an entity name is short: look for its `;` no further than 10 characters on (keeps a run of `&` linear)
    const semi = shortIndexOf(s, 0x3b, amp + 1, amp + 11);
    if (semi < 0) {
      amp = s.indexOf('&', amp + 1);
      continue;
    }
    const ref = s.slice(amp + 1, semi);
    const named = ENTITIES[ref];
    const decoded = named ?? charReference(ref);
    if (decoded !== undefined) {
      out += s.slice(from, amp) + decoded;
      from = semi + 1;
    }
    amp = s.indexOf('&', decoded !== undefined ? semi + 1 : amp + 1);
  }
  return out + s.slice(from);
}

function shortIndexOf(s: string, code: number, from: number, to: number): number {
  const end = Math.min(to, s.length);
  for (let k = from; k < end; k++) if (s.charCodeAt(k) === code) return k;
  return -1;
}

function charReference(ref: string): string | undefined {
  if (ref.length < 2 || ref.charCodeAt(0) !== 0x23) return undefined; // '#'
  const hex = ref.charCodeAt(1) === 0x78; // 'x'
  const digits = ref.slice(hex ? 2 : 1);
  if (digits === '' || !(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return undefined;
  const cp = Number.parseInt(digits, hex ? 16 : 10);
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return String.fromCodePoint(cp);
}

/** Scan `xml` into a tree under a nameless document element; XmlError when malformed or over a limit. */
export function scanXml(xml: string): XmlElement {
  if (xml.length > MAX_XML_CHARS) throw new XmlError(`XML over ${MAX_XML_CHARS} characters`);
  const doc: XmlElement = { qname: '', name: '', attrs: '', text: '', children: [] };
  const stack: XmlElement[] = [doc];
  let elements = 0;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) {
      if (stack.length > 1) top.text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i && stack.length > 1) top.text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith('<!--', lt)) {
      i = after(xml, '-->', lt + 4, 'comment');
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) throw new XmlError('unterminated CDATA section');
      if (stack.length > 1) top.text += xml.slice(lt + 9, end);
      i = end + 3;
    } else if (xml.startsWith('<?', lt)) {
      i = after(xml, '?>', lt + 2, 'processing instruction');
    } else if (xml.charCodeAt(lt + 1) === 0x21) {
      throw new XmlError('DTDs and declarations are not allowed'); // '<!' other than a comment or CDATA
    } else if (xml.charCodeAt(lt + 1) === SLASH) {
      const gt = xml.indexOf('>', lt + 2);
      if (gt < 0) throw new XmlError('unterminated end tag');
      const qname = xml.slice(lt + 2, gt).trimEnd();
      if (stack.length === 1 || qname !== top.qname) throw new XmlError(`end tag </${clip(qname)}> does not match`);
      stack.pop();
      i = gt + 1;
    } else {
      const tag = startTag(xml, lt + 1);
      if (++elements > MAX_ELEMENTS) throw new XmlError(`more than ${MAX_ELEMENTS} elements`);
      const colon = tag.qname.lastIndexOf(':');
      const el: XmlElement = { qname: tag.qname, name: tag.qname.slice(colon + 1), attrs: tag.attrs, text: '', children: [] };
      top.children.push(el);
      if (!tag.selfClosing) {
        if (stack.length > MAX_DEPTH) throw new XmlError(`nested deeper than ${MAX_DEPTH}`);
        stack.push(el);
      }
      i = tag.end;
    }
  }
  if (stack.length > 1) throw new XmlError(`unclosed element <${clip(stack[stack.length - 1]!.qname)}>`);
  return doc;
}

function after(xml: string, terminator: string, from: number, what: string): number {
  const end = xml.indexOf(terminator, from);
  if (end < 0) throw new XmlError(`unterminated ${what}`);
  return end + terminator.length;
}

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** The start tag whose name begins at `at`: its name, raw attributes, where it ends; quotes may hold `>`. */
function startTag(xml: string, at: number): { qname: string; attrs: string; selfClosing: boolean; end: number } {
  let i = at;
  const n = xml.length;
  for (; i < n; i++) {
    const c = xml.charCodeAt(i);
    if (isSpace(c) || c === GT || c === SLASH) break;
    if (c === LT || c === QUOT || c === APOS || c === 0x3d || c === 0x26) throw new XmlError('bad character in a tag name'); // < " ' = &
  }
  if (i === at) throw new XmlError('a tag without a name');
  if (i >= n) throw new XmlError('unterminated start tag');
  const qname = xml.slice(at, i);
  const attrsStart = i;
  for (; i < n; i++) {
    const c = xml.charCodeAt(i);
    if (c === QUOT || c === APOS) {
      const close = xml.indexOf(c === QUOT ? '"' : "'", i + 1);
      if (close < 0) throw new XmlError('unterminated attribute value');
      i = close;
    } else if (c === LT) {
      throw new XmlError('< inside a tag');
    } else if (c === GT) {
      const selfClosing = xml.charCodeAt(i - 1) === SLASH && i - 1 >= attrsStart;
      return { qname, attrs: xml.slice(attrsStart, selfClosing ? i - 1 : i), selfClosing, end: i + 1 };
    }
  }
  throw new XmlError('unterminated start tag');
}

/** The first element named `name` (local name) below `el`, depth first in document order. */
export function findElement(el: XmlElement, name: string): XmlElement | undefined {
  const todo: XmlElement[] = [...el.children].reverse();
  while (todo.length > 0) {
    const e = todo.pop()!;
    if (e.name === name) return e;
    for (let k = e.children.length - 1; k >= 0; k--) todo.push(e.children[k]!);
  }
  return undefined;
}

/** Every element named `name` (local name) below `el`, in document order. */
export function findElements(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const todo: XmlElement[] = [...el.children].reverse();
  while (todo.length > 0) {
    const e = todo.pop()!;
    if (e.name === name) out.push(e);
    for (let k = e.children.length - 1; k >= 0; k--) todo.push(e.children[k]!);
  }
  return out;
}

/** A direct child named `name` (local name). */
export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** The value of the attribute with local name `name` (any prefix), decoded; undefined when absent or the attributes are malformed. */
export function attribute(el: XmlElement, name: string): string | undefined {
  const s = el.attrs;
  const n = s.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) return undefined;
    const nameStart = i;
    while (i < n && s.charCodeAt(i) !== 0x3d && !isSpace(s.charCodeAt(i))) i++;
    const qname = s.slice(nameStart, i);
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d) return undefined; // '='
    i++;
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    const q = s.charCodeAt(i);
    if (q !== QUOT && q !== APOS) return undefined;
    const close = s.indexOf(q === QUOT ? '"' : "'", i + 1);
    if (close < 0) return undefined;
    if (qname.slice(qname.lastIndexOf(':') + 1) === name) return decodeEntities(s.slice(i + 1, close));
    i = close + 1;
  }
}
