/**
 * A restart (docs/accounting.md): the monitor rebuilt from what was stored — the transitions of
 * the open period (the days not closed yet) painted on the timelines, the registry as it is now
 * (cameras gone from it retired, cameras back in it returned), the streaks under way and the
 * newest evidence times — and then a sweep: nothing arrived while the hub was away, so every
 * camera is unknown from its last evidence until evidence (late or new) says otherwise. Pure.
 */
import type { Grid, MonitorConfig, Transition } from './model.ts';
import { type CameraSpec, type InitialState, Monitor, type StreakRecord } from './monitor.ts';

export interface StoredMonitor {
  /** start of the first local day not closed */
  openFrom: number;
  /**
   * where `initial` and `history` divide: `openFrom − futureToleranceMs`, so that every
   * transition before it is dated before the open period (`since` ≤ decided + F)
   */
  replayFrom: number;
  /** each camera's last transition decided before `replayFrom` */
  initial: Map<string, InitialState>;
  /** the transitions decided from `replayFrom` on, in the order they were decided */
  history: Iterable<Transition>;
  streaks: Iterable<StreakRecord>;
}

/**
 * `registry`: the cameras configured now; `retired`: cameras taken out before (their history is
 * kept). The transitions this decides (retirements, returns, staleness) wait in the monitor for
 * `drainTransitions`.
 */
export function restoreMonitor(config: MonitorConfig, grids: Grid[], registry: CameraSpec[], retired: CameraSpec[], stored: StoredMonitor, now: number): Monitor {
  const active = new Set(registry.map((c) => c.code));
  const monitor = new Monitor(config, grids, [...registry, ...retired.filter((c) => !active.has(c.code))], now);
  monitor.replay(stored.initial, stored.history, stored.replayFrom, now);
  monitor.trimBefore(stored.openFrom);
  monitor.windows.openFrom = stored.openFrom;
  monitor.syncRegistry(active, now);
  monitor.restoreStreaks(stored.streaks, now); // a restart mid-outage keeps the failures counted
  monitor.sweep(now);
  return monitor;
}
