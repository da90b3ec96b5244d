/**
 * Agent configuration: defaults < YAML file (--config) < environment < command-line flags.
 *
 *   npm run agent -- --hub http://127.0.0.1:8080 --token XXX --data ./data/agent \
 *                    --cycle 30 --metrics-port 9464 [--config edge-agent.yaml]
 *   env: SHARPEYES_HUB, SHARPEYES_AGENT_TOKEN, SHARPEYES_AGENT_DATA, SHARPEYES_AGENT_CONFIG
 *
 * Cameras come from the hub's assignment, unless the YAML file lists `cameras:` inline or
 * names a `camerasFile:` (or --cameras; re-read when it changes): then the local list decides.
 *
 *   # edge-agent.yaml (every key optional except hub and token, here or in env/flags)
 *   hub: http://127.0.0.1:8080
 *   token: XXX
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
  token: (c, v) => (c.token = str(v, 'token')),
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
      } catch (err) {
        throw new ConfigError(`${file}: ${(err as Error).message}`);
      }
    }
    if (c.camerasFile) c.camerasFile = path.resolve(path.dirname(file), c.camerasFile);
  }
  if (env.SHARPEYES_HUB) c.hubUrl = env.SHARPEYES_HUB;
  if (env.SHARPEYES_AGENT_TOKEN) c.token = env.SHARPEYES_AGENT_TOKEN;
  if (env.SHARPEYES_AGENT_DATA) c.dataDir = env.SHARPEYES_AGENT_DATA;
  const flag = <T>(v: string | undefined, f: (s: string) => T): T | undefined => (v === undefined ? undefined : f(v));
  c.hubUrl = values.hub ?? c.hubUrl;
  c.token = values.token ?? c.token;
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
  if (!c.token) throw new ConfigError('no agent token: give --token, SHARPEYES_AGENT_TOKEN or `token:` in the config file');
  if (!probeTimeoutGiven) c.probeTimeoutMs = Math.min(DEFAULTS.probeTimeoutMs, c.cycleMs! / 2);
  if (c.probeTimeoutMs! >= c.cycleMs!) throw new ConfigError('probe timeout must be shorter than the cycle');
  return c as AgentConfig;
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
