/**
 * The ladder: order, first failing rung names the fault, skipped rungs, auth back-off.
 * Against in-test ONVIF/RTSP responders, for the faults a real server does not make on demand
 * (a clock 3 h off, Connection: close, a port that accepts and never answers, rungs that throw,
 * deadlines). The full ladder against a real RTSP server (GStreamer, with and without the
 * right password, frame included) is in gstreamer.test.ts; against the real-protocol simulator
 * in test/e2e/agent-hub.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_BACKOFF, LADDER_DEADLINE, authFailed, fullyVerified, loginAttempted, probeCamera } from '../../edge-agent/ladder.ts';
import type { RungProbe } from '../../edge-agent/probes/types.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, startFakeRtsp, startSilentServer, type Running } from './fake-camera.ts';

let onvif: Running;
let skewed: Running;
let rtsp: Running;
let silent: Running;
let deadPort = 0;
beforeAll(async () => {
  onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
  skewed = await startFakeOnvif({ vendor: 'axis', username: 'admin', password: PASSWORD, skewMs: -3 * 3_600_000 });
  rtsp = await startFakeRtsp({ username: 'admin', password: PASSWORD, bothChallenges: true });
  silent = await startSilentServer();
  const gone = await startSilentServer();
  deadPort = gone.port;
  await gone.close();
});
afterAll(async () => {
  await Promise.all([onvif, skewed, rtsp, silent].map((r) => r.close()));
});

const outcomes = (r: { rungs: { rung: string; outcome: string }[] }): string[] => r.rungs.map((x) => `${x.rung}:${x.outcome}`);

describe('probeCamera', () => {
  it('healthy camera: tcp, onvif_time, onvif_auth, rtsp ok; frame skipped unless asked', async () => {
    const t0 = Date.now();
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port }));
    expect(outcomes(r)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:ok', 'rtsp:ok', 'frame:skipped']);
    expect(r.fault).toBeNull();
    expect(r.camera).toBe('37092300001310000001');
    expect(r.at).toBeGreaterThanOrEqual(t0);
    expect(Math.abs(r.clockOffsetMs ?? NaN)).toBeLessThanOrEqual(1000);
    for (const x of r.rungs.slice(0, 4)) expect(x.ms).toBeGreaterThanOrEqual(0);
    expect(fullyVerified(r)).toBe(true);
    expect(loginAttempted(r)).toBe(true);
    expect(authFailed(r)).toBe(false);
  });

  it('the tcp rung hands its connection to onvif_time, which keeps it for onvif_auth: one ONVIF connection per ladder', async () => {
    const before = onvif.connections();
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port }));
    expect(r.fault).toBeNull();
    expect(onvif.connections() - before).toBe(1);
  });

  it('a camera that answers Connection: close gets a fresh connection for the auth rung, still ok', async () => {
    const closing = await startFakeOnvif({ username: 'admin', password: PASSWORD, noKeepAlive: true });
    try {
      const r = await probeCamera(loopbackCamera({ onvifPort: closing.port, rtspPort: rtsp.port }));
      expect(r.fault).toBeNull();
      expect(closing.connections()).toBe(2);
    } finally {
      await closing.close();
    }
  });

  it('refused port → tcp fail → unreachable; every later rung skipped', async () => {
    const r = await probeCamera(loopbackCamera({ onvifPort: deadPort, rtspPort: deadPort }), { withFrame: true });
    expect(r.fault).toBe('unreachable');
    expect(outcomes(r)).toEqual(['tcp:fail', 'onvif_time:skipped', 'onvif_auth:skipped', 'rtsp:skipped', 'frame:skipped']);
    expect(r.rungs[0]?.detail).toBe('ECONNREFUSED');
    expect(r.clockOffsetMs).toBeNull();
    expect(loginAttempted(r)).toBe(false);
  });

  it('accepts but never answers → onvif_time timeout within its timeout → onvif_down', async () => {
    const t0 = Date.now();
    const r = await probeCamera(loopbackCamera({ onvifPort: silent.port, rtspPort: rtsp.port }), { timeouts: { onvif_time: 300 } });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.fault).toBe('onvif_down');
    expect(outcomes(r).slice(0, 3)).toEqual(['tcp:ok', 'onvif_time:timeout', 'onvif_auth:skipped']);
    expect(r.rungs[1]?.ms).toBeGreaterThanOrEqual(290);
  });

  it('camera clock 3 h behind: offset measured and applied, auth passes', async () => {
    const r = await probeCamera(loopbackCamera({ onvifPort: skewed.port, rtspPort: rtsp.port }));
    expect(r.fault).toBeNull();
    expect(Math.abs((r.clockOffsetMs ?? NaN) + 3 * 3_600_000)).toBeLessThanOrEqual(1000);
  });

  it('wrong password → auth_failed at onvif_auth; rtsp never sees the bad password', async () => {
    const before = rtsp.requests.length;
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port, password: 'guess' }));
    expect(r.fault).toBe('auth_failed');
    expect(outcomes(r)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:auth', 'rtsp:skipped', 'frame:skipped']);
    expect(authFailed(r)).toBe(true);
    expect(loginAttempted(r)).toBe(true);
    expect(rtsp.requests.length).toBe(before);
    expect(JSON.stringify(r)).not.toContain('guess');
  });

  it('skipAuth (auth back-off): no credentials sent, auth rungs skipped, not counted as verified', async () => {
    const before = onvif.requests.length;
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port, password: 'guess' }), { skipAuth: true, withFrame: true });
    expect(outcomes(r)).toEqual(['tcp:ok', 'onvif_time:ok', 'onvif_auth:skipped', 'rtsp:skipped', 'frame:skipped']);
    expect(r.rungs.slice(2).every((x) => x.detail === AUTH_BACKOFF)).toBe(true);
    expect(onvif.requests.slice(before)).toEqual(['GetSystemDateAndTime']);
    expect(r.fault).toBeNull();
    expect(loginAttempted(r)).toBe(false);
    expect(fullyVerified(r)).toBe(false);
  });

  it('skipAuth still finds an unreachable camera', async () => {
    const r = await probeCamera(loopbackCamera({ onvifPort: deadPort }), { skipAuth: true });
    expect(r.fault).toBe('unreachable');
  });

  it('ONVIF fine, RTSP port refused → stream_down', async () => {
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: deadPort }));
    expect(r.fault).toBe('stream_down');
    expect(outcomes(r).slice(3)).toEqual(['rtsp:fail', 'frame:skipped']);
  });

  it('frame rung failing → no_frame; a throwing rung → fail with no message leaked', async () => {
    const noFrame: RungProbe = { rung: 'frame', usesCredentials: true, run: async () => ({ outcome: 'fail', detail: 'decode error' }) };
    const r = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port }), { withFrame: true, probes: { frame: noFrame } });
    expect(r.fault).toBe('no_frame');
    const boom: RungProbe = {
      rung: 'rtsp',
      usesCredentials: true,
      run: async () => {
        throw new TypeError(`rtsp://admin:${PASSWORD}@x`);
      },
    };
    const r2 = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: rtsp.port }), { probes: { rtsp: boom } });
    expect(r2.fault).toBe('stream_down');
    expect(r2.rungs[3]).toMatchObject({ rung: 'rtsp', outcome: 'fail', detail: 'TypeError' });
    expect(JSON.stringify(r2)).not.toContain(PASSWORD);
  });

  it('timeoutMs caps the whole ladder: later rungs get what is left, then time out', async () => {
    const seen: number[] = [];
    const slow = (rung: RungProbe['rung']): RungProbe => ({
      rung,
      usesCredentials: false,
      run: async (c) => {
        seen.push(c.timeoutMs);
        await new Promise((r) => setTimeout(r, 120));
        return { outcome: 'ok' };
      },
    });
    const probes = { tcp: slow('tcp'), onvif_time: slow('onvif_time'), onvif_auth: slow('onvif_auth'), rtsp: slow('rtsp') };
    const r = await probeCamera(loopbackCamera({}), { timeoutMs: 300, probes });
    expect(seen[0]).toBeGreaterThanOrEqual(298);
    expect(seen[0]).toBeLessThanOrEqual(300);
    expect(seen[1]).toBeLessThanOrEqual(185);
    expect(seen[2]).toBeLessThanOrEqual(65);
    expect(r.rungs[3]).toMatchObject({ rung: 'rtsp', outcome: 'timeout', detail: LADDER_DEADLINE });
    expect(r.fault).toBe('stream_down');
  });

  it('rung timeouts are passed to each rung', async () => {
    const seen: number[] = [];
    const spy = (rung: RungProbe['rung']): RungProbe => ({
      rung,
      usesCredentials: false,
      run: async (c) => {
        seen.push(c.timeoutMs);
        return { outcome: 'ok' };
      },
    });
    await probeCamera(loopbackCamera({}), {
      withFrame: true,
      timeouts: { tcp: 11, onvif_time: 22, onvif_auth: 33, rtsp: 44, frame: 55 },
      probes: { tcp: spy('tcp'), onvif_time: spy('onvif_time'), onvif_auth: spy('onvif_auth'), rtsp: spy('rtsp'), frame: spy('frame') },
    });
    expect(seen).toEqual([11, 22, 33, 44, 55]);
  });
});
