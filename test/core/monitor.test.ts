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
  it('starts unknown; from unknown it takes M = 2 successes, online from the first of them', () => {
    const m = mk();
    expect(m.cameras.get('A')!.state).toBe('unknown');
    expect(m.apply('ag', ok('A', T0 + 1000), T0 + 1000)).toBe('applied');
    // one success of M = 2: still unknown, no transition
    expect(m.cameras.get('A')!.state).toBe('unknown');
    expect(m.drainTransitions()).toEqual([]);
    expect(m.apply('ag', ok('A', T0 + 31_000), T0 + 31_000)).toBe('applied');
    expect(m.cameras.get('A')!.state).toBe('online');
    // back-dated to the first of the two successes (T0 + 1 s), decided at the second (T0 + 31 s)
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'unknown', to: 'online', at: T0 + 31_000, since: T0 + 1000, fault: null, reason: 'probe' }]);
  });

  it('goes offline only after N consecutive failures, counted from the last success', () => {
    const m = mk();
    // online from T0 + 1 s (two successes, 30 s apart); the last success is at T0 + 31 s
    m.apply('ag', ok('A', T0 + 1000), T0 + 1000);
    m.apply('ag', ok('A', T0 + 31_000), T0 + 31_000);
    m.drainTransitions();
    m.apply('ag', bad('A', T0 + 61_000), T0 + 61_000);
    m.apply('ag', bad('A', T0 + 91_000), T0 + 91_000);
    expect(m.cameras.get('A')!.state).toBe('online');
    m.apply('ag', bad('A', T0 + 121_000), T0 + 121_000);
    const tr = m.drainTransitions();
    // the third failure decides it; offline counts from the last success (T0 + 31 s)
    expect(tr).toEqual([{ camera: 'A', from: 'online', to: 'offline', at: T0 + 121_000, since: T0 + 31_000, fault: 'unreachable', reason: 'probe' }]);
  });

  it('a success in between resets the failure count', () => {
    const m = mk();
    let t = T0;
    // online after ok, ok; then never 3 failures in a row
    for (const r of [ok, ok, bad, bad, ok, bad, bad]) m.apply('ag', r('A', (t += 1000)), t);
    expect(m.cameras.get('A')!.state).toBe('online');
    // from unknown too: bad, bad, ok, bad, bad is never 3 in a row (nor 2 successes): still unknown
    t = T0;
    for (const r of [bad, bad, ok, bad, bad]) m.apply('ag', r('B', (t += 1000)), t);
    expect(m.cameras.get('B')!.state).toBe('unknown');
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
    // A online (two successes, last at T0 + 31 s); B offline (three failures, last at T0 + 31 s)
    m.apply('ag', ok('A', T0 + 1000), T0 + 1000);
    m.apply('ag', ok('A', T0 + 31_000), T0 + 31_000);
    for (const k of [11_000, 21_000, 31_000]) m.apply('ag', bad('B', T0 + k), T0 + k);
    m.drainTransitions();
    // the default: unknown after 120 s without evidence, not 1 ms sooner (31 s + 120 s = 151 s)
    expect(m.sweep(T0 + 31_000 + 120_000)).toBe(0);
    expect(m.sweep(T0 + 31_001 + 120_000)).toBe(2);
    expect(m.cameras.get('A')!.state).toBe('unknown');
    expect(m.cameras.get('B')!.state).toBe('unknown');
    // unknown from the last evidence (T0 + 31 s), never offline
    expect(m.drainTransitions()).toEqual([
      { camera: 'A', from: 'online', to: 'unknown', at: T0 + 151_001, since: T0 + 31_000, fault: null, reason: 'stale' },
      { camera: 'B', from: 'offline', to: 'unknown', at: T0 + 151_001, since: T0 + 31_000, fault: null, reason: 'stale' },
    ]);
  });

  it('maintenance takes the camera out of the rate and ignores failures', () => {
    const m = mk();
    const HOUR = 3_600_000;
    // probes every 30 s for an hour: A answers, C fails; B answers at T0 and T0 + 30 s, is put in
    // maintenance at T0 + 60 s and fails from then on
    for (let t = T0; t <= T0 + HOUR; t += 30_000) {
      m.apply('ag', ok('A', t), t);
      m.apply('other', bad('C', t), t);
      if (t === T0 + 60_000) m.setMaintenance('B', true, t);
      m.apply('ag', t < T0 + 60_000 ? ok('B', t) : bad('B', t), t);
    }
    expect(m.cameras.get('B')!.state).toBe('maintenance');
    const county = rollUp(m.grids.values(), () => 'county', T0 + HOUR).get('county')!;
    expect(county.counts).toEqual({ online: 1, offline: 1, unknown: 0, maintenance: 1 });
    // rule: maintenance is in neither term of the online rate (as online it would read 2/3, as offline 1/3)
    expect(county.onlineRate).toBe(0.5);
    // rule: maintenance counts in "all" for coverage (DESIGN.md)
    expect(county.coverage).toBeCloseTo(2 / 3, 12);
    // time-weighted over the hour (last evidence at T0 + 1 h, 0 s old):
    //   A online from its first success T0 → 3600 s; C offline from its first failure T0 → 3600 s;
    //   B online T0 → T0 + 60 s (maintenance) → 60 s, its failures in maintenance ignored
    //   online 3600 + 60 = 3660 s, monitored 3660 + 3600 = 7260 s
    expect(county.today).toEqual({ onlineRate: 3660 / 7260, onlineMs: 3_660_000, monitoredMs: 7_260_000 });
    m.setMaintenance('B', false, T0 + HOUR + 1000);
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
      lateEvidenceMaxAgeMs: 86_400_000, // L = 24 h
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
    m.apply('ag', ok('A', ++t), t); // M = 2: online
    for (let i = 0; i < 3; i++) m.apply('ag', bad('B', ++t), t);
    const after = rollUp(m.grids.values(), () => 'county', t).get('county')!;
    expect(after.counts).toEqual({ online: 1, offline: 1, unknown: 1, maintenance: 0 });
    expect(after.onlineRate).toBe(0.5);
    expect(after.coverage).toBeCloseTo(2 / 3);
  });

  it('time-weighted rate counts offline from the last success and rolls over at local midnight', () => {
    const m = mk();
    const HOUR = 3600_000;
    const feed = (r: typeof ok, from: number, to: number) => {
      for (let t = from; t <= to; t += 30_000) m.apply('ag', r('A', t), t);
    };
    // successes every 30 s 10:00–11:00 (online from 10:00, last success 11:00), then failures
    // every 30 s from 11:00:30: the third, at 11:01:30, makes it offline from 11:00
    feed(ok, T0, T0 + HOUR);
    feed(bad, T0 + HOUR + 30_000, T0 + 3 * HOUR);
    const at13 = T0 + 3 * HOUR;
    const g1 = rollUp(m.grids.values(), (g) => g.id, at13).get('g1')!;
    // A: 10:00–11:00 online 1 h, 11:00–13:00 offline 2 h → 1/3 today
    expect(g1.today.onlineMs).toBe(HOUR);
    expect(g1.today.monitoredMs).toBe(3 * HOUR);
    expect(g1.today.onlineRate).toBeCloseTo(1 / 3);
    // next local day (00:00 +08:00 = 16:00 UTC) + 1 h, failures every 30 s all along
    const nextDay = Date.UTC(2026, 10, 29, 16, 0, 0) + HOUR;
    feed(bad, at13 + 30_000, nextDay);
    const g1b = rollUp(m.grids.values(), (g) => g.id, nextDay).get('g1')!;
    // today's window restarts: 00:00–01:00 offline; the month keeps 10:00 → 01:00 (15 h, 1 h of it online)
    expect(g1b.today.monitoredMs).toBe(3600_000);
    expect(g1b.today.onlineRate).toBe(0);
    expect(g1b.month.monitoredMs).toBe(nextDay - T0);
    expect(g1b.month.onlineMs).toBe(HOUR);
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
      m.apply('ag', r('A', (t += 30_000)), t); // 30 s apart: one run (a gap > 120 s would restart the debounce)
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
