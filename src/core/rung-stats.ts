/**
 * Probe latency by rung and outcome, as cumulative histogram buckets (Prometheus
 * semantics). O(1) per observation: at 250 k results/s a per-sample array or a
 * labelled prom-client observe() would cost too much.
 */
import { RUNGS, RUNG_OUTCOMES, type Rung, type RungOutcome, type RungResult } from '../protocol/probe-result.ts';

export const RUNG_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const NO = RUNG_OUTCOMES.length;
const NB = RUNG_BUCKETS_SECONDS.length + 1;

export class RungStats {
  private readonly counts = new Float64Array(RUNGS.length * NO * NB);
  private readonly sums = new Float64Array(RUNGS.length * NO);
  private readonly rungIndex = new Map<string, number>(RUNGS.map((r, i) => [r, i]));
  private readonly outcomeIndex = new Map<string, number>(RUNG_OUTCOMES.map((o, i) => [o, i]));

  observe(r: RungResult): void {
    if (r.outcome === 'skipped') return;
    const ri = this.rungIndex.get(r.rung);
    const oi = this.outcomeIndex.get(r.outcome);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: an unknown label gives a NaN index, which a typed array ignores — the guard says so rather than relying on it
    if (ri === undefined || oi === undefined) return;
    const s = r.ms / 1000;
    let b = 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: past the last bound, s > undefined is false and ends the loop anyway
    while (b < RUNG_BUCKETS_SECONDS.length && s > RUNG_BUCKETS_SECONDS[b]!) b++;
    const key = ri * NO + oi;
    this.counts[key * NB + b]! += 1;
    this.sums[key]! += s;
  }

  /** counts since the last drain (non-cumulative per bucket, last = +Inf), then zero */
  drain(): { rung: Rung; outcome: RungOutcome; bucketCounts: number[]; sum: number; count: number }[] {
    const out: { rung: Rung; outcome: RungOutcome; bucketCounts: number[]; sum: number; count: number }[] = [];
    for (const [ri, rung] of RUNGS.entries()) {
      for (const [oi, outcome] of RUNG_OUTCOMES.entries()) {
        const key = ri * NO + oi;
        const bucketCounts = Array.from(this.counts.subarray(key * NB, key * NB + NB));
        const count = bucketCounts.reduce((a, b) => a + b, 0);
        if (count === 0) continue;
        out.push({ rung, outcome, bucketCounts, sum: this.sums[key]!, count });
        // Stryker disable next-line ArithmeticOperator: a start before key * NB only zeroes keys this drain already handed out and zeroed
        this.counts.fill(0, key * NB, key * NB + NB);
        this.sums[key] = 0;
      }
    }
    return out;
  }
}
