/**
 * End to end over loopback: simulator cameras (real JPEGs behind digest) → real agent command
 * channel (ONVIF GetSnapshotUri + HTTP GET) → hub relay → viewer WebSockets.
 */
import jpeg from 'jpeg-js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandChannel } from '../../edge-agent/command-channel.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS } from '../../edge-agent/config.ts';
import { AGENT_A, AGENT_B } from '../support/tiny-county.ts';
import { openViewer, startAgentChannel, startLiveEnv, until, type LiveEnv, type TestViewer } from './live-env.ts';

const INTERVAL = 250;

/** The HTTP status a WebSocket upgrade gets with this bearer token (101 when it opens). */
function upgradeStatus(url: string, token: string): Promise<number> {
  return new Promise<number>((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    ws.on('unexpected-response', (_q, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => undefined);
  });
}

describe('live relay end to end', () => {
  let env: LiveEnv;
  let agentA: CommandChannel;
  let agentB: CommandChannel;
  beforeAll(async () => {
    // 100 viewers share the admin's session below: above the default per-user cap on live sockets
    env = await startLiveEnv('127.40', { intervalMs: INTERVAL, graceMs: 400, staleAfterMs: 1000 }, { sessions: { channelCaps: { liveSocketsPerUser: 200 } } });
    agentA = startAgentChannel(env, 'a');
    agentB = startAgentChannel(env, 'b');
    await until(() => agentA.connected && agentB.connected, 5000, 'agents connected');
  });
  afterAll(async () => {
    await agentA?.close();
    await agentB?.close();
    await env?.close();
  });

  it('a grid worker gets real JPEG frames of a camera in their grid, with camera id and capture time', async () => {
    const v = await openViewer(env, env.tokens.worker);
    const t0 = Date.now();
    v.send({ type: 'subscribe', cameras: ['c01'] });
    const sub = await v.next((m) => m.type === 'subscribed');
    expect(sub).toMatchObject({ camera: 'c01' });
    await until(() => v.frames.length >= 3, 5000, 'three frames');
    const f = v.frames[0]!;
    expect(f.camera).toBe('c01');
    expect(f.capturedAt).toBeGreaterThanOrEqual(t0 - 50);
    expect(f.capturedAt).toBeLessThanOrEqual(Date.now());
    expect(v.frames.map((x) => x.seq)).toEqual([...v.frames.map((x) => x.seq)].sort((a, b) => a - b));
    await v.next((m) => m.type === 'state' && m.state === 'live');
    // a real JPEG from the simulator: decodes to its 320×180 test pattern
    const raw: Buffer[] = [];
    v.ws.once('message', (d: Buffer, bin: boolean) => bin && raw.push(d));
    await until(() => raw.length === 1, 3000, 'raw frame');
    const buf = raw[0]!;
    const img = jpeg.decode(buf.subarray(4 + buf.readUInt32BE(0)));
    expect([img.width, img.height]).toEqual([320, 180]);
    await v.close();
    // the hub keeps the last frame: the crew board shows it; scope applies
    const shot = await fetch(`${env.hubUrl}/api/cameras/c01/snapshot`, { headers: { authorization: `Bearer ${env.tokens.crewA}` } });
    expect(shot.status).toBe(200);
    expect(shot.headers.get('content-type')).toBe('image/jpeg');
    expect(Number(shot.headers.get('x-captured-at'))).toBeGreaterThanOrEqual(t0 - 50);
    expect(jpeg.decode(Buffer.from(await shot.arrayBuffer())).width).toBe(320);
    expect((await fetch(`${env.hubUrl}/api/cameras/c01/snapshot`, { headers: { authorization: `Bearer ${env.tokens.crewB}` } })).status).toBe(404);
    expect((await fetch(`${env.hubUrl}/api/cameras/c09/snapshot`, { headers: { authorization: `Bearer ${env.tokens.admin}` } })).status).toBe(404);
  });

  it('100 viewers on one camera: exactly one upstream pull per frame, every frame to every viewer', async () => {
    const viewers: TestViewer[] = [];
    for (let i = 0; i < 100; i++) viewers.push(await openViewer(env, env.tokens.admin));
    const startsBefore = env.live.relay.counters.startsSent;
    for (const v of viewers) v.send({ type: 'subscribe', cameras: ['c02'] });
    await until(() => viewers.every((v) => v.frames.length >= 1), 8000, 'every viewer has a frame');
    expect(env.live.relay.counters.startsSent - startsBefore).toBe(1);
    // counted over frames, not over a time window (no wall-clock bet): 10 more frames each
    const pulls0 = env.fleet.snapshotPulls('c02');
    const skipped0 = env.live.relay.counters.framesSkipped;
    const got0 = viewers.map((v) => v.frames.length);
    await until(() => viewers.every((v, i) => v.frames.length >= got0[i]! + 10), 20_000, '10 more frames for every viewer');
    const pulls = env.fleet.snapshotPulls('c02') - pulls0;
    const seqs = viewers.map((v, i) => v.frames.slice(got0[i]!).map((f) => f.seq));
    const distinct = new Set(seqs.flat()).size;
    // one upstream pull per frame, not one per viewer (100 viewers × 10 frames would be 1,000) …
    expect(Math.abs(pulls - distinct)).toBeLessThanOrEqual(2);
    // … and every viewer got every frame, in order (± the one in flight at either edge)
    for (const s of seqs) {
      expect(Math.abs(s.length - distinct)).toBeLessThanOrEqual(1);
      expect(s).toEqual([...s].sort((a, b) => a - b));
    }
    expect(env.live.relay.counters.framesSkipped).toBe(skipped0);
    // the last viewer leaves → the stream stops after the grace period, and so do the pulls
    const stops = env.live.relay.counters.stopsSent;
    await Promise.all(viewers.map((v) => v.close()));
    await until(() => env.live.relay.counters.stopsSent === stops + 1, 3000, 'stream stopped');
    // proof by events: the same agent streams c05 for 4 frames (≥ 3 intervals) while c02's pulls stay put
    const after = env.fleet.snapshotPulls('c02');
    const probe = await openViewer(env, env.tokens.admin);
    probe.send({ type: 'subscribe', cameras: ['c05'] });
    await until(() => probe.frames.filter((f) => f.camera === 'c05').length >= 4, 8000, 'frames of c05');
    await probe.close();
    expect(env.fleet.snapshotPulls('c02') - after).toBeLessThanOrEqual(1); // at most the one in flight at the stop
  });

  it('a camera that loses power turns stale; its last good frame stays; it goes live again', async () => {
    const v = await openViewer(env, env.tokens.worker);
    v.send({ type: 'subscribe', cameras: ['c03'] });
    await until(() => v.frames.length >= 2, 5000, 'frames of c03');
    await env.fleet.setFault({ camera: 'c03' }, 'power');
    const stale = await v.next((m) => m.type === 'state' && m.camera === 'c03' && m.state === 'stale', 5000);
    expect(stale).toMatchObject({ state: 'stale' });
    expect((stale as { reason: string }).reason).toMatch(/unreachable/);
    // a newcomer still sees the last good frame, flagged stale
    const late = await openViewer(env, env.tokens.crewA);
    late.send({ type: 'subscribe', cameras: ['c03'] });
    await until(() => late.frames.length === 1, 3000, 'kept frame');
    expect(late.frames[0]).toMatchObject({ camera: 'c03', stale: true });
    expect(await late.next((m) => m.type === 'subscribed')).toMatchObject({ state: 'stale' });
    await env.fleet.clearFault({ camera: 'c03' });
    await v.next((m) => m.type === 'state' && m.camera === 'c03' && m.state === 'live' && v.messages.indexOf(m) > v.messages.indexOf(stale), 8000);
    const n = v.frames.length;
    await until(() => v.frames.length > n, 3000, 'frames again');
    await v.close();
    await late.close();
  });

  it('agent disconnects → viewers are told; streams resume when it returns', async () => {
    const v = await openViewer(env, env.tokens.admin);
    v.send({ type: 'subscribe', cameras: ['c04', 'c07'] });
    await until(() => v.frames.some((f) => f.camera === 'c04') && v.frames.some((f) => f.camera === 'c07'), 5000, 'frames of c04 and c07');
    await agentA.close();
    const told = await v.next((m) => m.type === 'state' && m.camera === 'c04' && m.state === 'agent_offline');
    expect(told).toMatchObject({ camera: 'c04' });
    expect(v.messages.some((m) => m.type === 'state' && m.camera === 'c07' && m.state === 'agent_offline')).toBe(false);
    const c04Before = v.frames.filter((f) => f.camera === 'c04').length;
    // while c07 (agent b) streams on for 3 frames, c04 (agent a, gone) gets at most the one in flight
    const c07Before = v.frames.filter((f) => f.camera === 'c07').length;
    await until(() => v.frames.filter((f) => f.camera === 'c07').length >= c07Before + 3, 5000, 'c07 streams on');
    expect(v.frames.filter((f) => f.camera === 'c04').length).toBeLessThanOrEqual(c04Before + 1);
    agentA = startAgentChannel(env, 'a');
    await v.next((m) => m.type === 'state' && m.camera === 'c04' && m.state === 'live' && v.messages.indexOf(m) > v.messages.indexOf(told), 5000);
    await until(() => v.frames.filter((f) => f.camera === 'c04').length >= c04Before + 2, 5000, 'c04 resumed');
    await v.close();
  });

  it('scope: worker-1 (grid ga1) cannot subscribe to c06; the refusal says why', async () => {
    const v = await openViewer(env, env.tokens.worker);
    v.send({ type: 'subscribe', cameras: ['c02', 'c06', 'c99'] });
    const refused = await v.next((m) => m.type === 'refused' && m.camera === 'c06');
    expect(refused).toMatchObject({ reason: 'camera c06 is not in your scope (or does not exist)' });
    await v.next((m) => m.type === 'refused' && m.camera === 'c99');
    await v.next((m) => m.type === 'subscribed' && m.camera === 'c02');
    await until(() => v.frames.length >= 3, 5000, 'frames');
    expect(new Set(v.frames.map((f) => f.camera))).toEqual(new Set(['c02']));
    await v.close();
  });

  it('bad messages get a clear error and the socket stays open', async () => {
    const v = await openViewer(env, env.tokens.worker);
    const errors = () => v.messages.filter((m) => m.type === 'error') as { code: string; message: string }[];
    const cases: [unknown, string, RegExp][] = [
      ['not json {', 'bad_json', /not valid JSON/],
      [[1, 2], 'bad_message', /JSON object with a "type"/],
      [{ type: 'subscribe' }, 'bad_message', /"cameras" must be a non-empty array of camera codes/],
      [{ type: 'subscribe', cameras: [] }, 'bad_message', /non-empty array/],
      [{ type: 'subscribe', cameras: [42] }, 'bad_message', /42 is not a camera code/],
      [{ type: 'subscribe', cameras: ['../etc'] }, 'bad_message', /is not a camera code/],
      [{ type: 'subscribe', cameras: ['c01'], rate: 100 }, 'bad_message', /unknown field\(s\) "rate"/],
      [{ type: 'subscribe', cameras: Array.from({ length: 17 }, (_, i) => `c${i}`) }, 'bad_message', /at most 16 cameras/],
      [{ type: 'dance' }, 'bad_message', /unknown message type "dance"/],
    ];
    for (const [i, [msg, code, re]] of cases.entries()) {
      v.send(msg);
      await until(() => errors().length === i + 1, 2000, `error for case ${i}`);
      expect(errors()[i]!.code, JSON.stringify(msg)).toBe(code);
      expect(errors()[i]!.message, JSON.stringify(msg)).toMatch(re);
    }
    expect(v.ws.readyState).toBe(WebSocket.OPEN);
    v.send({ type: 'subscribe', cameras: ['c01'] });
    await v.next((m) => m.type === 'subscribed' && m.camera === 'c01');
    await v.close();
  });

  it('authentication: by first message; none → told; a bad token is closed with 4401', async () => {
    const byMsg = await openViewer(env, env.tokens.worker, 'message');
    expect(byMsg.messages[0]).toMatchObject({ type: 'ready', user: 'worker-1', role: 'worker' });
    await byMsg.close();
    const anon = await openViewer(env, '', 'none');
    anon.send({ type: 'subscribe', cameras: ['c01'] });
    expect(await anon.next((m) => m.type === 'error')).toMatchObject({ code: 'not_authenticated' });
    const closed = new Promise<number>((r) => anon.ws.once('close', (code) => r(code)));
    anon.send({ type: 'auth', token: 'forged' });
    expect(await anon.next((m) => m.type === 'error' && m.code === 'unauthorized')).toBeTruthy();
    expect(await closed).toBe(4401);
    // the agent channel wants an agent token before the upgrade
    expect(await upgradeStatus(`${env.hubUrl.replace('http:', 'ws:')}/api/agent/channel`, 'nope')).toBe(401);
    // a user's token is not an agent's
    const user = await upgradeStatus(`${env.hubUrl.replace('http:', 'ws:')}/api/agent/channel`, env.tokens.admin);
    expect(user).toBe(401);
    expect(AGENT_A.token).not.toBe(env.tokens.admin);
  });

  it('nearby: cameras in scope within the radius, nearest first', async () => {
    const get = (token: string, q: string) => env.t.hub.app.inject({ method: 'GET', url: `/api/cameras/nearby?${q}`, headers: { authorization: `Bearer ${token}` } });
    // standing at c02 (35.901, 116.401): c01 and c03 ≈ 140 m away, c04 ≈ 280 m (grid ga2: not the worker's)
    const w = (await get(env.tokens.worker, 'lat=35.901&lon=116.401&radius=500')).json();
    expect(w.items.map((c: { code: string }) => c.code)).toEqual(['c02', 'c01', 'c03']);
    expect(w.items[0].distanceM).toBe(0);
    expect(w.items[1].distanceM).toBeGreaterThan(100);
    expect(w.items[1].distanceM).toBeLessThan(160);
    expect(w.items[0]).not.toHaveProperty('password');
    const a = (await get(env.tokens.admin, 'lat=35.901&lon=116.401&radius=500')).json();
    expect(a.items.map((c: { code: string }) => c.code)).toEqual(['c02', 'c01', 'c03', 'c04', 'c05']);
    const near = (await get(env.tokens.admin, 'lat=35.901&lon=116.401&radius=150')).json();
    expect(near.items.map((c: { code: string }) => c.code).sort()).toEqual(['c01', 'c02', 'c03']);
    expect((await get(env.tokens.worker, 'lat=95&lon=116')).statusCode).toBe(400);
    expect((await get(env.tokens.worker, 'lon=116')).statusCode).toBe(400);
    expect((await env.t.hub.app.inject({ method: 'GET', url: '/api/cameras/nearby?lat=35.9&lon=116.4' })).statusCode).toBe(401);
  });

  it('a full edge Agent (agent.ts) brings its command channel along, and closes it on stop', async () => {
    await agentB.close();
    await until(() => !env.live.agents.isConnected('agent-b'), 3000, 'agent-b gone');
    const agent = new Agent(
      { ...DEFAULTS, hubUrl: env.hubUrl, token: AGENT_B.token, dataDir: mkdtempSync(join(tmpdir(), 'se-live-agent-')), metricsPort: null, cycleMs: 60_000, probeTimeoutMs: 1000 },
      { probe: async (cam) => ({ camera: cam.code, at: Date.now(), fault: null, rungs: [], clockOffsetMs: null }) },
    );
    await agent.start();
    try {
      await until(() => env.live.agents.isConnected('agent-b'), 5000, 'agent-b command channel');
      const v = await openViewer(env, env.tokens.crewB);
      v.send({ type: 'subscribe', cameras: ['c08'] });
      await until(() => v.frames.filter((f) => f.camera === 'c08').length >= 2, 5000, 'frames of c08 through the Agent');
      await v.close();
    } finally {
      await agent.stop();
    }
    await until(() => !env.live.agents.isConnected('agent-b'), 3000, 'channel closed with the agent');
  });
});
