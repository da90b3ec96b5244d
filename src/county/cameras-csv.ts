/** cameras.csv: one camera per row, header names the columns (any order). */
import { ConfigError } from './config-error.ts';
import { parseCsv } from './csv.ts';

export interface CameraConfig {
  code: string;
  name: string;
  gridId: string;
  siteId: string | null;
  latitude: number | null;
  longitude: number | null;
  host: string;
  onvifPort: number;
  onvifPath: string;
  rtspPort: number;
  rtspPath: string;
  /** which HTTP/RTSP auth the agent may answer: digest only (default), or basic too (sends the password in clear) */
  httpAuth: 'digest' | 'basic';
  vendor: string | null;
  username: string;
  password: string;
  agentId: string | null;
}

export const CAMERA_COLUMNS = [
  'code',
  'name',
  'grid',
  'site',
  'lat',
  'lon',
  'host',
  'onvif_port',
  'onvif_path',
  'rtsp_port',
  'rtsp_path',
  'http_auth',
  'vendor',
  'username',
  'password',
  'agent',
] as const;
const REQUIRED = ['code', 'name', 'grid', 'host', 'username', 'password'];

export function readCamerasCsv(file: string, text: string, known: { gridIds: Set<string>; agentIds: Set<string> }): { cameras: CameraConfig[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (e) {
    return { cameras: [], errors: [new ConfigError(file, null, null, (e as Error).message)] };
  }
  const header = records.shift();
  if (!header) return { cameras: [], errors: [new ConfigError(file, 1, null, 'empty file: expected a header row')] };
  const col = new Map(header.fields.map((h, i) => [h.trim().toLowerCase(), i]));
  for (const r of REQUIRED) if (!col.has(r)) errors.push(new ConfigError(file, header.line, r, 'missing column'));
  for (const h of col.keys())
    if (!(CAMERA_COLUMNS as readonly string[]).includes(h)) errors.push(new ConfigError(file, header.line, h, `unknown column (known: ${CAMERA_COLUMNS.join(', ')})`));
  if (errors.length) return { cameras: [], errors };

  const cameras: CameraConfig[] = [];
  const codes = new Set<string>();
  for (const rec of records) {
    const get = (name: string): string => (col.has(name) ? (rec.fields[col.get(name)!] ?? '').trim() : '');
    const fail = (field: string, problem: string) => errors.push(new ConfigError(file, rec.line, field, problem));
    if (rec.fields.length !== header.fields.length) fail('*', `expected ${header.fields.length} fields, found ${rec.fields.length}`);
    for (const r of REQUIRED) if (get(r) === '') fail(r, 'is required');
    const code = get('code');
    if (code && !/^[A-Za-z0-9_.-]{1,64}$/.test(code)) fail('code', `"${code}" may only hold letters, digits, _ . -`);
    if (codes.has(code)) fail('code', `duplicate camera code "${code}"`);
    codes.add(code);
    const grid = get('grid');
    if (grid && !known.gridIds.has(grid)) fail('grid', `unknown grid "${grid}"`);
    const agent = get('agent');
    if (agent && !known.agentIds.has(agent)) fail('agent', `unknown agent "${agent}"`);
    const num = (name: string, min: number, max: number, integer: boolean): number | null => {
      const s = get(name);
      if (s === '') return null;
      const n = Number(s);
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        fail(name, `"${s}" must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
        return null;
      }
      return n;
    };
    const lat = num('lat', -90, 90, false);
    const lon = num('lon', -180, 180, false);
    const host = get('host');
    if (host && !/^[A-Za-z0-9.:_-]+$/.test(host)) fail('host', `"${host.replace(/^.*@/, '***@')}" is not a host name or address (credentials go in username/password)`);
    const path = (name: string, dflt: string): string => {
      const s = get(name) || dflt;
      if (!s.startsWith('/') || /[\s@]/.test(s)) fail(name, `"${s}" must be a path starting with / (no spaces, no user:pass@)`);
      return s;
    };
    const httpAuth = (get('http_auth') || 'digest').toLowerCase();
    if (httpAuth !== 'digest' && httpAuth !== 'basic') fail('http_auth', `"${get('http_auth')}" must be digest or basic`);
    cameras.push({
      code,
      name: get('name'),
      gridId: grid,
      siteId: get('site') || null,
      latitude: lat,
      longitude: lon,
      host,
      onvifPort: num('onvif_port', 1, 65535, true) ?? 80,
      onvifPath: path('onvif_path', '/onvif/device_service'),
      rtspPort: num('rtsp_port', 1, 65535, true) ?? 554,
      rtspPath: path('rtsp_path', '/'),
      httpAuth: httpAuth === 'basic' ? 'basic' : 'digest',
      vendor: get('vendor') || null,
      username: get('username'),
      password: rec.fields[col.get('password')!] ?? '',
      agentId: agent || null,
    });
  }
  return { cameras, errors };
}
