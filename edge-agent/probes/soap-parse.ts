/**
 * Readers for the few ONVIF answers the ladder and the snapshot source need, over the bounded
 * linear scanner of ./xml-scan.ts (camera replies are hostile input: no regular expression runs
 * over a reply). An element is known by its local name, whatever its namespace prefix
 * (SOAP-ENV:, env:, s:, tt:, tds:, none). A malformed reply is no answer: the readers return
 * null / undefined, and the `read…` forms say why.
 */
import { attribute, childElement, findElement, findElements, scanXml, XmlError, type XmlElement } from './xml-scan.ts';

/** One reply scanned once: the rungs ask a reply several questions (fault? which code?). */
let lastXml: string | null = null;
let lastScan: XmlElement | string = '';

/** The document of `xml`, or the reason it is malformed (a string). */
function scan(xml: string): XmlElement | string {
  if (xml !== lastXml) {
    try {
      lastScan = scanXml(xml);
    } catch (e) {
      if (!(e instanceof XmlError)) throw e;
      lastScan = `malformed XML (${e.message})`;
    }
    lastXml = xml;
  }
  return lastScan;
}

const text = (el: XmlElement | undefined): string => (el === undefined ? '' : el.text.trim());

// ---- GetSystemDateAndTime ----------------------------------------------------------------

const TIME_FIELDS = ['Year', 'Month', 'Day', 'Hour', 'Minute', 'Second'] as const;
type TimeField = (typeof TIME_FIELDS)[number];
/** the years a camera clock may read: one reset to 1970 or 2000 is still a reading (a large offset); year 0 or 9999 is not */
export const CAMERA_YEARS: readonly [number, number] = [1970, 2099];
/** inclusive bounds */
const RANGE: Record<TimeField, readonly [number, number]> = {
  Year: CAMERA_YEARS,
  Month: [1, 12],
  Day: [1, 31],
  Hour: [0, 23],
  Minute: [0, 59],
  Second: [0, 60], // a leap second
};

const isDigits = (s: string): boolean => {
  if (s.length === 0 || s.length > 4) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
};

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Camera UTC time (epoch ms) from a GetSystemDateAndTime response, or why not: `problem`
 * undefined when the reply holds no UTCDateTime at all, else what is wrong with it (malformed
 * XML, a missing field, a field that is not 1–4 digits, a value out of range, a day the month
 * does not have).
 */
export function readSystemDateAndTime(xml: string): { utcMs: number } | { problem: string | undefined } {
  const doc = scan(xml);
  if (typeof doc === 'string') return { problem: doc };
  const utc = findElement(doc, 'UTCDateTime');
  if (utc === undefined) return { problem: undefined };
  const v = {} as Record<TimeField, number>;
  for (const f of TIME_FIELDS) {
    const el = findElement(utc, f);
    if (el === undefined) return { problem: `no ${f}` };
    const s = text(el);
    if (!isDigits(s)) return { problem: `${f} is not a whole number` };
    v[f] = Number(s);
  }
  return utcOf(v);
}

/** Longest HTTP `Date` value read ("Sun, 06 Nov 1994 08:49:37 GMT" is 29 characters). */
const MAX_HTTP_DATE = 64;

/** IMF-fixdate (RFC 9110 §5.6.7), weekday optional, GMT or UTC; anchored, over at most MAX_HTTP_DATE characters */
const HTTP_DATE = /^(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC)$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The fields in range (RANGE, a day the month has) → epoch ms; else a reason. */
function utcOf(v: Record<TimeField, number>): { utcMs: number } | { problem: string } {
  for (const f of TIME_FIELDS) {
    const [min, max] = RANGE[f];
    if (!(v[f] >= min && v[f] <= max)) return { problem: `${f} ${v[f]} out of range ${min}..${max}` };
  }
  if (v.Day > daysIn(v.Year, v.Month)) return { problem: `no day ${v.Day} in ${v.Year}-${v.Month}` };
  return { utcMs: Date.UTC(v.Year, v.Month - 1, v.Day, v.Hour, v.Minute, v.Second) };
}

/**
 * A camera's HTTP `Date` header as epoch ms, or null: not a single value, longer than
 * MAX_HTTP_DATE, not an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"; `Date.parse` is far too
 * lenient: it reads year 0000 as 2000), or a field out of range (years: CAMERA_YEARS). A hostile
 * date makes no NaN and no absurd clock offset.
 */
export function readHttpDate(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string' || value.length > MAX_HTTP_DATE) return null;
  const m = HTTP_DATE.exec(value.trim());
  if (!m) return null;
  const month = MONTHS.indexOf((m[2] ?? '').toLowerCase()) + 1;
  const r = utcOf({ Year: Number(m[3]), Month: month, Day: Number(m[1]), Hour: Number(m[4]), Minute: Number(m[5]), Second: Number(m[6]) });
  return 'utcMs' in r ? r.utcMs : null;
}

/** Camera UTC time (epoch ms) from a GetSystemDateAndTime response, or null. */
export function parseSystemDateAndTime(xml: string): number | null {
  const r = readSystemDateAndTime(xml);
  return 'utcMs' in r ? r.utcMs : null;
}

// ---- GetDeviceInformation ----------------------------------------------------------------

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

/** Fields of a GetDeviceInformationResponse, kept as exact strings ("2.40" stays "2.40"), trimmed, '' when absent; or why not (`problem` undefined: no such response). */
export function readDeviceInformation(xml: string): { info: DeviceInformation } | { problem: string | undefined } {
  const doc = scan(xml);
  if (typeof doc === 'string') return { problem: doc };
  const body = findElement(doc, 'GetDeviceInformationResponse');
  if (body === undefined) return { problem: undefined };
  const f = (name: string): string => text(findElement(body, name));
  return {
    info: { manufacturer: f('Manufacturer'), model: f('Model'), firmwareVersion: f('FirmwareVersion'), serialNumber: f('SerialNumber'), hardwareId: f('HardwareId') },
  };
}

/** Fields of a GetDeviceInformationResponse, or null if absent or malformed. */
export function parseDeviceInformation(xml: string): DeviceInformation | null {
  const r = readDeviceInformation(xml);
  return 'info' in r ? r.info : null;
}

// ---- SOAP faults -------------------------------------------------------------------------

/** Code and subcodes of a SOAP 1.2 fault (e.g. ['env:Sender', 'ter:NotAuthorized']), then a SOAP 1.1 faultcode; null without a Fault (or when malformed). */
export function soapFaultCodes(xml: string): string[] | null {
  const doc = scan(xml);
  if (typeof doc === 'string') return null;
  const fault = findElement(doc, 'Fault');
  if (fault === undefined) return null;
  const codes = findElements(fault, 'Value')
    .map(text)
    .filter((c) => c !== '');
  const fc = findElement(fault, 'faultcode');
  if (fc !== undefined) codes.push(text(fc));
  return codes;
}

/** The most specific fault code (last subcode), for a rung's detail. */
export function faultDetail(xml: string): string | undefined {
  const codes = soapFaultCodes(xml);
  return codes && codes.length > 0 ? codes[codes.length - 1] : undefined;
}

const isNotAuthorized = (code: string): boolean => {
  const c = code.toLowerCase();
  return c === 'notauthorized' || c.endsWith(':notauthorized');
};

/**
 * Did the camera refuse our credentials? HTTP 401, or HTTP 400/500 (any 4xx/5xx in
 * practice) carrying a SOAP fault whose code is `ter:NotAuthorized` / `NotAuthorized`.
 */
export function isAuthFailure(status: number, xml: string): boolean {
  if (status === 401) return true;
  if (status < 400) return false;
  const codes = soapFaultCodes(xml);
  // Stryker disable next-line ArrayDeclaration: any non-NotAuthorized filler gives the same false for a missing fault
  return (codes ?? []).some(isNotAuthorized);
}

// ---- media service (snapshots) -------------------------------------------------------------

/** GetCapabilities: the media service address (`Media/XAddr`), trimmed; undefined when absent. */
export function mediaXAddr(xml: string): string | undefined {
  const doc = scan(xml);
  if (typeof doc === 'string') return undefined;
  for (const media of findElements(doc, 'Media')) {
    const addr = text(childElement(media, 'XAddr'));
    if (addr !== '') return addr;
  }
  return undefined;
}

/** GetProfiles: the token of the first profile that has one. */
export function firstProfileToken(xml: string): string | undefined {
  const doc = scan(xml);
  if (typeof doc === 'string') return undefined;
  for (const p of findElements(doc, 'Profiles')) {
    const token = attribute(p, 'token');
    if (token !== undefined && token !== '') return token;
  }
  return undefined;
}

/** GetSnapshotUri: the `Uri`, trimmed; undefined when absent. */
export function snapshotUriOf(xml: string): string | undefined {
  const doc = scan(xml);
  if (typeof doc === 'string') return undefined;
  const uri = text(findElement(doc, 'Uri'));
  return uri === '' ? undefined : uri;
}
