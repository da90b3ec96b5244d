/**
 * The rate arithmetic the exporter publishes, written once.
 *
 * Online rate = online / (online + offline); unknown (no fresh evidence) and maintenance
 * (approved window) are in neither term. When the denominator is 0 there is no evidence,
 * and the rate is null: the exporter omits that series rather than publish NaN (NaN
 * poisons avg()/min() in PromQL and Grafana draws it as a gap anyway). "We know nothing
 * about this grid" stays visible through coverage, which is 0 in that case.
 *
 * Coverage = (online + offline) / (online + offline + unknown): the share of the cameras
 * that should be watched which we have fresh evidence for. Cameras in an approved
 * maintenance window are excluded from the total too, so a planned job does not show up
 * as a monitoring gap. Null only when there is no camera outside maintenance at all.
 */
import type { StateCounts } from './source.ts';

export function onlineRatio(c: StateCounts): number | null {
  const d = c.online + c.offline;
  return d > 0 ? c.online / d : null;
}

/** DESIGN.md: coverage = (online+offline)/total — the same definition as the REST API */
export function coverageRatio(c: StateCounts): number | null {
  const total = c.online + c.offline + c.unknown + c.maintenance;
  return total > 0 ? (c.online + c.offline) / total : null;
}

/** Σ online ms / Σ monitored ms; null when nothing was monitored today yet */
export function timeWeightedRatio(onlineMs: number, monitoredMs: number): number | null {
  return monitoredMs > 0 ? Math.min(1, Math.max(0, onlineMs / monitoredMs)) : null;
}

/** 时钟一致率 = 1 − drifting / measured; null when no camera clock was measured */
export function clockConsistencyRatio(measured: number, drifting: number): number | null {
  return measured > 0 ? 1 - drifting / measured : null;
}

export function emptyCounts(): StateCounts {
  return { online: 0, offline: 0, unknown: 0, maintenance: 0 };
}

export function addCounts(into: StateCounts, c: StateCounts): void {
  into.online += c.online;
  into.offline += c.offline;
  into.unknown += c.unknown;
  into.maintenance += c.maintenance;
}
