import { describe, expect, it } from 'vitest';
import { Monitor, type CameraSpec } from '../../src/core/monitor.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { rollUp, recountGrids } from '../../src/core/rates.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0); // 10:00 in +08:00
const grids: Grid[] = [
  { id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' },
  { id: 'g2', communityId: 'c2', townId: 't2', name: 'G2', kind: 'rural' },
];
const cams: CameraSpec[] = [
  { code: 'A', gridId: 'g1', siteId: 's1', agentId: 'ag' },
  { code: 'B', gridId: 'g1', siteId: 's1', agentId: 'ag' },
  { code: 'C', gridId: 'g2', siteId: null, agentId: 'other' },
];
const ok = (camera: string, at: number): ProbeResult => ({ camera, at, fault: null, rungs: [], clockOffsetMs: 0 });
const bad = (camera: string, at: number): ProbeResult => ({ camera, at, fault: 'unreachable', rungs: [], clockOffsetMs: null });
const mk = () => new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, T0);

describe('camera state machine', () => {
  it('starts unknown and goes online on the first success', () => {
    const m = mk();
    expect(m.cameras.get('A')!.state).toBe('unknown');
    expect(m.apply('ag', ok('A', T0 + 1000), T0 + 1000)).toBe('applied');
    expect(m.cameras.get('A')!.state).toBe('online');
    const tr = m.drainTransitions();
    expect(tr).toHaveLength(1);
    expect(tr[0]).toMatchObject({ camera: 'A', from: 'unknown', to: 'online', reason: 'probe' });
  });

  it('goes offline only after N consecutive failures, counted from the last success', () => {
    const m = mk();
    m.apply('ag', ok('A', T0 + 1000), T0 + 1000);
    m.drainTransitions();
    m.apply('ag', bad('A', T0 + 31_000), T0 + 31_000);
    m.apply('ag', bad('A', T0 + 61_000), T0 + 61_000);
    expect(m.cameras.get('A')!.state).toBe('online');
    m.apply('ag', bad('A', T0 + 91_000), T0 + 91_000);
    const tr = m.drainTransitions();
    expect(tr).toEqual([{ camera: 'A', from: 'online', to: 'offline', at: T0 + 91_000, since: T0 + 1000, fault: 'unreachable', reason: 'probe' }]);
  });

  it('a success in between resets the failure count', () => {
    const m = mk();
    let t = T0;
    for (const r of [ok, bad, bad, ok, bad, bad]) m.apply('ag', r('A', (t += 1000)), t);
    expect(m.cameras.get('A')!.state).toBe('online');
  });

  it('from offline needs M successes, online since the first of them', () => {
    const m = mk();
    let t = T0;
    for (const r of [ok, bad, bad, bad]) m.apply('ag', r('A', (t += 1000)), t);
    m.drainTransitions();
    m.apply('ag', ok('A', (t += 1000)), t);
    expect(m.cameras.get('A')!.state).toBe('offline');
    const first = t;
    m.apply('ag', ok('A', (t += 1000)), t);
    expect(m.drainTransitions()).toMatchObject([{ to: 'online', since: first }]);
  });

  it('refuses cameras of another agent and unknown cameras, ignores replays', () => {
    const m = mk();
    expect(m.apply('ag', ok('C', T0 + 1), T0 + 1)).toBe('not_assigned');
    expect(m.apply('ag', ok('ZZ', T0 + 1), T0 + 1)).toBe('unknown_camera');
    expect(m.apply('ag', ok('A', T0 + 5), T0 + 5)).toBe('applied');
    expect(m.apply('ag', bad('A', T0 + 5), T0 + 6)).toBe('old');
    expect(m.cameras.get('A')!.failStreak).toBe(0);
  });

  it('no fresh evidence turns online and offline cameras unknown, never offline', () => {
    const m = mk();
    m.apply('ag', ok('A', T0 + 1000), T0 + 1000);
    m.drainTransitions();
    // the default the README promises: unknown after 120 s without evidence, not 1 ms sooner
    expect(m.sweep(T0 + 1000 + 120_000)).toBe(0);
    expect(m.sweep(T0 + 1001 + 120_000)).toBe(1);
    expect(m.cameras.get('A')!.state).toBe('unknown');
    expect(m.drainTransitions()).toMatchObject([{ from: 'online', to: 'unknown', reason: 'stale' }]);
  });

  it('maintenance takes the camera out of the rate and ignores failures', () => {
    const m = mk();
    m.apply('ag', ok('A', T0 + 1), T0 + 1);
    m.apply('ag', ok('B', T0 + 1), T0 + 1);
    for (let i = 0; i < 3; i++) m.apply('other', bad('C', T0 + 1 + i), T0 + 1 + i);
    m.setMaintenance('B', true, T0 + 10);
    for (let i = 0; i < 5; i++) m.apply('ag', bad('B', T0 + 10 + i), T0 + 10 + i);
    expect(m.cameras.get('B')!.state).toBe('maintenance');
    const HOUR = 3_600_000;
    const county = rollUp(m.grids.values(), () => 'county', T0 + 10 + HOUR).get('county')!;
    expect(county.counts).toEqual({ online: 1, offline: 1, unknown: 0, maintenance: 1 });
    // rule: maintenance is in neither term of the online rate (as online it would read 2/3, as offline 1/3)
    expect(county.onlineRate).toBe(0.5);
    // rule: maintenance counts in "all" for coverage (DESIGN.md)
    expect(county.coverage).toBeCloseTo(2 / 3, 12);
    // time-weighted over the hour: A online, C offline (from its last success: never → from its first evidence), B out
    expect(county.today.onlineRate).toBeCloseTo(0.5, 4);
    expect(county.today.monitoredMs).toBeLessThan(2 * HOUR + 100);
    m.setMaintenance('B', false, T0 + 200);
    expect(m.cameras.get('B')!.state).toBe('unknown');
  });
});

describe('defaults users rely on (README "Rates")', () => {
  it('offline after 3 failures, online after 2 successes, unknown after 120 s, Asia/Shanghai days, 10 s clock drift', () => {
    expect(DEFAULT_MONITOR_CONFIG).toEqual({
      failuresToOffline: 3,
      successesToOnline: 2,
      staleAfterMs: 120_000,
      tzOffsetMinutes: 480,
      clockDriftThresholdMs: 10_000,
      futureToleranceMs: 300_000,
    });
  });
});

describe('rates', () => {
  it('instantaneous rate and coverage; null rate when nothing is monitored', () => {
    const m = mk();
    const before = rollUp(m.grids.values(), () => 'county', T0).get('county')!;
    expect(before).toMatchObject({ total: 3, onlineRate: null, coverage: 0 });
    let t = T0;
    m.apply('ag', ok('A', ++t), t);
    for (let i = 0; i < 3; i++) m.apply('ag', bad('B', ++t), t);
    const after = rollUp(m.grids.values(), () => 'county', t).get('county')!;
    expect(after.counts).toEqual({ online: 1, offline: 1, unknown: 1, maintenance: 0 });
    expect(after.onlineRate).toBe(0.5);
    expect(after.coverage).toBeCloseTo(2 / 3);
  });

  it('time-weighted rate counts offline from the last success and rolls over at local midnight', () => {
    const m = mk();
    m.apply('ag', ok('A', T0), T0); // online 10:00
    m.apply('ag', ok('A', T0 + 3600_000), T0 + 3600_000); // last success 11:00
    // failures detected at 11:30, 11:31, 11:32 → offline since 11:00
    for (let i = 0; i < 3; i++) m.apply('ag', bad('A', T0 + 5400_000 + i * 60_000), T0 + 5400_000 + i * 60_000);
    const at13 = T0 + 3 * 3600_000;
    const g1 = rollUp(m.grids.values(), (g) => g.id, at13).get('g1')!;
    // A: 1 h online, 2 h offline → 1/3 today
    expect(g1.today.onlineMs).toBe(3600_000);
    expect(g1.today.monitoredMs).toBe(3 * 3600_000);
    expect(g1.today.onlineRate).toBeCloseTo(1 / 3);
    // next local day (00:00 +08:00 = 16:00 UTC): today's window restarts
    const nextDay = Date.UTC(2026, 10, 29, 16, 0, 0) + 3600_000;
    const g1b = rollUp(m.grids.values(), (g) => g.id, nextDay).get('g1')!;
    expect(g1b.today.monitoredMs).toBe(3600_000);
    expect(g1b.today.onlineRate).toBe(0);
    expect(g1b.month.monitoredMs).toBe(nextDay - T0);
  });

  it('incremental tallies equal a full recount after random traffic', () => {
    const m = mk();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let t = T0;
    for (let i = 0; i < 2000; i++) {
      t += 1000;
      const code = rnd() < 0.5 ? 'A' : 'B';
      if (rnd() < 0.05) m.setMaintenance(code, rnd() < 0.5, t);
      else m.apply('ag', rnd() < 0.6 ? ok(code, t) : bad(code, t), t);
      if (rnd() < 0.01) m.sweep(t + 200_000);
    }
    const recount = recountGrids(m.cameras.values(), m.gridOrder.length);
    for (const [i, k] of m.gridOrder.entries()) {
      const c = m.grids.get(k)!.tally.counts;
      expect([c.online, c.offline, c.unknown, c.maintenance]).toEqual(Array.from(recount.slice(i * 4, i * 4 + 4)));
    }
  });

  it('replaying stored transitions rebuilds the same tallies', () => {
    const m = mk();
    const log = [];
    let t = T0;
    for (const r of [ok, ok, bad, bad, bad, ok, ok, bad]) {
      m.apply('ag', r('A', (t += 600_000)), t);
      m.apply('ag', ok('B', t), t);
      log.push(...m.drainTransitions());
    }
    const now = t + 1000;
    const live = rollUp(m.grids.values(), (g) => g.id, now).get('g1')!;
    const monthStart = Date.UTC(2026, 10, 1) - 8 * 3600_000;
    const m2 = mk();
    m2.replay(new Map(), log, monthStart, now);
    const rebuilt = rollUp(m2.grids.values(), (g) => g.id, now).get('g1')!;
    expect(rebuilt.counts).toEqual(live.counts);
    expect(rebuilt.today).toEqual(live.today);
    expect(m2.cameras.get('A')!.state).toBe(m.cameras.get('A')!.state);
  });
});
