/**
 * The agent's snapshot source against the simulator (ONVIF GetSnapshotUri + digest GET) and
 * against GStreamer's RTSP server (ffmpeg fallback; needs the `gstreamer` test peer, see
 * test/support/peers.ts): caching, sharing, back-off, size cap.
 */
import { createServer } from 'node:net';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotSource } from '../../edge-agent/snapshots.ts';
import type { FrameGrabOptions, FrameGrabResult } from '../../edge-agent/frame-grab.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';
import { startGstServer } from '../agent-probes/gst-server.ts';
import { itWithPeer } from '../support/peers.ts';

describe('SnapshotSource', () => {
  let fleet: Fleet;
  const ffmpegCalls: FrameGrabOptions[] = [];
  const fakeFfmpeg = async (o: FrameGrabOptions): Promise<FrameGrabResult> => {
    ffmpegCalls.push(o);
    return { ok: false, reason: 'fail', detail: 'Connection refused', ms: 1 };
  };
  beforeAll(async () => {
    fleet = await startFleet({ cameras: makeCameraSpecs(6, { seed: 3 }), hostBase: '127.42' });
  });
  afterAll(async () => fleet?.close());
  const cam = (i: number) => fleet.endpoints()[i]!;

  it('ONVIF snapshot URI looked up once, then one digest GET per frame (challenge reused)', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg });
    const c = cam(0);
    for (let i = 0; i < 4; i++) {
      const r = await src.grab(c);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      expect(r.via).toBe('onvif');
      const img = jpeg.decode(r.jpeg);
      expect([img.width, img.height]).toEqual([320, 180]);
    }
    expect(src.counters.uriLookups).toBe(1);
    expect(fleet.snapshotPulls(c.code)).toBe(4);
    // only the very first GET went without credentials (401 + challenge); the nonce is reused after that
    expect(fleet.counters(c.code).snapshotAuthFailures).toBe(1);
    expect(ffmpegCalls).toHaveLength(0);
  });

  it('concurrent grabs of one camera share one upstream pull', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg });
    const c = cam(1);
    await src.grab(c);
    const before = fleet.snapshotPulls(c.code);
    const rs = await Promise.all(Array.from({ length: 5 }, () => src.grab(c)));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(fleet.snapshotPulls(c.code) - before).toBe(1);
  });

  it('a stale cached URI is looked up again', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg });
    const c = cam(2);
    expect((await src.grab(c)).ok).toBe(true);
    const memo = (src as unknown as { memo: Map<string, { uri: URL }> }).memo.get(c.code)!;
    memo.uri = new URL(memo.uri.origin + '/moved/snapshot.jpg'); // the camera answers 404 there
    const r = await src.grab(c);
    expect(r.ok).toBe(true);
    expect(src.counters.uriLookups).toBe(2);
  });

  it('refused credentials: reason auth, and no second login during the back-off', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg, authBackoffMs: 60_000 });
    const c = cam(3);
    await fleet.setFault({ camera: c.code }, 'password_changed');
    const r = await src.grab(c);
    expect(r).toMatchObject({ ok: false, reason: 'auth' });
    const requests = fleet.counters(c.code).onvifRequests;
    const r2 = await src.grab(c);
    expect(r2).toMatchObject({ ok: false, reason: 'auth' });
    expect(fleet.counters(c.code).onvifRequests).toBe(requests);
    expect(ffmpegCalls.some((o) => o.url.includes(c.host))).toBe(false); // no RTSP login either
    await fleet.clearFault({ camera: c.code });
  });

  it('an unpowered camera is unreachable; ffmpeg is tried once, then held back', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg, rtspRetryMs: 60_000 });
    const c = cam(4);
    await fleet.setFault({ camera: c.code }, 'power');
    const calls = ffmpegCalls.length;
    expect(await src.grab(c)).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(await src.grab(c)).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(ffmpegCalls.length - calls).toBe(1);
    expect(ffmpegCalls.at(-1)!.url).not.toMatch(/@/); // credentials go separately, never in the URL
    await fleet.clearFault({ camera: c.code });
  });

  it('size cap: an image over maxBytes is refused', async () => {
    const src = new SnapshotSource({ grabFrame: fakeFfmpeg, maxBytes: 1000 });
    expect(await src.grab(cam(5))).toMatchObject({ ok: false, reason: 'too_large' });
  });

  itWithPeer('gstreamer', 'no ONVIF answer: one frame via ffmpeg from a real RTSP server (GStreamer, digest auth)', { timeout: 30_000 }, async () => {
    const gst = await startGstServer('live', 'live-pw-123');
    const closedPort = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    try {
      const src = new SnapshotSource({ timeoutMs: 8000 });
      const r = await src.grab({
        code: 'gst',
        host: '127.0.0.1',
        onvifPort: closedPort,
        onvifPath: '/onvif/device_service',
        rtspPort: gst.port,
        rtspUrl: gst.url,
        username: 'live',
        password: 'live-pw-123',
        siteId: null,
      });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      expect(r.via).toBe('rtsp');
      const img = jpeg.decode(r.jpeg);
      expect([img.width, img.height]).toEqual([320, 240]);
      const bad = await new SnapshotSource({ timeoutMs: 8000 }).grab({
        code: 'gst2',
        host: '127.0.0.1',
        onvifPort: closedPort,
        onvifPath: '/',
        rtspPort: gst.port,
        rtspUrl: gst.url,
        username: 'live',
        password: 'wrong',
        siteId: null,
      });
      expect(bad).toMatchObject({ ok: false, reason: 'auth' });
    } finally {
      await gst.stop();
    }
  });
});
