/**
 * Ingest of agent report batches: idempotent by (agent, seq), item-by-item refusal
 * of cameras outside the agent's assignment, state applied in memory by the core,
 * transitions and the batch ledger committed before the agent is acknowledged.
 */
import type { Monitor } from '../core/monitor.ts';
import { RungStats } from '../core/rung-stats.ts';
import { ledgerHas, type TransitionLog } from '../db/transition-log.ts';
import type { Database } from '../db/client.ts';
import type { ProbeResult, ReportAck, ReportBatch } from '../protocol/probe-result.ts';

const REFUSAL: Record<string, string> = {
  unknown_camera: 'unknown camera',
  not_assigned: 'camera is not assigned to this agent',
};

interface AgentLedger {
  /** highest seq in the database when the hub started: at or below it, ask the database */
  persistedMax: number;
  /** recent batches of this run: the ack (or its promise while being committed) */
  recent: Map<number, Promise<ReportAck>>;
  lastReportAt: number | null;
}

export interface IngestCounters {
  batches: number;
  duplicateBatches: number;
  items: number;
  refusedItems: number;
  badRequests: number;
}

export class IngestService {
  readonly counters: IngestCounters = { batches: 0, duplicateBatches: 0, items: 0, refusedItems: 0, badRequests: 0 };
  readonly rungStats = new RungStats();
  private readonly agents = new Map<string, AgentLedger>();
  private readonly resultListeners: ((agentId: string, items: ProbeResult[], now: number) => void)[] = [];

  /** Called with every applied batch's items (evidence for tickets, drift statistics, …). Keep it cheap. */
  onResults(fn: (agentId: string, items: ProbeResult[], now: number) => void): void {
    this.resultListeners.push(fn);
  }

  constructor(
    private readonly monitor: Monitor,
    private readonly log: TransitionLog,
    private readonly db: Database,
    private readonly now: () => number,
    heads: Map<string, { maxSeq: number; lastAt: number }> = new Map(),
    private readonly recentLimit = 20_000,
  ) {
    for (const [agent, h] of heads) this.agents.set(agent, { persistedMax: h.maxSeq, recent: new Map(), lastReportAt: h.lastAt });
  }

  lastReportAt(agentId: string): number | null {
    return this.agents.get(agentId)?.lastReportAt ?? null;
  }

  /** Highest seq recorded for the agent (0 if none): handed to the agent with its assignment. */
  lastSeq(agentId: string): number {
    const l = this.agents.get(agentId);
    if (!l) return 0;
    let max = l.persistedMax;
    for (const seq of l.recent.keys()) if (seq > max) max = seq;
    return max;
  }

  async ingest(agentId: string, batch: ReportBatch): Promise<ReportAck> {
    let ledger = this.agents.get(agentId);
    if (!ledger) this.agents.set(agentId, (ledger = { persistedMax: 0, recent: new Map(), lastReportAt: null }));
    const earlier = ledger.recent.get(batch.seq);
    if (earlier) return this.duplicate(await earlier);
    if (batch.seq <= ledger.persistedMax && (await ledgerHas(this.db, agentId, batch.seq))) {
      return this.duplicate({ seq: batch.seq, duplicate: true, accepted: 0, refused: [] });
    }
    const again = ledger.recent.get(batch.seq); // a concurrent copy may have started during the lookup
    if (again) return this.duplicate(await again);

    const pending = this.apply(agentId, batch);
    ledger.recent.set(batch.seq, pending);
    if (ledger.recent.size > this.recentLimit) {
      const oldest = ledger.recent.keys().next().value as number;
      ledger.recent.delete(oldest);
      ledger.persistedMax = Math.max(ledger.persistedMax, oldest);
    }
    try {
      const ack = await pending;
      ledger.lastReportAt = this.now();
      return ack;
    } catch (e) {
      ledger.recent.delete(batch.seq); // not committed: the agent's retry must be processed
      throw e;
    }
  }

  private duplicate(ack: ReportAck): ReportAck {
    this.counters.duplicateBatches++;
    return { ...ack, duplicate: true };
  }

  private apply(agentId: string, batch: ReportBatch): Promise<ReportAck> {
    const now = this.now();
    const refused: ReportAck['refused'] = [];
    const items = batch.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const verdict = this.monitor.apply(agentId, item, now);
      if (verdict === 'unknown_camera' || verdict === 'not_assigned') {
        refused.push({ index: i, camera: item.camera, reason: REFUSAL[verdict]! });
      } else if (verdict === 'applied') {
        for (const r of item.rungs) this.rungStats.observe(r);
      }
    }
    for (const fn of this.resultListeners) fn(agentId, items, now);
    this.counters.batches++;
    this.counters.items += items.length;
    this.counters.refusedItems += refused.length;
    const ack: ReportAck = { seq: batch.seq, duplicate: false, accepted: items.length - refused.length, refused };
    return this.log.submit(this.monitor.drainTransitions(), { agentId, seq: batch.seq, receivedAt: now, accepted: ack.accepted, refused: refused.length }).then(() => ack);
  }
}
