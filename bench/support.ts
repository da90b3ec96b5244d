/** Bench helpers: one JSON line per figure, a county of N cameras written as config, the simulator in a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateDemoCounty } from '../src/county/demo-county.ts';
import { DEMO_AGENT, writeDemoConfig } from '../src/county/demo-files.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { makeCameraSpecs, type SimCameraSpec, plannedEndpoints } from '../src/simulator/index.ts';

/** `n` simulated cameras in a child process (its CPU is not the bench process's), exiting with the bench. */
export async function startBenchSimulator(
  n: number,
  hostBase: string,
  ports: { onvif: number; rtsp: number; control: number },
  seed: number,
): Promise<{ child: ChildProcess; specs: SimCameraSpec[]; cams: AgentCamera[]; control: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'se-bench-sim-'));
  const specs = makeCameraSpecs(n, { seed });
  writeFileSync(join(dir, 'specs.json'), JSON.stringify(specs), { mode: 0o600 });
  const args = ['--specs', join(dir, 'specs.json'), '--host-base', hostBase, '--onvif-port', String(ports.onvif), '--rtsp-port', String(ports.rtsp)];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts', ...args, '--control-port', String(ports.control), '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.includes('simulator running') && resolve());
    child.once('exit', (c) => reject(new Error(`simulator exited ${c}`)));
  });
  const cams = plannedEndpoints(specs, { hostBase, onvifPort: ports.onvif, rtspPort: ports.rtsp });
  return { child, specs, cams, control: `http://127.0.0.1:${ports.control}` };
}

export function figure(name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ name, value: Math.round(value * 100) / 100, unit, ...extra }) + '\n');
}

export function benchCounty(cameras: number): { configDir: string; agentToken: string } {
  const configDir = mkdtempSync(join(tmpdir(), `se-bench-${cameras}-`));
  writeDemoConfig(configDir, generateDemoCounty({ cameras }), (_c, i) => ({
    host: `127.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
    onvifPort: 80,
    onvifPath: '/onvif/device_service',
    rtspPort: 554,
    rtspPath: '/Streaming/Channels/101',
  }));
  return { configDir, agentToken: DEMO_AGENT.token };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** BENCH_PROFILE=file.cpuprofile: a CPU profile of the measured window only. Returns the stop function. */
export async function profileWindow(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return async () => undefined;
  const session = new (await import('node:inspector/promises')).Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
