/**
 * Random evidence scenarios for the availability accounting (fast-check): a few cameras over
 * 1–3 local days (UTC+8) starting on the last day of a month, so midnight and a month boundary
 * are crossed. The structure (health segments, silences, spools, skew, hub downtime,
 * retirements) comes from fast-check and shrinks; per-probe noise (jitter, latency, flapping)
 * comes from a seeded PRNG.
 *
 * Invariants: per camera, arrival is nondecreasing and `at` strictly increasing in arrival
 * order (agents send in order); every arrival lies in [start, end]; no registry event lies in a
 * hub-down period (the hub reads cameras.csv while it runs); the agent does not probe a camera
 * while it is retired (items measured before a retirement may still arrive during it).
 */
import fc from 'fast-check';
import { FAULT_CLASSES, type FaultClass } from '../../src/protocol/probe-result.ts';
import { REF_DEFAULTS, type RefEvidence, type RefRegistryEvent } from './reference-accountant.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface ScenarioOptions {
  cameras: string[];
  /** closed local days, 1..3; random when absent */
  days?: number;
  probeIntervalMs?: number;
  /** agent clock skew segments (some items `future`); default true */
  skew?: boolean;
  /** a pre-start spool older than L (some items `too_old`); default true */
  tooOld?: boolean;
  /** late batches (agent spools); default true */
  spools?: boolean;
  /** hub down periods; default true */
  hubDown?: boolean;
  /** retirements / restores; default true */
  registry?: boolean;
}

export interface ScenarioEvidence extends RefEvidence {
  /** the arrival this item would have had if the hub had never been down (spools and the hub's first start still apply) */
  sent: number;
}

export interface Scenario {
  cameras: string[];
  start: number;
  end: number;
  /** sorted by arrival (ties: camera order, then measured order) */
  evidence: ScenarioEvidence[];
  registry: RefRegistryEvent[];
  /** flat list of hub times: down, up, down, up, … (the same as hubDown) */
  restarts: number[];
  /** the hub is down during [from, to): arrivals in it are delayed to `to` */
  hubDown: { from: number; to: number }[];
}

type Health = 'ok' | 'failing' | 'flapping';

interface CameraPlan {
  segments: { len: number; health: Health; fault: FaultClass }[];
  silences: { at: number; len: number }[];
  spools: { at: number; len: number }[];
  skews: { at: number; len: number; skew: number }[];
  ancient: number | null;
  retire: { at: number; len: number } | null;
  firstProbe: number;
}

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Window {
  from: number;
  to: number;
}

function merge(ws: Window[]): Window[] {
  const sorted = ws.filter((w) => w.to > w.from).sort((a, b) => a.from - b.from);
  const out: Window[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && w.from <= last.to) last.to = Math.max(last.to, w.to);
    else out.push({ ...w });
  }
  return out;
}

/** arrival inside a window [from, to) → to */
const delay = (t: number, ws: Window[]): number => {
  for (const w of ws) if (t >= w.from && t < w.to) return w.to;
  return t;
};

const inside = (t: number, ws: Window[]): boolean => ws.some((w) => t >= w.from && t < w.to);

function planArb(span: number, probeIntervalMs: number, o: Required<Omit<ScenarioOptions, 'cameras' | 'days' | 'probeIntervalMs'>>): fc.Arbitrary<CameraPlan> {
  const win = (minLen: number, maxLen: number) => fc.record({ at: fc.integer({ min: 0, max: span }), len: fc.integer({ min: minLen, max: maxLen }) });
  return fc.record({
    segments: fc.array(
      fc.record({
        len: fc.integer({ min: 5 * MIN, max: 6 * HOUR }),
        health: fc.constantFrom<Health>('ok', 'ok', 'failing', 'flapping'),
        fault: fc.constantFrom(...FAULT_CLASSES),
      }),
      { minLength: 1, maxLength: 10 },
    ),
    silences: fc.array(win(MIN, 4 * HOUR), { maxLength: 4 }),
    spools: o.spools ? fc.array(win(5 * MIN, 6 * HOUR), { maxLength: 3 }) : fc.constant([]),
    skews: o.skew
      ? fc.array(fc.record({ at: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 10 * MIN, max: 3 * HOUR }), skew: fc.integer({ min: -10 * MIN, max: 10 * MIN }) }), {
          maxLength: 2,
        })
      : fc.constant([]),
    ancient: o.tooOld ? fc.option(fc.integer({ min: 10 * MIN, max: 3 * HOUR }), { freq: 3 }) : fc.constant(null),
    retire: o.registry ? fc.option(win(10 * MIN, 12 * HOUR), { freq: 2 }) : fc.constant(null),
    firstProbe: fc.integer({ min: 0, max: probeIntervalMs - 1 }),
  });
}

export function scenarioArb(opts: ScenarioOptions): fc.Arbitrary<Scenario> {
  const probe = opts.probeIntervalMs ?? 60_000;
  const o = { skew: opts.skew ?? true, tooOld: opts.tooOld ?? true, spools: opts.spools ?? true, hubDown: opts.hubDown ?? true, registry: opts.registry ?? true };
  const daysArb = opts.days !== undefined ? fc.constant(opts.days) : fc.integer({ min: 1, max: 3 });
  return daysArb.chain((days) => {
    const span = days * DAY + REF_DEFAULTS.dayCloseGraceMs;
    return fc
      .record({
        year: fc.integer({ min: 2025, max: 2027 }),
        month: fc.integer({ min: 0, max: 11 }),
        offset: fc.integer({ min: 0, max: DAY - 1 }),
        hubDown: o.hubDown ? fc.array(fc.record({ at: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 2 * MIN, max: 3 * HOUR }) }), { maxLength: 2 }) : fc.constant([]),
        plans: fc.tuple(...opts.cameras.map(() => planArb(span, probe, o))),
        seed: fc.integer(),
      })
      .map(({ year, month, offset, hubDown, plans, seed }) => build(opts.cameras, days, probe, year, month, offset, [...hubDown], plans, seed));
  });
}

function build(
  cameras: string[],
  days: number,
  probe: number,
  year: number,
  month: number,
  offset: number,
  hubDownPlan: { at: number; len: number }[],
  plans: CameraPlan[],
  seed: number,
): Scenario {
  const tz = REF_DEFAULTS.tzOffsetMinutes * MIN;
  // local 00:00 of the month's last day: the first of the next month minus one day
  const lastDay = Date.UTC(year, month + 1, 1) - DAY - tz;
  const start = lastDay + offset;
  const end = start + days * DAY + REF_DEFAULTS.dayCloseGraceMs;
  const rnd = prng(seed);
  const hubDown = merge(hubDownPlan.map((w) => ({ from: start + w.at, to: Math.min(end, start + w.at + w.len) })));
  const registry: RefRegistryEvent[] = [];
  const evidence: (ScenarioEvidence & { cam: number })[] = [];
  plans.forEach((plan, cam) => {
    const camera = cameras[cam]!;
    // registry: never while the hub is down (moved to just after)
    let retired: Window[] = [];
    if (plan.retire !== null) {
      const r = delay(start + plan.retire.at, hubDown) + (inside(start + plan.retire.at, hubDown) ? 1000 : 0);
      let b = r + plan.retire.len;
      if (inside(b, hubDown)) b = delay(b, hubDown) + 1000;
      if (r <= end) {
        registry.push({ camera, at: r, kind: 'retire' });
        if (b <= end) registry.push({ camera, at: b, kind: 'restore' });
        retired = [{ from: r, to: b <= end ? b : Number.POSITIVE_INFINITY }];
      }
    }
    const silences = merge(plan.silences.map((s) => ({ from: start + s.at, to: start + s.at + s.len })));
    const spools = merge(plan.spools.map((s) => ({ from: start + s.at, to: Math.min(end, start + s.at + s.len) })));
    const skews = plan.skews.map((s) => ({ from: start + s.at, to: start + s.at + s.len, skew: s.skew }));
    const cycle = plan.segments.reduce((sum, s) => sum + s.len, 0);
    const measureFrom = plan.ancient !== null ? start - REF_DEFAULTS.lateEvidenceMaxAgeMs - plan.ancient : start + plan.firstProbe;
    let lastAt = Number.NEGATIVE_INFINITY;
    for (let t = measureFrom; t <= end; t += probe + Math.round((rnd() - 0.5) * 4000)) {
      const noise = rnd(); // drawn every step so the sequence does not depend on skips
      const latency = Math.floor(rnd() * 2000);
      const flip = rnd();
      if (inside(t, silences) || inside(t, retired)) continue;
      let pos = (t - measureFrom) % cycle;
      let seg = plan.segments[0]!;
      for (const s of plan.segments) {
        seg = s;
        if (pos < s.len) break;
        pos -= s.len;
      }
      const fail = seg.health === 'failing' ? noise < 0.97 : seg.health === 'flapping' ? noise < 0.5 : noise < 0.01;
      const fault: FaultClass | null = fail ? (seg.health === 'flapping' && flip < 0.3 ? FAULT_CLASSES[Math.floor(flip * 10) % FAULT_CLASSES.length]! : seg.fault) : null;
      const skew = skews.find((s) => t >= s.from && t < s.to)?.skew ?? 0;
      const at = t + skew;
      if (at <= lastAt) continue; // the agent's clock stepped back: it sends nothing dated before what it sent
      const sent = Math.max(start, delay(t + latency, spools)); // before the hub's first start: arrives at the start
      const arrival = delay(sent, hubDown);
      if (arrival > end) continue;
      lastAt = at;
      evidence.push({ camera, at, arrival, sent, fault, cam });
    }
  });
  evidence.sort((a, b) => a.arrival - b.arrival || a.cam - b.cam || a.at - b.at);
  registry.sort((a, b) => a.at - b.at);
  return {
    cameras,
    start,
    end,
    evidence: evidence.map(({ cam: _cam, ...e }) => e),
    registry,
    restarts: hubDown.flatMap((w) => [w.from, w.to]),
    hubDown,
  };
}
