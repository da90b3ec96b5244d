/** onvif_time and onvif_auth against a loopback ONVIF device service (real vendor answers). */
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { onvifAuth } from '../../edge-agent/probes/onvif-auth.ts';
import { clockOffsetFrom, onvifTime } from '../../edge-agent/probes/onvif-time.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, startSilentServer, type Running } from './fake-camera.ts';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
async function onvif(o: Parameters<typeof startFakeOnvif>[0]): Promise<Running> {
  const r = await startFakeOnvif(o);
  running.push(r);
  return r;
}
const PATH = '/onvif/device_service';

describe('clock offset', () => {
  it('is camera time + ½ s (whole-second rounding) minus the request midpoint', () => {
    expect(clockOffsetFrom(10_000, 9_000, 9_200)).toBe(10_000 + 500 - 9_100);
    expect(clockOffsetFrom(2_000, 1_000, 1_002)).toBe(1_499);
  });
});

describe('onvif_time', () => {
  it.each([0, 3_600_000, -7_200_000, 125_000])('measures a camera clock skewed by %i ms (±1 s)', async (skew) => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, skewMs: skew });
    const r = await onvifTime('127.0.0.1', cam.port, PATH, 2000);
    expect(r.outcome).toBe('ok');
    expect(Math.abs((r.clockOffsetMs ?? NaN) - skew)).toBeLessThanOrEqual(1000);
    expect(cam.requests).toEqual(['GetSystemDateAndTime']);
  });

  it('a camera that wants auth even for the time: ok, offset from the HTTP Date header', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, skewMs: 600_000, timeNeedsAuth: true });
    const r = await onvifTime('127.0.0.1', cam.port, PATH, 2000);
    expect(r.outcome).toBe('ok');
    expect(r.detail).toBe('time needs auth');
    expect(Math.abs((r.clockOffsetMs ?? NaN) - 600_000)).toBeLessThanOrEqual(1000);
  });

  it('a handed-over socket the camera drops: one fresh connection, still ok', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD });
    // a front that hangs up on the first connection's request and forwards later ones to the camera
    let n = 0;
    const front = createServer((c) => {
      c.on('error', () => {});
      if (n++ === 0) return void c.once('data', () => c.destroy());
      const up = connect(cam.port, '127.0.0.1');
      up.on('error', () => c.destroy());
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    running.push({ port: 0, requests: [], connections: () => 0, close: () => new Promise((r) => front.close(() => r())) });
    const port = (front.address() as AddressInfo).port;
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const r = await onvifTime('127.0.0.1', port, PATH, 2000, s);
    expect(r.outcome).toBe('ok');
    expect(n).toBe(2);
    expect(cam.requests).toEqual(['GetSystemDateAndTime']);
  });

  it('silent server → timeout within the rung timeout; refused → fail ECONNREFUSED', async () => {
    const silent = await startSilentServer();
    running.push(silent);
    const t0 = Date.now();
    expect(await onvifTime('127.0.0.1', silent.port, PATH, 300)).toEqual({ outcome: 'timeout', detail: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1000);
    const closed = await startSilentServer();
    const port = closed.port;
    await closed.close();
    expect(await onvifTime('127.0.0.1', port, PATH, 1000)).toEqual({ outcome: 'fail', detail: 'ECONNREFUSED' });
  });
});

describe('onvif_auth (WS-Security digest)', () => {
  it.each(['hikvision', 'axis', 'pelco', 'trendnet', 'milesight'] as const)('%s: right password → ok', async (vendor) => {
    const cam = await onvif({ vendor, username: 'admin', password: PASSWORD });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r).toEqual({ outcome: 'ok' });
  });

  it.each([400, 500] as const)('wrong password → auth (NotAuthorized fault with HTTP %i), one request only', async (faultStatus) => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, faultStatus });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port, password: 'wrong' }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r.outcome).toBe('auth');
    expect(r.detail).toBe(`HTTP ${faultStatus} ter:NotAuthorized`);
    expect(cam.requests).toEqual(['GetDeviceInformation']);
  });

  it('skewed camera clock (+2 h): fails without the offset, passes with the measured one', async () => {
    const skew = 2 * 3_600_000;
    const cam = await onvif({ username: 'admin', password: PASSWORD, skewMs: skew });
    const c = loopbackCamera({ onvifPort: cam.port });
    expect((await onvifAuth({ cam: c, timeoutMs: 2000, clockOffsetMs: 0 })).outcome).toBe('auth');
    const time = await onvifTime('127.0.0.1', cam.port, PATH, 2000);
    expect(await onvifAuth({ cam: c, timeoutMs: 2000, clockOffsetMs: time.clockOffsetMs ?? null })).toEqual({ outcome: 'ok' });
  });

  it('negative skew (−40 min) works the same way', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, skewMs: -40 * 60_000 });
    const c = loopbackCamera({ onvifPort: cam.port });
    const time = await onvifTime('127.0.0.1', cam.port, PATH, 2000);
    expect(await onvifAuth({ cam: c, timeoutMs: 2000, clockOffsetMs: time.clockOffsetMs ?? null })).toEqual({ outcome: 'ok' });
  });
});

describe('onvif_auth (HTTP 401 + WWW-Authenticate → HTTP digest)', () => {
  it('answers the challenge once: right password → ok after two requests', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, auth: 'http-digest' });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r).toEqual({ outcome: 'ok' });
    expect(cam.requests).toEqual(['GetDeviceInformation', 'GetDeviceInformation']);
  });

  it('wrong password → auth after exactly two requests (no loop)', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, auth: 'http-digest' });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port, password: 'nope' }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r).toEqual({ outcome: 'auth', detail: 'HTTP 401 unauthorized' });
    expect(cam.requests).toHaveLength(2);
  });

  it('never puts the password in the detail', async () => {
    const cam = await onvif({ username: 'admin', password: PASSWORD, auth: 'http-digest' });
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port, password: 'Hunter2-secret' }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(JSON.stringify(r)).not.toContain('Hunter2');
  });
});
