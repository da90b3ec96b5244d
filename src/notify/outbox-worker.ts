/**
 * Delivers the notification outbox: oldest first, one target at a time in order,
 * retries with exponential back-off, gives up after `maxAttempts` (the row keeps
 * the last error). A row is marked delivered right after the receiver accepts it;
 * rows survive restarts, so nothing is lost. The only window for a repeat is a
 * crash between the receiver's 2xx and that update — receivers dedupe on X-Event-Id.
 */
import { markDelivery, pendingDeliveries, type PendingDelivery } from '../db/ticket-store.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { RetryPolicy, WebhookTarget } from './config.ts';
import { robotAccepted, signedDingTalkUrl, webhookBody, type NotifyPayload } from './formats.ts';

export class OutboxWorker {
  delivered = 0;
  failedAttempts = 0;
  private readonly targets: Map<string, WebhookTarget>;
  /** row id → earliest real time of the next attempt */
  private readonly notBefore = new Map<number, number>();
  private running: Promise<void> | null = null;
  // Stryker disable next-line BooleanLiteral: never read before loop() sets it to false at the start of each pass (kick() reads only `running`)
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    targets: WebhookTarget[],
    private readonly retry: RetryPolicy,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    this.targets = new Map(targets.map((t) => [t.name, t]));
  }

  /** Something new is in the outbox (or a back-off ended): run a pass soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Stop after the delivery in flight (its outcome is recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Tests: wait until the outbox is idle (nothing running; back-offs may remain). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (e) {
        if (!this.stopped) this.logger.warn({ err: e }, 'notification outbox pass failed; will retry');
        this.schedule(this.retry.baseMs);
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    const rows = await pendingDeliveries(this.db, 200);
    const blocked = new Set<string>();
    let soonest = Infinity;
    for (const row of rows) {
      if (this.stopped) return;
      if (blocked.has(row.target)) continue;
      const wait = (this.notBefore.get(row.id) ?? 0) - Date.now();
      if (wait > 0) {
        blocked.add(row.target); // keep each target's events in order
        soonest = Math.min(soonest, wait);
        continue;
      }
      const ok = await this.deliver(row);
      if (!ok) {
        blocked.add(row.target);
        const next = this.notBefore.get(row.id);
        // Stryker disable next-line ConditionalExpression: deliver() returns false only right after notBefore.set(row.id, …), so `next` is always defined here
        if (next !== undefined) soonest = Math.min(soonest, next - Date.now());
      }
    }
    if (rows.length === 200) this.again = true;
    if (soonest < Infinity) this.schedule(Math.max(0, soonest));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private async deliver(row: PendingDelivery): Promise<boolean> {
    const target = this.targets.get(row.target);
    const attempts = row.attempts + 1;
    if (!target) {
      await markDelivery(this.db, row.id, attempts, { failedAt: this.now(), error: `no webhook named ${row.target} in notify.yaml` });
      return true;
    }
    let error: string;
    try {
      const payload = row.payload as NotifyPayload;
      const url = target.format === 'dingtalk' && target.secret ? signedDingTalkUrl(target.url, target.secret, Date.now()) : target.url;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-event-id': row.eventKey },
        body: JSON.stringify(webhookBody(target.format, payload)),
        signal: AbortSignal.timeout(this.retry.timeoutMs),
      });
      const text = await res.text();
      if (robotAccepted(target.format, res.status, text)) {
        await markDelivery(this.db, row.id, attempts, { deliveredAt: this.now() });
        this.notBefore.delete(row.id);
        this.delivered++;
        return true;
      }
      error = `HTTP ${res.status} ${text.slice(0, 200)}`;
    } catch (e) {
      error = (e as Error).message;
    }
    this.failedAttempts++;
    if (attempts >= this.retry.maxAttempts) {
      await markDelivery(this.db, row.id, attempts, { failedAt: this.now(), error });
      this.notBefore.delete(row.id);
      this.logger.error({ target: row.target, event: row.eventKey, attempts, error }, 'notification given up');
      return true;
    }
    await markDelivery(this.db, row.id, attempts, { error });
    const backoff = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempts - 1));
    this.notBefore.set(row.id, Date.now() + backoff);
    this.logger.warn({ target: row.target, event: row.eventKey, attempts, backoffMs: backoff, error }, 'notification failed; will retry');
    return false;
  }
}
