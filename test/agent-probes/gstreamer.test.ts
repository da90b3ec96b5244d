/**
 * Against a REAL third-party RTSP server: GStreamer's gst-rtsp-server (Digest auth only,
 * videotestsrc ! x264enc), started from test/support/gst-rtsp-server.py. Needs the `gstreamer`
 * test peer (test/support/peers.ts): skipped without it, failed with SHARPEYES_REQUIRE_PEERS=1.
 */
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { grabFrame } from '../../edge-agent/frame-grab.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { probeRtsp } from '../../edge-agent/probes/rtsp.ts';
import { describeWithPeer } from '../support/peers.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, type Running } from './fake-camera.ts';
import { startGstServer, type GstServer } from './gst-server.ts';

describeWithPeer('gstreamer', 'gst-rtsp-server (Digest)', () => {
  let gst: GstServer;
  let onvif: Running;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD);
    onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD, skewMs: 90_000 });
  }, 20_000);
  afterAll(async () => {
    await Promise.all([gst?.stop(), onvif?.close()]);
  });

  const cam = (password = PASSWORD) => loopbackCamera({ onvifPort: onvif.port, rtspPort: gst.port, path: '/stream', password });

  it('rtsp rung: right credentials → ok (DESCRIBE answered with SDP)', async () => {
    expect(await probeRtsp({ cam: cam(), timeoutMs: 3000, clockOffsetMs: null })).toEqual({ outcome: 'ok' });
  });

  it('rtsp rung: wrong password → auth', async () => {
    expect(await probeRtsp({ cam: cam('wrong-pw'), timeoutMs: 3000, clockOffsetMs: null })).toEqual({ outcome: 'auth', detail: 'RTSP 401' });
  });

  it('rtsp rung: unknown mount → fail RTSP 404 (stream_down, not auth)', async () => {
    const c = { ...cam(), rtspUrl: `rtsp://127.0.0.1:${gst.port}/nothing-here` };
    expect(await probeRtsp({ cam: c, timeoutMs: 3000, clockOffsetMs: null })).toEqual({ outcome: 'fail', detail: 'RTSP 404' });
  });

  it('ffmpeg frame grab returns one decodable JPEG of the stream size', async () => {
    const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...r.jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);
    const img = jpeg.decode(r.jpeg);
    expect([img.width, img.height]).toEqual([320, 240]);
  }, 15_000);

  it('ffmpeg frame grab with a wrong password → auth, password nowhere in the result', async () => {
    const r = await grabFrame({ url: gst.url, username: 'admin', password: 'Wr0ngPassw0rd', timeoutMs: 8_000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('auth');
    expect(JSON.stringify(r)).not.toContain('Wr0ngPassw0rd');
  }, 10_000);

  it('full ladder with frame: every rung ok, skewed clock measured (+90 s)', async () => {
    const r = await probeCamera(cam(), { withFrame: true, timeouts: { frame: 10_000 } });
    expect(r.rungs.map((x) => `${x.rung}:${x.outcome}`)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:ok', 'rtsp:ok', 'frame:ok']);
    expect(r.fault).toBeNull();
    expect(Math.abs((r.clockOffsetMs ?? NaN) - 90_000)).toBeLessThanOrEqual(1000);
  }, 15_000);

  it('full ladder, wrong password: ONVIF refuses first → auth_failed at onvif_auth, later rungs skipped', async () => {
    const r = await probeCamera(cam('bad'), { withFrame: true });
    expect(r.fault).toBe('auth_failed');
    expect(r.rungs.map((x) => x.outcome)).toEqual(['ok', 'ok', 'auth', 'skipped', 'skipped']);
  });

  it('full ladder, ONVIF accepts but the RTSP server refuses → auth_failed at rtsp', async () => {
    const other = await startFakeOnvif({ username: 'admin', password: 'onvif-only' });
    try {
      const c = loopbackCamera({ onvifPort: other.port, rtspPort: gst.port, path: '/stream', password: 'onvif-only' });
      const r = await probeCamera(c, { withFrame: true });
      expect(r.fault).toBe('auth_failed');
      expect(r.rungs.map((x) => x.outcome)).toEqual(['ok', 'ok', 'ok', 'auth', 'skipped']);
    } finally {
      await other.close();
    }
  });
});
