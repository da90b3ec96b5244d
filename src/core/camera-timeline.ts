/**
 * One camera's timeline: consecutive segments (online, offline with its fault class, unknown,
 * maintenance, or absent — out of the registry), each from its start to the next one's, the
 * last open-ended. The monitor paints it: a state from an instant on replaces whatever was
 * there (offline back-dated to the last success, unknown back to the last evidence before a
 * gap, a sweep undone by late evidence). Figures for any span are sums over it
 * (`accountSpan`), so the live figures and the closed days come from one place. Pure, no I/O.
 * Rules: docs/accounting.md.
 */
import type { FaultClass } from '../protocol/probe-result.ts';
import type { CameraState } from './model.ts';

/** `absent`: out of the registry (retired) — in no figure */
export type TimelineState = CameraState | 'absent';

export interface Segment {
  start: number;
  state: TimelineState;
  /** offline: the class of the failure that completed the debounce */
  fault: FaultClass | null;
}

/** A camera's figures over a span: milliseconds per state, outages, offline ms per class. */
export interface SpanFigures {
  onlineMs: number;
  offlineMs: number;
  unknownMs: number;
  maintenanceMs: number;
  /** offline intervals overlapping the span */
  outages: number;
  /** the longest of them, inside the span */
  longestOutageMs: number;
  faultMs: Partial<Record<FaultClass, number>>;
}

export function emptySpan(): SpanFigures {
  return { onlineMs: 0, offlineMs: 0, unknownMs: 0, maintenanceMs: 0, outages: 0, longestOutageMs: 0, faultMs: {} };
}

/** Add `b` into `a` (outages summed, the longest kept). */
export function addSpan(a: SpanFigures, b: SpanFigures): SpanFigures {
  a.onlineMs += b.onlineMs;
  a.offlineMs += b.offlineMs;
  a.unknownMs += b.unknownMs;
  a.maintenanceMs += b.maintenanceMs;
  a.outages += b.outages;
  a.longestOutageMs = Math.max(a.longestOutageMs, b.longestOutageMs);
  for (const [k, v] of Object.entries(b.faultMs) as [FaultClass, number][]) a.faultMs[k] = (a.faultMs[k] ?? 0) + v;
  return a;
}

/** Where each state's milliseconds go in a per-grid Float64Array (4 slots per grid). */
export const STATE_SLOT = { online: 0, offline: 1, unknown: 2, maintenance: 3 } as const;

export class CameraTimeline {
  readonly segments: Segment[];

  constructor(start: number, state: TimelineState = 'unknown', fault: FaultClass | null = null) {
    this.segments = [{ start, state, fault }];
  }

  get last(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Where the timeline begins (its first segment's start; moved on by `trimBefore`). */
  get start(): number {
    return this.segments[0]!.start;
  }

  /**
   * `state` from `since` on, replacing what was there. Before the timeline's start (a closed
   * period) nothing changes: the paint begins at the start.
   */
  paint(since: number, state: TimelineState, fault: FaultClass | null = null): void {
    const at = Math.max(since, this.start);
    const s = this.segments;
    while (s.length > 1 && s[s.length - 1]!.start >= at) s.pop();
    const last = s[s.length - 1]!;
    if (last.start >= at) {
      // the first segment itself is replaced
      last.state = state;
      last.fault = fault;
      return;
    }
    if (last.state === state && last.fault === fault) return;
    s.push({ start: at, state, fault });
  }

  /** The state at instant `t` (before the start: the first segment's). */
  stateAt(t: number): Segment {
    const s = this.segments;
    for (let i = s.length - 1; i > 0; i--) if (s[i]!.start <= t) return s[i]!;
    return s[0]!;
  }

  /** Drop what lies before `t` (a closed period): the segment in force at `t` then starts at `t`. */
  trimBefore(t: number): void {
    const s = this.segments;
    let i = 0;
    while (i + 1 < s.length && s[i + 1]!.start <= t) i++;
    if (i > 0) s.splice(0, i);
    if (s[0]!.start < t) s[0]!.start = t;
  }

  /**
   * Milliseconds per state over [from, to) added into `out` at `at` + STATE_SLOT (online,
   * offline, unknown, maintenance; absent time is in none): the live windows' inner loop.
   */
  addStateMs(from: number, to: number, out: Float64Array, at: number): void {
    const s = this.segments;
    for (let i = 0; i < s.length; i++) {
      const seg = s[i]!;
      const b = Math.min(i + 1 < s.length ? s[i + 1]!.start : to, to);
      const a = Math.max(seg.start, from);
      if (b > a && seg.state !== 'absent') out[at + STATE_SLOT[seg.state]]! += b - a;
    }
  }

  /**
   * Figures over [from, to): the last segment lasts until `to` (for the live figure `to` is
   * now). An offline run of consecutive segments is one outage.
   */
  accountSpan(from: number, to: number, into: SpanFigures = emptySpan()): SpanFigures {
    const s = this.segments;
    let run = 0; // the offline run under way, inside the span
    let inRun = false;
    for (let i = 0; i < s.length; i++) {
      const seg = s[i]!;
      const a = Math.max(seg.start, from);
      const b = Math.min(i + 1 < s.length ? s[i + 1]!.start : to, to);
      if (seg.state !== 'offline' && inRun) {
        into.longestOutageMs = Math.max(into.longestOutageMs, run);
        inRun = false;
      }
      if (b <= a) continue;
      const d = b - a;
      switch (seg.state) {
        case 'online':
          into.onlineMs += d;
          break;
        case 'offline':
          into.offlineMs += d;
          if (seg.fault) into.faultMs[seg.fault] = (into.faultMs[seg.fault] ?? 0) + d;
          if (!inRun) {
            into.outages += 1;
            inRun = true;
            run = 0;
          }
          run += d;
          break;
        case 'unknown':
          into.unknownMs += d;
          break;
        case 'maintenance':
          into.maintenanceMs += d;
          break;
        case 'absent':
          break;
      }
    }
    if (inRun) into.longestOutageMs = Math.max(into.longestOutageMs, run);
    return into;
  }
}
