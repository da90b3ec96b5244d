import { describe, expect, it } from 'vitest';
import { DEFAULT_TICK_MS, hashCode, Scheduler, type CycleStats, type ProbeOptions } from '../../edge-agent/scheduler.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import { FakeClock } from './fake-clock.ts';
import { camera, cameras, result } from './fixtures.ts';

interface Call {
  code: string;
  at: number;
  opts: ProbeOptions;
}

/** A probe on the fake clock: `delay(code)` ms then a result from `outcome(code, opts)`. */
function fakeProbe(clock: FakeClock, delay: (code: string, opts: ProbeOptions) => number, outcome?: (code: string, opts: ProbeOptions) => ProbeResult) {
  const calls: Call[] = [];
  const running = new Map<string, number>();
  let maxPerCamera = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const probe = async (cam: AgentCamera, opts: ProbeOptions) => {
    calls.push({ code: cam.code, at: clock.now(), opts });
    const n = (running.get(cam.code) ?? 0) + 1;
    running.set(cam.code, n);
    maxPerCamera = Math.max(maxPerCamera, n);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await clock.sleep(Math.min(delay(cam.code, opts), opts.timeoutMs));
    running.set(cam.code, running.get(cam.code)! - 1);
    inFlight--;
    return outcome ? outcome(cam.code, opts) : result(cam.code, clock.now());
  };
  return { probe, calls, stats: () => ({ maxPerCamera, maxInFlight }) };
}

function setup(
  opts: { n: number; cycleMs?: number; timeoutMs?: number; maxConcurrent?: number; frameEvery?: number; authBackoffMs?: number },
  delay: (code: string, o: ProbeOptions) => number,
  outcome?: (code: string, o: ProbeOptions) => ProbeResult,
) {
  const clock = new FakeClock();
  const fp = fakeProbe(clock, delay, outcome);
  const results: ProbeResult[] = [];
  const cycles: CycleStats[] = [];
  const sched = new Scheduler({
    probe: fp.probe,
    onResult: (r) => results.push(r),
    onCycle: (s) => cycles.push(s),
    clock,
    cycleMs: opts.cycleMs ?? 30_000,
    probeTimeoutMs: opts.timeoutMs ?? 10_000,
    maxConcurrent: opts.maxConcurrent ?? 256,
    frameEvery: opts.frameEvery ?? 0,
    authBackoffMs: opts.authBackoffMs ?? 600_000,
  });
  const cams = cameras(opts.n);
  sched.setCameras(cams);
  return { clock, sched, results, cycles, cams, ...fp, t0: clock.now() };
}

describe('scheduler', () => {
  it('probes every camera once per cycle, spread over the cycle, one cycle apart', async () => {
    const s = setup({ n: 200 }, () => 50);
    s.sched.start();
    await s.clock.advance(3 * 30_000 + 1);
    await s.sched.stop();
    expect(s.calls).toHaveLength(600);
    expect(s.results).toHaveLength(600);
    for (const cam of s.cams) {
      const at = s.calls.filter((c) => c.code === cam.code).map((c) => c.at - s.t0);
      expect(at).toHaveLength(3);
      const due = (hashCode(cam.code) / 2 ** 32) * 30_000;
      // started at the first dispatch boundary at or after its phase, exactly one cycle apart
      const boundary = Math.ceil(due / DEFAULT_TICK_MS) * DEFAULT_TICK_MS;
      for (const [k, t] of at.entries()) expect(t).toBe(k * 30_000 + boundary);
    }
    // one wake-up per quantum at most, not one per camera: 200 cameras in ≤ 120 boundaries a cycle
    expect(new Set(s.calls.filter((c) => c.at - s.t0 < 30_000).map((c) => c.at)).size).toBeLessThanOrEqual(30_000 / DEFAULT_TICK_MS);
    // spread: every tenth of the first cycle gets a share (≈ 20 each)
    const buckets = new Array(10).fill(0) as number[];
    for (const c of s.calls.filter((c) => c.at - s.t0 < 30_000)) buckets[Math.floor((c.at - s.t0) / 3000)]!++;
    for (const b of buckets) {
      expect(b).toBeGreaterThan(5);
      expect(b).toBeLessThan(40);
    }
    expect(s.cycles.slice(0, 3).map((c) => [c.due, c.started, c.carried])).toEqual([
      [200, 200, 0],
      [200, 200, 0],
      [200, 200, 0],
    ]);
  });

  it('a cycle with 10 % of probes hanging until their timeout still starts every camera on time', async () => {
    const hanging = new Set(
      cameras(100)
        .filter((_, i) => i % 10 === 3)
        .map((c) => c.code),
    );
    expect(hanging.size).toBe(10);
    const s = setup({ n: 100, maxConcurrent: 16, timeoutMs: 10_000 }, (code) => (hanging.has(code) ? Infinity : 200));
    s.sched.start();
    await s.clock.advance(5 * 30_000 + 1);
    await s.sched.stop();
    // probes started per cycle: all 100 in each of the 5 cycles
    for (let k = 0; k < 5; k++) {
      const started = s.calls.filter((c) => c.at - s.t0 >= k * 30_000 && c.at - s.t0 < (k + 1) * 30_000);
      expect(started).toHaveLength(100);
      expect(new Set(started.map((c) => c.code)).size).toBe(100);
    }
    // nobody waited for the hanging ones: every start within one dispatch quantum of its due time
    for (const c of s.calls) {
      const due = (hashCode(c.code) / 2 ** 32) * 30_000;
      const late = ((c.at - s.t0) % 30_000) - due;
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(DEFAULT_TICK_MS);
    }
    expect(s.cycles.slice(0, 5).every((c) => c.started === 100 && c.carried === 0 && c.skippedBusy === 0)).toBe(true);
    expect(s.stats().maxInFlight).toBeLessThanOrEqual(16);
    expect(s.results.length).toBeGreaterThanOrEqual(490);
  });

  it('never starts a camera twice while its previous probe runs, and bounds concurrency', async () => {
    // 5 cameras take 2.5 cycles; the rest are quick; only 8 slots
    const slow = new Set(
      cameras(40)
        .slice(0, 5)
        .map((c) => c.code),
    );
    const s = setup({ n: 40, cycleMs: 1000, timeoutMs: 5000, maxConcurrent: 8 }, (code) => (slow.has(code) ? 2500 : 10));
    s.sched.start();
    await s.clock.advance(9000);
    await s.sched.stop();
    expect(s.stats().maxPerCamera).toBe(1);
    expect(s.stats().maxInFlight).toBeLessThanOrEqual(8);
    for (const code of slow) expect(s.calls.filter((c) => c.code === code)).toHaveLength(3); // cycles 0, 3, 6
    const skipped = s.cycles.reduce((a, c) => a + c.skippedBusy, 0);
    expect(skipped).toBe(5 * 6); // cycles 1, 2, 4, 5, 7, 8 of each slow camera
  });

  it('gives a camera failing auth at most one login attempt per back-off window', async () => {
    const bad = 'CAM00007';
    const s = setup(
      { n: 20, cycleMs: 30_000, authBackoffMs: 600_000 },
      () => 20,
      (code, o) => (code === bad && !o.skipAuth ? result(code, 0, 'auth_failed') : result(code, 0, null)),
    );
    s.sched.start();
    await s.clock.advance(35 * 60_000); // 35 minutes = 70 cycles
    const badCalls = s.calls.filter((c) => c.code === bad);
    const logins = badCalls.filter((c) => !c.opts.skipAuth).map((c) => c.at);
    expect(badCalls).toHaveLength(70); // still probed every cycle (reachability)...
    expect(logins).toHaveLength(4); // ...but logged into only at 0, 10, 20, 30 min
    for (let i = 1; i < logins.length; i++) expect(logins[i]! - logins[i - 1]!).toBeGreaterThanOrEqual(600_000);
    // every result, back-off ones included, is forwarded to the hub
    expect(s.results.filter((r) => r.camera === bad)).toHaveLength(70);
    // ...and a back-off result still says auth_failed (the credential rungs were skipped, not passed)
    expect(s.results.filter((r) => r.camera === bad).every((r) => r.fault === 'auth_failed')).toBe(true);
    // other cameras never back off
    expect(s.calls.filter((c) => c.code !== bad && c.opts.skipAuth)).toHaveLength(0);
    // new credentials from the hub earn an immediate login attempt
    s.sched.setCameras(s.cams.map((c) => (c.code === bad ? camera(bad, 'fixed-pw') : c)));
    const before = s.calls.length;
    await s.clock.advance(30_000);
    expect(s.calls.slice(before).filter((c) => c.code === bad && !c.opts.skipAuth)).toHaveLength(1);
    await s.sched.stop();
  });

  it('climbs the frame rung every Nth cycle only (staggered), and never by default', async () => {
    const s = setup({ n: 30, cycleMs: 1000, frameEvery: 3, timeoutMs: 500 }, () => 5);
    s.sched.start();
    await s.clock.advance(9000);
    await s.sched.stop();
    for (const cam of s.cams) {
      const frames = s.calls.filter((c) => c.code === cam.code).map((c) => c.opts.withFrame);
      expect(frames).toHaveLength(9);
      expect(frames.filter(Boolean)).toHaveLength(3);
    }
    // staggered: not all frame grabs in the same cycle
    const firstCycle = s.calls.filter((c) => c.at - s.t0 < 1000 && c.opts.withFrame).length;
    expect(firstCycle).toBeGreaterThan(0);
    expect(firstCycle).toBeLessThan(30);

    const d = setup({ n: 10, cycleMs: 1000, timeoutMs: 500 }, () => 5);
    d.sched.start();
    await d.clock.advance(5000);
    await d.sched.stop();
    expect(d.calls.some((c) => c.opts.withFrame)).toBe(false);
  });

  it('applies camera set changes without restart; drops results of removed cameras', async () => {
    const s = setup({ n: 10, cycleMs: 1000, timeoutMs: 900 }, () => 400);
    s.sched.start();
    await s.clock.advance(2500);
    const removed = s.cams.slice(0, 5);
    const added = cameras(3, 'NEW');
    s.sched.setCameras([...s.cams.slice(5), ...added]);
    const tChange = s.clock.now();
    await s.clock.advance(3000);
    await s.sched.stop();
    expect(s.sched.cameraCount).toBe(8);
    for (const c of removed) {
      // a call at tChange itself was made by a timer that fired before the change
      expect(s.calls.filter((k) => k.code === c.code && k.at > tChange)).toHaveLength(0);
      expect(s.results.filter((r) => r.camera === c.code && r.at > tChange)).toHaveLength(0);
    }
    for (const c of added) expect(s.calls.filter((k) => k.code === c.code).length).toBeGreaterThanOrEqual(2);
  });

  it('survives a probe that throws, and frees the slot of one that never settles', async () => {
    const clock = new FakeClock();
    const errors: string[] = [];
    const results: ProbeResult[] = [];
    let calls = 0;
    const sched = new Scheduler({
      clock,
      cycleMs: 1000,
      probeTimeoutMs: 100,
      maxConcurrent: 2,
      probe: (cam) => {
        calls++;
        if (cam.code === 'THROW') throw new Error('boom');
        if (cam.code === 'NEVER') return new Promise<ProbeResult>(() => {});
        return Promise.resolve(result(cam.code, clock.now()));
      },
      onResult: (r) => results.push(r),
      onProbeError: (cam) => errors.push(cam.code),
    });
    sched.setCameras([camera('THROW'), camera('NEVER'), camera('OK1'), camera('OK2')]);
    sched.start();
    await clock.advance(10_000);
    await sched.stop();
    expect(errors).toHaveLength(10);
    expect(results.filter((r) => r.camera === 'OK1')).toHaveLength(10);
    expect(results.filter((r) => r.camera === 'OK2')).toHaveLength(10);
    expect(calls).toBe(31); // NEVER: started once, never twice
  });
});
