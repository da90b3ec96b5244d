import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import { makeCameraSpecs } from '../../src/simulator/specs.ts';
import { clockOffsetFrom, soap } from './clients.ts';

let fleet: Fleet;
let cam: AgentCamera;
let other: AgentCamera;

beforeAll(async () => {
  const specs = makeCameraSpecs(4, { seed: 11 }).map((s) => ({ ...s, clockSkewMs: 0 }));
  fleet = await startFleet({ cameras: specs, hostBase: '127.21' });
  [cam, other] = fleet.endpoints() as [AgentCamera, AgentCamera];
});
afterAll(async () => {
  await fleet.close();
});

const creds = (c: AgentCamera, offsetMs = 0) => ({ username: c.username, password: c.password, offsetMs });

describe('ONVIF device service', () => {
  it('gives every camera its own loopback address with plain host+port endpoints', () => {
    const eps = fleet.endpoints();
    expect(new Set(eps.map((e) => e.host)).size).toBe(4);
    for (const e of eps) {
      expect(e.host).toMatch(/^127\.21\.1\.\d+$/);
      expect(e.onvifPort).toBeGreaterThan(0);
      expect(e.rtspPort).toBeGreaterThan(0);
      expect(e.onvifPath).toBe('/onvif/device_service');
      expect(e.rtspUrl).toBe(`rtsp://${e.host}:${e.rtspPort}/Streaming/Channels/101`);
      expect(e.rtspUrl).not.toContain('@');
    }
  });

  it('answers GetSystemDateAndTime without auth, with the camera clock in UTCDateTime', async () => {
    const r = await soap(cam, 'GetSystemDateAndTime');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/soap+xml');
    expect(r.text).toContain('<tds:GetSystemDateAndTimeResponse>');
    expect(r.text).toMatch(/<tt:UTCDateTime><tt:Time><tt:Hour>\d+<\/tt:Hour><tt:Minute>\d+<\/tt:Minute><tt:Second>\d+<\/tt:Second><\/tt:Time><tt:Date><tt:Year>20\d\d<\/tt:Year>/);
    expect(Math.abs(clockOffsetFrom(r.text))).toBeLessThan(2_000);
  });

  it('returns device information for a correct WS-Security digest, firmware as a string', async () => {
    const r = await soap(cam, 'GetDeviceInformation', creds(cam));
    expect(r.status).toBe(200);
    expect(r.text).toContain('<tds:Manufacturer>HIKVISION</tds:Manufacturer>');
    expect(r.text).toContain('<tds:FirmwareVersion>V5.4.0 build 160530</tds:FirmwareVersion>');
    expect(fleet.counters(cam.code).onvifRequests).toBeGreaterThanOrEqual(1);
  });

  it('refuses a wrong password with HTTP 400 and ter:NotAuthorized, and a missing token too', async () => {
    const before = fleet.counters(cam.code).onvifAuthFailures;
    const wrong = await soap(cam, 'GetDeviceInformation', { username: cam.username, password: 'nope' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('<env:Value>env:Sender</env:Value>');
    expect(wrong.text).toContain('<env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode>');
    const missing = await soap(cam, 'GetDeviceInformation');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('ter:NotAuthorized');
    // another camera's credentials do not open this one
    const foreign = await soap(cam, 'GetDeviceInformation', creds(other));
    expect(foreign.status).toBe(400);
    expect(fleet.counters(cam.code).onvifAuthFailures).toBe(before + 3);
  });

  it('with clock_skew: a token with the measured offset passes, one without fails', async () => {
    await fleet.setFault({ camera: cam.code }, 'clock_skew', { seconds: 900 });
    const t = await soap(cam, 'GetSystemDateAndTime');
    const offset = clockOffsetFrom(t.text);
    expect(Math.abs(offset - 900_000)).toBeLessThan(2_000);
    const naive = await soap(cam, 'GetDeviceInformation', creds(cam, 0));
    expect(naive.status).toBe(400);
    expect(naive.text).toContain('ter:NotAuthorized');
    const applied = await soap(cam, 'GetDeviceInformation', creds(cam, offset));
    expect(applied.status).toBe(200);
    // a small skew stays inside the ±5 min window even for a naive client
    await fleet.setFault({ camera: cam.code }, 'clock_skew', { seconds: -120 });
    expect((await soap(cam, 'GetDeviceInformation', creds(cam, 0))).status).toBe(200);
    await fleet.clearFault({ camera: cam.code }, 'clock_skew');
  });

  it("answers GetCapabilities and GetServices with this camera's XAddrs", async () => {
    const caps = await soap(cam, 'GetCapabilities');
    expect(caps.status).toBe(200);
    expect(caps.text).toContain(`<tt:XAddr>http://${cam.host}:${cam.onvifPort}/onvif/media_service</tt:XAddr>`);
    const svc = await soap(cam, 'GetServices', creds(cam), { inner: '<IncludeCapability>false</IncludeCapability>' });
    expect(svc.status).toBe(200);
    expect(svc.text).toContain(`<tds:XAddr>http://${cam.host}:${cam.onvifPort}/onvif/device_service</tds:XAddr>`);
    // a wrong token is refused even on an action that needs none
    expect((await soap(cam, 'GetCapabilities', { username: 'admin', password: 'x' })).status).toBe(400);
  });

  it('media service: profiles, stream URI (no credentials, &amp; escaped) and snapshot URI', async () => {
    const media = { path: '/onvif/media_service' };
    const p = await soap(cam, 'GetProfiles', creds(cam), media);
    expect(p.status).toBe(200);
    expect(p.text).toContain('<trt:Profiles token="Profile_1" fixed="true">');
    expect(p.text).toContain('<tt:Encoding>H264</tt:Encoding>');
    const s = await soap(cam, 'GetStreamUri', creds(cam), {
      ...media,
      inner: '<StreamSetup><Stream xmlns="http://www.onvif.org/ver10/schema">RTP-Unicast</Stream></StreamSetup><ProfileToken>Profile_2</ProfileToken>',
    });
    expect(s.status).toBe(200);
    expect(s.text).toContain(`<tt:Uri>rtsp://${cam.host}:${cam.rtspPort}/Streaming/Channels/102?transportmode=unicast&amp;profile=Profile_2</tt:Uri>`);
    const bad = await soap(cam, 'GetStreamUri', creds(cam), { ...media, inner: '<ProfileToken>nope</ProfileToken>' });
    expect(bad.status).toBe(400);
    const snap = await soap(cam, 'GetSnapshotUri', creds(cam), { ...media, inner: '<ProfileToken>Profile_1</ProfileToken>' });
    expect(snap.text).toContain(`<tt:Uri>http://${cam.host}:${cam.onvifPort}/onvif/snapshot</tt:Uri>`);
    expect((await soap(cam, 'GetProfiles', undefined, media)).status).toBe(400);
  });

  it('answers unknown actions, garbage bodies and wrong paths without crashing', async () => {
    const unknown = await soap(cam, 'GetHostname', creds(cam));
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('ter:ActionNotSupported');
    const { httpRequest } = await import('./clients.ts');
    const garbage = await httpRequest({ host: cam.host, port: cam.onvifPort, path: cam.onvifPath, method: 'POST', body: '\u0000<<not xml' });
    expect(garbage.status).toBe(400);
    const nf = await httpRequest({ host: cam.host, port: cam.onvifPort, path: '/nothing' });
    expect(nf.status).toBe(404);
    expect((await soap(cam, 'GetSystemDateAndTime')).status).toBe(200);
  });

  it('works with the onvif npm client (connect + getDeviceInformation, firmware stays a string)', async () => {
    const { Cam } = (await import('onvif')) as unknown as { Cam: new (o: object, cb: (err: Error | null) => void) => OnvifCam };
    interface OnvifCam {
      getDeviceInformation(cb: (err: Error | null, info: { manufacturer: string; firmwareVersion: unknown }) => void): void;
    }
    const device = await new Promise<OnvifCam>((resolve, reject) => {
      const c: OnvifCam = new Cam({ hostname: cam.host, port: cam.onvifPort, path: cam.onvifPath, username: cam.username, password: cam.password, timeout: 3_000 }, (err) =>
        err ? reject(err) : resolve(c),
      );
    });
    const info = await new Promise<{ manufacturer: string; firmwareVersion: unknown }>((resolve, reject) =>
      device.getDeviceInformation((err, i) => (err ? reject(err) : resolve(i))),
    );
    expect(info.manufacturer).toBe('HIKVISION');
    expect(String(info.firmwareVersion)).toBe('V5.4.0 build 160530');
  });
});
