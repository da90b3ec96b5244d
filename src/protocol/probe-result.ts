/**
 * What an edge agent reports about one camera after one pass of the liveness ladder.
 * Shared by the agent (producer) and the hub (consumer); the JSON schema for the wire
 * lives in ./report-schema.ts.
 */

/** The rungs of the liveness ladder, in the order they are climbed. */
export const RUNGS = ['tcp', 'onvif_time', 'onvif_auth', 'rtsp', 'frame'] as const;
export type Rung = (typeof RUNGS)[number];

/**
 * The fault class named by the first failing rung.
 * tcp → unreachable (power, fibre, 光猫), onvif_time → onvif_down,
 * onvif_auth/rtsp 401 → auth_failed, rtsp → stream_down, frame → no_frame.
 */
export const FAULT_CLASSES = ['unreachable', 'onvif_down', 'auth_failed', 'stream_down', 'no_frame'] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/** How one rung ended. `auth` = the peer refused our credentials (never retried in a loop). */
export const RUNG_OUTCOMES = ['ok', 'fail', 'timeout', 'auth', 'skipped'] as const;
export type RungOutcome = (typeof RUNG_OUTCOMES)[number];

export interface RungResult {
  rung: Rung;
  outcome: RungOutcome;
  /** wall-clock milliseconds the rung took */
  ms: number;
  /** short human text (error code, HTTP status); never credentials */
  detail?: string;
}

export interface ProbeResult {
  /** camera code (the national 20-digit GB/T 28181 id or the county's own code) */
  camera: string;
  /** epoch milliseconds when the ladder finished, agent clock */
  at: number;
  /** null when every climbed rung was ok */
  fault: FaultClass | null;
  rungs: RungResult[];
  /** camera clock minus agent clock, ms, measured by GetSystemDateAndTime; null if not measured */
  clockOffsetMs: number | null;
}

/** One POST /api/agent/reports body. (agent, seq) makes it idempotent. */
export interface ReportBatch {
  /** strictly increasing per agent, starting at 1; survives agent restarts (spooled) */
  seq: number;
  /** epoch ms when the batch was first built */
  sentAt: number;
  items: ProbeResult[];
}

export interface ReportAck {
  seq: number;
  /** true when this (agent, seq) had been processed before: nothing was changed */
  duplicate: boolean;
  accepted: number;
  /** items refused one by one, with the reason (e.g. camera not assigned to this agent) */
  refused: { index: number; camera: string; reason: string }[];
}

/** Fault class implied by the first failing rung (the rule lives here once). */
export function faultClassFor(rung: Rung, outcome: RungOutcome): FaultClass | null {
  if (outcome === 'ok' || outcome === 'skipped') return null;
  if (outcome === 'auth') return 'auth_failed';
  switch (rung) {
    case 'tcp':
      return 'unreachable';
    case 'onvif_time':
      return 'onvif_down';
    case 'onvif_auth':
      return 'onvif_down';
    case 'rtsp':
      return 'stream_down';
    case 'frame':
      return 'no_frame';
  }
}

/** Camera as the agent needs it to probe: the only place credentials leave the hub. */
export interface AgentCamera {
  code: string;
  /** host the probes connect to (IP or name), without credentials */
  host: string;
  onvifPort: number;
  /** ONVIF device service path, e.g. /onvif/device_service */
  onvifPath: string;
  rtspPort: number;
  /** RTSP URL without user:pass@ */
  rtspUrl: string;
  username: string;
  password: string;
  siteId: string | null;
}

export interface AgentAssignment {
  agent: string;
  /** bumps whenever the assignment changes; the agent refetches when it differs */
  version: string;
  cameras: AgentCamera[];
  /**
   * highest report seq the hub has recorded for this agent: an agent whose data folder was
   * reset continues above it (its new batches would otherwise be taken for replays)
   */
  lastSeq?: number;
}
