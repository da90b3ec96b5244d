/**
 * Reporter: probe results → numbered batches → hub, in seq order, nothing lost.
 *
 * - A batch is cut every `flushMs` (1 s) or at `maxItems` (500) results.
 * - Seq numbers come from SeqStore: strictly increasing, also across restarts and crashes.
 * - Delivery is one batch at a time, oldest first: the spool (older) before the in-memory
 *   queue (newer). Healthy traffic stays in memory (no disk writes); on the first failed
 *   send, or when more than `memQueueMax` batches wait, the memory queue is spilled to the
 *   spool and new batches follow it there until the spool is drained. So the order on the
 *   wire is always the seq order, and every batch is either acknowledged, refused whole (4xx:
 *   kept in the dead letters beside the spool, ./dead-letter.ts, counted), or on disk.
 * - A batch the spool cannot take (disk full, ENOSPC; an I/O error) is held in memory, in seq
 *   order after the spool's batches, and still delivered from there; each new batch tries the
 *   spool again first, so held batches move to disk as soon as space returns. Only beyond
 *   `heldItemsMax` held results (or held at a stop with the disk still full) is a batch lost —
 *   the oldest held first, logged and counted (reportErrors{kind="spool_lost"}).
 * - Every result is made safe on the way in (`add()` → ./report-sanitize.ts): camera text
 *   without control characters, capped below the hub's limit — one camera cannot make the
 *   hub refuse a batch.
 * - The hub refusing items one by one (the ack's `refused`) is counted by code and logged.
 * - A refused token (401/403) is not the hub being away: logged as such, once per episode,
 *   counted, and the reports spooled until the token is fixed.
 */
import type { ProbeResult, ReportAck, ReportBatch } from '../src/protocol/probe-result.ts';
import { createLogger, type Logger } from '../src/log.ts';
import { Backoff } from './backoff.ts';
import type { BatchSender } from './hub-link.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { AgentMetrics } from './metrics.ts';
import { sanitizeResult } from './report-sanitize.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import type { SeqStore } from './seq-store.ts';
import type { Spool } from './spool.ts';

export interface ReporterOptions {
  hub: BatchSender;
  spool: Spool;
  seq: SeqStore;
  clock?: Clock;
  flushMs?: number;
  maxItems?: number;
  memQueueMax?: number;
  /** results held in memory while the spool cannot write (default 100,000 ≈ 50 MB) */
  heldItemsMax?: number;
  retry?: Backoff;
  metrics?: AgentMetrics;
  log?: Logger;
  /** where batches the hub refuses whole are kept (without it they are dropped, logged and counted) */
  deadLetter?: Pick<DeadLetter, 'put'>;
}

/** The reporter's counters, all zero (also what the agent reports before its reporter exists). */
export function emptyReportCounters() {
  return {
    batches: 0,
    sent: 0,
    duplicates: 0,
    rejected: 0,
    transientErrors: 0,
    itemsSent: 0,
    authFailures: 0,
    deadLettered: 0,
    itemsRefused: 0,
    /** batches held in memory now because the spool could not take them */
    heldBatches: 0,
    /** batches lost: held beyond heldItemsMax, or held at a stop the spool could not take */
    lostBatches: 0,
  };
}

export class Reporter {
  private readonly clock: Clock;
  private readonly flushMs: number;
  private readonly maxItems: number;
  private readonly memQueueMax: number;
  private readonly retry: Backoff;
  private readonly log: Logger;
  private buf: ProbeResult[] = [];
  private mem: ReportBatch[] = [];
  /** batches the spool could not take: after the spool's, before mem's (seq order) */
  private held: ReportBatch[] = [];
  private heldItems = 0;
  private readonly heldItemsMax: number;
  private pumping: Promise<void> | null = null;
  private flushTimer: TimerHandle | null = null;
  private retryTimer: TimerHandle | null = null;
  private started = false;
  private stopped = false;
  private hubDown = false;
  private authRefused = false;
  private refusalLogs = 0;
  private draining = false;
  private oddAcks = 0;
  readonly counters = emptyReportCounters();

  constructor(private readonly opts: ReporterOptions) {
    this.clock = opts.clock ?? systemClock;
    this.flushMs = opts.flushMs ?? 1000;
    this.maxItems = opts.maxItems ?? 500;
    this.memQueueMax = opts.memQueueMax ?? 4;
    this.heldItemsMax = opts.heldItemsMax ?? 100_000;
    this.retry = opts.retry ?? new Backoff({ baseMs: 500, maxMs: 30_000 });
    this.log = opts.log ?? createLogger('agent.reporter');
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const tick = () => {
      this.flush();
      this.flushTimer = this.clock.setTimeout(tick, this.flushMs);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushMs);
    this.kick(); // replay what a previous run left in the spool
  }

  add(result: ProbeResult): void {
    if (this.stopped) return;
    this.buf.push(sanitizeResult(result));
    if (this.buf.length >= this.maxItems) this.flush();
  }

  /**
   * Cut the last batch, try to deliver everything for up to `drainMs` (skipped when the
   * hub is known to be away), then put whatever is left in the spool.
   */
  async stop(drainMs = 0): Promise<void> {
    if (this.stopped) return;
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flush();
    this.stopped = true;
    if (drainMs > 0 && this.retryTimer === null) {
      this.draining = true;
      this.kick();
      await this.within(this.idle(), drainMs);
      this.draining = false;
    }
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.opts.hub.abort();
    await this.pumping;
    this.spill();
    if (this.held.length > 0 && !this.moveHeldToSpool()) while (this.held.length > 0) this.lose(this.shiftHeld(), 'stopped with the spool still refusing writes');
    this.opts.seq.close();
  }

  private flush(): void {
    while (this.buf.length > 0) {
      const items = this.buf.splice(0, this.maxItems);
      this.enqueue({ seq: this.opts.seq.take(), sentAt: this.clock.now(), items });
    }
  }

  private enqueue(batch: ReportBatch): void {
    this.counters.batches++;
    if (this.held.length > 0 || !this.opts.spool.isEmpty || this.mem.length >= this.memQueueMax) {
      this.spill();
      this.toSpool(batch);
    } else {
      this.mem.push(batch);
    }
    this.kick();
  }

  private spill(): void {
    for (const b of this.mem.splice(0)) this.toSpool(b);
  }

  /** Into the spool, behind what is held; what the spool cannot take is held in memory. */
  private toSpool(batch: ReportBatch): void {
    if (this.held.length > 0 && !this.moveHeldToSpool()) {
      this.opts.metrics?.reportErrors.inc({ kind: 'spool_write' }); // counted per batch, logged once per episode
      this.hold(batch);
      return;
    }
    try {
      this.opts.spool.append(batch);
    } catch (err) {
      this.opts.metrics?.reportErrors.inc({ kind: 'spool_write' });
      this.log.error({ err, seq: batch.seq, items: batch.items.length, held: this.held.length + 1 }, 'spool write failed: batch held in memory');
      this.hold(batch);
    }
  }

  /** the held batches, oldest first, into the spool while it takes them; true when none is left */
  private moveHeldToSpool(): boolean {
    while (this.held.length > 0) {
      try {
        this.opts.spool.append(this.held[0]!);
      } catch {
        return false;
      }
      this.shiftHeld();
      if (this.held.length === 0) this.log.info({}, 'spool writable again: held batches are on disk');
    }
    return true;
  }

  private hold(batch: ReportBatch): void {
    this.held.push(batch);
    this.heldItems += batch.items.length;
    this.counters.heldBatches = this.held.length;
    while (this.heldItems > this.heldItemsMax && this.held.length > 1) this.lose(this.shiftHeld(), 'more results held than heldItemsMax');
  }

  /** the oldest held batch out of the memory hold (delivered, on disk, or lost) */
  private shiftHeld(): ReportBatch {
    const b = this.held.shift()!;
    this.heldItems -= b.items.length;
    this.counters.heldBatches = this.held.length;
    return b;
  }

  private lose(batch: ReportBatch, why: string): void {
    this.counters.lostBatches++;
    this.opts.metrics?.reportErrors.inc({ kind: 'spool_lost' });
    this.log.error({ seq: batch.seq, items: batch.items.length, why }, 'report batch lost: the spool could not take it');
  }

  private kick(): void {
    if (this.pumping || this.retryTimer !== null || !this.started || (this.stopped && !this.draining)) return;
    let clean = true;
    this.pumping = this.pump()
      .catch((err: unknown) => {
        // e.g. a disk error under the spool: keep the data where it is and try again later
        clean = false;
        this.log.error({ err }, 'report delivery failed');
        this.scheduleRetry();
      })
      .finally(() => {
        this.pumping = null;
        // work that arrived between the pump's last look and now
        if (clean && (!this.opts.spool.isEmpty || this.held.length > 0 || this.mem.length > 0)) this.kick();
      });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const batch = !this.opts.spool.isEmpty ? this.opts.spool.peek() : (this.held[0] ?? this.mem[0]);
      if (!batch) return;
      const out = await this.opts.hub.sendBatch(batch);
      if (out.kind === 'retry') {
        if (out.auth === true) this.authFailure(batch.seq, out.status, out.detail);
        else {
          this.counters.transientErrors++;
          this.opts.metrics?.reportErrors.inc({ kind: 'transient' });
          if (!this.hubDown) this.log.warn({ seq: batch.seq, status: out.status, detail: out.detail }, 'hub unavailable: spooling reports');
          this.hubDown = true;
          this.authRefused = false;
        }
        this.spill();
        this.scheduleRetry();
        return;
      }
      this.retry.reset();
      if (this.authRefused) this.log.info({ seq: batch.seq, spooled: this.opts.spool.stats().batches }, 'hub accepts the agent token again: replaying spool');
      else if (this.hubDown) this.log.info({ seq: batch.seq, spooled: this.opts.spool.stats().batches }, 'hub reachable again: replaying spool');
      this.hubDown = false;
      this.authRefused = false;
      this.opts.metrics?.hubAuthRefused.set(0);
      if (out.kind === 'rejected') {
        this.counters.rejected++;
        this.opts.metrics?.reportErrors.inc({ kind: 'rejected' });
        this.deadLetter(batch, out.status, out.detail);
      } else {
        this.counters.sent++;
        this.counters.itemsSent += batch.items.length;
        if (out.ack.duplicate) this.counters.duplicates++;
        else if (out.ack.refused.length > 0) this.itemsRefused(batch.seq, out.ack.refused);
        if (out.ackProblem !== undefined && ++this.oddAcks <= 10) {
          this.log.warn({ seq: batch.seq, problem: out.ackProblem }, 'hub took the batch but its acknowledgement is malformed');
        }
        this.opts.metrics?.reportsSent.inc();
        this.opts.metrics?.reportItemsSent.inc(batch.items.length);
      }
      this.complete(batch.seq);
    }
  }

  /** 401/403: our token, not the hub's health — say so once per episode, keep everything spooled */
  private authFailure(seq: number, status: number | undefined, detail: string): void {
    this.counters.authFailures++;
    this.opts.metrics?.reportErrors.inc({ kind: 'auth' });
    this.opts.metrics?.hubAuthRefused.set(1);
    if (!this.authRefused) {
      this.log.error({ seq, status, detail }, 'hub refused the agent token: reports are spooled (not lost) until the token is fixed');
    }
    this.authRefused = true;
    this.hubDown = true;
  }

  /** a batch the hub refused whole: into the dead letters (replayable), never silently dropped */
  private deadLetter(batch: ReportBatch, status: number, detail: string): void {
    const where = { seq: batch.seq, items: batch.items.length, status, detail };
    if (!this.opts.deadLetter) {
      this.log.error(where, 'hub refused report batch: dropped');
      return;
    }
    try {
      const file = this.opts.deadLetter.put(batch, status, detail);
      this.counters.deadLettered++;
      this.opts.metrics?.deadLetterWritten.inc();
      this.log.error({ ...where, file }, 'hub refused report batch whole: kept as a dead letter (replay: --replay-dead-letter)');
    } catch (err) {
      this.opts.metrics?.reportErrors.inc({ kind: 'dead_letter_write' });
      this.log.error({ ...where, err }, 'dead letter write failed: batch lost');
    }
  }

  /** the hub took the batch but refused some items one by one: count them by code, log the first few batches */
  private itemsRefused(seq: number, refused: ReportAck['refused']): void {
    this.counters.itemsRefused += refused.length;
    for (const r of refused) this.opts.metrics?.reportItemsRefused.inc({ code: r.code ?? 'unspecified' });
    if (++this.refusalLogs <= 10 || this.refusalLogs % 1000 === 0) {
      this.log.warn({ seq, refused: refused.length, first: refused.slice(0, 3), batchesWithRefusals: this.refusalLogs }, 'hub refused report items one by one (the rest applied)');
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.retry.next());
  }

  private complete(seq: number): void {
    if (this.mem[0]?.seq === seq) this.mem.shift();
    else if (this.held[0]?.seq === seq) this.shiftHeld();
    else this.opts.spool.ack(seq);
  }

  /** resolves when nothing is left to send or the pump gave up (hub away) */
  private async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private async within(p: Promise<void>, ms: number): Promise<void> {
    let t: TimerHandle | null = null;
    await Promise.race([p, new Promise<void>((r) => (t = this.clock.setTimeout(r, ms)))]);
    if (t !== null) this.clock.clearTimeout(t);
  }
}
