/**
 * Wiring only. `npm run hub` serves the county in $CONFIG_DIR (default ./config);
 * `npm start` (--demo) also generates the demo county and runs the camera
 * simulator and an edge agent beside the hub (see src/hub/demo.ts).
 */
import { ConfigErrors } from './county/config-error.ts';
import { createLogger } from './log.ts';
import { startHub } from './hub/start-hub.ts';
import { readHubEnv } from './hub/env.ts';

const logger = createLogger('hub');
const env = readHubEnv(process.env, process.argv.slice(2));

try {
  const demo = env.demo ? await (await import('./hub/demo.ts')).prepareDemo(env, logger) : null;
  const hub = await startHub({ ...env, configDir: demo?.configDir ?? env.configDir, logger });
  await hub.app.listen({ port: env.port, host: env.host });
  // the port the server bound (PORT=0 picks a free one), so the demo agent finds it
  const address = hub.app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.port;
  await demo?.afterHubListening(hub, `http://${env.host === '0.0.0.0' ? '127.0.0.1' : env.host}:${port}`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await demo?.stop();
    await hub.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (e) {
  if (e instanceof ConfigErrors) {
    logger.fatal(e.message);
    process.stderr.write(e.message + '\n');
  } else logger.fatal({ err: e }, 'hub failed to start');
  process.exit(1);
}
