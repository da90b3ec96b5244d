/**
 * Plays a generated evidence scenario (test/support/evidence-scenarios.ts) through the hub's
 * core exactly as the hub drives it — evidence applied at its arrival, the staleness sweep,
 * registry changes, days closed when due (measured-time sweep, then the day's accounts), and
 * every hub-down period a graceful stop and a restart rebuilt from what the hub stores (the
 * transition log, the streak records, the closed days, the retired cameras) — and returns the
 * closed days per camera with the instant each day closed, for the reference accountant to
 * recompute as known at that instant. No database: the stored state is kept in memory in the
 * shape the database holds it.
 */
import { type CameraDayFigures, DayAccount, dayDue } from '../../src/core/day-account.ts';
import type { EvidenceVerdict } from '../../src/core/evidence.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid, type MonitorConfig, type Transition } from '../../src/core/model.ts';
import type { CameraSpec, Monitor, StreakRecord } from '../../src/core/monitor.ts';
import { restoreMonitor, type StoredMonitor } from '../../src/core/monitor-restore.ts';
import { dayStart, localDay, nextDayStart } from '../../src/core/time-windows.ts';
import type { Scenario } from './evidence-scenarios.ts';

export interface DriverOptions {
  monitor?: Partial<MonitorConfig>;
  graceMs?: number;
  /** the staleness sweep period (the hub's default: 5 s) */
  sweepMs?: number;
}

export interface DriverResult {
  /** camera → local day → its closed figures */
  days: Map<string, Map<string, CameraDayFigures>>;
  /** local day → the hub time it closed */
  closedAt: Map<string, number>;
  /** per scenario evidence item (same index): the monitor's verdict */
  verdicts: EvidenceVerdict[];
  restarts: number;
}

const GRID: Grid = { id: 'g1', communityId: 'c1', townId: 't1', name: 'g1', kind: 'urban' };
const AGENT = 'a1';

/** What the database holds between two runs of the hub. */
class Stored {
  log: Transition[] = [];
  streaks = new Map<string, StreakRecord>();
  lastClosed: number | null = null;
  /** cameras taken out of the registry (config-sync's retired_cameras) */
  retired = new Set<string>();

  constructor(private readonly futureToleranceMs: number) {}

  write(m: Monitor, all = false): void {
    this.log.push(...m.drainTransitions());
    for (const r of all ? m.allStreaks() : m.drainStreaks()) this.streaks.set(r.camera, r);
  }

  /** The open period and what loadHistory / loadStreaks read. */
  load(now: number, tz: number): StoredMonitor {
    const first = this.log[0]?.at ?? now;
    const openFrom = this.lastClosed !== null ? nextDayStart(this.lastClosed, tz) : dayStart(Math.min(first, now), tz);
    const initial: StoredMonitor['initial'] = new Map();
    const history: Transition[] = [];
    const replayFrom = openFrom - this.futureToleranceMs;
    for (const t of this.log) {
      if (t.at < replayFrom) initial.set(t.camera, { state: t.to, since: t.since, fault: t.fault, reason: t.reason });
      else history.push(t);
    }
    return { openFrom, replayFrom, initial, history, streaks: [...this.streaks.values()] };
  }
}

export function driveScenario(s: Scenario, o: DriverOptions = {}): DriverResult {
  const config: MonitorConfig = { ...DEFAULT_MONITOR_CONFIG, ...o.monitor };
  const tz = config.tzOffsetMinutes;
  const grace = o.graceMs ?? 3_600_000;
  const sweepMs = o.sweepMs ?? 5000;
  const spec = (code: string): CameraSpec => ({ code, gridId: GRID.id, siteId: null, agentId: AGENT });
  const db = new Stored(config.futureToleranceMs);
  const out: DriverResult = { days: new Map(s.cameras.map((c) => [c, new Map()])), closedAt: new Map(), verdicts: new Array(s.evidence.length), restarts: 0 };

  type Step = { at: number; order: number; run: (m: Monitor) => void };
  const steps: Step[] = [];
  s.evidence.forEach((e, i) => {
    steps.push({
      at: e.arrival,
      order: 1,
      run: (m) => {
        out.verdicts[i] = m.apply(AGENT, { camera: e.camera, at: e.at, fault: e.fault, clockOffsetMs: null }, e.arrival);
      },
    });
  });
  for (const r of s.registry) {
    steps.push({
      at: r.at,
      order: 0,
      run: (m) => {
        if (r.kind === 'retire') {
          m.retireCamera(r.camera, r.at);
          db.retired.add(r.camera);
        } else {
          m.addCamera(spec(r.camera), r.at);
          db.retired.delete(r.camera);
        }
      },
    });
  }
  steps.sort((a, b) => a.at - b.at || a.order - b.order);

  let monitor: Monitor | null = null;
  let startedAt = 0;
  let nextSweep = 0;
  const start = (t: number) => {
    const registry = s.cameras.filter((c) => !db.retired.has(c)).map(spec);
    const retired = s.cameras.filter((c) => db.retired.has(c)).map(spec);
    monitor = restoreMonitor(config, [GRID], registry, retired, db.load(t, tz), t);
    db.write(monitor);
    startedAt = t;
    nextSweep = t + sweepMs;
  };
  const stop = () => {
    db.write(monitor!, true);
    monitor = null;
    out.restarts++;
  };
  /** Sweeps and closes due up to `t` (inclusive for the closes: evidence arriving at C counts). */
  const advance = (t: number) => {
    const m = monitor!;
    for (;;) {
      const openFrom = m.windows.openFrom;
      const closeAt = Math.max(nextDayStart(openFrom, tz) + grace, startedAt + grace);
      const next = Math.min(nextSweep, closeAt);
      if (next > t) return;
      if (next === nextSweep) {
        m.sweep(nextSweep);
        db.write(m);
        nextSweep += sweepMs;
        continue;
      }
      if (!dayDue(openFrom, closeAt, tz, grace, startedAt)) throw new Error('close instant not due');
      m.sweep(closeAt, 'measured');
      const account = new DayAccount(openFrom, tz, m.gridOrder);
      for (const c of [...m.cameras.values(), ...m.retired.values()]) account.add(c);
      const key = localDay(openFrom, tz);
      for (const row of account.cameras) out.days.get(row.camera)!.set(key, row);
      out.closedAt.set(key, closeAt);
      db.lastClosed = openFrom;
      m.closeDay(account);
      db.write(m);
    }
  };

  const down = [...s.hubDown].sort((a, b) => a.from - b.from);
  start(s.start);
  let d = 0;
  for (const step of steps) {
    while (d < down.length && down[d]!.from <= step.at) {
      advance(down[d]!.from - 1);
      stop();
      start(down[d]!.to);
      d++;
    }
    advance(step.at - 1);
    step.run(monitor!);
    db.write(monitor!);
  }
  while (d < down.length) {
    advance(down[d]!.from - 1);
    stop();
    start(down[d]!.to);
    d++;
  }
  advance(s.end);
  return out;
}
