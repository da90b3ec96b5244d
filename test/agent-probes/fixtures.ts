/** Real camera SOAP captures (test/fixtures/SOURCES.md). */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// copies of ../shared/fixtures kept in the repository (test/fixtures/SOURCES.md: origins, licences)
export const FIXTURES_DIR = process.env.SHARP_EYES_FIXTURES ?? resolve(here, '../fixtures');

export type Vendor = 'axis' | 'hikvision' | 'pelco' | 'trendnet' | 'milesight';
export const VENDORS: Vendor[] = ['axis', 'hikvision', 'pelco', 'trendnet', 'milesight'];

const FILES: Record<Vendor, { time: string; info: string }> = {
  axis: { time: 'GetSystemDateAndTime.Response.xml', info: 'GetDeviceInformation.Response.xml' },
  hikvision: { time: 'GetSystemDateAndTime.Response.xml', info: 'GetDeviceInformation.Response.xml' },
  pelco: { time: 'GetSystemDateAndTime.Response.xml', info: 'GetDeviceInformation.Response.xml' },
  trendnet: { time: 'GetSystemDateAndTime.Response.xml', info: 'GetDeviceInformation.Response.xml' },
  milesight: { time: 'get_system_date_and_time.xml', info: 'get_device_information.xml' },
};

export function onvifFixture(vendor: Vendor, file: string): string {
  return readFileSync(resolve(FIXTURES_DIR, 'onvif', vendor, file), 'utf8');
}

export const timeFixture = (v: Vendor): string => onvifFixture(v, FILES[v].time);
export const infoFixture = (v: Vendor): string => onvifFixture(v, FILES[v].info);

/** NotAuthorized faults as real cameras send them. */
export const notAuthorizedFixture = (v: 'trendnet' | 'axis'): string =>
  v === 'trendnet' ? onvifFixture('trendnet', 'GetDeviceInformation.Error.xml') : onvifFixture('axis', 'GetSystemUris.Error.NotAuthorized.xml');

/** Rewrite the UTCDateTime of a captured GetSystemDateAndTime answer to `utcMs`. */
export function withUtcTime(xml: string, utcMs: number): string {
  const d = new Date(utcMs);
  const set: Record<string, number> = {
    Year: d.getUTCFullYear(),
    Month: d.getUTCMonth() + 1,
    Day: d.getUTCDate(),
    Hour: d.getUTCHours(),
    Minute: d.getUTCMinutes(),
    Second: d.getUTCSeconds(),
  };
  return xml.replace(
    /(<(?:\w+:)?UTCDateTime>)([\s\S]*?)(<\/(?:\w+:)?UTCDateTime>)/,
    (_m, open: string, inner: string, close: string) =>
      open + inner.replace(/<((?:\w+:)?)(Year|Month|Day|Hour|Minute|Second)>\s*\d+\s*</g, (_x, p: string, tag: string) => `<${p}${tag}>${set[tag]}<`) + close,
  );
}
