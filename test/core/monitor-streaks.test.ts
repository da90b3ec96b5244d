/**
 * The streaks a restart must not forget (issue 14 item 7): Monitor.drainStreaks hands over, per
 * camera, the streak under way toward a transition when it changes; Monitor.restoreStreaks takes
 * it back after replay — only where it fits the restored state. Whether it goes on is decided by
 * the next evidence (docs/accounting.md "Runs"): measured within staleAfter of the last, the run
 * and its streak continue; after a longer gap the run starts anew, unknown.
 */
import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/evidence.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid, type Transition } from '../../src/core/model.ts';
import { type CameraSpec, type InitialState, Monitor, type StreakRecord } from '../../src/core/monitor.ts';
import { restoreMonitor, type StoredMonitor } from '../../src/core/monitor-restore.ts';
import { dayStart } from '../../src/core/time-windows.ts';

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
  m.drainTransitions(); // what the restart itself records (cameras new in the registry): not under test here
  return m;
}

/**
 * What the database holds between two runs of the hub, in memory (as in
 * test/support/core-scenario-driver.ts): the drained transitions appended to a log (a camera's
 * `registered` first), the streak records upserted per camera. Every start, the first one
 * included, is `restoreMonitor` on what it loads.
 */
class Store {
  readonly log: Transition[] = [];
  readonly streaks = new Map<string, StreakRecord>();

  write(m: Monitor, all = false): Transition[] {
    const t = m.drainTransitions();
    this.log.push(...t);
    for (const r of all ? m.allStreaks() : m.drainStreaks()) this.streaks.set(r.camera, r);
    return t;
  }

  start(now: number): Monitor {
    const openFrom = dayStart(Math.min(this.log[0]?.at ?? now, now), DEFAULT_MONITOR_CONFIG.tzOffsetMinutes);
    const replayFrom = openFrom - DEFAULT_MONITOR_CONFIG.futureToleranceMs;
    const initial = new Map<string, InitialState>();
    const history: Transition[] = [];
    for (const t of this.log) {
      if (t.at < replayFrom) initial.set(t.camera, { state: t.to, since: t.since, fault: t.fault, reason: t.reason });
      else history.push(t);
    }
    const stored: StoredMonitor = { openFrom, replayFrom, initial, history, streaks: [...this.streaks.values()] };
    return restoreMonitor(DEFAULT_MONITOR_CONFIG, GRIDS, CAMS, [], stored, now);
  }
}

describe('drainStreaks', () => {
  it('hands over the ok streak toward online from unknown, and its end when the camera is online', () => {
    const m = mk();
    feed(m, ok('A', T0)); // unknown: 1 of M = 2 successes under way
    expect(m.drainStreaks()).toEqual([{ camera: 'A', failStreak: 0, okStreak: 1, streakStart: T0, lastSuccessAt: T0, lastResultAt: T0, seenAt: T0 }]);
    feed(m, ok('A', T0 + 5 * S)); // online from T0: the ok streak no longer leads anywhere
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 0, okStreak: 0, streakStart: 0 }]);
    feed(m, ok('A', T0 + 6 * S));
    expect(m.drainStreaks()).toEqual([]); // online, nothing under way: nothing to keep
  });

  it('hands over a fail streak under way on each failure, and its end when the camera goes offline', () => {
    const m = mk();
    feed(m, ok('A', T0 - 5 * S));
    feed(m, ok('A', T0)); // online from T0 − 5 s, last success T0
    m.drainStreaks();
    feed(m, ok('A', T0 + 5 * S)); // last success T0 + 5 s
    expect(m.drainStreaks()).toEqual([]); // online, nothing under way: nothing to keep
    feed(m, bad('A', T0 + 10 * S));
    expect(m.drainStreaks()).toEqual([
      { camera: 'A', failStreak: 1, okStreak: 0, streakStart: T0 + 10 * S, lastSuccessAt: T0 + 5 * S, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S },
    ]);
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

  it('the sweep keeps the streak (provisional): late evidence continuing the run completes it, offline from the last success', () => {
    const m = mk();
    feed(m, ok('A', T0 - 5 * S));
    feed(m, ok('A', T0)); // online from T0 − 5 s, last success T0
    feed(m, bad('A', T0 + 10 * S));
    m.drainStreaks();
    m.drainTransitions();
    // nothing arrives: at 10 s + 120 s + 1 s the sweep makes A unknown from its last evidence (10 s)
    expect(m.sweep(T0 + 10 * S + STALE + S)).toBe(1);
    expect(m.drainTransitions()).toMatchObject([{ camera: 'A', from: 'online', to: 'unknown', since: T0 + 10 * S, reason: 'stale' }]);
    expect(m.drainStreaks()).toEqual([]); // the streak under way is still the one stored
    // late evidence measured at 20 s and 30 s (≤ 120 s after 10 s: the same run) arrives at 140 s
    m.apply('ag', bad('A', T0 + 20 * S), T0 + 140 * S);
    m.apply('ag', bad('A', T0 + 30 * S), T0 + 140 * S);
    // the run goes on: online again from 10 s ('resumed'), then the 3rd failure → offline from the last success, T0
    expect(m.drainTransitions()).toMatchObject([
      { camera: 'A', from: 'unknown', to: 'online', since: T0 + 10 * S, reason: 'resumed' },
      { camera: 'A', from: 'online', to: 'offline', since: T0, reason: 'probe' },
    ]);
  });

  it('the end of maintenance clears a streak; a retired camera hands over nothing more', () => {
    const m = mk();
    feed(m, bad('B', T0 + 200 * S));
    m.setMaintenance('B', true, T0 + 201 * S); // a streak during maintenance leads nowhere
    expect(m.drainStreaks()).toMatchObject([{ camera: 'B', failStreak: 0 }]);
    feed(m, bad('B', T0 + 202 * S));
    expect(m.drainStreaks()).toEqual([]);
    feed(m, bad('A', T0 + 300 * S));
    expect(m.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 1 }]);
    m.retireCamera('A', T0 + 301 * S);
    expect(m.apply('ag', bad('A', T0 + 302 * S), T0 + 302 * S)).toBe('unknown_camera');
    expect(m.drainStreaks()).toEqual([]);
  });
});

describe('restoreStreaks', () => {
  it('continues a fail streak: the next failure completes it, offline from the last success before the restart', () => {
    const m = mk();
    feed(m, ok('A', T0 - 5 * S));
    feed(m, ok('A', T0)); // online from T0 − 5 s, last success T0
    feed(m, bad('A', T0 + 10 * S));
    feed(m, bad('A', T0 + 20 * S));
    const m2 = restart(m.drainTransitions(), m.drainStreaks(), T0 + 25 * S);
    expect(m2.drainStreaks()).toEqual([]); // what is stored is what it runs with
    feed(m2, bad('A', T0 + 30 * S)); // 10 s after the last: the same run, the 3rd failure
    expect(m2.drainTransitions()).toMatchObject([{ camera: 'A', from: 'online', to: 'offline', since: T0 }]);
  });

  it('continues a fail streak from unknown: offline from its first failure', () => {
    const db = new Store();
    const m = db.start(T0); // first start: A and B registered at T0
    expect(db.write(m).map((t) => [t.camera, t.reason])).toEqual([
      ['A', 'registered'],
      ['B', 'registered'],
    ]);
    feed(m, bad('A', T0 + 10 * S));
    feed(m, bad('A', T0 + 20 * S));
    db.write(m);
    db.write(m, true); // graceful stop
    const m2 = db.start(T0 + 25 * S);
    expect(db.write(m2)).toEqual([]); // both in the log: nothing registered anew, nothing stale
    expect(m2.cameras.get('A')!).toMatchObject({ state: 'unknown', failStreak: 2, streakStart: T0 + 10 * S });
    feed(m2, bad('A', T0 + 30 * S)); // 10 s after the last: the same run, the 3rd failure
    expect(db.write(m2)).toEqual([{ camera: 'A', from: 'unknown', to: 'offline', at: T0 + 30 * S, since: T0 + 10 * S, fault: 'unreachable', reason: 'probe' }]);
    // offline 10 s → 30 s, as without the restart
    const f = m2.cameras.get('A')!.timeline.accountSpan(T0, T0 + 30 * S);
    expect([f.onlineMs, f.offlineMs, f.unknownMs]).toEqual([0, 20 * S, 10 * S]);
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

  it('the restart time does not matter: evidence within staleAfter of the last continues the streak; after a longer gap the run starts anew', () => {
    // online since T0 − 10 s (its last success); failures at T0 and T0 + 10 s (the last evidence)
    const rec: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0, lastSuccessAt: T0 - 10 * S, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const online = [{ camera: 'A', from: 'unknown' as const, to: 'online' as const, at: T0 - 10 * S, since: T0 - 10 * S, fault: null, reason: 'probe' as const }];
    for (const restartAt of [T0 + 12 * S, T0 + 10 * S + STALE + 1, T0 + 3600 * S]) {
      const r = restart(online, [rec], restartAt);
      expect(r.cameras.get('A')!).toMatchObject({ failStreak: 2, streakStart: T0, lastSuccessAt: T0 - 10 * S, lastResultAt: T0 + 10 * S });
      expect(r.drainStreaks()).toEqual([]);
    }
    // a failure measured exactly 120 s after the last (not longer than S): the same run, the 3rd → offline from T0 − 10 s
    const edge = restart(online, [rec], T0 + 10 * S + STALE);
    feed(edge, bad('A', T0 + 10 * S + STALE));
    expect(edge.drainTransitions()).toEqual([{ camera: 'A', from: 'online', to: 'offline', at: T0 + 10 * S + STALE, since: T0 - 10 * S, fault: 'unreachable', reason: 'probe' }]);
    // 1 ms later: a gap. Unknown from the last evidence (T0 + 10 s); the new run counts 1 failure
    const late = restart(online, [rec], T0 + 10 * S + STALE + 1);
    feed(late, bad('A', T0 + 10 * S + STALE + 1));
    expect(late.drainTransitions()).toEqual([{ camera: 'A', from: 'online', to: 'unknown', at: T0 + 10 * S + STALE + 1, since: T0 + 10 * S, fault: null, reason: 'gap' }]);
    expect(late.cameras.get('A')!).toMatchObject({ state: 'unknown', failStreak: 1, streakStart: T0 + 10 * S + STALE + 1 });
    expect(late.drainStreaks()).toMatchObject([{ camera: 'A', failStreak: 1, streakStart: T0 + 10 * S + STALE + 1 }]);
  });

  it('a streak that does not fit the restored state is dropped; an unknown camera is skipped', () => {
    const offline = [{ camera: 'A', from: 'unknown' as const, to: 'offline' as const, at: T0, since: T0, fault: 'unreachable' as const, reason: 'probe' as const }];
    const fail: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0, lastSuccessAt: null, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const m = restart(offline, [fail, { ...fail, camera: 'Z' }], T0 + 20 * S);
    expect(m.cameras.get('A')!).toMatchObject({ state: 'offline', failStreak: 0, okStreak: 0 });
    expect(m.drainStreaks().map((r) => r.camera)).toEqual(['A']);
    // an ok streak on an online camera leads nowhere: dropped
    const online = [{ camera: 'A', from: 'unknown' as const, to: 'online' as const, at: T0, since: T0, fault: null, reason: 'probe' as const }];
    const okStreak: StreakRecord = {
      camera: 'A',
      failStreak: 0,
      okStreak: 1,
      streakStart: T0 + 10 * S,
      lastSuccessAt: T0 + 10 * S,
      lastResultAt: T0 + 10 * S,
      seenAt: T0 + 10 * S,
    };
    const m2 = restart(online, [okStreak], T0 + 20 * S);
    expect(m2.cameras.get('A')!).toMatchObject({ state: 'online', okStreak: 0 });
    // on an unknown camera it fits (M = 2 from unknown): kept, the next success completes it, online from the first
    const db = new Store();
    const live = db.start(T0); // first start: A and B registered at T0
    db.write(live);
    feed(live, ok('A', T0 + 10 * S)); // 1 of M = 2
    db.write(live);
    db.write(live, true);
    expect(db.streaks.get('A')).toEqual(okStreak);
    const m3 = db.start(T0 + 20 * S);
    expect(db.write(m3)).toEqual([]);
    expect(m3.cameras.get('A')!).toMatchObject({ state: 'unknown', okStreak: 1, streakStart: T0 + 10 * S });
    feed(m3, ok('A', T0 + 30 * S));
    expect(db.write(m3)).toEqual([{ camera: 'A', from: 'unknown', to: 'online', at: T0 + 30 * S, since: T0 + 10 * S, fault: null, reason: 'probe' }]);
  });

  it('an online camera with a fail streak but no success on record counts offline from the streak start', () => {
    const online = [{ camera: 'A', from: 'unknown' as const, to: 'online' as const, at: T0, since: T0, fault: null, reason: 'probe' as const }];
    const rec: StreakRecord = { camera: 'A', failStreak: 2, okStreak: 0, streakStart: T0 + 5 * S, lastSuccessAt: null, lastResultAt: T0 + 10 * S, seenAt: T0 + 10 * S };
    const m = restart(online, [rec], T0 + 12 * S);
    feed(m, bad('A', T0 + 20 * S));
    expect(m.drainTransitions()).toMatchObject([{ to: 'offline', since: T0 + 5 * S }]);
  });
});
