/**
 * By-hand CPU measurement of the ladder (goal ≤ 300 µs CPU per full ladder:
 * TCP + ONVIF time + ONVIF auth + RTSP), and of the naive baseline (onvif Cam + ffmpeg).
 * The fake camera and the GStreamer server run in child processes: only the prober's
 * CPU (process.cpuUsage) is counted; ffmpeg children are counted from /proc/self/stat.
 *
 *   npx tsx bench/agent-probe-measure.ts [ladders=3000] [concurrency=20] [--baseline N]
 *
 * Output goes to stdout as a small report (this is a script, not agent code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeCamera } from '../edge-agent/ladder.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { baselineProbe } from './agent-baseline.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** the report goes to stdout (a by-hand script; agent code logs through src/log.ts) */
const say = (line: string): void => void process.stdout.write(line + '\n');
const USER = 'admin';
const PASS = 'measure-Pa55';

function startChild(cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${cmd} not ready`)), 20_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ child, line: m[0] });
      }
    });
    child.once('exit', (code) => rej(new Error(`${cmd} exited ${code}`)));
  });
}

/** CPU µs of waited-for children (user+sys), from /proc/self/stat (Linux; 10 ms ticks). */
function childrenCpuUs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10_000; // cutime, cstime at USER_HZ=100
}

async function runBounded(n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

async function measure(label: string, n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<number> {
  await runBounded(Math.min(200, n), concurrency, one); // warm up JIT and caches
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await runBounded(n, concurrency, one);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  const perUs = (c.user + c.system) / n;
  say(
    `${label.padEnd(34)} n=${String(n).padStart(5)}  CPU ${perUs.toFixed(0).padStart(5)} µs/op  (user ${(c.user / n).toFixed(0)}, sys ${(c.system / n).toFixed(0)})  wall ${(wall / n).toFixed(2)} ms/op`,
  );
  return perUs;
}

const args = process.argv.slice(2);
const bIdx = args.indexOf('--baseline');
const baselineN = bIdx >= 0 ? Number(args[bIdx + 1] ?? 10) : 0;
const positional = args.filter((a, i) => !a.startsWith('--') && !(bIdx >= 0 && i === bIdx + 1));
const N = Math.min(Number(positional[0] ?? 3000), 50_000);
const C = Math.min(Number(positional[1] ?? 20), 500);

const fake = await startChild(process.execPath, ['--import', 'tsx', 'test/agent-probes/fake-camera-cli.ts', USER, PASS], /\{.*\}/);
const ports = JSON.parse(fake.line) as { onvifPort: number; rtspPort: number };
const cam: AgentCamera = {
  code: 'measure',
  host: '127.0.0.1',
  onvifPort: ports.onvifPort,
  onvifPath: '/onvif/device_service',
  rtspPort: ports.rtspPort,
  rtspUrl: `rtsp://127.0.0.1:${ports.rtspPort}/stream1`,
  username: USER,
  password: PASS,
  siteId: null,
};

try {
  const check = await probeCamera(cam);
  if (check.fault !== null) throw new Error(`ladder not healthy: ${JSON.stringify(check.rungs)}`);
  say(`node ${process.version}, ${N} ladders, concurrency ${C}; fake camera in a child process`);
  const { tcpConnect } = await import('../edge-agent/probes/tcp.ts');
  const { onvifTime } = await import('../edge-agent/probes/onvif-time.ts');
  const { onvifAuth } = await import('../edge-agent/probes/onvif-auth.ts');
  const { probeRtsp } = await import('../edge-agent/probes/rtsp.ts');
  await measure('  tcp rung', N, C, () => tcpConnect(cam.host, cam.onvifPort, 2000));
  await measure('  onvif_time rung', N, C, () => onvifTime(cam.host, cam.onvifPort, cam.onvifPath, 3000));
  await measure('  onvif_auth rung', N, C, () => onvifAuth({ cam, timeoutMs: 3000, clockOffsetMs: 30_000 }));
  await measure('  rtsp rung', N, C, () => probeRtsp({ cam, timeoutMs: 3000, clockOffsetMs: null }));
  const full = await measure('full ladder (tcp+time+auth+rtsp)', N, C, () => probeCamera(cam));
  say(`full ladder: ${full.toFixed(0)} µs CPU (goal ≤ 300 µs) → ${full <= 300 ? 'MET' : 'NOT MET'}`);

  if (baselineN > 0) {
    const gst = await startChild('/usr/bin/python3', ['test/support/gst-rtsp-server.py', '--port', '0', '--user', USER, '--password', PASS], /READY (\d+)/);
    const gport = Number(/READY (\d+)/.exec(gst.line)?.[1]);
    const gcam: AgentCamera = { ...cam, rtspPort: gport, rtspUrl: `rtsp://127.0.0.1:${gport}/stream` };
    try {
      const first = await baselineProbe(gcam);
      if (!first.streamOk) throw new Error(`baseline not healthy: ${first.detail}`);
      const onvifOnly = await measure('baseline onvif Cam connect+devinfo', Math.max(baselineN * 10, 50), Math.min(C, 10), () => baselineProbe(gcam, { noFfmpeg: true }));
      const k0 = childrenCpuUs();
      const withFf = await measure('baseline Cam + ffmpeg (parent only)', baselineN, 1, () => baselineProbe(gcam));
      const ffPer = (childrenCpuUs() - k0) / (baselineN + Math.min(200, baselineN)); // warm-up ran ffmpeg too
      say(
        `baseline: onvif part ${onvifOnly.toFixed(0)} µs, ffmpeg child ≈ ${(ffPer / 1000).toFixed(0)} ms CPU per run; total ≈ ${((withFf + ffPer) / 1000).toFixed(1)} ms CPU per camera`,
      );
    } finally {
      gst.child.kill('SIGTERM');
    }
  }
} finally {
  fake.child.kill('SIGTERM');
}
