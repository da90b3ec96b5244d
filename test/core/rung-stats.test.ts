/**
 * Rung latency buckets (src/core/rung-stats.ts) against Prometheus' rule, written here
 * separately: an observation of s seconds belongs to the first bucket whose upper bound
 * `le` is ≥ s (bounds are inclusive), and to +Inf beyond the last one.
 */
import { describe, expect, it } from 'vitest';
import { RUNG_BUCKETS_SECONDS, RungStats } from '../../src/core/rung-stats.ts';
import type { RungResult } from '../../src/protocol/probe-result.ts';

const BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** index of the bucket (0-based, BOUNDS.length = +Inf) an observation of `ms` falls in */
function oracleBucket(ms: number): number {
  const i = BOUNDS.findIndex((le) => ms / 1000 <= le);
  return i === -1 ? BOUNDS.length : i;
}
const r = (rung: RungResult['rung'], outcome: RungResult['outcome'], ms: number): RungResult => ({ rung, outcome, ms });

describe('rung latency buckets', () => {
  it('the bounds are the ones the dashboards and the exporter state (seconds, 1 ms … 10 s)', () => {
    expect([...RUNG_BUCKETS_SECONDS]).toEqual(BOUNDS);
  });

  it('a latency exactly on a bound falls in that bound (le is inclusive); one just above goes to the next; beyond 10 s is +Inf', () => {
    const cases = [0, 1, 1.0001, 5, 9.99, 10, 25, 50, 100, 100.5, 250, 500, 1000, 2500, 5000, 10_000, 10_001, 3_600_000];
    for (const ms of cases) {
      const s = new RungStats();
      s.observe(r('tcp', 'ok', ms));
      const [row] = s.drain();
      const want = Array.from({ length: BOUNDS.length + 1 }, (_, i) => (i === oracleBucket(ms) ? 1 : 0));
      expect({ ms, buckets: row!.bucketCounts }).toEqual({ ms, buckets: want });
      expect(row!.sum).toBeCloseTo(ms / 1000, 9);
      expect(row!.count).toBe(1);
    }
  });

  it('keeps each rung × outcome apart, sums seconds, and never records a skipped rung', () => {
    const s = new RungStats();
    s.observe(r('tcp', 'ok', 3));
    s.observe(r('tcp', 'ok', 7));
    s.observe(r('tcp', 'timeout', 7000));
    s.observe(r('frame', 'fail', 400));
    s.observe(r('rtsp', 'auth', 20));
    s.observe(r('onvif_time', 'skipped', 1));
    s.observe(r('onvif_auth', 'skipped', 1));
    const rows = s.drain();
    expect(rows.map((x) => `${x.rung}/${x.outcome}=${x.count}`)).toEqual(['tcp/ok=2', 'tcp/timeout=1', 'rtsp/auth=1', 'frame/fail=1']);
    const tcpOk = rows[0]!;
    expect(tcpOk.sum).toBeCloseTo(0.01, 9);
    expect(tcpOk.bucketCounts[oracleBucket(3)]).toBe(1);
    expect(tcpOk.bucketCounts[oracleBucket(7)]).toBe(1);
    expect(tcpOk.bucketCounts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(rows[1]!.bucketCounts[oracleBucket(7000)]).toBe(1);
    expect(rows[1]!.sum).toBeCloseTo(7, 9);
  });

  it('an unknown rung or outcome (a newer agent) is ignored, not counted under another label', () => {
    const s = new RungStats();
    s.observe({ rung: 'gb_keepalive', outcome: 'ok', ms: 1 } as unknown as RungResult);
    s.observe({ rung: 'tcp', outcome: 'busy', ms: 1 } as unknown as RungResult);
    expect(s.drain()).toEqual([]);
  });

  it('drain hands out the counts since the last drain and starts again from zero', () => {
    const s = new RungStats();
    s.observe(r('rtsp', 'ok', 30));
    s.observe(r('rtsp', 'ok', 30));
    expect(s.drain()).toMatchObject([{ rung: 'rtsp', outcome: 'ok', count: 2 }]);
    expect(s.drain()).toEqual([]);
    s.observe(r('rtsp', 'ok', 30));
    const [again] = s.drain();
    expect(again!.count).toBe(1);
    expect(again!.sum).toBeCloseTo(0.03, 9);
    expect(again!.bucketCounts[oracleBucket(30)]).toBe(1);
  });
});
