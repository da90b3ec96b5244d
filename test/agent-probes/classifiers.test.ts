/**
 * The ladder rungs' classifiers: how a camera's reply becomes ok / fail / timeout / auth and
 * which detail text it carries, plus the exact requests the rungs write and the SOAP parsing
 * of camera replies (hostile input). Cameras here are scripted loopback servers that answer
 * exactly what a test needs; the frame rung's ffmpeg boundary (../frame-grab.ts) is mocked.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FrameGrabOptions, FrameGrabResult } from '../../edge-agent/frame-grab.ts';
import type { SoapPostOptions } from '../../edge-agent/probes/soap-http.ts';
import type { RungContext } from '../../edge-agent/probes/types.ts';

const grab = vi.hoisted(() => ({ next: null as FrameGrabResult | null, calls: [] as FrameGrabOptions[] }));
vi.mock('../../edge-agent/frame-grab.ts', () => ({
  grabFrame: async (o: FrameGrabOptions): Promise<FrameGrabResult> => {
    grab.calls.push(o);
    if (!grab.next) throw new Error('no frame scripted');
    return grab.next;
  },
}));

/** every soapPost the rungs make, with its options (the real one still runs) */
const posts = vi.hoisted(() => [] as SoapPostOptions[]);
vi.mock('../../edge-agent/probes/soap-http.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../edge-agent/probes/soap-http.ts')>();
  return {
    ...real,
    soapPost: (o: SoapPostOptions) => {
      posts.push({ ...o });
      return real.soapPost(o);
    },
  };
});

/** every RTSP connection the rung opens, and when its socket closed */
const rtspConns = vi.hoisted(() => [] as { closed: Promise<void> }[]);
vi.mock('../../edge-agent/probes/rtsp-wire.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../edge-agent/probes/rtsp-wire.ts')>();
  class RecordedConnection extends real.RtspConnection {
    constructor(host: string, port: number) {
      super(host, port);
      const socket = (this as unknown as { socket: Socket }).socket;
      rtspConns.push({ closed: new Promise<void>((r) => socket.once('close', () => r())) });
    }
  }
  return { ...real, RtspConnection: RecordedConnection };
});

const { frameProbe, probeFrame } = await import('../../edge-agent/probes/frame.ts');
const { GET_SYSTEM_DATE_AND_TIME, clockOffsetFrom, interpretTimeResponse, onvifTime, onvifTimeProbe } = await import('../../edge-agent/probes/onvif-time.ts');
const { getDeviceInformationEnvelope, onvifAuth, onvifAuthProbe } = await import('../../edge-agent/probes/onvif-auth.ts');
const { probeRtsp, rtspProbe, rtspRequestUrl } = await import('../../edge-agent/probes/rtsp.ts');
const { tcpConnect, tcpProbe } = await import('../../edge-agent/probes/tcp.ts');
const { faultDetail, isAuthFailure, parseDeviceInformation, parseSystemDateAndTime, soapFaultCodes } = await import('../../edge-agent/probes/soap-parse.ts');
const { loopbackCamera, PASSWORD } = await import('./cam.ts');
const { startFakeOnvif, startSilentServer } = await import('./fake-camera.ts');
const { infoFixture, timeFixture, withUtcTime } = await import('./fixtures.ts');

const PATH = '/onvif/device_service';
const cleanup: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  posts.length = 0;
  rtspConns.length = 0;
  grab.calls.length = 0;
  grab.next = null;
});
afterEach(async () => {
  vi.useRealTimers();
  for (const f of cleanup.splice(0).reverse()) await f();
});

function closing(server: Server | ReturnType<typeof createHttpServer>, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

// ---------------------------------------------------------------- scripted HTTP camera

interface HttpReq {
  conn: number;
  headers: IncomingHttpHeaders;
  body: string;
}
interface HttpAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}
async function scriptedHttp(answer: (req: HttpReq, n: number) => HttpAnswer) {
  const reqs: HttpReq[] = [];
  const sockets = new Set<Socket>();
  let conns = 0;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: HttpReq = { conn: (req.socket as Socket & { n?: number }).n ?? -1, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      reqs.push(r);
      const a = answer(r, reqs.length - 1);
      res.writeHead(a.status, { 'Content-Type': 'application/soap+xml', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  server.on('connection', (s: Socket & { n?: number }) => {
    s.n = conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  cleanup.push(closing(server, sockets));
  return { port, reqs, connections: () => conns };
}

/** A front on loopback that hangs up on its first connection's first bytes and pipes later ones to `port`. */
async function dropFirstFront(port: number) {
  const sockets = new Set<Socket>();
  let n = 0;
  const front = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => {});
    if (n++ === 0) return void c.once('data', () => c.destroy());
    const up = connect(port, '127.0.0.1');
    sockets.add(up);
    up.on('error', () => c.destroy());
    c.pipe(up).pipe(c);
  });
  const frontPort = await listen(front);
  cleanup.push(closing(front, sockets));
  const kept = connect(frontPort, '127.0.0.1');
  kept.on('error', () => {});
  await new Promise((r) => kept.once('connect', r));
  return { port: frontPort, kept, connections: () => n };
}

/** what a hang-up mid-answer reads as: the FIN ("truncated") or the close, whichever the socket reports first */
const HANG_UP = ['closed by peer', 'truncated'];

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

// ---------------------------------------------------------------- frame

describe('frame rung (ffmpeg boundary mocked)', () => {
  const ctx = (): RungContext => ({
    cam: { ...loopbackCamera({ rtspPort: 8554 }), rtspUrl: 'rtsp://admin:pw@127.0.0.1:8554/live' },
    timeoutMs: 7_000,
    clockOffsetMs: null,
  });

  it('a decoded frame is ok, its detail the JPEG size; ffmpeg gets the URL without user:pass, the credentials apart, the rung timeout', async () => {
    grab.next = { ok: true, jpeg: Buffer.alloc(1234), ms: 5 };
    expect(await probeFrame(ctx())).toEqual({ outcome: 'ok', detail: '1234 B JPEG' });
    expect(grab.calls).toEqual([{ url: 'rtsp://127.0.0.1:8554/live', username: 'admin', password: PASSWORD, timeoutMs: 7_000 }]);
  });

  it.each([
    ['auth', 'auth'],
    ['timeout', 'timeout'],
    ['fail', 'fail'],
    ['too_large', 'fail'],
  ] as const)('a grab failing with reason %s → outcome %s, ffmpeg detail kept', async (reason, outcome) => {
    grab.next = { ok: false, reason, detail: `ffmpeg said ${reason}`, ms: 5 };
    expect(await probeFrame(ctx())).toEqual({ outcome, detail: `ffmpeg said ${reason}` });
  });

  it('is the "frame" rung and uses the credentials', () => {
    expect(frameProbe).toMatchObject({ rung: 'frame', usesCredentials: true });
  });
});

// ---------------------------------------------------------------- rung names

describe('rung identities', () => {
  it('each probe names its rung and says whether it sends credentials', () => {
    expect([tcpProbe, onvifTimeProbe, onvifAuthProbe, rtspProbe].map((p) => [p.rung, p.usesCredentials])).toEqual([
      ['tcp', false],
      ['onvif_time', false],
      ['onvif_auth', true],
      ['rtsp', true],
    ]);
  });
});

// ---------------------------------------------------------------- tcp

describe('tcp rung', () => {
  it('with keep, only a successful connect hands over its socket; a refused one has none', async () => {
    const s = await startSilentServer();
    cleanup.push(() => s.close());
    const ok = await tcpConnect('127.0.0.1', s.port, 1000, true);
    expect(ok.outcome).toBe('ok');
    expect(ok.socket?.destroyed).toBe(false);
    ok.socket?.destroy();
    const gone = await startSilentServer();
    await gone.close();
    const refused = await tcpConnect('127.0.0.1', gone.port, 1000, true);
    expect(refused).toStrictEqual({ outcome: 'fail', detail: 'ECONNREFUSED' });
  });

  it('the tcp probe keeps the connection for the next rung, and a reset of that idle socket does not crash the agent', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((c) => {
      sockets.add(c);
      c.on('error', () => {});
    });
    const port = await listen(server);
    cleanup.push(closing(server, sockets));
    const r = await tcpProbe.run({ cam: { ...loopbackCamera({}), onvifPort: port }, timeoutMs: 1000, clockOffsetMs: null });
    expect(r.outcome).toBe('ok');
    const socket = r.socket;
    expect(socket?.destroyed).toBe(false);
    const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
    while (sockets.size === 0) await new Promise((res) => setImmediate(res));
    for (const c of sockets) c.resetAndDestroy(); // the camera resets the idle connection
    await closed;
    expect(socket?.destroyed).toBe(true);
  });
});

// ---------------------------------------------------------------- onvif_time

const soapRes = (status: number, body: string, headers: Record<string, string | string[]> = {}) => ({ status, body, headers });

describe('onvif_time classification', () => {
  const T0 = 1_700_000_000_000;
  it('a 200 with a readable UTC time: ok with the offset from the request midpoint', () => {
    const xml = withUtcTime(timeFixture('hikvision'), T0 + 60_000);
    expect(interpretTimeResponse(soapRes(200, xml), T0, T0 + 200)).toStrictEqual({ outcome: 'ok', clockOffsetMs: 60_000 + 500 - 100 });
  });

  it('a 200 without a readable time is a fail, "bad GetSystemDateAndTime answer"', () => {
    expect(interpretTimeResponse(soapRes(200, '<x/>'), T0, T0)).toStrictEqual({ outcome: 'fail', detail: 'bad GetSystemDateAndTime answer' });
  });

  it('a refusal still proves ONVIF up: ok "time needs auth", offset from the Date header, or null without one', () => {
    const date = 'Tue, 14 Nov 2023 22:14:20 GMT'; // T0 (22:13:20 UTC) + 60 s
    expect(interpretTimeResponse(soapRes(401, '', { date }), T0, T0)).toStrictEqual({
      outcome: 'ok',
      detail: 'time needs auth',
      clockOffsetMs: clockOffsetFrom(Date.parse(date), T0, T0),
    });
    expect(clockOffsetFrom(Date.parse(date), T0, T0)).toBe(60_000 + 500);
    expect(interpretTimeResponse(soapRes(401, ''), T0, T0)).toStrictEqual({ outcome: 'ok', detail: 'time needs auth', clockOffsetMs: null });
    expect(interpretTimeResponse(soapRes(401, '', { date: 'yesterday-ish' }), T0, T0).clockOffsetMs).toBeNull();
    // a repeated Date header (a list of values) is ambiguous: no offset
    expect(interpretTimeResponse(soapRes(401, '', { date: [date, date] }), T0, T0).clockOffsetMs).toBeNull();
    expect(interpretTimeResponse(soapRes(401, '', { date: [date] }), T0, T0).clockOffsetMs).toBeNull();
  });

  it('another error is a fail carrying the SOAP fault code, else the HTTP status', () => {
    const fault = '<env:Envelope><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code></env:Fault></env:Body></env:Envelope>';
    expect(interpretTimeResponse(soapRes(500, fault), T0, T0)).toStrictEqual({ outcome: 'fail', detail: 'env:Receiver' });
    expect(interpretTimeResponse(soapRes(404, ''), T0, T0)).toStrictEqual({ outcome: 'fail', detail: 'HTTP 404' });
  });

  it('the request is the ONVIF GetSystemDateAndTime envelope, SOAP 1.2', () => {
    expect(GET_SYSTEM_DATE_AND_TIME).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>' +
        '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>',
    );
  });
});

describe('onvif_time connections', () => {
  it('without a handed-over socket, a dropped connection is a fail, not retried', async () => {
    const sockets = new Set<Socket>();
    let conns = 0;
    const server = createServer((c) => {
      conns++;
      sockets.add(c);
      c.on('error', () => {});
      c.once('data', () => c.destroy());
    });
    const port = await listen(server);
    cleanup.push(closing(server, sockets));
    const r = await onvifTime('127.0.0.1', port, PATH, 2000);
    expect(r.outcome).toBe('fail');
    expect(HANG_UP).toContain(r.detail);
    expect(conns).toBe(1);
    expect(posts).toHaveLength(1);
  });

  it('a handed-over socket the camera dropped: the fresh connection is kept for the auth rung', async () => {
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    cleanup.push(() => cam.close());
    const front = await dropFirstFront(cam.port);
    const r = await onvifTime('127.0.0.1', front.port, PATH, 2000, front.kept);
    expect(r.outcome).toBe('ok');
    expect(front.connections()).toBe(2);
    expect(r.socket?.destroyed).toBe(false);
    r.socket?.destroy();
  });

  it('a handed-over socket dropped when the rung time is used up is not retried', async () => {
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    cleanup.push(() => cam.close());
    const front = await dropFirstFront(cam.port);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const p = onvifTime('127.0.0.1', front.port, PATH, 2000, front.kept);
    vi.setSystemTime(t0 + 2000); // exactly the deadline
    const r = await p;
    expect(r.outcome).toBe('fail');
    expect(HANG_UP).toContain(r.detail);
    expect(posts).toHaveLength(1);
    expect(front.connections()).toBe(1);
  });

  it('a handed-over socket that times out is not retried, even with time left on the clock', async () => {
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    const kept = connect(silent.port, '127.0.0.1');
    kept.on('error', () => {});
    await new Promise((r) => kept.once('connect', r));
    vi.useFakeTimers({ toFake: ['Date'] }); // the wall clock stands still: the rung deadline is never reached
    expect(await onvifTime('127.0.0.1', silent.port, PATH, 100, kept)).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(posts).toHaveLength(1);
  });

  it('a camera that refuses keep-alive hands no connection on', async () => {
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD, noKeepAlive: true });
    cleanup.push(() => cam.close());
    const r = await onvifTime('127.0.0.1', cam.port, PATH, 2000);
    expect(r.outcome).toBe('ok');
    expect('socket' in r).toBe(false);
  });

  it('an invalid port is a programming error, thrown, not a camera fault', async () => {
    await expect(onvifTime('127.0.0.1', 70_000, PATH, 500)).rejects.toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- onvif_auth

describe('onvif_auth classification', () => {
  const ctx = (port: number, timeoutMs = 2000): RungContext => ({ cam: loopbackCamera({ onvifPort: port }), timeoutMs, clockOffsetMs: 0 });

  it('the request is a SOAP 1.2 GetDeviceInformation with a WS-Security header', () => {
    const env = getDeviceInformationEnvelope('admin', PASSWORD, 0);
    expect(env.startsWith('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>')).toBe(true);
    expect(env.endsWith('</s:Header><s:Body><GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>')).toBe(true);
    expect(env).toContain('<Username>admin</Username>');
    expect(env).not.toContain(PASSWORD);
  });

  it('a 200 that is not device information is a fail, "bad GetDeviceInformation answer"', async () => {
    const cam = await scriptedHttp(() => ({ status: 200, body: '<x/>' }));
    expect(await onvifAuth(ctx(cam.port))).toStrictEqual({ outcome: 'fail', detail: 'bad GetDeviceInformation answer' });
  });

  it('an error without a SOAP fault is a fail with the HTTP status', async () => {
    const cam = await scriptedHttp(() => ({ status: 404 }));
    expect(await onvifAuth(ctx(cam.port))).toStrictEqual({ outcome: 'fail', detail: 'HTTP 404' });
  });

  it('a WWW-Authenticate header on a non-401 answer is no challenge: one request, classified as it is', async () => {
    const fault =
      '<env:Envelope><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code></env:Fault></env:Body></env:Envelope>';
    const cam = await scriptedHttp(() => ({ status: 400, body: fault, headers: { 'WWW-Authenticate': 'Digest realm="x", nonce="n"' } }));
    expect(await onvifAuth(ctx(cam.port))).toStrictEqual({ outcome: 'auth', detail: 'HTTP 400 ter:NotAuthorized' });
    expect(cam.reqs).toHaveLength(1);
  });

  it('the HTTP digest answer goes on the same connection as the challenged request, with the right response', async () => {
    const cam = await scriptedHttp((r) =>
      r.headers.authorization === undefined ? { status: 401, headers: { 'WWW-Authenticate': 'Digest realm="cam", nonce="abc123"' } } : { status: 200, body: infoFixture('axis') },
    );
    expect(await onvifAuth(ctx(cam.port))).toStrictEqual({ outcome: 'ok' });
    expect(cam.connections()).toBe(1);
    expect(cam.reqs.map((r) => r.conn)).toEqual([0, 0]);
    const response = md5(`${md5(`admin:cam:${PASSWORD}`)}:abc123:${md5(`POST:${PATH}`)}`);
    expect(cam.reqs[1]?.headers.authorization).toBe(`Digest username="admin", realm="cam", nonce="abc123", uri="${PATH}", response="${response}"`);
  });

  it('a challenge that arrives when the rung time is used up is not answered: timeout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cam = await scriptedHttp(() => {
      vi.setSystemTime(t0 + 2000); // the deadline, exactly
      return { status: 401, headers: { 'WWW-Authenticate': 'Digest realm="cam", nonce="abc123"' } };
    });
    vi.setSystemTime(t0);
    expect(await onvifAuth(ctx(cam.port))).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(posts).toHaveLength(1);
  });

  it('transport failures: refused → fail ECONNREFUSED, silence → timeout', async () => {
    const gone = await startSilentServer();
    await gone.close();
    expect(await onvifAuth(ctx(gone.port))).toStrictEqual({ outcome: 'fail', detail: 'ECONNREFUSED' });
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    expect(await onvifAuth(ctx(silent.port, 200))).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
  });

  it('an invalid port is a programming error, thrown, not a camera fault', async () => {
    await expect(onvifAuth(ctx(70_000))).rejects.toThrow(RangeError);
  });
});

describe('onvif_auth with the time rung’s connection', () => {
  it('kept connection dropped: one fresh connection, and the digest answer reuses it', async () => {
    const cam = await scriptedHttp((r) =>
      r.headers.authorization === undefined ? { status: 401, headers: { 'WWW-Authenticate': 'Digest realm="cam", nonce="n1"' } } : { status: 200, body: infoFixture('hikvision') },
    );
    const front = await dropFirstFront(cam.port);
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: front.port }), timeoutMs: 2000, clockOffsetMs: 0, socket: front.kept });
    expect(r).toStrictEqual({ outcome: 'ok' });
    expect(front.connections()).toBe(2);
    expect(cam.reqs.map((x) => x.conn)).toEqual([0, 0]);
  });

  it('without a kept connection, a dropped connection is a fail, not retried', async () => {
    const sockets = new Set<Socket>();
    let conns = 0;
    const server = createServer((c) => {
      conns++;
      sockets.add(c);
      c.on('error', () => {});
      c.once('data', () => c.destroy());
    });
    const port = await listen(server);
    cleanup.push(closing(server, sockets));
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: port }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r.outcome).toBe('fail');
    expect(HANG_UP).toContain(r.detail);
    expect(conns).toBe(1);
  });

  it('the fresh connection gets only the time left of the rung', async () => {
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    const front = await dropFirstFront(silent.port);
    const t0 = Date.now();
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: front.port }), timeoutMs: 300, clockOffsetMs: 0, socket: front.kept });
    expect(r).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(posts).toHaveLength(2);
    expect(posts[1]?.timeoutMs).toBeGreaterThan(0);
    expect(posts[1]?.timeoutMs).toBeLessThanOrEqual(300);
  });

  it('a kept connection that times out is not retried, even with time left on the clock', async () => {
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    const kept = connect(silent.port, '127.0.0.1');
    kept.on('error', () => {});
    await new Promise((r) => kept.once('connect', r));
    vi.useFakeTimers({ toFake: ['Date'] });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: silent.port }), timeoutMs: 100, clockOffsetMs: 0, socket: kept });
    expect(r).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(posts).toHaveLength(1);
  });

  it('a kept connection dropped when the rung time is used up is not retried', async () => {
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    cleanup.push(() => cam.close());
    const front = await dropFirstFront(cam.port);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const p = onvifAuth({ cam: loopbackCamera({ onvifPort: front.port }), timeoutMs: 2000, clockOffsetMs: 0, socket: front.kept });
    vi.setSystemTime(t0 + 2000);
    const r = await p;
    expect(r.outcome).toBe('fail');
    expect(HANG_UP).toContain(r.detail);
    expect(posts).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- rtsp

interface RtspReq {
  conn: number;
  method: string;
  head: string;
  headers: Map<string, string>;
}
type RtspAnswer = { text: string; then?: 'keep' | 'end' } | null;
const reply = (req: RtspReq, status: string, headers: string[] = [], body = ''): string =>
  `RTSP/1.0 ${status}\r\nCSeq: ${req.headers.get('cseq') ?? '0'}\r\n${[...headers, ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [])].map((h) => h + '\r\n').join('')}\r\n${body}`;
const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=S\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n';

async function scriptedRtsp(answer: (req: RtspReq, all: RtspReq[]) => RtspAnswer) {
  const reqs: RtspReq[] = [];
  const sockets = new Set<Socket>();
  const closed: Promise<void>[] = [];
  let conns = 0;
  const server = createServer((s) => {
    const conn = conns++;
    sockets.add(s);
    closed.push(new Promise<void>((r) => s.on('close', () => r())));
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const lines = head.split('\r\n');
        const headers = new Map<string, string>();
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
        }
        const req: RtspReq = { conn, method: (lines[0] ?? '').split(' ')[0] ?? '', head, headers };
        reqs.push(req);
        const a = answer(req, reqs);
        if (a === null) continue;
        s.write(a.text);
        if (a.then === 'end') s.end();
      }
    });
  });
  const port = await listen(server);
  cleanup.push(closing(server, sockets));
  return { port, reqs, closed, connections: () => conns };
}

const DIGEST = 'WWW-Authenticate: Digest realm="cam", nonce="n0nce"';
/** OPTIONS 200, DESCRIBE 401 Digest, authenticated DESCRIBE 200 with `body` */
const standard =
  (body = SDP) =>
  (req: RtspReq): RtspAnswer => {
    if (req.method === 'OPTIONS') return { text: reply(req, '200 OK', ['Public: OPTIONS, DESCRIBE']) };
    if (!req.headers.has('authorization')) return { text: reply(req, '401 Unauthorized', [DIGEST]) };
    return { text: reply(req, '200 OK', ['Content-Type: application/sdp'], body) };
  };

describe('rtsp rung requests', () => {
  const ctx = (port: number, timeoutMs = 2000): RungContext => ({ cam: loopbackCamera({ rtspPort: port }), timeoutMs, clockOffsetMs: null });

  it('OPTIONS then DESCRIBE then the answered DESCRIBE: CSeq 1, 2, 3, our User-Agent, Accept: application/sdp on DESCRIBE only, one connection', async () => {
    const srv = await scriptedRtsp(standard());
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'ok' });
    const url = `rtsp://127.0.0.1:${srv.port}/stream1`;
    const response = md5(`${md5(`admin:cam:${PASSWORD}`)}:n0nce:${md5(`DESCRIBE:${url}`)}`);
    expect(srv.reqs.map((r) => r.head)).toEqual([
      `OPTIONS ${url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: SharpEyesMonitor/0.1`,
      `DESCRIBE ${url} RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: SharpEyesMonitor/0.1\r\nAccept: application/sdp`,
      `DESCRIBE ${url} RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: SharpEyesMonitor/0.1\r\nAccept: application/sdp\r\n` +
        `Authorization: Digest username="admin", realm="cam", nonce="n0nce", uri="${url}", response="${response}"`,
    ]);
    expect(srv.connections()).toBe(1);
  });

  it('the probe closes its connection when it is done', async () => {
    const srv = await scriptedRtsp(standard());
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'ok' });
    const closedInTime = await Promise.race([srv.closed[0]?.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
    expect(closedInTime).toBe(true);
  });

  it('a WWW-Authenticate header on an OPTIONS 200 is no challenge: the first DESCRIBE goes without credentials', async () => {
    const srv = await scriptedRtsp((req) =>
      req.method === 'OPTIONS' ? { text: reply(req, '200 OK', [DIGEST]) } : { text: reply(req, '200 OK', ['Content-Type: application/sdp'], SDP) },
    );
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'ok' });
    expect(srv.reqs).toHaveLength(2);
    expect(srv.reqs[1]?.headers.has('authorization')).toBe(false);
  });

  it('OPTIONS 401 without a challenge → auth "RTSP 401 without challenge", nothing more sent', async () => {
    const srv = await scriptedRtsp((req) => ({ text: reply(req, '401 Unauthorized') }));
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'auth', detail: 'RTSP 401 without challenge' });
    expect(srv.reqs.map((r) => r.method)).toEqual(['OPTIONS']);
  });

  it('DESCRIBE 401 without a challenge → auth "RTSP 401 without challenge", no credentials sent', async () => {
    const srv = await scriptedRtsp((req) => (req.method === 'OPTIONS' ? { text: reply(req, '200 OK') } : { text: reply(req, '401 Unauthorized') }));
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'auth', detail: 'RTSP 401 without challenge' });
    expect(srv.reqs.map((r) => r.method)).toEqual(['OPTIONS', 'DESCRIBE']);
  });

  it('an answer saying "Connection: close" moves the next request to a fresh connection', async () => {
    const srv = await scriptedRtsp((req) =>
      req.method === 'OPTIONS' ? { text: reply(req, '200 OK', ['Connection: Close']) } : { text: reply(req, '200 OK', ['Content-Type: application/sdp'], SDP) },
    );
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'ok' });
    expect(srv.reqs.map((r) => [r.method, r.conn])).toEqual([
      ['OPTIONS', 0],
      ['DESCRIBE', 1],
    ]);
  });

  it('OPTIONS challenged with "Connection: close": the authenticated DESCRIBE goes on a fresh connection', async () => {
    const srv = await scriptedRtsp((req) => {
      if (req.method === 'OPTIONS') return { text: reply(req, '401 Unauthorized', [DIGEST, 'Connection: close']) };
      return req.headers.has('authorization') ? { text: reply(req, '200 OK', [], SDP) } : { text: reply(req, '401 Unauthorized', [DIGEST]) };
    });
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'ok' });
    expect(srv.reqs.map((r) => [r.method, r.conn, r.headers.has('authorization')])).toEqual([
      ['OPTIONS', 0, false],
      ['DESCRIBE', 1, true],
    ]);
  });

  it('only a hang-up earns a second connection: garbage in answer to the authenticated DESCRIBE is a fail', async () => {
    const srv = await scriptedRtsp((req) => {
      if (req.conn > 0) return standard()(req);
      if (req.method === 'OPTIONS') return { text: reply(req, '200 OK') };
      if (!req.headers.has('authorization')) return { text: reply(req, '401 Unauthorized', [DIGEST]) };
      return { text: 'HTTP/1.1 400 Bad Request\r\n\r\n' };
    });
    expect(await probeRtsp(ctx(srv.port))).toStrictEqual({ outcome: 'fail', detail: 'not RTSP' });
    expect(srv.connections()).toBe(1);
  });

  it('once the rung has timed out it opens no new connection, even when the camera then hangs up', async () => {
    const srv = await scriptedRtsp((req) => {
      if (req.method === 'OPTIONS') return { text: reply(req, '200 OK') };
      if (!req.headers.has('authorization')) return { text: reply(req, '401 Unauthorized', [DIGEST]) };
      return null; // the authenticated DESCRIBE is never answered
    });
    expect(await probeRtsp(ctx(srv.port, 200))).toStrictEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(rtspConns).toHaveLength(1);
    await rtspConns[0]?.closed; // the rung closed it: the pending DESCRIBE fails with "closed by peer"
    await new Promise((r) => setImmediate(r));
    expect(rtspConns).toHaveLength(1);
    expect(srv.connections()).toBe(1);
  });

  it('an invalid port is a programming error, thrown, not a camera fault', async () => {
    await expect(probeRtsp(ctx(70_000))).rejects.toThrow(RangeError);
  });
});

describe('rtsp rung: what counts as an SDP answer', () => {
  const ctx = (port: number): RungContext => ({ cam: loopbackCamera({ rtspPort: port }), timeoutMs: 2000, clockOffsetMs: null });
  it.each([
    ['a normal SDP', SDP, 'ok'],
    ['"v=0" alone, no line end', 'v=0', 'ok'],
    ['"v=0" with trailing blanks', 'v=0  \r\no=- 0 0 IN IP4 1.2.3.4\r\n', 'ok'],
    ['"v=0" on a later line', 's=x\r\nv=0\r\n', 'ok'],
    ['"v=01"', 'v=01\r\no=-\r\n', 'fail'],
    ['"xv=0"', 'xv=0\r\n', 'fail'],
    ['no version line', 'hello', 'fail'],
  ])('%s → %s', async (_name, body, outcome) => {
    const srv = await scriptedRtsp(standard(body));
    const r = await probeRtsp(ctx(srv.port));
    expect(r).toStrictEqual(outcome === 'ok' ? { outcome: 'ok' } : { outcome: 'fail', detail: 'DESCRIBE 200 without SDP' });
  });
});

describe('rtsp request URL', () => {
  it('removes only the URL’s own user:pass@, case-insensitively; a URL nested in the query is left as it is', () => {
    expect(rtspRequestUrl('RTSP://admin:pw@10.0.0.1:554/a')).toBe('RTSP://10.0.0.1:554/a');
    expect(rtspRequestUrl('rtsp://10.0.0.1/a?src=rtsp://u:p@10.0.0.2/b')).toBe('rtsp://10.0.0.1/a?src=rtsp://u:p@10.0.0.2/b');
  });
});

// ---------------------------------------------------------------- SOAP parsing (hostile input)

const utcBlock = (f: Partial<Record<'Year' | 'Month' | 'Day' | 'Hour' | 'Minute' | 'Second', number | null>>): string => {
  const v = { Year: 2024, Month: 3, Day: 15, Hour: 10, Minute: 20, Second: 30, ...f };
  const t = (k: keyof typeof v): string => (v[k] === null ? '' : `<tt:${k}>${v[k]}</tt:${k}>`);
  return `<tds:GetSystemDateAndTimeResponse><tt:UTCDateTime><tt:Time>${t('Hour')}${t('Minute')}${t('Second')}</tt:Time><tt:Date>${t('Year')}${t('Month')}${t('Day')}</tt:Date></tt:UTCDateTime></tds:GetSystemDateAndTimeResponse>`;
};

describe('parseSystemDateAndTime', () => {
  it('reads the UTC date and time fields exactly', () => {
    expect(parseSystemDateAndTime(utcBlock({}))).toBe(Date.UTC(2024, 2, 15, 10, 20, 30));
  });
  it.each(['Year', 'Month', 'Day', 'Hour', 'Minute', 'Second'] as const)('an answer missing %s gives null', (field) => {
    expect(parseSystemDateAndTime(utcBlock({ [field]: null }))).toBeNull();
  });
  it('the edges of each range are valid (a leap second included)', () => {
    expect(parseSystemDateAndTime(utcBlock({ Month: 1, Day: 1, Hour: 0, Minute: 0, Second: 0 }))).toBe(Date.UTC(2024, 0, 1, 0, 0, 0));
    expect(parseSystemDateAndTime(utcBlock({ Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 60 }))).toBe(Date.UTC(2024, 11, 31, 23, 59, 60));
  });
  it.each([
    ['Month', 0],
    ['Month', 13],
    ['Day', 0],
    ['Day', 32],
    ['Hour', 24],
    ['Minute', 60],
    ['Second', 61],
  ] as const)('%s = %i is out of range: null', (field, value) => {
    expect(parseSystemDateAndTime(utcBlock({ [field]: value }))).toBeNull();
  });
});

describe('parseDeviceInformation', () => {
  it('reads serial number and hardware id too', () => {
    expect(parseDeviceInformation(infoFixture('pelco'))).toMatchObject({ serialNumber: 'J250117', hardwareId: '00:04:7d:0e:b8:5c' });
    expect(parseDeviceInformation(infoFixture('axis'))).toMatchObject({ serialNumber: '00408CFAB754', hardwareId: '1C9.2' });
  });
  it('decodes XML entities (&amp; last, so "&amp;lt;" stays "&lt;"), trims blanks, and a missing field is ""', () => {
    const xml =
      '<tds:GetDeviceInformationResponse><tds:Manufacturer>\n  A&lt;B&gt; &quot;C&quot; &apos;D&apos; &amp;lt; \n</tds:Manufacturer>' +
      '<tds:Model> M1 </tds:Model><tds:FirmwareVersion>2.40</tds:FirmwareVersion></tds:GetDeviceInformationResponse>';
    expect(parseDeviceInformation(xml)).toStrictEqual({
      manufacturer: 'A<B> "C" \'D\' &lt;',
      model: 'M1',
      firmwareVersion: '2.40',
      serialNumber: '',
      hardwareId: '',
    });
  });
});

describe('SOAP fault codes', () => {
  it('no Fault element: null, and no detail', () => {
    expect(soapFaultCodes('<x/>')).toBeNull();
    expect(faultDetail('<x/>')).toBeUndefined();
  });
  it('a Fault without codes: an empty list, no detail', () => {
    expect(soapFaultCodes('<s:Fault></s:Fault>')).toEqual([]);
    expect(faultDetail('<s:Fault></s:Fault>')).toBeUndefined();
  });
  it('a SOAP 1.1 fault: its faultcode, trimmed', () => {
    const xml = '<SOAP-ENV:Fault><faultcode> SOAP-ENV:Client </faultcode><faultstring>bad</faultstring></SOAP-ENV:Fault>';
    expect(soapFaultCodes(xml)).toEqual(['SOAP-ENV:Client']);
    expect(faultDetail(xml)).toBe('SOAP-ENV:Client');
  });
  it('NotAuthorized with or without a prefix is an auth failure; a longer code containing it is not', () => {
    const fault = (code: string) => `<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>${code}</env:Value></env:Subcode></env:Code></env:Fault>`;
    expect(isAuthFailure(400, fault('NotAuthorized'))).toBe(true);
    expect(isAuthFailure(500, fault('ter:notauthorized'))).toBe(true);
    expect(isAuthFailure(400, fault('ter:NotAuthorizedYet'))).toBe(false);
    expect(isAuthFailure(400, fault('ter:XNotAuthorized'))).toBe(false);
    expect(isAuthFailure(500, '<x/>')).toBe(false);
  });
});
