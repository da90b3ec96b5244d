/** Cameras near a position, inside the caller's scope, nearest first. */
import type { CountyView } from '../services/county-view.ts';
import type { Scope } from '../services/scope.ts';

const EARTH_M = 6_371_000;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export type NearbyCamera = NonNullable<ReturnType<CountyView['camera']>> & { distanceM: number };

/**
 * A bounding box drops far cameras cheaply (100 k cameras ≈ a few ms); the scope check and
 * the exact distance run only on what is left.
 */
export function nearbyCameras(view: CountyView, scope: Scope, lat: number, lon: number, radiusM: number, limit: number): NearbyCamera[] {
  const dLat = radiusM / 111_320;
  const dLon = radiusM / (111_320 * Math.max(0.01, Math.cos(rad(lat))));
  const out: NearbyCamera[] = [];
  for (const info of view.cameraInfo.values()) {
    const { latitude: la, longitude: lo } = info;
    if (la === null || lo === null || Math.abs(la - lat) > dLat || Math.abs(lo - lon) > dLon) continue;
    const d = distanceM(lat, lon, la, lo);
    if (d > radiusM) continue;
    const cam = view.camera(scope, info.code);
    if (cam) out.push({ ...cam, distanceM: Math.round(d) });
  }
  out.sort((a, b) => a.distanceM - b.distanceM || a.code.localeCompare(b.code));
  return out.slice(0, limit);
}
