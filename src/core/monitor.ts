/**
 * The hub's authoritative in-memory view of the county: one state machine per
 * camera and one tally per grid. Takes probe results and time as arguments and
 * returns transitions; does no I/O (the shell persists what it returns).
 *
 * Rules (DESIGN.md "Domain rules"):
 *  - offline after N consecutive failures; from offline, online after M successes;
 *    from unknown the first success is enough (there is nothing to debounce against);
 *  - offline time counts from the last success, not from detection;
 *  - no fresh evidence for `staleAfterMs` → unknown (never offline);
 *  - maintenance cameras are excluded from rates and ignore results;
 *  - a result not newer than the last one applied for that camera changes nothing
 *    (replays are harmless even without the batch ledger);
 *  - a result dated more than `futureToleranceMs` ahead of the hub's clock is refused;
 *  - a streak under way toward a transition (failures while online or unknown, successes while
 *    offline) survives a restart: it is drained with the transitions (`drainStreaks`) so the
 *    shell commits it with the batch that changed it, and `restoreStreaks` takes it back.
 */
import type { FaultClass } from '../protocol/probe-result.ts';
import type { Evidence, EvidenceVerdict } from './evidence.ts';
import { GridTally } from './grid-tally.ts';
import type { CameraState, Grid, MonitorConfig, Transition, TransitionReason } from './model.ts';

export interface CameraEntry {
  readonly code: string;
  readonly gridId: string;
  /** position of its grid in Monitor.gridOrder (typed-array recounts) */
  readonly gridIndex: number;
  readonly siteId: string | null;
  agentId: string | null;
  tally: GridTally;
  state: CameraState;
  /** when the current state began (offline: the last success) */
  stateSince: number;
  okStreak: number;
  failStreak: number;
  /** evidence time of the first result of the current streak */
  streakStart: number;
  lastSuccessAt: number | null;
  /** agent timestamp of the newest applied result (replay guard) */
  lastResultAt: number;
  /** hub time the newest result arrived */
  lastSeenAt: number;
  fault: FaultClass | null;
  clockOffsetMs: number | null;
  /** the streak as last handed to `drainStreaks` (signed: + failures toward offline, − successes toward online) */
  savedStreak: number;
  savedStreakStart: number;
}

/**
 * What a restart must not forget of a camera beyond its state: the streak under way toward a
 * transition — failures toward offline (online, unknown) or successes toward online (offline),
 * at most one of the two non-zero — and the replay guard.
 */
export interface StreakRecord {
  camera: string;
  failStreak: number;
  okStreak: number;
  /** evidence time of the streak's first result (0: no streak) */
  streakStart: number;
  /** offline counts back to it when a fail streak on an online camera completes */
  lastSuccessAt: number | null;
  /** agent time of the newest applied result: at or before it a result changes nothing */
  lastResultAt: number;
  /** hub time that result arrived: a streak older than `staleAfterMs` is not continued */
  seenAt: number;
}

export interface CameraSpec {
  code: string;
  gridId: string;
  siteId: string | null;
  agentId: string | null;
}

export class Monitor {
  readonly cameras = new Map<string, CameraEntry>();
  readonly grids = new Map<string, { grid: Grid; tally: GridTally }>();
  /** grid ids in index order (CameraEntry.gridIndex) */
  readonly gridOrder: string[] = [];
  private readonly gridIndexOf = new Map<string, number>();
  private pending: Transition[] = [];
  /** cameras whose streak changed since the last `drainStreaks()` */
  private streakChanged = new Set<CameraEntry>();

  constructor(
    readonly config: MonitorConfig,
    grids: Grid[],
    cameras: CameraSpec[],
    now: number,
  ) {
    for (const g of grids) {
      this.grids.set(g.id, { grid: g, tally: new GridTally(now, config.tzOffsetMinutes) });
      this.gridIndexOf.set(g.id, this.gridOrder.length);
      this.gridOrder.push(g.id);
    }
    for (const c of cameras) this.addCamera(c, now);
  }

  addCamera(spec: CameraSpec, now: number, state: CameraState = 'unknown', since = now): CameraEntry {
    const g = this.grids.get(spec.gridId);
    if (!g) throw new Error(`camera ${spec.code}: unknown grid ${spec.gridId}`);
    const cam: CameraEntry = {
      code: spec.code,
      gridId: spec.gridId,
      gridIndex: this.gridIndexOf.get(spec.gridId)!,
      siteId: spec.siteId,
      agentId: spec.agentId,
      tally: g.tally,
      state,
      stateSince: since,
      okStreak: 0,
      failStreak: 0,
      streakStart: now,
      lastSuccessAt: null,
      lastResultAt: -Infinity,
      lastSeenAt: now,
      fault: null,
      clockOffsetMs: null,
      savedStreak: 0,
      savedStreakStart: 0,
    };
    g.tally.move(null, state, now);
    this.cameras.set(spec.code, cam);
    return cam;
  }

  removeCamera(code: string, now: number): void {
    const cam = this.cameras.get(code);
    if (!cam) return;
    cam.tally.move(cam.state, null, now);
    this.cameras.delete(code);
    this.streakChanged.delete(cam);
  }

  /** Apply one piece of evidence reported by `agentId`; transitions accumulate until `drainTransitions()`. */
  apply(agentId: string, r: Evidence, now: number): EvidenceVerdict {
    const cam = this.cameras.get(r.camera);
    if (!cam) return 'unknown_camera';
    if (cam.agentId !== agentId) return 'not_assigned';
    // a far-future date would become the replay guard: every later result "old", the camera frozen
    if (r.at > now + this.config.futureToleranceMs) return 'future';
    if (r.at <= cam.lastResultAt) return 'old';
    cam.lastResultAt = r.at;
    cam.lastSeenAt = now;
    if (r.clockOffsetMs !== null) cam.clockOffsetMs = r.clockOffsetMs;
    // evidence time in hub terms: the agent's clock, bounded by what the hub can believe
    const t = Math.min(now, Math.max(r.at, now - this.config.staleAfterMs, cam.stateSince));
    const { failuresToOffline, successesToOnline } = this.config;

    if (r.fault === null) {
      if (cam.okStreak === 0) cam.streakStart = t;
      cam.okStreak += 1;
      cam.failStreak = 0;
      cam.lastSuccessAt = t;
      if (cam.state === 'unknown') this.transition(cam, 'online', t, now, 'probe');
      else if (cam.state === 'offline' && cam.okStreak >= successesToOnline) {
        cam.fault = null;
        this.transition(cam, 'online', cam.streakStart, now, 'probe');
      }
    } else {
      if (cam.failStreak === 0) cam.streakStart = t;
      cam.failStreak += 1;
      cam.okStreak = 0;
      cam.fault = r.fault;
      if ((cam.state === 'online' || cam.state === 'unknown') && cam.failStreak >= failuresToOffline) {
        // offline counts back to the last success only across continuous evidence: from
        // unknown (stale, after maintenance, never seen) it starts at this streak's first failure
        const since = cam.state === 'unknown' ? cam.streakStart : (cam.lastSuccessAt ?? cam.streakStart);
        this.transition(cam, 'offline', since, now, 'probe');
      }
    }
    this.noteStreak(cam);
    return 'applied';
  }

  /** Cameras without fresh evidence become unknown. Call every few seconds. */
  sweep(now: number): number {
    const limit = now - this.config.staleAfterMs;
    let n = 0;
    for (const cam of this.cameras.values()) {
      if ((cam.state === 'online' || cam.state === 'offline') && cam.lastSeenAt < limit) {
        cam.okStreak = 0;
        cam.failStreak = 0;
        this.transition(cam, 'unknown', now, now, 'stale');
        this.noteStreak(cam);
        n++;
      }
    }
    return n;
  }

  setMaintenance(code: string, on: boolean, now: number): boolean {
    const cam = this.cameras.get(code);
    if (!cam) return false;
    if (on && cam.state !== 'maintenance') this.transition(cam, 'maintenance', now, now, 'maintenance_start');
    if (!on && cam.state === 'maintenance') {
      cam.okStreak = 0;
      cam.failStreak = 0;
      this.transition(cam, 'unknown', now, now, 'maintenance_end');
    }
    this.noteStreak(cam);
    return true;
  }

  /**
   * Rebuild from stored transitions (restart). `initial` is each camera's state at
   * `from` (the month start); `history` are the transitions after it, oldest first.
   */
  replay(initial: Map<string, { state: CameraState; since: number }>, history: Iterable<Transition>, from: number, now: number): void {
    for (const g of this.grids.values()) g.tally = new GridTally(from, this.config.tzOffsetMinutes);
    for (const [code, cam] of this.cameras) {
      const init = initial.get(code);
      const tally = this.grids.get(cam.gridId)!.tally;
      Object.assign(cam, { tally, state: init?.state ?? 'unknown', stateSince: init?.since ?? from });
      tally.move(null, cam.state, from);
    }
    for (const tr of history) {
      const cam = this.cameras.get(tr.camera);
      if (!cam) continue;
      this.shift(cam, tr.to, tr.since, tr.at);
      if (tr.to === 'online' || tr.to === 'offline') cam.fault = tr.fault;
    }
    for (const cam of this.cameras.values()) {
      cam.lastSeenAt = now; // restored states live until the staleness rule says otherwise
      // Stryker disable next-line ConditionalExpression: lastSuccessAt is read only when leaving online (offline counts from it); for other states it is never read
      if (cam.state === 'online') cam.lastSuccessAt = now;
    }
    for (const g of this.grids.values()) g.tally.accrue(now);
    this.pending = [];
  }

  drainTransitions(): Transition[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * The streaks changed since the last call, one record per camera (its latest). Drain them
   * together with the transitions and commit both with the batch that caused them.
   */
  drainStreaks(): StreakRecord[] {
    const out: StreakRecord[] = [];
    for (const cam of this.streakChanged) {
      const n = cam.savedStreak;
      out.push({
        camera: cam.code,
        failStreak: Math.max(n, 0),
        okStreak: Math.max(-n, 0),
        streakStart: cam.savedStreakStart,
        lastSuccessAt: cam.lastSuccessAt,
        lastResultAt: cam.lastResultAt, // finite: a streak changes only with a result or a restored record
        seenAt: cam.lastSeenAt,
      });
    }
    this.streakChanged.clear();
    return out;
  }

  /**
   * After `replay` (restart), before any result: take back the stored streaks and replay guards. A streak is
   * continued only if it fits the restored state (failures: online or unknown; successes:
   * offline) and its last result arrived at most `staleAfterMs` ago — across a longer gap the
   * evidence is not continuous (the sweep would have reset it) and the next result starts anew.
   */
  restoreStreaks(records: Iterable<StreakRecord>, now: number): void {
    for (const r of records) {
      const cam = this.cameras.get(r.camera);
      if (!cam) continue;
      cam.lastResultAt = r.lastResultAt;
      const fresh = now - r.seenAt <= this.config.staleAfterMs;
      const towardOffline = r.failStreak > 0 && (cam.state === 'online' || cam.state === 'unknown');
      const towardOnline = r.okStreak > 0 && cam.state === 'offline';
      if (fresh && (towardOffline || towardOnline)) {
        cam.failStreak = r.failStreak;
        cam.okStreak = r.okStreak;
        cam.streakStart = r.streakStart;
        // offline counts back to it from online (from unknown, from the streak start: not read)
        if (towardOffline) cam.lastSuccessAt = r.lastSuccessAt;
      }
      cam.savedStreak = r.failStreak - r.okStreak; // what the store holds (its start is re-set with the next change)
      this.noteStreak(cam); // a streak not continued is cleared in the store with the next write
    }
  }

  /** Record the camera's streak for `drainStreaks` if it changed (only streaks toward a transition count). */
  private noteStreak(cam: CameraEntry): void {
    let n = 0;
    if (cam.state === 'offline') n = -cam.okStreak;
    else if (cam.state === 'online' || cam.state === 'unknown') n = cam.failStreak;
    // the start changes only with the count (a new streak begins at 1 from 0)
    if (n === cam.savedStreak) return;
    cam.savedStreak = n;
    cam.savedStreakStart = n === 0 ? 0 : cam.streakStart;
    this.streakChanged.add(cam);
  }

  private transition(cam: CameraEntry, to: CameraState, since: number, now: number, reason: TransitionReason): void {
    const from = cam.state;
    this.shift(cam, to, since, now);
    this.pending.push({ camera: cam.code, from, to, at: now, since, fault: to === 'offline' ? cam.fault : null, reason });
  }

  private shift(cam: CameraEntry, to: CameraState, since: number, now: number): void {
    const from = cam.state;
    cam.tally.move(from, to, now);
    cam.tally.reattribute(from, to, Math.max(since, cam.stateSince));
    cam.state = to;
    cam.stateSince = since;
  }
}
