/** Periods as a request names them: a local day, a local month, a range of days (Asia/Shanghai, +08:00). */
import { describe, expect, it } from 'vitest';
import { MAX_PERIOD_DAYS, parsePeriod } from '../../src/core/period.ts';

const TZ = 480;
const H = 3_600_000;
const DAY = 24 * H;
/** 2026-11-01 00:00 +08:00 */
const NOV1 = Date.UTC(2026, 9, 31, 16);

describe('parsePeriod', () => {
  it('a day: local midnight to the next, one day', () => {
    expect(parsePeriod('2026-11-01', TZ)).toEqual({ id: '2026-11-01', kind: 'day', from: NOV1, to: NOV1 + DAY, days: ['2026-11-01'] });
  });

  it('a month: its first local midnight to the next month’s, every day in order (30 in November, 29 in February 2028)', () => {
    const p = parsePeriod('2026-11', TZ);
    if (typeof p === 'string') throw new Error(p);
    expect(p).toMatchObject({ id: '2026-11', kind: 'month', from: NOV1, to: NOV1 + 30 * DAY });
    expect(p.days).toHaveLength(30);
    expect(p.days[0]).toBe('2026-11-01');
    expect(p.days[29]).toBe('2026-11-30');
    const feb = parsePeriod('2028-02', TZ);
    if (typeof feb === 'string') throw new Error(feb);
    expect(feb.days).toHaveLength(29);
    expect(feb.to - feb.from).toBe(29 * DAY);
  });

  it('a range: both ends inclusive, normalised id; a one-day range is a day long', () => {
    const p = parsePeriod('2026-11-30..2026-12-02', TZ);
    if (typeof p === 'string') throw new Error(p);
    expect(p).toMatchObject({ id: '2026-11-30..2026-12-02', kind: 'range', from: NOV1 + 29 * DAY, to: NOV1 + 32 * DAY });
    expect(p.days).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
    const one = parsePeriod('2026-11-05..2026-11-05', TZ);
    if (typeof one === 'string') throw new Error(one);
    expect(one.days).toEqual(['2026-11-05']);
    expect(one.to - one.from).toBe(DAY);
  });

  it('in UTC the same day starts 8 h later', () => {
    const p = parsePeriod('2026-11-01', 0);
    if (typeof p === 'string') throw new Error(p);
    expect(p.from).toBe(NOV1 + 8 * H);
  });

  it('refuses what names no period, with the reason', () => {
    for (const bad of ['2026-13', '2026-02-30', 'yesterday', '2026-11-01..', '..2026-11-01', '2026-1-1', '']) {
      const r = parsePeriod(bad, TZ);
      expect(typeof r, bad).toBe('string');
      expect(r as string).toContain('is no day');
    }
    expect(parsePeriod('2026-11-05..2026-11-04', TZ)).toBe('period 2026-11-05..2026-11-04: the range ends before it starts');
  });

  it(`at most ${MAX_PERIOD_DAYS} days`, () => {
    const ok = parsePeriod('2028-01-01..2028-12-31', TZ); // 366 days (leap year)
    expect(typeof ok).toBe('object');
    expect(parsePeriod('2027-01-01..2028-01-02', TZ)).toBe(`period 2027-01-01..2028-01-02: at most ${MAX_PERIOD_DAYS} days`);
  });
});
