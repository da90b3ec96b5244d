/**
 * Regex readers for the few ONVIF answers the ladder needs. No XML library on the hot
 * path; any namespace prefix is accepted (SOAP-ENV:, env:, s:, tt:, tds:, none).
 */

const P = '(?:[\\w.-]+:)?'; // optional namespace prefix

function element(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${P}${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${P}${tag}\\s*>`).exec(xml);
  return m?.[1];
}

function intIn(block: string, tag: string): number | undefined {
  const m = new RegExp(`<${P}${tag}(?:\\s[^>]*)?>\\s*(-?\\d+)\\s*<`).exec(block);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Camera UTC time (epoch ms) from a GetSystemDateAndTime response, or null. */
export function parseSystemDateAndTime(xml: string): number | null {
  const utc = element(xml, 'UTCDateTime');
  if (utc === undefined) return null;
  const y = intIn(utc, 'Year');
  const mo = intIn(utc, 'Month');
  const d = intIn(utc, 'Day');
  const h = intIn(utc, 'Hour');
  const mi = intIn(utc, 'Minute');
  const s = intIn(utc, 'Second');
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined) return null;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

const xmlDecode = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Fields of a GetDeviceInformationResponse, kept as exact strings ("2.40" stays "2.40"); null if absent. */
export function parseDeviceInformation(xml: string): DeviceInformation | null {
  const body = element(xml, 'GetDeviceInformationResponse');
  if (body === undefined) return null;
  const f = (tag: string): string => xmlDecode((element(body, tag) ?? '').trim());
  return {
    manufacturer: f('Manufacturer'),
    model: f('Model'),
    firmwareVersion: f('FirmwareVersion'),
    serialNumber: f('SerialNumber'),
    hardwareId: f('HardwareId'),
  };
}

/** Code and subcodes of a SOAP 1.2 fault (e.g. ['env:Sender', 'ter:NotAuthorized']), or null. */
export function soapFaultCodes(xml: string): string[] | null {
  const fault = element(xml, 'Fault');
  if (fault === undefined) return null;
  const codes: string[] = [];
  const re = new RegExp(`<${P}Value(?:\\s[^>]*)?>\\s*([^<\\s]+)\\s*</${P}Value>`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(fault)) !== null) if (m[1] !== undefined) codes.push(m[1]);
  // SOAP 1.1 style <faultcode>
  const fc = element(fault, 'faultcode');
  if (fc !== undefined) codes.push(fc.trim());
  return codes;
}

/** The most specific fault code (last subcode), for a rung's detail. */
export function faultDetail(xml: string): string | undefined {
  const codes = soapFaultCodes(xml);
  return codes && codes.length > 0 ? codes[codes.length - 1] : undefined;
}

/**
 * Did the camera refuse our credentials? HTTP 401, or HTTP 400/500 (any 4xx/5xx in
 * practice) carrying a SOAP fault whose code is `ter:NotAuthorized` / `NotAuthorized`.
 */
export function isAuthFailure(status: number, xml: string): boolean {
  if (status === 401) return true;
  if (status < 400) return false;
  const codes = soapFaultCodes(xml);
  // Stryker disable next-line ArrayDeclaration: any non-NotAuthorized filler gives the same false for a missing fault
  return (codes ?? []).some((c) => /(?:^|:)NotAuthorized$/i.test(c));
}
