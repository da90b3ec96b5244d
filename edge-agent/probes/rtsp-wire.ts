/**
 * Minimal RTSP/1.0 client connection over raw `node:net`: write a request, read one
 * response (status line, headers, Content-Length body). Enough for OPTIONS + DESCRIBE.
 */
import { headerFields } from './header-lines.ts';
import { connect, type Socket } from 'node:net';
import { closeHard } from './socket-close.ts';

export interface RtspResponse {
  status: number;
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

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_RESPONSE = 64 * 1024;

/** Parse one response at the start of buf: null when more bytes are needed. Throws on garbage. */
export function parseRtspResponse(buf: Buffer): { res: RtspResponse; consumed: number } | null {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) {
    if (buf.length > MAX_RESPONSE) throw new RtspError('fail', 'header too large');
    if (buf.length >= 5 && buf.toString('latin1', 0, 5) !== 'RTSP/') throw new RtspError('fail', 'not RTSP');
    return null;
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^RTSP\/\d\.\d\s+(\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new RtspError('fail', 'not RTSP');
  const headers = headerFields(lines);
  const length = Number(headers.get('content-length')?.[0] ?? 0) || 0;
  if (length > MAX_RESPONSE) throw new RtspError('fail', 'body too large');
  const total = end + 4 + length;
  if (buf.length < total) return null;
  return { res: { status: Number(m[1]), headers, body: buf.toString('utf8', end + 4, total) }, consumed: total };
}

export class RtspConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (r: RtspResponse) => void; reject: (e: RtspError) => void } | null = null;
  private failure: RtspError | null = null;
  private readonly socket: Socket;
  /** settles when the TCP connect does; rejects with RtspError */
  readonly ready: Promise<void>;

  /** Starts connecting at once; close() is safe at any time (also while connecting). */
  constructor(host: string, port: number) {
    this.socket = connect({ host, port });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', (e: NodeJS.ErrnoException) => reject(new RtspError('fail', e.code ?? 'connect error')));
    });
    this.ready.catch(() => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(new RtspError('fail', e.code ?? 'socket error')));
    this.socket.on('close', () => this.fail(new RtspError('fail', 'closed by peer')));
  }

  /** true once the peer closed, an error happened or close() was called */
  get isClosed(): boolean {
    return this.failure !== null;
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
    closeHard(this.socket);
  }

  private drain(): void {
    if (!this.waiter || this.buf.length === 0) return;
    let parsed: ReturnType<typeof parseRtspResponse>;
    try {
      parsed = parseRtspResponse(this.buf);
    } catch (e) {
      this.fail(e as RtspError);
      return;
    }
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.consumed);
    const w = this.waiter;
    this.waiter = null;
    w.resolve(parsed.res);
  }

  private fail(e: RtspError): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}
