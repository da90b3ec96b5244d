/**
 * `npm start`: the demo county (1,730 grids, 5,000 cameras by default) generated as
 * ordinary config files; the camera simulator in its own process (cameras are not
 * the hub's: 2 listening sockets per camera would crowd the hub's file descriptors),
 * speaking ONVIF and RTSP on loopback (one 127.20.x.y address per camera) with the
 * demo fault mix (~93 % online); and an edge agent probing it for real.
 * Its files hold the demo's passwords and a random agent token (a new one per run, from
 * crypto.randomBytes): the folder is 0700, every file 0600. Loopback only unless --demo-force
 * (src/hub/env.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS } from '../../edge-agent/config.ts';
import { certificateFingerprint } from '../../edge-agent/hub-tls.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { generateDemoCounty } from '../county/demo-county.ts';
import { writeDemoConfig } from '../county/demo-files.ts';
import type { Hub } from './start-hub.ts';
import type { HubEnv } from './env.ts';
import type { Logger } from '../log.ts';
import { plannedEndpoints, type SimCameraSpec } from '../simulator/index.ts';

export const DEMO_PORTS = { onvif: 10080, rtsp: 10554, control: 8099, agentMetrics: 9464 } as const;
const SIM_MAIN = fileURLToPath(new URL('../simulator/main.ts', import.meta.url));

export interface Demo {
  configDir: string;
  afterHubListening(hub: Hub, hubUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The demo county as files in `dir`: config/ (county, agents with a fresh random token, users,
 * cameras.csv pointing at the simulator's loopback addresses), `agent-token` (the same token,
 * for `--token-file`), the simulator's camera list (with the demo passwords) and its scenario.
 * Owner-only: `dir` and config/ 0700 before anything is written in them, every file 0600.
 */
export function writeDemoFiles(dir: string, cameras: number): { configDir: string; agentToken: string; tokenFile: string } {
  const configDir = join(dir, 'config');
  for (const d of [dir, configDir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(d, 0o700); // a folder left by an older demo
  }
  const agentToken = randomBytes(32).toString('base64url');
  const county = generateDemoCounty({ cameras });
  const specs: SimCameraSpec[] = county.cameras.map((c) => ({ code: c.code, siteId: c.siteId, username: c.username, password: c.password }));
  const endpoints = plannedEndpoints(specs, { hostBase: '127.20', onvifPort: DEMO_PORTS.onvif, rtspPort: DEMO_PORTS.rtsp });
  writeDemoConfig(
    configDir,
    county,
    (_c, i) => {
      const e = endpoints[i]!;
      return { host: e.host, onvifPort: e.onvifPort, onvifPath: e.onvifPath, rtspPort: e.rtspPort, rtspPath: new URL(e.rtspUrl).pathname };
    },
    { agentToken },
  );
  const tokenFile = join(dir, 'agent-token');
  writeFileSync(tokenFile, agentToken + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'sim-cameras.json'), JSON.stringify(specs), { mode: 0o600 });
  writeFileSync(join(dir, 'scenario.yaml'), 'seed: 9334\ndemo: true\nfaults: []\n', { mode: 0o600 });
  // files an older demo left, and those writeDemoConfig made with the umask's mode
  for (const d of [dir, configDir]) {
    for (const f of readdirSync(d, { withFileTypes: true })) if (f.isFile()) chmodSync(join(d, f.name), 0o600);
  }
  return { configDir, agentToken, tokenFile };
}

export async function prepareDemo(env: HubEnv, logger: Logger): Promise<Demo> {
  const dir = join(env.dataDir, 'demo');
  const { configDir, agentToken } = writeDemoFiles(dir, env.demoCameras);
  const sim = await startSimulator(dir, logger);
  let agent: Agent | null = null;
  return {
    configDir,
    async afterHubListening(hub, hubUrl) {
      // an HTTPS hub (TLS_CERT): the demo agent pins the very certificate the hub serves
      const hubTls = hub.tls ? { fingerprints: [certificateFingerprint(hub.tls.certPem)] } : undefined;
      agent = new Agent(
        { ...DEFAULTS, hubUrl, token: agentToken, ...(hubTls ? { hubTls } : {}), dataDir: join(dir, 'agent'), metricsPort: DEMO_PORTS.agentMetrics },
        { probe: probeCamera, log: logger.child({ component: 'agent' }) },
      );
      await agent.start();
      logger.info(
        { hub: hubUrl, simulatorControl: `http://127.0.0.1:${DEMO_PORTS.control}` },
        'demo agent probing the simulated county; cameras come online within one cycle (30 s)',
      );
    },
    async stop() {
      await agent?.stop();
      sim.kill('SIGTERM');
    },
  };
}

/** Spawn `src/simulator/main.ts` (its log lines pass through) and wait until its control API answers. */
async function startSimulator(dir: string, logger: Logger): Promise<ChildProcess> {
  const args = [
    '--import',
    'tsx',
    SIM_MAIN,
    '--specs',
    join(dir, 'sim-cameras.json'),
    '--scenario',
    join(dir, 'scenario.yaml'),
    '--host-base',
    '127.20',
    '--onvif-port',
    String(DEMO_PORTS.onvif),
    '--rtsp-port',
    String(DEMO_PORTS.rtsp),
    '--control-port',
    String(DEMO_PORTS.control),
    '--exit-with-parent',
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGTERM'));
  createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(line + '\n'));
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`camera simulator exited (${exited}) before it was ready`);
    if (Date.now() > deadline) throw new Error('camera simulator not ready after 60 s');
    const ok = await fetch(`http://127.0.0.1:${DEMO_PORTS.control}/faults`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  logger.info('camera simulator ready');
  return child;
}
