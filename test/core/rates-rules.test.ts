import { describe, expect, it } from 'vitest';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { type CameraSpec, Monitor } from '../../src/core/monitor.ts';
import { addCounts, clockConsistencyRatio, coverageRatio, emptyCounts, onlineRatio, rollUp, timeWeightedRatio, totalCameras } from '../../src/core/rates.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** an instant given in China local time (+08:00) */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) - 8 * HOUR;

describe('rate formulas', () => {
  it('online rate = online / (online + offline); unknown and maintenance are in neither term', () => {
    expect(onlineRatio({ online: 3, offline: 1, unknown: 5, maintenance: 7 })).toBe(0.75);
    expect(onlineRatio({ online: 0, offline: 0, unknown: 5, maintenance: 7 })).toBeNull();
  });

  it('coverage = (online + offline) / all cameras, maintenance counted in all', () => {
    expect(totalCameras({ online: 3, offline: 1, unknown: 2, maintenance: 2 })).toBe(8);
    expect(coverageRatio({ online: 3, offline: 1, unknown: 2, maintenance: 2 })).toBe(0.5);
    expect(coverageRatio(emptyCounts())).toBeNull();
  });

  it('time-weighted rate = online ms / monitored ms, clamped to [0, 1], null when nothing was monitored', () => {
    expect(timeWeightedRatio(30 * MIN, 120 * MIN)).toBe(0.25);
    expect(timeWeightedRatio(0, 0)).toBeNull();
    expect(timeWeightedRatio(5, 4)).toBe(1);
    expect(timeWeightedRatio(-1, 4)).toBe(0);
  });

  it('时钟一致率 = 1 − drifting / measured, null when no camera clock was measured', () => {
    expect(clockConsistencyRatio(4, 1)).toBe(0.75);
    expect(clockConsistencyRatio(4, 0)).toBe(1);
    expect(clockConsistencyRatio(4, 4)).toBe(0);
    expect(clockConsistencyRatio(0, 0)).toBeNull();
  });

  it('counts start empty and add state by state', () => {
    const into = emptyCounts();
    expect(into).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
    addCounts(into, { online: 1, offline: 2, unknown: 3, maintenance: 4 });
    addCounts(into, { online: 10, offline: 20, unknown: 30, maintenance: 40 });
    expect(into).toEqual({ online: 11, offline: 22, unknown: 33, maintenance: 44 });
    expect(emptyCounts()).not.toBe(emptyCounts());
  });
});

describe('roll-ups are Σ seconds over cameras, never a mean of grid rates', () => {
  const T0 = local(2026, 11, 29, 10);
  const grids: Grid[] = [
    { id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' },
    { id: 'g2', communityId: 'c2', townId: 't1', name: 'G2', kind: 'rural' },
    { id: 'g3', communityId: 'c3', townId: 't2', name: 'G3', kind: 'rural' },
  ];
  const cams: CameraSpec[] = [
    { code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' },
    { code: 'B', gridId: 'g2', siteId: null, agentId: 'ag' },
    { code: 'C', gridId: 'g2', siteId: null, agentId: 'ag' },
    { code: 'D', gridId: 'g3', siteId: null, agentId: 'ag' },
  ];
  const ok = (camera: string, at: number) => ({ camera, at, fault: null, clockOffsetMs: null });
  const bad = (camera: string, at: number) => ({ camera, at, fault: 'unreachable' as const, clockOffsetMs: null });

  /**
   * Probes every 30 s (one run: ≤ staleAfter 120 s apart). The timeline, minutes after 10:00
   * local, read at 11:00 (the last evidence at 11:00, 0 s old):
   *   A (g1, t1): no evidence 0–30 (unknown); successes 30–60 → online 30–60      → online 30, monitored 30
   *   B (g2, t1): successes 0–10 → online from 0 (first of M = 2), last success 10;
   *               failures from 10.5; the 3rd (11.5) → offline from 10           → online 10, monitored 60
   *   C (g2, t1): successes 0–20 → online 0–20; maintenance from 20 (hub time)    → online 20, monitored 20
   *   D (g3, t2): successes 30–60 → online 30–60                                  → online 30, monitored 30
   */
  const build = () => {
    const m = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, T0);
    for (let half = 0; half <= 120; half++) {
      const min = half / 2;
      const t = T0 + min * MIN;
      m.apply('ag', min <= 10 ? ok('B', t) : bad('B', t), t);
      if (min <= 20) m.apply('ag', ok('C', t), t);
      if (min === 20) m.setMaintenance('C', true, t);
      if (min >= 30) {
        m.apply('ag', ok('A', t), t);
        m.apply('ag', ok('D', t), t);
      }
    }
    return { m, now: T0 + 60 * MIN };
  };
  const window = (onlineMin: number, monitoredMin: number) => ({ onlineRate: onlineMin / monitoredMin, onlineMs: onlineMin * MIN, monitoredMs: monitoredMin * MIN });

  it('per grid', () => {
    const { m, now } = build();
    const byGrid = rollUp(m.grids.values(), (g) => g.id, now);
    expect(byGrid.get('g1')!.today).toEqual(window(30, 30));
    expect(byGrid.get('g2')!.today).toEqual(window(10 + 20, 60 + 20));
    expect(byGrid.get('g3')!.today).toEqual(window(30, 30));
  });

  it('per town: t1 is (30 + 10 + 20) / (30 + 60 + 20) = 6/11, not the mean of its grid rates', () => {
    const { m, now } = build();
    const byTown = rollUp(m.grids.values(), (g) => g.townId, now);
    const t1 = byTown.get('t1')!;
    expect(t1.today).toEqual(window(60, 110));
    expect(t1.month).toEqual(window(60, 110));
    expect(t1.today.onlineRate).not.toBeCloseTo((1 + 30 / 80) / 2, 3);
    expect(t1.counts).toEqual({ online: 1, offline: 1, unknown: 0, maintenance: 1 });
    expect(t1.total).toBe(3);
    expect(t1.onlineRate).toBe(0.5);
    expect(t1.coverage).toBeCloseTo(2 / 3, 12);
    expect(byTown.get('t2')!.today).toEqual(window(30, 30));
  });

  it('per county and by grid kind', () => {
    const { m, now } = build();
    const all = rollUp(m.grids.values(), () => 'county', now).get('county')!;
    expect(all.today).toEqual(window(90, 140));
    expect(all.month).toEqual(window(90, 140));
    expect(all.counts).toEqual({ online: 2, offline: 1, unknown: 0, maintenance: 1 });
    const byKind = rollUp(m.grids.values(), (g) => g.kind, now);
    expect(byKind.get('urban')!.today).toEqual(window(30, 30));
    expect(byKind.get('rural')!.month).toEqual(window(60, 110));
  });

  it('a roll-up with nothing monitored has null rates, not 0', () => {
    const m = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, T0);
    const all = rollUp(m.grids.values(), () => 'county', T0 + HOUR).get('county')!;
    expect(all.onlineRate).toBeNull();
    expect(all.coverage).toBe(0);
    expect(all.today).toEqual({ onlineRate: null, onlineMs: 0, monitoredMs: 0 });
    expect(all.month).toEqual({ onlineRate: null, onlineMs: 0, monitoredMs: 0 });
  });
});

describe('day and month splits in +08:00', () => {
  const grids: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
  const cams: CameraSpec[] = [
    { code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' },
    { code: 'B', gridId: 'g1', siteId: null, agentId: 'ag' },
  ];

  it('at 00:00 local on the 1st (16:00 UTC) both the day and the month restart', () => {
    const start = local(2026, 11, 30, 23, 30);
    const m = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, start);
    let next = start;
    /** probes every 30 s up to `to`: A answers from 23:30, B fails from 23:40 */
    const feedUntil = (to: number) => {
      for (; next <= to; next += 30_000) {
        m.apply('ag', { camera: 'A', at: next, fault: null, clockOffsetMs: null }, next);
        if (next >= local(2026, 11, 30, 23, 40)) m.apply('ag', { camera: 'B', at: next, fault: 'no_frame', clockOffsetMs: null }, next);
      }
    };
    feedUntil(local(2026, 11, 30, 23, 55));
    const before = rollUp(m.grids.values(), () => 'x', local(2026, 11, 30, 23, 55)).get('x')!;
    // November so far: A online from 23:30 (first of 2 successes) = 25 min; B offline from its first
    // failure at 23:40 (from unknown) = 15 min → 25 / 40 = 0.625
    expect(before.month).toEqual({ onlineRate: 0.625, onlineMs: 25 * MIN, monitoredMs: 40 * MIN });
    feedUntil(local(2026, 12, 1, 0, 30));
    const after = rollUp(m.grids.values(), () => 'x', local(2026, 12, 1, 0, 30)).get('x')!;
    // December so far: 00:00–00:30, A online, B offline
    expect(after.today).toEqual({ onlineRate: 0.5, onlineMs: 30 * MIN, monitoredMs: 60 * MIN });
    expect(after.month).toEqual({ onlineRate: 0.5, onlineMs: 30 * MIN, monitoredMs: 60 * MIN });
  });

  it('maintenance leaves the denominator of the day', () => {
    const start = local(2026, 11, 29, 8);
    const m = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, start);
    // probes every 30 s: A answers 08:00–12:00, B answers 08:00–09:00 and is in maintenance from 09:00
    for (let t = start; t <= start + 4 * HOUR; t += 30_000) {
      m.apply('ag', { camera: 'A', at: t, fault: null, clockOffsetMs: null }, t);
      if (t === start + HOUR) m.setMaintenance('B', true, t);
      m.apply('ag', { camera: 'B', at: t, fault: t < start + HOUR ? null : 'unreachable', clockOffsetMs: null }, t);
    }
    const day = rollUp(m.grids.values(), () => 'x', start + 4 * HOUR).get('x')!.today;
    // A 4 h + B 1 h online, nothing offline: 100 %, 5 h monitored
    expect(day).toEqual({ onlineRate: 1, onlineMs: 5 * HOUR, monitoredMs: 5 * HOUR });
  });
});
