import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { loadConfig } from '../../edge-agent/config.ts';
import { camera, cameras, captureLog } from './fixtures.ts';
import { FakeProbe, metricValue, newAgent, scrape, strictlyIncreasing, testConfig, tmpDir, until, startFakeHubWithDir } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const setup = (n: number) => startFakeHubWithDir(n, cleanup);

describe('agent control paths', () => {
  it('a batch the hub refuses (4xx) is dropped after one attempt and counted; later batches flow', async () => {
    const { hub, dir } = await setup(10);
    hub.reject = new Set([2, 3]);
    const probe = new FakeProbe();
    const { agent, lines } = newAgent(testConfig(dir, hub), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    // batches go in seq order: once 8 later ones are processed, a retry of 2 or 3 would have come first
    await until(() => hub.processed.length >= 8, 5000, 'batches after the refused ones');
    expect(hub.attempts.filter((s) => s === 2)).toHaveLength(1);
    expect(hub.attempts.filter((s) => s === 3)).toHaveLength(1);
    expect(hub.processed).not.toContain(2);
    expect(strictlyIncreasing(hub.processed)).toBe(true);
    expect(agent.status().reports.rejected).toBe(2);
    const sentBefore = agent.status().reports.sent;
    const text = await scrape(agent.metricsPort!);
    expect(metricValue(text, 'sharpeyes_agent_report_errors_total{kind="rejected"}')).toBe(2);
    const sent = metricValue(text, 'sharpeyes_agent_reports_sent_total');
    expect(sent).toBeGreaterThanOrEqual(sentBefore);
    expect(sent).toBeLessThanOrEqual(agent.status().reports.sent);
    expect(metricValue(text, 'sharpeyes_agent_cameras_assigned')).toBe(10);
    expect(metricValue(text, 'sharpeyes_agent_probes_total{rung="tcp",outcome="ok"}')).toBeGreaterThan(10);
    expect(text).toContain('sharpeyes_agent_cycle_duration_seconds_bucket');
    expect(lines.filter((l) => l.msg === 'hub refused report batch: dropped')).toHaveLength(2);
    await agent.stop();
  });

  it('an agent whose data folder was reset continues above the seqs the hub has seen', async () => {
    const { hub, dir } = await setup(5);
    hub.assignment = { ...hub.assignment, lastSeq: 5000 };
    const probe = new FakeProbe();
    const { agent, lines } = newAgent(testConfig(dir, hub), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    await until(() => hub.processed.length >= 2, 5000, 'two batches');
    expect(hub.processed[0]).toBe(5001);
    expect(strictlyIncreasing(hub.processed)).toBe(true);
    expect(lines.some((l) => /continuing above them/.test(String(l.msg)))).toBe(true);
    await agent.stop();
  });

  it('a wrong agent token is not a bad batch: batches are kept (spooled), not dropped', async () => {
    const { hub, dir } = await setup(5);
    const probe = new FakeProbe();
    // cameras from the config (the hub would refuse the assignment to this token too)
    const { agent } = newAgent(testConfig(dir, hub, { token: 'wrong', cameras: cameras(5) }), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    await until(() => hub.authFailures > 1 && agent.status().spool.batches > 0, 5000, 'batches refused at the door and spooled');
    expect(hub.authFailures).toBeGreaterThan(0);
    expect(agent.status().reports.rejected).toBe(0);
    expect(agent.status().spool.batches).toBeGreaterThan(0);
    await agent.stop();
    expect(agent.status().spool.items).toBe(probe.produced.length);
    expect(hub.attempts).toHaveLength(0); // refused at the door, never processed
  });

  it('picks up assignment changes without restart: added camera probed, removed one no longer', async () => {
    const { hub, dir } = await setup(0);
    hub.setCameras([camera('A'), camera('B'), camera('C')], 'v1');
    const probe = new FakeProbe();
    const { agent, text } = newAgent(testConfig(dir, hub), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    await until(() => probe.calls.filter((c) => c.code === 'B').length > 1, 5000, 'B probed twice');
    hub.setCameras([camera('A'), camera('C'), camera('D', 'other-secret-pw')], 'v2');
    await until(() => agent.status().assignmentVersion === 'v2', 2000, 'v2 applied');
    const applied = Date.now();
    // three more cycles for the cameras kept and the one added
    const callsOf = (code: string) => probe.calls.filter((c) => c.code === code && c.at > applied).length;
    await until(() => callsOf('D') >= 3 && callsOf('A') >= 3, 5000, 'three cycles of v2');
    await agent.stop();
    expect(probe.calls.filter((c) => c.code === 'D').length).toBeGreaterThanOrEqual(3);
    expect(probe.calls.filter((c) => c.code === 'B' && c.at > applied)).toHaveLength(0);
    expect(probe.calls.filter((c) => c.code === 'A' && c.at > applied).length).toBeGreaterThanOrEqual(3);
    expect(agent.status().cameras).toBe(3);
    expect(text.some((l) => l.includes('"added":1') && l.includes('"removed":1'))).toBe(true);
    expect(text.join('\n')).not.toMatch(/secret-pw/);
  });

  it('runs from a local camera file instead of the hub assignment, re-read when it changes', async () => {
    const { hub, dir } = await setup(0);
    const file = path.join(dir, 'cams.yaml');
    fs.writeFileSync(file, 'cameras:\n  - { code: L1, host: 127.0.0.1 }\n  - { code: L2, host: 127.0.0.1, username: u, password: p }\n');
    const probe = new FakeProbe();
    const { agent } = newAgent(testConfig(path.join(dir, 'data'), hub, { camerasFile: file }), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    await until(() => probe.calls.some((c) => c.code === 'L1') && probe.calls.some((c) => c.code === 'L2'), 5000, 'L1 and L2 probed');
    fs.writeFileSync(file, '- { code: L3, host: 127.0.0.1 }\n');
    await until(() => probe.calls.some((c) => c.code === 'L3'), 2000, 'L3 probed');
    await agent.stop();
    expect(probe.calls.filter((c) => c.code === 'L1').length).toBeGreaterThan(0);
    expect(hub.assignmentFetches).toBe(0);
    expect(hub.items.some((r) => r.camera === 'L3')).toBe(true);
  });

  it('loads flags over env over YAML, and refuses a config without hub or token', () => {
    const dir = tmpDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const yml = path.join(dir, 'edge-agent.yaml');
    fs.writeFileSync(yml, 'hub: http://127.0.0.1:1111\ntoken: from-file\ncycleSeconds: 60\nframeEvery: 10\nmetricsPort: 9999\n');
    const c = loadConfig(['--config', yml, '--cycle', '15', '--metrics-port', '9464'], { SHARPEYES_HUB: 'http://127.0.0.1:2222' });
    expect(c).toMatchObject({ hubUrl: 'http://127.0.0.1:2222', token: 'from-file', cycleMs: 15_000, probeTimeoutMs: 7500, frameEvery: 10, metricsPort: 9464 });
    expect(loadConfig(['--hub', 'http://127.0.0.1:8080'], { SHARPEYES_AGENT_TOKEN: 'T' })).toMatchObject({ token: 'T', cycleMs: 30_000, dataDir: './data/agent' });
    expect(() => loadConfig([], {})).toThrow(/no hub/);
    expect(() => loadConfig(['--hub', 'http://127.0.0.1:8080'], {})).toThrow(/no agent token/);
    fs.writeFileSync(yml, 'hub: http://x\ntoken: t\ncycleSecs: 1\n');
    expect(() => loadConfig(['--config', yml], {})).toThrow(/unknown key "cycleSecs"/);
    fs.writeFileSync(yml, 'hub: http://x\ntoken: t\ncameras:\n  - { code: A, host: h, rtspUrl: "rtsp://u:p@h/x" }\n');
    expect(() => loadConfig(['--config', yml], {})).toThrow(/cameras\[0\]\.rtspUrl: must not carry/);
  });

  it('stop() is clean: metrics server closed, start() again on the same data dir works', async () => {
    const { hub, dir } = await setup(3);
    const probe = new FakeProbe();
    const cap = captureLog();
    const a = new Agent(testConfig(dir, hub), { probe: probe.probe, log: cap.log });
    await a.start();
    const port = a.metricsPort!;
    await until(() => hub.processed.length >= 1, 5000, 'a first batch');
    await a.stop();
    await expect(scrape(port)).rejects.toThrow();
    const b = new Agent(testConfig(dir, hub), { probe: probe.probe, log: cap.log });
    const before = hub.processed.length;
    await b.start();
    await until(() => hub.processed.length > before, 5000, 'a batch from the second run');
    await b.stop();
    expect(strictlyIncreasing(hub.processed)).toBe(true);
    expect(hub.duplicates).toBe(0);
  });
});
