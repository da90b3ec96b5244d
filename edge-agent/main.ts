/**
 * Edge agent process: `SHARPEYES_AGENT_TOKEN_FILE=… npm run agent -- --hub https://HUB:8443 --hub-ca ca.pem ...`
 * (see config.ts for every flag, env var and YAML key; the transport rules: hub-tls.ts).
 * A configuration it refuses (plain http:// off loopback, --token for a remote hub, a token
 * file open to others, …) exits 2 with the reason, before anything is sent. Wiring only.
 * `npm run agent -- --replay-dead-letter <the same flags>` re-sends the batches the hub refused
 * whole (edge-agent/dead-letter.ts) and exits: 0 when every one was delivered, 1 otherwise.
 */
import { createLogger } from '../src/log.ts';
import { Agent } from './agent.ts';
import { ConfigError, loadConfig } from './config.ts';
import { probeCamera } from './ladder.ts';

const log = createLogger('agent');

const REPLAY_FLAG = '--replay-dead-letter';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const replay = argv.includes(REPLAY_FLAG);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv.filter((a) => a !== REPLAY_FLAG));
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      log.fatal({ err: (err as Error).message }, 'bad agent configuration');
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const agent = new Agent(config, { probe: probeCamera, log });
  if (replay) {
    const sum = await agent.replayDeadLetter();
    log.info({ ...sum }, 'dead-letter replay finished');
    process.exitCode = sum.refused === 0 && sum.left === 0 ? 0 : 1;
    return;
  }
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
