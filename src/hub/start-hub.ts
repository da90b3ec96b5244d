/**
 * The composition root: the one place a hub is built. Configuration → database → core state
 * (monitor restored from the transition log) → the shared seams (transition sink, evidence
 * intake) → the features (each from a factory with narrow dependencies) → HTTP. `close()`
 * stops every part once, in the order that loses nothing: timers, live channels, HTTP,
 * ticket writes, notifications, transitions, the database. No other file imports this one
 * except the entry points (main.ts, tests, benches).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_MONITOR_CONFIG, type CameraMeta, type MonitorConfig } from '../core/model.ts';
import type { Monitor } from '../core/monitor.ts';
import { restoreMonitor } from '../core/monitor-restore.ts';
import { dayStart, localDay, monthStart, nextDayStart } from '../core/time-windows.ts';
import { type ConfigFiles, readConfigFiles } from '../county/load-config.ts';
import { type Database, databaseAnswers, openDatabase } from '../db/client.ts';
import { syncConfig } from '../db/config-sync.ts';
import { type CountyStructure, loadStructure } from '../db/county-store.ts';
import { closedDays, firstTransitionAt, gridDays, lastClosedDay, retiredCameras } from '../db/day-store.ts';
import { cameraTransitions, ledgerHeads, loadHistory, loadStreaks, TransitionLog } from '../db/transition-log.ts';
import { buildApp } from '../http/app.ts';
import type { LiveParts } from '../live/plugin.ts';
import { createLogger, type Logger } from '../log.ts';
import { loadNotifyConfig, type NotifyConfig } from '../notify/config.ts';
import type { OutboxWorker } from '../notify/outbox-worker.ts';
import { loadSecretBox, type SecretBox } from '../secrets/secret-box.ts';
import { AuthService, passwordHashes, revokeChangedPasswords } from '../services/auth.ts';
import type { ChannelCaps } from '../services/auth-channels.ts';
import type { LoginLimits } from '../http/routes/auth-limits.ts';
import { CountyView } from '../services/county-view.ts';
import { DayCloser } from '../services/day-close.ts';
import { PeriodView } from '../services/period-view.ts';
import { EvidenceIntake } from '../services/evidence-intake.ts';
import type { IngestService } from '../services/ingest.ts';
import type { MaintenanceService } from '../services/maintenance.ts';
import type { TicketService } from '../services/tickets.ts';
import { TransitionSink } from '../services/transition-sink.ts';
import type { HubFeature } from './feature.ts';
import { countyApiFeature } from './features/county-api.ts';
import { dayCloseFeature } from './features/day-close.ts';
import { ingestFeature } from './features/ingest.ts';
import { type LiveOptions, liveFeature } from './features/live.ts';
import { maintenanceFeature } from './features/maintenance.ts';
import { metricsFeature } from './features/metrics.ts';
import { notifyFeature } from './features/notify.ts';
import { stalenessFeature } from './features/staleness.ts';
import { ticketsFeature } from './features/tickets.ts';
import { webFeature } from './features/web.ts';

export interface HubOptions {
  configDir: string;
  dataDir: string;
  /** postgres://… switches from embedded PGlite to a PostgreSQL server */
  databaseUrl?: string;
  /** tests: start PGlite from a migrated template instead of an empty folder */
  pgliteTemplate?: Blob;
  /** tests: in-memory PGlite (no data folder) */
  inMemory?: boolean;
  monitor?: Partial<MonitorConfig>;
  /** staleness sweep period, default 5 s */
  sweepIntervalMs?: number;
  /** closing local days: grace after a day's end (default 1 h), how often to look (default 60 s) */
  dayClose?: { graceMs?: number; tickMs?: number };
  /** camera-level series on /metrics (off by default: 100 k cameras make a slow scrape) */
  cameraSeries?: boolean;
  now?: () => number;
  logger?: Logger;
  /** ticket settings beyond config/notify.yaml (tests) */
  tickets?: { adjust?: (c: NotifyConfig) => void };
  /** live snapshot relay settings (frame interval, grace, staleness) */
  live?: LiveOptions;
  /** sessions and abuse: login limits (and their clock, tests), open channels per user */
  sessions?: { loginLimits?: Partial<LoginLimits>; channelCaps?: Partial<ChannelCaps>; limitsClock?: () => number };
  /** when set, GET /metrics wants `Authorization: Bearer <metricsToken>` */
  metricsToken?: string;
  /** reverse proxies whose X-Forwarded-For names the client (TRUST_PROXY) */
  trustProxy?: string[];
  /** serve HTTPS with this certificate (chain) and key, PEM files (TLS_CERT, TLS_KEY) */
  tls?: { certFile: string; keyFile: string };
}

export interface Hub {
  app: FastifyInstance;
  db: Database;
  monitor: Monitor;
  /** the one way evidence enters the monitor */
  intake: EvidenceIntake;
  ingest: IngestService;
  view: CountyView;
  auth: AuthService;
  log: TransitionLog;
  logger: Logger;
  now: () => number;
  structure: CountyStructure;
  /** the live snapshot relay (agent channels, viewers) */
  live: LiveParts;
  /** fault tickets: rules, store, lifecycle */
  tickets: TicketService;
  /** webhook deliveries */
  outbox: OutboxWorker;
  /** maintenance windows (报备) */
  maintenance: MaintenanceService;
  /** closing local days (日结) */
  days: DayCloser;
  startedMs: number;
  /** the certificate served when the hub speaks HTTPS (PEM), else null */
  tls: { certPem: string } | null;
  /** stop timers, finish writes, close HTTP and the database */
  close(): Promise<void>;
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const t0 = performance.now();
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? createLogger('hub');
  const phases: Record<string, number> = {};
  let tp = performance.now();
  const phase = (name: string) => {
    const t = performance.now();
    phases[name] = Math.round(t - tp);
    tp = t;
  };
  // the database boots (PGlite: in its worker thread) while this thread reads the configuration
  const opening = openDatabase(
    opts.databaseUrl
      ? { kind: 'postgres', url: opts.databaseUrl }
      : { kind: 'pglite', dataDir: opts.inMemory ? null : join(opts.dataDir, 'pglite'), ...(opts.pgliteTemplate ? { loadDataDir: opts.pgliteTemplate } : {}) },
  );
  let files: ConfigFiles;
  let box: SecretBox;
  let notifyConfig: NotifyConfig;
  let tls: HubTls | null = null;
  try {
    if (opts.tls) tls = readTls(opts.tls, logger);
    files = readConfigFiles(opts.configDir);
    box = loadSecretBox(join(opts.dataDir, 'secret.key'));
    notifyConfig = loadNotifyConfig(opts.configDir);
    opts.tickets?.adjust?.(notifyConfig);
  } catch (e) {
    await opening.then(
      (d) => d.close(),
      () => undefined,
    );
    throw e;
  }
  phase('config');
  const db = await opening;
  phase('database');
  const started: HubFeature[] = [];
  let closing = false;
  try {
    const hashesBefore = await passwordHashes(db);
    const { changed } = await syncConfig(db, files, box);
    phase('sync');
    const structure = await loadStructure(db);
    phase('structure');

    // core state: the monitor, restored from the transition log over the open period (the days not closed yet)
    const monitorConfig = { ...DEFAULT_MONITOR_CONFIG, ...opts.monitor };
    const tz = monitorConfig.tzOffsetMinutes;
    const t = now();
    const from = await openPeriodStart(db, t, tz);
    const gridIds = new Set(structure.grids.map((g) => g.id));
    const retired = (await retiredCameras(db)).filter((c) => gridIds.has(c.gridId)); // a retired camera's grid may be gone too
    const replayFrom = from - monitorConfig.futureToleranceMs; // a transition dated in the open period is decided at most F before it
    const { initial, history } = await loadHistory(db, replayFrom);
    const stored = { openFrom: from, replayFrom, initial, history, streaks: await loadStreaks(db) };
    const monitor = restoreMonitor(monitorConfig, structure.grids, structure.cameras, retired, stored, t);
    await loadClosedDays(db, monitor, t);
    phase('restore');

    // the shared seams
    const log = new TransitionLog(db);
    const sink = new TransitionSink(monitor, log, logger);
    sink.hand('start'); // retirements, returns and staleness decided while starting
    const intake = new EvidenceIntake(monitor);
    const auth = new AuthService(db, now, opts.sessions?.channelCaps ? { channelCaps: opts.sessions.channelCaps } : {});
    auth.setAgents(structure.agents);
    // a password changed in users.yaml ends that user's sessions
    if (changed) await revokeChangedPasswords(db, auth, hashesBefore);
    const view = new CountyView(structure, monitor, structure.countyName, now);
    const cameras: CameraMeta[] = [...view.cameraInfo.values()].map((c) => ({
      code: c.code,
      gridId: c.gridId,
      townId: monitor.grids.get(c.gridId)?.grid.townId ?? '',
      siteId: c.siteId || null,
    }));

    // the features
    const notify = notifyFeature({ db, config: notifyConfig, now, logger });
    const maintenance = maintenanceFeature({ db, monitor, sink, auth, view, cameras, now, tickMs: notifyConfig.tickMs });
    const tickets = await ticketsFeature({
      db,
      monitor,
      auth,
      view,
      cameras,
      calendar: maintenance.service.calendar,
      outbox: notify.outbox,
      log,
      intake,
      config: notifyConfig,
      logger,
      now,
    });
    maintenance.service.onChange(async () => {
      tickets.service.tick();
      await tickets.service.flush();
    });
    const ingest = ingestFeature({ db, box, intake, sink, auth, now, heads: await ledgerHeads(db) });
    const live = liveFeature({ auth, view, logger }, opts.live);
    const staleness = stalenessFeature({ monitor, sink, now, intervalMs: opts.sweepIntervalMs ?? 5000 });
    const settle = (at: number) => {
      monitor.sweep(at, 'measured');
      sink.hand('day-close');
    };
    const days = new DayCloser({ db, monitor, now, logger, settle }, { graceMs: opts.dayClose?.graceMs ?? 3_600_000, startedAt: t });
    const dayClose = dayCloseFeature({ closer: days, logger, tickMs: opts.dayClose?.tickMs ?? 60_000 });
    const api = countyApiFeature(
      {
        auth,
        view,
        periods: new PeriodView({ db, monitor, now, countyName: structure.countyName, towns: view.towns, communities: view.communities }),
        transitions: (code, limit, before) => cameraTransitions(db, code, limit, before),
        ready: async () => {
          if (closing) return { ok: false, reason: 'shutting down' };
          return (await databaseAnswers(db)) ? { ok: true } : { ok: false, reason: 'database unreachable' };
        },
      },
      {
        ...(opts.sessions?.loginLimits ? { loginLimits: opts.sessions.loginLimits } : {}),
        ...(opts.sessions?.limitsClock ? { now: opts.sessions.limitsClock } : {}),
      },
    );
    const metrics = metricsFeature({
      monitor,
      ingest: ingest.service,
      intake,
      structure,
      extras: [tickets.metrics ?? {}, live.metrics ?? {}],
      now,
      cameraSeries: opts.cameraSeries ?? false,
      ...(opts.metricsToken ? { token: opts.metricsToken } : {}),
    });

    // start in dependency order: windows before the ticket rules reconcile, deliveries, the sweep
    for (const f of [maintenance, tickets, notify, staleness, dayClose]) {
      await f.start?.();
      started.push(f);
    }
    const routed: HubFeature[] = [api, ingest, tickets, maintenance, live, web(), metrics];
    const app = await buildApp(
      logger,
      routed.flatMap((f) => (f.routes ? [f.routes] : [])),
      { ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}), ...(opts.trustProxy ? { trustProxy: opts.trustProxy } : {}) },
    );
    phase('http');

    const startedMs = performance.now() - t0;
    logger.info(
      {
        cameras: structure.cameras.length,
        grids: structure.grids.length,
        db: db.kind,
        https: tls !== null,
        configChanged: changed,
        restoredTransitions: history.length,
        ms: Math.round(startedMs),
        phases,
      },
      'hub ready',
    );
    return {
      app,
      db,
      monitor,
      intake,
      ingest: ingest.service,
      view,
      auth,
      log,
      logger,
      now,
      structure,
      live: live.parts,
      tickets: tickets.service,
      outbox: notify.outbox,
      maintenance: maintenance.service,
      days,
      startedMs,
      tls: tls ? { certPem: tls.cert.toString('utf8') } : null,
      async close() {
        if (closing) return;
        closing = true;
        await staleness.stop?.();
        await dayClose.stop?.();
        await maintenance.stop?.();
        await live.stop?.(); // open WebSockets first, or the HTTP server waits for them
        auth.channels.stop();
        await app.close();
        await tickets.stop?.();
        await notify.stop?.();
        await sink.close();
        await db.close();
      },
    };
  } catch (e) {
    for (const f of started.reverse()) await f.stop?.().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
}

const web = webFeature;

/** The open period starts after the newest closed day (a hub that never closed one: its first transition's day), at most 40 days back. */
async function openPeriodStart(db: Database, t: number, tz: number): Promise<number> {
  const last = await lastClosedDay(db);
  const first = last ? nextDayStart(last.dayStart, tz) : dayStart(Math.min((await firstTransitionAt(db)) ?? t, t), tz);
  return Math.max(first, dayStart(t - 40 * 86_400_000, tz));
}

/** The closed days of this month and the last, per grid, for the live month figures. */
async function loadClosedDays(db: Database, monitor: Monitor, t: number): Promise<void> {
  const tz = monitor.config.tzOffsetMinutes;
  const fromDay = localDay(monthStart(monthStart(t, tz) - 1, tz), tz);
  const days = await closedDays(db, fromDay);
  if (days.length === 0) return;
  const index = new Map(monitor.gridOrder.map((g, i) => [g, i]));
  const rows = await gridDays(db, fromDay, days[days.length - 1]!.day);
  const byDay = new Map(days.map((d) => [d.day, { start: d.dayStart, grids: new Float64Array(monitor.gridOrder.length * 4) }]));
  for (const r of rows) {
    const i = index.get(r.gridId);
    const d = byDay.get(r.day);
    if (i === undefined || !d) continue;
    d.grids.set([r.onlineMs, r.offlineMs, r.unknownMs, r.maintenanceMs], i * 4);
  }
  for (const d of byDay.values()) monitor.windows.addClosedDay(d.start, d.grids);
}

interface HubTls {
  cert: Buffer;
  key: Buffer;
}

/** TLS_CERT / TLS_KEY: read, parsed, and checked to belong together, so a bad pair stops the start with its reason. */
function readTls(files: { certFile: string; keyFile: string }, logger: Logger): HubTls {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const cert = read('TLS_CERT', files.certFile);
  const key = read('TLS_KEY', files.keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`TLS_CERT ${files.certFile}: not a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`TLS_KEY ${files.keyFile}: not a PEM private key (an encrypted key is not supported)`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`TLS_KEY ${files.keyFile} is not the key of TLS_CERT ${files.certFile}`);
  if (process.platform !== 'win32' && (statSync(files.keyFile).mode & 0o077) !== 0) {
    logger.warn({ file: files.keyFile }, 'TLS_KEY is readable by group/others: chmod 600 it');
  }
  logger.info({ subject: x509.subject, validTo: x509.validTo, fingerprint: `sha256:${x509.fingerprint256.replace(/:/g, '').toLowerCase()}` }, 'serving HTTPS');
  return { cert, key };
}
