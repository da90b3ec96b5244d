import { describe, expect, it } from 'vitest';
import { MaintenanceCalendar, type MaintenanceWindow, windowCovers } from '../../src/core/maintenance.ts';
import type { CameraMeta } from '../../src/core/model.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const HOUR = 3_600_000;

const CAMS: CameraMeta[] = [
  { code: 'A', gridId: 'g1', townId: 't1', siteId: 's1' },
  { code: 'B', gridId: 'g1', townId: 't1', siteId: 's1' },
  { code: 'C', gridId: 'g1', townId: 't1', siteId: null },
  { code: 'D', gridId: 'g2', townId: 't1', siteId: 's2' },
  { code: 'E', gridId: 'g2', townId: 't1', siteId: null },
];
const byCode = new Map(CAMS.map((c) => [c.code, c]));
const meta = (code: string) => byCode.get(code)!;

let nextId = 1;
const win = (over: Partial<MaintenanceWindow>): MaintenanceWindow => ({
  id: nextId++,
  cameras: [],
  siteId: null,
  gridId: null,
  from: T0,
  to: T0 + 2 * HOUR,
  note: 'planned work',
  createdBy: 'ops',
  ...over,
});
/** the cameras a window covers at t, by the per-camera predicate */
const coveredBy = (w: MaintenanceWindow, t: number) => CAMS.filter((c) => windowCovers(w, c, t)).map((c) => c.code);

describe('which cameras a maintenance window (报备) covers', () => {
  it('a window is [from, to): it covers at its start and until just before its end', () => {
    const w = win({ cameras: ['A'] });
    expect(windowCovers(w, meta('A'), T0 - 1)).toBe(false);
    expect(windowCovers(w, meta('A'), T0)).toBe(true);
    expect(windowCovers(w, meta('A'), T0 + 2 * HOUR - 1)).toBe(true);
    expect(windowCovers(w, meta('A'), T0 + 2 * HOUR)).toBe(false);
  });

  it('a window over listed cameras covers those only', () => {
    expect(coveredBy(win({ cameras: ['A', 'E'] }), T0 + HOUR)).toEqual(['A', 'E']);
  });

  it('a window over a site covers the cameras of that site only, never cameras without a site', () => {
    expect(coveredBy(win({ siteId: 's1' }), T0 + HOUR)).toEqual(['A', 'B']);
  });

  it('a window over a grid covers every camera of that grid only', () => {
    expect(coveredBy(win({ gridId: 'g2' }), T0 + HOUR)).toEqual(['D', 'E']);
  });

  it('a window naming no camera, site or grid covers nothing', () => {
    expect(coveredBy(win({}), T0 + HOUR)).toEqual([]);
  });

  it('scopes add up: listed cameras, a site and a grid together', () => {
    expect(coveredBy(win({ cameras: ['C'], siteId: 's2', gridId: 'g2' }), T0 + HOUR)).toEqual(['C', 'D', 'E']);
  });
});

describe('the maintenance calendar', () => {
  it('holds the windows it was given, replacing the previous set', () => {
    const cal = new MaintenanceCalendar(CAMS);
    expect(cal.windows).toEqual([]);
    const first = [win({ cameras: ['A'] })];
    cal.set(first);
    expect(cal.windows).toBe(first);
    const second = [win({ gridId: 'g2' })];
    cal.set(second);
    expect(cal.windows).toBe(second);
    expect(cal.covers(meta('A'), T0 + HOUR)).toBe(false);
    expect(cal.covers(meta('D'), T0 + HOUR)).toBe(true);
  });

  it('a camera is covered when any window covers it at that time', () => {
    const cal = new MaintenanceCalendar(CAMS);
    cal.set([win({ cameras: ['A'], to: T0 + HOUR }), win({ siteId: 's2', from: T0 + HOUR, to: T0 + 3 * HOUR })]);
    expect(cal.covers(meta('A'), T0)).toBe(true);
    expect(cal.covers(meta('A'), T0 + HOUR)).toBe(false);
    expect(cal.covers(meta('D'), T0 + HOUR - 1)).toBe(false);
    expect(cal.covers(meta('D'), T0 + HOUR)).toBe(true);
    expect(cal.covers(meta('E'), T0 + HOUR)).toBe(false);
  });

  it('lists the registered cameras covered now, by list, site and grid, within [from, to)', () => {
    const cal = new MaintenanceCalendar(CAMS);
    cal.set([win({ cameras: ['C'] }), win({ siteId: 's1' }), win({ gridId: 'g2', from: T0 + HOUR })]);
    expect([...cal.coveredCameras(T0 - 1)]).toEqual([]);
    expect([...cal.coveredCameras(T0)].sort()).toEqual(['A', 'B', 'C']);
    expect([...cal.coveredCameras(T0 + HOUR)].sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect([...cal.coveredCameras(T0 + 2 * HOUR)]).toEqual([]);
  });

  it('the covered list agrees with the per-camera answer at every instant', () => {
    const cal = new MaintenanceCalendar(CAMS);
    cal.set([win({ cameras: ['B'], from: T0 + HOUR }), win({ siteId: 's2', to: T0 + HOUR }), win({ gridId: 'g1', from: T0 + 90 * 60_000 })]);
    for (const t of [T0 - 1, T0, T0 + HOUR - 1, T0 + HOUR, T0 + 90 * 60_000, T0 + 2 * HOUR - 1, T0 + 2 * HOUR]) {
      const expected = CAMS.filter((c) => cal.covers(c, t)).map((c) => c.code);
      expect([...cal.coveredCameras(t)].sort()).toEqual(expected);
    }
  });

  it('cameras not in the registry, and sites or grids without cameras, add no one', () => {
    const cal = new MaintenanceCalendar(CAMS);
    cal.set([win({ cameras: ['NOT-REGISTERED'] }), win({ siteId: 's-empty' }), win({ gridId: 'g-empty' })]);
    expect([...cal.coveredCameras(T0 + HOUR)]).toEqual([]);
  });
});
