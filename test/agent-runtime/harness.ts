/** Agent + fake hub + fake probe, on real time with short intervals (1 cycle = 100 ms). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS, type AgentConfig } from '../../edge-agent/config.ts';
import type { ProbeOptions } from '../../edge-agent/scheduler.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import { FakeHub } from './fake-hub.ts';
import { cameras, captureLog, result, resultId } from './fixtures.ts';

export { sleep, until } from '../support/wait.ts';
import { sleep } from '../support/wait.ts';

export class FakeProbe {
  produced: ProbeResult[] = [];
  calls: { code: string; at: number; opts: ProbeOptions }[] = [];
  probe = async (cam: AgentCamera, opts: ProbeOptions): Promise<ProbeResult> => {
    this.calls.push({ code: cam.code, at: Date.now(), opts });
    await sleep(2);
    const r = result(cam.code, Date.now());
    this.produced.push(r);
    return r;
  };
  ids(): string[] {
    return this.produced.map(resultId);
  }
}

export function testConfig(dataDir: string, hub: FakeHub, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    ...DEFAULTS,
    hubUrl: hub.url,
    token: hub.token,
    dataDir,
    cycleMs: 100,
    probeTimeoutMs: 50,
    assignmentPollMs: 100,
    reportFlushMs: 50,
    hubTimeoutMs: 300,
    retryBaseMs: 50,
    retryMaxMs: 200,
    metricsPort: 0,
    shutdownGraceMs: 500,
    ...over,
  };
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
}

export function newAgent(config: AgentConfig, probe: FakeProbe) {
  const cap = captureLog('agent');
  const agent = new Agent(config, { probe: probe.probe, log: cap.log });
  return { agent, ...cap };
}

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** Value of one series, `name` including its labels as rendered: x{kind="rejected"} */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** The hub got every result exactly once, in strictly increasing seq order. */
export function deliveredExactlyOnce(hub: FakeHub, ids: string[]): { missing: number; extra: number } {
  const got = hub.items.map(resultId);
  const want = new Set(ids);
  const gotSet = new Set(got);
  return { missing: ids.filter((i) => !gotSet.has(i)).length, extra: got.length - want.size };
}

export function strictlyIncreasing(xs: number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

/** A started fake hub assigning `n` cameras (version v1) and a temporary data folder, both removed by `cleanup`. */
export async function startFakeHubWithDir(n: number, cleanup: (() => Promise<void> | void)[]): Promise<{ hub: FakeHub; dir: string }> {
  const hub = new FakeHub();
  hub.setCameras(cameras(n), 'v1');
  await hub.start();
  const dir = tmpDir();
  cleanup.push(
    () => hub.close(),
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
  return { hub, dir };
}
