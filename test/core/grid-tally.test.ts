import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/evidence.ts';
import { GridTally, type WindowSource } from '../../src/core/grid-tally.ts';
import { DayAccount } from '../../src/core/day-account.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { type CameraSpec, Monitor } from '../../src/core/monitor.ts';
import { dayStart, monthStart, nextDayStart, nextMonthStart } from '../../src/core/time-windows.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const CN = 480; // +08:00
/** an instant given in China local time (+08:00) */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) - 8 * HOUR;
const T0 = local(2026, 11, 29, 10); // 10:00 local
const STEP = 30_000; // probes every 30 s: ≤ staleAfter (120 s), one run

const GRIDS: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
const spec = (code: string): CameraSpec => ({ code, gridId: 'g1', siteId: null, agentId: 'ag' });
/** a small monitor: one grid, cameras `codes`, registered at `start` */
const mk = (start: number, ...codes: string[]) => new Monitor(DEFAULT_MONITOR_CONFIG, GRIDS, codes.map(spec), start);
const ev = (camera: string, at: number, up: boolean): Evidence => ({ camera, at, fault: up ? null : 'unreachable', clockOffsetMs: null });
/** `camera` answers (up) or fails every 30 s over [from, to], each result received as measured */
const probe = (m: Monitor, camera: string, up: boolean, from: number, to: number) => {
  for (let t = from; t <= to; t += STEP) m.apply('ag', ev(camera, t, up), t);
};
const tallyOf = (m: Monitor) => m.grids.get('g1')!.tally;
/** the grid's windows as of `now`, in minutes: [day online, day monitored, month online, month monitored] */
const minutes = (m: Monitor, now: number) => {
  const t = tallyOf(m);
  t.accrue(now);
  return [t.day.onlineMs / MIN, t.day.monitoredMs / MIN, t.month.onlineMs / MIN, t.month.monitoredMs / MIN];
};

describe('time windows in the county time zone', () => {
  it('a local day starts at 00:00 +08:00 (16:00 UTC the day before)', () => {
    expect(dayStart(local(2026, 11, 29, 10), CN)).toBe(Date.UTC(2026, 10, 28, 16));
    expect(dayStart(local(2026, 11, 29, 0), CN)).toBe(Date.UTC(2026, 10, 28, 16));
    expect(dayStart(local(2026, 11, 29, 0) - 1, CN)).toBe(Date.UTC(2026, 10, 27, 16));
    expect(nextDayStart(local(2026, 11, 29, 23, 59), CN)).toBe(Date.UTC(2026, 10, 29, 16));
    expect(dayStart(Date.UTC(2026, 10, 29, 10), 0)).toBe(Date.UTC(2026, 10, 29));
  });

  it('a local month starts on the 1st at 00:00 +08:00, while UTC is still in the month before', () => {
    // 2026-11-30 20:00 UTC is already 2026-12-01 04:00 in the county
    expect(monthStart(Date.UTC(2026, 10, 30, 20), CN)).toBe(Date.UTC(2026, 10, 30, 16));
    expect(monthStart(Date.UTC(2026, 10, 30, 15, 59), CN)).toBe(Date.UTC(2026, 9, 31, 16));
    expect(monthStart(Date.UTC(2026, 10, 30, 20), 0)).toBe(Date.UTC(2026, 10, 1));
  });

  it('the next local month starts on the next 1st, across the year end', () => {
    expect(nextMonthStart(Date.UTC(2026, 10, 30, 15), CN)).toBe(Date.UTC(2026, 10, 30, 16));
    expect(nextMonthStart(Date.UTC(2026, 10, 30, 16), CN)).toBe(Date.UTC(2026, 11, 31, 16));
    expect(nextMonthStart(local(2026, 12, 31, 23), CN)).toBe(local(2027, 1, 1));
    expect(nextMonthStart(Date.UTC(2026, 10, 30, 20), 0)).toBe(Date.UTC(2026, 11, 1));
  });
});

describe('grid tally counts', () => {
  it('a camera entering or leaving moves exactly one count; clear() empties them', () => {
    const t = new GridTally();
    expect(t.counts).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
    t.move(null, 'online');
    t.move(null, 'unknown');
    expect(t.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    t.move('online', 'offline');
    expect(t.counts).toEqual({ online: 0, offline: 1, unknown: 1, maintenance: 0 });
    t.move('offline', null);
    t.move('unknown', null);
    expect(t.counts).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
    t.move(null, 'maintenance');
    t.move(null, 'online');
    t.clear();
    expect(t.counts).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
  });

  it('a monitor keeps the counts of its grid as its cameras change state', () => {
    const m = mk(T0, 'A', 'B', 'C', 'D');
    expect(tallyOf(m).counts).toEqual({ online: 0, offline: 0, unknown: 4, maintenance: 0 });
    probe(m, 'A', true, T0, T0 + STEP); // M = 2 successes: online
    probe(m, 'B', false, T0, T0 + 2 * STEP); // N = 3 failures: offline
    m.setMaintenance('C', true, T0);
    expect(tallyOf(m).counts).toEqual({ online: 1, offline: 1, unknown: 1, maintenance: 1 });
    m.retireCamera('D', T0 + 2 * STEP); // out of the registry: out of the counts
    expect(tallyOf(m).counts).toEqual({ online: 1, offline: 1, unknown: 0, maintenance: 1 });
  });
});

describe('windows come from the window source, not from the tally', () => {
  it('accrue(now) asks the source to refresh, at that instant; without a source the windows stay empty', () => {
    const calls: number[] = [];
    const source: WindowSource = { refresh: (now) => void calls.push(now) };
    const t = new GridTally(source);
    t.move(null, 'online');
    t.accrue(T0 + 10 * MIN);
    expect(calls).toEqual([T0 + 10 * MIN]);
    const bare = new GridTally();
    bare.move(null, 'online');
    bare.accrue(T0 + 10 * MIN); // counts alone accrue no time
    expect(bare.day).toMatchObject({ onlineMs: 0, monitoredMs: 0 });
    expect(bare.month).toMatchObject({ onlineMs: 0, monitoredMs: 0 });
  });
});

describe('time-weighted windows (filled from the cameras’ timelines)', () => {
  it('online counts in both terms, offline only in the monitored one, unknown and maintenance in neither', () => {
    const m = mk(T0, 'A', 'B', 'C', 'D');
    // A answers and B fails every 30 s 10:00–10:10; C has no evidence (unknown); D in maintenance from 10:00
    m.setMaintenance('D', true, T0);
    probe(m, 'A', true, T0, T0 + 10 * MIN);
    probe(m, 'B', false, T0, T0 + 10 * MIN);
    const t = tallyOf(m);
    t.accrue(T0 + 10 * MIN);
    // A online 10:00–10:10 (from the first of its 2 successes), B offline 10:00–10:10 (from the first of its 3 failures)
    //   online 10 min; monitored 10 + 10 = 20 min
    expect(t.day).toEqual({ start: local(2026, 11, 29), end: local(2026, 11, 30), onlineMs: 10 * MIN, monitoredMs: 20 * MIN });
    expect(t.month).toEqual({ start: local(2026, 11, 1), end: local(2026, 12, 1), onlineMs: 10 * MIN, monitoredMs: 20 * MIN });
  });

  it('each camera adds its own time: one online from 10:00, another from 10:10', () => {
    const m = mk(T0, 'A', 'B');
    probe(m, 'A', true, T0, T0 + 15 * MIN);
    probe(m, 'B', true, T0 + 10 * MIN, T0 + 15 * MIN);
    // read at 10:15: A 15 min + B 5 min (online from its first success, 10:10) = 20 min
    expect(minutes(m, T0 + 15 * MIN)).toEqual([20, 20, 20, 20]);
  });

  it('the day restarts at local midnight and the month on the 1st, each keeping only its own part', () => {
    const start = local(2026, 11, 30, 23); // 23:00 local on the last day of November
    const m = mk(start, 'A');
    probe(m, 'A', true, start, local(2026, 12, 1, 1)); // online 23:00 → 01:00 on 1 December
    const t = tallyOf(m);
    t.accrue(local(2026, 12, 1, 1));
    // 1 December 00:00–01:00: 1 h in the day and in the month; 23:00–24:00 belongs to November
    expect(t.day).toEqual({ start: local(2026, 12, 1), end: local(2026, 12, 2), onlineMs: HOUR, monitoredMs: HOUR });
    expect(t.month).toEqual({ start: local(2026, 12, 1), end: local(2027, 1, 1), onlineMs: HOUR, monitoredMs: HOUR });
  });

  it('within the month, a new day does not reset the month', () => {
    const start = local(2026, 11, 28, 22);
    const m = mk(start, 'A');
    probe(m, 'A', false, start, local(2026, 11, 29, 3)); // offline from 22:00 (the first of 3 failures)
    // day 29th 00:00–03:00 = 3 h offline; month 28th 22:00 → 29th 03:00 = 5 h offline
    expect(minutes(m, local(2026, 11, 29, 3))).toEqual([0, 180, 0, 300]);
  });

  it('after the last evidence the window counts nothing: the sweep makes the camera unknown from it', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', true, T0, T0 + 5 * MIN); // online 10:00–10:05, then silence
    m.sweep(T0 + 5 * MIN + 2 * MIN + 1); // 120 s + 1 ms with nothing: unknown from 10:05
    // read at 10:30: online 5 min, unknown 10:05–10:30 (never offline)
    expect(minutes(m, T0 + 30 * MIN)).toEqual([5, 5, 5, 5]);
  });

  it('a closed day: the month takes its stored sums, today comes from the timelines', () => {
    const start = local(2026, 11, 28, 22);
    const m = mk(start, 'A');
    probe(m, 'A', true, start, local(2026, 11, 29, 1)); // online from 22:00
    // the 28th closes at its end + 1 h (01:00 on the 29th) with what is known then: A online 22:00–24:00 = 2 h
    const day28 = new DayAccount(local(2026, 11, 28), CN, m.gridOrder);
    for (const c of m.cameras.values()) day28.add(c);
    expect(day28.grids()).toEqual([{ gridId: 'g1', onlineMs: 2 * HOUR, offlineMs: 0, unknownMs: 0, maintenanceMs: 0, cameras: 1 }]);
    m.closeDay(day28);
    probe(m, 'A', true, local(2026, 11, 29, 1) + STEP, local(2026, 11, 29, 2));
    // at 02:00 on the 29th: today 00:00–02:00 = 2 h; the month 2 h (closed 28th) + 2 h = 4 h
    expect(minutes(m, local(2026, 11, 29, 2))).toEqual([120, 120, 240, 240]);
  });
});

describe('back-dating is painted on the timeline: the windows follow it', () => {
  it('confirming offline turns the online time since the last success into offline time', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', true, T0, T0 + 10 * MIN); // online from 10:00, last success 10:10
    probe(m, 'A', false, T0 + 10 * MIN + STEP, T0 + 11 * MIN); // 2 failures (10:10:30, 10:11): fewer than N, still online
    expect(minutes(m, T0 + 11 * MIN)).toEqual([11, 11, 11, 11]);
    probe(m, 'A', false, T0 + 11 * MIN + STEP, T0 + 30 * MIN); // the 3rd at 10:11:30: offline from 10:10
    // at 10:30: online 10:00–10:10 = 10 min, offline 10:10–10:30 = 20 min
    expect(minutes(m, T0 + 30 * MIN)).toEqual([10, 30, 10, 30]);
  });

  it('coming back online turns the offline time since the first success into online time', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', false, T0, T0 + 10 * MIN - STEP); // offline from 10:00, last failure 10:09:30
    probe(m, 'A', true, T0 + 10 * MIN, T0 + 30 * MIN); // successes from 10:10: the 2nd (10:10:30) → online from 10:10
    // at 10:30: offline 10:00–10:10 = 10 min, online 10:10–10:30 = 20 min
    expect(minutes(m, T0 + 30 * MIN)).toEqual([20, 30, 20, 30]);
  });

  it('from unknown, offline is back-dated to the first of the N failures: monitored, not online', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', false, T0 + 10 * MIN, T0 + 10 * MIN + STEP); // 2 failures: still unknown
    expect(minutes(m, T0 + 10 * MIN + STEP)).toEqual([0, 0, 0, 0]);
    probe(m, 'A', false, T0 + 10 * MIN + 2 * STEP, T0 + 30 * MIN); // the 3rd at 10:11 → offline from 10:10
    // at 10:30: unknown 10:00–10:10, offline 10:10–10:30 = 20 min
    expect(minutes(m, T0 + 30 * MIN)).toEqual([0, 20, 0, 20]);
  });

  it('from unknown, online is back-dated to the first of the M successes', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', true, T0 + 10 * MIN, T0 + 10 * MIN); // 1 success: still unknown
    expect(minutes(m, T0 + 10 * MIN + 10_000)).toEqual([0, 0, 0, 0]);
    probe(m, 'A', true, T0 + 10 * MIN + STEP, T0 + 30 * MIN); // the 2nd at 10:10:30 → online from 10:10
    expect(minutes(m, T0 + 30 * MIN)).toEqual([20, 20, 20, 20]);
  });

  it('maintenance leaves both terms', () => {
    const m = mk(T0, 'A');
    probe(m, 'A', true, T0, T0 + 10 * MIN); // online 10:00–10:10
    m.setMaintenance('A', true, T0 + 10 * MIN);
    probe(m, 'A', false, T0 + 10 * MIN + STEP, T0 + 30 * MIN); // ignored in maintenance
    expect(minutes(m, T0 + 30 * MIN)).toEqual([10, 10, 10, 10]);
  });

  it('offline back-dated across midnight: today from 00:00, the month keeps the part before it', () => {
    const start = local(2026, 11, 28, 23);
    const m = mk(start, 'A');
    probe(m, 'A', true, start, local(2026, 11, 28, 23, 30)); // online from 23:00, last success 23:30
    probe(m, 'A', false, local(2026, 11, 28, 23, 30) + STEP, local(2026, 11, 29, 1)); // offline from 23:30
    const t = tallyOf(m);
    t.accrue(local(2026, 11, 29, 1));
    // today (from 00:00): 00:00–01:00 offline; the month: 23:00–23:30 online, 23:30–01:00 offline
    expect([t.day.onlineMs, t.day.monitoredMs]).toEqual([0, HOUR]);
    expect([t.month.onlineMs, t.month.monitoredMs]).toEqual([30 * MIN, 2 * HOUR]);
  });
});
