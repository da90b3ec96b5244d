import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import { makeCameraSpecs } from '../../src/simulator/specs.ts';
import { httpRequest, soap, tcpProbe } from './clients.ts';

let fleet: Fleet;
let base: URL;

beforeAll(async () => {
  fleet = await startFleet({ cameras: makeCameraSpecs(20, { seed: 8 }), hostBase: '127.26', controlPort: 0 });
  base = new URL(fleet.controlUrl!);
});
afterAll(async () => {
  await fleet.close();
});

async function call(method: string, path: string, body?: unknown) {
  const r = await httpRequest({
    host: base.hostname,
    port: Number(base.port),
    path,
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: JSON.parse(r.text) as unknown };
}

describe('control API', () => {
  it('listens on 127.0.0.1 and lists the cameras without passwords', async () => {
    expect(base.hostname).toBe('127.0.0.1');
    const r = await call('GET', '/cameras');
    expect(r.status).toBe(200);
    const cams = r.json as { code: string; host: string; onvifPort: number; password?: string; state: { powered: boolean } }[];
    expect(cams).toHaveLength(20);
    expect(cams.every((c) => c.password === undefined && c.state.powered)).toBe(true);
    const raw = JSON.stringify(r.json);
    for (const e of fleet.endpoints()) expect(raw).not.toContain(e.password);
  });

  it('switches a site power fault at run time and back', async () => {
    const cams = fleet.endpoints();
    const site = cams[0]!.siteId!;
    const onSite = cams.filter((c) => c.siteId === site);
    const offSite = cams.find((c) => c.siteId !== site)!;
    const set = await call('POST', '/faults', { site, fault: 'power' });
    expect(set.status).toBe(201);
    for (const c of onSite) expect(await tcpProbe(c.host, c.onvifPort)).toBe('ECONNREFUSED');
    expect(await tcpProbe(offSite.host, offSite.onvifPort)).toBe('connected');
    const listed = (await call('GET', '/faults')).json as { scope: string; target: string; fault: string }[];
    expect(listed).toEqual([expect.objectContaining({ scope: 'site', target: site, fault: 'power' })]);
    const states = (await call('GET', '/cameras')).json as { code: string; expectedFault: string | null }[];
    expect(
      states
        .filter((s) => s.expectedFault === 'unreachable')
        .map((s) => s.code)
        .sort(),
    ).toEqual(onSite.map((c) => c.code).sort());
    const del = await call('DELETE', `/faults/site/${encodeURIComponent(site)}/power`);
    expect(del.json).toEqual({ cleared: 1 });
    for (const c of onSite) expect(await tcpProbe(c.host, c.onvifPort)).toBe('connected');
  });

  it('sets camera faults with parameters and clears all', async () => {
    const c = fleet.endpoints()[3]!;
    expect((await call('POST', '/faults', { camera: c.code, fault: 'clock_skew', seconds: 1200 })).status).toBe(201);
    expect(fleet.state(c.code).extraSkewMs).toBe(1_200_000);
    expect((await call('POST', '/faults', { camera: c.code, fault: 'password_changed' })).status).toBe(201);
    expect((await soap(c, 'GetDeviceInformation', { ...c, offsetMs: 1_200_000 })).status).toBe(400);
    expect((await call('DELETE', '/faults')).status).toBe(200);
    expect(fleet.faults()).toEqual([]);
    expect((await soap(c, 'GetDeviceInformation', c)).status).toBe(200);
  });

  it('reports counters per camera and in total', async () => {
    const c = fleet.endpoints()[5]!;
    await call('POST', '/counters/reset');
    await soap(c, 'GetSystemDateAndTime');
    await soap(c, 'GetDeviceInformation', c);
    const one = (await call('GET', `/counters/${c.code}`)).json as { onvifRequests: number; onvifConnections: number };
    expect(one.onvifRequests).toBe(2);
    expect(one.onvifConnections).toBe(2);
    const all = (await call('GET', '/counters')).json as { totals: { onvifRequests: number }; cameras: Record<string, unknown> };
    expect(all.totals.onvifRequests).toBe(2);
    expect(Object.keys(all.cameras)).toHaveLength(20);
  });

  it('rejects bad requests with 400/404 and stays up', async () => {
    expect((await call('POST', '/faults', { camera: 'x', fault: 'meteor' })).status).toBe(400);
    expect((await call('POST', '/faults', { camera: 'not-a-camera', fault: 'power' })).status).toBe(400);
    expect((await call('POST', '/faults', { fault: 'power' })).status).toBe(400);
    expect((await call('POST', '/faults', { camera: fleet.endpoints()[0]!.code, fault: 'slow' })).status).toBe(400);
    expect((await call('GET', '/nothing')).status).toBe(404);
    const r = await httpRequest({ host: base.hostname, port: Number(base.port), path: '/faults', method: 'POST', body: '{not json' });
    expect(r.status).toBe(400);
    expect((await call('GET', '/faults')).status).toBe(200);
  });
});
