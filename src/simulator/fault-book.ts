/**
 * The fault book: which faults are set on which camera or site, and what a camera does
 * because of them at a given instant. Pure (time comes in as an argument).
 */
import type { FaultClass } from '../protocol/probe-result.ts';
import { FAULT_KINDS, type ActiveFault, type EffectiveState, type FaultKind, type FaultParams, type FaultTarget } from './types.ts';

const NO_FAULTS: ReadonlyMap<FaultKind, ActiveFault> = new Map();

export class FaultBook {
  private readonly byCamera = new Map<string, Map<FaultKind, ActiveFault>>();
  private readonly bySite = new Map<string, Map<FaultKind, ActiveFault>>();

  /** Set (or replace) a fault. Throws on a bad kind or missing parameters. */
  set(target: FaultTarget, fault: FaultKind, params: FaultParams = {}, now = Date.now()): ActiveFault {
    if (!(FAULT_KINDS as readonly string[]).includes(fault)) throw new Error(`unknown fault kind: ${String(fault)}`);
    const { scope, key } = scopeOf(target);
    const af: ActiveFault = { scope, target: key, fault, since: now };
    if (fault === 'clock_skew') af.seconds = requireNumber(params.seconds, 'seconds');
    if (fault === 'slow') af.ms = requirePositive(params.ms, 'ms');
    if (fault === 'flapping') af.periodS = requirePositive(params.periodS, 'periodS');
    const book = scope === 'camera' ? this.byCamera : this.bySite;
    let m = book.get(key);
    if (!m) book.set(key, (m = new Map()));
    m.set(fault, af);
    return af;
  }

  /** Clear one fault kind, or every fault of the target when `fault` is omitted. Returns how many were cleared. */
  clear(target: FaultTarget, fault?: FaultKind): number {
    const { scope, key } = scopeOf(target);
    const book = scope === 'camera' ? this.byCamera : this.bySite;
    const m = book.get(key);
    if (!m) return 0;
    let n = 0;
    if (fault === undefined) {
      n = m.size;
      book.delete(key);
    } else if (m.delete(fault)) {
      n = 1;
      if (m.size === 0) book.delete(key);
    }
    return n;
  }

  clearAll(): void {
    this.byCamera.clear();
    this.bySite.clear();
  }

  list(): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const m of this.bySite.values()) out.push(...m.values());
    for (const m of this.byCamera.values()) out.push(...m.values());
    return out;
  }

  /** Faults in force for one camera: its site's, overridden kind by kind by its own. */
  faultsOf(code: string, siteId: string | null): Map<FaultKind, ActiveFault> {
    const own = this.byCamera.get(code) ?? NO_FAULTS;
    const site = siteId === null ? NO_FAULTS : (this.bySite.get(siteId) ?? NO_FAULTS);
    const merged = new Map(site);
    for (const [k, v] of own) merged.set(k, v);
    return merged;
  }

  hasFlapping(): boolean {
    return this.list().some((f) => f.fault === 'flapping');
  }

  effective(code: string, siteId: string | null, now = Date.now()): EffectiveState {
    return effectiveState(this.faultsOf(code, siteId), now);
  }
}

export function effectiveState(faults: ReadonlyMap<FaultKind, ActiveFault>, now: number): EffectiveState {
  const flap = faults.get('flapping');
  const flapDown = flap !== undefined && flappingDown(flap, now);
  const powered = !faults.has('power') && !flapDown;
  return {
    powered,
    rtspListening: powered && !faults.has('rtsp_down'),
    rtspBusy: faults.has('rtsp_busy'),
    hang: faults.has('hang'),
    passwordChanged: faults.has('password_changed'),
    extraSkewMs: (faults.get('clock_skew')?.seconds ?? 0) * 1000,
    delayMs: faults.get('slow')?.ms ?? 0,
  };
}

/** Flapping starts down, then alternates every periodS seconds. */
export function flappingDown(f: ActiveFault, now: number): boolean {
  const periodMs = (f.periodS ?? 1) * 1000;
  return Math.floor(Math.max(0, now - f.since) / periodMs) % 2 === 0;
}

/**
 * The fault class a correct agent (timeouts set, clock offset applied) should report for a
 * camera in this state, or null if it should see it online. `slowLimitMs` is the agent's
 * per-rung timeout: slower answers look like a hang.
 */
export function expectedFaultClass(s: EffectiveState, slowLimitMs = 5_000): FaultClass | null {
  if (!s.powered) return 'unreachable';
  if (s.hang || s.delayMs >= slowLimitMs) return 'onvif_down';
  if (s.passwordChanged) return 'auth_failed';
  if (!s.rtspListening) return 'stream_down';
  return null; // rtsp_busy too: a camera at its session limit is alive (the agent notes it busy)
}

function scopeOf(t: FaultTarget): { scope: 'camera' | 'site'; key: string } {
  if (t.camera !== undefined && t.site !== undefined) throw new Error('give camera or site, not both');
  if (t.camera !== undefined && t.camera !== '') return { scope: 'camera', key: t.camera };
  if (t.site !== undefined && t.site !== '') return { scope: 'site', key: t.site };
  throw new Error('a fault needs a camera or a site');
}

function requireNumber(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`fault parameter ${name} must be a number`);
  return v;
}

function requirePositive(v: unknown, name: string): number {
  const n = requireNumber(v, name);
  if (n <= 0) throw new Error(`fault parameter ${name} must be > 0`);
  return n;
}
