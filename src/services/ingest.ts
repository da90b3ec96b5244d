/**
 * Ingest of agent report batches: idempotent by (agent, seq); the items go through the
 * evidence intake (item-by-item refusal of cameras outside the agent's assignment);
 * transitions and the batch ledger are committed by the transition sink before the agent
 * is acknowledged.
 */
import type { Database } from '../db/client.ts';
import { ledgerHas } from '../db/transition-log.ts';
import type { ReportAck, ReportBatch } from '../protocol/probe-result.ts';
import type { EvidenceIntake, Refusal } from './evidence-intake.ts';
import type { TransitionSink } from './transition-sink.ts';

const REFUSAL: Record<Refusal['verdict'], string> = {
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
  private readonly agents = new Map<string, AgentLedger>();

  constructor(
    private readonly intake: EvidenceIntake,
    private readonly sink: TransitionSink,
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
    // Stryker disable next-line EqualityOperator: on a tie max is already seq
    for (const seq of l.recent.keys()) if (seq > max) max = seq;
    return max;
  }

  async ingest(agentId: string, batch: ReportBatch): Promise<ReportAck> {
    let ledger = this.agents.get(agentId);
    if (!ledger) this.agents.set(agentId, (ledger = { persistedMax: 0, recent: new Map(), lastReportAt: null }));
    const earlier = ledger.recent.get(batch.seq);
    if (earlier) return this.duplicate(await earlier);
    if (batch.seq <= ledger.persistedMax && (await ledgerHas(this.db, agentId, batch.seq))) {
      // Stryker disable next-line BooleanLiteral: duplicate() sets duplicate: true over it
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
    const { refused } = this.intake.submit(agentId, batch.items, now);
    this.counters.batches++;
    this.counters.items += batch.items.length;
    this.counters.refusedItems += refused.length;
    const ack: ReportAck = {
      seq: batch.seq,
      duplicate: false,
      accepted: batch.items.length - refused.length,
      refused: refused.map((r) => ({ index: r.index, camera: r.camera, reason: REFUSAL[r.verdict] })),
    };
    return this.sink.commit({ agentId, seq: batch.seq, receivedAt: now, accepted: ack.accepted, refused: refused.length }).then(() => ack);
  }
}
