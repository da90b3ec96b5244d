/**
 * The one small interface every liveness rung implements (one file per rung, like
 * Uptime Kuma's monitor-types). The ladder (../ladder.ts) climbs them in RUNGS order.
 */
import type { Socket } from 'node:net';
import type { Rung, RungOutcome } from '../../src/protocol/probe-result.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';

export interface RungContext {
  cam: AgentCamera;
  /** the whole rung must settle within this many ms */
  timeoutMs: number;
  /** camera clock minus agent clock (ms), measured by the onvif_time rung; null if unknown */
  clockOffsetMs: number | null;
  /**
   * A socket already connected to the camera's ONVIF port, left by the tcp rung. The next
   * rung may take it (set it to undefined) to save a connect; the ladder closes leftovers.
   */
  socket?: Socket | undefined;
}

export interface RungReport {
  outcome: Exclude<RungOutcome, 'skipped'>;
  /** short text: error code, HTTP/RTSP status, SOAP fault code. Never credentials. */
  detail?: string;
  /**
   * the camera answered at its RTSP session limit (../rtsp-session-limit.ts): alive, no
   * session free — set with outcome 'ok'; the ladder notes the result busy
   */
  busy?: true;
  /** only the onvif_time rung sets it */
  clockOffsetMs?: number | null;
  /** only the tcp rung sets it: the connected socket, handed to the next rung */
  socket?: Socket;
}

export interface RungProbe {
  readonly rung: Rung;
  /** true when the rung sends the camera's credentials (skipped during an auth back-off) */
  readonly usesCredentials: boolean;
  run(ctx: RungContext): Promise<RungReport>;
}

/** Default per-rung timeouts, ms. */
export const DEFAULT_RUNG_TIMEOUTS: Readonly<Record<Rung, number>> = {
  tcp: 2_000,
  onvif_time: 3_000,
  onvif_auth: 3_000,
  rtsp: 4_000,
  frame: 8_000,
};
