/**
 * One SOAP POST, written straight onto a `node:net` socket (HTTP/1.1, Connection: close,
 * no keep-alive), read with ./http-wire.ts; one deadline for the whole exchange, body
 * size capped (the reader caps the head and reads incrementally: linear however the camera
 * splits its answer), socket reset (not FIN-closed) when done. Neither `fetch` (≈1.2 ms CPU per
 * request) nor `node:http` (≈250–400 µs measured here) — this costs ≈70–100 µs.
 */
import { connect, type Socket } from 'node:net';
import { HttpResponseReader, HttpWireError, type HttpResponse } from './http-wire.ts';
import { closeHard } from './socket-close.ts';

export type SoapResponse = HttpResponse & {
  /** with `keepAlive`: the connection, still open, for the next request to the same camera */
  socket?: Socket;
  /** the address the answer came from (the camera as connected: a host name resolved) */
  peer?: string;
};

export class SoapTransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'fail',
    /** short code, e.g. ECONNREFUSED, 'timeout', 'too_large'; never credentials */
    readonly code: string,
  ) {
    super(code);
  }
}

const MAX_RESPONSE = 256 * 1024;

export interface SoapPostOptions {
  host: string;
  port: number;
  path: string;
  body: string;
  timeoutMs: number;
  authorization?: string;
  maxBytes?: number;
  /** an already connected socket to host:port to use (and close) instead of connecting */
  socket?: Socket | undefined;
  /**
   * ask to keep the connection and hand it back on the response (ONVIF time then auth on one
   * connection: one connect and one reset less per ladder); closed as usual when the camera
   * answers `Connection: close` or the answer ran to the end of the stream
   */
  keepAlive?: boolean;
  /**
   * record the camera's address as connected on the response (`peer`; default true: the
   * snapshot URI check needs it); the ladder's rungs pass false: it costs a getpeername
   * system call per answer
   */
  recordPeer?: boolean;
}

export function soapRequestText(o: SoapPostOptions): string {
  const hostHeader = o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  return (
    `POST ${o.path} HTTP/1.1\r\nHost: ${hostHeader}\r\n` +
    'Content-Type: application/soap+xml; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(o.body)}\r\nConnection: ${o.keepAlive ? 'keep-alive' : 'close'}\r\n` +
    (o.authorization !== undefined ? `Authorization: ${o.authorization}\r\n` : '') +
    `\r\n${o.body}`
  );
}

export function soapPost(o: SoapPostOptions): Promise<SoapResponse> {
  return new Promise((resolve, reject) => {
    const max = o.maxBytes ?? MAX_RESPONSE;
    const reader = new HttpResponseReader();
    let received = 0;
    let done = false;
    const socket = o.socket && !o.socket.destroyed ? o.socket : connect({ host: o.host, port: o.port });
    const finish = (err: SoapTransportError | null, res?: SoapResponse, reusable = false): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (res && o.recordPeer !== false && socket.remoteAddress !== undefined) res.peer = socket.remoteAddress;
      if (reusable && res) {
        socket.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close').removeAllListeners('error');
        socket.on('error', () => undefined); // idle until the next request takes it (or closeHard)
        res.socket = socket;
      } else closeHard(socket);
      if (err) reject(err);
      else resolve(res as SoapResponse);
    };
    const attempt = (chunk: Buffer | null): void => {
      const ended = chunk === null;
      try {
        const res: SoapResponse | null = ended ? reader.end() : reader.push(chunk);
        const conn = String(res?.headers.connection ?? '').toLowerCase();
        if (res) finish(null, res, o.keepAlive === true && !ended && conn !== 'close');
      } catch (e) {
        finish(new SoapTransportError('fail', e instanceof HttpWireError ? e.message : 'bad response'));
      }
    };
    const timer = setTimeout(() => finish(new SoapTransportError('timeout', 'timeout')), o.timeoutMs);
    socket.on('data', (c: Buffer) => {
      received += c.length;
      if (received > max) finish(new SoapTransportError('fail', 'too_large'));
      else attempt(c);
    });
    socket.on('end', () => attempt(null));
    // once answered, the close that follows builds no Error (and stack)
    socket.on('close', () => done || finish(new SoapTransportError('fail', 'closed by peer')));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(new SoapTransportError('fail', e.code ?? 'socket error')));
    socket.write(soapRequestText(o));
  });
}
