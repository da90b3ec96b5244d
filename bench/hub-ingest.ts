/**
 * hub.ingest_items_per_s, hub.event_loop_p99_ms, hub.rss_mb_100k, hub.ready_ms and
 * hub.rate_recompute_ms on one database (argv[2]: pglite | postgres). The hub runs
 * in this process; the load comes from bench/load-reports.ts in another.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { rollUp, recountGrids } from '../src/core/rates.ts';
import { startHub, type HubOptions } from '../src/hub/start-hub.ts';
import { localDay } from '../src/core/time-windows.ts';
import { createLogger } from '../src/log.ts';
import { DayCloser } from '../src/services/day-close.ts';
import { PeriodView } from '../src/services/period-view.ts';
import { Scope } from '../src/services/scope.ts';
import { benchCounty, figure, percentile, profileWindow } from './support.ts';

// first start (its own process, so this process's memory is that of a restarted hub):
// creates the database and syncs 100 k cameras
// --start-once: one restart in a fresh process, printing its start-to-ready time
if (process.argv[3] === '--prepare' || process.argv[3] === '--start-once') {
  const h = await startHub({ ...(JSON.parse(process.argv[4]!) as HubOptions), logger: createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream) });
  process.stdout.write(`${h.startedMs}\n`);
  await h.close();
  process.exit(0);
}
const kind = (process.argv[2] ?? 'pglite') as 'pglite' | 'postgres';
const CAMERAS = 100_000;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 2000); // 1 M items
// requests in flight: like 16 agents replaying their spools at once after an outage
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const logger = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);

let databaseUrl: string | undefined;
if (kind === 'postgres') {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query('drop database if exists se_bench with (force)');
  await c.query('create database se_bench');
  await c.end();
  const u = new URL(base);
  u.pathname = '/se_bench';
  databaseUrl = u.toString();
}
const { configDir, agentToken } = benchCounty(CAMERAS);
const dataDir = mkdtempSync(join(tmpdir(), 'se-bench-data-'));
const opts: HubOptions = { configDir, dataDir, logger, ...(databaseUrl ? { databaseUrl } : {}) };

// the first start and two restarts each in a child process; the third restart is the hub
// measured below, the only one this process ever starts (its RSS is one hub's)
const readyRuns: number[] = [];
{
  const { spawnSync } = await import('node:child_process');
  const { logger: _l, ...plain } = opts;
  for (const mode of ['--prepare', '--start-once', '--start-once']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/hub-ingest.ts', kind, mode, JSON.stringify(plain)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${mode} failed`);
    if (mode === '--start-once') readyRuns.push(Number(r.stdout.trim()));
  }
}
const hub = await startHub(opts);
readyRuns.push(hub.startedMs);
figure('hub.ready_ms', Math.min(...readyRuns), 'ms', { db: kind, cameras: CAMERAS, goal: '< 1000', runs: readyRuns.map(Math.round) });
await hub.app.listen({ port: 0, host: '127.0.0.1' });
const port = (hub.app.server.address() as { port: number }).port;

const stopProfile = await profileWindow(); // BENCH_PROFILE=file.cpuprofile
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const out = await new Promise<string>((resolve, reject) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/load-reports.ts', `http://127.0.0.1:${port}`, agentToken, String(CAMERAS), String(BATCHES), String(CONCURRENCY), '60'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let s = '';
  child.stdout.on('data', (d) => (s += d));
  child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`load generator exited ${code}`))));
});
const wall = (performance.now() - t0) / 1000;
await stopProfile();
loop.disable();
const cpu = process.cpuUsage(cpu0);
const load = JSON.parse(out.trim()) as { okBatches: number; failedBatches: number; items: number; seconds: number };
figure('hub.ingest_items_per_s', load.items / load.seconds, 'items/s', {
  db: kind,
  batch: 500,
  batches: load.okBatches,
  failed: load.failedBatches,
  inFlight: CONCURRENCY,
  goal: '>= 250000',
  hubCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
});
figure('hub.event_loop_p99_ms', loop.percentile(99) / 1e6, 'ms', { db: kind, during: 'ingest', max: Math.round(loop.max / 1e6), goal: '< 20' });
if (global.gc) global.gc();
figure('hub.rss_mb_100k', process.memoryUsage().rss / 1048576, 'MB', { db: kind, cameras: CAMERAS, heapMb: Math.round(process.memoryUsage().heapUsed / 1048576), goal: '< 300' });

if (kind === 'pglite') {
  const nGrids = hub.monitor.gridOrder.length;
  const cameras = [...hub.monitor.cameras.values()];
  const recount: number[] = [];
  const rollups: number[] = [];
  for (let i = 0; i < 50; i++) {
    let t = performance.now();
    recountGrids(cameras, nGrids);
    recount.push(performance.now() - t);
    t = performance.now();
    rollUp(hub.monitor.grids.values(), (g) => g.townId, Date.now());
    rollups.push(performance.now() - t);
  }
  recount.sort((a, b) => a - b);
  rollups.sort((a, b) => a - b);
  figure('hub.rate_recompute_ms', percentile(recount, 50), 'ms', {
    cameras: hub.monitor.cameras.size,
    grids: nGrids,
    p95: +percentile(recount, 95).toFixed(3),
    goal: '< 2',
    what: 'full recount of every grid from 100k camera states (median of 50)',
  });
  figure('hub.rate_rollup_ms', percentile(rollups, 50), 'ms', { grids: nGrids, what: 'town roll-up of 1,730 grid tallies incl. time-weighted windows (median of 50)' });
}
// ledger.close_day_ms: close today for every camera (as the closer would tomorrow at 01:00,
// clock moved on), event loop watched; then ledger.month_query_ms: the month's town figures
// from the stored day plus the open days
{
  const tz = hub.monitor.config.tzOffsetMinutes;
  const dayStartMs = hub.monitor.windows.openFrom;
  const fakeNow = dayStartMs + 86_400_000 + 3_600_000;
  const closer = new DayCloser(
    { db: hub.db, monitor: hub.monitor, now: () => fakeNow, logger, settle: (at) => hub.monitor.sweep(at, 'measured') },
    { graceMs: 3_600_000, startedAt: 0 },
  );
  const closeLoop = monitorEventLoopDelay({ resolution: 1 });
  closeLoop.enable();
  const t1 = performance.now();
  const closed = await closer.closeDue();
  const closeMs = performance.now() - t1;
  closeLoop.disable();
  figure('ledger.close_day_ms', closeMs, 'ms', {
    db: kind,
    cameras: closed[0]?.cameras ?? 0,
    eventLoopMaxMs: Math.round(closeLoop.max / 1e6),
    goal: '< 2000, event loop max < 50',
    what: 'one day closed: per-camera accounts from the timelines, camera_days + grid_days rows written',
  });
  const periods = new PeriodView({ db: hub.db, monitor: hub.monitor, now: () => fakeNow, countyName: 'bench', towns: hub.view.towns, communities: hub.view.communities });
  const admin = new Scope({ username: 'bench', displayName: 'bench', role: 'admin', towns: [], grids: [] });
  const month = localDay(dayStartMs, tz).slice(0, 7);
  const runs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await periods.figures(admin, month);
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  figure('ledger.month_query_ms', percentile(runs, 50), 'ms', {
    db: kind,
    cameras: CAMERAS,
    month,
    p95: +percentile(runs, 95).toFixed(1),
    goal: '< 50',
    what: 'county, kinds, towns and communities of a month (closed day from storage + open day), median of 20',
  });
}
await hub.close();
process.exit(0);
