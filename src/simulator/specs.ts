/**
 * Deterministic camera lists for the simulator (and for anyone who needs "N cameras"):
 * GB/T 28181-style 20-digit codes, cameras grouped into sites of 2–16 (one 光猫 or switch
 * each), per-camera credentials, all from a seed. Also the loopback address plan.
 */
import { writeFileSync } from 'node:fs';
import type { AgentCamera } from '../protocol/assignment.ts';
import { rtspUrlOf } from './onvif-templates.ts';
import type { SimCameraSpec } from './types.ts';

export { seededRandom } from '../core/seeded-random.ts';
import { seededRandom } from '../core/seeded-random.ts';

export interface SpecOptions {
  seed?: number;
  /** 8-digit centre prefix of the GB/T 28181 code (admin division + grass-roots unit); default Dongping 370923 00 */
  centre?: string;
  /** site id prefix; sites are `${sitePrefix}0001`… */
  sitePrefix?: string;
  minPerSite?: number;
  maxPerSite?: number;
  username?: string;
}

/**
 * N camera specs. Codes: centre(8) + industry "00" + type "131" (IP camera) + serial(7) = 20 digits.
 * Passwords differ per camera and are derived from the seed (never logged).
 */
export function makeCameraSpecs(n: number, opts: SpecOptions = {}): SimCameraSpec[] {
  const rnd = seededRandom(opts.seed ?? 1);
  const centre = (opts.centre ?? '37092300').padEnd(8, '0').slice(0, 8);
  const sitePrefix = opts.sitePrefix ?? 'SITE-';
  const min = Math.max(1, opts.minPerSite ?? 2);
  const max = Math.max(min, opts.maxPerSite ?? 16);
  const out: SimCameraSpec[] = [];
  let site = 0;
  let leftInSite = 0;
  for (let i = 0; i < n; i++) {
    if (leftInSite === 0) {
      site++;
      leftInSite = min + Math.floor(rnd() * (max - min + 1));
    }
    leftInSite--;
    out.push({
      code: `${centre}00131${String(i + 1).padStart(7, '0')}`,
      siteId: `${sitePrefix}${String(site).padStart(4, '0')}`,
      username: opts.username ?? 'admin',
      password: `Sx${Math.floor(rnd() * 0xffffffff).toString(36)}!${i}`,
      vendor: 'hikvision',
      // healthy cameras drift a little: ±20 s, well inside the WS-Security window
      clockSkewMs: Math.round((rnd() - 0.5) * 40_000),
    });
  }
  return out;
}

/**
 * Loopback address of camera `index` (0-based): `${hostBase}.${1 + ⌊i/250⌋}.${1 + i mod 250}`.
 * hostBase is two octets starting with 127 (default 127.20), so 63,500 cameras fit.
 */
export function hostFor(index: number, hostBase = '127.20'): string {
  if (!/^127\.\d{1,3}$/.test(hostBase) || Number(hostBase.split('.')[1]) > 255) {
    throw new Error(`hostBase must look like 127.N (loopback), got ${hostBase}`);
  }
  const third = 1 + Math.floor(index / 250);
  if (index < 0 || third > 254) throw new Error(`camera index ${index} does not fit in ${hostBase}.0.0/16`);
  return `${hostBase}.${third}.${1 + (index % 250)}`;
}

/**
 * Endpoints a fleet started with the same specs, hostBase and FIXED ports will have — for a
 * generator that must write camera addresses into config before the fleet runs.
 * (With port 0 the ports are only known after startFleet: use fleet.endpoints() then.)
 */
export function plannedEndpoints(specs: SimCameraSpec[], opts: { hostBase?: string; onvifPort: number; rtspPort: number }): AgentCamera[] {
  if (!(opts.onvifPort > 0 && opts.rtspPort > 0)) throw new Error('plannedEndpoints needs fixed (non-zero) ports');
  return specs.map((s, i) => {
    const host = hostFor(i, opts.hostBase);
    return {
      code: s.code,
      host,
      onvifPort: opts.onvifPort,
      onvifPath: '/onvif/device_service',
      rtspPort: opts.rtspPort,
      rtspUrl: rtspUrlOf({ host, rtspPort: opts.rtspPort }),
      username: s.username,
      password: s.password,
      siteId: s.siteId,
    };
  });
}

/** Write N generated specs as JSON (includes passwords: keep the file out of logs and repos). */
export function writeCameraSpecs(file: string, n: number, opts: SpecOptions = {}): SimCameraSpec[] {
  const specs = makeCameraSpecs(n, opts);
  writeFileSync(file, JSON.stringify(specs, null, 2));
  return specs;
}
