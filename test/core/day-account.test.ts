/** One day's accounts (日结): per camera from its timeline, per grid the sums; when a day is due. */
import { describe, expect, it } from 'vitest';
import { DayAccount, dayDue } from '../../src/core/day-account.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { Monitor } from '../../src/core/monitor.ts';

const TZ = 480;
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
/** 2026-11-30 00:00 +08:00 */
const D0 = Date.UTC(2026, 10, 29, 16);
const grids: Grid[] = [
  { id: 'g1', communityId: 'c1', townId: 't1', name: 'g1', kind: 'urban' },
  { id: 'g2', communityId: 'c1', townId: 't1', name: 'g2', kind: 'rural' },
  { id: 'g3', communityId: 'c2', townId: 't2', name: 'g3', kind: 'rural' },
];

function monitor(): Monitor {
  const m = new Monitor(
    DEFAULT_MONITOR_CONFIG,
    grids,
    [
      { code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' },
      { code: 'B', gridId: 'g1', siteId: null, agentId: 'ag' },
      { code: 'C', gridId: 'g2', siteId: null, agentId: 'ag' },
    ],
    D0,
  );
  const ev = (camera: string, at: number, fault: 'unreachable' | null = null) => m.apply('ag', { camera, at, fault, clockOffsetMs: null }, at);
  // A: online 00:00–06:00 (successes every 30 s), then 3 failures → offline from its last success (06:00) until it answers at 07:00
  for (let t = D0; t <= D0 + 6 * H; t += 30_000) ev('A', t);
  for (let i = 1; i <= 3; i++) ev('A', D0 + 6 * H + i * 30_000, 'unreachable');
  for (let t = D0 + 6 * H + 4 * 30_000; t < D0 + 7 * H; t += 30_000) ev('A', t, 'unreachable');
  ev('A', D0 + 7 * H);
  ev('A', D0 + 7 * H + 30_000);
  // B: never heard of (unknown all day); C: nothing either
  m.sweep(D0 + 7 * H + 30_000 + 121_000);
  return m;
}

describe('DayAccount', () => {
  it('per camera: ms per state over the local day, outages, the longest, fault ms; per grid: the sums and how many cameras', () => {
    const m = monitor();
    const acc = new DayAccount(D0, TZ, m.gridOrder);
    expect(acc.dayEnd).toBe(D0 + DAY);
    for (const c of m.cameras.values()) acc.add(c);
    const a = acc.cameras.find((r) => r.camera === 'A')!;
    // online [00:00, 06:00) + [07:00, 07:00:30] (then unknown from its last evidence) = 6 h + 30 s; offline [06:00, 07:00) = 1 h
    expect(a).toMatchObject({ gridId: 'g1', onlineMs: 6 * H + 30_000, offlineMs: H, outages: 1, longestOutageMs: H, faultMs: { unreachable: H }, maintenanceMs: 0 });
    expect(a.onlineMs + a.offlineMs + a.unknownMs).toBe(DAY);
    const b = acc.cameras.find((r) => r.camera === 'B')!;
    expect(b).toMatchObject({ onlineMs: 0, offlineMs: 0, unknownMs: DAY, outages: 0 });
    expect(acc.grids()).toEqual([
      { gridId: 'g1', onlineMs: 6 * H + 30_000, offlineMs: H, unknownMs: 2 * DAY - 7 * H - 30_000, maintenanceMs: 0, cameras: 2 },
      { gridId: 'g2', onlineMs: 0, offlineMs: 0, unknownMs: DAY, maintenanceMs: 0, cameras: 1 },
    ]);
    // the per-grid slots are the same sums
    expect([...acc.perGrid.slice(0, 4)]).toEqual([6 * H + 30_000, H, 2 * DAY - 7 * H - 30_000, 0]);
  });

  it('a camera with no time in the registry that day has no row; closing the day moves the live month onto the stored sums', () => {
    const m = monitor();
    m.retireCamera('C', D0 + 12 * H);
    const next = new DayAccount(D0 + DAY, TZ, m.gridOrder);
    for (const c of [...m.cameras.values(), ...m.retired.values()]) next.add(c);
    expect(next.cameras.map((r) => r.camera).sort()).toEqual(['A', 'B']);
    const day = new DayAccount(D0, TZ, m.gridOrder);
    for (const c of [...m.cameras.values(), ...m.retired.values()]) day.add(c);
    expect(day.cameras.find((r) => r.camera === 'C')!.unknownMs).toBe(12 * H);
    m.closeDay(day);
    expect(m.windows.openFrom).toBe(D0 + DAY);
    expect(m.retired.has('C')).toBe(false); // nothing of it left in the open period: forgotten (its day is stored)
    for (const c of m.cameras.values()) expect(c.timeline.start).toBe(D0 + DAY);
  });
});

describe('dayDue', () => {
  const G = H;
  it('the first open day is due at its end + G, and not before the hub has been up for G', () => {
    expect(dayDue(D0, D0 + DAY + G - 1, TZ, G, 0)).toBe(false);
    expect(dayDue(D0, D0 + DAY + G, TZ, G, 0)).toBe(true);
    expect(dayDue(D0, D0 + DAY + G, TZ, G, D0 + DAY + 30 * MIN)).toBe(false);
    expect(dayDue(D0, D0 + DAY + 30 * MIN + G, TZ, G, D0 + DAY + 30 * MIN)).toBe(true);
  });
});
