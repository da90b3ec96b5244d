/**
 * The agent's own RTSP session for one key frame: DESCRIBE (answering a Digest challenge
 * once; Basic only for a camera configured `httpAuth: 'basic'`) → SETUP with RTP interleaved on the RTSP connection, or over UDP when the
 * camera refuses that (461 Unsupported Transport, 400) → PLAY → RTP depacketized
 * (./rtp-depacketize.ts) until one whole key frame → TEARDOWN. The credentials stay in this
 * process: no URL with user:pass is ever built, and ffmpeg (../frame-grab.ts) only decodes
 * the access unit it is handed on its standard input. H.264, H.265 (./rtp-depacketize.ts) and
 * Motion JPEG (./rtp-jpeg.ts: the image rebuilt from RFC 2435).
 *
 * A camera at its session limit (453, 503 …: ./rtsp-session-limit.ts) ends the session as
 * `busy`: alive, no session free.
 *
 * Bounded: one deadline for everything, each request's answer within a step timeout, RTSP
 * replies capped (./probes/rtsp-wire.ts), RTP packets ≤ 64 KiB by their framing, the access
 * unit being assembled ≤ maxAccessUnitBytes, at most MAX_PACKETS packets read.
 * UDP: two sockets (RTP, RTCP) bound to the address of the RTSP connection — the interface
 * toward the camera (loopback in the tests) — taking datagrams from the camera's address only.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { authorizationHeader, type Challenge } from '../src/protocol/digest-auth.ts';
import { chooseChallenge } from './probes/auth-choice.ts';
import { rtspRequestUrl, USER_AGENT } from './probes/rtsp.ts';
import { RtspConnection, RtspError, type RtspResponse } from './probes/rtsp-wire.ts';
import { KeyFrameAssembler, parseRtp, type KeyFrame, type RtpPacket } from './rtp-depacketize.ts';
import { JpegFrameAssembler } from './rtp-jpeg.ts';
import { parseSdpVideo, type VideoCodec } from './rtsp-sdp.ts';
import { sessionLimitDetail, type RtspStep } from './rtsp-session-limit.ts';

export interface KeyFrameRequest {
  /** rtsp://host:port/path; a user:pass@ in it is ignored (never sent) */
  url: string;
  username?: string;
  password?: string;
  /** 'basic': a Basic-only camera is answered (the password in clear); else only Digest */
  httpAuth?: AgentCamera['httpAuth'];
  /** the whole session (connect … key frame), ms */
  timeoutMs: number;
  /** one request's answer, ms (never past the deadline) */
  stepTimeoutMs?: number;
  /** refuse an access unit larger than this */
  maxAccessUnitBytes?: number;
}

export type KeyFrameFailure = 'auth' | 'timeout' | 'fail' | 'busy';
export type Transport = 'tcp' | 'udp';
export type KeyFrameResult =
  | { ok: true; codec: VideoCodec; accessUnit: Buffer; transport: Transport }
  | { ok: false; reason: KeyFrameFailure; detail: string; transport?: Transport };

/** Most RTP packets read before giving up on a key frame. */
export const MAX_PACKETS = 50_000;
const DEFAULT_STEP_MS = 4_000;
/** How long the TEARDOWN's answer is awaited (in the background) before the connection is closed. */
const TEARDOWN_GRACE_MS = 300;
/** Statuses to a TCP-interleaved SETUP after which the same SETUP is asked over UDP. */
export const TCP_REFUSED = [461, 400];

class SessionError extends Error {
  constructor(
    readonly reason: KeyFrameFailure,
    detail: string,
  ) {
    super(detail);
  }
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port === '' ? 554 : Number(u.port) };
}

/** The first value of a header up to its first `;` (Session: id;timeout=60), capped. */
function headValue(res: RtspResponse, name: string): string | undefined {
  const v = res.headers.get(name)?.[0];
  if (v === undefined) return undefined;
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim().slice(0, 256);
}

/** `interleaved=a-b` of a Transport header: the RTP channel a, else 0. */
export function interleavedChannel(transport: string | undefined): number {
  const at = transport?.indexOf('interleaved=') ?? -1;
  if (transport === undefined || at < 0) return 0;
  let n = 0;
  let i = at + 'interleaved='.length;
  const start = i;
  while (i < transport.length && i - start < 3 && transport.charCodeAt(i) >= 48 && transport.charCodeAt(i) <= 57) n = n * 10 + transport.charCodeAt(i++) - 48;
  return i > start && n <= 255 ? n : 0;
}

interface UdpPair {
  rtp: UdpSocket;
  rtcp: UdpSocket;
  port: number;
}

function bindUdp(address: string, port: number): Promise<UdpSocket | null> {
  return new Promise((resolve) => {
    const s = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind({ address, port, exclusive: true }, () => resolve(s));
  });
}

/** An RTP socket on an even port and its RTCP neighbour (port + 1), on `address`. */
export async function bindUdpPair(address: string): Promise<UdpPair> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const rtp = await bindUdp(address, 0);
    if (!rtp) break;
    const port = rtp.address().port;
    // an even RTP port (RFC 3550 §11) if the first attempts find one, else any pair
    const rtcp = port % 2 === 0 || attempt >= 6 ? await bindUdp(address, port + 1) : null;
    if (rtcp) return { rtp, rtcp, port };
    rtp.close();
  }
  throw new SessionError('fail', 'no UDP ports for RTP');
}

const sameHost = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');

class FrameSession {
  private conn: RtspConnection | null = null;
  private readonly conns: RtspConnection[] = [];
  private cseq = 1;
  private challenge: Challenge | null = null;
  private nc = 0;
  private sessionId: string | undefined;
  private udp: UdpPair | null = null;
  private over = false;
  private stage = 'connect';
  private transport: Transport | undefined;
  private readonly deadline: number;
  private readonly url: string;
  private assembler: { push(p: RtpPacket): KeyFrame | null } | null = null;
  private packets = 0;
  private frameWaiter: { resolve: (k: KeyFrame) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly req: KeyFrameRequest) {
    this.deadline = performance.now() + req.timeoutMs;
    this.url = rtspRequestUrl(req.url);
  }

  async run(): Promise<KeyFrameResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<KeyFrameResult>((resolve) => {
      timer = setTimeout(() => resolve(this.failure('timeout', `${this.stage}: nothing within ${this.req.timeoutMs} ms`)), this.req.timeoutMs);
    });
    const work = this.climb().catch((e: unknown): KeyFrameResult => {
      if (e instanceof SessionError) return this.failure(e.reason, e.message);
      if (e instanceof RtspError) return this.failure(e.kind, `${this.stage}: ${e.code}`);
      throw e;
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      this.over = true;
      this.end();
    }
  }

  private failure(reason: KeyFrameFailure, detail: string): KeyFrameResult {
    return this.transport ? { ok: false, reason, detail, transport: this.transport } : { ok: false, reason, detail };
  }

  private left(): number {
    return Math.max(0, Math.floor(this.deadline - performance.now()));
  }

  private async open(): Promise<RtspConnection> {
    // once the session is over (deadline), no new connection may open
    if (this.over) throw new SessionError('timeout', `${this.stage}: deadline`);
    this.conn?.close();
    const { host, port } = hostPort(this.url);
    const conn = new RtspConnection(host, port);
    this.conns.push(conn);
    this.conn = conn;
    conn.onInterleaved = (channel, payload) => this.interleaved(channel, payload);
    await this.within(conn.ready, 'connect');
    return conn;
  }

  private within<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = Math.min(this.req.stepTimeoutMs ?? DEFAULT_STEP_MS, this.left());
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SessionError('timeout', `${what} not answered within ${ms} ms`)), ms);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }

  private requestText(method: string, uri: string, headers: string[]): string {
    let s = `${method} ${uri} RTSP/1.0\r\nCSeq: ${this.cseq++}\r\nUser-Agent: ${USER_AGENT}\r\n`;
    for (const h of headers) s += `${h}\r\n`;
    if (this.sessionId !== undefined) s += `Session: ${this.sessionId}\r\n`;
    if (this.challenge) {
      const cred = { username: this.req.username ?? '', password: this.req.password ?? '' };
      s += `Authorization: ${authorizationHeader(this.challenge, cred, method, uri, ++this.nc)}\r\n`;
    }
    return `${s}\r\n`;
  }

  /**
   * One request on the current connection, answered within the step timeout. A camera that
   * hung up between two requests (after a 401, after refusing a transport) without saying so
   * gets one fresh connection for it.
   */
  private async send(method: RtspStep | 'TEARDOWN', uri: string, headers: string[]): Promise<RtspResponse> {
    const conn = this.conn !== null && !this.conn.isClosed ? this.conn : await this.open();
    try {
      return await this.within(conn.request(this.requestText(method, uri, headers)), method);
    } catch (e) {
      if (!(e instanceof RtspError) || e.code !== 'closed by peer') throw e;
      const again = await this.open();
      return await this.within(again.request(this.requestText(method, uri, headers)), method);
    }
  }

  /** One request; a 401 with a challenge is answered once (again only for a stale nonce). */
  private async ask(method: RtspStep | 'TEARDOWN', uri: string, headers: string[] = []): Promise<RtspResponse> {
    this.stage = method;
    let res = await this.send(method, uri, headers);
    if (res.status !== 401) return res;
    const answered = this.challenge !== null;
    // Digest when offered; Basic only for a camera configured for it (./probes/auth-choice.ts)
    const choice = chooseChallenge(res.headers.get('www-authenticate'), { httpAuth: this.req.httpAuth });
    if ('refused' in choice) throw new SessionError('auth', choice.refused);
    if ('none' in choice) throw new SessionError('auth', `${method} RTSP 401 without challenge`);
    const fresh = choice.challenge;
    // a second 401 to our credentials is a refusal, unless the camera only says our nonce went stale
    if (answered && fresh.stale !== true) throw new SessionError('auth', 'RTSP 401');
    this.challenge = fresh;
    this.nc = 0;
    if ((res.headers.get('connection')?.[0] ?? '').toLowerCase().includes('close')) await this.open();
    res = await this.send(method, uri, headers);
    if (res.status === 401) throw new SessionError('auth', 'RTSP 401');
    return res;
  }

  /** A session-limit answer ends the session as busy; any other non-200 as a failure. */
  private expectOk(res: RtspResponse, step: RtspStep): void {
    if (res.status === 200) return;
    const busy = sessionLimitDetail(res, step);
    if (busy !== null) throw new SessionError('busy', busy);
    throw new SessionError('fail', `${step} RTSP ${res.status}`);
  }

  private async climb(): Promise<KeyFrameResult> {
    await this.open();
    const described = await this.ask('DESCRIBE', this.url, ['Accept: application/sdp']);
    this.expectOk(described, 'DESCRIBE');
    const base = rtspRequestUrl(described.headers.get('content-base')?.[0] ?? described.headers.get('content-location')?.[0] ?? this.url);
    const video = parseSdpVideo(described.body, base);
    if (!video) throw new SessionError('fail', 'no H.264, H.265 or JPEG video in the SDP');
    this.assembler =
      video.codec === 'jpeg'
        ? new JpegFrameAssembler(video.payloadType, this.req.maxAccessUnitBytes)
        : new KeyFrameAssembler(video.codec, video.payloadType, video.parameterSets, this.req.maxAccessUnitBytes);

    this.transport = 'tcp';
    let setup = await this.ask('SETUP', video.control, ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1']);
    if (TCP_REFUSED.includes(setup.status)) {
      this.transport = 'udp';
      if (this.conn === null || this.conn.isClosed) await this.open(); // some cameras hang up after refusing
      // (one that hangs up a moment later is caught by send(): a fresh connection, same addresses)
      const local = this.conn?.localAddress;
      if (local === undefined) throw new SessionError('fail', 'SETUP: no local address');
      this.udp = await bindUdpPair(local);
      const remote = this.conn?.remoteAddress;
      this.udp.rtp.on('message', (msg, rinfo) => {
        if (sameHost(rinfo.address, remote)) this.packet(msg);
      });
      this.udp.rtcp.on('message', () => {}); // read and dropped: one key frame needs no RTCP
      setup = await this.ask('SETUP', video.control, [`Transport: RTP/AVP;unicast;client_port=${this.udp.port}-${this.udp.port + 1}`]);
    }
    this.expectOk(setup, 'SETUP');
    this.sessionId = headValue(setup, 'session');
    this.rtpChannel = this.transport === 'tcp' ? interleavedChannel(setup.headers.get('transport')?.[0]) : -1;

    const frame = new Promise<KeyFrame>((resolve, reject) => {
      this.frameWaiter = { resolve, reject };
    });
    frame.catch(() => {});
    this.playUri = video.aggregate;
    const play = await this.ask('PLAY', video.aggregate, ['Range: npt=0.000-']);
    this.expectOk(play, 'PLAY');
    this.stage = 'key frame';
    const conn = this.conn;
    // the camera hanging up ends the wait for RTP too (over TCP the packets came on it)
    const hangUp = conn ? conn.closed.then(() => Promise.reject(new SessionError('fail', 'key frame: closed by peer'))) : null;
    hangUp?.catch(() => {});
    const key = await (hangUp ? Promise.race([frame, hangUp]) : frame);
    return { ok: true, codec: key.codec, accessUnit: key.accessUnit, transport: this.transport };
  }

  private rtpChannel = -1;
  /** where PLAY (and so TEARDOWN) went */
  private playUri: string | null = null;

  private interleaved(channel: number, payload: Buffer): void {
    if (channel === this.rtpChannel) this.packet(payload);
  }

  private packet(buf: Buffer): void {
    if (!this.assembler || !this.frameWaiter) return;
    if (++this.packets > MAX_PACKETS) {
      this.frameWaiter.reject(new SessionError('fail', `no key frame in ${MAX_PACKETS} RTP packets`));
      this.frameWaiter = null;
      return;
    }
    const pkt = parseRtp(buf);
    if (!pkt) return;
    const key = this.assembler.push(pkt);
    if (key) {
      this.frameWaiter.resolve(key);
      this.frameWaiter = null;
    }
  }

  /** UDP sockets closed now; TEARDOWN sent and the RTSP connection closed shortly after, in the background. */
  private end(): void {
    this.frameWaiter = null;
    if (this.udp) {
      this.udp.rtp.close();
      this.udp.rtcp.close();
      this.udp = null;
    }
    const conn = this.conn;
    for (const c of this.conns) if (c !== conn) c.close();
    if (!conn) return;
    if (this.sessionId === undefined || conn.isClosed) {
      conn.close();
      return;
    }
    const closeSoon = setTimeout(() => conn.close(), TEARDOWN_GRACE_MS);
    closeSoon.unref();
    conn.request(this.requestText('TEARDOWN', this.playUri ?? this.url, [])).then(
      () => {
        clearTimeout(closeSoon);
        conn.close();
      },
      () => {},
    );
  }
}

/** One key frame of the camera's first H.264/H.265 video stream. Never throws for camera behaviour. */
export function fetchKeyFrame(req: KeyFrameRequest): Promise<KeyFrameResult> {
  return new FrameSession(req).run();
}
