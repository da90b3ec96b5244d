/**
 * A loopback TCP proxy in front of a hub whose failure mode can be switched:
 *   pass     forward bytes both ways
 *   hang     accept, forward nothing, answer nothing (the client's deadline fires)
 *   503      answer every connection's first request with 503 itself
 *   refuse   the port is closed (connection refused)
 *   reject   read HTTP: answer a chosen 4xx (422 by default, with a JSON body) to report POSTs
 *            (`POST /api/agent/reports`, optionally only some seqs); every other request (the
 *            assignment GET, the command channel's WebSocket) goes to the hub untouched.
 * Every change of mode drops the open connections, so kept-alive ones meet the new mode at once.
 * The mode of a connection is the mode at its accept.
 */
import * as http from 'node:http';
import { createServer, type AddressInfo, type Server, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'hang' | '503' | 'refuse' | 'reject';

export interface RejectOptions {
  /** the status answered, default 422 */
  status?: number;
  /** the body answered (JSON), default {"message":"batch refused by the fault proxy"} */
  body?: string;
  /** refuse only the batches with these seqs (default: every report POST) */
  seqs?: ReadonlySet<number>;
}

export interface FaultProxy {
  url: string;
  port: number;
  readonly mode: ProxyMode;
  /** reject mode: the seq of every report POST that reached the proxy, in arrival order (refused or not) */
  readonly reportAttempts: number[];
  /** reject mode: the report batches the proxy refused, in arrival order */
  readonly refused: { seq: number; items: number }[];
  set(mode: ProxyMode, reject?: RejectOptions): void;
  close(): Promise<void>;
}

const REPORTS = '/api/agent/reports';
/** hop-by-hop headers: each side of the proxy manages its own connection */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k.toLowerCase())));
}

export async function startProxy(target: number): Promise<FaultProxy> {
  let mode: ProxyMode = 'pass';
  const DEFAULT_BODY = '{"message":"batch refused by the fault proxy"}';
  let reject = { status: 422, body: DEFAULT_BODY, seqs: null as ReadonlySet<number> | null };
  const reportAttempts: number[] = [];
  const refused: { seq: number; items: number }[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const upstream = new http.Agent({ keepAlive: false });

  // reject mode: HTTP is parsed, one request at a time, on the proxy's side
  const web = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === REPORTS) {
        let batch: { seq?: unknown; items?: unknown } = {};
        try {
          batch = JSON.parse(body.toString('utf8')) as typeof batch;
        } catch {
          /* not JSON: forwarded, the hub answers it */
        }
        const seq = typeof batch.seq === 'number' ? batch.seq : Number.NaN;
        reportAttempts.push(seq);
        if (reject.seqs === null || reject.seqs.has(seq)) {
          refused.push({ seq, items: Array.isArray(batch.items) ? batch.items.length : 0 });
          res.writeHead(reject.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reject.body) }).end(reject.body);
          return;
        }
      }
      const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: endToEnd(req.headers), agent: upstream }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, endToEnd(ur.headers));
        ur.pipe(res);
      });
      up.on('socket', track);
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  web.keepAliveTimeout = 5000;
  // the command channel's WebSocket: its request head is written to the hub as it came, then bytes flow
  web.on('upgrade', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const up = new Socket();
    track(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    up.connect(target, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) up.write(head);
      client.pipe(up);
      up.pipe(client);
    });
  });

  const onConn = (c: Socket) => {
    track(c);
    if (mode === 'hang') return; // accepted, nothing forwarded, nothing answered
    if (mode === '503') {
      c.once('data', () =>
        c.end('HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 27\r\nconnection: close\r\n\r\n{"message":"retry later"} \n'),
      );
      return;
    }
    if (mode === 'reject') {
      web.emit('connection', c);
      return;
    }
    const up = new Socket();
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
    up.connect(target, '127.0.0.1', () => {
      c.pipe(up);
      up.pipe(c);
    });
    track(up);
  };
  let server: Server = createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return mode;
    },
    reportAttempts,
    refused,
    set(m: ProxyMode, r: RejectOptions = {}) {
      dropAll(); // the agent's kept-alive connections meet the new mode at once
      if (m === 'refuse' && mode !== 'refuse') server.close();
      if (m !== 'refuse' && mode === 'refuse') {
        server = createServer(onConn);
        server.listen(port, '127.0.0.1');
      }
      if (m === 'reject' && r.status !== undefined && (r.status < 400 || r.status > 499)) throw new Error(`reject mode answers a 4xx, not ${r.status}`);
      if (m === 'reject') reject = { status: r.status ?? 422, body: r.body ?? DEFAULT_BODY, seqs: r.seqs ?? null };
      mode = m;
    },
    async close() {
      dropAll();
      upstream.destroy();
      if (mode === 'refuse') return;
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
