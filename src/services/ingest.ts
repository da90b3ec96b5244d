/**
 * Ingest of agent report batches: idempotent by (agent, seq); each item is checked on its own
 * (`checkReportItem`: an invalid one is refused alone, the rest applied); the valid items go
 * through the evidence intake (item-by-item refusal of cameras outside the agent's
 * assignment, of dates beyond the clock tolerance ahead of the hub); transitions and the batch
 * ledger are committed by the transition sink before the agent is acknowledged.
 */
import type { Database } from '../db/client.ts';
import { ledgerHas } from '../db/transition-log.ts';
import type { ProbeResult, RefusalCode, ReportAck } from '../protocol/probe-result.ts';
import { checkReportItem, type ReportEnvelope } from '../protocol/report-items.ts';
import type { EvidenceIntake, Refusal } from './evidence-intake.ts';
import type { TransitionSink } from './transition-sink.ts';

const REFUSAL: Record<Exclude<Refusal['verdict'], 'future' | 'too_old'>, string> = {
  unknown_camera: 'unknown camera',
  not_assigned: 'camera is not assigned to this agent',
};

type RefusedItem = ReportAck['refused'][number];

/** The ack's words for an item the intake refused (`at`: the item's date, `now`: the hub's clock). */
function refusalOf(r: Refusal, at: number, now: number): RefusedItem {
  const reason =
    r.verdict === 'future'
      ? `dated ${Math.round((at - now) / 1000)} s ahead of the hub's clock`
      : r.verdict === 'too_old'
        ? `measured ${Math.round((now - at) / 3_600_000)} h before it arrived: older than late evidence may be`
        : REFUSAL[r.verdict];
  const code: RefusalCode = r.verdict;
  return { index: r.index, camera: r.camera, reason, code };
}

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

  async ingest(agentId: string, batch: ReportEnvelope): Promise<ReportAck> {
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

  private apply(agentId: string, batch: ReportEnvelope): Promise<ReportAck> {
    const now = this.now();
    const valid: ProbeResult[] = [];
    /** batch index of each valid item */
    const position: number[] = [];
    const invalid: RefusedItem[] = [];
    for (let i = 0; i < batch.items.length; i++) {
      const c = checkReportItem(batch.items[i]);
      if (c.ok) {
        valid.push(c.item);
        position.push(i);
      } else invalid.push({ index: i, camera: c.camera, reason: c.reason, code: 'invalid' });
    }
    const submitted = this.intake.submit(agentId, valid, now);
    const byIntake = submitted.refused.map((r) => refusalOf({ ...r, index: position[r.index]! }, valid[r.index]!.at, now));
    // in batch order, as the agent reads them
    const refused = invalid.concat(byIntake).sort((x, y) => x.index - y.index);
    this.counters.batches++;
    this.counters.items += batch.items.length;
    this.counters.refusedItems += refused.length;
    const ack: ReportAck = { seq: batch.seq, duplicate: false, accepted: batch.items.length - refused.length, refused };
    return this.sink.commit({ agentId, seq: batch.seq, receivedAt: now, accepted: ack.accepted, refused: refused.length }).then(() => ack);
  }
}
