/**
 * Probe scheduler: every camera once per cycle, spread over the cycle, bounded concurrency.
 *
 * - Each camera has a stable phase in [0, 1) from a hash of its code: it is started at
 *   cycleStart + phase·cycle in every cycle, so its probes are exactly one cycle apart and
 *   the fleet is spread evenly (hash ≈ uniform) without a thundering herd at cycle start.
 * - At most `maxConcurrent` probes in flight; due cameras beyond that wait in a FIFO.
 *   The scheduler never awaits a probe before starting others: a hanging camera costs one
 *   slot until the probe's own timeout (plus a watchdog that frees the slot of a probe
 *   that overstays 2× its timeout).
 * - A camera whose previous probe is still running (or still queued) is skipped, never
 *   started twice.
 * - Auth back-off (lockout safety): the camera's LoginGuard (shared with the snapshot source)
 *   decides; after an `auth_failed` from a probe that logged in, the camera gets
 *   `skipAuth: true` probes until the window ends: one login per window.
 * - Frame rung every `frameEvery` cycles (0 = never), staggered per camera.
 */
import type { ProbeResult } from '../src/protocol/probe-result.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { loginAccepted } from './ladder.ts';
import { LoginGuard } from './login-guard.ts';

export interface ProbeOptions {
  timeoutMs: number;
  skipAuth?: boolean;
  withFrame?: boolean;
}
export type ProbeFn = (cam: AgentCamera, opts: ProbeOptions) => Promise<ProbeResult>;

export interface CycleStats {
  cycle: number;
  startedAt: number;
  /** cameras due in this cycle */
  due: number;
  /** probes started for this cycle (including ones started late, after the cycle ended) */
  started: number;
  /** due cameras skipped because their previous probe was still running or queued */
  skippedBusy: number;
  /** due cameras still waiting for a slot when the next cycle began (overrun when > 0) */
  carried: number;
  /** from cycle start to the start of its last probe (or to cycle end + carried) */
  durationMs: number;
}

export interface SchedulerOptions {
  probe: ProbeFn;
  onResult: (result: ProbeResult) => void;
  onCycle?: (stats: CycleStats) => void;
  onProbeError?: (cam: AgentCamera, err: unknown) => void;
  clock?: Clock;
  cycleMs?: number;
  probeTimeoutMs?: number;
  maxConcurrent?: number;
  /** the agent's per-camera login guard (shared with the snapshot source) */
  guard?: LoginGuard;
  /** back-off window of the scheduler's own guard, when none is given */
  authBackoffMs?: number;
  frameEvery?: number;
  /**
   * the dispatch quantum, ms: the scheduler wakes at cycleStart + k·tickMs and starts every
   * camera due by then (default: DEFAULT_TICK_MS, at most cycle/20). A camera thus starts up
   * to one quantum after its phase, at the same point of every cycle (its probes stay one
   * cycle apart). Waking once per camera instead (5 ms at 200 ladders/s) cost the agent
   * process ~2× the CPU per ladder: the wake-up, not the probe, dominated (npm run bench,
   * agent.cpu_us_per_probe).
   */
  tickMs?: number;
}

/** See SchedulerOptions.tickMs. */
export const DEFAULT_TICK_MS = 250;

interface Slot {
  cam: AgentCamera;
  hash: number;
  phase: number;
  running: boolean;
  queued: boolean;
}

/**
 * FNV-1a 32 bit + murmur3's final mix: stable across restarts and machines. The mix
 * matters: camera codes are sequential (…0001, …0002) and plain FNV-1a leaves their
 * high bits, hence their phases, clustered.
 */
export function hashCode(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const credKey = (c: AgentCamera) => `${c.username}\u0000${c.password}`;

export class Scheduler {
  private readonly clock: Clock;
  private readonly cycleMs: number;
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly guard: LoginGuard;
  private readonly frameEvery: number;
  private readonly tickMs: number;
  private slots = new Map<string, Slot>();
  private order: Slot[] = [];
  private cursor = 0;
  private queue: { slot: Slot; cycle: number }[] = [];
  private inFlight = 0;
  private cycle = -1;
  private cycleStart = 0;
  private stats: CycleStats | null = null;
  private lastStartAt = 0;
  private timer: TimerHandle | null = null;
  private running = false;
  private settleWaiters: (() => void)[] = [];
  private active = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.cycleMs = opts.cycleMs ?? 30_000;
    this.timeoutMs = opts.probeTimeoutMs ?? 10_000;
    this.maxConcurrent = opts.maxConcurrent ?? 256;
    this.guard = opts.guard ?? new LoginGuard(opts.authBackoffMs ?? 600_000);
    this.frameEvery = opts.frameEvery ?? 0;
    if (this.cycleMs <= 0 || this.maxConcurrent <= 0) throw new Error('scheduler: cycleMs and maxConcurrent must be > 0');
    this.tickMs = Math.max(1, opts.tickMs ?? Math.min(DEFAULT_TICK_MS, this.cycleMs / 20));
  }

  /** Replace the camera set; keeps per-camera state (running) of cameras that stay; auth back-off lives in the guard. */
  setCameras(cams: readonly AgentCamera[]): void {
    const next = new Map<string, Slot>();
    for (const cam of cams) {
      const old = this.slots.get(cam.code);
      if (old) {
        // new credentials deserve a login attempt now
        if (credKey(old.cam) !== credKey(cam)) this.guard.credentialsChanged(cam.code);
        old.cam = cam;
        next.set(cam.code, old);
      } else {
        const hash = hashCode(cam.code);
        next.set(cam.code, { cam, hash, phase: hash / 2 ** 32, running: false, queued: false });
      }
    }
    this.slots = next;
    this.queue = this.queue.filter((q) => {
      const keep = next.get(q.slot.cam.code) === q.slot;
      if (!keep) q.slot.queued = false;
      return keep;
    });
    this.order = [...next.values()].sort((a, b) => a.phase - b.phase);
    // cameras whose phase has passed in this cycle wait for the next one
    const elapsed = this.running ? this.clock.now() - this.cycleStart : 0;
    this.cursor = this.order.findIndex((s) => s.phase * this.cycleMs > elapsed);
    if (this.cursor < 0) this.cursor = this.order.length;
  }

  get cameraCount(): number {
    return this.slots.size;
  }

  get probesInFlight(): number {
    return this.inFlight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cycleStart = this.clock.now();
    this.cycle = -1;
    this.beginCycle(this.cycleStart);
    this.tick();
  }

  /** Stop starting probes; resolves when running probes settle or after `graceMs`. */
  async stop(graceMs = 0): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const q of this.queue) q.slot.queued = false;
    this.queue = [];
    if (this.active === 0 || graceMs <= 0) return;
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(resolve, graceMs);
      this.settleWaiters.push(() => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
  }

  private beginCycle(at: number): void {
    if (this.stats) {
      const s = this.stats;
      s.carried = this.queue.filter((q) => q.cycle === s.cycle).length;
      s.durationMs = s.carried > 0 ? at - s.startedAt : Math.max(0, this.lastStartAt - s.startedAt);
      this.opts.onCycle?.(s);
    }
    this.cycle++;
    this.cursor = 0;
    this.stats = { cycle: this.cycle, startedAt: this.cycleStart, due: 0, started: 0, skippedBusy: 0, carried: 0, durationMs: 0 };
    this.lastStartAt = this.cycleStart;
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    const now = this.clock.now();
    if (now - this.cycleStart >= this.cycleMs) {
      // whatever a late timer left of the old cycle is started now, before the cycle is
      // closed: only cameras still without a free slot count as carried over (an overrun)
      this.dispatchDue(Infinity);
      this.drain();
      // an event-loop stall longer than a cycle re-anchors instead of bursting old cycles
      this.cycleStart = now - this.cycleStart >= 2 * this.cycleMs ? now : this.cycleStart + this.cycleMs;
      this.beginCycle(now);
    }
    this.dispatchDue(now - this.cycleStart);
    this.drain();
    // the next wake-up: the first quantum boundary at or after the next camera's phase (or
    // the cycle's end), never sooner than one quantum from now
    const nextElapsed = this.cursor < this.order.length ? this.order[this.cursor]!.phase * this.cycleMs : this.cycleMs;
    const boundary = Math.min(this.cycleMs, Math.ceil(nextElapsed / this.tickMs) * this.tickMs);
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(this.tickMs, this.cycleStart + boundary - now));
  }

  private dispatchDue(elapsed: number): void {
    while (this.cursor < this.order.length) {
      const slot = this.order[this.cursor]!;
      if (slot.phase * this.cycleMs > elapsed) break;
      this.cursor++;
      this.makeDue(slot);
    }
  }

  private makeDue(slot: Slot): void {
    const s = this.stats!;
    s.due++;
    if (slot.running || slot.queued) {
      s.skippedBusy++;
      return;
    }
    slot.queued = true;
    this.queue.push({ slot, cycle: this.cycle });
  }

  private drain(): void {
    while (this.running && this.inFlight < this.maxConcurrent && this.queue.length > 0) {
      const { slot, cycle } = this.queue.shift()!;
      slot.queued = false;
      if (this.stats && cycle === this.stats.cycle) {
        this.stats.started++;
        this.lastStartAt = this.clock.now();
      }
      this.launch(slot, cycle);
    }
  }

  private launch(slot: Slot, cycle: number): void {
    const cam = slot.cam;
    const skipAuth = !this.guard.mayLogin(cam.code, this.clock.now());
    const withFrame = !skipAuth && this.frameEvery > 0 && (cycle + (slot.hash % this.frameEvery)) % this.frameEvery === 0;
    slot.running = true;
    this.inFlight++;
    this.active++;
    let slotHeld = true;
    const release = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.inFlight--;
      this.drain();
    };
    // the probe has its own timeout; this only frees the slot of a probe that ignores it
    const watchdog = this.clock.setTimeout(release, 2 * this.timeoutMs + 1000);
    let p: Promise<ProbeResult>;
    try {
      p = this.opts.probe(cam, { timeoutMs: this.timeoutMs, skipAuth, withFrame });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (result) => {
        if (!skipAuth) {
          if (result.fault === 'auth_failed') this.guard.failed(cam.code, this.clock.now());
          else if (loginAccepted(result)) this.guard.succeeded(cam.code);
        }
        // in back-off the credential rungs were skipped: a reachable camera is still known to
        // refuse our credentials, never "online" (the hub would otherwise flip it every cycle)
        else if (result.fault === null) result = { ...result, fault: 'auth_failed' };
        // a camera removed from the assignment meanwhile is no longer ours to report
        if (this.slots.get(cam.code) === slot) this.opts.onResult(result);
      },
      (err) => this.opts.onProbeError?.(cam, err),
    )
      .catch((err) => this.opts.onProbeError?.(cam, err))
      .finally(() => {
        this.clock.clearTimeout(watchdog);
        slot.running = false;
        this.active--;
        release();
        if (this.active === 0) for (const w of this.settleWaiters.splice(0)) w();
      });
  }
}
