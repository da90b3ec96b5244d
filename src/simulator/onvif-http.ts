/**
 * The HTTP side of every simulated camera: ONVIF device + media services (SOAP 1.2) and the
 * JPEG snapshot behind HTTP digest. One http.Server that never listens: each camera's TCP
 * listener hands accepted sockets to it, and a WeakMap says which camera a socket belongs to.
 * Hot path: no XML parser, a regex finds the SOAP action, bodies are prebuilt per camera.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { digestChallenge, verifyAuthorization } from '../protocol/digest-auth.ts';
import { verifyUsernameToken } from '../protocol/ws-security.ts';
import type { NonceIssuer } from './nonces.ts';
import * as tpl from './onvif-templates.ts';
import type { SimCamera } from './sim-camera.ts';

const SOAP_PATHS = new Set(['/onvif/device_service', '/onvif/media_service', '/onvif/Media']);
const MAX_BODY = 64 * 1024;
const ACTION_RE = /<(?:[A-Za-z_][\w.-]*:)?Body\b[^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_]\w*)/;
const PROFILE_TOKEN_RE = /<(?:[A-Za-z_][\w.-]*:)?ProfileToken\b[^>]*>\s*([^<\s]+)\s*</;
const SOAP_TYPE = 'application/soap+xml; charset=utf-8';

/** Actions answered without authentication (ONVIF pre-auth set, plus capabilities as most cameras do). */
const NO_AUTH = new Set(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetServiceCapabilities', 'GetWsdlUrl']);

export interface OnvifHttp {
  /** hand an accepted socket of `camera` to the HTTP server */
  accept(socket: Socket, camera: SimCamera): void;
  close(): void;
}

export function createOnvifHttp(nonces: NonceIssuer): OnvifHttp {
  const owner = new WeakMap<Socket, SimCamera>();
  const server: Server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 0 }, (req, res) => {
    const camera = owner.get(req.socket);
    if (!camera) {
      res.destroy();
      return;
    }
    handle(camera, req, res, nonces);
  });
  server.timeout = 60_000; // idle sockets are destroyed (the server never listens, so no other timers run)
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return {
    accept(socket, camera) {
      owner.set(socket, camera);
      server.emit('connection', socket);
    },
    close() {
      server.close();
    },
  };
}

function handle(camera: SimCamera, req: IncomingMessage, res: ServerResponse, nonces: NonceIssuer): void {
  if (camera.state.hang) return; // never answer; the listener's idle timer reaps the socket
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  if (path === tpl.SNAPSHOT_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
    req.resume();
    later(camera, () => snapshot(camera, req, res, nonces));
    return;
  }
  if (!SOAP_PATHS.has(path)) {
    req.resume();
    later(camera, () => send(res, 404, 'text/plain', 'Not Found'));
    return;
  }
  if (req.method !== 'POST') {
    req.resume();
    later(camera, () => send(res, 405, 'text/plain', 'Method Not Allowed', { Allow: 'POST' }));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) {
      send(res, 413, 'text/plain', 'Payload Too Large', { Connection: 'close' });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return;
    const xml = Buffer.concat(chunks).toString('utf8');
    later(camera, () => soap(camera, xml, res));
  });
}

/** Run `fn` now, or after the camera's slow-fault delay; skip it if the camera hangs by then. */
function later(camera: SimCamera, fn: () => void): void {
  const delay = camera.state.delayMs;
  if (delay <= 0) fn();
  else setTimeout(() => !camera.state.hang && fn(), delay).unref();
}

function soap(camera: SimCamera, xml: string, res: ServerResponse): void {
  camera.counters.onvifRequests++;
  const action = ACTION_RE.exec(xml)?.[1];
  if (action === undefined) return send(res, 400, SOAP_TYPE, tpl.WELL_FORMED_FAULT);
  if (action === 'GetSystemDateAndTime') return send(res, 200, SOAP_TYPE, tpl.systemDateAndTime(camera.now()));
  if (!authorised(camera, xml, action)) {
    camera.counters.onvifAuthFailures++;
    return send(res, 400, SOAP_TYPE, tpl.NOT_AUTHORIZED_FAULT);
  }
  const id = camera.identity();
  switch (action) {
    case 'GetDeviceInformation':
      return send(
        res,
        200,
        SOAP_TYPE,
        camera.cached(action, () => tpl.deviceInformation(camera.code)),
      );
    case 'GetCapabilities':
      return send(
        res,
        200,
        SOAP_TYPE,
        camera.cached(action, () => tpl.capabilities(id)),
      );
    case 'GetServices':
      return send(
        res,
        200,
        SOAP_TYPE,
        camera.cached(action, () => tpl.services(id)),
      );
    case 'GetProfiles':
      return send(
        res,
        200,
        SOAP_TYPE,
        camera.cached(action, () => tpl.profiles()),
      );
    case 'GetSnapshotUri':
      return send(
        res,
        200,
        SOAP_TYPE,
        camera.cached(action, () => tpl.snapshotUri(id)),
      );
    case 'GetStreamUri': {
      const token = PROFILE_TOKEN_RE.exec(xml)?.[1] ?? 'Profile_1';
      const body = tpl.PROFILES.some((p) => p.token === token) ? camera.cached(`${action}:${token}`, () => tpl.streamUri(id, token) ?? '') : null;
      return body === null ? send(res, 400, SOAP_TYPE, tpl.NO_PROFILE_FAULT) : send(res, 200, SOAP_TYPE, body);
    }
    default:
      return send(res, 400, SOAP_TYPE, tpl.ACTION_NOT_SUPPORTED_FAULT);
  }
}

/** WS-Security check against the camera's own (possibly skewed) clock. */
function authorised(camera: SimCamera, xml: string, action: string): boolean {
  const hasToken = xml.includes('UsernameToken');
  if (!hasToken) return NO_AUTH.has(action);
  return verifyUsernameToken(xml, camera.credentials(), camera.now()) === 'ok';
}

function snapshot(camera: SimCamera, req: IncomingMessage, res: ServerResponse, nonces: NonceIssuer): void {
  const cred = camera.credentials();
  const ok = verifyAuthorization(req.headers.authorization, { ...cred, realm: camera.realm }, req.method ?? 'GET', (n) => nonces.valid(camera.code, n));
  if (!ok) {
    camera.counters.snapshotAuthFailures++;
    return send(res, 401, 'text/html', '<html><body>401 Unauthorized</body></html>', {
      'WWW-Authenticate': digestChallenge(camera.realm, nonces.issue(camera.code)) + ', stale="FALSE"',
    });
  }
  const jpeg = camera.snapshot.get();
  camera.counters.snapshotPulls++;
  res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : jpeg);
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, Server: 'App-webs/', ...extra });
  res.end(buf);
}
