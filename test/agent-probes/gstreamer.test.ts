/**
 * Against a REAL third-party RTSP server: GStreamer's gst-rtsp-server (Digest auth only,
 * videotestsrc ! x264enc), started from test/support/gst-rtsp-server.py. Needs the `gstreamer`
 * test peer (test/support/peers.ts): skipped without it, failed with SHARPEYES_REQUIRE_PEERS=1.
 *
 * The frame rung runs RTSP itself and hands ffmpeg one key frame on stdin: checked here with
 * ffmpeg's own /proc/<pid>/cmdline (no URL, no credentials), a camera at its session limit
 * (GstRTSPSessionPool max_sessions, another viewer holding the session: busy, online), a
 * camera refusing TCP-interleaved RTP (UDP only: the frame comes over UDP), H.265 and
 * Motion JPEG.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { grabFrame, resolveFfmpegPath } from '../../edge-agent/frame-grab.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { probeFrame } from '../../edge-agent/probes/frame.ts';
import { probeRtsp } from '../../edge-agent/probes/rtsp.ts';
import { describeWithPeer } from '../support/peers.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, type Running } from './fake-camera.ts';
import { startGstServer, type GstServer } from './gst-server.ts';
import { holdSession } from './rtsp-holder.ts';

function expectJpeg320(buf: Buffer): void {
  expect([...buf.subarray(0, 2)]).toEqual([0xff, 0xd8]);
  const img = jpeg.decode(buf);
  expect([img.width, img.height]).toEqual([320, 240]);
}

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

  it('frame grab returns one decodable JPEG of the stream size, over TCP-interleaved RTP', async () => {
    const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.transport).toBe('tcp');
    expect([...r.jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);
    expectJpeg320(r.jpeg);
  }, 15_000);

  it('ffmpeg decodes from stdin: its command line as `ps` shows it (/proc/<pid>/cmdline) holds no URL and no credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ffmpeg-argv-'));
    try {
      // stands in for ffmpeg, records what ps would show of it, then becomes the real ffmpeg (same pid, same argv)
      const wrapper = join(dir, 'ffmpeg');
      writeFileSync(wrapper, `#!/bin/sh\ntr '\\0' ' ' < /proc/$$/cmdline > ${dir}/cmdline\nexec ${resolveFfmpegPath()} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000, ffmpegPath: wrapper });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const cmdline = readFileSync(join(dir, 'cmdline'), 'utf8');
      expect(cmdline).toContain('pipe:0');
      for (const secret of [PASSWORD, 'admin', 'rtsp:', '127.0.0.1', String(gst.port)]) expect(cmdline).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);

  it('frame grab with a wrong password → auth, password nowhere in the result', async () => {
    const r = await grabFrame({ url: gst.url, username: 'admin', password: 'Wr0ngPassw0rd', timeoutMs: 8_000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('auth');
    expect(JSON.stringify(r)).not.toContain('Wr0ngPassw0rd');
  }, 10_000);

  it('full ladder with frame: every rung ok, skewed clock measured (+90 s)', async () => {
    const r = await probeCamera(cam(), { withFrame: true, timeouts: { frame: 10_000 } });
    expect(
      r.rungs.map((x) => `${x.rung}:${x.outcome}`),
      JSON.stringify(r.rungs),
    ).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:ok', 'rtsp:ok', 'frame:ok']);
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

describeWithPeer('gstreamer', 'gst-rtsp-server at its session limit (max_sessions 1, another viewer holds it)', () => {
  let gst: GstServer;
  let onvif: Running;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { maxSessions: 1 });
    onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
  }, 20_000);
  afterAll(async () => {
    await Promise.all([gst?.stop(), onvif?.close()]);
  });
  const cam = () => loopbackCamera({ onvifPort: onvif.port, rtspPort: gst.port, path: '/stream' });

  it('SETUP answered 503 → busy; the ladder says alive (no fault), frame rung ok noted busy; freed → a frame again', async () => {
    const nvr = await holdSession(gst.url, 'admin', PASSWORD);
    try {
      expect(nvr.statuses).toEqual([200, 200, 200]);
      const g = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 8_000 });
      expect(g).toMatchObject({ ok: false, reason: 'busy', detail: 'busy: SETUP RTSP 503 Service Unavailable' });
      const r = await probeCamera(cam(), { withFrame: true, timeouts: { frame: 8_000 } });
      expect(r.fault).toBeNull();
      expect(r.busy).toBe(true);
      expect(r.rungs.map((x) => `${x.rung}:${x.outcome}`)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:ok', 'rtsp:ok', 'frame:ok']);
      expect(r.rungs[4]?.detail).toBe('busy: SETUP RTSP 503 Service Unavailable');
    } finally {
      await nvr.release();
    }
    const again = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 8_000 });
    expect(again.ok, JSON.stringify(again)).toBe(true);
  }, 30_000);
});

describeWithPeer('gstreamer', 'gst-rtsp-server refusing TCP-interleaved RTP (UDP only)', () => {
  let gst: GstServer;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { udpOnly: true });
  }, 20_000);
  afterAll(async () => gst?.stop());

  it('the interleaved SETUP is answered 461 (as a real camera would) …', async () => {
    const viewer = await holdSession(gst.url, 'admin', PASSWORD);
    await viewer.release();
    expect(viewer.statuses).toEqual([200, 461]);
  });

  it('… and the frame comes over UDP, decoded', async () => {
    const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.transport).toBe('udp');
    expectJpeg320(r.jpeg);
  }, 15_000);

  it('the ladder’s frame rung: ok, over UDP', async () => {
    const r = await probeRtspFrameOnly(gst.port);
    expect(r).toMatchObject({ outcome: 'ok' });
    expect(r.detail).toMatch(/ B JPEG, RTP over UDP$/);
  }, 15_000);
});

describeWithPeer('gstreamer', 'gst-rtsp-server sending H.265 (x265enc ! rtph265pay)', () => {
  let gst: GstServer;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { codec: 'h265' });
  }, 20_000);
  afterAll(async () => gst?.stop());

  it('one key frame depacketized (RFC 7798) and decoded', async () => {
    expect(gst.codec).toBe('h265');
    const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) expectJpeg320(r.jpeg);
  }, 15_000);
});

describeWithPeer('gstreamer', 'gst-rtsp-server sending Motion JPEG (jpegenc ! rtpjpegpay)', () => {
  let gst: GstServer;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { codec: 'jpeg' });
  }, 20_000);
  afterAll(async () => gst?.stop());

  it('one image rebuilt from RFC 2435 and decoded', async () => {
    expect(gst.codec).toBe('jpeg');
    const r = await grabFrame({ url: gst.url, username: 'admin', password: PASSWORD, timeoutMs: 10_000 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) expectJpeg320(r.jpeg);
  }, 15_000);
});

function probeRtspFrameOnly(port: number) {
  return probeFrame({ cam: loopbackCamera({ rtspPort: port, path: '/stream' }), timeoutMs: 10_000, clockOffsetMs: null });
}
