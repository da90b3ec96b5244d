/**
 * Agent control paths that do not need the real hub: config loading, and a local camera file
 * (the fake hub counts the assignment fetches that must not happen). The paths that talk to the
 * hub (a refused batch, a wrong token, a reset data folder, assignment changes, stop/start) run
 * against the real hub in test/e2e/agent-control-hub.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../edge-agent/config.ts';
import { FakeProbe, newAgent, testConfig, tmpDir, until, startFakeHubWithDir } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const setup = (n: number) => startFakeHubWithDir(n, cleanup);

describe('agent control paths', () => {
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
});
