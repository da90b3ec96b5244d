import { HeadEnd, HeadTooLargeError, headerFields } from './header-lines.ts';
/**
 * Read one HTTP/1.x response from bytes as they arrive: status, headers, body by
 * Content-Length, chunked transfer coding, or (neither) up to the peer's close. Used by
 * soap-http.ts. Camera replies are hostile input, so the reader is incremental and bounded:
 * every byte is looked at a bounded number of times however the answer is split into reads
 * (bytes kept in one buffer that doubles, the end of the head searched only in new bytes, the
 * head parsed once, chunks decoded once); a head over MAX_HEAD_BYTES, a chunk-size line over
 * MAX_CHUNK_LINE or more than MAX_INTERIM 1xx answers is an error. The body's cap is the
 * caller's (soap-http.ts caps the whole answer).
 */

export interface HttpResponse {
  status: number;
  /** lower-cased names; a repeated header (WWW-Authenticate) becomes an array */
  headers: Record<string, string | string[]>;
  body: string;
}

export class HttpWireError extends Error {}

export const MAX_HEAD_BYTES = 16 * 1024;
export const MAX_CHUNK_LINE = 1024;
export const MAX_INTERIM = 8;

interface Head {
  status: number;
  headers: Record<string, string | string[]>;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  // anchored, over one line of a head capped at MAX_HEAD_BYTES: linear
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new HttpWireError('not HTTP');
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of headerFields(lines)) headers[name] = values.length === 1 ? values[0]! : values;
  return { status: Number(m[1]), headers };
}

/** A chunk-size line: hex digits, optionally `;extensions`, blanks around; NaN when not that. */
function chunkSize(line: string): number {
  const semi = line.indexOf(';');
  const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
  if (hex.length === 0 || hex.length > 8) return Number.NaN;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return Number.NaN;
  }
  return Number.parseInt(hex, 16);
}

type Phase = 'head' | 'length' | 'chunk-line' | 'chunk-data' | 'to-close' | 'done';

/** One response, read incrementally: `push` each chunk of bytes, `end` when the peer closed. */
export class HttpResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;
  private phase: Phase = 'head';
  /** where the current head starts, and its end's search (every byte searched once) */
  private headStart = 0;
  private readonly headEnd = new HeadEnd(MAX_HEAD_BYTES);
  private interim = 0;
  private head: Head | null = null;
  private bodyStart = 0;
  private bodyLength = 0;
  /** chunked: position of the next chunk-size line or chunk data, and the data so far */
  private pos = 0;
  private chunkLeft = 0;
  private readonly parts: Buffer[] = [];
  private result: HttpResponse | null = null;

  /** Add bytes; the response once complete (then and after), else null. Throws HttpWireError. */
  push(chunk: Buffer): HttpResponse | null {
    if (this.result) return this.result;
    this.append(chunk);
    return this.advance(false);
  }

  /** The peer closed: the response, or HttpWireError('truncated'). */
  end(): HttpResponse {
    if (this.result) return this.result;
    const r = this.advance(true);
    if (!r) throw new HttpWireError('truncated');
    return r;
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.len + chunk.length, this.buf.length * 2, 4096));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  private advance(ended: boolean): HttpResponse | null {
    const buf = this.buf.subarray(0, this.len);
    for (;;) {
      switch (this.phase) {
        case 'head': {
          let rel: number;
          try {
            rel = this.headEnd.find(buf.subarray(this.headStart));
          } catch (e) {
            if (e instanceof HeadTooLargeError) throw new HttpWireError('head too large');
            throw e;
          }
          if (rel < 0) return ended ? this.fail() : null;
          const end = this.headStart + rel;
          const head = parseHead(buf.toString('latin1', this.headStart, end));
          this.headStart = end + 4;
          this.headEnd.reset();
          if (head.status >= 100 && head.status < 200) {
            // 100 Continue and friends: skip
            if (++this.interim > MAX_INTERIM) throw new HttpWireError('too many interim responses');
            continue;
          }
          this.head = head;
          this.bodyStart = this.pos = end + 4;
          const te = head.headers['transfer-encoding'];
          if (typeof te === 'string' && te.toLowerCase().includes('chunked')) this.phase = 'chunk-line';
          else if (head.headers['content-length'] !== undefined) {
            const cl = head.headers['content-length'];
            const n = typeof cl === 'string' && /^\d{1,12}$/.test(cl) ? Number(cl) : Number.NaN;
            if (!Number.isFinite(n)) throw new HttpWireError('bad length');
            this.bodyLength = n;
            this.phase = 'length';
          } else if (head.status === 204 || head.status === 304) {
            return this.finish(Buffer.alloc(0));
          } else this.phase = 'to-close';
          continue;
        }
        case 'length':
          if (this.len >= this.bodyStart + this.bodyLength) return this.finish(buf.subarray(this.bodyStart, this.bodyStart + this.bodyLength));
          return ended ? this.fail() : null;
        case 'to-close':
          return ended ? this.finish(buf.subarray(this.bodyStart)) : null;
        case 'chunk-line': {
          const eol = buf.indexOf('\r\n', this.pos, 'latin1');
          if (eol < 0) {
            if (this.len - this.pos > MAX_CHUNK_LINE) throw new HttpWireError('bad chunk');
            return ended ? this.fail() : null;
          }
          if (eol - this.pos > MAX_CHUNK_LINE) throw new HttpWireError('bad chunk');
          const size = chunkSize(buf.toString('latin1', this.pos, eol));
          if (!Number.isFinite(size)) throw new HttpWireError('bad chunk');
          if (size === 0) return this.finish(Buffer.concat(this.parts));
          this.pos = eol + 2;
          this.chunkLeft = size;
          this.phase = 'chunk-data';
          continue;
        }
        case 'chunk-data': {
          // the data and its CRLF
          if (this.len < this.pos + this.chunkLeft + 2) return ended ? this.fail() : null;
          const after = this.pos + this.chunkLeft;
          if (buf[after] !== 0x0d || buf[after + 1] !== 0x0a) throw new HttpWireError('bad chunk');
          this.parts.push(buf.subarray(this.pos, this.pos + this.chunkLeft)); // never written again: appends go past `len`
          this.pos += this.chunkLeft + 2;
          this.phase = 'chunk-line';
          continue;
        }
        case 'done':
          return this.result;
      }
    }
  }

  private fail(): never {
    throw new HttpWireError('truncated');
  }

  private finish(body: Buffer): HttpResponse {
    const head = this.head!;
    this.phase = 'done';
    this.result = { status: head.status, headers: head.headers, body: body.toString('utf8') };
    return this.result;
  }
}

/**
 * Try to read a final (non-1xx) response from `buf` at once. `ended`: the peer closed, so a
 * body without length ends here. Returns null when more bytes are needed.
 */
export function parseHttpResponse(buf: Buffer, ended: boolean): HttpResponse | null {
  const r = new HttpResponseReader();
  const res = r.push(buf);
  return res ?? (ended ? r.end() : null);
}
