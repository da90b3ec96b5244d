/**
 * Start-up and shutdown of the hub: configuration → database → core state →
 * services → HTTP. Everything a test or main.ts needs to run one hub in-process.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Monitor } from './core/monitor.ts';
import { DEFAULT_MONITOR_CONFIG, type MonitorConfig } from './core/model.ts';
import { monthStart } from './core/time-windows.ts';
import { readConfigFiles, type ConfigFiles } from './county/load-config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { syncConfig } from './db/config-sync.ts';
import { loadAgentCameras, loadStructure } from './db/county-store.ts';
import { loadSecretBox, type SecretBox } from './db/secret-box.ts';
import { cameraTransitions, ledgerHeads, loadHistory, TransitionLog } from './db/transition-log.ts';
import { buildApp } from './http/app.ts';
import type { HubDeps } from './http/deps.ts';
import { createLogger, type Logger } from './log.ts';
import { AuthService } from './services/auth.ts';
import { CountyView } from './services/county-view.ts';
import { IngestService } from './services/ingest.ts';
import { hubMetricsSource, type MetricsExtras } from './services/hub-metrics-source.ts';
import { createHubMetrics } from './metrics/hub-metrics.ts';
import type { CountyStructure } from './db/county-store.ts';
import { wireLive, type LiveOptions } from './live-wiring.ts';
import { ticketMetrics, wireTickets, type WireTicketsOptions } from './tickets-wiring.ts';
import type { TicketService } from './services/tickets.ts';
import type { LiveParts } from './live/plugin.ts';

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
  sweepIntervalMs?: number;
  /** camera-level series on /metrics (off by default: 100 k cameras make a slow scrape) */
  cameraSeries?: boolean;
  now?: () => number;
  logger?: Logger;
  /** ticket settings beyond config/notify.yaml (tests) */
  tickets?: Omit<WireTicketsOptions, 'configDir'>;
  /** live snapshot relay settings (frame interval, grace, staleness) */
  live?: LiveOptions;
}

export interface HubCore {
  db: Database;
  monitor: Monitor;
  ingest: IngestService;
  view: CountyView;
  auth: AuthService;
  log: TransitionLog;
  logger: Logger;
  now: () => number;
  structure: CountyStructure;
  /** tickets and live views register their gauges here */
  metricsExtras: MetricsExtras;
}

export interface Hub extends HubCore {
  app: FastifyInstance;
  /** the live snapshot relay (agent channels, viewers) */
  live: LiveParts;
  /** fault tickets: rules, store, notifications */
  tickets: TicketService;
  startedMs: number;
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
  try {
    files = readConfigFiles(opts.configDir);
    box = loadSecretBox(join(opts.dataDir, 'secret.key'));
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
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  try {
    const { changed } = await syncConfig(db, files, box);
    phase('sync');
    const structure = await loadStructure(db);
    phase('structure');
    const monitorConfig = { ...DEFAULT_MONITOR_CONFIG, ...opts.monitor };
    const t = now();
    const monitor = new Monitor(monitorConfig, structure.grids, structure.cameras, t);
    const from = monthStart(t, monitorConfig.tzOffsetMinutes);
    const { initial, history } = await loadHistory(db, from);
    monitor.replay(initial, history, from, t);
    phase('restore');
    const log = new TransitionLog(db);
    const ingest = new IngestService(monitor, log, db, now, await ledgerHeads(db));
    const auth = new AuthService(db, now);
    auth.setAgents(structure.agents);
    const view = new CountyView(structure, monitor, structure.countyName, now);
    const metricsExtras: MetricsExtras = {};
    const core: HubCore = { db, monitor, ingest, view, auth, log, logger, now, structure, metricsExtras };
    const metrics = createHubMetrics(hubMetricsSource(monitor, ingest, structure, metricsExtras, now), {
      driftThresholdMs: monitorConfig.clockDriftThresholdMs,
      cameraSeries: opts.cameraSeries ?? false,
    });

    const deps: HubDeps = {
      auth,
      ingest,
      view,
      transitions: (code, limit, before) => cameraTransitions(db, code, limit, before),
      async assignment(agentId) {
        const cameras = await loadAgentCameras(db, agentId, box);
        const version = createHash('sha256').update(JSON.stringify(cameras)).digest('hex').slice(0, 16);
        return { agent: agentId, version, cameras, lastSeq: ingest.lastSeq(agentId) };
      },
      ready: () => (closing ? { ok: false, reason: 'shutting down' } : { ok: true }),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
    };
    const tickets = await wireTickets(core, deps, { configDir: opts.configDir, ...(opts.tickets ?? {}) });
    Object.assign(metricsExtras, ticketMetrics(tickets));
    const live = wireLive(core, deps, opts.live);
    metricsExtras.viewers = () => live.viewers.count;
    const app = await buildApp(deps, logger);
    phase('http');

    sweeper = setInterval(() => {
      if (monitor.sweep(now()) > 0) {
        log.submit(monitor.drainTransitions(), null).catch((e: Error) => logger.warn({ err: e }, 'stale transitions not yet written; will retry'));
      }
    }, opts.sweepIntervalMs ?? 5000);
    sweeper.unref();

    const startedMs = performance.now() - t0;
    logger.info(
      {
        cameras: structure.cameras.length,
        grids: structure.grids.length,
        db: db.kind,
        configChanged: changed,
        restoredTransitions: history.length,
        ms: Math.round(startedMs),
        phases,
      },
      'hub ready',
    );
    return {
      ...core,
      app,
      live,
      tickets,
      startedMs,
      async close() {
        if (closing) return;
        closing = true;
        clearInterval(sweeper);
        live.close();
        await app.close();
        await tickets.stop();
        const rest = monitor.drainTransitions();
        if (rest.length) await log.submit(rest, null).catch(() => undefined);
        await log.drain();
        await db.close();
      },
    };
  } catch (e) {
    clearInterval(sweeper);
    await db.close().catch(() => undefined);
    throw e;
  }
}
