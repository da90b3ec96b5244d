/** Closing local days (日结): a timer asks the day closer every `tickMs` whether a day is due. */
import type { DayCloser } from '../../services/day-close.ts';
import type { Logger } from '../../log.ts';
import type { HubFeature } from '../feature.ts';

export function dayCloseFeature(deps: { closer: DayCloser; logger: Logger; tickMs: number }): HubFeature {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'day-close',
    async start() {
      timer = setInterval(() => {
        deps.closer.closeDue().catch((e: Error) => deps.logger.warn({ err: e }, 'closing the day failed; will retry'));
      }, deps.tickMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
