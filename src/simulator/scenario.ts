/**
 * Fault scenarios: a YAML file with explicit faults and/or the generated demo mix, which
 * keeps about 93 % of cameras online (the county's reported 93.34 %), deterministic from a seed.
 *
 *   seed: 7
 *   cameras: 1730          # how many cameras `npm run sim` starts when --cameras is not given
 *   demo: true             # add the generated demo faults (or { offlineShare: 0.0666 })
 *   faults:
 *     - { site: SITE-0003, fault: power }
 *     - { camera: "37092300001310000007", fault: clock_skew, seconds: 900 }
 */
import { parse } from 'yaml';
import type { FaultAssignment } from './fleet.ts';
import { seededRandom } from './specs.ts';
import { FAULT_KINDS, type FaultKind, type SimCameraSpec } from './types.ts';

export interface Scenario {
  seed: number;
  cameras?: number;
  demo: false | { offlineShare: number };
  faults: FaultAssignment[];
}

/** Offline share of the reference county: 1 − 93.34 %. */
export const DEMO_OFFLINE_SHARE = 1 - 0.9334;

export function parseScenario(text: string): Scenario {
  const raw: unknown = parse(text);
  const doc = (raw ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('scenario: top level must be a mapping');
  const seed = doc.seed === undefined ? 1 : num(doc.seed, 'seed');
  const sc: Scenario = { seed, demo: false, faults: [] };
  if (doc.cameras !== undefined) sc.cameras = num(doc.cameras, 'cameras');
  if (doc.demo === true) sc.demo = { offlineShare: DEMO_OFFLINE_SHARE };
  else if (doc.demo !== undefined && doc.demo !== false && doc.demo !== null) {
    const d = doc.demo as Record<string, unknown>;
    sc.demo = { offlineShare: d.offlineShare === undefined ? DEMO_OFFLINE_SHARE : num(d.offlineShare, 'demo.offlineShare') };
  }
  const list = doc.faults ?? [];
  if (!Array.isArray(list)) throw new Error('scenario: faults must be a list');
  list.forEach((f: unknown, i) => {
    const e = (f ?? {}) as Record<string, unknown>;
    const where = `scenario: faults[${i}]`;
    if (typeof e.fault !== 'string' || !(FAULT_KINDS as readonly string[]).includes(e.fault)) {
      throw new Error(`${where}: fault must be one of ${FAULT_KINDS.join(', ')}`);
    }
    const a: FaultAssignment = { fault: e.fault as FaultKind };
    if (e.camera !== undefined) a.camera = String(e.camera);
    else if (e.site !== undefined) a.site = String(e.site);
    else throw new Error(`${where}: needs camera or site`);
    for (const k of ['seconds', 'ms', 'periodS'] as const) if (e[k] !== undefined) a[k] = num(e[k], `${where}.${k}`);
    sc.faults.push(a);
  });
  return sc;
}

/** Every fault of a scenario for a concrete camera list (demo mix first, explicit faults after). */
export function scenarioFaults(sc: Scenario, specs: SimCameraSpec[]): FaultAssignment[] {
  const demo = sc.demo === false ? [] : demoFaults(specs, sc.seed, sc.demo.offlineShare);
  return [...demo, ...sc.faults];
}

/**
 * The demo mix. Offline budget B = round(N × offlineShare): ~40 % of it as power loss on whole
 * sites (only sites that fit), the rest spread over hang, password_changed, rtsp_down and
 * flapping (a flapping camera counts half). On top, ~1 % clock_skew beyond the WS-Security
 * window and ~1 % slow cameras, which a correct agent still sees online.
 */
export function demoFaults(specs: SimCameraSpec[], seed: number, offlineShare = DEMO_OFFLINE_SHARE): FaultAssignment[] {
  const rnd = seededRandom(seed);
  const shuffle = <T>(xs: T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  };
  const out: FaultAssignment[] = [];
  let budget = Math.round(specs.length * offlineShare);

  const sites = new Map<string, SimCameraSpec[]>();
  for (const s of specs) if (s.siteId !== null) sites.set(s.siteId, [...(sites.get(s.siteId) ?? []), s]);
  const poweredOff = new Set<string>();
  let powerBudget = Math.floor(budget * 0.4);
  for (const [site, cams] of shuffle([...sites.entries()])) {
    if (cams.length > powerBudget) continue;
    out.push({ site, fault: 'power' });
    powerBudget -= cams.length;
    budget -= cams.length;
    for (const c of cams) poweredOff.add(c.code);
  }

  const pool = shuffle(specs.filter((s) => !poweredOff.has(s.code)));
  const kinds: FaultKind[] = ['hang', 'password_changed', 'rtsp_down', 'flapping'];
  let k = 0;
  while (budget > 0.25 && pool.length > 0) {
    const kind = kinds[k++ % kinds.length] ?? 'hang';
    const cam = pool.pop() as SimCameraSpec;
    if (kind === 'flapping') {
      out.push({ camera: cam.code, fault: 'flapping', periodS: 30 + Math.floor(rnd() * 90) });
      budget -= 0.5;
    } else {
      out.push({ camera: cam.code, fault: kind });
      budget -= 1;
    }
  }
  const extras = Math.max(specs.length >= 50 ? 1 : 0, Math.round(specs.length * 0.01));
  for (let i = 0; i < extras && pool.length > 0; i++) {
    const cam = pool.pop() as SimCameraSpec;
    const sign = rnd() < 0.5 ? -1 : 1;
    out.push({ camera: cam.code, fault: 'clock_skew', seconds: sign * (400 + Math.floor(rnd() * 3200)) });
  }
  for (let i = 0; i < extras && pool.length > 0; i++) {
    const cam = pool.pop() as SimCameraSpec;
    out.push({ camera: cam.code, fault: 'slow', ms: 200 + Math.floor(rnd() * 1000) });
  }
  return out;
}

/** Expected online share of a fault list for N cameras (a flapping camera counts half). */
export function expectedOnlineShare(faults: FaultAssignment[], specs: SimCameraSpec[]): number {
  const siteOf = new Map(specs.map((s) => [s.code, s.siteId]));
  const downSites = new Set(faults.filter((f) => f.fault === 'power' && f.site !== undefined).map((f) => f.site));
  const weight = new Map<string, number>();
  for (const s of specs) if (s.siteId !== null && downSites.has(s.siteId)) weight.set(s.code, 1);
  for (const f of faults) {
    if (f.camera === undefined || !siteOf.has(f.camera)) continue;
    const w = f.fault === 'flapping' ? 0.5 : ['power', 'hang', 'password_changed', 'rtsp_down'].includes(f.fault) ? 1 : 0;
    weight.set(f.camera, Math.max(weight.get(f.camera) ?? 0, w));
  }
  let off = 0;
  for (const w of weight.values()) off += w;
  return specs.length === 0 ? 1 : 1 - off / specs.length;
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`scenario: ${name} must be a number`);
  return v;
}
