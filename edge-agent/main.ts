/**
 * Edge agent process: `npm run agent -- --hub http://127.0.0.1:8080 --token XXX ...`
 * (see config.ts for every flag, env var and YAML key). Wiring only.
 */
import { createLogger } from '../src/log.ts';
import { Agent } from './agent.ts';
import { ConfigError, loadConfig } from './config.ts';
import { probeCamera } from './ladder.ts';

const log = createLogger('agent');

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      log.fatal({ err: (err as Error).message }, 'bad agent configuration');
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const agent = new Agent(config, { probe: probeCamera, log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: flushing reports');
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await agent.start();
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'agent failed');
  process.exit(1);
});
