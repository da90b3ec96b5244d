/**
 * The RTSP rung against a tiny in-test RTSP responder — kept for the replies a real server
 * does not give on demand: Basic only, Digest and Basic offered together (Hikvision), a
 * challenge on OPTIONS, a hang-up after 401, a 200 without SDP, DESCRIBE never answered, a
 * silent peer, an HTTP server on the port. The same rung against a real third-party server
 * (GStreamer's gst-rtsp-server: right and wrong password, unknown mount) is in gstreamer.test.ts.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BASIC_REFUSED } from '../../edge-agent/probes/auth-choice.ts';
import { parseRtspResponse } from '../../edge-agent/probes/rtsp-wire.ts';
import { probeRtsp, rtspRequestUrl } from '../../edge-agent/probes/rtsp.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeRtsp, startSilentServer, type FakeRtspOptions, type Running } from './fake-camera.ts';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
async function rtsp(o: Partial<FakeRtspOptions> = {}): Promise<Running> {
  const r = await startFakeRtsp({ username: 'admin', password: PASSWORD, ...o });
  running.push(r);
  return r;
}
const ctx = (port: number, extra: Parameters<typeof loopbackCamera>[0] = {}, timeoutMs = 2000) => ({
  cam: loopbackCamera({ rtspPort: port, ...extra }),
  timeoutMs,
  clockOffsetMs: null,
});

describe('RTSP wire', () => {
  it('parses status, repeated headers and a Content-Length body; waits for more bytes', () => {
    const text = 'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="a", nonce="n"\r\nWWW-Authenticate: Basic realm="a"\r\nContent-Length: 3\r\n\r\nabc';
    const p = parseRtspResponse(Buffer.from(text + 'RTSP/1.0 200'));
    expect(p?.res.status).toBe(401);
    expect(p?.res.headers.get('www-authenticate')).toHaveLength(2);
    expect(p?.res.body).toBe('abc');
    expect(p?.consumed).toBe(Buffer.byteLength(text));
    expect(parseRtspResponse(Buffer.from(text.slice(0, -1)))).toBeNull();
    expect(() => parseRtspResponse(Buffer.from('HTTP/1.1 400 Bad\r\n\r\n'))).toThrow('not RTSP');
  });
  it('strips user:pass@ from the request URL', () => {
    expect(rtspRequestUrl('rtsp://u:p@10.0.0.1:554/a?b=1')).toBe('rtsp://10.0.0.1:554/a?b=1');
    expect(rtspRequestUrl('rtsp://10.0.0.1/a')).toBe('rtsp://10.0.0.1/a');
  });
});

describe('rtsp rung', () => {
  it('right credentials: OPTIONS, DESCRIBE → 401, DESCRIBE with Digest → SDP → ok', async () => {
    const srv = await rtsp();
    expect(await probeRtsp(ctx(srv.port))).toEqual({ outcome: 'ok' });
    expect(srv.requests.map((r) => r.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE']);
    expect(srv.requests[2]).toMatch(/^DESCRIBE Digest /);
  });

  it('Digest and Basic offered together (Hikvision): picks Digest; digest uri has no user:pass', async () => {
    const srv = await rtsp({ bothChallenges: true });
    expect((await probeRtsp(ctx(srv.port))).outcome).toBe('ok');
    const authz = srv.requests[2] ?? '';
    expect(authz).toMatch(/^DESCRIBE Digest /);
    expect(authz).toContain(`uri="rtsp://127.0.0.1:${srv.port}/stream1"`);
    expect(authz).not.toContain(PASSWORD);
  });

  it('Basic only: refused for a Digest camera (nothing sent); answered with Basic for a camera configured httpAuth: basic', async () => {
    const srv = await rtsp({ basicOnly: true });
    expect(await probeRtsp(ctx(srv.port))).toEqual({ outcome: 'auth', detail: BASIC_REFUSED });
    expect(srv.requests.map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual(['OPTIONS', 'DESCRIBE']);
    const basic = ctx(srv.port);
    expect((await probeRtsp({ ...basic, cam: { ...basic.cam, httpAuth: 'basic' } })).outcome).toBe('ok');
    expect(srv.requests.at(-1)).toMatch(/^DESCRIBE Basic /);
  });

  it('OPTIONS already challenged: answers that challenge in the first DESCRIBE', async () => {
    const srv = await rtsp({ optionsNeedsAuth: true });
    expect(await probeRtsp(ctx(srv.port))).toEqual({ outcome: 'ok' });
    expect(srv.requests.map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual(['OPTIONS', 'DESCRIBE Digest']);
    const bad = await probeRtsp(ctx(srv.port, { password: 'bad' }));
    expect(bad).toEqual({ outcome: 'auth', detail: 'RTSP 401' });
  });

  it('wrong password → auth after one authenticated DESCRIBE (no loop)', async () => {
    const srv = await rtsp({ bothChallenges: true });
    expect(await probeRtsp(ctx(srv.port, { password: 'wrong' }))).toEqual({ outcome: 'auth', detail: 'RTSP 401' });
    expect(srv.requests.filter((r) => r.startsWith('DESCRIBE'))).toHaveLength(2);
    expect(srv.requests.filter((r) => r.startsWith('DESCRIBE Digest'))).toHaveLength(1);
  });

  it('server hangs up after 401: reconnects once and still verifies', async () => {
    const srv = await rtsp({ closeAfter401: true });
    expect(await probeRtsp(ctx(srv.port))).toEqual({ outcome: 'ok' });
    expect(await probeRtsp(ctx(srv.port, { password: 'x' }))).toEqual({ outcome: 'auth', detail: 'RTSP 401' });
  });

  it('unknown path → fail RTSP 404; a DESCRIBE 200 without SDP is not ok', async () => {
    const srv = await rtsp();
    expect(await probeRtsp(ctx(srv.port, { path: '/nope' }))).toEqual({ outcome: 'fail', detail: 'RTSP 404' });
    const empty = await rtsp({ sdp: 'hello' });
    expect(await probeRtsp(ctx(empty.port))).toEqual({ outcome: 'fail', detail: 'DESCRIBE 200 without SDP' });
  });

  it('OPTIONS answered, DESCRIBE never answered → timeout (OPTIONS alone is not ok)', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.on('data', (c: Buffer) => {
        if (c.toString().startsWith('OPTIONS')) s.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    running.push({
      port: 0,
      requests: [],
      connections: () => 0,
      close: () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    });
    const t0 = Date.now();
    const r = await probeRtsp(ctx((server.address() as AddressInfo).port, {}, 400));
    expect(r).toEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('silent server → timeout within the rung timeout; refused port → fail', async () => {
    const silent = await startSilentServer();
    running.push(silent);
    const t0 = Date.now();
    expect(await probeRtsp(ctx(silent.port, {}, 300))).toEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1000);
    const gone = await startSilentServer();
    await gone.close();
    expect(await probeRtsp(ctx(gone.port))).toEqual({ outcome: 'fail', detail: 'ECONNREFUSED' });
  });

  it('a non-RTSP peer (HTTP server on the port) → fail', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    running.push({ port: 0, requests: [], connections: () => 0, close: () => new Promise((r) => server.close(() => r())) });
    expect(await probeRtsp(ctx((server.address() as AddressInfo).port))).toEqual({ outcome: 'fail', detail: 'not RTSP' });
  });
});
