/**
 * cycle_overrun_total must not cry wolf: late timers (a busy event loop) leave the last
 * cameras of a cycle to the tick that crosses the cycle boundary; they are started in that
 * tick and are not an overrun. Real overruns are counted: a camera whose previous ladder
 * still runs at its next slot, and a cycle whose cameras could not all start (no free slot).
 */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../edge-agent/clock.ts';
import { AgentMetrics } from '../../edge-agent/metrics.ts';
import { type CycleStats, hashCode, Scheduler } from '../../edge-agent/scheduler.ts';
import { FakeClock } from './fake-clock.ts';
import { cameras, result } from './fixtures.ts';

/** Every timer fires `lagMs` late, as on an event loop busy with other work. */
class LateClock implements Clock {
  constructor(
    readonly inner: FakeClock,
    private readonly lagMs: number,
  ) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms + this.lagMs);
  }
  clearTimeout(h: TimerHandle): void {
    this.inner.clearTimeout(h);
  }
}

async function overrunTotal(m: AgentMetrics): Promise<number> {
  return (await m.cycleOverrun.get()).values[0]?.value ?? 0;
}

function run(opts: { n: number; lagMs: number; probeMs: (code: string) => number; maxConcurrent?: number }) {
  const base = new FakeClock();
  const clock = new LateClock(base, opts.lagMs);
  const metrics = new AgentMetrics(() => null);
  const cycles: CycleStats[] = [];
  const starts: { code: string; at: number }[] = [];
  const t0 = base.now();
  const sched = new Scheduler({
    clock,
    cycleMs: 10_000,
    // the timer per camera: late timers, not the dispatch quantum, are the subject here
    tickMs: 5,
    probeTimeoutMs: 30_000,
    maxConcurrent: opts.maxConcurrent ?? 256,
    probe: async (cam) => {
      starts.push({ code: cam.code, at: base.now() - t0 });
      await base.sleep(opts.probeMs(cam.code));
      return result(cam.code, base.now());
    },
    onResult: () => undefined,
    onCycle: (s) => {
      cycles.push(s);
      metrics.recordCycle(s);
    },
  });
  sched.setCameras(cameras(opts.n));
  return { base, sched, metrics, cycles, starts };
}

describe('scheduler: cycle overruns', () => {
  it('counts none when the last camera of each cycle is started by the tick that crosses the cycle end (late timers)', async () => {
    const cams = cameras(20);
    const phaseMs = (code: string) => (hashCode(code) / 2 ** 32) * 10_000;
    const last = cams.reduce((a, c) => (phaseMs(c.code) > phaseMs(a.code) ? c : a));
    // every timer late by just more than the last camera's distance to the cycle end
    const lagMs = Math.ceil(10_000 - phaseMs(last.code)) + 50;
    const s = run({ n: 20, lagMs, probeMs: () => 30 });
    s.sched.start();
    await s.base.advance(6 * 10_000 + 100);
    await s.sched.stop();
    // the case is real: the last camera starts after its cycle ended, in the boundary tick
    const lastStarts = s.starts.filter((x) => x.code === last.code).map((x) => x.at);
    expect(lastStarts.length).toBeGreaterThanOrEqual(6);
    for (const [k, at] of lastStarts.entries()) expect(at).toBeGreaterThanOrEqual((k + 1) * 10_000);
    expect(s.cycles.length).toBeGreaterThanOrEqual(6);
    for (const c of s.cycles) expect([c.due, c.started, c.carried, c.skippedBusy]).toEqual([20, 20, 0, 0]);
    expect(await overrunTotal(s.metrics)).toBe(0);
  });

  it('counts a cycle that could not start every camera for want of a free slot', async () => {
    // 4 slots × 10 s / 1 s per ladder = 40 ladders per cycle for 60 cameras
    const s = run({ n: 60, lagMs: 0, probeMs: () => 1000, maxConcurrent: 4 });
    s.sched.start();
    await s.base.advance(3 * 10_000 + 500);
    await s.sched.stop();
    expect(s.cycles[0]!.carried).toBeGreaterThan(0);
    expect(await overrunTotal(s.metrics)).toBe(s.cycles.length);
  });

  it('counts a cycle in which a camera is still busy with its previous ladder at its next slot', async () => {
    const slow = cameras(20)[3]!.code;
    const s = run({ n: 20, lagMs: 0, probeMs: (code) => (code === slow ? 15_000 : 20) });
    s.sched.start();
    await s.base.advance(4 * 10_000 + 500);
    await s.sched.stop();
    // the slow camera's ladder spans the next slot: cycles 1 and 3 skip it
    expect(s.cycles.map((c) => c.skippedBusy)).toEqual([0, 1, 0, 1]);
    expect(s.cycles.every((c) => c.carried === 0)).toBe(true);
    expect(await overrunTotal(s.metrics)).toBe(2);
  });
});
