/**
 * Reading the head of an HTTP or RTSP response (status line, header lines) out of bytes a
 * camera sends in pieces — hostile input, so bounded and linear: `HeadEnd` finds the blank line
 * ending the head with every byte searched once however the head is split (a head over its cap
 * is an error), `headerFields` splits the lines once. No regular expression.
 */

export class HeadTooLargeError extends Error {}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * The end of one head in a buffer that grows between calls (`buf` always starts where the head
 * starts). Keeps how far it searched, and the end once found: a head that arrived before its
 * body is not searched again, and no byte is searched twice. `reset()` for the next response
 * (after the caller consumed this one).
 */
export class HeadEnd {
  private searched = 0;
  private end = -1;

  /** @param maxBytes longest head accepted (status line and headers, without the blank line) */
  constructor(readonly maxBytes: number) {}

  /** Index of the `\r\n\r\n` ending the head (the body starts 4 bytes later), or -1 while more bytes are needed. Throws HeadTooLargeError past `maxBytes`. */
  find(buf: Buffer): number {
    if (this.end >= 0) return this.end;
    // the terminator may straddle the previous piece: step back 3 bytes
    const at = buf.indexOf(CRLF2, Math.max(0, this.searched - 3));
    if (at < 0) {
      this.searched = buf.length;
      if (buf.length > this.maxBytes + 3) throw new HeadTooLargeError(`head over ${this.maxBytes} bytes`);
      return -1;
    }
    if (at > this.maxBytes) throw new HeadTooLargeError(`head over ${this.maxBytes} bytes`);
    this.end = at;
    return at;
  }

  reset(): void {
    this.searched = 0;
    this.end = -1;
  }
}

/** `Name: value` header lines of an HTTP or RTSP response head (after its status line), lower-cased names, repeats kept in order. */
export function headerFields(lines: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}
