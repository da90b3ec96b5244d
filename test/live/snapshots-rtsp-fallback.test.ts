/**
 * The snapshot source's RTSP fallback (ONVIF not answering) with the real frame grab
 * (edge-agent/frame-grab.ts: the agent's own RTSP session, ffmpeg decoding):
 * - a camera offering only Basic and configured `httpAuth: 'basic'` gives its frame (the setting
 *   reaches the grab), one not so configured is refused without its password being sent;
 * - a camera at its RTSP session limit (GStreamer's RTSP server with max_sessions 1, another
 *   viewer holding the session) shows as busy, not as a failure nor as unreachable, also while
 *   the fallback is held back.
 */
import { createServer } from 'node:net';
import jpeg from 'jpeg-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoginGuard } from '../../edge-agent/login-guard.ts';
import { SnapshotSource } from '../../edge-agent/snapshots.ts';
import { createLogger } from '../../src/log.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import { loopbackCamera, PASSWORD } from '../agent-probes/cam.ts';
import { encodedKeyFrame } from '../agent-probes/encoded-frame.ts';
import { type GstServer, startGstServer } from '../agent-probes/gst-server.ts';
import { holdSession } from '../agent-probes/rtsp-holder.ts';
import { h264Sdp, nalUnits, packetize, type ScriptedCamera, type ScriptedReply, type ScriptedRequest, startScriptedCamera } from '../agent-probes/scripted-rtsp.ts';
import { describeWithPeer } from '../support/peers.ts';

const quiet = createLogger('test', { write: () => true } as unknown as NodeJS.WritableStream);

let closedPort = 0;
beforeAll(async () => {
  closedPort = await new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });
});

describe('snapshot RTSP fallback, a camera offering only Basic', () => {
  let cams: ScriptedCamera[] = [];
  afterEach(async () => {
    await Promise.all(cams.map((c) => c.close()));
    cams = [];
  });
  const basicOnly = (req: ScriptedRequest): ScriptedReply => {
    if (req.method === 'TEARDOWN') return { status: '200 OK' };
    if (req.headers.get('authorization') !== `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`)
      return { status: '401 Unauthorized', headers: ['WWW-Authenticate: Basic realm="old"'] };
    if (req.method === 'DESCRIBE') return { status: '200 OK', headers: [`Content-Base: ${req.uri}/`], body: h264Sdp() };
    if (req.method === 'SETUP') return { status: '200 OK', headers: [`Transport: ${req.headers.get('transport')};server_port=6970-6971`, 'Session: 5150;timeout=60'] };
    return { status: '200 OK', headers: ['Session: 5150'] };
  };
  const start = async () => {
    const c = await startScriptedCamera(basicOnly, packetize(nalUnits(encodedKeyFrame('h264')), { codec: 'h264' }));
    cams.push(c);
    return c;
  };
  const camOf = (c: ScriptedCamera, extra: Partial<AgentCamera> = {}): AgentCamera => ({
    ...loopbackCamera({ onvifPort: closedPort, rtspPort: Number(new URL(c.url).port), path: new URL(c.url).pathname }),
    ...extra,
  });

  it('configured httpAuth: basic → the frame, via rtsp', { timeout: 20_000 }, async () => {
    const c = await start();
    const r = await new SnapshotSource({ timeoutMs: 8000, guard: new LoginGuard(0), log: quiet }).grab(camOf(c, { httpAuth: 'basic' }));
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.via).toBe('rtsp');
    expect(jpeg.decode(r.jpeg).width).toBeGreaterThan(0);
  });

  it('not so configured → auth, and the password never went out', { timeout: 20_000 }, async () => {
    const c = await start();
    const r = await new SnapshotSource({ timeoutMs: 8000, guard: new LoginGuard(0), log: quiet }).grab(camOf(c));
    expect(r).toMatchObject({ ok: false, reason: 'auth' });
    expect(c.requests.some((q) => q.headers.has('authorization'))).toBe(false);
  });
});

describeWithPeer('gstreamer', 'snapshot RTSP fallback, a camera at its session limit (GStreamer, max_sessions 1)', () => {
  let gst: GstServer;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { maxSessions: 1 });
  }, 20_000);
  afterAll(async () => gst?.stop());

  it('shows busy (not fail, not unreachable), also while the fallback is held back; freed → a frame', { timeout: 40_000 }, async () => {
    const cam = loopbackCamera({ onvifPort: closedPort, rtspPort: gst.port, path: '/stream' });
    let now = 1_000_000;
    const src = new SnapshotSource({ timeoutMs: 8000, rtspRetryMs: 10_000, now: () => now, guard: new LoginGuard(0), log: quiet });
    const nvr = await holdSession(gst.url, 'admin', PASSWORD);
    try {
      expect(nvr.statuses).toEqual([200, 200, 200]);
      const r = await src.grab(cam);
      expect(r).toMatchObject({ ok: false, reason: 'busy', detail: expect.stringMatching(/^busy: /) });
      now += 1000; // within the back-off: no new RTSP session tried, still busy
      expect(await src.grab(cam)).toMatchObject({ ok: false, reason: 'busy' });
    } finally {
      await nvr.release();
    }
    now += 10_000;
    const again = await src.grab(cam);
    expect(again.ok, JSON.stringify(again)).toBe(true);
  });
});
