/**
 * The agent's own RTSP session for one key frame, against scripted cameras: which answers
 * mean "at my session limit" (busy: alive), the UDP fallback for a camera refusing
 * TCP-interleaved RTP (461, 400), the depacketizer (RFC 6184 / 7798) on packets cut by an
 * independent packetizer, and the rtsp rung / ladder noting a camera busy, not faulty.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeKeyFrame, grabFrame } from '../../edge-agent/frame-grab.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { AgentMetrics } from '../../edge-agent/metrics.ts';
import { BASIC_REFUSED } from '../../edge-agent/probes/auth-choice.ts';
import { probeRtsp } from '../../edge-agent/probes/rtsp.ts';
import { RtspConnection, type RtspResponse } from '../../edge-agent/probes/rtsp-wire.ts';
import { fetchKeyFrame } from '../../edge-agent/rtsp-session.ts';
import { sessionLimitDetail } from '../../edge-agent/rtsp-session-limit.ts';
import { KeyFrameAssembler, parseRtp } from '../../edge-agent/rtp-depacketize.ts';
import { digestChallenge, verifyAuthorization } from '../../src/protocol/digest-auth.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { encodedKeyFrame } from './encoded-frame.ts';
import { startFakeOnvif } from './fake-camera.ts';
import { h264Sdp, nalUnits, packetize, startScriptedCamera, type ScriptedCamera, type ScriptedReply, type ScriptedRequest } from './scripted-rtsp.ts';

const res = (status: number, reason: string, headers: Record<string, string> = {}, body = ''): RtspResponse => ({
  status,
  reason,
  headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])),
  body,
});

describe('which RTSP answers mean "at my session limit" (rtsp-session-limit.ts, the one owner of the rule)', () => {
  it.each([
    [453, 'Not Enough Bandwidth', {}, '', 'DESCRIBE', 'busy: DESCRIBE RTSP 453 Not Enough Bandwidth'],
    [453, 'Maximum Clients Reached', {}, '', 'SETUP', 'busy: SETUP RTSP 453 Maximum Clients Reached'],
    [503, 'Service Unavailable', { 'retry-after': '30' }, '', 'DESCRIBE', 'busy: DESCRIBE RTSP 503 Service Unavailable'],
    [503, 'Service Unavailable', {}, '', 'SETUP', 'busy: SETUP RTSP 503 Service Unavailable'],
    [503, 'Service Unavailable', {}, '', 'PLAY', 'busy: PLAY RTSP 503 Service Unavailable'],
    [500, 'Max sessions', {}, '', 'SETUP', 'busy: SETUP RTSP 500 Max sessions'],
    [400, 'Bad Request', {}, 'Error: too many clients connected', 'DESCRIBE', 'busy: DESCRIBE RTSP 400 Bad Request'],
    [406, 'Not Acceptable (Maximum number of users)', {}, '', 'DESCRIBE', 'busy: DESCRIBE RTSP 406 Not Acceptable (Maximum number of users)'],
  ] as const)('%i %s %j %j at %s → busy', (status, reason, headers, body, step, detail) => {
    expect(sessionLimitDetail(res(status, reason, headers, body), step)).toBe(detail);
  });

  it.each([
    [503, 'Service Unavailable', {}, 'DESCRIBE'],
    [404, 'Not Found', {}, 'DESCRIBE'],
    [461, 'Unsupported Transport', {}, 'SETUP'],
    [500, 'Internal Server Error', {}, 'PLAY'],
    [200, 'OK (maximum clients)', {}, 'DESCRIBE'],
    [401, 'Unauthorized', {}, 'DESCRIBE'],
  ] as const)('%i %s at %s → not busy', (status, reason, headers, step) => {
    expect(sessionLimitDetail(res(status, reason, headers), step)).toBeNull();
  });

  it('a camera-sent reason is shown printable and capped; the body is looked at only near its start', () => {
    const d = sessionLimitDetail(res(453, `Full\u0007${'x'.repeat(500)}`), 'SETUP');
    expect(d).toMatch(/^busy: SETUP RTSP 453 Full\?x+$/);
    expect(d!.length).toBeLessThan(100);
    expect(sessionLimitDetail(res(500, 'Error', {}, `${' '.repeat(600)}max clients`), 'SETUP')).toBeNull();
  });
});

describe('RTSP wire reader', () => {
  it('a reply whose body arrives in a later TCP segment than its headers is read (RTSP::Server writes them apart)', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        s.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\n');
        setTimeout(() => s.write('v=0\r\ns=xy'), 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const conn = new RtspConnection('127.0.0.1', (server.address() as { port: number }).port);
    try {
      await conn.ready;
      const t = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not answered')), 1000));
      const r = await Promise.race([conn.request('DESCRIBE rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 1\r\n\r\n'), t]);
      expect(r).toMatchObject({ status: 200, body: 'v=0\r\ns=xy' });
    } finally {
      conn.close();
      server.close();
    }
  });
});

describe('RTSP wire reader: requests from the camera', () => {
  it('a SET_PARAMETER the camera sends between its RTP packets is dropped; the RTP behind it and the next answer still read', async () => {
    const got: number[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        const rtp = (ch: number, n: number) => Buffer.concat([Buffer.from([0x24, ch, 0, n]), Buffer.alloc(n, ch)]);
        s.write(Buffer.concat([rtp(0, 4), Buffer.from('SET_PARAMETER rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 7\r\nContent-Length: 5\r\n\r\nhello'), rtp(0, 6)]));
        setTimeout(() => s.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n'), 30);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const conn = new RtspConnection('127.0.0.1', (server.address() as { port: number }).port);
    conn.onInterleaved = (_ch, p) => got.push(p.length);
    try {
      await conn.ready;
      const r = await conn.request('PLAY rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 1\r\n\r\n');
      expect(r.status).toBe(200);
      expect(got).toEqual([4, 6]);
    } finally {
      conn.close();
      server.close();
    }
  });
});

describe('KeyFrameAssembler (depacketizer)', () => {
  const rtp = (pkts: Buffer[]) => pkts.map((p) => parseRtp(p)!);

  it.each(['h264', 'h265'] as const)(
    '%s: single, aggregation and fragmentation packets → the key frame, parameter sets first; ffmpeg decodes it',
    async (codec) => {
      const au = encodedKeyFrame(codec);
      const nals = nalUnits(au);
      const pkts = rtp(packetize(nals, { codec, mtu: 500, aggregateSets: true }));
      expect(pkts.length).toBeGreaterThan(3);
      const a = new KeyFrameAssembler(codec, 96, []);
      let key = null;
      for (const p of pkts) key ??= a.push(p);
      expect(key).not.toBeNull();
      expect(nalUnits(key!.accessUnit).map((n) => n.toString('hex'))).toEqual(nals.map((n) => n.toString('hex')));
      const d = await decodeKeyFrame({ codec, accessUnit: key!.accessUnit, timeoutMs: 10_000 });
      expect(d.ok, JSON.stringify(d)).toBe(true);
    },
    30_000,
  );

  it('parameter sets only in the SDP are put before the key frame', () => {
    const nals = nalUnits(encodedKeyFrame('h264'));
    const sets = nals.filter((n) => [7, 8].includes((n[0] ?? 0) & 0x1f));
    const rest = nals.filter((n) => !sets.includes(n));
    const a = new KeyFrameAssembler('h264', 96, sets);
    let key = null;
    for (const p of rtp(packetize(rest, { codec: 'h264' }))) key ??= a.push(p);
    expect(nalUnits(key!.accessUnit).map((n) => (n[0] ?? 0) & 0x1f)).toEqual([7, 8, ...rest.map((n) => (n[0] ?? 0) & 0x1f)]);
  });

  it('a unit holding a PPS before its SPS (joined between the two; the payloader repeats them) is rebuilt SPS, PPS first; AUD dropped; ffmpeg decodes it', async () => {
    const nals = nalUnits(encodedKeyFrame('h264'));
    const t = (n: Buffer) => (n[0] ?? 0) & 0x1f;
    const [sps, pps] = [nals.find((n) => t(n) === 7)!, nals.find((n) => t(n) === 8)!];
    const rest = nals.filter((n) => t(n) !== 7 && t(n) !== 8);
    const sei = rest.filter((n) => t(n) === 6);
    const slices = rest.filter((n) => t(n) !== 6);
    // what gst's rtph264pay (config-interval=1) sent right after x264's first frame: PPS, SEI, SPS, PPS, IDR
    const seen = [Buffer.from([0x09, 0x10]), pps, ...sei, sps, pps, ...slices];
    const a = new KeyFrameAssembler('h264', 96, []);
    let key = null;
    for (const p of rtp(packetize(seen.slice(1), { codec: 'h264' }))) key ??= a.push(p);
    expect(nalUnits(key!.accessUnit).map(t)).toEqual([7, 8, ...sei.map(t), ...slices.map(t)]);
    const d = await decodeKeyFrame({ codec: 'h264', accessUnit: key!.accessUnit, timeoutMs: 10_000 });
    expect(d.ok, JSON.stringify(d)).toBe(true);
  }, 20_000);

  it('joined mid-frame, or a packet lost: that access unit is dropped, the next whole key frame taken', () => {
    const nals = nalUnits(encodedKeyFrame('h264'));
    const first = packetize(nals, { codec: 'h264', mtu: 300, seq: 10, timestamp: 1000 });
    const second = packetize(nals, { codec: 'h264', mtu: 300, seq: 10 + first.length, timestamp: 2000 });
    const third = packetize(nals, { codec: 'h264', mtu: 300, seq: 10 + 2 * first.length, timestamp: 3000 });
    const a = new KeyFrameAssembler('h264', 96, []);
    // mid-frame join: the first unit's opening packets never seen
    for (const p of rtp(first.slice(3))) expect(a.push(p)).toBeNull();
    // a loss inside the second unit
    for (const p of rtp([...second.slice(0, 4), ...second.slice(5)])) expect(a.push(p)).toBeNull();
    let key = null;
    for (const p of rtp(third)) key ??= a.push(p);
    expect(key).not.toBeNull();
    expect(a.seen.dropped).toBe(2);
  });

  it('an access unit over the cap is dropped; other payload types and non-RTP are ignored', () => {
    const nals = nalUnits(encodedKeyFrame('h264'));
    const a = new KeyFrameAssembler('h264', 96, [], 1000);
    for (const p of rtp(packetize(nals, { codec: 'h264' }))) expect(a.push(p)).toBeNull();
    const b = new KeyFrameAssembler('h264', 97, []);
    for (const p of rtp(packetize(nals, { codec: 'h264' }))) expect(b.push(p)).toBeNull();
    expect(parseRtp(Buffer.from('RTSP/1.0 200 OK\r\n'))).toBeNull();
    expect(parseRtp(Buffer.alloc(8))).toBeNull();
  });
});

/** A Digest camera: DESCRIBE → 401, then SDP; SETUP and PLAY as `setup` / `play` say. */
function camera(opts: { describe?: () => ScriptedReply; setup: (req: ScriptedRequest, n: number) => ScriptedReply; play?: () => ScriptedReply }) {
  const realm = 'Scripted';
  return (req: ScriptedRequest, n: number): ScriptedReply => {
    if (req.method === 'OPTIONS') return { status: '200 OK', headers: ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN'] };
    if (req.method === 'TEARDOWN') return { status: '200 OK' };
    const ok = verifyAuthorization(req.headers.get('authorization'), { username: 'admin', password: PASSWORD, realm }, req.method, (x) => x === 'n0nce');
    if (!ok) return { status: '401 Unauthorized', headers: [`WWW-Authenticate: ${digestChallenge(realm, 'n0nce')}`] };
    if (req.method === 'DESCRIBE') return opts.describe?.() ?? { status: '200 OK', headers: ['Content-Type: application/sdp', `Content-Base: ${req.uri}/`], body: h264Sdp() };
    if (req.method === 'SETUP') return opts.setup(req, n);
    if (req.method === 'PLAY') return opts.play?.() ?? { status: '200 OK', headers: ['Session: 5150'] };
    return { status: '501 Not Implemented' };
  };
}

const setupOk = (req: ScriptedRequest): ScriptedReply => ({
  status: '200 OK',
  headers: [`Transport: ${req.headers.get('transport')};server_port=6970-6971`, 'Session: 5150;timeout=60'],
});

let cams: ScriptedCamera[] = [];
afterEach(async () => {
  await Promise.all(cams.map((c) => c.close()));
  cams = [];
});
async function start(answer: Parameters<typeof startScriptedCamera>[0], withRtp = true): Promise<ScriptedCamera> {
  const rtp = withRtp ? packetize(nalUnits(encodedKeyFrame('h264')), { codec: 'h264' }) : [];
  const c = await startScriptedCamera(answer, rtp);
  cams.push(c);
  return c;
}
const grab = (c: ScriptedCamera) => fetchKeyFrame({ url: c.url, username: 'admin', password: PASSWORD, timeoutMs: 3000 });
const setups = (c: ScriptedCamera) => c.requests.filter((r) => r.method === 'SETUP').map((r) => r.headers.get('transport'));

describe('frame session against scripted cameras', () => {
  it('TCP-interleaved: Digest answered, one key frame, TEARDOWN sent; the password never on the wire', async () => {
    const c = await start(camera({ setup: setupOk }));
    const r = await grab(c);
    expect(r).toMatchObject({ ok: true, codec: 'h264', transport: 'tcp' });
    expect(setups(c)).toEqual(['RTP/AVP/TCP;unicast;interleaved=0-1']);
    await new Promise((done) => setTimeout(done, 100));
    expect(c.requests.map((x) => x.method)).toEqual(['DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
    expect(JSON.stringify(c.requests.map((x) => [...x.headers]))).not.toContain(PASSWORD);
  });

  it.each([
    ['461 Unsupported Transport', false],
    ['400 Bad Request', false],
    ['461 Unsupported Transport', true],
  ])('SETUP interleaved answered %s (hang up: %s) → SETUP again over UDP, the frame comes by UDP', async (status, close) => {
    const c = await start(camera({ setup: (req, n) => (n === 1 ? { status, close } : setupOk(req)) }));
    const r = await grab(c);
    expect(r).toMatchObject({ ok: true, transport: 'udp' });
    const [tcp, udp] = setups(c);
    expect(tcp).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(udp).toMatch(/^RTP\/AVP;unicast;client_port=(\d+)-(\d+)$/);
  });

  it('a camera offering only Basic: refused, the password never sent — unless the camera is configured httpAuth: basic', async () => {
    const basicOnly = (req: ScriptedRequest): ScriptedReply => {
      if (req.method === 'TEARDOWN') return { status: '200 OK' };
      const auth = req.headers.get('authorization');
      if (auth !== `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`) return { status: '401 Unauthorized', headers: ['WWW-Authenticate: Basic realm="old"'] };
      if (req.method === 'DESCRIBE') return { status: '200 OK', headers: [`Content-Base: ${req.uri}/`], body: h264Sdp() };
      if (req.method === 'SETUP') return setupOk(req);
      return { status: '200 OK', headers: ['Session: 5150'] };
    };
    const c = await start(basicOnly);
    expect(await grab(c)).toMatchObject({ ok: false, reason: 'auth', detail: BASIC_REFUSED });
    expect(c.requests.some((r) => r.headers.has('authorization'))).toBe(false);
    expect(await fetchKeyFrame({ url: c.url, username: 'admin', password: PASSWORD, httpAuth: 'basic', timeoutMs: 3000 })).toMatchObject({ ok: true });
  });

  it('a camera refusing UDP too → fail, not busy, no loop', async () => {
    const c = await start(camera({ setup: () => ({ status: '461 Unsupported Transport' }) }));
    expect(await grab(c)).toMatchObject({ ok: false, reason: 'fail', detail: 'SETUP RTSP 461' });
    expect(setups(c)).toHaveLength(2);
  });

  it.each([
    ['DESCRIBE', '453 Maximum Clients Reached', 'busy: DESCRIBE RTSP 453 Maximum Clients Reached'],
    ['DESCRIBE', '503 Service Unavailable', 'busy: DESCRIBE RTSP 503 Service Unavailable', ['Retry-After: 20']],
    ['SETUP', '453 Not Enough Bandwidth', 'busy: SETUP RTSP 453 Not Enough Bandwidth'],
    ['SETUP', '503 Service Unavailable', 'busy: SETUP RTSP 503 Service Unavailable'],
    ['PLAY', '500 Max sessions', 'busy: PLAY RTSP 500 Max sessions'],
  ])('%s answered %s → busy (%s)', async (step, status, detail, headers: string[] = []) => {
    const full = { status, headers };
    const c = await start(
      camera({
        describe: step === 'DESCRIBE' ? () => full : undefined,
        setup: (req) => (step === 'SETUP' ? full : setupOk(req)),
        play: step === 'PLAY' ? () => full : undefined,
      }),
    );
    expect(await grab(c)).toMatchObject({ ok: false, reason: 'busy', detail });
  });

  it('DESCRIBE 503 without Retry-After is a plain failure (the stream may be down)', async () => {
    const c = await start(camera({ describe: () => ({ status: '503 Service Unavailable' }), setup: setupOk }));
    expect(await grab(c)).toMatchObject({ ok: false, reason: 'fail', detail: 'DESCRIBE RTSP 503' });
  });

  it('PLAY 200 but no RTP ever → timeout at the deadline', async () => {
    const c = await start(camera({ setup: setupOk }), false);
    const t0 = Date.now();
    expect(await fetchKeyFrame({ url: c.url, username: 'admin', password: PASSWORD, timeoutMs: 800 })).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('grabFrame: a busy camera ends as busy before ffmpeg is started', async () => {
    const c = await start(camera({ setup: () => ({ status: '453 Not Enough Bandwidth' }) }));
    const r = await grabFrame({ url: c.url, username: 'admin', password: PASSWORD, timeoutMs: 3000, ffmpegPath: '/nonexistent/ffmpeg' });
    expect(r).toMatchObject({ ok: false, reason: 'busy', detail: 'busy: SETUP RTSP 453 Not Enough Bandwidth' });
  });
});

describe('the rtsp rung and the ladder note a full camera busy, alive', () => {
  it('rtsp rung: DESCRIBE 453 Maximum Clients Reached → ok, busy', async () => {
    const c = await start(camera({ describe: () => ({ status: '453 Maximum Clients Reached' }), setup: setupOk }));
    const cam = loopbackCamera({ rtspPort: c.port, path: '/cam' });
    expect(await probeRtsp({ cam, timeoutMs: 2000, clockOffsetMs: null })).toEqual({ outcome: 'ok', busy: true, detail: 'busy: DESCRIBE RTSP 453 Maximum Clients Reached' });
  });

  it('ladder: DESCRIBE 453 → no fault, result busy, counted on /metrics; the frame rung (also busy) ok', async () => {
    const c = await start(camera({ describe: () => ({ status: '453 Not Enough Bandwidth' }), setup: setupOk }));
    const onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    try {
      const cam = loopbackCamera({ onvifPort: onvif.port, rtspPort: c.port, path: '/cam' });
      const r = await probeCamera(cam, { withFrame: true, timeouts: { frame: 3000 } });
      expect(r.fault).toBeNull();
      expect(r.busy).toBe(true);
      expect(r.rungs.map((x) => `${x.rung}:${x.outcome}`)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:ok', 'rtsp:ok', 'frame:ok']);
      const m = new AgentMetrics(() => ({ bytes: 0, batches: 0 }) as never);
      m.recordProbe(r);
      m.recordProbe({ ...r, busy: undefined });
      expect(await m.registry.getSingleMetricAsString('sharpeyes_agent_camera_busy_total')).toMatch(/sharpeyes_agent_camera_busy_total 1$/m);
      const plain = await probeCamera(cam, { withFrame: false });
      expect(plain.busy).toBe(true);
    } finally {
      await onvif.close();
    }
  });

  it('ladder: a camera not at its limit carries no busy field', async () => {
    const c = await start(camera({ setup: setupOk }));
    const onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    try {
      const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: c.port, path: '/cam' }), {});
      expect(r.fault).toBeNull();
      expect('busy' in r).toBe(false);
    } finally {
      await onvif.close();
    }
  });
});
