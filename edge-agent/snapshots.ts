/**
 * One JPEG snapshot of a camera, for the live view.
 *
 * 1. ONVIF: GetSystemDateAndTime (clock offset) → GetCapabilities (media XAddr) → GetProfiles
 *    → GetSnapshotUri, WS-Security digest with the offset applied (HTTP digest if challenged).
 *    The URI is cached per camera and looked up again after a failure.
 *    The URI must name the camera's own host (its configured host, or the address that answered;
 *    any port): one naming another host is refused and logged, and gets no request, so the
 *    camera's credentials never go elsewhere. Replies are read with the bounded scanner of
 *    ./probes/soap-parse.ts (no regular expression over a camera's reply).
 * 2. HTTP GET of that URI with Digest (Basic only if that is all the camera offers and it is
 *    configured `httpAuth: 'basic'`, ./probes/auth-choice.ts); the challenge is reused with a
 *    counting nc, so a steady stream costs one request per frame.
 * 3. Otherwise one frame via ffmpeg from RTSP (./frame-grab.ts: version-aware socket timeout,
 *    hard kill deadline, short probing).
 *
 * A size cap on images; one grab at a time per camera (a second caller shares the running grab);
 * logins go through the camera's LoginGuard (./login-guard.ts), shared with the ladder: after a
 * refused login by either, the camera's credentials are left alone for the back-off window
 * (cameras lock out addresses).
 */
import * as http from 'node:http';
import { createLogger, type Logger } from '../src/log.ts';
import { authorizationHeader, type Challenge } from '../src/protocol/digest-auth.ts';
import type { GrabFailure } from '../src/protocol/live-messages.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { makeUsernameToken, securityHeaderXml } from '../src/protocol/ws-security.ts';
import { grabFrame, type FrameGrabOptions, type FrameGrabResult } from './frame-grab.ts';
import { LoginGuard } from './login-guard.ts';
import { chooseChallenge } from './probes/auth-choice.ts';
import { GET_SYSTEM_DATE_AND_TIME, interpretTimeResponse } from './probes/onvif-time.ts';
import { rtspRequestUrl } from './probes/rtsp.ts';
import { MAX_HEAD_BYTES } from './probes/http-wire.ts';
import { soapPost, SoapTransportError, type SoapResponse } from './probes/soap-http.ts';
import { firstProfileToken, isAuthFailure, mediaXAddr, snapshotUriOf } from './probes/soap-parse.ts';

export type SnapshotResult = { ok: true; jpeg: Buffer; capturedAt: number; via: 'onvif' | 'rtsp' } | { ok: false; reason: GrabFailure; detail: string };

export interface SnapshotOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /** the agent's per-camera login guard (shared with the ladder) */
  guard?: LoginGuard;
  /** back-off window of the source's own guard, when none is given: after a refused login, no new attempt for this long */
  authBackoffMs?: number;
  /** after ONVIF and RTSP both failed, skip the (costly) ffmpeg attempt for this long */
  rtspRetryMs?: number;
  /** injectable for tests */
  grabFrame?: (o: FrameGrabOptions) => Promise<FrameGrabResult>;
  now?: () => number;
  /** where a refused snapshot URI is logged (default: the agent's logger) */
  log?: Logger;
}

interface CamMemo {
  uri: URL | null;
  challenge: Challenge | null;
  nc: number;
  offsetMs: number;
  rtspFailedUntil: number;
  /** the last RTSP fallback's failure (shown during its back-off when ONVIF has no snapshot) */
  rtspFailure: GrabError | null;
  inFlight: Promise<SnapshotResult> | null;
}

class GrabError extends Error {
  constructor(
    readonly reason: GrabFailure,
    detail: string,
  ) {
    super(detail);
  }
}

export class SnapshotSource {
  private readonly memo = new Map<string, CamMemo>();
  /** refusedUris: GetSnapshotUri answers pointing away from the camera (refused, nothing sent there) */
  readonly counters = { onvif: 0, rtsp: 0, failures: 0, uriLookups: 0, refusedUris: 0 };
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly guard: LoginGuard;
  private readonly log: Logger;

  constructor(private readonly o: SnapshotOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.maxBytes = o.maxBytes ?? 2 * 1024 * 1024;
    this.now = o.now ?? Date.now;
    this.guard = o.guard ?? new LoginGuard(o.authBackoffMs ?? 600_000);
    this.log = o.log ?? createLogger('agent').child({ part: 'snapshots' });
  }

  /** One snapshot; concurrent calls for the same camera share one grab. Never throws. */
  grab(cam: AgentCamera): Promise<SnapshotResult> {
    const m = this.memoOf(cam.code);
    if (m.inFlight) return m.inFlight;
    const p = this.grabOnce(cam, m).finally(() => (m.inFlight = null));
    m.inFlight = p;
    return p;
  }

  forget(code: string): void {
    this.memo.delete(code);
  }

  private memoOf(code: string): CamMemo {
    let m = this.memo.get(code);
    if (!m) this.memo.set(code, (m = { uri: null, challenge: null, nc: 0, offsetMs: 0, rtspFailedUntil: 0, rtspFailure: null, inFlight: null }));
    return m;
  }

  private async grabOnce(cam: AgentCamera, m: CamMemo): Promise<SnapshotResult> {
    if (!this.guard.mayLogin(cam.code, this.now())) return { ok: false, reason: 'auth', detail: 'credentials refused; waiting before the next login attempt' };
    let onvifErr: GrabError;
    try {
      const jpeg = await this.viaOnvif(cam, m);
      this.counters.onvif++;
      this.guard.succeeded(cam.code);
      return { ok: true, jpeg, capturedAt: this.now(), via: 'onvif' };
    } catch (e) {
      onvifErr = e instanceof GrabError ? e : new GrabError('fail', (e as Error).message);
      if (onvifErr.reason === 'auth') return this.failed(cam, onvifErr);
    }
    // the ONVIF reason says more (unreachable vs no snapshot) unless ONVIF was merely absent, or
    // the camera answered RTSP at its session limit (busy: it is there, its sessions are taken)
    const shown = (rtsp: GrabError | null) => (rtsp && (onvifErr.reason === 'no_snapshot' || rtsp.reason === 'busy') ? rtsp : onvifErr);
    if (this.now() < m.rtspFailedUntil) return this.failed(cam, shown(m.rtspFailure));
    const r = await (this.o.grabFrame ?? grabFrame)({
      url: rtspRequestUrl(cam.rtspUrl),
      username: cam.username,
      password: cam.password,
      httpAuth: cam.httpAuth,
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxBytes,
    });
    if (r.ok) {
      this.counters.rtsp++;
      this.guard.succeeded(cam.code);
      m.rtspFailure = null;
      return { ok: true, jpeg: r.jpeg, capturedAt: this.now(), via: 'rtsp' };
    }
    m.rtspFailedUntil = this.now() + (this.o.rtspRetryMs ?? 10_000);
    if (r.reason === 'auth') {
      m.rtspFailure = null;
      return this.failed(cam, new GrabError('auth', 'RTSP 401'));
    }
    m.rtspFailure = new GrabError(r.reason === 'too_large' || r.reason === 'timeout' || r.reason === 'busy' ? r.reason : 'fail', r.detail);
    return this.failed(cam, shown(m.rtspFailure));
  }

  private failed(cam: AgentCamera, e: GrabError): SnapshotResult {
    this.counters.failures++;
    if (e.reason === 'auth') this.guard.failed(cam.code, this.now());
    return { ok: false, reason: e.reason, detail: e.message };
  }

  private async viaOnvif(cam: AgentCamera, m: CamMemo): Promise<Buffer> {
    if (m.uri) {
      try {
        return await this.httpGet(cam, m, m.uri);
      } catch (e) {
        if (e instanceof GrabError && (e.reason === 'auth' || e.reason === 'unreachable')) throw e;
        m.uri = null; // stale URI: look it up again below
      }
    }
    m.uri = await this.snapshotUri(cam, m);
    return this.httpGet(cam, m, m.uri);
  }

  // ---- ONVIF ------------------------------------------------------------------------------

  private async snapshotUri(cam: AgentCamera, m: CamMemo): Promise<URL> {
    this.counters.uriLookups++;
    const deadline = this.now() + this.timeoutMs;
    const t0 = this.now();
    const time = await this.soap(cam, cam.onvifPath, GET_SYSTEM_DATE_AND_TIME, deadline, false);
    const rt = interpretTimeResponse(time, t0, this.now());
    if (rt.outcome !== 'ok') throw new GrabError('no_snapshot', `ONVIF time: ${rt.detail ?? 'failed'}`);
    m.offsetMs = rt.clockOffsetMs ?? 0;
    const caps = await this.soap(
      cam,
      cam.onvifPath,
      envelope(cam, m, '<GetCapabilities xmlns="http://www.onvif.org/ver10/device/wsdl"><Category>Media</Category></GetCapabilities>'),
      deadline,
    );
    // only the XAddr's path is used: the media service is asked on the camera's own host and port
    const xaddr = mediaXAddr(caps.body);
    const mediaPath = xaddr ? (safePath(xaddr) ?? cam.onvifPath) : cam.onvifPath;
    const profiles = await this.soap(cam, mediaPath, envelope(cam, m, '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>'), deadline);
    const token = firstProfileToken(profiles.body);
    if (!token) throw new GrabError('no_snapshot', 'no media profile');
    const snap = await this.soap(
      cam,
      mediaPath,
      envelope(cam, m, `<GetSnapshotUri xmlns="http://www.onvif.org/ver10/media/wsdl"><ProfileToken>${xmlText(token)}</ProfileToken></GetSnapshotUri>`),
      deadline,
    );
    const uri = snap.status === 200 ? snapshotUriOf(snap.body) : undefined;
    if (!uri) throw new GrabError('no_snapshot', `GetSnapshotUri: HTTP ${snap.status}`);
    let u: URL;
    try {
      u = new URL(uri); // entities already decoded by the reader
    } catch {
      throw new GrabError('no_snapshot', 'GetSnapshotUri: not a URL');
    }
    if (u.protocol !== 'http:') throw new GrabError('no_snapshot', `snapshot URI scheme ${u.protocol.slice(0, 16)} not supported`);
    if (!isCameraHost(u.hostname, cam.host, snap.peer)) {
      // the camera's credentials go to the camera only: a URI naming another host gets nothing
      this.counters.refusedUris++;
      this.log.warn({ camera: cam.code, uriHost: u.hostname.slice(0, 255), cameraHost: cam.host }, 'snapshot URI points away from the camera: refused, no request sent there');
      throw new GrabError('no_snapshot', 'snapshot URI points at another host (refused)');
    }
    u.username = '';
    u.password = '';
    return u;
  }

  /** One SOAP call; answers an HTTP digest challenge once; auth refusal → GrabError('auth'). */
  private async soap(cam: AgentCamera, path: string, body: string, deadline: number, checkAuth = true): Promise<SoapResponse> {
    const post = (authorization?: string) => {
      const left = deadline - this.now();
      if (left <= 0) throw new GrabError('timeout', 'ONVIF timeout');
      return soapPost({ host: cam.host, port: cam.onvifPort, path, body, timeoutMs: left, ...(authorization ? { authorization } : {}) });
    };
    try {
      let res = await post();
      const choice = res.status === 401 ? chooseChallenge(res.headers['www-authenticate'], cam) : { none: true as const };
      if ('refused' in choice) throw new GrabError('auth', `ONVIF: ${choice.refused}`);
      if ('challenge' in choice) res = await post(authorizationHeader(choice.challenge, cam, 'POST', path));
      if (checkAuth && isAuthFailure(res.status, res.body)) throw new GrabError('auth', `ONVIF refused the credentials (HTTP ${res.status})`);
      return res;
    } catch (e) {
      if (e instanceof SoapTransportError) throw new GrabError(e.kind === 'timeout' ? 'timeout' : 'unreachable', `ONVIF ${e.code}`);
      throw e;
    }
  }

  // ---- HTTP snapshot ------------------------------------------------------------------------

  private async httpGet(cam: AgentCamera, m: CamMemo, uri: URL): Promise<Buffer> {
    const target = uri.pathname + uri.search;
    let auth = m.challenge ? authorizationHeader(m.challenge, cam, 'GET', target, ++m.nc) : undefined;
    let res = await this.get(uri, auth);
    if (res.status === 401) {
      const choice = chooseChallenge(res.headers['www-authenticate'], cam);
      if ('refused' in choice) throw new GrabError('auth', `snapshot: ${choice.refused}`);
      if (!('challenge' in choice)) throw new GrabError('auth', 'snapshot: HTTP 401 without a challenge');
      const ch = choice.challenge;
      const hadFresh = m.challenge !== null;
      m.challenge = ch;
      m.nc = 1;
      auth = authorizationHeader(ch, cam, 'GET', target, m.nc);
      res = await this.get(uri, auth);
      if (res.status === 401) {
        m.challenge = null;
        throw new GrabError('auth', hadFresh ? 'snapshot: credentials refused' : 'snapshot: HTTP 401');
      }
    }
    if (res.status !== 200) throw new GrabError('no_snapshot', `snapshot: HTTP ${res.status}`);
    const jpeg = res.body;
    if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new GrabError('no_snapshot', 'snapshot: not a JPEG');
    return jpeg;
  }

  /**
   * One GET, settled exactly once on every path: the answer's end (resolve); a request error, a
   * response aborted / in error / closed before its end (a body cut by the camera), the size cap,
   * or the deadline (reject). The deadline bounds all of them: it rejects and destroys the socket
   * itself, whatever events the socket does or does not emit afterwards.
   */
  private get(uri: URL, authorization?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      // the camera's answer head is read by Node's parser (llhttp: linear), capped like the SOAP answers' (16 KB)
      const req = http.request(uri, {
        method: 'GET',
        agent: false,
        maxHeaderSize: MAX_HEAD_BYTES,
        headers: { connection: 'close', accept: 'image/jpeg', ...(authorization ? { authorization } : {}) },
      });
      const fail = (e: GrabError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
        req.destroy();
      };
      const timer = setTimeout(() => fail(new GrabError('timeout', `snapshot: no complete answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        fail(e instanceof GrabError ? e : new GrabError(e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' ? 'unreachable' : 'fail', `snapshot: ${e.code ?? e.message}`));
      });
      req.on('close', () => fail(new GrabError('fail', 'snapshot: connection closed before an answer')));
      req.on('response', (res) => {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > this.maxBytes) return fail(new GrabError('too_large', `snapshot over ${this.maxBytes} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        const cut = (why: string) => fail(new GrabError('fail', `snapshot: ${why} after ${size}${declared > 0 ? ` of ${declared}` : ''} body bytes`));
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBytes) fail(new GrabError('too_large', `snapshot over ${this.maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('aborted', () => cut('connection cut'));
        res.on('error', (e: NodeJS.ErrnoException) => cut(`answer broken (${e.code ?? e.message})`));
        res.on('close', () => cut('connection closed'));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
        });
      });
      req.end();
    });
  }
}

function envelope(cam: AgentCamera, m: CamMemo, body: string): string {
  const token = makeUsernameToken(cam.username, cam.password, m.offsetMs);
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Header>${securityHeaderXml(token)}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function safePath(xaddr: string): string | null {
  try {
    return new URL(xaddr).pathname || null; // entities already decoded by the reader
  } catch {
    return null;
  }
}

/** A host as WHATWG URL canonicalises it (IPv4 in dotted decimal, IPv6 compressed, names lower-cased), without brackets or a trailing dot. */
function canonicalHost(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  try {
    const h = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
    return (h.startsWith('[') ? h.slice(1, -1) : h).replace(/\.$/, '');
  } catch {
    return null;
  }
}

/**
 * Is `uriHost` (a URL's hostname) the camera itself: its configured host, or the address its
 * GetSnapshotUri answer came from (`peer`: the configured name resolved; IPv4-mapped IPv6 taken
 * as IPv4)? Any port on that host will do (snapshots are often served on another port).
 */
export function isCameraHost(uriHost: string, camHost: string, peer: string | undefined): boolean {
  const target = canonicalHost(uriHost);
  if (target === null || target === '') return false;
  if (target === canonicalHost(camHost)) return true;
  if (peer === undefined) return false;
  const p = peer.toLowerCase().startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  return target === canonicalHost(p);
}
