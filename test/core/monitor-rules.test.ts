import { describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/evidence.ts';
import { DEFAULT_MONITOR_CONFIG, type CameraState, type Grid, type Transition } from '../../src/core/model.ts';
import { type CameraSpec, Monitor } from '../../src/core/monitor.ts';
import { rollUp } from '../../src/core/rates.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0); // 2026-11-29 10:00 in +08:00
const S = 1000;
const MIN = 60 * S;
const STALE = DEFAULT_MONITOR_CONFIG.staleAfterMs; // 120 s
const MONTH_START = Date.UTC(2026, 10, 1) - 8 * 3600 * S; // 2026-11-01 00:00 +08:00

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

describe('registry changes', () => {
  it('a camera on an unregistered grid is refused, naming the camera and the grid', () => {
    const m = mk();
    expect(() => m.addCamera({ code: 'X9', gridId: 'nowhere', siteId: null, agentId: 'ag' }, T0)).toThrow('camera X9: unknown grid nowhere');
    expect(m.cameras.has('X9')).toBe(false);
  });

  it('a removed camera leaves its grid count but keeps the time it already accrued', () => {
    const m = mk();
    feed(m, ok('A', T0 + 1 * MIN));
    m.removeCamera('A', T0 + 3 * MIN);
    expect(m.cameras.has('A')).toBe(false);
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 0, offline: 0, unknown: 1, maintenance: 0 });
    // A was online 2 min (1 → 3 min) and counts no more after its removal
    const c = county(m, T0 + 60 * MIN);
    expect(c.today.onlineMs).toBe(2 * MIN);
    expect(c.today.monitoredMs).toBe(2 * MIN);
  });

  it('removing a camera that is not registered changes nothing', () => {
    const m = mk();
    feed(m, ok('A', T0 + S));
    expect(() => m.removeCamera('ZZ', T0 + 2 * S)).not.toThrow();
    expect(m.cameras.size).toBe(3);
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
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
  it('evidence from an agent clock ahead of the hub is placed at the hub time, never in the future', () => {
    const m = mk();
    const now = T0 + 10 * S;
    expect(m.apply('ag', ok('A', now + 5 * S), now)).toBe('applied');
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'unknown', to: 'online', at: now, since: now, fault: null, reason: 'probe' }]);
  });

  it('late evidence within the staleness window is placed at the time it was measured', () => {
    const m = mk();
    const now = T0 + 60 * S;
    m.apply('ag', ok('A', T0 + 30 * S), now);
    expect(m.drainTransitions()).toMatchObject([{ to: 'online', at: now, since: T0 + 30 * S }]);
    // online 30 s before the hub heard of it: 30 s of online time at arrival
    expect(county(m, now).today.onlineMs).toBe(30 * S);
  });

  it('evidence older than the staleness window counts only from the window start', () => {
    const m = mk();
    const now = T0 + 300 * S;
    m.apply('ag', ok('A', T0 + 10 * S), now);
    expect(m.drainTransitions()).toMatchObject([{ to: 'online', since: now - STALE }]);
  });

  it('evidence measured before the current state began counts from the state start', () => {
    const m = mk();
    m.setMaintenance('A', true, T0 + 10 * S);
    m.setMaintenance('A', false, T0 + 100 * S); // unknown since 100 s
    m.drainTransitions();
    m.apply('ag', ok('A', T0 + 90 * S), T0 + 101 * S);
    expect(m.drainTransitions()).toMatchObject([{ from: 'unknown', to: 'online', since: T0 + 100 * S }]);
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
    feed(m, ok('A', T0 + S));
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
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'offline', to: 'unknown', at: now, since: now, fault: null, reason: 'stale' }]);
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
    feed(m, ok('A', T0));
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
    feed(m, ok('A', T0 + S));
    m.drainTransitions();
    expect(m.setMaintenance('A', true, T0 + 5 * S)).toBe(true);
    expect(m.setMaintenance('A', true, T0 + 6 * S)).toBe(true);
    expect(m.drainTransitions()).toEqual([{ camera: 'A', from: 'online', to: 'maintenance', at: T0 + 5 * S, since: T0 + 5 * S, fault: null, reason: 'maintenance_start' }]);
    expect(cam(m, 'A').state).toBe('maintenance');
  });

  it('ending maintenance of a camera not in maintenance changes nothing', () => {
    const m = mk();
    feed(m, ok('A', T0 + S));
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

  it('each camera starts from its state at the month start, unknown when the log has none; nothing is reported anew', () => {
    const m = mk();
    m.replay(new Map([['A', { state: 'online' as CameraState, since: MONTH_START - 5 * MIN }]]), [], MONTH_START, restartAt);
    expect([cam(m, 'A').state, cam(m, 'B').state, cam(m, 'C').state]).toEqual(['online', 'unknown', 'unknown']);
    expect(cam(m, 'A').stateSince).toBe(MONTH_START - 5 * MIN);
    expect(cam(m, 'B').stateSince).toBe(MONTH_START);
    expect(m.grids.get('g1')!.tally.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    // A online from the month start to the restart
    expect(county(m, restartAt).month).toEqual({ onlineRate: 1, onlineMs: restartAt - MONTH_START, monitoredMs: restartAt - MONTH_START });
    expect(m.drainTransitions()).toEqual([]);
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

  it('a camera restored online is offline from the restart after three failures; one restored unknown, from its first failure', () => {
    const m = mk();
    m.replay(new Map([['A', { state: 'online' as CameraState, since: MONTH_START }]]), [], MONTH_START, restartAt);
    for (const k of [10, 20, 30]) {
      m.apply('ag', bad('A', restartAt + k * S), restartAt + k * S);
      m.apply('ag', bad('B', restartAt + k * S), restartAt + k * S);
    }
    expect(m.drainTransitions()).toEqual([
      { camera: 'A', from: 'online', to: 'offline', at: restartAt + 30 * S, since: restartAt, fault: 'unreachable', reason: 'probe' },
      { camera: 'B', from: 'unknown', to: 'offline', at: restartAt + 30 * S, since: restartAt + 10 * S, fault: 'unreachable', reason: 'probe' },
    ]);
  });
});

describe('offline after a gap in the evidence starts at the first failure after the gap (unknown is never offline)', () => {
  const mkA = () =>
    new Monitor(DEFAULT_MONITOR_CONFIG, [{ id: 'g1', communityId: 'c', townId: 't', name: 'G', kind: 'urban' }], [{ code: 'A', gridId: 'g1', siteId: null, agentId: 'ag' }], T0);
  const ev = (at: number, fault: 'unreachable' | null): Evidence => ({ camera: 'A', at, fault, clockOffsetMs: null });

  it('after the camera went stale (unknown)', () => {
    const m = mkA();
    m.apply('ag', ev(T0, null), T0); // online at 10:00, then silence
    m.sweep(T0 + 10 * MIN); // unknown since 10:10
    const t = T0 + 60 * MIN; // evidence again at 11:00: three failures
    for (const k of [0, 1, 2]) m.apply('ag', ev(t + k * 10_000, 'unreachable'), t + k * 10_000);
    expect(m.drainTransitions().at(-1)).toMatchObject({ from: 'unknown', to: 'offline', since: t });
    const day = rollUp(m.grids.values(), () => 'x', t + 20_000).get('x')!.today;
    // online 10:00–10:10, unknown 10:10–11:00, offline 11:00–11:00:20
    expect(day.onlineMs).toBe(10 * MIN);
    expect(day.monitoredMs).toBe(10 * MIN + 20_000);
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
