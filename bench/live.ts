/**
 * Live snapshot relay figures. The hub runs in this process; 1,000 viewer WebSockets and a fake
 * edge agent run in bench/live-load.ts (a child process: their CPU is not the hub's). Loopback only.
 *  live.kb_per_viewer         hub heap + external memory per connected, subscribed, idle viewer
 *  live.fanout_cpu_pct_1k     hub CPU (% of one core) while 1,000 viewers get 1 frame/s of 50 KB
 *  live.frame_latency_p99_ms  capture stamp at the agent → a viewer's 'message' (same clock)
 * Env: LIVE_VIEWERS (1000), LIVE_CAMERAS (1: every viewer on the same camera), LIVE_FRAME_KB (50),
 *      LIVE_WINDOW_S (15).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { DEMO_USERS } from '../src/county/demo-files.ts';
import { startHub } from '../src/hub/start-hub.ts';
import { createLogger } from '../src/log.ts';
import { benchCounty, figure, percentile, profileWindow } from './support.ts';

const VIEWERS = Number(process.env.LIVE_VIEWERS ?? 1000);
const N_CAMERAS = Number(process.env.LIVE_CAMERAS ?? 1);
const FRAME_BYTES = Number(process.env.LIVE_FRAME_KB ?? 50) * 1024;
const WINDOW_S = Number(process.env.LIVE_WINDOW_S ?? 15);
const WARMUP_S = 3;
const INTERVAL_MS = 1000;
// the whole run is bounded, whatever hangs
setTimeout(() => {
  process.stderr.write('bench/live.ts: over 170 s, giving up\n');
  process.exit(2);
}, 170_000).unref();

const quiet = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);
const { configDir, agentToken } = benchCounty(20);
const dataDir = mkdtempSync(join(tmpdir(), 'se-bench-live-'));
// every viewer shares one session: lift the per-user cap on live sockets
const hub = await startHub({ configDir, dataDir, inMemory: true, logger: quiet, live: { intervalMs: INTERVAL_MS }, sessions: { channelCaps: { liveSocketsPerUser: VIEWERS } } });
await hub.app.listen({ port: 0, host: '127.0.0.1' });
const port = (hub.app.server.address() as { port: number }).port;
const admin = DEMO_USERS.find((u) => u.role === 'admin')!;
const login = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: admin.username, password: admin.password } });
if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`);
const token = (login.json() as { token: string }).token;
const cameras = [...hub.view.cameraInfo.keys()].slice(0, N_CAMERAS);
const relay = hub.live.relay;
// time of the hub's synchronous fan-out of one frame (encode + one ws.send per viewer), wrapped here, not in src
const fanoutMs: number[] = [];
const onFrame = relay.onFrame.bind(relay);
relay.onFrame = (agentId, header, jpeg) => {
  const t = performance.now();
  const ok = onFrame(agentId, header, jpeg);
  fanoutMs.push(performance.now() - t);
  return ok;
};

// ---- the load process, driven line by line
const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'bench/live-load.ts', `ws://127.0.0.1:${port}`, token, agentToken, String(VIEWERS), cameras.join(','), String(FRAME_BYTES)],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const events: Record<string, unknown>[] = [];
const waiters: { ev: string; resolve: (e: Record<string, unknown>) => void }[] = [];
createInterface({ input: child.stdout! }).on('line', (l) => {
  const e = JSON.parse(l) as Record<string, unknown>;
  const w = waiters.findIndex((x) => x.ev === e.ev);
  if (w >= 0) waiters.splice(w, 1)[0]!.resolve(e);
  else events.push(e);
});
child.once('exit', (code) => {
  if (code !== 0) {
    process.stderr.write(`bench/live-load.ts exited ${code}\n`);
    process.exit(1);
  }
});
function waitEv(ev: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const i = events.findIndex((e) => e.ev === ev);
  if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]!);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${ev}" from the load process in ${timeoutMs} ms`)), timeoutMs);
    waiters.push({
      ev,
      resolve: (e) => {
        clearTimeout(t);
        resolve(e);
      },
    });
  });
}
const command = (c: string) => child.stdin!.write(c + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settledMemory() {
  for (let i = 0; i < 4; i++) global.gc?.();
  return process.memoryUsage();
}

// ---- memory per idle viewer: connected, authenticated, subscribed, no frames yet (agent not connected)
await sleep(500);
const m0 = settledMemory();
const conn = await waitEv('viewers');
if (hub.live.viewers.count !== VIEWERS) throw new Error(`hub has ${hub.live.viewers.count} viewers, expected ${VIEWERS}`);
await sleep(1000);
const m1 = settledMemory();
const heapExt = m1.heapUsed + m1.external - (m0.heapUsed + m0.external);
figure('live.kb_per_viewer', heapExt / VIEWERS / 1024, 'KB', {
  measured: 'hub heapUsed+external after global.gc(), before vs after connecting (incl. arrayBuffers; kernel socket buffers not included)',
  viewers: VIEWERS,
  cameras: N_CAMERAS,
  heapKbPerViewer: +((m1.heapUsed - m0.heapUsed) / VIEWERS / 1024).toFixed(2),
  externalKbPerViewer: +((m1.external - m0.external) / VIEWERS / 1024).toFixed(2),
  rssKbPerViewer: +((m1.rss - m0.rss) / VIEWERS / 1024).toFixed(2),
  connectMs: conn.ms,
  goal: '< 32',
});

// ---- fan-out: the agent connects, the hub starts the stream(s), frames flow at 1/s
command('agent');
await waitEv('agent');
const t0 = Date.now();
while (!cameras.every((c) => relay.streamState(c)?.state === 'live')) {
  if (Date.now() - t0 > 10_000) throw new Error(`streams not live: ${JSON.stringify(cameras.map((c) => relay.streamState(c)))}`);
  await sleep(50);
}
await sleep(WARMUP_S * 1000);
command('mark');
await waitEv('marked');
const stopProfile = await profileWindow(); // BENCH_PROFILE=file.cpuprofile
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const c0 = relay.counters.framesOut;
fanoutMs.length = 0;
const s0 = relay.counters.framesSkipped;
const cpu0 = process.cpuUsage();
const w0 = performance.now();
await sleep(WINDOW_S * 1000);
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - w0) / 1000;
loop.disable();
await stopProfile();
command('end');
await waitEv('ended');
const framesOut = relay.counters.framesOut - c0;
const fan = [...fanoutMs].sort((a, b) => a - b);
const skipped = relay.counters.framesSkipped - s0;
await sleep(1500); // frames of the window still on their way
command('report');
const r = await waitEv('report');
const cpuPct = ((cpu.user + cpu.system) / 1e6 / wallS) * 100;
figure('live.fanout_cpu_pct_1k', cpuPct, '% of one core', {
  viewers: VIEWERS,
  cameras: N_CAMERAS,
  frameKb: FRAME_BYTES / 1024,
  intervalMs: INTERVAL_MS,
  windowS: +wallS.toFixed(2),
  userPct: +((cpu.user / 1e6 / wallS) * 100).toFixed(2),
  systemPct: +((cpu.system / 1e6 / wallS) * 100).toFixed(2),
  usPerFrameSend: framesOut ? Math.round((cpu.user + cpu.system) / framesOut) : null,
  framesUpstream: r.framesSent,
  framesExpected: r.expected,
  framesDelivered: r.delivered,
  hubFramesOut: framesOut,
  hubFramesSkipped: skipped,
  hubLoopP99Ms: +(loop.percentile(99) / 1e6).toFixed(2),
  hubLoopMaxMs: +(loop.max / 1e6).toFixed(2),
  viewersOpen: r.open,
  goal: '< 10',
});
figure('live.frame_latency_p99_ms', r.p99 as number, 'ms', {
  p50: r.p50,
  max: r.max,
  samples: r.delivered,
  what: "Date.now() at a viewer's message event − capturedAt stamped by the agent just before ws.send; agent and viewers share one process and clock; includes the load process's own queueing over 1,000 sockets",
  hubFanoutMsP50: +percentile(fan, 50).toFixed(2),
  hubFanoutMsMax: +(fan.at(-1) ?? NaN).toFixed(2),
  hubFanoutWhat: 'relay.onFrame, synchronous part: the first slice of 100 viewers (the rest follow in later event-loop turns)',
  staleFrames: r.staleFrames,
  errors: r.errors,
  agentDropped: r.agentDropped,
  goal: '< 200',
});

command('close');
await waitEv('closed', 10_000).catch(() => child.kill('SIGTERM'));
await hub.close();
process.exit(0);
