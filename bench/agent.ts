import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../edge-agent/agent.ts';
import { DEFAULTS } from '../edge-agent/config.ts';
import { probeCamera } from '../edge-agent/ladder.ts';
import { baselineProbe } from './agent-baseline.ts';
import { createLogger } from '../src/log.ts';
import { makeCameraSpecs } from '../src/simulator/index.ts';
import { startHub } from '../src/hub/start-hub.ts';
import { figure, startBenchSimulator } from './support.ts';

const quiet = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);

function childrenCpuUs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) * 10_000;
}

async function bounded<T>(items: T[], concurrency: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

// ---- CPU per ladder and the baseline
const sim = await startBenchSimulator(500, '127.50', { onvif: 10180, rtsp: 10654, control: 18099 }, 7);
const rounds = [...sim.cams, ...sim.cams, ...sim.cams, ...sim.cams, ...sim.cams, ...sim.cams];
await bounded(sim.cams.slice(0, 100), 20, (c) => probeCamera(c)); // warm-up
let failed = 0;
const c0 = process.cpuUsage();
const t0 = performance.now();
await bounded(rounds, 20, async (c) => {
  const r = await probeCamera(c);
  if (r.fault !== null) failed++;
});
const cpu = process.cpuUsage(c0);
const oursUs = (cpu.user + cpu.system) / rounds.length;
// the rungs alone, in this process; the agent process's own figure is bench/agent-process.ts
figure('agent.rungs_cpu_us_per_ladder', oursUs, 'µs', {
  ladders: rounds.length,
  failed,
  wallMs: Math.round(performance.now() - t0),
  note: 'no goal of its own: the goal (<= 300) is agent.cpu_us_per_probe, the whole agent process (bench/agent-process.ts)',
  rungs: 'tcp+onvif_time+onvif_auth+rtsp',
});

const baseCams = sim.cams.slice(0, 20);
const bc0 = process.cpuUsage();
const bch0 = childrenCpuUs();
let streamOk = 0;
await bounded(baseCams, 4, async (c) => {
  const r = await baselineProbe(c, { onvifTimeoutMs: 5000, ffmpegTimeoutMs: 5000 });
  if (r.streamOk) streamOk++;
});
const bc = process.cpuUsage(bc0);
const baselineUs = (bc.user + bc.system + (childrenCpuUs() - bch0)) / baseCams.length;
figure('agent.baseline_ratio', baselineUs / oursUs, 'x', {
  baselineUsPerCamera: Math.round(baselineUs),
  oursUsPerCamera: Math.round(oursUs),
  cameras: baseCams.length,
  ffmpegStreamOk: streamOk,
  goal: '>= 20',
  note: 'the simulator sends no RTP: ffmpeg stops after SETUP, so the baseline is understated',
});
sim.child.kill('SIGTERM');

// ---- detection: hub + simulator + agent with a 5 s cycle
{
  const det = await startBenchSimulator(50, '127.51', { onvif: 10280, rtsp: 10754, control: 18199 }, 7);
  const dir = mkdtempSync(join(tmpdir(), 'se-bench-det-'));
  const cfg = join(dir, 'config');
  const { generateDemoCounty } = await import('../src/county/demo-county.ts');
  const { writeDemoConfig, DEMO_AGENT } = await import('../src/county/demo-files.ts');
  const county = generateDemoCounty({ cameras: 1730 });
  // the first 50 demo cameras are the simulated ones (same codes and credentials)
  const specs = makeCameraSpecs(50, { seed: 7 });
  county.cameras = county.cameras
    .slice(0, 50)
    .map((c, i) => ({ ...c, code: specs[i]!.code, siteId: specs[i]!.siteId ?? c.siteId, username: specs[i]!.username, password: specs[i]!.password }));
  writeDemoConfig(cfg, county, (_c, i) => ({
    host: det.cams[i]!.host,
    onvifPort: 10280,
    onvifPath: '/onvif/device_service',
    rtspPort: 10754,
    rtspPath: new URL(det.cams[i]!.rtspUrl).pathname,
  }));
  const hub = await startHub({ configDir: cfg, dataDir: join(dir, 'data'), logger: quiet });
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}`;
  const cycleMs = 5000;
  const timeoutMs = 2000;
  const agent = new Agent(
    { ...DEFAULTS, hubUrl: url, token: DEMO_AGENT.token, dataDir: join(dir, 'agent'), metricsPort: null, cycleMs, probeTimeoutMs: timeoutMs },
    { probe: probeCamera, log: quiet },
  );
  await agent.start();
  const target = det.cams[7]!.code;
  const waitFor = async (cond: () => boolean, limitMs: number) => {
    const t = performance.now();
    while (!cond()) {
      if (performance.now() - t > limitMs) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor(() => hub.monitor.cameras.get(target)?.state === 'online', 30_000);
  await new Promise((r) => setTimeout(r, Math.random() * cycleMs));
  const cam = hub.monitor.cameras.get(target)!;
  const tFault = performance.now();
  await fetch(`${det.control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ camera: target, fault: 'power' }) });
  await waitFor(() => cam.failStreak >= 1, 4 * cycleMs);
  const evidenceMs = performance.now() - tFault;
  await waitFor(() => cam.state === 'offline', 6 * cycleMs);
  const offlineMs = performance.now() - tFault;
  figure('agent.detect_ms', evidenceMs, 'ms', {
    what: 'fault on → first failing result applied at the hub',
    cycleMs,
    probeTimeoutMs: timeoutMs,
    goal: `<= cycle + timeout = ${cycleMs + timeoutMs}`,
  });
  figure('agent.offline_ms', offlineMs, 'ms', { what: 'fault on → offline transition at the hub (debounce: 3 consecutive failures)', cycleMs });
  await agent.stop();
  await hub.close();
  det.child.kill('SIGTERM');
}

process.exit(0);
