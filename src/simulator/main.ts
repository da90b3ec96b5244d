/**
 * `npm run sim` — start a fleet of simulated cameras on loopback and keep it running.
 *   --cameras N         how many (default: scenario's `cameras`, else 20)
 *   --scenario FILE     YAML fault scenario (see scenario.ts; scenarios/demo.yaml)
 *   --control-port P    control API on 127.0.0.1:P (default 8099; 0 = any free port)
 *   --host-base 127.N   camera addresses 127.N.x.y (default 127.20)
 *   --onvif-port P      ONVIF/HTTP port on every camera address (default 8080; 0 = per-camera ephemeral)
 *   --rtsp-port P       RTSP port on every camera address (default 8554)
 *   --seed S            seed of the generated camera list (default: scenario seed, else 1)
 *   --specs FILE        simulate these cameras (JSON list of SimCameraSpec) instead of generating
 *   --exit-with-parent  stop when stdin closes (the demo hub spawns the simulator this way)
 *   --dump-specs FILE   write the camera list with endpoints (JSON, includes credentials) and go on
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { startFleet } from './fleet.ts';
import { expectedOnlineShare, parseScenario, scenarioFaults, type Scenario } from './scenario.ts';
import { makeCameraSpecs } from './specs.ts';
import type { SimCameraSpec } from './types.ts';

const log = createLogger('sim');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cameras: { type: 'string' },
      scenario: { type: 'string' },
      'control-port': { type: 'string', default: '8099' },
      'host-base': { type: 'string', default: '127.20' },
      'onvif-port': { type: 'string', default: '8080' },
      'rtsp-port': { type: 'string', default: '8554' },
      seed: { type: 'string' },
      'dump-specs': { type: 'string' },
      specs: { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
    },
  });
  const scenario: Scenario = values.scenario ? parseScenario(readFileSync(values.scenario, 'utf8')) : { seed: 1, demo: false, faults: [] };
  const seed = values.seed !== undefined ? Number(values.seed) : scenario.seed;
  // --specs FILE: simulate exactly these cameras (JSON SimCameraSpec[]: the demo county's own list)
  const specs: SimCameraSpec[] = values.specs
    ? (JSON.parse(readFileSync(values.specs, 'utf8')) as SimCameraSpec[])
    : makeCameraSpecs(Number(values.cameras ?? scenario.cameras ?? 20), { seed });
  const n = specs.length;
  if (!Number.isInteger(n) || n < 1 || n > 60_000) throw new Error('--cameras must be an integer 1..60000');
  const faults = scenarioFaults(scenario, specs);
  const fleet = await startFleet({
    cameras: specs,
    hostBase: values['host-base'],
    onvifPort: Number(values['onvif-port']),
    rtspPort: Number(values['rtsp-port']),
    controlPort: Number(values['control-port']),
    faults,
  });
  if (values['dump-specs']) {
    writeFileSync(values['dump-specs'], JSON.stringify(fleet.endpoints(), null, 2));
    log.info({ file: values['dump-specs'] }, 'camera list written');
  }
  log.info(
    { cameras: n, faults: faults.length, expectedOnline: Number(expectedOnlineShare(faults, specs).toFixed(4)), control: fleet.controlUrl },
    'simulator running; Ctrl-C to stop',
  );
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'stopping simulator');
    fleet.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  // --exit-with-parent: the parent holds our stdin; when it dies (even by SIGKILL) stdin ends
  if (values['exit-with-parent']) {
    process.stdin.on('end', () => stop('parent gone'));
    process.stdin.resume();
  }
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  log.error({ err }, 'simulator failed to start');
  process.exit(1);
});
