/**
 * Ticket figures (hub in this process on PGlite, reports over loopback HTTP from a
 * child process, webhook receiver on 127.0.0.1 in this process):
 *  tickets.notify_p99_ms            offline transition committed → the receiver got the
 *                                   'opened' webhook naming the camera
 *  tickets.mass_outage_loop_p99_ms  10 % of 100,000 cameras (whole sites) fail at once:
 *                                   event-loop delay while their tickets are formed
 * BENCH_PROFILE=file.cpuprofile: CPU profile of the mass-outage window.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateDemoCounty } from '../src/county/demo-county.ts';
import { seededRandom } from '../src/core/seeded-random.ts';
import { DEMO_AGENT } from '../src/county/demo-files.ts';
import { startHub, type Hub } from '../src/hub/start-hub.ts';
import { figure, percentile, profileWindow } from './support.ts';
import { quiet, sleep, startPoster, startReceiver, ticketConfig, until } from './tickets-support.ts';

async function listen(hub: Hub): Promise<string> {
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}`;
}

async function allOnline(hub: Hub, codes: string[]): Promise<void> {
  await hub.log.drain();
  await until(() => codes.every((c) => hub.monitor.cameras.get(c)?.state === 'online'), 30_000, 'cameras online');
  await hub.tickets.flush();
}

// ---- tickets.notify_p99_ms ---------------------------------------------------------------
{
  const LONE = 200; // cameras without a site: the transition opens the ticket itself
  const SITED = 100; // one camera from each of 100 sites (≥ 2 cameras): opens when its group flushes
  const GROUP = 10;
  const TICK_MS = 50;
  const county = generateDemoCounty({ cameras: 5000 });
  const lone = county.cameras.slice(0, LONE).map((c) => {
    c.siteId = '';
    return c.code;
  });
  const siteSize = new Map<string, number>();
  for (const c of county.cameras) if (c.siteId) siteSize.set(c.siteId, (siteSize.get(c.siteId) ?? 0) + 1);
  const sited: string[] = [];
  const seen = new Set<string>();
  for (const c of county.cameras.slice(LONE)) {
    if (sited.length === SITED) break;
    if ((siteSize.get(c.siteId) ?? 0) >= 2 && !seen.has(c.siteId)) {
      seen.add(c.siteId);
      sited.push(c.code);
    }
  }
  if (sited.length < SITED) throw new Error('not enough multi-camera sites');
  const rx = await startReceiver();
  const { configDir, dataDir } = ticketConfig(
    county,
    `sla_hours: 24
tickets: { group_wait_s: 0, hold_down_s: 60, reopen_window_h: 1, flap_threshold: 2, tick_ms: ${TICK_MS} }
retry: { base_ms: 100, max_ms: 1000, max_attempts: 5, timeout_ms: 2000 }
webhooks:
  - { name: bench, url: "${rx.url}", format: json, events: [opened] }
`,
  );
  const hub = await startHub({ configDir, dataDir, logger: quiet, sweepIntervalMs: 3_600_000 });
  const committedAt = new Map<string, number>();
  hub.log.onCommitted((trs) => {
    const t = performance.now();
    for (const tr of trs) if (tr.to === 'offline' && !committedAt.has(tr.camera)) committedAt.set(tr.camera, t);
  });
  const poster = await startPoster(await listen(hub), DEMO_AGENT.token);
  const all = county.cameras.map((c) => c.code);
  await poster.run(all, null, 1);
  await allOnline(hub, all);
  await sleep(200);
  const t0 = performance.now();
  for (const set of [lone, sited]) {
    for (let i = 0; i < set.length; i += GROUP) {
      const r = await poster.run(set.slice(i, i + GROUP), 'unreachable', 3, 1); // 3 failing results each: the debounce
      if (r.failed) throw new Error(`reports refused: ${JSON.stringify(r)}`);
      await sleep(100);
    }
  }
  const tracked = [...lone, ...sited];
  await until(() => tracked.every((c) => rx.openedAt.has(c)), 30_000, 'webhooks delivered').catch((e: Error) => process.stderr.write(e.message + '\n'));
  const lat = (codes: string[]) =>
    codes
      .filter((c) => committedAt.has(c) && rx.openedAt.has(c))
      .map((c) => rx.openedAt.get(c)! - committedAt.get(c)!)
      .sort((a, b) => a - b);
  const both = lat(tracked);
  const l = lat(lone);
  const s = lat(sited);
  const r2 = (x: number) => Math.round(x * 10) / 10;
  figure('tickets.notify_p99_ms', percentile(both, 99), 'ms', {
    goal: '< 1000',
    what: 'offline transition committed (hub.log.onCommitted) → loopback webhook receiver got the opened event naming the camera',
    cameras: tracked.length,
    delivered: both.length,
    p50: r2(percentile(both, 50)),
    max: r2(both.at(-1) ?? NaN),
    noSite: { cameras: lone.length, p50: r2(percentile(l, 50)), p99: r2(percentile(l, 99)), note: 'site column empty: ticket opens on the transition' },
    inSite: {
      cameras: sited.length,
      p50: r2(percentile(s, 50)),
      p99: r2(percentile(s, 99)),
      note: `one camera of a multi-camera site: group_wait_s 0, opens on the next tick (tick_ms ${TICK_MS})`,
    },
    notify: 'group_wait_s 0, tick_ms 50, webhook format json, events [opened]',
    load: `groups of ${GROUP} cameras, 3 failing batches each back to back, 100 ms between groups, HTTP from a child process`,
    webhookRequests: rx.requests,
    wallMs: Math.round(performance.now() - t0),
  });
  poster.stop();
  await hub.close();
  await rx.close();
}

// ---- tickets.mass_outage_loop_p99_ms -------------------------------------------------------
{
  const CAMERAS = 100_000;
  const GROUP_WAIT_S = 2;
  const county = generateDemoCounty({ cameras: CAMERAS });
  const rx = await startReceiver();
  const { configDir, dataDir } = ticketConfig(
    county,
    `sla_hours: 24
tickets: { group_wait_s: ${GROUP_WAIT_S}, hold_down_s: 300, reopen_window_h: 24, flap_threshold: 2, tick_ms: 250 }
retry: { base_ms: 200, max_ms: 5000, max_attempts: 8, timeout_ms: 5000 }
webhooks:
  - { name: bench, url: "${rx.url}", format: json }
`,
  );
  const ts = performance.now();
  const hub = await startHub({ configDir, dataDir, logger: quiet, sweepIntervalMs: 3_600_000 });
  const startMs = performance.now() - ts;
  const poster = await startPoster(await listen(hub), DEMO_AGENT.token);
  const all = county.cameras.map((c) => c.code);
  const on = await poster.run(all, null, 1, 4);
  if (on.failed) throw new Error(`online round refused: ${JSON.stringify(on)}`);
  await allOnline(hub, all);

  // 10 % of the cameras, by whole sites (deterministic shuffle of the sites)
  const sites = new Map<string, string[]>();
  for (const c of county.cameras) {
    const list = sites.get(c.siteId);
    if (list) list.push(c.code);
    else sites.set(c.siteId, [c.code]);
  }
  const order = [...sites.keys()];
  const rnd = seededRandom(11);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen: string[] = [];
  const failed: string[] = [];
  for (const s of order) {
    if (failed.length >= CAMERAS / 10) break;
    chosen.push(s);
    failed.push(...sites.get(s)!);
  }
  const multi = chosen.filter((s) => sites.get(s)!.length >= 2);
  const single = chosen.length - multi.length;

  global.gc?.();
  await sleep(300);
  const stopProfile = await profileWindow(); // BENCH_PROFILE=file.cpuprofile
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const loopAll = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  loopAll.enable();
  const t0 = performance.now();
  const down = await poster.run(failed, 'unreachable', 3, 4);
  if (down.failed) throw new Error(`failure rounds refused: ${JSON.stringify(down)}`);
  const postedMs = performance.now() - t0;
  const engine = hub.tickets.engine;
  await until(() => failed.every((c) => engine.activeFor(c) !== undefined), 60_000, 'tickets formed');
  await hub.tickets.flush();
  const formedMs = performance.now() - t0;
  loop.disable();
  await stopProfile();
  const delivered = await until(() => rx.openedAt.size >= failed.length, 60_000, 'opened webhooks delivered').then(
    () => true,
    () => false,
  );
  const deliveredMs = performance.now() - t0;
  loopAll.disable();

  const active = [...engine.active.values()];
  const siteTickets = active.filter((t) => t.kind === 'site');
  const cameraTickets = active.filter((t) => t.kind === 'camera');
  const bySite = new Map(siteTickets.map((t) => [t.siteId, t]));
  const perSiteOk = multi.every((s) => bySite.get(s)?.cameras.length === sites.get(s)!.length) && siteTickets.length === multi.length && cameraTickets.length === single;
  const db = await hub.db.query<{ kind: string; n: number }>(`select kind, count(*)::int as n from tickets group by kind order by kind`);
  const [ob] = await hub.db.query<{ n: number; d: number }>(`select count(*)::int as n, count(delivered_at)::int as d from notify_outbox`);
  figure('tickets.mass_outage_loop_p99_ms', loop.percentile(99) / 1e6, 'ms', {
    goal: '< 50, parent tickets per site',
    max: Math.round(loop.max / 1e6),
    cameras: CAMERAS,
    camerasFailed: failed.length,
    sitesFailed: chosen.length,
    siteTickets: siteTickets.length,
    cameraTickets: cameraTickets.length,
    expected: { siteTickets: multi.length, cameraTickets: single, note: 'demo county sites of 1 camera get camera tickets (site_min_cameras 2)' },
    perSiteOk,
    dbTickets: Object.fromEntries(db.map((r) => [r.kind, r.n])),
    window: 'first failure batch posted → every failed camera in an active ticket and the ticket changes committed',
    windowMs: Math.round(formedMs),
    postMs: Math.round(postedMs),
    notify: `group_wait_s ${GROUP_WAIT_S} (default 30), tick_ms 250, one json webhook`,
    load: '3 failure rounds back to back, 500-item batches, 4 in flight, HTTP from a child process (bench/tickets-load.ts); all cameras online first the same way',
    inclDelivery: {
      p99: Math.round((loopAll.percentile(99) / 1e6) * 10) / 10,
      max: Math.round(loopAll.max / 1e6),
      ms: Math.round(deliveredMs),
      allDelivered: delivered,
      outbox: ob,
    },
    hubStartMs: Math.round(startMs),
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
  });
  poster.stop();
  await hub.close();
  await rx.close();
}
process.exit(0);
