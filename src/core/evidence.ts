/**
 * Liveness evidence: what any source (the agent's ONVIF/RTSP ladder today, GB/T 28181
 * registrations and keepalives next) says about one camera at one measured instant.
 * The monitor takes nothing else; the hub's evidence intake is the one way in.
 */
import type { EvidenceSource, FaultClass } from '../protocol/probe-result.ts';

export interface Evidence {
  camera: string;
  /** which liveness source measured it; absent = the ladder */
  source?: EvidenceSource;
  /** when it was measured, epoch ms on the source's clock */
  at: number;
  /** null = the camera answered (alive); else the fault class of the first failing step */
  fault: FaultClass | null;
  /** camera clock minus source clock, ms; null when not measured */
  clockOffsetMs: number | null;
}

/**
 * What the monitor did with one piece of evidence: `applied`; `old` (not newer than the
 * camera's last applied evidence: a replay, ignored); refused as `unknown_camera`,
 * `not_assigned` (the camera belongs to another agent), `future` (dated beyond the clock
 * tolerance ahead of the hub) or `too_old` (measured longer ago than late evidence may be).
 */
export type EvidenceVerdict = 'applied' | 'old' | 'unknown_camera' | 'not_assigned' | 'future' | 'too_old';
