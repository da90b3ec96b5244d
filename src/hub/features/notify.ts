/** Notifications: the webhook outbox (WeCom, DingTalk, generic JSON), delivered once across restarts. */
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../log.ts';
import type { NotifyConfig } from '../../notify/config.ts';
import { OutboxWorker } from '../../notify/outbox-worker.ts';
import type { HubFeature } from '../feature.ts';

export function notifyFeature(deps: { db: Database; config: NotifyConfig; now: () => number; logger: Logger }): HubFeature & { outbox: OutboxWorker } {
  const outbox = new OutboxWorker(deps.db, deps.config.webhooks, deps.config.retry, deps.now, deps.logger.child({ part: 'notify' }));
  return {
    name: 'notify',
    outbox,
    async start() {
      outbox.kick(); // deliveries left from before a restart
    },
    stop: () => outbox.stop(),
  };
}
