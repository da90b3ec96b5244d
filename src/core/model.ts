/** Domain vocabulary shared by the core and the shell. No I/O. */
import type { FaultClass } from '../protocol/probe-result.ts';

export const CAMERA_STATES = ['online', 'offline', 'unknown', 'maintenance'] as const;
export type CameraState = (typeof CAMERA_STATES)[number];
export const GRID_KINDS = ['urban', 'rural', 'dedicated'] as const;
export type GridKind = (typeof GRID_KINDS)[number];

/** Cameras per state (a grid's, a town's, the county's). */
export interface StateCounts {
  online: number;
  offline: number;
  unknown: number;
  maintenance: number;
}

export interface Town {
  id: string;
  name: string;
  /** 镇 town or 街道 street */
  kind: 'town' | 'street';
}

export interface Community {
  id: string;
  townId: string;
  name: string;
  /** 社区 community or 村 village */
  kind: 'community' | 'village';
}

export interface Grid {
  id: string;
  communityId: string;
  townId: string;
  name: string;
  kind: GridKind;
}

/** Where a camera sits: what the ticket rules and maintenance windows need to know of it. */
export interface CameraMeta {
  code: string;
  gridId: string;
  townId: string;
  siteId: string | null;
}

/**
 * Why a camera changed state (stored with the transition): `probe` (the debounce completed),
 * `stale` (nothing arrived: unknown from the last evidence), `gap` (evidence after a gap: unknown
 * in it), `resumed` (late evidence continued the run a sweep had ended), `maintenance_start` /
 * `maintenance_end`, `registered` (new in the registry: present from `at`, unknown), `retired` (out of
 * the registry: absent from `at`) / `returned` (back in it),
 * `restored` (older databases).
 */
export type TransitionReason = 'probe' | 'stale' | 'gap' | 'resumed' | 'maintenance_start' | 'maintenance_end' | 'registered' | 'retired' | 'returned' | 'restored';

export interface Transition {
  camera: string;
  from: CameraState;
  to: CameraState;
  /** hub time the change was decided, epoch ms */
  at: number;
  /** when the new state really began: offline counts from the last success */
  since: number;
  fault: FaultClass | null;
  reason: TransitionReason;
}

export interface MonitorConfig {
  /** consecutive failures before offline */
  failuresToOffline: number;
  /** consecutive successes before online (from offline) */
  successesToOnline: number;
  /** no result for this long → unknown (agent or uplink down is never offline) */
  staleAfterMs: number;
  /** local time zone of the county, minutes east of UTC (China: +480) */
  tzOffsetMinutes: number;
  /** |clock offset| beyond this counts as drifting (时钟一致率) */
  clockDriftThresholdMs: number;
  /**
   * evidence dated more than this ahead of the hub's clock is refused (`future`): applied, one
   * far-future result would make every later one of that camera "old" and freeze it
   */
  futureToleranceMs: number;
  /** evidence measured longer than this before it arrives is refused (`too_old`): the bound on late evidence */
  lateEvidenceMaxAgeMs: number;
}

export const DEFAULT_MONITOR_CONFIG: MonitorConfig = {
  failuresToOffline: 3,
  successesToOnline: 2,
  staleAfterMs: 120_000,
  tzOffsetMinutes: 480,
  clockDriftThresholdMs: 10_000,
  futureToleranceMs: 300_000,
  lateEvidenceMaxAgeMs: 86_400_000,
};
