/**
 * End to end on loopback: the camera simulator (real ONVIF + RTSP), an edge agent with the
 * real ladder, and the hub on PGlite. Faults are switched in the simulator and read back
 * through the hub; the hub is stopped mid-run and nothing the agent measured is lost.
 */
import { until } from '../support/wait.ts';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS } from '../../edge-agent/config.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { createLogger } from '../../src/log.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';

const TOKEN = 'e2e-agent-token-0123456789';
const CYCLE = 1000;

function writeConfig(dir: string, fleet: Fleet): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'county.yaml'),
    `county: { id: e2e, name: E2E }\ntowns:\n  - id: t1\n    name: 一镇\n    kind: town\n    communities:\n      - id: v1\n        name: 一村\n        kind: village\n        grids:\n          - { id: g1, name: 一网格, kind: rural }\n          - { id: g2, name: 二网格, kind: rural }\n`,
  );
  writeFileSync(join(dir, 'agents.yaml'), `agents:\n  - { id: e2e, name: E2E, token: ${TOKEN}, towns: [t1] }\n`);
  writeFileSync(join(dir, 'users.yaml'), `users:\n  - { username: admin, role: admin, password: e2e-admin }\n`);
  const rows = fleet
    .endpoints()
    .map((e, i) =>
      [
        e.code,
        `cam ${i}`,
        i % 2 ? 'g2' : 'g1',
        e.siteId ?? '',
        '',
        '',
        e.host,
        e.onvifPort,
        e.onvifPath,
        e.rtspPort,
        new URL(e.rtspUrl).pathname,
        'hikvision',
        e.username,
        e.password,
        '',
      ].join(','),
    );
  writeFileSync(join(dir, 'cameras.csv'), 'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n');
}

describe('agent → hub over loopback against the simulator', () => {
  let fleet: Fleet;
  let t: TestHub;
  let agent: Agent;
  let port = 0;
  const agentLog: string[] = [];
  const codes: string[] = [];
  const specs = makeCameraSpecs(24, { seed: 11 });

  beforeAll(async () => {
    fleet = await startFleet({ cameras: specs, hostBase: '127.44' });
    for (const e of fleet.endpoints()) codes.push(e.code);
    const configDir = mkdtempSync(join(tmpdir(), 'se-e2e-'));
    writeConfig(configDir, fleet);
    await fleet.setFault({ camera: codes[0]! }, 'power');
    await fleet.setFault({ camera: codes[1]! }, 'password_changed');
    await fleet.setFault({ camera: codes[2]! }, 'clock_skew', { seconds: 3600 });
    await fleet.setFault({ camera: codes[3]! }, 'hang');
    t = await startTestHub('pglite', { configDir, monitor: { staleAfterMs: 60_000 } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.hub.app.server.address() as { port: number }).port;
    const sink = new Writable({
      write: (c, _e, cb) => {
        agentLog.push(String(c));
        cb();
      },
    });
    agent = new Agent(
      {
        ...DEFAULTS,
        hubUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        dataDir: mkdtempSync(join(tmpdir(), 'se-e2e-agent-')),
        metricsPort: null,
        cycleMs: CYCLE,
        probeTimeoutMs: 800,
        authBackoffMs: 4000,
        retryBaseMs: 100,
        retryMaxMs: 500,
      },
      { probe: probeCamera, log: createLogger('agent', sink) },
    );
    await agent.start();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await t?.close();
    await fleet?.close();
  });

  it('probes every camera for real and names each fault by the first failing rung', async () => {
    const m = t.hub.monitor;
    await until(() => [...m.cameras.values()].every((c) => c.state !== 'unknown'), 15_000, 'all cameras known');
    expect(m.cameras.get(codes[0]!)).toMatchObject({ state: 'offline', fault: 'unreachable' });
    expect(m.cameras.get(codes[1]!)).toMatchObject({ state: 'offline', fault: 'auth_failed' });
    expect(m.cameras.get(codes[3]!)).toMatchObject({ state: 'offline', fault: 'onvif_down' });
    const online = [...m.cameras.values()].filter((c) => c.state === 'online').length;
    expect(online).toBe(21);
  });

  it('a skewed camera clock still authenticates and its offset is reported', () => {
    const skewed = t.hub.monitor.cameras.get(codes[2]!)!;
    expect(skewed.state).toBe('online');
    expect(Math.abs(skewed.clockOffsetMs! - 3_600_000 - (specs[2]!.clockSkewMs ?? 0))).toBeLessThan(2000);
    // every camera's own drift is measured too (the simulator gives each a small one)
    for (let i = 4; i < 24; i++) expect(Math.abs(t.hub.monitor.cameras.get(codes[i]!)!.clockOffsetMs! - (specs[i]!.clockSkewMs ?? 0)), codes[i]).toBeLessThan(2000);
  });

  it('a wrong password gets one login per back-off window, not one per cycle', async () => {
    const before = fleet.counters(codes[1]!).onvifAuthFailures + fleet.counters(codes[1]!).rtspAuthFailures;
    await new Promise((r) => setTimeout(r, 4 * CYCLE + 500)); // 4.5 cycles, one 4 s window
    const after = fleet.counters(codes[1]!).onvifAuthFailures + fleet.counters(codes[1]!).rtspAuthFailures;
    expect(after - before).toBeLessThanOrEqual(2);
    expect(t.hub.monitor.cameras.get(codes[1]!)).toMatchObject({ state: 'offline', fault: 'auth_failed' });
  });

  it('a fault switched on at run time reaches the hub within a cycle and a timeout', async () => {
    const cam = t.hub.monitor.cameras.get(codes[6]!)!;
    expect(cam.state).toBe('online');
    const t0 = Date.now();
    await fleet.setFault({ camera: codes[6]! }, 'rtsp_down');
    await until(() => cam.failStreak >= 1, CYCLE + 800 + 1500, 'first failing result');
    expect(cam.fault).toBe('stream_down');
    await until(() => cam.state === 'offline', 5 * CYCLE, 'offline after the debounce');
    expect(Date.now() - t0).toBeGreaterThan(2 * CYCLE - 200); // three failures, one per cycle
  });

  it('hub down for a while, then back: every batch the agent made is in the ledger, none twice', async () => {
    const seqsBefore = await t.hub.db.query<{ n: number }>(`select count(*)::int as n from ingest_batches`);
    expect(seqsBefore[0]!.n).toBeGreaterThan(3);
    await t.hub.close();
    await new Promise((r) => setTimeout(r, 5 * CYCLE));
    expect(agent.status().spool.batches).toBeGreaterThan(0);
    const hub = await t.restart({ configDir: t.configDir });
    await hub.app.listen({ port, host: '127.0.0.1' });
    await until(() => agent.status().spool.batches === 0, 20_000, 'spool replayed');
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await hub.db.query<{ seq: string }>(`select seq::text from ingest_batches order by seq`);
    const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
    // contiguous from the first: nothing lost; the primary key says nothing twice
    expect(seqs.at(-1)! - seqs[0]! + 1, JSON.stringify({ seqs, status: agent.status() })).toBe(seqs.length);
    expect(agent.status().spool.droppedBatches).toBe(0);
    // results measured while the hub was away were applied on replay
    expect(hub.ingest.counters.items).toBeGreaterThanOrEqual(5 * 24);
  });

  it('no agent or hub log line carries a camera password or user:pass@', () => {
    const all = agentLog.join('') + t.logLines.join('\n');
    for (const e of fleet.endpoints()) expect(all).not.toContain(e.password);
    expect(all).not.toMatch(/rtsp:\/\/[^\s/@:"]+:[^\s/@"]+@/);
  });
});
