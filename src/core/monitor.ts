/**
 * The hub's authoritative in-memory view of the county: one state machine and one timeline
 * per camera, and the cameras per state of each grid. Takes evidence and time as arguments and
 * returns transitions; does no I/O (the shell persists what it returns).
 *
 * Rules (docs/accounting.md, DESIGN.md "Availability accounting"):
 *  - evidence is placed at the instant it was measured; the camera's evidence must come in
 *    measured order (not newer than the last applied: `old`), at most `futureToleranceMs` ahead
 *    of the hub (`future`) and at most `lateEvidenceMaxAgeMs` behind it (`too_old`);
 *  - a gap in the evidence longer than `staleAfterMs` ends a run: the gap is unknown and the
 *    next run starts unknown; unknown is never offline;
 *  - within a run: offline after N consecutive failures (from unknown: from the first of them;
 *    from online: from the last success), online after M consecutive successes (from the first);
 *    from unknown both wait for their count;
 *  - nothing arriving for `staleAfterMs` (the sweep, on the hub's clock) makes an online or
 *    offline camera unknown from its last evidence, provisionally: evidence that arrives late
 *    but continues the run (measured within `staleAfterMs` of the last) undoes it;
 *  - maintenance cameras are excluded and ignore evidence; after a window a new run starts;
 *  - a camera taken out of the registry is retired: absent from then on, its past kept;
 *  - what a restart must not forget (streaks, the pre-sweep state, the newest evidence time)
 *    is drained with the transitions (`drainStreaks`) and taken back by `restoreStreaks`.
 */
import type { FaultClass } from '../protocol/probe-result.ts';
import { CameraTimeline } from './camera-timeline.ts';
import type { DayAccount } from './day-account.ts';
import type { Evidence, EvidenceVerdict } from './evidence.ts';
import { GridTally } from './grid-tally.ts';
import { LiveWindows } from './live-windows.ts';
import type { CameraState, Grid, MonitorConfig, Transition, TransitionReason } from './model.ts';
import { dayStart } from './time-windows.ts';

/** The state machine of one camera: what a sweep sets aside and late evidence takes back. */
interface Machine {
  state: CameraState;
  /** when the current state began (offline: the last success) */
  stateSince: number;
  okStreak: number;
  failStreak: number;
  /** evidence time of the first result of the current streak */
  streakStart: number;
  lastSuccessAt: number | null;
  /** the latest failure's class */
  fault: FaultClass | null;
  /** offline: the class its interval carries (the failure that completed the N) */
  offlineFault: FaultClass | null;
}

export interface CameraEntry extends Machine {
  readonly code: string;
  readonly gridId: string;
  /** position of its grid in Monitor.gridOrder (typed-array recounts) */
  readonly gridIndex: number;
  readonly siteId: string | null;
  agentId: string | null;
  tally: GridTally;
  timeline: CameraTimeline;
  /** measured time of the newest applied evidence (order guard, gaps); −∞ before any */
  lastResultAt: number;
  /** hub time the newest evidence arrived (the sweep) */
  lastSeenAt: number;
  clockOffsetMs: number | null;
  /** the machine before a sweep made the camera unknown: evidence continuing the run takes it back */
  held: Machine | null;
  /** evidence measured before this (a maintenance window's end, a return to the registry) starts no run */
  floor: number;
  /** since when the camera is in the registry (it entered or came back): no state is painted before */
  presentFrom: number;
  /** the next evidence starts a new run whatever its distance to the last (after maintenance, a return) */
  runBroken: boolean;
  /** what `drainStreaks` handed over last: the signed streak (+ failures, − successes), its start, the evidence time */
  savedStreak: number;
  savedStreakStart: number;
  savedResultAt: number;
}

/**
 * What a restart must not forget of a camera beyond its transitions: the streak under way
 * toward a transition — failures toward offline (online, unknown) or successes toward online
 * (offline), at most one of the two non-zero; for a camera a sweep made unknown, the streak it
 * had before — and the newest evidence time (order guard, gaps; kept at most
 * `staleAfterMs / 2` behind, exact after a graceful stop).
 */
export interface StreakRecord {
  camera: string;
  failStreak: number;
  okStreak: number;
  /** evidence time of the streak's first result (0: no streak) */
  streakStart: number;
  /** offline counts back to it when a fail streak on an online camera completes */
  lastSuccessAt: number | null;
  /** measured time of the newest applied evidence */
  lastResultAt: number;
  /** hub time that evidence arrived */
  seenAt: number;
}

/** A camera's last transition decided before the open period (restart). */
export interface InitialState {
  state: CameraState;
  since: number;
  fault?: FaultClass | null;
  reason?: TransitionReason;
}

export interface CameraSpec {
  code: string;
  gridId: string;
  siteId: string | null;
  agentId: string | null;
}

export class Monitor {
  /** cameras in the registry */
  readonly cameras = new Map<string, CameraEntry>();
  /** cameras taken out of the registry whose timeline still reaches into an open day */
  readonly retired = new Map<string, CameraEntry>();
  readonly grids = new Map<string, { grid: Grid; tally: GridTally }>();
  /** grid ids in index order (CameraEntry.gridIndex) */
  readonly gridOrder: string[] = [];
  private readonly gridIndexOf = new Map<string, number>();
  private pending: Transition[] = [];
  /** cameras whose record for `drainStreaks` changed since the last call */
  private streakChanged = new Set<CameraEntry>();
  /** bumped with every change of a timeline (figure caches key on it) */
  version = 0;
  /** today's and this month's time-weighted windows of every grid */
  readonly windows: LiveWindows;

  constructor(
    readonly config: MonitorConfig,
    grids: Grid[],
    cameras: CameraSpec[],
    now: number,
  ) {
    this.windows = new LiveWindows(this, dayStart(now, config.tzOffsetMinutes));
    for (const g of grids) {
      this.grids.set(g.id, { grid: g, tally: new GridTally(this.windows) });
      this.gridIndexOf.set(g.id, this.gridOrder.length);
      this.gridOrder.push(g.id);
    }
    for (const c of cameras) this.addCamera(c, now, false);
  }

  /**
   * A camera enters the registry (unknown, `registered`); one retired before comes back with its
   * history (`returned`). `record: false`: the constructor's cameras (`replay` decides).
   */
  addCamera(spec: CameraSpec, now: number, record = true): CameraEntry {
    const g = this.grids.get(spec.gridId);
    if (!g) throw new Error(`camera ${spec.code}: unknown grid ${spec.gridId}`);
    const back = this.retired.get(spec.code);
    if (back) {
      this.retired.delete(spec.code);
      this.cameras.set(spec.code, back);
      back.agentId = spec.agentId;
      Object.assign(back, blankMachine(now));
      back.held = null;
      back.runBroken = true;
      back.floor = now;
      back.presentFrom = now;
      g.tally.move(null, 'unknown');
      this.record(back, 'absent', 'unknown', now, now, null, 'returned');
      back.timeline.paint(now, 'unknown');
      this.version++;
      return back;
    }
    const cam: CameraEntry = {
      code: spec.code,
      gridId: spec.gridId,
      gridIndex: this.gridIndexOf.get(spec.gridId)!,
      siteId: spec.siteId,
      agentId: spec.agentId,
      tally: g.tally,
      timeline: new CameraTimeline(now),
      ...blankMachine(now),
      lastResultAt: Number.NEGATIVE_INFINITY,
      lastSeenAt: now,
      clockOffsetMs: null,
      held: null,
      floor: Number.NEGATIVE_INFINITY,
      presentFrom: now,
      runBroken: false,
      savedStreak: 0,
      savedStreakStart: 0,
      savedResultAt: Number.NEGATIVE_INFINITY,
    };
    g.tally.move(null, 'unknown');
    this.cameras.set(spec.code, cam);
    if (record) {
      // entering the registry while the hub runs is a registry change: evidence measured before it starts no run
      cam.floor = now;
      cam.runBroken = true;
      this.record(cam, 'absent', 'unknown', now, now, null, 'registered');
    }
    this.version++;
    return cam;
  }

  /**
   * A camera leaves the registry: retired, not deleted — absent from `now` on, its time up to
   * `now` counted in every period. `addCamera` takes it back.
   */
  retireCamera(code: string, now: number): void {
    const cam = this.cameras.get(code);
    if (!cam) return;
    cam.tally.move(cam.state, null);
    // the retirement ends the run: its state lasts until its last evidence, unknown from there
    const live = cam.state === 'online' || cam.state === 'offline';
    const since = live ? Math.min(now, Math.max(cam.lastResultAt, cam.stateSince)) : now;
    this.record(cam, cam.state, 'unknown', now, since, null, 'retired');
    cam.timeline.paint(since, 'unknown');
    cam.timeline.paint(now, 'absent');
    cam.held = null;
    this.cameras.delete(code);
    this.retired.set(code, cam);
    this.version++;
  }

  /**
   * After `replay` (restart): the registry as configured now. A camera the history has but the
   * registry no longer names is retired now; one the history ended retired and the registry
   * names again comes back now.
   */
  syncRegistry(active: ReadonlySet<string>, now: number): void {
    for (const code of [...this.cameras.keys()]) if (!active.has(code)) this.retireCamera(code, now);
    for (const cam of [...this.retired.values()]) {
      if (active.has(cam.code)) this.addCamera({ code: cam.code, gridId: cam.gridId, siteId: cam.siteId, agentId: cam.agentId }, now);
    }
  }

  /**
   * A day closed (its accounts are stored): the live month takes its grid sums, and the
   * timelines forget it.
   */
  closeDay(account: DayAccount): void {
    this.windows.addClosedDay(account.dayStart, account.perGrid);
    this.trimBefore(account.dayEnd);
  }

  /**
   * Timelines keep only what lies from `t` on (the open period), and a retired camera with
   * nothing left in it is forgotten (its closed days are stored).
   */
  trimBefore(t: number): void {
    for (const cam of this.cameras.values()) cam.timeline.trimBefore(t);
    for (const cam of [...this.retired.values()]) {
      cam.timeline.trimBefore(t);
      if (cam.timeline.segments.length === 1 && cam.timeline.last.state === 'absent') this.retired.delete(cam.code);
    }
    this.version++;
  }

  /** Apply one piece of evidence reported by `agentId`; transitions accumulate until `drainTransitions()`. */
  apply(agentId: string, r: Evidence, now: number): EvidenceVerdict {
    const cam = this.cameras.get(r.camera);
    if (!cam) return 'unknown_camera';
    if (cam.agentId !== agentId) return 'not_assigned';
    // a far-future date would become the order guard: every later result "old", the camera frozen
    if (r.at > now + this.config.futureToleranceMs) return 'future';
    if (r.at < now - this.config.lateEvidenceMaxAgeMs) return 'too_old';
    if (r.at <= cam.lastResultAt) return 'old';
    const { staleAfterMs, failuresToOffline, successesToOnline } = this.config;
    const gap = cam.runBroken || r.at - cam.lastResultAt > staleAfterMs;
    const lastEvidence = cam.lastResultAt;
    cam.lastResultAt = r.at;
    cam.lastSeenAt = now;
    if (r.clockOffsetMs !== null) cam.clockOffsetMs = r.clockOffsetMs;
    if (cam.state === 'maintenance' || r.at < cam.floor) {
      this.noteStreak(cam);
      return 'applied'; // excluded time: no run
    }
    cam.runBroken = false;
    const held = cam.held;
    cam.held = null;
    if (held && !gap) this.resume(cam, held, now);
    else if (gap) {
      // the evidence was not continuous: the gap is unknown, the run starts anew
      if (cam.state === 'online' || cam.state === 'offline') this.transition(cam, 'unknown', Math.max(lastEvidence, cam.stateSince), now, 'gap');
      cam.okStreak = 0;
      cam.failStreak = 0;
    }
    const t = r.at;
    if (r.fault === null) {
      if (cam.okStreak === 0) cam.streakStart = t;
      cam.okStreak += 1;
      cam.failStreak = 0;
      cam.lastSuccessAt = t;
      if (cam.state !== 'online' && cam.okStreak >= successesToOnline) {
        cam.fault = null;
        this.transition(cam, 'online', cam.streakStart, now, 'probe');
      }
    } else {
      if (cam.failStreak === 0) cam.streakStart = t;
      cam.failStreak += 1;
      cam.okStreak = 0;
      cam.fault = r.fault;
      if (cam.state !== 'offline' && cam.failStreak >= failuresToOffline) {
        // from online, offline counts back to the last success (in this run); from unknown, to the streak's first failure
        const since = cam.state === 'online' && cam.lastSuccessAt !== null ? cam.lastSuccessAt : cam.streakStart;
        this.transition(cam, 'offline', since, now, 'probe');
      }
    }
    this.noteStreak(cam);
    return 'applied';
  }

  /**
   * Online or offline cameras from which nothing arrived for `staleAfterMs` become unknown from
   * their last evidence — provisionally (late evidence continuing the run undoes it). Call
   * every few seconds. `by: 'measured'` (before a day closes) also takes cameras whose newest
   * evidence, though it arrived recently, was measured longer ago (a spool handed over): the
   * closed day holds what is known at the close, and a state lasts at most S past its evidence.
   */
  sweep(now: number, by: 'arrival' | 'measured' = 'arrival'): number {
    const limit = now - this.config.staleAfterMs;
    let n = 0;
    for (const cam of this.cameras.values()) {
      const last = by === 'arrival' ? cam.lastSeenAt : Math.min(cam.lastSeenAt, cam.lastResultAt);
      if ((cam.state === 'online' || cam.state === 'offline') && last < limit) {
        const held = machineOf(cam);
        const since = Math.max(cam.lastResultAt, cam.stateSince);
        this.transition(cam, 'unknown', since, now, 'stale');
        cam.held = held;
        cam.okStreak = 0;
        cam.failStreak = 0;
        this.noteStreak(cam);
        n++;
      }
    }
    return n;
  }

  setMaintenance(code: string, on: boolean, now: number): boolean {
    const cam = this.cameras.get(code);
    if (!cam) return false;
    if (on && cam.state !== 'maintenance') {
      cam.held = null;
      this.transition(cam, 'maintenance', now, now, 'maintenance_start');
    }
    if (!on && cam.state === 'maintenance') {
      cam.okStreak = 0;
      cam.failStreak = 0;
      cam.floor = now;
      cam.runBroken = true;
      this.transition(cam, 'unknown', now, now, 'maintenance_end');
    }
    this.noteStreak(cam);
    return true;
  }

  /**
   * Rebuild from stored transitions (restart). The open period begins at `from` (the first
   * day not closed): `initial` is each camera's state there, `history` the transitions decided
   * since, in the order they were decided — painted on the timelines as they were live. A
   * camera whose history ends retired goes to `retired`.
   */
  replay(
    initial: Map<string, { state: CameraState; since: number; fault?: FaultClass | null; reason?: TransitionReason }>,
    history: Iterable<Transition>,
    from: number,
    now: number,
  ): void {
    const last = new Map<CameraEntry, TransitionReason>();
    const events = [...history];
    const stored = new Set(initial.keys());
    for (const tr of events) stored.add(tr.camera);
    const registered: Transition[] = [];
    for (const [code, cam] of this.cameras) {
      const init = initial.get(code);
      if (!stored.has(code)) {
        // new in the registry: present (unknown) from now, nothing before
        cam.timeline = new CameraTimeline(now);
        Object.assign(cam, blankMachine(now));
        cam.presentFrom = now;
        registered.push({ camera: code, from: 'unknown', to: 'unknown', at: now, since: now, fault: null, reason: 'registered' });
        continue;
      }
      // no state before the open period: the camera entered the registry in it (its `registered` transition)
      const absent = init === undefined || init.reason === 'retired';
      cam.timeline = new CameraTimeline(from, absent ? 'absent' : init.state, init?.fault ?? null);
      cam.presentFrom = Number.NEGATIVE_INFINITY;
      Object.assign(cam, {
        state: init?.state ?? 'unknown',
        stateSince: init?.since ?? from,
        fault: init?.fault ?? null,
        offlineFault: init?.state === 'offline' ? (init.fault ?? null) : null,
      });
      if (init?.reason) last.set(cam, init.reason);
    }
    const swept = new Map<CameraEntry, { state: 'online' | 'offline'; since: number }>();
    for (const tr of events) {
      const cam = this.cameras.get(tr.camera);
      if (!cam) continue;
      if (tr.reason === 'retired') {
        cam.timeline.paint(tr.since, 'unknown');
        cam.timeline.paint(tr.at, 'absent');
      } else cam.timeline.paint(tr.since, tr.to, tr.to === 'offline' ? tr.fault : null);
      if (tr.reason === 'registered' || tr.reason === 'returned') cam.presentFrom = tr.since;
      if (tr.reason === 'returned') cam.floor = tr.since;
      if (tr.reason === 'stale' && (tr.from === 'online' || tr.from === 'offline')) swept.set(cam, { state: tr.from, since: cam.stateSince });
      cam.state = tr.to;
      cam.stateSince = tr.since;
      if (tr.to === 'online' || tr.to === 'offline') cam.fault = tr.fault;
      if (tr.to === 'offline') cam.offlineFault = tr.fault;
      last.set(cam, tr.reason);
    }
    for (const g of this.grids.values()) g.tally.clear();
    this.windows.openFrom = from;
    for (const cam of [...this.cameras.values()]) {
      cam.lastSeenAt = now; // until restoreStreaks says when its evidence last arrived
      if (last.get(cam) === 'retired') {
        this.cameras.delete(cam.code);
        this.retired.set(cam.code, cam);
      } else cam.tally.move(null, cam.state);
      // a camera a sweep made unknown: what it was before, for late evidence to take back
      const before = swept.get(cam);
      if (last.get(cam) === 'stale' && cam.state === 'unknown' && before) {
        const offlineFault = before.state === 'offline' ? cam.offlineFault : null;
        cam.held = { ...blankMachine(before.since), state: before.state, fault: cam.fault, offlineFault };
      }
    }
    this.pending = registered;
    this.version++;
  }

  drainTransitions(): Transition[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * The records changed since the last call, one per camera (its latest): a streak that
   * changed, or the newest evidence time moved on by more than `staleAfterMs / 2`. Drain them
   * together with the transitions and commit both with the batch that caused them.
   */
  drainStreaks(): StreakRecord[] {
    const out: StreakRecord[] = [];
    for (const cam of this.streakChanged) {
      if (!Number.isFinite(cam.lastResultAt)) continue;
      const n = cam.savedStreak;
      cam.savedResultAt = cam.lastResultAt;
      out.push({
        camera: cam.code,
        failStreak: Math.max(n, 0),
        okStreak: Math.max(-n, 0),
        streakStart: cam.savedStreakStart,
        lastSuccessAt: (cam.held ?? cam).lastSuccessAt,
        lastResultAt: cam.lastResultAt,
        seenAt: cam.lastSeenAt,
      });
    }
    this.streakChanged.clear();
    return out;
  }

  /** Every camera's record now (a graceful stop: the newest evidence times exactly). */
  allStreaks(): StreakRecord[] {
    for (const cam of this.cameras.values()) if (Number.isFinite(cam.lastResultAt) && cam.lastResultAt !== cam.savedResultAt) this.streakChanged.add(cam);
    return this.drainStreaks();
  }

  /**
   * After `replay` (restart), before any evidence: take back the stored streaks, the newest
   * evidence times and when they arrived. Whether a streak goes on is decided by the next
   * evidence (continuous with the last, or after a gap); the first sweep makes every camera
   * whose evidence stopped arriving unknown from its last evidence.
   */
  restoreStreaks(records: Iterable<StreakRecord>, _now: number): void {
    for (const r of records) {
      const cam = this.cameras.get(r.camera) ?? this.retired.get(r.camera);
      if (!cam) continue;
      cam.lastResultAt = r.lastResultAt;
      cam.lastSeenAt = r.seenAt;
      cam.savedResultAt = r.lastResultAt;
      // evidence after the sweep (a new run after a gap) left nothing for late evidence to take back
      if (cam.held && r.lastResultAt > cam.stateSince) cam.held = null;
      const m = cam.held ?? cam;
      const towardOffline = r.failStreak > 0 && m.state !== 'offline';
      const towardOnline = r.okStreak > 0 && m.state !== 'online';
      if (towardOffline || towardOnline) {
        m.failStreak = r.failStreak;
        m.okStreak = r.okStreak;
        m.streakStart = r.streakStart;
      }
      m.lastSuccessAt = r.lastSuccessAt;
      cam.savedStreak = r.failStreak - r.okStreak; // what the store holds
      cam.savedStreakStart = r.streakStart;
      this.noteStreak(cam); // a streak not continued is cleared in the store with the next write
    }
  }

  /** Record the camera for `drainStreaks` if its streak changed or its evidence time moved on by more than S/2. */
  private noteStreak(cam: CameraEntry): void {
    const m = cam.held ?? cam;
    let n = 0;
    if (m.state === 'offline') n = -m.okStreak;
    else if (m.state === 'online' || m.state === 'unknown') n = m.failStreak - (m.state === 'unknown' ? m.okStreak : 0);
    if (n === cam.savedStreak && !(cam.lastResultAt - cam.savedResultAt > this.config.staleAfterMs / 2)) return;
    if (n !== cam.savedStreak) {
      cam.savedStreak = n;
      cam.savedStreakStart = n === 0 ? 0 : m.streakStart;
    }
    this.streakChanged.add(cam);
  }

  /** Late evidence continues the run a sweep had ended: the camera is what it was, from its last evidence on. */
  private resume(cam: CameraEntry, held: Machine, now: number): void {
    // offline goes on with the class of the failure that completed it (the segment before the sweep)
    cam.fault = held.offlineFault;
    this.transition(cam, held.state, cam.stateSince, now, 'resumed');
    Object.assign(cam, held);
  }

  private transition(cam: CameraEntry, to: CameraState, at: number, now: number, reason: TransitionReason): void {
    const from = cam.state;
    const since = Math.max(at, cam.presentFrom);
    const fault = to === 'offline' ? cam.fault : null;
    if (to === 'offline') cam.offlineFault = fault;
    cam.tally.move(from, to);
    cam.timeline.paint(since, to, fault);
    cam.state = to;
    cam.stateSince = since;
    this.record(cam, from, to, now, since, fault, reason);
  }

  private record(cam: CameraEntry, from: CameraState | 'absent', to: CameraState, at: number, since: number, fault: FaultClass | null, reason: TransitionReason): void {
    this.version++;
    this.pending.push({ camera: cam.code, from: from === 'absent' ? 'unknown' : from, to, at, since, fault, reason });
  }
}

function blankMachine(now: number): Machine {
  return { state: 'unknown', stateSince: now, okStreak: 0, failStreak: 0, streakStart: now, lastSuccessAt: null, fault: null, offlineFault: null };
}

function machineOf(cam: CameraEntry): Machine {
  const { state, stateSince, okStreak, failStreak, streakStart, lastSuccessAt, fault, offlineFault } = cam;
  return { state, stateSince, okStreak, failStreak, streakStart, lastSuccessAt, fault, offlineFault };
}
