/**
 * Agent configuration: defaults < YAML file (--config) < environment < command-line flags.
 *
 *   SHARPEYES_AGENT_TOKEN_FILE=/etc/sharpeyes/agent-token \
 *   npm run agent -- --hub https://hub.example:8443 --hub-ca hub-ca.pem --data ./data/agent \
 *                    --cycle 30 --metrics-port 9464 [--config edge-agent.yaml]
 *   env: SHARPEYES_HUB, SHARPEYES_AGENT_TOKEN, SHARPEYES_AGENT_TOKEN_FILE, SHARPEYES_AGENT_DATA,
 *        SHARPEYES_AGENT_CONFIG, SHARPEYES_HUB_CA, SHARPEYES_HUB_FINGERPRINT, SHARPEYES_INSECURE_HTTP=1
 *
 * The token never needs the command line (where `ps` shows it): SHARPEYES_AGENT_TOKEN, or a
 * file (--token-file, SHARPEYES_AGENT_TOKEN_FILE, `tokenFile:`) that only its owner may read
 * or write (mode 0600 or 0400: anything for group or others is refused). `--token` is taken
 * only for a loopback hub (the demo); `token:` in the YAML file only for a loopback hub or
 * from a YAML file with no group/other permissions.
 * Transport (./hub-tls.ts): a plain http:// hub off loopback is refused unless --insecure-http;
 * --hub-ca <pem> and --hub-fingerprint sha256:<hex> pin the hub's CA and/or certificate.
 *
 * Cameras come from the hub's assignment, unless the YAML file lists `cameras:` inline or
 * names a `camerasFile:` (or --cameras; re-read when it changes): then the local list decides.
 *
 *   # edge-agent.yaml (every key optional except hub and token, here or in env/flags)
 *   hub: https://hub.example:8443
 *   tokenFile: /etc/sharpeyes/agent-token   # mode 0600; or token: XXX (this file then 0600 too)
 *   hubCa: hub-ca.pem                       # optional, relative to this file
 *   hubFingerprint: sha256:…                # optional; a list during a certificate rotation
 *   insecureHttp: false                     # true: accept a plain http:// hub off loopback
 *   dataDir: ./data/agent
 *   cycleSeconds: 30
 *   probeTimeoutMs: 10000        # default min(10 s, cycle / 2)
 *   maxConcurrent: 256
 *   authBackoffSeconds: 600      # after a refused login, no login for this long (ladder and snapshots alike)
 *   frameEvery: 0                # frame rung every N cycles, 0 = off
 *   assignmentPollSeconds: 30
 *   spoolMaxBytes: 268435456
 *   metricsPort: 9464            # null = off; always bound to 127.0.0.1
 *   cameras:                     # optional local list; ports/paths default to 80, 554, /onvif/device_service
 *     - { code: "37092300001320000001", host: 10.1.2.3, username: admin, password: "..." }
 *       # httpAuth: basic           # answer a Basic-only challenge (default digest: Basic refused)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { isLoopbackHost } from '../src/protocol/loopback.ts';
import { checkHubTransport, type HubTlsConfig, HubTransportError, parseFingerprints, readCaFile } from './hub-tls.ts';

export interface AgentConfig {
  hubUrl: string;
  token: string;
  dataDir: string;
  cycleMs: number;
  probeTimeoutMs: number;
  maxConcurrent: number;
  authBackoffMs: number;
  /** frame rung every N cycles; 0 = off */
  frameEvery: number;
  assignmentPollMs: number;
  reportFlushMs: number;
  reportMaxItems: number;
  spoolMaxBytes: number;
  hubTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** null = no metrics endpoint; 0 = any free port */
  metricsPort: number | null;
  /** how long a clean shutdown waits for running probes and for the hub to take the rest */
  shutdownGraceMs: number;
  /** local camera list (instead of the hub's assignment) */
  cameras: AgentCamera[] | null;
  camerasFile: string | null;
  /** a plain http:// hub off loopback was accepted on purpose (--insecure-http) */
  insecureHttp?: boolean;
  /** what the agent trusts of an https:// hub (--hub-ca, --hub-fingerprint): ./hub-tls.ts */
  hubTls?: HubTlsConfig;
}

export const DEFAULTS: Omit<AgentConfig, 'hubUrl' | 'token'> = {
  dataDir: './data/agent',
  cycleMs: 30_000,
  probeTimeoutMs: 10_000,
  maxConcurrent: 256,
  authBackoffMs: 600_000,
  frameEvery: 0,
  assignmentPollMs: 30_000,
  reportFlushMs: 1000,
  reportMaxItems: 500,
  spoolMaxBytes: 256 * 1024 * 1024,
  hubTimeoutMs: 10_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  metricsPort: 9464,
  shutdownGraceMs: 3000,
  cameras: null,
  camerasFile: null,
};

export class ConfigError extends Error {}

/** YAML keys (seconds where the name says so) → config fields. */
const FILE_KEYS: Record<string, (c: Partial<AgentConfig>, v: unknown) => void> = {
  hub: (c, v) => (c.hubUrl = str(v, 'hub')),
  // token and tokenFile: resolved in loadConfig (where they came from decides what is allowed)
  token: () => undefined,
  tokenFile: () => undefined,
  insecureHttp: (c, v) => (c.insecureHttp = bool(v, 'insecureHttp')),
  hubCa: () => undefined,
  hubFingerprint: () => undefined,
  dataDir: (c, v) => (c.dataDir = str(v, 'dataDir')),
  cycleSeconds: (c, v) => (c.cycleMs = num(v, 'cycleSeconds', 0.01) * 1000),
  probeTimeoutMs: (c, v) => (c.probeTimeoutMs = num(v, 'probeTimeoutMs', 1)),
  maxConcurrent: (c, v) => (c.maxConcurrent = int(v, 'maxConcurrent', 1)),
  authBackoffSeconds: (c, v) => (c.authBackoffMs = num(v, 'authBackoffSeconds', 0) * 1000),
  frameEvery: (c, v) => (c.frameEvery = int(v, 'frameEvery', 0)),
  assignmentPollSeconds: (c, v) => (c.assignmentPollMs = num(v, 'assignmentPollSeconds', 0.01) * 1000),
  reportFlushMs: (c, v) => (c.reportFlushMs = num(v, 'reportFlushMs', 1)),
  reportMaxItems: (c, v) => (c.reportMaxItems = int(v, 'reportMaxItems', 1)),
  spoolMaxBytes: (c, v) => (c.spoolMaxBytes = int(v, 'spoolMaxBytes', 4096)),
  hubTimeoutMs: (c, v) => (c.hubTimeoutMs = num(v, 'hubTimeoutMs', 1)),
  retryBaseMs: (c, v) => (c.retryBaseMs = num(v, 'retryBaseMs', 1)),
  retryMaxMs: (c, v) => (c.retryMaxMs = num(v, 'retryMaxMs', 1)),
  metricsPort: (c, v) => (c.metricsPort = v === null || v === false ? null : int(v, 'metricsPort', 0)),
  shutdownGraceMs: (c, v) => (c.shutdownGraceMs = num(v, 'shutdownGraceMs', 0)),
  cameras: (c, v) => (c.cameras = parseCameraList(v, 'cameras')),
  camerasFile: (c, v) => (c.camerasFile = str(v, 'camerasFile')),
};

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      hub: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      'insecure-http': { type: 'boolean' },
      'hub-ca': { type: 'string' },
      'hub-fingerprint': { type: 'string' },
      data: { type: 'string' },
      cycle: { type: 'string' },
      'metrics-port': { type: 'string' },
      concurrency: { type: 'string' },
      'probe-timeout-ms': { type: 'string' },
      'frame-every': { type: 'string' },
      'auth-backoff': { type: 'string' },
      'assignment-poll': { type: 'string' },
      'spool-max-bytes': { type: 'string' },
      cameras: { type: 'string' },
    },
  });
  const c: Partial<AgentConfig> = { ...DEFAULTS };
  const file = values.config ?? env.SHARPEYES_AGENT_CONFIG;
  const fileKeys = new Set<string>();
  /** where the token comes from, the last layer that gave one winning */
  let tokenFrom: TokenSource | null = null;
  let caFile: string | undefined;
  let fingerprints: string | undefined;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${file}: ${(err as Error).message}`);
    }
    if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new ConfigError(`${file}: expected a mapping`);
    for (const [k, v] of Object.entries((doc ?? {}) as Record<string, unknown>)) {
      const set = FILE_KEYS[k];
      if (!set) throw new ConfigError(`${file}: unknown key "${k}" (known: ${Object.keys(FILE_KEYS).join(', ')})`);
      fileKeys.add(k);
      try {
        set(c, v);
        if (k === 'token') tokenFrom = { kind: 'yaml', token: str(v, 'token'), file };
        if (k === 'tokenFile') tokenFrom = { kind: 'file', file: path.resolve(path.dirname(file), str(v, 'tokenFile')) };
        if (k === 'hubCa') caFile = path.resolve(path.dirname(file), str(v, 'hubCa'));
        if (k === 'hubFingerprint') fingerprints = Array.isArray(v) ? v.map((x) => str(x, 'hubFingerprint')).join(',') : str(v, 'hubFingerprint');
      } catch (err) {
        throw new ConfigError(`${file}: ${(err as Error).message}`);
      }
    }
    if (c.camerasFile) c.camerasFile = path.resolve(path.dirname(file), c.camerasFile);
  }
  if (env.SHARPEYES_HUB) c.hubUrl = env.SHARPEYES_HUB;
  if (env.SHARPEYES_AGENT_TOKEN && env.SHARPEYES_AGENT_TOKEN_FILE) throw new ConfigError('give SHARPEYES_AGENT_TOKEN or SHARPEYES_AGENT_TOKEN_FILE, not both');
  if (env.SHARPEYES_AGENT_TOKEN) tokenFrom = { kind: 'env', token: env.SHARPEYES_AGENT_TOKEN };
  if (env.SHARPEYES_AGENT_TOKEN_FILE) tokenFrom = { kind: 'file', file: path.resolve(env.SHARPEYES_AGENT_TOKEN_FILE) };
  if (env.SHARPEYES_AGENT_DATA) c.dataDir = env.SHARPEYES_AGENT_DATA;
  if (env.SHARPEYES_HUB_CA) caFile = path.resolve(env.SHARPEYES_HUB_CA);
  if (env.SHARPEYES_HUB_FINGERPRINT) fingerprints = env.SHARPEYES_HUB_FINGERPRINT;
  if (env.SHARPEYES_INSECURE_HTTP) c.insecureHttp = bool(env.SHARPEYES_INSECURE_HTTP, 'SHARPEYES_INSECURE_HTTP');
  const flag = <T>(v: string | undefined, f: (s: string) => T): T | undefined => (v === undefined ? undefined : f(v));
  c.hubUrl = values.hub ?? c.hubUrl;
  if (values.token !== undefined && values['token-file'] !== undefined) throw new ConfigError('give --token or --token-file, not both');
  if (values.token !== undefined) tokenFrom = { kind: 'flag', token: values.token };
  if (values['token-file'] !== undefined) tokenFrom = { kind: 'file', file: path.resolve(values['token-file']) };
  if (values['hub-ca'] !== undefined) caFile = path.resolve(values['hub-ca']);
  if (values['hub-fingerprint'] !== undefined) fingerprints = values['hub-fingerprint'];
  if (values['insecure-http']) c.insecureHttp = true;
  c.dataDir = values.data ?? c.dataDir;
  c.cycleMs = flag(values.cycle, (s) => num(s, '--cycle', 0.01) * 1000) ?? c.cycleMs;
  c.metricsPort = flag(values['metrics-port'], (s) => (s === 'off' ? null : int(s, '--metrics-port', 0))) ?? c.metricsPort;
  c.maxConcurrent = flag(values.concurrency, (s) => int(s, '--concurrency', 1)) ?? c.maxConcurrent;
  c.probeTimeoutMs = flag(values['probe-timeout-ms'], (s) => num(s, '--probe-timeout-ms', 1)) ?? c.probeTimeoutMs;
  c.frameEvery = flag(values['frame-every'], (s) => int(s, '--frame-every', 0)) ?? c.frameEvery;
  c.authBackoffMs = flag(values['auth-backoff'], (s) => num(s, '--auth-backoff', 0) * 1000) ?? c.authBackoffMs;
  c.assignmentPollMs = flag(values['assignment-poll'], (s) => num(s, '--assignment-poll', 0.01) * 1000) ?? c.assignmentPollMs;
  c.spoolMaxBytes = flag(values['spool-max-bytes'], (s) => int(s, '--spool-max-bytes', 4096)) ?? c.spoolMaxBytes;
  if (values.cameras) c.camerasFile = path.resolve(values.cameras);
  const probeTimeoutGiven = values['probe-timeout-ms'] !== undefined || fileKeys.has('probeTimeoutMs');

  if (!c.hubUrl) throw new ConfigError('no hub: give --hub, SHARPEYES_HUB or `hub:` in the config file');
  if (!/^https?:\/\//.test(c.hubUrl)) throw new ConfigError(`hub must be an http(s) URL, got "${c.hubUrl}"`);
  try {
    const tlsConfig: HubTlsConfig = {};
    if (caFile !== undefined) {
      tlsConfig.ca = readCaFile(caFile);
      tlsConfig.caFile = caFile;
    }
    if (fingerprints !== undefined) tlsConfig.fingerprints = parseFingerprints(fingerprints);
    if (tlsConfig.ca !== undefined || tlsConfig.fingerprints?.length) c.hubTls = tlsConfig;
    checkHubTransport(c.hubUrl, { insecureHttp: c.insecureHttp ?? false, ...(c.hubTls ? { tls: c.hubTls } : {}) });
  } catch (err) {
    if (err instanceof HubTransportError) throw new ConfigError(err.message);
    throw err;
  }
  if (!tokenFrom) throw new ConfigError('no agent token: give SHARPEYES_AGENT_TOKEN, --token-file (SHARPEYES_AGENT_TOKEN_FILE) or `token:`/`tokenFile:` in the config file');
  c.token = resolveToken(tokenFrom, c.hubUrl);
  if (!probeTimeoutGiven) c.probeTimeoutMs = Math.min(DEFAULTS.probeTimeoutMs, c.cycleMs! / 2);
  if (c.probeTimeoutMs! >= c.cycleMs!) throw new ConfigError('probe timeout must be shorter than the cycle');
  return c as AgentConfig;
}

type TokenSource = { kind: 'flag' | 'env'; token: string } | { kind: 'yaml'; token: string; file: string } | { kind: 'file'; file: string };

/** The token from where it was given, with the rules for each place (the top of this file). */
function resolveToken(src: TokenSource, hubUrl: string): string {
  const loopback = isLoopbackHost(new URL(hubUrl).hostname);
  switch (src.kind) {
    case 'env':
      return src.token;
    case 'flag':
      if (!loopback) {
        throw new ConfigError(
          '--token puts the agent token on the command line, where `ps` shows it to every user of this machine: ' +
            'it is taken only for a loopback hub (the demo). Give SHARPEYES_AGENT_TOKEN or --token-file <file> (mode 0600) instead',
        );
      }
      return src.token;
    case 'yaml':
      if (!loopback) {
        const open = openPermissions(src.file);
        if (open !== null) throw new ConfigError(`${src.file} holds the agent token but is open to group/others (mode ${open}): chmod 600 ${src.file}, or use tokenFile:`);
      }
      return src.token;
    case 'file': {
      let st: fs.Stats;
      try {
        st = fs.statSync(src.file);
      } catch (err) {
        throw new ConfigError(`token file ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (!st.isFile()) throw new ConfigError(`token file ${src.file}: not a regular file`);
      const open = openPermissions(src.file, st);
      if (open !== null) throw new ConfigError(`token file ${src.file} is open to group/others (mode ${open}): chmod 600 ${src.file}`);
      let token: string;
      try {
        token = fs.readFileSync(src.file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`token file ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (token === '' || /\s/.test(token)) throw new ConfigError(`token file ${src.file}: expected the token alone on one line`);
      return token;
    }
  }
}

/** The file's mode (e.g. "0644") when group or others have any permission on it, else null (also on Windows: no such bits). */
function openPermissions(file: string, st: fs.Stats = fs.statSync(file)): string | null {
  if (process.platform === 'win32') return null;
  return (st.mode & 0o077) === 0 ? null : `0${(st.mode & 0o777).toString(8)}`;
}

/** A YAML camera list (or `{cameras: [...]}`) → AgentCamera[], with per-entry errors. */
export function parseCameraList(doc: unknown, where: string): AgentCamera[] {
  const list = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { cameras?: unknown }).cameras : doc;
  if (!Array.isArray(list)) throw new ConfigError(`${where}: expected a list of cameras`);
  const seen = new Set<string>();
  return list.map((raw: unknown, i) => {
    const at = `${where}[${i}]`;
    if (raw === null || typeof raw !== 'object') throw new ConfigError(`${at}: expected a mapping`);
    const r = raw as Record<string, unknown>;
    const code = str(r.code, `${at}.code`);
    if (seen.has(code)) throw new ConfigError(`${at}: duplicate camera code ${code}`);
    seen.add(code);
    const host = str(r.host, `${at}.host`);
    const rtspPort = r.rtspPort === undefined ? 554 : int(r.rtspPort, `${at}.rtspPort`, 1);
    if (typeof r.rtspUrl === 'string' && /^[a-z]+:\/\/[^/]*@/i.test(r.rtspUrl)) {
      throw new ConfigError(`${at}.rtspUrl: must not carry user:pass@ (use username/password)`);
    }
    if (r.httpAuth !== undefined && r.httpAuth !== 'digest' && r.httpAuth !== 'basic') throw new ConfigError(`${at}.httpAuth: expected digest or basic`);
    return {
      ...(r.httpAuth === 'basic' ? { httpAuth: 'basic' as const } : {}),
      code,
      host,
      onvifPort: r.onvifPort === undefined ? 80 : int(r.onvifPort, `${at}.onvifPort`, 1),
      onvifPath: r.onvifPath === undefined ? '/onvif/device_service' : str(r.onvifPath, `${at}.onvifPath`),
      rtspPort,
      rtspUrl: r.rtspUrl === undefined ? `rtsp://${host}:${rtspPort}/` : str(r.rtspUrl, `${at}.rtspUrl`),
      username: r.username === undefined ? '' : String(r.username),
      password: r.password === undefined ? '' : String(r.password),
      siteId: r.siteId === undefined || r.siteId === null ? null : String(r.siteId),
    };
  });
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${what}: expected a non-empty string`);
  return v;
}
function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false' || v === '') return false;
  throw new ConfigError(`${what}: expected true or false, got ${String(v)}`);
}
function num(v: unknown, what: string, min: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) throw new ConfigError(`${what}: expected a number ≥ ${min}, got ${String(v)}`);
  return n;
}
function int(v: unknown, what: string, min: number): number {
  const n = num(v, what, min);
  if (!Number.isInteger(n)) throw new ConfigError(`${what}: expected an integer, got ${String(v)}`);
  return n;
}
