/**
 * Minimal RTSP/1.0 client connection over raw `node:net`: write a request, read one
 * response (status line, headers, Content-Length body); RTP packets the camera interleaves
 * on the same connection (`$` channel length payload, RFC 2326 §10.12) go to `onInterleaved`;
 * requests the camera sends us (SET_PARAMETER, ANNOUNCE …) are read and dropped.
 *
 * A camera controls every byte here, so parsing is linear and bounded: the header block is
 * scanned once (the search resumes where the last chunk ended), capped at MAX_HEAD bytes,
 * the body at MAX_BODY; no regular expression touches the reply.
 */
import { connect, type Socket } from 'node:net';
import { headerFields } from './header-lines.ts';
import { closeHard } from './socket-close.ts';

export interface RtspResponse {
  status: number;
  /** the status line's reason phrase, as sent (camera-controlled: cap it before showing it) */
  reason: string;
  /** lower-cased header name → values (WWW-Authenticate may repeat) */
  headers: Map<string, string[]>;
  body: string;
}

export class RtspError extends Error {
  constructor(
    readonly kind: 'fail' | 'timeout',
    readonly code: string,
  ) {
    super(code);
  }
}

/** Longest header block (status line and headers) accepted. */
export const MAX_HEAD = 16 * 1024;
/** Longest body (Content-Length) accepted. */
export const MAX_BODY = 64 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const DOLLAR = 0x24;

/** `RTSP/d.d NNN reason` → status and reason; null when the line is not an RTSP status line. */
export function parseStatusLine(line: string): { status: number; reason: string } | null {
  if (line.length < 12 || !line.startsWith('RTSP/')) return null;
  const isDigit = (i: number): boolean => line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57;
  if (!isDigit(5) || line[6] !== '.' || !isDigit(7)) return null;
  let i = 8;
  if (line[i] !== ' ' && line[i] !== '\t') return null;
  while (line[i] === ' ' || line[i] === '\t') i++;
  if (!isDigit(i) || !isDigit(i + 1) || !isDigit(i + 2)) return null;
  const status = Number(line.slice(i, i + 3));
  if (i + 3 < line.length && line[i + 3] !== ' ' && line[i + 3] !== '\t') return null;
  return { status, reason: line.slice(i + 3).trim() };
}

/**
 * Parse one response at the start of buf: null when more bytes are needed. Throws on garbage.
 * `scanFrom`: where to resume looking for the end of the header block (bytes before it were
 * already searched), so a reply trickling in byte by byte costs linear time.
 */
export function parseRtspResponse(buf: Buffer, scanFrom = 0): { res: RtspResponse; consumed: number } | null {
  if (buf.length >= 5 && buf.toString('latin1', 0, 5) !== 'RTSP/') throw new RtspError('fail', 'not RTSP');
  const end = buf.indexOf(HEADER_END, Math.max(0, scanFrom - 3));
  if (end < 0 || end > MAX_HEAD) {
    if (buf.length > MAX_HEAD) throw new RtspError('fail', 'header too large');
    return null;
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const line = parseStatusLine(lines[0] ?? '');
  if (!line) throw new RtspError('fail', 'not RTSP');
  const headers = headerFields(lines);
  const length = contentLength(headers.get('content-length')?.[0]);
  if (length > MAX_BODY) throw new RtspError('fail', 'body too large');
  const total = end + 4 + length;
  if (buf.length < total) return null;
  return { res: { status: line.status, reason: line.reason, headers, body: buf.toString('utf8', end + 4, total) }, consumed: total };
}

/** A Content-Length value: digits only, else 0 (as before); more than 9 digits is over any cap. */
function contentLength(v: string | undefined): number {
  if (v === undefined) return 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
  }
  return v.length > 9 ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Receives one interleaved frame: its channel and payload (a copy, ≤ 65,535 bytes). */
export type InterleavedHandler = (channel: number, payload: Buffer) => void;

export class RtspConnection {
  private buf: Buffer = Buffer.alloc(0);
  /** bytes of `buf` already searched for the end of a header block */
  private scanned = 0;
  private waiter: { resolve: (r: RtspResponse) => void; reject: (e: RtspError) => void } | null = null;
  private failure: RtspError | null = null;
  private readonly socket: Socket;
  /** settles when the TCP connect does; rejects with RtspError */
  readonly ready: Promise<void>;
  /** resolves once the connection is over (peer closed, error, or close()) */
  readonly closed: Promise<void>;
  private markClosed: () => void = () => {};
  /** RTP/RTCP the camera interleaves on this connection; frames are dropped while unset */
  onInterleaved: InterleavedHandler | null = null;

  /** Starts connecting at once; close() is safe at any time (also while connecting). */
  constructor(host: string, port: number) {
    this.socket = connect({ host, port });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', (e: NodeJS.ErrnoException) => reject(new RtspError('fail', e.code ?? 'connect error')));
    });
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(new RtspError('fail', e.code ?? 'socket error')));
    // after close() (every ladder's end) the failure is set: no Error (and stack) to build
    this.socket.on('close', () => this.failure ?? this.fail(new RtspError('fail', 'closed by peer')));
  }

  /** true once the peer closed, an error happened or close() was called */
  get isClosed(): boolean {
    return this.failure !== null;
  }

  /** Our address on this connection (the interface toward the camera); undefined before connect. */
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** The camera's address as connected. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  request(text: string): Promise<RtspResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(text);
      this.drain();
    });
  }

  close(): void {
    this.failure ??= new RtspError('fail', 'closed');
    this.markClosed();
    closeHard(this.socket);
  }

  private drain(): void {
    while (this.buf.length > 0 && !this.failure) {
      if (this.buf[0] === DOLLAR) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        const channel = this.buf[1] ?? 0;
        const payload = Buffer.from(this.buf.subarray(4, 4 + len));
        this.consume(4 + len);
        this.onInterleaved?.(channel, payload);
        continue;
      }
      const request = this.cameraRequest();
      if (request === 'more') return;
      if (request === 'skipped') continue;
      if (!this.waiter) {
        // an answer nobody asked for yet: keep it, within the same bounds as any answer
        if (this.buf.length > MAX_HEAD + MAX_BODY) this.fail(new RtspError('fail', 'unsolicited data'));
        return;
      }
      let parsed: ReturnType<typeof parseRtspResponse>;
      try {
        parsed = parseRtspResponse(this.buf, this.scanned);
      } catch (e) {
        this.fail(e as RtspError);
        return;
      }
      if (!parsed) {
        // resume the search for the header end where it stopped; once found (the body still
        // to come), stay at it, or the next chunk's search would start past it
        const end = this.buf.indexOf(HEADER_END, Math.max(0, this.scanned - 3));
        this.scanned = end < 0 ? this.buf.length : end;
        return;
      }
      this.consume(parsed.consumed);
      const w = this.waiter;
      this.waiter = null;
      w.resolve(parsed.res);
    }
  }

  /**
   * A request the camera sends us on this connection (RFC 2326 §10: SET_PARAMETER, ANNOUNCE,
   * GET_PARAMETER keep-alives, …): read whole within the same caps and dropped unanswered, so
   * that the interleaved RTP behind it still flows. 'no' when the bytes are not one (an
   * answer, or garbage: parseRtspResponse refuses that).
   */
  private cameraRequest(): 'no' | 'more' | 'skipped' {
    const b = this.buf;
    if (b[0] === 0x52 /* R */ && (b.length < 5 || b.toString('latin1', 0, 5) === 'RTSP/')) return 'no';
    // a method token: 3–16 of A–Z and _, then a space
    let i = 0;
    while (i < b.length && i < 17 && ((b[i]! >= 0x41 && b[i]! <= 0x5a) || b[i] === 0x5f)) i++;
    if (i === b.length && i < 17) return 'more';
    if (i < 3 || i > 16 || b[i] !== 0x20) return 'no';
    const end = b.indexOf(HEADER_END, Math.max(0, this.scanned - 3));
    if (end < 0 || end > MAX_HEAD) {
      this.scanned = b.length;
      return b.length > MAX_HEAD ? 'no' : 'more';
    }
    const lines = b.toString('latin1', 0, end).split('\r\n');
    if (!(lines[0] ?? '').endsWith(' RTSP/1.0')) return 'no';
    const length = contentLength(headerFields(lines).get('content-length')?.[0]);
    if (length > MAX_BODY) return 'no';
    if (b.length < end + 4 + length) {
      this.scanned = end;
      return 'more';
    }
    this.consume(end + 4 + length);
    return 'skipped';
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanned = 0;
  }

  private fail(e: RtspError): void {
    this.failure ??= e;
    this.markClosed();
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}
