/** Routing: the ladder's fault class decides which kind of crew work a ticket is. */
import type { FaultClass } from '../../protocol/probe-result.ts';
import type { Category } from './model.ts';

/** unreachable → line/power; onvif_down, stream_down, no_frame → device; auth_failed → configuration */
export function categoryFor(fault: FaultClass | null): Category {
  switch (fault) {
    case 'unreachable':
      return 'line_power';
    case 'auth_failed':
      return 'configuration';
    default:
      return 'device';
  }
}

/** The most common fault class (ties: ladder order, lower rung first). */
export function dominantFault(faults: (FaultClass | null)[]): FaultClass | null {
  const order: FaultClass[] = ['unreachable', 'onvif_down', 'auth_failed', 'stream_down', 'no_frame'];
  let best: FaultClass | null = null;
  let bestN = 0;
  for (const f of order) {
    const n = faults.filter((x) => x === f).length;
    if (n > bestN) {
      best = f;
      bestN = n;
    }
  }
  return best;
}
