import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/evidence.ts';
import { DEFAULT_MONITOR_CONFIG, type CameraState, type Grid, type Transition } from '../../src/core/model.ts';
import { DayAccount } from '../../src/core/day-account.ts';
import { restoreMonitor, type StoredMonitor } from '../../src/core/monitor-restore.ts';
import { type CameraSpec, type InitialState, Monitor, type StreakRecord } from '../../src/core/monitor.ts';
import { rollUp } from '../../src/core/rates.ts';
import { dayStart } from '../../src/core/time-windows.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0); // 2026-11-29 10:00 in +08:00
const S = 1000;
const MIN = 60 * S;
const STALE = DEFAULT_MONITOR_CONFIG.staleAfterMs; // 120 s
const MONTH_START = Date.UTC(2026, 10, 1) - 8 * 3600 * S; // 2026-11-01 00:00 +08:00
const F = DEFAULT_MONITOR_CONFIG.futureToleranceMs; // 300 s
const L = DEFAULT_MONITOR_CONFIG.lateEvidenceMaxAgeMs; // 24 h

const GRIDS: Grid[] = [
  { id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' },
  { id: 'g2', communityId: 'c2', townId: 't2', name: 'G2', kind: 'rural' },
];
const CAMS: CameraSpec[] = [
  { code: 'A', gridId: 'g1', siteId: 's1', agentId: 'ag' },
  { code: 'B', gridId: 'g1', siteId: 's1', agentId: 'ag' },
  { code: 'C', gridId: 'g2', siteId: null, agentId: 'ag' },
];
const mk = (now = T0) => new Monitor(DEFAULT_MONITOR_CONFIG, GRIDS, CAMS, now);
const ok = (camera: string, at: number, clockOffsetMs: number | null = null): Evidence => ({ camera, at, fault: null, clockOffsetMs });
const bad = (camera: string, at: number, fault: FaultClass = 'unreachable'): Evidence => ({ camera, at, fault, clockOffsetMs: null });
/** evidence measured and received at the same instant */
const feed = (m: Monitor, e: Evidence): void => void m.apply('ag', e, e.at);
const cam = (m: Monitor, code: string) => m.cameras.get(code)!;
const county = (m: Monitor, now: number) => rollUp(m.grids.values(), () => 'county', now).get('county')!;
const TZ = DEFAULT_MONITOR_CONFIG.tzOffsetMinutes;

/**
 * What the database holds between two runs of the hub, in memory (as in
 * test/support/core-scenario-driver.ts): the drained transitions appended to a log, the streak
 * records upserted per camera; the hub starts (first start and every restart) with
 * `restoreMonitor` on what it loads.
 */
class Store {
  readonly log: Transition[] = [];
  readonly streaks = new Map<string, StreakRecord>();
  /** the first local day not closed (null: none closed, the day of the first stored transition) */
  openFrom: number | null = null;

  /** Store what the monitor drained (`all`: a graceful stop, every streak record); returns the transitions. */
  write(m: Monitor, all = false): Transition[] {
    const t = m.drainTransitions();
    this.log.push(...t);
    for (const r of all ? m.allStreaks() : m.drainStreaks()) this.streaks.set(r.camera, r);
    return t;
  }

  load(now: number): StoredMonitor {
    const openFrom = this.openFrom ?? dayStart(Math.min(this.log[0]?.at ?? now, now), TZ);
    const replayFrom = openFrom - F;
    const initial = new Map<string, InitialState>();
    const history: Transition[] = [];
    for (const t of this.log) {
      if (t.at < replayFrom) initial.set(t.camera, { state: t.to, since: t.since, fault: t.fault, reason: t.reason });
      else history.push(t);
    }
    return { openFrom, replayFrom, initial, history, streaks: [...this.streaks.values()] };
  }

  start(registry: CameraSpec[], now: number): Monitor {
    return restoreMonitor(DEFAULT_MONITOR_CONFIG, GRIDS, registry, [], this.load(now), now);
  }

  /** Close the first open day at `now` as the hub does: the measured-time sweep, the day's accounts. */
  closeDay(m: Monitor, now: number): DayAccount {
    m.sweep(now, 'measured');
    const account = new DayAccount(m.windows.openFrom, TZ, m.gridOrder);
    for (const c of [...m.cameras.values(), ...m.retired.values()]) account.add(c);
    m.closeDay(account);
    this.openFrom = account.dayEnd;
    this.write(m);
    return account;
  }
}

describe('registry changes', () => {
  it('a camera on an unregistered grid is refused, naming the camera and the grid', () => {
    const m = mk();
    expect(() => m.addCamera({ code: 'X9', gridId: 'nowhere', siteId: null, agentId: 'ag' }, T0)).toThrow('camera X9: unknown grid nowhere');
    expect(m.cameras.has('X9')).toBe(false);
  });

  it('a retired camera leaves its grid count but its time up to the retirement still counts', () => {
    const m = mk();
    // successes every 30 s from 1 min to 3 min: online from 1 min (the first of M = 2)
    for (let t = T0 + 1 * MIN; t <= T0 + 3 * MIN; t += 30 * S) feed(m, ok('A', t));
    m.drainTransitions();
    m.retireCamera('A', T0 + 3 * MIN);
    expect(m.cameras.has('A')).toBe(false);
    expect(m.retired.has('A')).toBe(true); // history kept
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 0, offline: 0, unknown: 1, maintenance: 0 });
    expect(m.drainTransitions()).toMatchObject([{ camera: 'A', from: 'online', to: 'unknown', at: T0 + 3 * MIN, reason: 'retired' }]);
    // A was online 2 min (1 → 3 min, its last evidence and its retirement) and is in no figure after it
    const c = county(m, T0 + 60 * MIN);
    expect(c.today.onlineMs).toBe(2 * MIN);
    expect(c.today.monitoredMs).toBe(2 * MIN);
    expect(m.apply('ag', ok('A', T0 + 4 * MIN), T0 + 4 * MIN)).toBe('unknown_camera');
  });

  it('a retired camera taken back (addCamera) resumes its history with a new run', () => {
    const m = mk();
    for (const k of [60, 90, 120]) feed(m, ok('A', T0 + k * S)); // online from 1 min, last evidence 2 min
    m.retireCamera('A', T0 + 2 * MIN);
    m.addCamera(CAMS[0]!, T0 + 5 * MIN);
    expect(m.drainTransitions().at(-1)).toMatchObject({ camera: 'A', from: 'unknown', to: 'unknown', at: T0 + 5 * MIN, reason: 'returned' });
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 0, offline: 0, unknown: 2, maintenance: 0 });
    // the new run starts unknown: one success is not enough (M = 2)
    feed(m, ok('A', T0 + 5 * MIN + 30 * S));
    expect(cam(m, 'A').state).toBe('unknown');
    for (let t = T0 + 6 * MIN; t <= T0 + 8 * MIN; t += 30 * S) feed(m, ok('A', t));
    expect(cam(m, 'A')).toMatchObject({ state: 'online', stateSince: T0 + 5 * MIN + 30 * S });
    // read at 8 min (last evidence 0 s old):
    //   online 1–2 min (1 min) + 5.5–8 min (2.5 min) = 3.5 min; absent 2–5 min (in no figure);
    //   unknown 0–1 min + 5–5.5 min = 1.5 min; 3.5 + 1.5 = 5 min = its 8 min minus 3 min retired
    const f = cam(m, 'A').timeline.accountSpan(T0, T0 + 8 * MIN);
    expect([f.onlineMs, f.offlineMs, f.unknownMs, f.maintenanceMs]).toEqual([3.5 * MIN, 0, 1.5 * MIN, 0]);
    const c = county(m, T0 + 8 * MIN);
    expect(c.today.onlineMs).toBe(3.5 * MIN);
    expect(c.today.monitoredMs).toBe(3.5 * MIN);
  });

  it('retiring a camera that is not registered changes nothing', () => {
    const m = mk();
    feed(m, ok('A', T0 + S));
    feed(m, ok('A', T0 + 2 * S)); // M = 2: online
    m.drainTransitions();
    expect(() => m.retireCamera('ZZ', T0 + 3 * S)).not.toThrow();
    expect(m.cameras.size).toBe(3);
    expect(m.retired.size).toBe(0);
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    expect(m.drainTransitions()).toEqual([]);
  });
});

describe('clock drift (时钟一致率 input)', () => {
  it('keeps the latest measured clock offset; a result without a measurement keeps the previous one', () => {
    const m = mk();
    expect(cam(m, 'A').clockOffsetMs).toBeNull();
    feed(m, ok('A', T0 + S, 15_000));
    expect(cam(m, 'A').clockOffsetMs).toBe(15_000);
    feed(m, bad('A', T0 + 2 * S)); // not measured
    expect(cam(m, 'A').clockOffsetMs).toBe(15_000);
    feed(m, ok('A', T0 + 3 * S, -200));
    expect(cam(m, 'A').clockOffsetMs).toBe(-200);
  });
});

describe('where evidence is placed in time', () => {
  it('evidence from an agent clock ahead of the hub, within F = 300 s, is placed at its measured instant; more than F ahead it is refused (future)', () => {
    const m = mk();
    const now = T0 + 10 * S;
    expect(m.apply('ag', ok('A', now + F + 1), now)).toBe('future');
    expect(m.apply('ag', ok('A', now + F - 30 * S), now)).toBe('applied');
    expect(m.apply('ag', ok('A', now + F), now)).toBe('applied'); // exactly F ahead: accepted
    // decided at hub time `now`, online from the first success's measured instant, now + 270 s
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'unknown', to: 'online', at: now, since: now + F - 30 * S, fault: null, reason: 'probe' }]);
  });

  it('late evidence within the staleness window is placed at the time it was measured', () => {
    const m = mk();
    const now = T0 + 60 * S;
    m.apply('ag', ok('A', T0 + 30 * S), now);
    m.apply('ag', ok('A', T0 + 40 * S), now);
    expect(m.drainTransitions()).toMatchObject([{ to: 'online', at: now, since: T0 + 30 * S }]);
    // online from 30 s; the newest evidence (40 s) is 20 s old ≤ S, so the state lasts until now: 60 − 30 = 30 s
    expect(county(m, now).today.onlineMs).toBe(30 * S);
  });

  it('late evidence older than the staleness window is placed at its measured time, not clamped', () => {
    const m = mk();
    const now = T0 + 300 * S;
    m.apply('ag', ok('A', T0 + 10 * S), now);
    m.apply('ag', ok('A', T0 + 40 * S), now);
    expect(m.drainTransitions()).toMatchObject([{ to: 'online', at: now, since: T0 + 10 * S }]);
  });

  it('the live figure after late evidence older than S: live the state goes on while evidence keeps arriving; the measured sweep ends the run at its last evidence', () => {
    const m = mk();
    const now = T0 + 300 * S;
    m.apply('ag', ok('A', T0 + 10 * S), now);
    m.apply('ag', ok('A', T0 + 40 * S), now);
    // live, the sweep goes by ARRIVAL (the hub's clock): the evidence arrived just now, so the state
    // goes on (an agent clock behind the hub by more than S must not make its cameras unknown)
    expect(m.sweep(now)).toBe(0);
    expect(cam(m, 'A').state).toBe('online');
    expect(county(m, now).today).toEqual({ onlineRate: 1, onlineMs: 290 * S, monitoredMs: 290 * S });
    // before a day closes the sweep goes by MEASURED time (docs/accounting.md "Outside runs"): the
    // newest evidence (40 s) is 260 s old > S, so the run ends there: online 10 → 40 s = 30 s, unknown after
    expect(m.sweep(now, 'measured')).toBe(1);
    expect(m.drainTransitions().at(-1)).toEqual({ camera: 'A', from: 'online', to: 'unknown', at: now, since: T0 + 40 * S, fault: null, reason: 'stale' });
    expect(cam(m, 'A').state).toBe('unknown');
    const c = county(m, now);
    expect(c.today.onlineMs).toBe(30 * S);
    expect(c.today.monitoredMs).toBe(30 * S);
  });

  it('evidence measured more than L = 24 h before it arrives is refused (too_old) and changes nothing; exactly L is accepted', () => {
    const m = mk();
    const now = T0 + 25 * 3600 * S;
    expect(m.apply('ag', ok('A', now - L - 1), now)).toBe('too_old');
    expect(cam(m, 'A')).toMatchObject({ state: 'unknown', okStreak: 0, lastResultAt: Number.NEGATIVE_INFINITY });
    expect(m.drainTransitions()).toEqual([]);
    expect(m.apply('ag', ok('A', now - L), now)).toBe('applied');
    expect(m.apply('ag', ok('A', now - L + 30 * S), now)).toBe('applied');
    // placed 24 h back: online from now − L, decided now
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'unknown', to: 'online', at: now, since: now - L, fault: null, reason: 'probe' }]);
  });

  it('the checks run future → too_old → old: a refused item does not become the replay guard', () => {
    const m = mk();
    const now = T0 + 25 * 3600 * S;
    expect(m.apply('ag', ok('A', now + F + 1), now)).toBe('future');
    expect(m.apply('ag', ok('A', now - L - 1), now)).toBe('too_old');
    expect(m.apply('ag', ok('A', now - 60 * S), now)).toBe('applied');
    expect(m.apply('ag', ok('A', now - 60 * S), now)).toBe('old');
    expect(m.apply('ag', ok('A', now - 90 * S), now)).toBe('old');
  });

  it('evidence measured inside a maintenance window starts no run: the run after it starts at the first evidence measured after its end', () => {
    const m = mk();
    m.setMaintenance('A', true, T0 + 10 * S);
    m.setMaintenance('A', false, T0 + 100 * S); // unknown since 100 s
    m.drainTransitions();
    m.apply('ag', ok('A', T0 + 90 * S), T0 + 101 * S); // measured in maintenance: excluded
    m.apply('ag', ok('A', T0 + 130 * S), T0 + 130 * S); // 1st success of the new run
    expect(cam(m, 'A').state).toBe('unknown');
    m.apply('ag', ok('A', T0 + 160 * S), T0 + 160 * S);
    expect(m.drainTransitions()).toMatchObject([{ from: 'unknown', to: 'online', since: T0 + 130 * S }]);
    // 100–130 s unknown, 130–160 s online
    const f = cam(m, 'A').timeline.accountSpan(T0 + 100 * S, T0 + 160 * S);
    expect([f.onlineMs, f.unknownMs]).toEqual([30 * S, 30 * S]);
  });
});

describe('debounce', () => {
  it('a success while online is no transition', () => {
    const m = mk();
    feed(m, ok('A', T0 + S));
    feed(m, ok('A', T0 + 2 * S));
    feed(m, ok('A', T0 + 3 * S));
    expect(m.drainTransitions()).toHaveLength(1);
    expect(cam(m, 'A').state).toBe('online');
    expect(cam(m, 'A').stateSince).toBe(T0 + S);
  });

  it('an offline camera needs two successes to come back, online since the first, as a probe transition without fault', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, ok('A', T0 + S)); // online from T0, last success T0 + 1 s
    for (const k of [2, 3, 4]) feed(m, bad('A', T0 + k * S, 'stream_down'));
    expect(m.drainTransitions().at(-1)).toEqual({ camera: 'A', from: 'online', to: 'offline', at: T0 + 4 * S, since: T0 + S, fault: 'stream_down', reason: 'probe' });
    feed(m, ok('A', T0 + 5 * S));
    expect(m.drainTransitions()).toEqual([]);
    expect(cam(m, 'A').fault).toBe('stream_down');
    feed(m, ok('A', T0 + 6 * S));
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'offline', to: 'online', at: T0 + 6 * S, since: T0 + 5 * S, fault: null, reason: 'probe' }]);
    expect(cam(m, 'A').fault).toBeNull();
  });

  it('a camera never seen alive is offline from its first failure', () => {
    const m = mk();
    for (const k of [10, 20, 30]) feed(m, bad('A', T0 + k * S));
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'unknown', to: 'offline', at: T0 + 30 * S, since: T0 + 10 * S, fault: 'unreachable', reason: 'probe' }]);
    // 10 s → 60 s offline, nothing online
    const c = county(m, T0 + 60 * S);
    expect(c.today.onlineMs).toBe(0);
    expect(c.today.monitoredMs).toBe(50 * S);
  });

  it('the fault reported is the latest failure of the streak', () => {
    const m = mk();
    feed(m, bad('A', T0 + 1 * S, 'stream_down'));
    feed(m, bad('A', T0 + 2 * S, 'auth_failed'));
    feed(m, bad('A', T0 + 3 * S, 'onvif_down'));
    expect(m.drainTransitions()).toMatchObject([{ to: 'offline', fault: 'onvif_down' }]);
  });
});

describe('staleness: unknown is never offline', () => {
  it('an offline camera without fresh evidence becomes unknown, and the stale transition carries no fault', () => {
    const m = mk();
    for (const k of [1, 2, 3]) feed(m, bad('A', T0 + k * S));
    m.drainTransitions();
    const now = T0 + 3 * S + STALE + 1;
    expect(m.sweep(now)).toBe(1);
    // unknown from the last evidence (T0 + 3 s), decided at `now`
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'offline', to: 'unknown', at: now, since: T0 + 3 * S, fault: null, reason: 'stale' }]);
    // offline 1 → 3 s (2 s), unknown after it: read at `now`, 2 s monitored, none online
    expect(county(m, now).today).toMatchObject({ onlineMs: 0, monitoredMs: 2 * S });
  });

  it('cameras already unknown or in maintenance are not swept', () => {
    const m = mk();
    m.setMaintenance('A', true, T0);
    m.drainTransitions();
    expect(m.sweep(T0 + 10 * STALE)).toBe(0);
    expect(m.drainTransitions()).toEqual([]);
    expect([cam(m, 'A').state, cam(m, 'B').state]).toEqual(['maintenance', 'unknown']);
  });

  it('the failure count starts over after a gap', () => {
    const m = mk();
    feed(m, ok('A', T0 - S));
    feed(m, ok('A', T0)); // online
    feed(m, bad('A', T0 + S));
    feed(m, bad('A', T0 + 2 * S));
    m.sweep(T0 + 2 * S + STALE + 1);
    const t = T0 + 10 * MIN;
    feed(m, bad('A', t));
    expect(cam(m, 'A').state).toBe('unknown');
    feed(m, bad('A', t + S));
    feed(m, bad('A', t + 2 * S));
    expect(cam(m, 'A').state).toBe('offline');
  });
});

describe('maintenance (报备) on the state machine', () => {
  it('putting an unregistered camera in maintenance is refused', () => {
    const m = mk();
    expect(m.setMaintenance('ZZ', true, T0)).toBe(false);
    expect(m.setMaintenance('ZZ', false, T0)).toBe(false);
    expect(m.drainTransitions()).toEqual([]);
  });

  it('maintenance starts once, at the hub time, and is reported as maintenance_start', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, ok('A', T0 + S)); // online
    m.drainTransitions();
    expect(m.setMaintenance('A', true, T0 + 5 * S)).toBe(true);
    expect(m.setMaintenance('A', true, T0 + 6 * S)).toBe(true);
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'online', to: 'maintenance', at: T0 + 5 * S, since: T0 + 5 * S, fault: null, reason: 'maintenance_start' }]);
    expect(cam(m, 'A').state).toBe('maintenance');
  });

  it('ending maintenance of a camera not in maintenance changes nothing', () => {
    const m = mk();
    feed(m, ok('A', T0));
    feed(m, ok('A', T0 + S)); // online
    m.drainTransitions();
    expect(m.setMaintenance('A', false, T0 + 5 * S)).toBe(true);
    expect(m.drainTransitions()).toEqual([]);
    expect(cam(m, 'A').state).toBe('online');
  });

  it('a camera in maintenance ignores successes and failures; at the end it is unknown (maintenance_end)', () => {
    const m = mk();
    m.setMaintenance('A', true, T0);
    for (const k of [1, 2, 3]) feed(m, ok('A', T0 + k * S));
    for (const k of [4, 5, 6, 7]) feed(m, bad('A', T0 + k * S));
    expect(cam(m, 'A').state).toBe('maintenance');
    m.setMaintenance('A', false, T0 + 10 * S);
    expect(m.drainTransitions()).toEqual([
      { camera: 'A', from: 'unknown', to: 'maintenance', at: T0, since: T0, fault: null, reason: 'maintenance_start' },
      { camera: 'A', from: 'maintenance', to: 'unknown', at: T0 + 10 * S, since: T0 + 10 * S, fault: null, reason: 'maintenance_end' },
    ]);
    // the failures seen during maintenance do not count towards offline afterwards
    feed(m, bad('A', T0 + 11 * S));
    feed(m, bad('A', T0 + 12 * S));
    expect(cam(m, 'A').state).toBe('unknown');
  });
});

describe('restart: rebuilding from the transition log', () => {
  const restartAt = T0 + 60 * MIN;

  it('each camera starts from its state before the open period; a camera with no log entry is registered at the restart; nothing is reported anew', () => {
    // first start on an empty store, 20 min before the month start, with A only in the registry
    const db = new Store();
    const first = MONTH_START - 20 * MIN;
    const live = db.start([CAMS[0]!], first);
    expect(db.write(live)).toEqual([{ camera: 'A', from: 'unknown', to: 'unknown', at: first, since: first, fault: null, reason: 'registered' }]);
    // A answers every 60 s (≤ S: one run) from 15 min before the month start: online from then
    const until = MONTH_START + 90 * MIN;
    for (let t = MONTH_START - 15 * MIN; t <= until; t += MIN) {
      if (t === MONTH_START + 60 * MIN) db.closeDay(live, t); // 2026-10-31 closes at its end + G = 1 h
      live.apply('ag', ok('A', t), t);
      db.write(live);
    }
    expect(db.openFrom).toBe(MONTH_START);
    db.write(live, true); // graceful stop right after the last evidence
    // restart 60 s later (< S) with B and C added to the registry while the hub was down
    const restart = until + MIN;
    const m = db.start(CAMS, restart);
    // A from its transition before the open period (online since 15 min before the month start), not reported anew
    expect(cam(m, 'A')).toMatchObject({ state: 'online', stateSince: MONTH_START - 15 * MIN });
    // B and C have nothing in the log: new to the registry at the restart, present only from then
    expect(db.write(m)).toEqual(['B', 'C'].map((camera) => ({ camera, from: 'unknown', to: 'unknown', at: restart, since: restart, fault: null, reason: 'registered' })));
    for (const c of ['B', 'C']) expect(cam(m, c)).toMatchObject({ state: 'unknown', stateSince: restart, presentFrom: restart });
    const b = cam(m, 'B').timeline.accountSpan(MONTH_START, restart + 10 * MIN);
    expect([b.onlineMs, b.offlineMs, b.unknownMs, b.maintenanceMs]).toEqual([0, 0, 10 * MIN, 0]); // nothing before the restart
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    // the month: A online from the month start to now (its newest evidence 60 s old ≤ S), as the hub that did not stop
    const month = { onlineRate: 1, onlineMs: restart - MONTH_START, monitoredMs: restart - MONTH_START };
    expect(county(m, restart).month).toEqual(month);
    expect(county(live, restart).month).toEqual(month);
    // the evidence goes on (60 s after the last: the same run), the state with it
    m.apply('ag', ok('A', restart), restart);
    expect(db.write(m)).toEqual([]);
    expect(county(m, restart + 5 * S).month.onlineMs).toBe(restart + 5 * S - MONTH_START);
  });

  it('transitions of cameras no longer registered are skipped', () => {
    const m = mk();
    const gone: Transition = { camera: 'GONE', from: 'unknown', to: 'online', at: T0, since: T0, fault: null, reason: 'probe' };
    const a: Transition = { camera: 'A', from: 'unknown', to: 'online', at: T0 + S, since: T0 + S, fault: null, reason: 'probe' };
    expect(() => m.replay(new Map(), [gone, a], MONTH_START, restartAt)).not.toThrow();
    expect(cam(m, 'A').state).toBe('online');
    expect(m.cameras.has('GONE')).toBe(false);
  });

  it('the restored fault is the one a live monitor holds: the last offline fault, cleared by coming back, kept through maintenance', () => {
    const live = mk();
    // A: offline for unreachable
    feed(live, ok('A', T0 + 1 * S));
    for (const k of [2, 3, 4]) feed(live, bad('A', T0 + k * S, 'unreachable'));
    // B: offline for auth, then back online
    feed(live, ok('B', T0 + 1 * S));
    for (const k of [2, 3, 4]) feed(live, bad('B', T0 + k * S, 'auth_failed'));
    feed(live, ok('B', T0 + 5 * S));
    feed(live, ok('B', T0 + 6 * S));
    // C: offline for the stream, then put in maintenance
    feed(live, ok('C', T0 + 1 * S));
    for (const k of [2, 3, 4]) feed(live, bad('C', T0 + k * S, 'stream_down'));
    live.setMaintenance('C', true, T0 + 7 * S);
    const log = live.drainTransitions();
    expect([cam(live, 'A').fault, cam(live, 'B').fault, cam(live, 'C').fault]).toEqual(['unreachable', null, 'stream_down']);

    const restored = mk();
    restored.replay(new Map(), log, MONTH_START, restartAt);
    expect(['A', 'B', 'C'].map((c) => [cam(restored, c).state, cam(restored, c).fault])).toEqual([
      ['offline', 'unreachable'],
      ['online', null],
      ['maintenance', 'stream_down'],
    ]);
  });

  it('restored cameras are fresh at the restart: the staleness rule runs from there', () => {
    const m = mk();
    m.replay(
      new Map([
        ['A', { state: 'online' as CameraState, since: MONTH_START }],
        ['B', { state: 'offline' as CameraState, since: MONTH_START }],
      ]),
      [],
      MONTH_START,
      restartAt,
    );
    expect(m.sweep(restartAt + STALE)).toBe(0);
    expect(m.sweep(restartAt + STALE + 1)).toBe(2);
  });

  it('the hub down is unknown, not the last state: after the restart failures start a new run, offline from the first of them', () => {
    // first start at T0 on an empty store: A, B, C registered
    const db = new Store();
    const live = db.start(CAMS, T0);
    expect(db.write(live).map((t) => [t.camera, t.reason, t.since])).toEqual(['A', 'B', 'C'].map((c) => [c, 'registered', T0]));
    // A online from T0 (successes at T0 and T0 + 30 s), B no evidence; the hub stops at T0 + 40 s
    feed(live, ok('A', T0));
    feed(live, ok('A', T0 + 30 * S));
    db.write(live);
    db.write(live, true);
    const m = db.start(CAMS, restartAt);
    // the restart's sweep: A unknown from its last evidence, T0 + 30 s; nothing else (all three in the log)
    expect(db.write(m)).toEqual([{ camera: 'A', from: 'online', to: 'unknown', at: restartAt, since: T0 + 30 * S, fault: null, reason: 'stale' }]);
    for (const k of [10, 20, 30]) {
      m.apply('ag', bad('A', restartAt + k * S), restartAt + k * S);
      m.apply('ag', bad('B', restartAt + k * S), restartAt + k * S);
    }
    // 60 min after its last evidence: a gap, the new run starts unknown → offline from its first failure
    expect(db.write(m)).toEqual([
      { camera: 'A', from: 'unknown', to: 'offline', at: restartAt + 30 * S, since: restartAt + 10 * S, fault: 'unreachable', reason: 'probe' },
      { camera: 'B', from: 'unknown', to: 'offline', at: restartAt + 30 * S, since: restartAt + 10 * S, fault: 'unreachable', reason: 'probe' },
    ]);
    // A from T0 to restart + 30 s: online 30 s (T0 → T0 + 30 s), offline 20 s (restart + 10 s → + 30 s), the rest unknown
    const f = cam(m, 'A').timeline.accountSpan(T0, restartAt + 30 * S);
    expect([f.onlineMs, f.offlineMs, f.unknownMs]).toEqual([30 * S, 20 * S, 60 * MIN + 30 * S - 50 * S]);
    // the same as the hub that never stopped (its sweep made A unknown from T0 + 30 s as well)
    live.sweep(T0 + 30 * S + STALE + 1);
    for (const k of [10, 20, 30]) {
      live.apply('ag', bad('A', restartAt + k * S), restartAt + k * S);
      live.apply('ag', bad('B', restartAt + k * S), restartAt + k * S);
    }
    expect(county(live, restartAt + 30 * S).today).toEqual(county(m, restartAt + 30 * S).today);
  });
});

describe('offline after a gap in the evidence starts at the first failure after the gap (unknown is never offline)', () => {
  const mkA = () =>
    new Monitor(DEFAULT_MONITOR_CONFIG, [{ id: 'g1', communityId: 'c', townId: 't', name: 'G', kind: 'urban' }], [{ code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' }], T0);
  const ev = (at: number, fault: 'unreachable' | null): Evidence => ({ camera: 'A', at, fault, clockOffsetMs: null });

  it('after the camera went stale (unknown)', () => {
    const m = mkA();
    m.apply('ag', ev(T0, null), T0);
    m.apply('ag', ev(T0 + 30 * S, null), T0 + 30 * S); // online from 10:00, last evidence 10:00:30, then silence
    m.sweep(T0 + 10 * MIN); // unknown from 10:00:30 (the last evidence)
    const t = T0 + 60 * MIN; // evidence again at 11:00: three failures
    for (const k of [0, 1, 2]) m.apply('ag', ev(t + k * 10_000, 'unreachable'), t + k * 10_000);
    expect(m.drainTransitions().at(-1)).toMatchObject({ from: 'unknown', to: 'offline', since: t });
    const day = rollUp(m.grids.values(), () => 'x', t + 20_000).get('x')!.today;
    // online 10:00–10:00:30, unknown 10:00:30–11:00, offline 11:00–11:00:20
    expect(day.onlineMs).toBe(30 * S);
    expect(day.monitoredMs).toBe(30 * S + 20_000);
  });

  it('after a maintenance window', () => {
    const m = mkA();
    m.apply('ag', ev(T0, null), T0);
    m.setMaintenance('A', true, T0 + 1 * MIN);
    m.setMaintenance('A', false, T0 + 30 * MIN); // unknown since 10:30
    const t = T0 + 40 * MIN;
    for (const k of [0, 1, 2]) m.apply('ag', ev(t + k * 10_000, 'unreachable'), t + k * 10_000);
    expect(m.drainTransitions().at(-1)).toMatchObject({ from: 'unknown', to: 'offline', since: t });
  });
});
