/**
 * The agent's whole-process CPU, as the OS counts it (utime + stime of /proc/<pid>/stat):
 *
 *  agent.cpu_us_per_probe   CPU µs of the agent process (edge-agent/main.ts, its own child
 *                           process: scheduler, ladder, reporter to a real hub, metrics) per
 *                           finished ladder, steady state, 2,000 simulated cameras on a 10 s
 *                           cycle (200 ladders/s)
 *  agent.ladders_per_s      ladders finished per second in the measured window
 *  agent.vs_blackbox_ratio  Debian's prometheus-blackbox-exporter, CPU per camera for
 *                           tcp_connect + ONVIF GetSystemDateAndTime (http, POST) + RTSP OPTIONS
 *                           (tcp query_response), scraped like Prometheus (every camera every
 *                           10 s) over the same simulator, ÷ ours per ladder. Skipped with a
 *                           printed reason when the exporter is not installed.
 *
 * BENCH_AGENT_CPU_PROF=dir: the agent child runs with --cpu-prof into that folder.
 * BENCH_AGENT_WINDOW_S: measured window (default 20 s) after a 10 s warm-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GET_SYSTEM_DATE_AND_TIME } from '../edge-agent/probes/onvif-time.ts';
import { hashCode } from '../edge-agent/scheduler.ts';
import { generateDemoCounty } from '../src/county/demo-county.ts';
import { DEMO_AGENT, writeDemoConfig } from '../src/county/demo-files.ts';
import { startHub } from '../src/hub/start-hub.ts';
import { createLogger } from '../src/log.ts';
import { figure, startBenchSimulator } from './support.ts';

const N = 2000;
const CYCLE_S = 10;
const WARM_S = 10;
const WINDOW_S = Math.min(Number(process.env.BENCH_AGENT_WINDOW_S ?? 20), 120);
const HOST_BASE = '127.53';
const PORTS = { onvif: 10480, rtsp: 10954, control: 18399 };
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const quiet = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** user + system CPU µs of a process (Linux, USER_HZ = 100) */
function cpuUs(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}
/** user and system CPU µs of a process from /proc/<pid>/stat (Linux, USER_HZ = 100) */
function cpuTimes(pid: number): { user: number; system: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(f[11]) * 10_000, system: Number(f[12]) * 10_000 };
}

function lineMatching(child: ChildProcess, test: (l: string) => boolean, what: string, limitMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not ready in ${limitMs} ms`)), limitMs);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (test(l)) {
        clearTimeout(t);
        resolve(l);
      }
    });
    child.once('exit', (c) => reject(new Error(`${what} exited ${c}`)));
  });
}

// ---- simulator (own process, not counted) and a real hub (this process, not counted)
const dir = mkdtempSync(join(tmpdir(), 'se-bench-agentproc-'));
const { child: sim, specs, cams } = await startBenchSimulator(N, HOST_BASE, PORTS, 11);
children.push(sim);

const county = generateDemoCounty({ cameras: N });
county.cameras = county.cameras
  .slice(0, N)
  .map((c, i) => ({ ...c, code: specs[i]!.code, siteId: specs[i]!.siteId ?? c.siteId, username: specs[i]!.username, password: specs[i]!.password }));
const cfg = join(dir, 'config');
writeDemoConfig(cfg, county, (_c, i) => ({
  host: cams[i]!.host,
  onvifPort: PORTS.onvif,
  onvifPath: '/onvif/device_service',
  rtspPort: PORTS.rtsp,
  rtspPath: new URL(cams[i]!.rtspUrl).pathname,
}));
const hub = await startHub({ configDir: cfg, dataDir: join(dir, 'hub'), logger: quiet });
await hub.app.listen({ port: 0, host: '127.0.0.1' });
const hubUrl = `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}`;

// ---- the agent process, exactly as deployed (edge-agent/main.ts), token from the environment
const prof = process.env.BENCH_AGENT_CPU_PROF;
const agent = spawn(
  process.execPath,
  [
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    '--import',
    'tsx',
    'edge-agent/main.ts',
    '--hub',
    hubUrl,
    '--data',
    join(dir, 'agent'),
    '--cycle',
    String(CYCLE_S),
    '--metrics-port',
    '0',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SHARPEYES_AGENT_TOKEN: DEMO_AGENT.token } },
);
children.push(agent);
const started = JSON.parse(await lineMatching(agent, (l) => l.includes('agent started'), 'agent')) as { metricsPort: number; cameras: number };
const metricsUrl = `http://127.0.0.1:${started.metricsPort}/metrics`;

interface AgentCounts {
  results: number;
  fullOk: number;
  overruns: number;
}
/** results (every result has a tcp rung), full ladders (rtsp ok), cycle overruns — from the agent's /metrics */
async function agentCounts(): Promise<AgentCounts> {
  const text = await (await fetch(metricsUrl)).text();
  let results = 0;
  let fullOk = 0;
  let overruns = 0;
  for (const l of text.split('\n')) {
    const v = Number(l.slice(l.lastIndexOf(' ') + 1));
    if (l.startsWith('sharpeyes_agent_probes_total{rung="tcp"')) results += v;
    else if (l.startsWith('sharpeyes_agent_probes_total{rung="rtsp",outcome="ok"}')) fullOk += v;
    else if (l.startsWith('sharpeyes_agent_cycle_overrun_total ')) overruns = v;
  }
  return { results, fullOk, overruns };
}

await sleep(WARM_S * 1000);
const a0 = await agentCounts();
const ak0 = cpuTimes(agent.pid!);
const at0 = performance.now();
await sleep(WINDOW_S * 1000);
const ak1 = cpuTimes(agent.pid!);
const ac0 = ak0.user + ak0.system;
const ac1 = ak1.user + ak1.system;
const at1 = performance.now();
const a1 = await agentCounts();
const ladders = a1.results - a0.results;
const oursUs = (ac1 - ac0) / Math.max(1, ladders);
const laddersPerS = ladders / ((at1 - at0) / 1000);
figure('agent.cpu_us_per_probe', oursUs, 'µs', {
  what: 'agent process CPU (user+sys, /proc) per finished ladder, steady state: scheduler, rungs, reporting to a real hub, metrics',
  userUs: Math.round((ak1.user - ak0.user) / Math.max(1, ladders)),
  systemUs: Math.round((ak1.system - ak0.system) / Math.max(1, ladders)),
  cameras: started.cameras,
  cycleS: CYCLE_S,
  windowS: WINDOW_S,
  ladders,
  fullLaddersOk: a1.fullOk - a0.fullOk,
  cycleOverruns: a1.overruns - a0.overruns,
  laddersPerS: Math.round(laddersPerS),
  goal: '<= 300',
});
figure('agent.ladders_per_s', laddersPerS, '1/s', { target: N / CYCLE_S });
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await hub.close();

// ---- the blackbox exporter over the same cameras, paced like Prometheus
if (!existsSync(BLACKBOX)) {
  process.stdout.write(`agent.vs_blackbox_ratio skipped: ${BLACKBOX} is not installed (apt-get install prometheus-blackbox-exporter)\n`);
} else {
  const bbPort = 19115 + (process.pid % 500);
  const esc = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  writeFileSync(
    join(dir, 'blackbox.yml'),
    [
      'modules:',
      '  tcp_connect:',
      '    prober: tcp',
      '    timeout: 5s',
      '  onvif_time:',
      '    prober: http',
      '    timeout: 5s',
      '    http:',
      '      method: POST',
      '      headers:',
      '        Content-Type: "application/soap+xml; charset=utf-8"',
      `      body: "${esc(GET_SYSTEM_DATE_AND_TIME)}"`,
      '      valid_status_codes: [200]',
      '      fail_if_body_not_matches_regexp: ["GetSystemDateAndTimeResponse"]',
      '  rtsp_options:',
      '    prober: tcp',
      '    timeout: 5s',
      '    tcp:',
      '      query_response:',
      '        - send: "OPTIONS * RTSP/1.0\\r\\nCSeq: 1\\r\\n\\r\\n"',
      '        - expect: "^RTSP/1.0 200"',
      '',
    ].join('\n'),
  );
  const bb = spawn(BLACKBOX, [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${bbPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(bb);
  bb.stderr!.resume();
  const base = `http://127.0.0.1:${bbPort}`;
  for (let i = 0; ; i++) {
    if (i > 100) throw new Error('blackbox exporter did not start');
    if (
      await fetch(`${base}/-/healthy`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const scrape = (path: string) =>
    new Promise<boolean>((resolve) => {
      const req = http.get(`${base}${path}`, { agent: keepAlive, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(/^probe_success 1$/m.test(body)));
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  const targets = cams.flatMap((c) => [
    `/probe?module=tcp_connect&target=${c.host}:${c.onvifPort}`,
    `/probe?module=onvif_time&target=${encodeURIComponent(`http://${c.host}:${c.onvifPort}${c.onvifPath}`)}`,
    `/probe?module=rtsp_options&target=${c.host}:${c.rtspPort}`,
  ]);
  // Prometheus spreads targets over the interval by a hash of the target: so do we
  const plan = targets.map((t) => ({ t, at: (hashCode(t) / 2 ** 32) * CYCLE_S * 1000 })).sort((x, y) => x.at - y.at);
  const measure = { c0: 0, c1: 0, d0: 0, d1: 0 };
  let ok = 0;
  let done = 0;
  let stopAt = Infinity;
  const t0 = performance.now();
  const endAt = t0 + (WARM_S / 2 + WINDOW_S) * 1000 + 100;
  await new Promise<void>((resolve) => {
    let cursor = 0;
    let cycle = 0;
    const pending = new Set<Promise<unknown>>();
    const step = () => {
      const now = performance.now();
      while (now >= t0 + cycle * CYCLE_S * 1000 + plan[cursor]!.at) {
        const p = scrape(plan[cursor]!.t).then((s) => {
          if (performance.now() <= stopAt) {
            done++;
            if (s) ok++;
          }
          pending.delete(p);
        });
        pending.add(p);
        if (++cursor === plan.length) {
          cursor = 0;
          cycle++;
        }
      }
      if (now < endAt) setTimeout(step, 5);
      else void Promise.all(pending).then(() => resolve());
    };
    step();
    // the measured window: after half the agent's warm-up
    setTimeout(
      () => {
        measure.c0 = cpuUs(bb.pid!);
        measure.d0 = done;
        setTimeout(() => {
          measure.c1 = cpuUs(bb.pid!);
          stopAt = performance.now();
          measure.d1 = done;
        }, WINDOW_S * 1000);
      },
      (WARM_S / 2) * 1000,
    );
  });
  const scrapes = measure.d1 - measure.d0;
  const bbPerCamera = (measure.c1 - measure.c0) / Math.max(1, scrapes / 3);
  figure('agent.vs_blackbox_ratio', bbPerCamera / oursUs, 'x', {
    blackboxUsPerCamera: Math.round(bbPerCamera),
    oursUsPerLadder: Math.round(oursUs),
    scrapes,
    scrapesPerS: Math.round(scrapes / WINDOW_S),
    probeSuccessShare: Math.round((ok / Math.max(1, done)) * 1000) / 1000,
    modules: 'tcp_connect + onvif_time (http POST) + rtsp_options (tcp query_response)',
    goal: '>= 8',
  });
  keepAlive.destroy();
  bb.kill('SIGTERM');
}
sim.kill('SIGTERM');
process.exit(0);
