import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, parseChallenges } from '../../src/protocol/digest-auth.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import type { SimCameraSpec } from '../../src/simulator/types.ts';
import { RtspClient, soap, tcpProbe, type ClientError } from './clients.ts';

// two sites of two cameras: A1 A2 on site A, B1 B2 on site B
const specs: SimCameraSpec[] = ['A1', 'A2', 'B1', 'B2'].map((code) => ({
  code,
  siteId: `site-${code[0]}`,
  username: 'admin',
  password: `pw-${code}`,
}));
let fleet: Fleet;
const ep = (code: string): AgentCamera => fleet.endpoint(code);

beforeAll(async () => {
  fleet = await startFleet({ cameras: specs, hostBase: '127.24' });
});
afterEach(async () => {
  await fleet.clearAllFaults();
});
afterAll(async () => {
  await fleet.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errCode = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: ClientError) => e.code,
  );

async function rtspDescribeStatus(c: AgentCamera): Promise<number> {
  const client = await RtspClient.open(c.host, c.rtspPort);
  try {
    const first = await client.request('DESCRIBE', c.rtspUrl, 1);
    if (first.status !== 401) return first.status;
    const ch = parseChallenges(first.all('WWW-Authenticate'))[0]!;
    const r = await client.request('DESCRIBE', c.rtspUrl, 2, { Authorization: authorizationHeader(ch, c, 'DESCRIBE', c.rtspUrl) });
    return r.status;
  } finally {
    client.close();
  }
}

describe('faults, observed from the client side', () => {
  it('power on a site: every port of its cameras refuses; the other site is untouched; restore keeps the ports', async () => {
    const before = ep('A1');
    await fleet.setFault({ site: 'site-A' }, 'power');
    for (const code of ['A1', 'A2']) {
      expect(await tcpProbe(ep(code).host, ep(code).onvifPort)).toBe('ECONNREFUSED');
      expect(await tcpProbe(ep(code).host, ep(code).rtspPort)).toBe('ECONNREFUSED');
      expect(fleet.expectedFault(code)).toBe('unreachable');
    }
    expect(await tcpProbe(ep('B1').host, ep('B1').onvifPort)).toBe('connected');
    expect(fleet.expectedFault('B1')).toBeNull();
    await fleet.clearFault({ site: 'site-A' }, 'power');
    expect(ep('A1')).toEqual(before);
    expect((await soap(ep('A1'), 'GetSystemDateAndTime')).status).toBe(200);
  });

  it('power cuts connections that were open', async () => {
    const c = await RtspClient.open(ep('B2').host, ep('B2').rtspPort);
    expect((await c.request('OPTIONS', ep('B2').rtspUrl, 1)).status).toBe(200);
    await fleet.setFault({ camera: 'B2' }, 'power');
    expect(await errCode(c.request('OPTIONS', ep('B2').rtspUrl, 2, {}, 500))).toMatch(/CLOSED|ECONNRESET|EPIPE/);
    c.close();
  });

  it('hang: TCP connects, but neither ONVIF nor RTSP ever answers (client timeout)', async () => {
    await fleet.setFault({ camera: 'A2' }, 'hang');
    const c = ep('A2');
    expect(await tcpProbe(c.host, c.onvifPort)).toBe('connected');
    expect(await errCode(soap(c, 'GetSystemDateAndTime', undefined, { timeoutMs: 300 }))).toBe('TIMEOUT');
    const r = await RtspClient.open(c.host, c.rtspPort);
    expect(await errCode(r.request('OPTIONS', c.rtspUrl, 1, {}, 300))).toBe('TIMEOUT');
    r.close();
    expect(fleet.expectedFault('A2')).toBe('onvif_down');
    await fleet.clearFault({ camera: 'A2' }, 'hang');
    expect((await soap(c, 'GetSystemDateAndTime')).status).toBe(200);
  });

  it('rtsp_down: ONVIF answers (auth included), RTSP refuses', async () => {
    await fleet.setFault({ camera: 'B1' }, 'rtsp_down');
    const c = ep('B1');
    expect((await soap(c, 'GetDeviceInformation', c)).status).toBe(200);
    expect(await tcpProbe(c.host, c.rtspPort)).toBe('ECONNREFUSED');
    expect(fleet.expectedFault('B1')).toBe('stream_down');
    await fleet.clearFault({ camera: 'B1' });
    expect(await rtspDescribeStatus(c)).toBe(200);
  });

  it('password_changed: ONVIF NotAuthorized, RTSP 401, unauthenticated time still answers', async () => {
    const c = ep('A1');
    expect(await rtspDescribeStatus(c)).toBe(200);
    await fleet.setFault({ site: 'site-A' }, 'password_changed');
    const info = await soap(c, 'GetDeviceInformation', c);
    expect(info.status).toBe(400);
    expect(info.text).toContain('ter:NotAuthorized');
    expect(await rtspDescribeStatus(c)).toBe(401);
    expect((await soap(c, 'GetSystemDateAndTime')).status).toBe(200);
    expect(fleet.expectedFault('A1')).toBe('auth_failed');
    // the endpoint still carries the credentials the hub knows (the old ones)
    expect(ep('A1').password).toBe('pw-A1');
  });

  it('slow: answers arrive after N ms; a client with a shorter timeout gives up', async () => {
    await fleet.setFault({ camera: 'B2' }, 'slow', { ms: 300 });
    const c = ep('B2');
    const t0 = Date.now();
    expect((await soap(c, 'GetSystemDateAndTime')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(await errCode(soap(c, 'GetSystemDateAndTime', undefined, { timeoutMs: 100 }))).toBe('TIMEOUT');
    const r = await RtspClient.open(c.host, c.rtspPort);
    const t1 = Date.now();
    expect((await r.request('OPTIONS', c.rtspUrl, 1)).status).toBe(200);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(280);
    r.close();
    expect(fleet.expectedFault('B2')).toBeNull();
    expect(fleet.expectedFault('B2', 200)).toBe('onvif_down');
  });

  it('flapping: down first, then up, then down again, every period', async () => {
    const c = ep('A1');
    await fleet.setFault({ camera: 'A1' }, 'flapping', { periodS: 0.5 });
    const seen: string[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 1_700) {
      seen.push(await tcpProbe(c.host, c.onvifPort, 200));
      await sleep(50);
    }
    const transitions = seen.filter((s, i) => i > 0 && s !== seen[i - 1]).length;
    expect(seen[0]).toBe('ECONNREFUSED');
    expect(seen).toContain('connected');
    expect(transitions).toBeGreaterThanOrEqual(2);
    await fleet.clearFault({ camera: 'A1' }, 'flapping');
    expect(await tcpProbe(c.host, c.onvifPort)).toBe('connected');
  });

  it('a camera fault overrides nothing of its neighbours; faults() lists what is set', async () => {
    await fleet.setFault({ site: 'site-B' }, 'rtsp_down');
    await fleet.setFault({ camera: 'A2' }, 'clock_skew', { seconds: 600 });
    expect(
      fleet
        .faults()
        .map((f) => `${f.scope}:${f.target}:${f.fault}`)
        .sort(),
    ).toEqual(['camera:A2:clock_skew', 'site:site-B:rtsp_down']);
    expect(fleet.state('B1').rtspListening).toBe(false);
    expect(fleet.state('A1').rtspListening).toBe(true);
    expect(fleet.state('A2').extraSkewMs).toBe(600_000);
    await expect(fleet.setFault({ camera: 'nope' }, 'power')).rejects.toThrow(/unknown camera/);
    await expect(fleet.setFault({ camera: 'A1' }, 'slow')).rejects.toThrow(/ms/);
  });
});

describe('close()', () => {
  it('closes every listener and socket', async () => {
    const f = await startFleet({ cameras: specs.slice(0, 2), hostBase: '127.25' });
    const c = f.endpoints()[0]!;
    await f.setFault({ camera: c.code }, 'flapping', { periodS: 10 }); // starts the flapping ticker
    const open = await RtspClient.open(c.host, c.rtspPort).catch((e: ClientError) => e.code);
    expect(open).toBe('ECONNREFUSED');
    await f.clearFault({ camera: c.code });
    const client = await RtspClient.open(c.host, c.rtspPort);
    expect((await client.request('OPTIONS', c.rtspUrl, 1)).status).toBe(200);
    expect(f.openSockets()).toBe(1);
    await f.close();
    expect(f.openSockets()).toBe(0);
    expect(await tcpProbe(c.host, c.onvifPort)).toBe('ECONNREFUSED');
    expect(await tcpProbe(c.host, c.rtspPort)).toBe('ECONNREFUSED');
    expect(await client.next(500).catch((e: ClientError) => e.code)).toMatch(/CLOSED|ECONNRESET/);
    client.close();
  });

  it('refuses non-loopback addresses', async () => {
    await expect(startFleet({ cameras: specs, hostBase: '10.0' })).rejects.toThrow(/loopback/);
  });
});
