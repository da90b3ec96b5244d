/** Hub settings from the environment and command line (documented in README "Configuration"). */
import { isIP } from 'node:net';
import type { HubOptions } from './start-hub.ts';
import { isLoopbackHost } from '../protocol/loopback.ts';

/** A setting the hub cannot start with: main.ts prints the message and exits 1. */
export class HubSettingError extends Error {}

export interface HubEnv {
  port: number;
  host: string;
  /** TLS_CERT and TLS_KEY (PEM files, both or neither): the hub serves HTTPS */
  tls?: { certFile: string; keyFile: string };
  configDir: string;
  dataDir: string;
  databaseUrl?: string;
  demo: boolean;
  /** --demo-force: the demo on a non-loopback address (its passwords and token are in its files) */
  demoForce: boolean;
  demoCameras: number;
  /** LOGIN_* and *_PER_USER: login limits, open channels per user */
  sessions?: HubOptions['sessions'];
  /** METRICS_TOKEN: /metrics wants it as a bearer token */
  metricsToken?: string;
  /** TRUST_PROXY: reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client */
  trustProxy?: string[];
  /** FUTURE_TOLERANCE_S: results dated further ahead of the hub's clock are refused (default 300 s) */
  monitor?: HubOptions['monitor'];
}

export function readHubEnv(env: NodeJS.ProcessEnv, argv: string[]): HubEnv {
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(flag('port') ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HubSettingError(`PORT must be an integer 0..65535, got ${env.PORT}`);
  const out: HubEnv = {
    port,
    host: flag('host') ?? env.HOST ?? '127.0.0.1',
    configDir: flag('config') ?? env.CONFIG_DIR ?? './config',
    dataDir: flag('data') ?? env.DATA_DIR ?? './data',
    demo: argv.includes('--demo'),
    demoForce: argv.includes('--demo-force'),
    demoCameras: Number(flag('cameras') ?? env.DEMO_CAMERAS ?? 5000),
  };
  if (out.demo && !out.demoForce && !isLoopbackHost(out.host)) {
    throw new HubSettingError(
      `--demo listens on loopback only, not HOST=${out.host}: the demo county's users have published passwords (admin/admin123) ` +
        'and its files hold the agent token. Use HOST=127.0.0.1, or add --demo-force if this address is reachable by you alone',
    );
  }
  const certFile = env.TLS_CERT || undefined;
  const keyFile = env.TLS_KEY || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new HubSettingError('TLS_CERT and TLS_KEY go together: give both PEM files, or neither');
  if (certFile !== undefined && keyFile !== undefined) out.tls = { certFile, keyFile };
  const sessions = readSessionEnv(env);
  if (sessions) out.sessions = sessions;
  const metricsToken = env.METRICS_TOKEN;
  if (metricsToken !== undefined && metricsToken !== '') {
    if (metricsToken.length < 16) throw new HubSettingError('METRICS_TOKEN must be at least 16 characters');
    out.metricsToken = metricsToken;
  }
  const trustProxy = readTrustProxy(env.TRUST_PROXY);
  if (trustProxy) out.trustProxy = trustProxy;
  const tolerance = env.FUTURE_TOLERANCE_S;
  if (tolerance !== undefined && tolerance !== '') {
    const n = Number(tolerance);
    if (!Number.isInteger(n) || n < 0) throw new HubSettingError(`FUTURE_TOLERANCE_S must be a whole number of seconds, got ${tolerance}`);
    out.monitor = { futureToleranceMs: n * 1000 };
  }
  const url = env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new HubSettingError('DATABASE_URL must be a postgres:// URL');
    out.databaseUrl = url;
  }
  return out;
}

/** LOGIN_* (seconds, counts) and *_PER_USER; unset ones keep their defaults (README "Hub process"). */
function readSessionEnv(env: NodeJS.ProcessEnv): HubOptions['sessions'] | null {
  const num = (name: string, scale: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new HubSettingError(`${name} must be a positive integer, got ${v}`);
    return n * scale;
  };
  const pick = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const loginLimits = pick({
    userFailures: num('LOGIN_USER_FAILURES', 1),
    userWindowMs: num('LOGIN_USER_WINDOW_S', 1000),
    userLockMs: num('LOGIN_USER_LOCK_S', 1000),
    addressAttempts: num('LOGIN_ADDRESS_ATTEMPTS', 1),
    addressWindowMs: num('LOGIN_ADDRESS_WINDOW_S', 1000),
    maxLockMs: num('LOGIN_MAX_LOCK_S', 1000),
  });
  const channelCaps = pick({ ticketStreamsPerUser: num('TICKET_STREAMS_PER_USER', 1), liveSocketsPerUser: num('LIVE_SOCKETS_PER_USER', 1) });
  const out: NonNullable<HubOptions['sessions']> = {};
  if (Object.keys(loginLimits).length) out.loginLimits = loginLimits;
  if (Object.keys(channelCaps).length) out.channelCaps = channelCaps;
  return Object.keys(out).length ? out : null;
}

/**
 * TRUST_PROXY=10.0.0.5,10.1.0.0/16: the reverse proxies in front of the hub. Only a request
 * from one of them has its client taken from X-Forwarded-For (login limits per address, log
 * lines); from anyone else the header is ignored, so a client cannot pick its own address.
 */
export function readTrustProxy(value: string | undefined): string[] | null {
  if (value === undefined || value.trim() === '') return null;
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const maxBits = family === 4 ? 32 : 128;
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !okBits || extra !== undefined) {
      throw new HubSettingError(`TRUST_PROXY must list IP addresses or CIDRs (a,b/16), got "${item}"`);
    }
  }
  return items;
}
