/**
 * Minimal clients used by the simulator tests: SOAP over node:http, raw RTSP over node:net,
 * plain HTTP GET. Every call has a timeout and rejects with an Error whose `code` tells the
 * outcome (ECONNREFUSED, ECONNRESET, TIMEOUT).
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import { makeUsernameToken, securityHeaderXml } from '../../src/protocol/ws-security.ts';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export class ClientError extends Error {
  constructor(
    readonly code: string,
    message?: string,
  ) {
    super(message ?? code);
  }
}

export function httpRequest(
  opts: { host: string; port: number; path: string; method?: string; headers?: Record<string, string>; body?: string },
  timeoutMs = 2_000,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: opts.host, port: opts.port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new ClientError('TIMEOUT')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof ClientError ? err : new ClientError(err.code ?? 'ERROR', err.message)));
    req.end(opts.body);
  });
}

/** SOAP 1.2 request body for `action` (device or media namespace), with an optional WS-Security header. */
export function soapEnvelope(action: string, security?: { username: string; password: string; offsetMs?: number }, inner = ''): string {
  const ns = /Profiles|StreamUri|SnapshotUri/.test(action) ? 'http://www.onvif.org/ver10/media/wsdl' : 'http://www.onvif.org/ver10/device/wsdl';
  const header = security ? `<s:Header>${securityHeaderXml(makeUsernameToken(security.username, security.password, security.offsetMs ?? 0))}</s:Header>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    header +
    `<s:Body><${action} xmlns="${ns}">${inner}</${action}></s:Body></s:Envelope>`
  );
}

export function soap(
  cam: AgentCamera,
  action: string,
  security?: { username: string; password: string; offsetMs?: number },
  opts: { path?: string; inner?: string; timeoutMs?: number } = {},
): Promise<HttpReply> {
  return httpRequest(
    {
      host: cam.host,
      port: cam.onvifPort,
      path: opts.path ?? cam.onvifPath,
      method: 'POST',
      headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' },
      body: soapEnvelope(action, security, opts.inner),
    },
    opts.timeoutMs,
  );
}

/** Camera clock minus local clock, ms, from a GetSystemDateAndTime body (second resolution). */
export function clockOffsetFrom(xml: string, localNow = Date.now()): number {
  const utc = /<tt:UTCDateTime>([\s\S]*?)<\/tt:UTCDateTime>/.exec(xml)?.[1] ?? '';
  const n = (tag: string): number => Number(new RegExp(`<tt:${tag}>(\\d+)</tt:${tag}>`).exec(utc)?.[1]);
  const camera = Date.UTC(n('Year'), n('Month') - 1, n('Day'), n('Hour'), n('Minute'), n('Second'));
  return camera - localNow;
}

export interface RtspReply {
  status: number;
  headers: [string, string][];
  body: string;
  header(name: string): string | undefined;
  all(name: string): string[];
}

/** A persistent RTSP connection that parses responses in order. */
export class RtspClient {
  private buf = '';
  private waiters: { resolve: (r: RtspReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private closedErr: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.drain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new ClientError(err.code ?? 'ERROR', err.message)));
    socket.on('close', () => this.fail(new ClientError('CLOSED')));
  }

  static open(host: string, port: number, timeoutMs = 2_000): Promise<RtspClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new ClientError('TIMEOUT'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(new RtspClient(s));
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(t);
        reject(new ClientError(err.code ?? 'ERROR', err.message));
      });
    });
  }

  /** Write raw bytes; replies (if any) are picked up by next(). */
  write(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  next(timeoutMs = 2_000): Promise<RtspReply> {
    return new Promise((resolve, reject) => {
      if (this.closedErr && this.waiters.length === 0 && !this.buf) return reject(this.closedErr);
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new ClientError('TIMEOUT'));
      }, timeoutMs);
      this.waiters.push({ resolve, reject, timer });
      this.drain();
    });
  }

  request(method: string, url: string, cseq: number, extra: Record<string, string> = {}, timeoutMs = 2_000): Promise<RtspReply> {
    let msg = `${method} ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\nUser-Agent: sim-test\r\n`;
    for (const [k, v] of Object.entries(extra)) msg += `${k}: ${v}\r\n`;
    this.write(msg + '\r\n');
    return this.next(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.slice(0, end).split('\r\n');
      const headers: [string, string][] = lines.slice(1).map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
      });
      const len = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.slice(end + 4, end + 4 + len);
      this.buf = this.buf.slice(end + 4 + len);
      const status = Number(/^RTSP\/1\.0 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const w = this.waiters.shift();
      if (!w) return;
      clearTimeout(w.timer);
      w.resolve({
        status,
        headers,
        body,
        header: (n) => headers.find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1],
        all: (n) => headers.filter(([k]) => k.toLowerCase() === n.toLowerCase()).map(([, v]) => v),
      });
    }
  }

  private fail(err: Error): void {
    this.closedErr = err;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

/** Try a TCP connect; resolves 'connected' or the error code (ECONNREFUSED…). */
export function tcpProbe(host: string, port: number, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve('TIMEOUT');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.resetAndDestroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(err.code ?? 'ERROR');
    });
  });
}
