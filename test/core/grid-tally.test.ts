import { describe, expect, it } from 'vitest';
import { GridTally } from '../../src/core/grid-tally.ts';
import { dayStart, monthStart, nextDayStart, nextMonthStart } from '../../src/core/time-windows.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const CN = 480; // +08:00
/** an instant given in China local time (+08:00) */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) - 8 * HOUR;
const T0 = local(2026, 11, 29, 10); // 10:00 local

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
  it('a camera entering or leaving moves exactly one count', () => {
    const t = new GridTally(T0, CN);
    expect(t.counts).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
    t.move(null, 'online', T0);
    t.move(null, 'unknown', T0);
    expect(t.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    t.move('online', 'offline', T0);
    expect(t.counts).toEqual({ online: 0, offline: 1, unknown: 1, maintenance: 0 });
    t.move('offline', null, T0);
    t.move('unknown', null, T0);
    expect(t.counts).toEqual({ online: 0, offline: 0, unknown: 0, maintenance: 0 });
  });
});

describe('time-weighted accrual', () => {
  it('online counts in both terms, offline only in the monitored one, unknown and maintenance in neither', () => {
    const t = new GridTally(T0, CN);
    for (const s of ['online', 'offline', 'unknown', 'maintenance'] as const) t.move(null, s, T0);
    t.accrue(T0 + 10 * MIN);
    expect(t.day).toEqual({ start: local(2026, 11, 29), end: local(2026, 11, 30), onlineMs: 10 * MIN, monitoredMs: 20 * MIN });
    expect(t.month).toEqual({ start: local(2026, 11, 1), end: local(2026, 12, 1), onlineMs: 10 * MIN, monitoredMs: 20 * MIN });
    expect(t.accruedAt).toBe(T0 + 10 * MIN);
  });

  it('elapsed time is accrued at the counts before the change', () => {
    const t = new GridTally(T0, CN);
    t.move(null, 'online', T0);
    t.move(null, 'online', T0 + 10 * MIN); // 1 camera × 10 min
    t.accrue(T0 + 15 * MIN); // + 2 cameras × 5 min
    expect([t.day.onlineMs, t.day.monitoredMs]).toEqual([20 * MIN, 20 * MIN]);
  });

  it('the day restarts at local midnight and the month on the 1st, each keeping only its own part', () => {
    const start = local(2026, 11, 30, 23); // 23:00 local on the last day of November
    const t = new GridTally(start, CN);
    t.move(null, 'online', start);
    t.accrue(local(2026, 12, 1, 1)); // 01:00 local on 1 December
    expect(t.day).toEqual({ start: local(2026, 12, 1), end: local(2026, 12, 2), onlineMs: HOUR, monitoredMs: HOUR });
    expect(t.month).toEqual({ start: local(2026, 12, 1), end: local(2027, 1, 1), onlineMs: HOUR, monitoredMs: HOUR });
  });

  it('within the month, a new day does not reset the month', () => {
    const start = local(2026, 11, 28, 22);
    const t = new GridTally(start, CN);
    t.move(null, 'offline', start);
    t.accrue(local(2026, 11, 29, 3));
    expect([t.day.onlineMs, t.day.monitoredMs]).toEqual([0, 3 * HOUR]);
    expect([t.month.onlineMs, t.month.monitoredMs]).toEqual([0, 5 * HOUR]);
  });
});

describe('re-attribution (offline counts from the last success)', () => {
  /** one camera in `was` from T0, changed to `is` at T0 + 30 min, re-attributed from T0 + 10 min */
  const reattributed = (was: 'online' | 'offline' | 'unknown', is: 'online' | 'offline' | 'maintenance') => {
    const t = new GridTally(T0, CN);
    t.move(null, was, T0);
    t.move(was, is, T0 + 30 * MIN);
    t.reattribute(was, is, T0 + 10 * MIN);
    return [t.day.onlineMs / MIN, t.day.monitoredMs / MIN, t.month.onlineMs / MIN, t.month.monitoredMs / MIN];
  };

  it('confirming offline turns the online time since the last success into offline time', () => {
    expect(reattributed('online', 'offline')).toEqual([10, 30, 10, 30]);
  });

  it('coming back online turns the offline time since the first success into online time', () => {
    expect(reattributed('offline', 'online')).toEqual([20, 30, 20, 30]);
  });

  it('unknown time confirmed offline becomes monitored, not online', () => {
    expect(reattributed('unknown', 'offline')).toEqual([0, 20, 0, 20]);
  });

  it('online time re-attributed to maintenance leaves both terms', () => {
    expect(reattributed('online', 'maintenance')).toEqual([10, 10, 10, 10]);
  });

  it("the span re-attributed never reaches before a window's start", () => {
    const start = local(2026, 11, 28, 23);
    const t = new GridTally(start, CN);
    t.move(null, 'online', start);
    t.move('online', 'offline', local(2026, 11, 29, 1));
    t.reattribute('online', 'offline', local(2026, 11, 28, 23, 30));
    // today (from 00:00): the whole hour becomes offline; the month: 23:00–23:30 stays online
    expect([t.day.onlineMs, t.day.monitoredMs]).toEqual([0, HOUR]);
    expect([t.month.onlineMs, t.month.monitoredMs]).toEqual([30 * MIN, 2 * HOUR]);
  });

  it('a span starting after the accrued instant moves nothing', () => {
    const t = new GridTally(T0, CN);
    t.move(null, 'online', T0);
    t.accrue(T0 + 30 * MIN);
    t.reattribute('online', 'offline', T0 + 40 * MIN);
    expect([t.day.onlineMs, t.day.monitoredMs, t.month.onlineMs, t.month.monitoredMs]).toEqual([30 * MIN, 30 * MIN, 30 * MIN, 30 * MIN]);
  });
});
