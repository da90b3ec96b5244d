/**
 * The liveness ladder: tcp → onvif_time → onvif_auth → rtsp → (frame, when asked).
 * Stops at the first rung that is not ok; that rung names the fault class
 * (faultClassFor); the rungs above it are reported 'skipped'.
 *
 * Lockout safety: the scheduler keeps at most one login attempt per back-off window (the
 * camera's LoginGuard, ../login-guard.ts). It passes `skipAuth` while a camera is backing off
 * (rungs that send credentials are then 'skipped' with detail AUTH_BACKOFF), and clears the
 * guard when `loginAccepted(result)`.
 */
import { faultClassFor, RUNGS, type ProbeResult, type Rung, type RungResult } from '../src/protocol/probe-result.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { frameProbe } from './probes/frame.ts';
import { onvifAuthProbe } from './probes/onvif-auth.ts';
import { onvifTimeProbe } from './probes/onvif-time.ts';
import { rtspProbe } from './probes/rtsp.ts';
import { tcpProbe } from './probes/tcp.ts';
import { closeHard } from './probes/socket-close.ts';
import { DEFAULT_RUNG_TIMEOUTS, type RungContext, type RungProbe, type RungReport } from './probes/types.ts';

export const AUTH_BACKOFF = 'auth back-off';
export const LADDER_DEADLINE = 'ladder deadline';

export interface LadderOptions {
  /** climb the frame rung too (costs an ffmpeg process) */
  withFrame?: boolean;
  /** the camera is in auth back-off: do not send its credentials (auth rungs 'skipped') */
  skipAuth?: boolean;
  /** per-rung timeouts, ms (defaults: DEFAULT_RUNG_TIMEOUTS) */
  timeouts?: Partial<Record<Rung, number>>;
  /**
   * budget for the whole ladder, ms: each rung gets min(its timeout, what is left); a rung
   * reached with nothing left is a 'timeout' (detail LADDER_DEADLINE)
   */
  timeoutMs?: number;
  /** replace rung implementations (tests, the bench) */
  probes?: Partial<Record<Rung, RungProbe>>;
  now?: () => number;
}

export const LADDER: Readonly<Record<Rung, RungProbe>> = {
  tcp: tcpProbe,
  onvif_time: onvifTimeProbe,
  onvif_auth: onvifAuthProbe,
  rtsp: rtspProbe,
  frame: frameProbe,
};

export async function probeCamera(cam: AgentCamera, opts: LadderOptions = {}): Promise<ProbeResult> {
  const now = opts.now ?? Date.now;
  const rungs: RungResult[] = [];
  let socket: RungContext['socket'];
  let clockOffsetMs: number | null = null;
  let fault: ProbeResult['fault'] = null;
  let stopped = false;
  let busy = false;
  const deadline = opts.timeoutMs !== undefined ? performance.now() + opts.timeoutMs : Infinity;

  for (const rung of RUNGS) {
    const probe = opts.probes?.[rung] ?? LADDER[rung];
    if (stopped || (rung === 'frame' && !opts.withFrame)) {
      rungs.push({ rung, outcome: 'skipped', ms: 0 });
      continue;
    }
    if (opts.skipAuth && probe.usesCredentials) {
      rungs.push({ rung, outcome: 'skipped', ms: 0, detail: AUTH_BACKOFF });
      continue;
    }
    const started = performance.now();
    const left = Math.floor(deadline - started);
    const ctx: RungContext = { cam, timeoutMs: Math.min(opts.timeouts?.[rung] ?? DEFAULT_RUNG_TIMEOUTS[rung], left), clockOffsetMs, socket };
    let report: RungReport;
    try {
      report = left <= 0 ? { outcome: 'timeout', detail: LADDER_DEADLINE } : await probe.run(ctx);
    } catch (e) {
      // a bug in a rung must not kill the agent; the message never carries credentials
      report = { outcome: 'fail', detail: e instanceof Error ? e.name : 'error' };
    }
    closeHard(ctx.socket); // a handed-over socket nobody took
    socket = report.socket;
    const result: RungResult = { rung, outcome: report.outcome, ms: Math.round((performance.now() - started) * 10) / 10 };
    if (report.detail !== undefined) result.detail = report.detail;
    rungs.push(result);
    if (report.clockOffsetMs !== undefined) clockOffsetMs = report.clockOffsetMs;
    if (report.busy === true) busy = true;
    if (report.outcome !== 'ok') {
      fault = faultClassFor(rung, report.outcome);
      stopped = true;
    }
  }
  closeHard(socket);
  const out: ProbeResult = { camera: cam.code, at: now(), fault, rungs, clockOffsetMs };
  // a camera at its RTSP session limit: alive (its rung is ok), noted busy
  if (busy) out.busy = true;
  return out;
}

/** The camera refused the credentials on this pass (start or extend its back-off). */
export function authFailed(result: ProbeResult): boolean {
  return result.rungs.some((r) => r.outcome === 'auth');
}

/** Credentials were sent to the camera on this pass (counts against "one login per window"). */
export function loginAttempted(result: ProbeResult): boolean {
  return result.rungs.some((r) => LADDER[r.rung].usesCredentials && r.outcome !== 'skipped');
}

/** The camera accepted the credentials on this pass (a rung that sent them passed): clears its login guard. */
export function loginAccepted(result: ProbeResult): boolean {
  return result.rungs.some((r) => LADDER[r.rung].usesCredentials && r.outcome === 'ok');
}

/** Every rung that ran was ok, and none was held back by an auth back-off (evidence of 'online'). */
export function fullyVerified(result: ProbeResult): boolean {
  return result.fault === null && !result.rungs.some((r) => r.detail === AUTH_BACKOFF);
}
