/** The naive baseline (onvif@0.8.3 Cam + ffmpeg) used by the bench: its ONVIF half on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineProbe } from '../../bench/agent-baseline.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, startSilentServer, type Running } from './fake-camera.ts';

let onvif: Running;
beforeAll(async () => {
  onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD, skewMs: 45_000 });
});
afterAll(() => onvif.close());

describe('baselineProbe (ONVIF part)', () => {
  it('right password: Cam connects (many requests, all to our loopback camera) and GetDeviceInformation passes', async () => {
    const before = onvif.requests.length;
    const r = await baselineProbe(loopbackCamera({ onvifPort: onvif.port }), { noFfmpeg: true, onvifTimeoutMs: 2000 });
    expect(r).toMatchObject({ onvifConnected: true, authOk: true, streamOk: false });
    const ops = onvif.requests.slice(before);
    expect(ops[0]).toBe('GetSystemDateAndTime');
    expect(ops).toContain('GetCapabilities');
    expect(ops.at(-1)).toBe('GetDeviceInformation');
    expect(ops.length).toBeGreaterThanOrEqual(4); // vs 2 ONVIF requests on the ladder
  });

  it('wrong password: connect() still "succeeds" — only GetDeviceInformation tells', async () => {
    const r = await baselineProbe(loopbackCamera({ onvifPort: onvif.port, password: 'wrong' }), { noFfmpeg: true, onvifTimeoutMs: 2000 });
    expect(r).toMatchObject({ onvifConnected: true, authOk: false, detail: 'GetDeviceInformation failed' });
  });

  it("silent camera: the configured timeout applies (not onvif's default 120 s)", async () => {
    const silent = await startSilentServer();
    try {
      const t0 = Date.now();
      const r = await baselineProbe(loopbackCamera({ onvifPort: silent.port }), { noFfmpeg: true, onvifTimeoutMs: 400 });
      expect(r.onvifConnected).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });
});
