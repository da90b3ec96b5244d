/** The staleness sweep: cameras without fresh evidence for `staleAfterMs` become unknown (never offline). */
import type { Monitor } from '../../core/monitor.ts';
import type { TransitionSink } from '../../services/transition-sink.ts';
import type { HubFeature } from '../feature.ts';

export function stalenessFeature(deps: { monitor: Monitor; sink: TransitionSink; now: () => number; intervalMs: number }): HubFeature {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'staleness',
    async start() {
      timer = setInterval(() => {
        if (deps.monitor.sweep(deps.now()) > 0) deps.sink.hand('stale');
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
