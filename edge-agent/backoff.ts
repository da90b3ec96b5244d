/**
 * Exponential back-off with jitter, for retrying hub calls.
 *
 * delay(n) = random in [d/2, d], d = min(maxMs, baseMs · factor^n)  ("equal jitter"):
 * never retries faster than half the nominal delay, and spreads a fleet of agents that
 * lost the hub at the same moment so they do not all come back in the same millisecond.
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  factor?: number;
  /** injectable for tests; returns [0, 1) */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    if (opts.baseMs <= 0 || opts.maxMs < opts.baseMs) throw new Error('backoff: need 0 < baseMs <= maxMs');
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the next retry; each call counts one more failure. */
  next(): number {
    const nominal = Math.min(this.opts.maxMs, this.opts.baseMs * this.factor ** this.attempt);
    if (nominal < this.opts.maxMs) this.attempt++;
    return Math.round(nominal / 2 + (this.random() * nominal) / 2);
  }

  /** Call after a success. */
  reset(): void {
    this.attempt = 0;
  }
}
