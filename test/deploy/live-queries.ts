/**
 * Runs every dashboard query against a real Prometheus (Debian's /usr/bin/prometheus),
 * which scrapes the hub exporter over the reference-county fake source and the agent's
 * real metrics registry (edge-agent/metrics.ts), with deploy/prometheus/rules.yml loaded.
 * Fails on any query Prometheus rejects (PromQL errors, many-to-many joins) and on
 * queries that return nothing when they should have data.
 *
 *   npx tsx test/deploy/live-queries.ts          (called by scripts/check-deploy.sh)
 *
 * Loopback only; bounded to ~60 s; the Prometheus child and the HTTP server are closed
 * on every path.
 */
import { freePort } from '../support/wait.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { AgentMetrics } from '../../edge-agent/metrics.ts';
import { createFakeHubSource } from '../../src/metrics/fake-source.ts';
import { createHubMetrics } from '../../src/metrics/hub-metrics.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const DEADLINE = Date.now() + 60_000;

/** the agent's real registry, with one probe and one cycle recorded */
function agentMetrics(): AgentMetrics {
  const m = new AgentMetrics(() => ({ bytes: 1024, batches: 2 }) as never);
  m.camerasAssigned.set(120);
  m.reportsSent.inc();
  m.reportErrors.inc({ kind: 'transient' });
  m.spoolDroppedBatches.inc(0);
  return m;
}

function recordProbe(m: AgentMetrics, n: number): void {
  m.recordProbe({
    camera: 'C1',
    at: Date.now(),
    fault: null,
    clockOffsetMs: 0,
    rungs: [
      { rung: 'tcp', outcome: 'ok', ms: 2 },
      { rung: 'rtsp', outcome: 'ok', ms: 40 + n },
    ],
  });
  m.recordCycle({ durationMs: 12_000, carried: n % 2, skippedBusy: 0 } as never);
}

function substitute(expr: string, town: string): string {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${__range} variable, not a template literal
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('${__range}', '1h').replaceAll('$__range', '1h').replaceAll('$town', town);
}

async function main(): Promise<number> {
  const hub = createHubMetrics(createFakeHubSource({ grids: 42, towns: 3, latenciesPerDrain: 5 }), { driftThresholdMs: 2000 });
  const agent = agentMetrics();
  let tick = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/agent') recordProbe(agent, ++tick);
    const reg = req.url === '/agent' ? agent.registry.metrics() : hub.render();
    reg.then(
      (text) => res.writeHead(200, { 'content-type': hub.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const exporterPort = (server.address() as AddressInfo).port;
  const promPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-prom-'));
  let child: ChildProcess | undefined;
  try {
    const rules = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as { groups: { interval?: string }[] };
    for (const g of rules.groups) g.interval = '1s';
    writeFileSync(join(dir, 'rules.yml'), toYaml(rules));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yml')],
        scrape_configs: [
          { job_name: 'hub', metrics_path: '/hub', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] },
          { job_name: 'edge-agent', metrics_path: '/agent', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] },
        ],
      }),
    );
    child = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 20_000) stderr += d.toString();
    });
    const base = `http://127.0.0.1:${promPort}`;
    // ready, then enough scrapes and rule evaluations for rate() over 1m windows to have 2+ points
    for (;;) {
      if (Date.now() > DEADLINE) throw new Error(`prometheus not ready:\n${stderr.slice(-2000)}`);
      const ok = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Prometheus applies discovered targets after ~5 s; wait for 5 scrapes of every target
    const scrapes = async (): Promise<number> => {
      const r = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: 'min(count_over_time(up[1m]))' }) });
      const b = (await r.json()) as { data?: { result: { value: [number, string] }[] } };
      return Number(b.data?.result[0]?.value[1] ?? 0);
    };
    while ((await scrapes()) < 5) {
      if (Date.now() > DEADLINE) throw new Error('prometheus did not scrape the exporters');
      await new Promise((r) => setTimeout(r, 500));
    }

    const failures: string[] = [];
    const empties: string[] = [];
    let count = 0;
    for (const f of readdirSync(join(ROOT, 'dashboards'))
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as { panels: { title: string; targets?: { refId: string; expr: string }[] }[] };
      for (const p of d.panels) {
        for (const t of p.targets ?? []) {
          if (Date.now() > DEADLINE) throw new Error('deadline');
          count++;
          const q = substitute(t.expr, 'T00');
          const r = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
          const body = (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
          const where = `${f} / ${p.title} / ${t.refId}`;
          if (body.status !== 'success') failures.push(`${where}: ${body.error ?? r.status}\n    ${q}`);
          else if ((body.data?.result.length ?? 0) === 0) empties.push(`${where}\n    ${q}`);
        }
      }
    }
    // template variables: query_result(expr) + regex with named groups, as Grafana applies them
    for (const f of readdirSync(join(ROOT, 'dashboards'))
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as { templating?: { list: { name: string; query?: { query: string }; regex?: string }[] } };
      for (const v of d.templating?.list ?? []) {
        const m = /^query_result\((.*)\)$/s.exec(v.query?.query ?? '');
        if (!m) continue;
        count++;
        const r = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: m[1] as string }) });
        const body = (await r.json()) as { data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        // Grafana's text for one result: name{label="v", …} value timestamp (labels in Prometheus' order)
        const lines = (body.data?.result ?? []).map(({ metric, value }) => {
          const { __name__: name, ...labels } = metric;
          return `${name ?? ''}{${Object.entries(labels)
            .map(([k, x]) => `${k}="${x}"`)
            .join(', ')}} ${value[1]} ${value[0] * 1000}`;
        });
        const src = /^\/(.*)\/([a-z]*)$/s.exec(v.regex ?? '');
        const re = src ? new RegExp(src[1] as string, src[2]) : null;
        const values = re ? lines.map((l) => re.exec(l)?.groups).filter((g) => g?.value && g?.text) : [];
        if (values.length === 0 || values.length !== lines.length || !values.some((g) => g?.value === 'T00')) {
          failures.push(`${f} / $${v.name}: regex ${v.regex} gives ${JSON.stringify(values)} from ${JSON.stringify(lines.slice(0, 2))}`);
        }
      }
    }
    process.stdout.write(`live-queries: ${count} dashboard queries and variables, ${failures.length} rejected, ${empties.length} empty\n`);
    for (const x of failures) process.stdout.write(`REJECTED ${x}\n`);
    for (const x of empties) process.stdout.write(`EMPTY ${x}\n`);
    return failures.length + empties.length === 0 ? 0 : 1;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child?.kill('SIGKILL');
          r(null);
        }, 5_000);
        child?.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    await new Promise<void>((res) => server.close(() => res()));
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((e: unknown) => {
  process.stderr.write(`live-queries: ${e instanceof Error ? e.message : String(e)}\n`);
  return 2;
});
