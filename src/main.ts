/**
 * Wiring only. `npm run hub` serves the county in $CONFIG_DIR (default ./config);
 * `npm start` (--demo) also generates the demo county and runs the camera
 * simulator and an edge agent beside the hub (see src/hub/demo.ts).
 * TLS_CERT + TLS_KEY: HTTPS instead of HTTP (src/hub/env.ts).
 */
import { ConfigErrors } from './county/config-error.ts';
import { createLogger } from './log.ts';
import { startHub } from './hub/start-hub.ts';
import { HubSettingError, readHubEnv } from './hub/env.ts';

const logger = createLogger('hub');

try {
  const env = readHubEnv(process.env, process.argv.slice(2));
  const demo = env.demo ? await (await import('./hub/demo.ts')).prepareDemo(env, logger) : null;
  const hub = await startHub({ ...env, configDir: demo?.configDir ?? env.configDir, logger });
  await hub.app.listen({ port: env.port, host: env.host });
  // the port the server bound (PORT=0 picks a free one), so the demo agent finds it
  const address = hub.app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.port;
  const scheme = hub.tls ? 'https' : 'http';
  const loopback = env.host === '0.0.0.0' || env.host === '::' ? '127.0.0.1' : env.host.includes(':') ? `[${env.host}]` : env.host;
  await demo?.afterHubListening(hub, `${scheme}://${loopback}:${port}`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await demo?.stop();
    await hub.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (e) {
  if (e instanceof ConfigErrors || e instanceof HubSettingError) {
    logger.fatal(e.message);
    process.stderr.write(e.message + '\n');
    process.exit(1);
  }
  logger.fatal({ err: e }, 'hub failed to start');
  process.stderr.write(`hub failed to start: ${(e as Error).message}\n`);
  process.exit(1);
}
