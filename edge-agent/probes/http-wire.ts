import { headerFields } from './header-lines.ts';
/**
 * Parse one HTTP/1.x response from bytes: status, headers, body by Content-Length,
 * chunked transfer coding, or (neither) up to the peer's close. Used by soap-http.ts.
 */

export interface HttpResponse {
  status: number;
  /** lower-cased names; a repeated header (WWW-Authenticate) becomes an array */
  headers: Record<string, string | string[]>;
  body: string;
}

export class HttpWireError extends Error {}

const CRLF2 = Buffer.from('\r\n\r\n');

interface Head {
  status: number;
  headers: Record<string, string | string[]>;
  bodyStart: number;
}

function parseHead(buf: Buffer, from: number): Head | null {
  const end = buf.indexOf(CRLF2, from);
  if (end < 0) return null;
  const lines = buf.toString('latin1', from, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new HttpWireError('not HTTP');
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of headerFields(lines)) headers[name] = values.length === 1 ? values[0]! : values;
  return { status: Number(m[1]), headers, bodyStart: end + 4 };
}

/** Decode a complete chunked body starting at `at`; null when more bytes are needed. */
function dechunk(buf: Buffer, at: number): Buffer | null {
  const parts: Buffer[] = [];
  let pos = at;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', pos, eol).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new HttpWireError('bad chunk');
    if (size === 0) return Buffer.concat(parts);
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

/**
 * Try to read a final (non-1xx) response from `buf`. `ended`: the peer closed, so a
 * body without length ends here. Returns null when more bytes are needed.
 */
export function parseHttpResponse(buf: Buffer, ended: boolean): HttpResponse | null {
  let from = 0;
  for (;;) {
    const head = parseHead(buf, from);
    if (!head) {
      if (ended) throw new HttpWireError('truncated');
      return null;
    }
    if (head.status >= 100 && head.status < 200) {
      from = head.bodyStart; // 100 Continue and friends: skip
      continue;
    }
    const te = head.headers['transfer-encoding'];
    let body: Buffer | null;
    if (typeof te === 'string' && /chunked/i.test(te)) {
      body = dechunk(buf, head.bodyStart);
    } else if (head.headers['content-length'] !== undefined) {
      const len = Number(head.headers['content-length']);
      if (!Number.isFinite(len) || len < 0) throw new HttpWireError('bad length');
      body = buf.length >= head.bodyStart + len ? buf.subarray(head.bodyStart, head.bodyStart + len) : null;
    } else if (head.status === 204 || head.status === 304) {
      body = Buffer.alloc(0);
    } else {
      body = ended ? buf.subarray(head.bodyStart) : null;
    }
    if (body === null) {
      if (ended) throw new HttpWireError('truncated');
      return null;
    }
    return { status: head.status, headers: head.headers, body: body.toString('utf8') };
  }
}
