/**
 * RTSP/1.0 over raw TCP for one accepted connection, as a Hikvision IPC answers:
 * OPTIONS without auth; DESCRIBE/SETUP/PLAY need Digest (Digest and Basic challenges sent
 * together); DESCRIBE returns an H.264 SDP. No media is streamed: SETUP answers 461, PLAY 455.
 * With the `rtsp_busy` fault the camera is at its session limit: DESCRIBE, SETUP and PLAY are
 * answered `453 Not Enough Bandwidth`, as a Hikvision IPC whose sessions an NVR holds.
 * Handles pipelined and partial requests, interleaved `$` frames, bodies with Content-Length;
 * garbage gets a 400 and the connection closed, never an exception.
 */
import type { Socket } from 'node:net';
import { verifyAuthorization } from '../protocol/digest-auth.ts';
import type { NonceIssuer } from './nonces.ts';
import { PROFILES, rtspUrlOf } from './onvif-templates.ts';
import { sdpFor } from './sdp.ts';
import type { SimCamera } from './sim-camera.ts';

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 64 * 1024;
const PUBLIC = 'OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER';
const REQUEST_LINE = /^([A-Z_]{3,16}) (\S+) RTSP\/1\.0$/;
const PATH_RE = /^\/Streaming\/Channels\/(\d{3})\/?(?:trackID=\d+)?$/i;

interface Request {
  method: string;
  uri: string;
  headers: Map<string, string>;
}

export function serveRtsp(socket: Socket, camera: SimCamera, nonces: NonceIssuer): void {
  if (camera.state.hang) {
    socket.resume(); // swallow everything, answer nothing
    return;
  }
  let buf: Buffer = Buffer.alloc(0);
  let queue: Promise<void> = Promise.resolve();

  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length === 0) return;
      if (buf[0] === 0x24) {
        // interleaved binary frame: '$' channel len(2) payload — skip it
        if (buf.length < 4) return;
        const len = buf.readUInt16BE(2);
        if (buf.length < 4 + len) return;
        buf = buf.subarray(4 + len);
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) return fail(socket, '0');
        return;
      }
      const head = buf.subarray(0, end).toString('latin1');
      const req = parseHead(head);
      if (!req) return fail(socket, cseqOf(head));
      const bodyLen = Number(req.headers.get('content-length') ?? '0');
      if (!Number.isInteger(bodyLen) || bodyLen < 0 || bodyLen > MAX_BODY) return fail(socket, req.headers.get('cseq') ?? '0');
      if (buf.length < end + 4 + bodyLen) return; // wait for the rest of the body
      buf = buf.subarray(end + 4 + bodyLen);
      // answers go out in request order even when the camera is slow
      queue = queue.then(() => answer(socket, camera, nonces, req));
    }
  });
}

function parseHead(head: string): Request | null {
  const lines = head.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0] ?? '');
  if (!m) return null;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (!headers.has('cseq')) return null;
  return { method: m[1] ?? '', uri: m[2] ?? '', headers };
}

function cseqOf(head: string): string {
  return /\r\nCSeq:\s*(\d{1,10})/i.exec(head)?.[1] ?? '0';
}

function fail(socket: Socket, cseq: string): void {
  if (!socket.destroyed) socket.end(`RTSP/1.0 400 Bad Request\r\nCSeq: ${cseq}\r\n\r\n`);
  socket.removeAllListeners('data');
  socket.resume();
}

async function answer(socket: Socket, camera: SimCamera, nonces: NonceIssuer, req: Request): Promise<void> {
  const delay = camera.state.delayMs;
  if (delay > 0) await new Promise((r) => setTimeout(r, delay).unref());
  if (socket.destroyed || camera.state.hang) return;
  camera.counters.rtspRequests++;
  const cseq = req.headers.get('cseq') ?? '0';
  const reply = (status: string, headers: string[] = [], body = ''): void => {
    if (!socket.writable) return;
    let out = `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n`;
    for (const h of headers) out += h + '\r\n';
    out += `Date: ${new Date(camera.now()).toUTCString()}\r\n`;
    if (body) out += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    socket.write(out + '\r\n' + body);
  };

  if (req.method === 'OPTIONS') return reply('200 OK', [`Public: ${PUBLIC}`]);
  if (req.method === 'TEARDOWN') return reply('200 OK');
  if (!['DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'SET_PARAMETER'].includes(req.method)) {
    return reply('501 Not Implemented');
  }
  const cred = camera.credentials();
  const ok = verifyAuthorization(req.headers.get('authorization'), { ...cred, realm: camera.realm }, req.method, (n) => nonces.valid(camera.code, n));
  if (!ok) {
    camera.counters.rtspAuthFailures++;
    return reply('401 Unauthorized', [
      `WWW-Authenticate: Digest realm="${camera.realm}", nonce="${nonces.issue(camera.code)}", stale="FALSE"`,
      `WWW-Authenticate: Basic realm="${camera.realm}"`,
    ]);
  }
  const channel = channelOf(req.uri);
  if (channel === null) return reply('404 Not Found');
  if (camera.state.rtspBusy && req.method !== 'GET_PARAMETER' && req.method !== 'SET_PARAMETER') return reply('453 Not Enough Bandwidth');
  switch (req.method) {
    case 'DESCRIBE': {
      camera.counters.rtspDescribes++;
      const base = rtspUrlOf(camera.identity(), channel) + '/';
      const sdp = camera.cached(`sdp:${channel}`, () => sdpFor(camera.identity(), channel));
      return reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${base}`], sdp);
    }
    case 'SETUP':
      return reply('461 Unsupported Transport');
    case 'GET_PARAMETER':
      return reply('200 OK');
    default:
      return reply('455 Method Not Valid in This State');
  }
}

/** Channel number from an rtsp:// URI or a path; null when no such stream. */
function channelOf(uri: string): number | null {
  let path = uri;
  if (/^rtsp:\/\//i.test(uri)) {
    const slash = uri.indexOf('/', 7);
    path = slash < 0 ? '/' : uri.slice(slash);
  }
  path = path.split('?', 1)[0] ?? '';
  const m = PATH_RE.exec(path);
  if (!m) return null;
  const ch = Number(m[1]);
  return PROFILES.some((p) => p.channel === ch) ? ch : null;
}
