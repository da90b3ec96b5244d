/**
 * CI check: the real demo hub (`src/main.ts --demo`: simulator + agent + hub, a small
 * county) scraped by a real Prometheus (Debian's /usr/bin/prometheus) with our rules;
 * the county online rate is read back through Prometheus's HTTP query API and must
 * match what the hub itself reports.
 *
 *   npx tsx test/deploy/prometheus-demo-hub.ts      (called by scripts/check-deploy.sh)
 *
 * Loopback only; bounded to ~150 s; every child is stopped on every path.
 */
import { freePort } from '../support/wait.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const DEADLINE = Date.now() + 150_000;
const say = (s: string) => process.stdout.write(s + '\n');

async function waitFor<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > DEADLINE) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-prom-demo-'));
  const hubPort = await freePort();
  const promPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    const hub = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--demo', '--cameras', '1730', '--port', String(hubPort), '--data', join(dir, 'hub')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    children.push(hub);
    const rules = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as { groups: { interval?: string }[] };
    for (const g of rules.groups) g.interval = '2s';
    writeFileSync(join(dir, 'rules.yml'), toYaml(rules));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml({
        global: { scrape_interval: '2s', evaluation_interval: '2s' },
        rule_files: [join(dir, 'rules.yml')],
        scrape_configs: [{ job_name: 'hub', static_configs: [{ targets: [`127.0.0.1:${hubPort}`] }] }],
      }),
    );
    const prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: 'ignore',
    });
    children.push(prom);
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const promUrl = `http://127.0.0.1:${promPort}`;
    await waitFor('the demo hub', async () => ((await fetch(`${hubUrl}/readyz`)).ok ? true : null));
    say(`demo hub ready on ${hubUrl}; waiting for the agent's first reports`);
    const query = async (q: string): Promise<number | null> => {
      const r = await fetch(`${promUrl}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
      const b = (await r.json()) as { data?: { result: { value: [number, string] }[] } };
      const v = b.data?.result[0]?.value[1];
      return v === undefined ? null : Number(v);
    };
    // the county rate exists once cameras have evidence; wait until coverage is complete
    await waitFor('full coverage in Prometheus', async () => (((await query('sharpeyes_county_coverage_ratio')) ?? 0) > 0.99 ? true : null));
    const fromProm = await waitFor('sharpeyes_county_online_ratio in Prometheus', () => query('sharpeyes_county_online_ratio'));
    const hubText = await (await fetch(`${hubUrl}/metrics`)).text();
    const fromHub = Number(/^sharpeyes_county_online_ratio (\S+)$/m.exec(hubText)?.[1]);
    const recorded = await waitFor('a recording rule over the county rate', () => query('{__name__=~"county:.*online.*"}'));
    say(`county online rate: Prometheus ${fromProm.toFixed(4)}, hub ${fromHub.toFixed(4)}, recorded ${recorded.toFixed(4)}`);
    if (!(fromProm > 0.85 && fromProm < 0.99)) throw new Error(`county online rate ${fromProm} is not near the demo's ~93 %`);
    if (Math.abs(fromProm - fromHub) > 0.03) throw new Error(`Prometheus (${fromProm}) and the hub (${fromHub}) disagree`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`prometheus-demo-hub: ${e.message}\n`);
    process.exit(1);
  },
);
