/**
 * Types shared by the camera simulator: what a simulated camera is, which faults it can
 * suffer and what it counts. No I/O here.
 */

/** One camera to simulate. The lead's demo generator passes its own list of these. */
export interface SimCameraSpec {
  /** camera code (GB/T 28181 20-digit id or the county's own code) */
  code: string;
  siteId: string | null;
  username: string;
  password: string;
  /** only 'hikvision' is modelled today; kept so other vendor shapes can be added */
  vendor?: 'hikvision';
  /** the camera's own clock minus true time, ms (before any clock_skew fault) */
  clockSkewMs?: number;
}

export const FAULT_KINDS = ['power', 'hang', 'rtsp_down', 'rtsp_busy', 'password_changed', 'clock_skew', 'slow', 'flapping'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Parameters of a fault; which ones matter depends on the kind. */
export interface FaultParams {
  /** clock_skew: seconds added to the camera clock (may be negative) */
  seconds?: number;
  /** slow: every answer is delayed by this many ms */
  ms?: number;
  /** flapping: the camera alternates down/up every `periodS` seconds (down first) */
  periodS?: number;
}

export interface FaultTarget {
  camera?: string;
  site?: string;
}

/** One active fault as set by a program, a scenario or the control API. */
export interface ActiveFault extends FaultParams {
  scope: 'camera' | 'site';
  target: string;
  fault: FaultKind;
  /** epoch ms when it was set (flapping phase counts from here) */
  since: number;
}

/** What a camera does right now, derived from its own and its site's faults. */
export interface EffectiveState {
  /** listeners open at all (false = power off or flapping in its down phase) */
  powered: boolean;
  rtspListening: boolean;
  /** at its RTSP session limit (an NVR holds the sessions): DESCRIBE answered 453, the camera alive */
  rtspBusy: boolean;
  hang: boolean;
  passwordChanged: boolean;
  /** added to the camera clock on top of the spec's clockSkewMs */
  extraSkewMs: number;
  delayMs: number;
}

export interface CameraCounters {
  /** TCP connections accepted on the ONVIF/HTTP port */
  onvifConnections: number;
  /** TCP connections accepted on the RTSP port */
  rtspConnections: number;
  /** SOAP requests answered (any action, any outcome) */
  onvifRequests: number;
  /** SOAP requests refused with ter:NotAuthorized */
  onvifAuthFailures: number;
  /** RTSP requests answered (any method) */
  rtspRequests: number;
  /** DESCRIBE answered 200 with an SDP */
  rtspDescribes: number;
  /** RTSP requests answered 401 */
  rtspAuthFailures: number;
  /** JPEG snapshots delivered (HTTP 200) — the "upstream pulls" */
  snapshotPulls: number;
  /** snapshot requests answered 401 */
  snapshotAuthFailures: number;
}

export function emptyCounters(): CameraCounters {
  return {
    onvifConnections: 0,
    rtspConnections: 0,
    onvifRequests: 0,
    onvifAuthFailures: 0,
    rtspRequests: 0,
    rtspDescribes: 0,
    rtspAuthFailures: 0,
    snapshotPulls: 0,
    snapshotAuthFailures: 0,
  };
}
