/**
 * YAML with line numbers: read a file into a document and look values up by path,
 * so every validation error names file, line and field.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import { ConfigError } from './config-error.ts';

export class YamlSource {
  private readonly lines = new LineCounter();
  readonly doc: Document;
  readonly errors: ConfigError[] = [];

  constructor(
    readonly file: string,
    text = readFileSync(file, 'utf8'),
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true });
    for (const e of this.doc.errors) {
      this.errors.push(new ConfigError(file, e.linePos?.[0]?.line ?? null, null, e.message.split('\n')[0] ?? e.message));
    }
  }

  lineOf(path: (string | number)[]): number | null {
    for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
      const node = (p.length ? this.doc.getIn(p, true) : this.doc.contents) as Node | null | undefined;
      if (node && 'range' in node && node.range) return this.lines.linePos(node.range[0]).line;
      if (p.length === 0) return null;
    }
    return null;
  }

  fail(path: (string | number)[], problem: string): void {
    this.errors.push(new ConfigError(this.file, this.lineOf(path), path.join('.'), problem));
  }

  /** length of a sequence at path, 0 (with an error if present but not a list) otherwise */
  listLength(path: (string | number)[], required = true): number {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    if (node === undefined || node === null) {
      if (required) this.fail(path, 'missing list');
      return 0;
    }
    if (!isSeq(node)) {
      this.fail(path, 'must be a list');
      return 0;
    }
    return node.items.length;
  }

  isMapAt(path: (string | number)[]): boolean {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    return isMap(node);
  }

  str(path: (string | number)[], opts: { required?: boolean; pattern?: RegExp; oneOf?: readonly string[] } = {}): string | undefined {
    const v = this.doc.getIn(path);
    if (v === undefined || v === null || v === '') {
      if (opts.required !== false) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.fail(path, 'must be a string');
      return undefined;
    }
    const s = String(v);
    if (opts.pattern && !opts.pattern.test(s)) this.fail(path, `"${s}" does not match ${opts.pattern}`);
    if (opts.oneOf && !opts.oneOf.includes(s)) this.fail(path, `"${s}" must be one of ${opts.oneOf.join(', ')}`);
    return s;
  }

  strList(path: (string | number)[]): string[] {
    const v = this.doc.getIn(path);
    if (v === undefined || v === null) return [];
    const n = this.listLength(path, false);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.str([...path, i]);
      if (s !== undefined) out.push(s);
    }
    return out;
  }
}
