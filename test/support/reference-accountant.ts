/**
 * The tests' reference accountant: a second, independent implementation of docs/accounting.md
 * ("Which evidence counts", "From evidence to a timeline", "Days and months"), written from the
 * text only — it reads nothing from src/core, src/services or src/db — to check the hub's day and
 * month figures against. Plain interval arithmetic, no incremental state: every day is
 * recomputed from scratch with what had arrived at that day's close.
 *
 * Choices where the text leaves room (see also the report in the commit that added this file):
 * - checks in the order future → too_old → old → retired; a refused or ignored item never
 *   becomes the camera's newest accepted evidence;
 * - a run also ends at every effective registry change (retirement *and* restore) that lies in
 *   (e_i.at, e_{i+1}.at]; the hub's first start (`start`) is not a registry change: evidence
 *   measured before it (spooled, arriving later) may begin a run that is clipped at `start`;
 * - zero-length offline intervals are no outage; an offline interval keeps the fault class of
 *   the failure that completed the N even if later failures name other classes;
 * - `faultMs` lists only classes with time > 0 in the day.
 */
import type { FaultClass } from '../../src/protocol/probe-result.ts';

export interface RefConfig {
  failuresToOffline: number;
  successesToOnline: number;
  staleAfterMs: number;
  lateEvidenceMaxAgeMs: number;
  futureToleranceMs: number;
  dayCloseGraceMs: number;
  tzOffsetMinutes: number;
}

export const REF_DEFAULTS: RefConfig = Object.freeze({
  failuresToOffline: 3,
  successesToOnline: 2,
  staleAfterMs: 120_000,
  lateEvidenceMaxAgeMs: 24 * 3_600_000,
  futureToleranceMs: 300_000,
  dayCloseGraceMs: 3_600_000,
  tzOffsetMinutes: 8 * 60,
});

export interface RefEvidence {
  camera: string;
  /** measured, epoch ms (the agent's clock) */
  at: number;
  /** hub clock when it reaches the hub */
  arrival: number;
  fault: FaultClass | null;
}

export interface RefRegistryEvent {
  camera: string;
  /** hub time */
  at: number;
  kind: 'retire' | 'restore';
}

export interface RefDay {
  onlineMs: number;
  offlineMs: number;
  unknownMs: number;
  maintenanceMs: number;
  outages: number;
  longestOutageMs: number;
  faultMs: Partial<Record<FaultClass, number>>;
}

export type RefVerdict = 'accepted' | 'future' | 'too_old' | 'old' | 'retired';

export interface RefInput {
  cameras: string[];
  /** all cameras are in the registry from here (the hub's first start) */
  start: number;
  /** nothing after; days whose close (end + G) is after this are omitted */
  end: number;
  evidence: RefEvidence[];
  registry: RefRegistryEvent[];
}

export interface RefInterval {
  from: number;
  to: number;
}

export interface RefSegment extends RefInterval {
  state: 'online' | 'offline';
  /** the class of the failure that completed the N failures; null for online */
  fault: FaultClass | null;
}

const DAY_MS = 86_400_000;

const config = (cfg?: Partial<RefConfig>): RefConfig => ({ ...REF_DEFAULTS, ...cfg });

/** The local day 'YYYY-MM-DD' that contains instant t (fixed offset, no DST). */
export function localDayOf(t: number, tzOffsetMinutes: number = REF_DEFAULTS.tzOffsetMinutes): string {
  return new Date(t + tzOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Epoch ms of local 00:00 of day 'YYYY-MM-DD'. */
export function localDayStart(day: string, tzOffsetMinutes: number = REF_DEFAULTS.tzOffsetMinutes): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) - tzOffsetMinutes * 60_000;
}

/** Registry events of one camera with at <= until, in time order (ties: input order). */
function cameraEvents(registry: RefRegistryEvent[], camera: string, until: number): RefRegistryEvent[] {
  return registry
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.camera === camera && e.at <= until)
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}

/** Is the camera in the registry at hub time t (events with at <= t count, the last one wins)? */
function presentAt(input: RefInput, camera: string, t: number): boolean {
  if (!input.cameras.includes(camera)) return false;
  const events = cameraEvents(input.registry, camera, t);
  const last = events[events.length - 1];
  return last === undefined || last.kind === 'restore';
}

/**
 * The camera's time in the registry as known at hub time `known` (events with at <= known):
 * from `start`, out during [retire, restore), back after a restore. The last interval may end
 * at +Infinity. Also the effective changes (instants where presence flips), for run splitting.
 */
export function referencePresence(input: RefInput, camera: string, known: number): { intervals: RefInterval[]; changes: number[] } {
  const intervals: RefInterval[] = [];
  const changes: number[] = [];
  if (!input.cameras.includes(camera)) return { intervals, changes };
  let present = true;
  let since = input.start;
  for (const e of cameraEvents(input.registry, camera, known)) {
    if (e.kind === 'retire' && present) {
      present = false;
      changes.push(e.at);
      if (e.at > since) intervals.push({ from: since, to: e.at });
    } else if (e.kind === 'restore' && !present) {
      present = true;
      changes.push(e.at);
      since = Math.max(e.at, input.start);
    }
  }
  if (present) intervals.push({ from: since, to: Number.POSITIVE_INFINITY });
  return { intervals, changes };
}

/** Per evidence item (same index as input.evidence): what the hub does with it. */
export function referenceAcceptance(input: RefInput, cfg?: Partial<RefConfig>): RefVerdict[] {
  const c = config(cfg);
  const verdicts: RefVerdict[] = new Array(input.evidence.length);
  const order = input.evidence.map((_, i) => i).sort((a, b) => input.evidence[a]!.arrival - input.evidence[b]!.arrival || a - b);
  const newest = new Map<string, number>();
  for (const i of order) {
    const e = input.evidence[i]!;
    const h = e.arrival;
    const top = newest.get(e.camera);
    let v: RefVerdict;
    if (e.at > h + c.futureToleranceMs) v = 'future';
    else if (e.at < h - c.lateEvidenceMaxAgeMs) v = 'too_old';
    else if (top !== undefined && e.at <= top) v = 'old';
    else if (!presentAt(input, e.camera, h)) v = 'retired';
    else v = 'accepted';
    if (v === 'accepted') newest.set(e.camera, e.at);
    verdicts[i] = v;
  }
  return verdicts;
}

interface Piece {
  at: number;
  arrival: number;
  fault: FaultClass | null;
}

/** One run's state machine: the online/offline segments it yields, and its final state. */
function runSegments(run: Piece[], c: RefConfig): { segments: RefSegment[]; final: RefSegment | null } {
  const N = c.failuresToOffline;
  const M = c.successesToOnline;
  const segments: RefSegment[] = [];
  let state: 'unknown' | 'online' | 'offline' = 'unknown';
  let since = 0;
  let fault: FaultClass | null = null;
  let okStreak = 0;
  let okFirst = 0;
  let failStreak = 0;
  let failFirst = 0;
  let lastOk = -1;
  for (let i = 0; i < run.length; i++) {
    const p = run[i]!;
    if (p.fault === null) {
      failStreak = 0;
      if (okStreak === 0) okFirst = i;
      okStreak++;
      lastOk = i;
      if (state !== 'online' && okStreak === M) {
        const from = run[okFirst]!.at; // from the first of the M successes
        if (state === 'offline') segments.push({ from: since, to: from, state, fault });
        state = 'online';
        since = from;
        fault = null;
      }
    } else {
      okStreak = 0;
      if (failStreak === 0) failFirst = i;
      failStreak++;
      if (state !== 'offline' && failStreak === N) {
        // from unknown: from the first failure; from online: from the last success before them
        const from = state === 'online' ? run[lastOk]!.at : run[failFirst]!.at;
        if (state === 'online') segments.push({ from: since, to: from, state, fault: null });
        state = 'offline';
        since = from;
        fault = p.fault;
      }
    }
  }
  let final: RefSegment | null = null;
  if (state !== 'unknown' && run.length > 0) {
    final = { from: since, to: run[run.length - 1]!.at, state, fault };
    segments.push(final);
  }
  return { segments, final };
}

/**
 * The camera's timeline as known at hub time C: accepted evidence with arrival <= C, in
 * measured order, cut into runs (gap > S, or a registry change in between), each run through
 * the state machine. Segments are not yet clipped to presence. Unknown = everything else.
 */
export function referenceTimeline(input: RefInput, camera: string, C: number, cfg?: Partial<RefConfig>, verdicts?: RefVerdict[]): RefSegment[] {
  const c = config(cfg);
  const v = verdicts ?? referenceAcceptance(input, c);
  const pieces: Piece[] = input.evidence
    .filter((e, i) => e.camera === camera && v[i] === 'accepted' && e.arrival <= C)
    // measured before a return to the registry that happened before it arrived: counts in no run
    .filter((e) => !input.registry.some((r) => r.camera === camera && r.kind === 'restore' && e.at < r.at && r.at <= e.arrival))
    .map((e) => ({ at: e.at, arrival: e.arrival, fault: e.fault }))
    .sort((a, b) => a.at - b.at);
  const { changes } = referencePresence(input, camera, C);
  const runs: Piece[][] = [];
  let run: Piece[] = [];
  for (const p of pieces) {
    const prev = run[run.length - 1];
    if (prev !== undefined) {
      const gap = p.at - prev.at > c.staleAfterMs;
      // the registry changes on the hub's clock: evidence that reached the hub before a change belongs to the run before it
      const registryChange = changes.some((x) => prev.arrival < x && x <= p.arrival);
      if (gap || registryChange) {
        runs.push(run);
        run = [];
      }
    }
    run.push(p);
  }
  if (run.length > 0) runs.push(run);
  const out: RefSegment[] = [];
  let final: RefSegment | null = null;
  for (const r of runs) {
    const s = runSegments(r, c);
    out.push(...s.segments);
    final = s.final;
  }
  // "now": the newest evidence at most S old at C → its run's state lasts until C (or until the
  // next registry change, which ends the run)
  const lastRun = runs[runs.length - 1];
  if (final !== null && lastRun !== undefined && final.to === lastRun[lastRun.length - 1]!.at) {
    const lastAt = final.to;
    if (C > lastAt && C - lastAt <= c.staleAfterMs) {
      const stop = Math.min(C, ...changes.filter((x) => x > lastAt));
      final.to = Math.max(final.to, stop);
    }
  }
  return out.filter((s) => s.to > s.from);
}

const overlap = (a: RefInterval, b: RefInterval): number => Math.max(0, Math.min(a.to, b.to) - Math.max(a.from, b.from));

function clip(segments: RefSegment[], to: RefInterval[]): RefSegment[] {
  const out: RefSegment[] = [];
  for (const s of segments) {
    for (const p of to) {
      const from = Math.max(s.from, p.from);
      const until = Math.min(s.to, p.to);
      if (until > from) out.push({ ...s, from, to: until });
    }
  }
  return out;
}

function emptyDay(): RefDay {
  return { onlineMs: 0, offlineMs: 0, unknownMs: 0, maintenanceMs: 0, outages: 0, longestOutageMs: 0, faultMs: {} };
}

/** One camera's figures for one local day [dayStart, dayStart + 24 h), as known at hub time C; null if never in the registry that day. */
export function referenceDay(input: RefInput, camera: string, dayStart: number, C: number, cfg?: Partial<RefConfig>, verdicts?: RefVerdict[]): RefDay | null {
  const day: RefInterval = { from: dayStart, to: dayStart + DAY_MS };
  const presence = referencePresence(input, camera, C).intervals;
  const presentMs = presence.reduce((sum, p) => sum + overlap(p, day), 0);
  if (presentMs <= 0) return null;
  const segments = clip(referenceTimeline(input, camera, C, cfg, verdicts), presence);
  const d = emptyDay();
  for (const s of segments) {
    const inDay = overlap(s, day);
    if (inDay <= 0) continue;
    if (s.state === 'online') d.onlineMs += inDay;
    else {
      d.offlineMs += inDay;
      d.outages += 1;
      d.longestOutageMs = Math.max(d.longestOutageMs, inDay);
      const cls = s.fault!;
      d.faultMs[cls] = (d.faultMs[cls] ?? 0) + inDay;
    }
  }
  d.unknownMs = presentMs - d.onlineMs - d.offlineMs - d.maintenanceMs;
  return d;
}

/**
 * Per camera, per local day 'YYYY-MM-DD' (only days the camera spent time in the registry), the
 * day's figures as known at the day's close (day end + G): only evidence with arrival <= close
 * counts; registry events with at <= close count. Days whose close is after `end` are omitted.
 */
export function referenceDays(input: RefInput, cfg?: Partial<RefConfig>): Map<string, Map<string, RefDay>> {
  const c = config(cfg);
  const verdicts = referenceAcceptance(input, c);
  const out = new Map<string, Map<string, RefDay>>();
  for (const camera of input.cameras) {
    const days = new Map<string, RefDay>();
    for (let ds = localDayStart(localDayOf(input.start, c.tzOffsetMinutes), c.tzOffsetMinutes); ds < input.end; ds += DAY_MS) {
      const close = ds + DAY_MS + c.dayCloseGraceMs;
      if (close > input.end) break;
      const d = referenceDay(input, camera, ds, close, c, verdicts);
      if (d !== null) days.set(localDayOf(ds, c.tzOffsetMinutes), d);
    }
    out.set(camera, days);
  }
  return out;
}

/** A month 'YYYY-MM' = the sum of its days (outages summed, longestOutageMs = max); null if none of its days is there. */
export function referenceMonth(days: Map<string, RefDay>, month: string): RefDay | null {
  let m: RefDay | null = null;
  for (const [key, d] of days) {
    if (key.slice(0, 7) !== month) continue;
    m ??= emptyDay();
    m.onlineMs += d.onlineMs;
    m.offlineMs += d.offlineMs;
    m.unknownMs += d.unknownMs;
    m.maintenanceMs += d.maintenanceMs;
    m.outages += d.outages;
    m.longestOutageMs = Math.max(m.longestOutageMs, d.longestOutageMs);
    for (const [cls, ms] of Object.entries(d.faultMs) as [FaultClass, number][]) m.faultMs[cls] = (m.faultMs[cls] ?? 0) + ms;
  }
  return m;
}
