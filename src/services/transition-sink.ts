/**
 * The one place the monitor's pending transitions (and the streaks changed with them) are drained and written. Ingest commits
 * them with its batch's ledger row (the agent is acknowledged only then); the staleness
 * sweep and maintenance windows hand theirs over without waiting; shutdown writes the rest.
 * A failed write keeps the rows in the log's carry for the next write (nothing decided is lost).
 */
import type { Monitor } from '../core/monitor.ts';
import type { LedgerRow, TransitionLog } from '../db/transition-log.ts';
import type { Logger } from '../log.ts';

export class TransitionSink {
  constructor(
    private readonly monitor: Monitor,
    private readonly log: TransitionLog,
    private readonly logger: Logger,
  ) {}

  /** Drain and commit, with the batch's ledger row; resolves once committed. */
  commit(ledger: LedgerRow | null): Promise<void> {
    return this.log.submit(this.monitor.drainTransitions(), ledger, this.monitor.drainStreaks());
  }

  /** Drain and write without waiting (sweep, maintenance): a failure is logged and retried with the next write. */
  hand(why: string): void {
    const rows = this.monitor.drainTransitions();
    const streaks = this.monitor.drainStreaks();
    if (rows.length === 0 && streaks.length === 0) return;
    this.log.submit(rows, null, streaks).catch((e: Error) => this.logger.warn({ err: e, why }, 'transitions not yet written; will retry'));
  }

  /** Shutdown: write what is left — every camera's newest evidence time exactly — and wait for every write in flight. */
  async close(): Promise<void> {
    const rest = this.monitor.drainTransitions();
    const streaks = this.monitor.allStreaks();
    if (rest.length || streaks.length) await this.log.submit(rest, null, streaks).catch(() => undefined);
    await this.log.drain();
  }
}
