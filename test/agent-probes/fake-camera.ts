/**
 * Tiny loopback stand-ins for a camera, for the probe tests and the CPU measurement:
 * an ONVIF device service (node:http) that answers with real vendor captures, and an
 * RTSP responder (node:net) with Digest/Basic challenges. Not the product simulator.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { digestChallenge, verifyAuthorization } from '../../src/protocol/digest-auth.ts';
import { verifyUsernameToken } from '../../src/protocol/ws-security.ts';
import { infoFixture, notAuthorizedFixture, onvifFixture, timeFixture, withUtcTime, type Vendor } from './fixtures.ts';

export interface Running {
  port: number;
  /** one line per request: ONVIF operation name, or RTSP "METHOD[ auth-header]" */
  requests: string[];
  /** TCP connections accepted so far */
  connections(): number;
  close(): Promise<void>;
}

export interface FakeOnvifOptions {
  vendor?: Vendor;
  username: string;
  password: string;
  /** camera clock − real clock, ms */
  skewMs?: number;
  /** 'wsse': NotAuthorized fault on bad tokens; 'http-digest' / 'http-basic': 401 + WWW-Authenticate (Digest / Basic only) first */
  auth?: 'wsse' | 'http-digest' | 'http-basic';
  /** HTTP status of the NotAuthorized fault (cameras use 400 or 500) */
  faultStatus?: 400 | 500;
  /** GetSystemDateAndTime needs auth as well */
  timeNeedsAuth?: boolean;
  /** answer every request with `Connection: close` (cameras that refuse keep-alive) */
  noKeepAlive?: boolean;
  /** wait this long before each answer (a camera's processing time) */
  answerDelayMs?: number;
  /**
   * answer GetSnapshotUri with this URI (`{port}`: this camera's port), and serve a small JPEG
   * to `GET /snapshot.jpg` (Digest-protected; Basic-only with `auth: 'http-basic'`)
   */
  snapshotUri?: string;
  /** every Authorization header received (SOAP and GET), in order */
  authorizations?: string[];
}

/** The smallest JPEG-looking answer: SOI, then EOI (the agent checks the SOI marker). */
export const TINY_JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

const SOAP = 'application/soap+xml; charset=utf-8';
/** ONVIF core spec access class PRE_AUTH: answered without credentials */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetServiceCapabilities', 'GetWsdlUrl', 'GetHostname', 'GetEndpointReference']);
const REALM = 'FakeCam';

function listening(server: HttpServer | NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function counter(server: HttpServer | NetServer): () => number {
  let n = 0;
  server.on('connection', () => n++);
  return () => n;
}

function closer(server: HttpServer | NetServer, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startFakeOnvif(o: FakeOnvifOptions): Promise<Running> {
  const vendor = o.vendor ?? 'hikvision';
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const fault = notAuthorizedFixture(vendor === 'axis' ? 'axis' : 'trendnet');
  let port = 0;
  // captured service addresses point at the vendor's LAN: keep every client on loopback
  const local = (xml: string): string => xml.replace(/(XAddr>\s*)https?:\/\/[^/<\s]+/g, `$1http://127.0.0.1:${port}`);
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== undefined) o.authorizations?.push(req.headers.authorization);
      if (req.method === 'GET') {
        requests.push(`GET ${req.url ?? ''}`);
        const cred = { username: o.username, password: o.password, realm: REALM };
        const basic = o.auth === 'http-basic';
        const authz = req.headers.authorization;
        if (!verifyAuthorization(basic && !authz?.startsWith('Basic ') ? undefined : authz, cred, 'GET')) {
          res.writeHead(401, { 'WWW-Authenticate': basic ? `Basic realm="${REALM}"` : digestChallenge(REALM, Math.random().toString(16).slice(2)) });
          res.end();
        } else if (req.url === '/snapshot.jpg') {
          res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': TINY_JPEG.length });
          res.end(TINY_JPEG);
        } else {
          res.writeHead(404);
          res.end();
        }
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const op = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(body)?.[1] ?? '?';
      requests.push(op);
      const cameraNow = Date.now() + (o.skewMs ?? 0);
      const send = (status: number, xml: string, headers: Record<string, string> = {}): void => {
        const answer = (): void => {
          res.writeHead(status, { 'Content-Type': SOAP, Date: new Date(cameraNow).toUTCString(), ...(o.noKeepAlive ? { Connection: 'close' } : {}), ...headers });
          res.end(xml);
        };
        if (o.answerDelayMs) setTimeout(answer, o.answerDelayMs);
        else answer();
      };
      const needsAuth = op === 'GetSystemDateAndTime' ? o.timeNeedsAuth === true : !PRE_AUTH.has(op);
      if (needsAuth) {
        if (o.auth === 'http-digest' || o.auth === 'http-basic') {
          const cred = { username: o.username, password: o.password, realm: REALM };
          const authz = req.headers.authorization;
          const basic = o.auth === 'http-basic';
          if (!verifyAuthorization(basic && !authz?.startsWith('Basic ') ? undefined : authz, cred, 'POST')) {
            send(401, '', { 'WWW-Authenticate': basic ? `Basic realm="${REALM}"` : digestChallenge(REALM, Math.random().toString(16).slice(2)) });
            return;
          }
        } else if (verifyUsernameToken(body, o, cameraNow) !== 'ok') {
          send(o.faultStatus ?? 400, fault);
          return;
        }
      }
      if (op === 'GetSystemDateAndTime') send(200, withUtcTime(timeFixture(vendor), cameraNow));
      else if (op === 'GetDeviceInformation') send(200, infoFixture(vendor));
      else if (op === 'GetCapabilities' && vendor !== 'milesight') send(200, local(onvifFixture(vendor, 'GetCapabilities.Response.xml')));
      else if (op === 'GetProfiles' && vendor !== 'milesight') send(200, onvifFixture(vendor, 'GetProfiles.Response.xml'));
      else if (op === 'GetSnapshotUri' && o.snapshotUri !== undefined) send(200, snapshotUriResponse(o.snapshotUri.replace('{port}', String(port))));
      else send(400, onvifFixture('hikvision', 'GetServices.Error.xml'));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const connections = counter(server);
  port = await listening(server);
  return { port, requests, connections, close: closer(server, sockets) };
}

export interface FakeRtspOptions {
  username: string;
  password: string;
  path?: string;
  /** offer Digest and Basic together (Hikvision) */
  bothChallenges?: boolean;
  /** only Basic */
  basicOnly?: boolean;
  /** hang up after every 401 */
  closeAfter401?: boolean;
  /** challenge OPTIONS too (some cameras do) */
  optionsNeedsAuth?: boolean;
  sdp?: string;
}

export const TEST_SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Fake\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n';

export async function startFakeRtsp(o: FakeRtspOptions): Promise<Running> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const path = o.path ?? '/stream1';
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const [line = '', ...rest] = head.split('\r\n');
        const [method = '', url = ''] = line.split(' ');
        const h = (n: string): string | undefined =>
          rest
            .find((r) => r.toLowerCase().startsWith(n + ':'))
            ?.slice(n.length + 1)
            .trim();
        const cseq = h('cseq') ?? '0';
        const authz = h('authorization');
        requests.push(authz ? `${method} ${authz}` : method);
        const reply = (status: string, headers: string[] = [], body = ''): void => {
          const len = body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [];
          socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${[...headers, ...len].map((x) => x + '\r\n').join('')}\r\n${body}`);
        };
        const challenges = (): string[] => {
          const ch: string[] = [];
          if (!o.basicOnly) ch.push(`WWW-Authenticate: ${digestChallenge(REALM, Math.random().toString(16).slice(2), { qop: false })}`);
          if (o.bothChallenges || o.basicOnly) ch.push(`WWW-Authenticate: Basic realm="${REALM}"`);
          return ch;
        };
        if (method === 'OPTIONS') {
          if (o.optionsNeedsAuth) reply('401 Unauthorized', challenges());
          else reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
        } else if (method === 'DESCRIBE') {
          if (!new URL(url).pathname.endsWith(path)) {
            reply('404 Not Found');
            continue;
          }
          if (!verifyAuthorization(authz, { username: o.username, password: o.password, realm: REALM }, 'DESCRIBE')) {
            reply('401 Unauthorized', challenges());
            if (o.closeAfter401) socket.end();
            continue;
          }
          reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${url}/`], o.sdp ?? TEST_SDP);
        } else {
          reply('405 Method Not Allowed');
        }
      }
    });
  });
  return { port: await listening(server), requests, connections: counter(server), close: closer(server, sockets) };
}

/** Accepts connections and never answers a byte. */
export async function startSilentServer(): Promise<Running> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  return { port: await listening(server), requests: [], connections: counter(server), close: closer(server, sockets) };
}

/** A GetSnapshotUriResponse naming `uri` (XML-escaped), shaped like Hikvision's. */
export function snapshotUriResponse(uri: string): string {
  const esc = uri.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:trt="http://www.onvif.org/ver10/media/wsdl">' +
    `<env:Body><trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${esc}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse></env:Body></env:Envelope>'
  );
}
