/**
 * A hostile camera on loopback: it answers every ONVIF call with 256 KB of crafted XML
 * (./hostile-xml.ts, one body after the other). GetSystemDateAndTime is answered 200 (the time
 * reader must read it) and 401 in turn (time "needs auth", so the auth rung runs too), every
 * other call 500 (the fault readers must read it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HOSTILE_SEQUENCE } from './hostile-xml.ts';

export interface HostileCamera {
  port: number;
  /** ONVIF operations asked, in order */
  requests: string[];
  close(): Promise<void>;
}

export async function startHostileOnvif(host = '127.0.0.1'): Promise<HostileCamera> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  let times = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const op = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(body)?.[1] ?? '?';
      requests.push(op);
      const xml = HOSTILE_SEQUENCE[n++ % HOSTILE_SEQUENCE.length]!;
      const status = op === 'GetSystemDateAndTime' ? (times++ % 2 === 0 ? 200 : 401) : 500;
      res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xml) });
      res.end(xml);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
