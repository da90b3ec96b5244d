/**
 * The streaks a restart must not forget (issue 14 item 7): Monitor.drainStreaks hands over, per
 * camera, the streak under way toward a transition when it changes; Monitor.restoreStreaks takes
 * it back after replay — only where it fits the restored state and is not older than staleAfter.
 */
import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/evidence.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { type CameraSpec, Monitor, type StreakRecord } from '../../src/core/monitor.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const S = 1000;
const STALE = DEFAULT_MONITOR_CONFIG.staleAfterMs;
const MONTH_START = Date.UTC(2026, 10, 1) - 8 * 3600 * S;
const GRIDS: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
const CAMS: CameraSpec[] = [
  { code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' },
  { code: 'B', gridId: 'g1', siteId: null, agentId: 'ag' },
];
const mk = (now = T0) => new Monitor(DEFAULT_MONITOR_CONFIG, GRIDS, CAMS, now);
const ok = (camera: string, at: number): Evidence => ({ camera, at, fault: null, clockOffsetMs: null });
const bad = (camera: string, at: number): Evidence => ({ camera, at, fault: 'unreachable', clockOffsetMs: null });
const feed = (m: Monitor, e: Evidence): void => void m.apply('ag', e, e.at);
/** a second monitor restarted at `now` from the first one's transitions and drained streaks */
function restart(transitions: ReturnType<Monitor['drainTransitions']>, streaks: StreakRecord[], now: number): Monitor {
  const m = mk(now);
  m.replay(new Map(), transitions, MONTH_START, now);
  m.restoreStreaks(streaks, now);
  return m;
}

describe('drainStreaks', () => {
  it('hands over a fail streak under way on each failure, and its end when the camera goes offline', () => {
    const m = mk();
    feed(m, ok('A', T0));
    expect(m.drainStreaks()).toEqual([]); // online, nothing under way: nothing to keep
    feed(m, bad('A', T0 + 10 * S));
    expect(m.drainStreaks()).toEqual([{ camera: 'A', failStreak: 1, okStreak: 0, streakStart: T0 + 10 * S, lastSuccessAt: T0, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S }]);
    feed(m, bad('A', T0 + 20 * S));
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 2, streakStart: T0 + 10 * S, lastResultAt: T0 + 20 * S }]);
    feed(m, bad('A', T0 + 30 * S)); // offline: a fail streak no longer leads anywhere
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, okStreak: 0, streakStart: 0 }]);
    feed(m, bad('A', T0 + 40 * S));
    expect(m.drainStreaks()).toEqual([]);
  });

  it('hands over an ok streak under way while offline, and its end when the camera is back', () => {
    const m = mk();
    for (let i = 0; i < 4; i++) feed(m, i === 0 ? ok('A', T0) : bad('A', T0 + i * 10 * S));
    m.drainStreaks();
    feed(m, ok('A', T0 + 50 * S));
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, okStreak: 1, streakStart: T0 + 50 * S }]);
    feed(m, ok('A', T0 + 60 * S));
    expect(m.cameras.get('A')!.state).toBe('online');
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, okStreak: 0, streakStart: 0 }]);
  });

  it('one record per camera, its latest; a result refused (old) changes nothing', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, bad('A', T0 + 10 * S));
    feed(m, bad('A', T0 + 20 * S));
    feed(m, bad('B', T0 + 20 * S));
    expect(m.drainStreaks().map((r) => [r.camera, r.failStreak])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
    expect(m.apply('ag', bad('A', T0 + 20 * S), T0 + 21 * S)).toBe('old');
    expect(m.drainStreaks()).toEqual([]);
  });

  it('the sweep and the end of maintenance clear a streak; so does a removed camera leave nothing to hand over', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, bad('A', T0 + 10 * S));
    m.drainStreaks();
    m.sweep(T0 + 10 * S + STALE + S);
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, streakStart: 0 }]);
    feed(m, bad('B', T0 + 200 * S));
    m.setMaintenance('B', true, T0 + 201 * S); // a streak during maintenance leads nowhere
    expect(m.drainStreaks()).toMatchObject([{ camera: 'B', failStreak: 0 }]);
    feed(m, bad('B', T0 + 202 * S));
    expect(m.drainStreaks()).toEqual([]);
    feed(m, bad('A', T0 + 300 * S));
    m.removeCamera('A', T0 + 301 * S);
    expect(m.drainStreaks()).toEqual([]);
  });
});

describe('restoreStreaks', () => {
  it('continues a fail streak: the next failure completes it, offline from the last success before the restart', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, bad('A', T0 + 10 * S));
    feed(m, bad('A', T0 + 20 * S));
    const m2 = restart(m.drainTransitions(), m.drainStreaks(), T0 + 25 * S);
    expect(m2.drainStreaks()).toEqual([]); // what is stored is what it runs with
    feed(m2, bad('A', T0 + 30 * S));
    expect(m2.drainTransitions()).toMatchObject([{ camera: 'A', from: 'online', to: 'offline', since: T0 }]);
  });

  it('continues a fail streak from unknown: offline from its first failure', () => {
    const m = mk();
    feed(m, bad('A', T0 + 10 * S));
    feed(m, bad('A', T0 + 20 * S));
    const m2 = restart(m.drainTransitions(), m.drainStreaks(), T0 + 25 * S);
    feed(m2, bad('A', T0 + 30 * S));
    expect(m2.drainTransitions()).toMatchObject([{ camera: 'A', from: 'unknown', to: 'offline', since: T0 + 10 * S }]);
  });

  it('continues an ok streak: the next success completes it, online from the first', () => {
    const m = mk();
    for (let i = 0; i < 4; i++) feed(m, i === 0 ? ok('A', T0) : bad('A', T0 + i * 10 * S));
    feed(m, ok('A', T0 + 50 * S));
    const m2 = restart(m.drainTransitions(), m.drainStreaks(), T0 + 55 * S);
    expect(m2.drainStreaks()).toEqual([]);
    feed(m2, ok('A', T0 + 60 * S));
    expect(m2.drainTransitions()).toMatchObject([{ camera: 'A', from: 'offline', to: 'online', since: T0 + 50 * S }]);
  });

  it('keeps the replay guard: a result at or before the last applied one is old', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, bad('A', T0 + 10 * S));
    const m2 = restart(m.drainTransitions(), m.drainStreaks(), T0 + 15 * S);
    expect(m2.apply('ag', bad('A', T0 + 10 * S), T0 + 16 * S)).toBe('old');
    expect(m2.cameras.get('A')!.failStreak).toBe(1);
  });

  it('a streak not newer than staleAfter is continued; older, it is dropped (and cleared in the store with the next write)', () => {
    const rec: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0, lastSuccessAt: T0 - 10 * S, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const online = [{ camera: 'A', from: 'unknown' as const, to: 'online' as const, at: T0 - 10 * S, since: T0 - 10 * S, fault: null, reason: 'probe' as const }];
    const edge = restart(online, [rec], T0 + 10 * S + STALE);
    expect(edge.cameras.get('A')!).toMatchObject({ failStreak: 2, streakStart: T0, lastSuccessAt: T0 - 10 * S, lastResultAt: T0 + 10 * S });
    expect(edge.drainStreaks()).toEqual([]);
    const late = restart(online, [rec], T0 + 10 * S + STALE + 1);
    expect(late.cameras.get('A')!).toMatchObject({ failStreak: 0, lastResultAt: T0 + 10 * S });
    expect(late.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, streakStart: 0 }]);
  });

  it('a streak that does not fit the restored state is dropped; an unknown camera is skipped', () => {
    const offline = [{ camera: 'A', from: 'unknown' as const, to: 'offline' as const, at: T0, since: T0, fault: 'unreachable' as const, reason: 'probe' as const }];
    const fail: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0, lastSuccessAt: null, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const m = restart(offline, [fail, { ...fail, camera: 'Z' }], T0 + 20 * S);
    expect(m.cameras.get('A')!).toMatchObject({ state: 'offline', failStreak: 0, okStreak: 0 });
    expect(m.drainStreaks().map((r) => r.camera)).toEqual(['A']);
    const okWhileOnline: StreakRecord = { ...fail, failStreak: 0, okStreak: 1 };
    const m2 = restart([], [okWhileOnline], T0 + 20 * S); // unknown: a success is enough, no ok streak
    expect(m2.cameras.get('A')!).toMatchObject({ state: 'unknown', okStreak: 0 });
  });

  it('an online camera with a fail streak but no success on record counts offline from the streak start', () => {
    const online = [{ camera: 'A', from: 'unknown' as const, to: 'online' as const, at: T0, since: T0, fault: null, reason: 'probe' as const }];
    const rec: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0 + 5 * S, lastSuccessAt: null, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const m = restart(online, [rec], T0 + 12 * S);
    feed(m, bad('A', T0 + 20 * S));
    expect(m.drainTransitions()).toMatchObject([{ to: 'offline', since: T0 + 5 * S }]);
  });
});
