/**
 * Ingest's rules, on the real services over a real database (PGlite from the template) but
 * without a whole hub: idempotency by (agent, seq) in this run, after a restart and under
 * concurrency; the ack only after commit; a failed commit leaves the batch to its retry;
 * the agent's last seq and last report; item-by-item refusal with the reasons agents read;
 * the evidence intake handing only applied items to its listeners.
 * (The same paths through HTTP and a whole hub: ingest.test.ts, evidence-intake.test.ts.)
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor, type CameraSpec } from '../../src/core/monitor.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { ledgerHeads, TransitionLog } from '../../src/db/transition-log.ts';
import { createLogger } from '../../src/log.ts';
import type { ProbeResult, ReportAck } from '../../src/protocol/probe-result.ts';
import { EvidenceIntake } from '../../src/services/evidence-intake.ts';
import { IngestService } from '../../src/services/ingest.ts';
import { TransitionSink } from '../../src/services/transition-sink.ts';
import { pgliteTemplate } from '../support/databases.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const grids: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
const ok = (camera: string, at: number): ProbeResult => ({ camera, at, fault: null, rungs: [], clockOffsetMs: 0 });
const down = (camera: string, at: number): ProbeResult => ({ camera, at, fault: 'unreachable', rungs: [], clockOffsetMs: null });

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: pgliteTemplate() });
});
afterAll(async () => {
  await db?.close();
});

let agentN = 0;
/** A fresh agent id per test (one database for the file), its cameras A, B, C, and the services. */
function world(opts: { recentLimit?: number; sink?: (real: TransitionSink) => TransitionSink } = {}) {
  const agent = `ag-${++agentN}`;
  const other = `${agent}-other`;
  const cams: CameraSpec[] = [
    { code: `${agent}-A`, gridId: 'g1', siteId: null, agentId: agent },
    { code: `${agent}-B`, gridId: 'g1', siteId: null, agentId: agent },
    { code: `${agent}-X`, gridId: 'g1', siteId: null, agentId: other },
  ];
  let now = T0;
  const clock = { now: () => now, set: (t: number) => (now = t) };
  const monitor = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, T0);
  const intake = new EvidenceIntake(monitor);
  const log = new TransitionLog(db);
  const logger = createLogger('test', new Writable({ write: (_c, _e, cb) => cb() }));
  const realSink = new TransitionSink(monitor, log, logger);
  const sink = opts.sink ? opts.sink(realSink) : realSink;
  const make = (heads = new Map<string, { maxSeq: number; lastAt: number }>()) => new IngestService(intake, sink, db, clock.now, heads, opts.recentLimit);
  return { agent, other, A: `${agent}-A`, B: `${agent}-B`, X: `${agent}-X`, clock, monitor, intake, log, make };
}

async function ledgerRows(agent: string) {
  const rows = await db.query<{ seq: string; accepted: number; refused: number; at: number }>(
    `select seq::text, accepted, refused, (extract(epoch from received_at) * 1000)::float8 as at from ingest_batches where agent_id = $1 order by seq`,
    [agent],
  );
  return rows.map((r) => ({ seq: Number(r.seq), accepted: r.accepted, refused: r.refused, at: Number(r.at) }));
}

async function transitionsOf(camera: string) {
  return db.query<{ from_state: string; to_state: string }>(`select from_state, to_state from camera_transitions where camera_code = $1 order by id`, [camera]);
}

describe('ingest: one batch', () => {
  it('acknowledges with the accepted count and each refused item by index, camera and the reason the agent logs', async () => {
    const w = world();
    const svc = w.make();
    const ack = await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [ok(w.A, T0), ok('nobody', T0), ok(w.B, T0), ok(w.X, T0)] });
    expect(ack).toEqual<ReportAck>({
      seq: 1,
      duplicate: false,
      accepted: 2,
      refused: [
        { index: 1, camera: 'nobody', reason: 'unknown camera', code: 'unknown_camera' },
        { index: 3, camera: w.X, reason: 'camera is not assigned to this agent', code: 'not_assigned' },
      ],
    });
    expect(svc.counters).toEqual({ batches: 1, duplicateBatches: 0, items: 4, refusedItems: 2, badRequests: 0 });
  });

  it('answers only once the ledger row and the transitions are committed', async () => {
    const w = world();
    const svc = w.make();
    w.clock.set(T0 + 5000);
    // two successes (M = 2 make A online from unknown, from the first), 3 s apart: 2 accepted, 'nobody' refused
    await svc.ingest(w.agent, { seq: 7, sentAt: T0, items: [ok(w.A, T0 + 1000), ok(w.A, T0 + 4000), ok('nobody', T0)] });
    expect(await ledgerRows(w.agent)).toEqual([{ seq: 7, accepted: 2, refused: 1, at: T0 + 5000 }]);
    expect(await transitionsOf(w.A)).toEqual([{ from_state: 'unknown', to_state: 'online' }]);
    expect(w.monitor.drainTransitions()).toEqual([]); // nothing left behind in the monitor
  });

  it("records the agent's last report at commit time (hub clock) and its last seq", async () => {
    const w = world();
    const svc = w.make();
    expect(svc.lastReportAt(w.agent)).toBeNull();
    expect(svc.lastSeq(w.agent)).toBe(0);
    w.clock.set(T0 + 1234);
    await svc.ingest(w.agent, { seq: 3, sentAt: T0, items: [ok(w.A, T0)] });
    expect(svc.lastReportAt(w.agent)).toBe(T0 + 1234);
    w.clock.set(T0 + 2000);
    await svc.ingest(w.agent, { seq: 2, sentAt: T0, items: [ok(w.A, T0 + 1)] });
    expect(svc.lastSeq(w.agent)).toBe(3); // the highest, not the latest
    expect(svc.lastReportAt(w.agent)).toBe(T0 + 2000);
    expect(svc.lastSeq('someone-else')).toBe(0);
  });
});

describe('ingest: idempotent by (agent, seq)', () => {
  it('a replay in the same run answers the first ack again, marked duplicate, and applies nothing', async () => {
    const w = world();
    const svc = w.make();
    const first = await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [down(w.A, T0), ok('nobody', T0)] });
    const again = await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [down(w.A, T0 + 1), down(w.A, T0 + 2)] });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(again.refused).toEqual([{ index: 1, camera: 'nobody', reason: 'unknown camera', code: 'unknown_camera' }]);
    expect(w.monitor.cameras.get(w.A)!.failStreak).toBe(1); // the replay's two failures were not applied
    expect(svc.counters).toMatchObject({ batches: 1, duplicateBatches: 1, items: 2 });
    expect(await ledgerRows(w.agent)).toHaveLength(1);
  });

  it('the same seq from another agent is another batch', async () => {
    const w = world();
    const svc = w.make();
    await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [ok(w.A, T0)] });
    const theirs = await svc.ingest(w.other, { seq: 1, sentAt: T0, items: [ok(w.X, T0)] });
    expect(theirs).toEqual({ seq: 1, duplicate: false, accepted: 1, refused: [] });
    expect(svc.counters.duplicateBatches).toBe(0);
  });

  it('concurrent copies of one batch are applied once; both callers get its ack', async () => {
    const w = world();
    const svc = w.make();
    const b = { seq: 4, sentAt: T0, items: [down(w.A, T0), down(w.B, T0)] };
    const [x, y, z] = await Promise.all([svc.ingest(w.agent, b), svc.ingest(w.agent, b), svc.ingest(w.agent, b)]);
    expect([x, y, z].filter((a) => !a.duplicate)).toHaveLength(1);
    for (const a of [x, y, z]) expect(a).toMatchObject({ seq: 4, accepted: 2, refused: [] });
    expect(svc.counters).toMatchObject({ batches: 1, duplicateBatches: 2 });
    expect(w.monitor.cameras.get(w.A)!.failStreak).toBe(1);
    expect(await ledgerRows(w.agent)).toHaveLength(1);
  });

  it('after a restart a replay at or below the persisted head is found in the ledger: duplicate, nothing accepted', async () => {
    const w = world();
    const before = w.make();
    w.clock.set(T0 + 10_000);
    for (const seq of [1, 2, 3]) await before.ingest(w.agent, { seq, sentAt: T0, items: [ok(w.A, T0 + seq)] });
    const heads = await ledgerHeads(db);
    expect(heads.get(w.agent)).toEqual({ maxSeq: 3, lastAt: T0 + 10_000 });

    const after = w.make(heads);
    expect(after.lastSeq(w.agent)).toBe(3);
    expect(after.lastReportAt(w.agent)).toBe(T0 + 10_000);
    const replay = await after.ingest(w.agent, { seq: 2, sentAt: T0, items: [down(w.A, T0 + 100)] });
    expect(replay).toEqual({ seq: 2, duplicate: true, accepted: 0, refused: [] });
    expect(after.counters).toMatchObject({ batches: 0, duplicateBatches: 1 });
    expect(w.monitor.cameras.get(w.A)!.failStreak).toBe(0);
  });

  it('after a restart a seq at or below the head that the ledger does not hold (a gap) is applied', async () => {
    const w = world();
    const before = w.make();
    for (const seq of [1, 3]) await before.ingest(w.agent, { seq, sentAt: T0, items: [ok(w.A, T0 + seq)] });
    const after = w.make(await ledgerHeads(db));
    const gap = await after.ingest(w.agent, { seq: 2, sentAt: T0, items: [down(w.A, T0 + 50)] });
    expect(gap).toEqual({ seq: 2, duplicate: false, accepted: 1, refused: [] });
    expect((await ledgerRows(w.agent)).map((r) => r.seq)).toEqual([1, 2, 3]);
    // and once applied, its replay answers this run's ack (not the ledger's bare "seen")
    expect(await after.ingest(w.agent, { seq: 2, sentAt: T0, items: [] })).toEqual({ seq: 2, duplicate: true, accepted: 1, refused: [] });
  });

  it('concurrent copies of a gap batch after a restart (both ask the ledger first) are applied once', async () => {
    const w = world();
    const before = w.make();
    for (const seq of [1, 3]) await before.ingest(w.agent, { seq, sentAt: T0, items: [ok(w.A, T0 + seq)] });
    const after = w.make(await ledgerHeads(db));
    const b = { seq: 2, sentAt: T0, items: [down(w.A, T0 + 50), down(w.B, T0 + 50)] };
    const acks = await Promise.all([after.ingest(w.agent, b), after.ingest(w.agent, b)]);
    expect(acks.map((a) => a.duplicate).sort()).toEqual([false, true]);
    for (const a of acks) expect(a).toMatchObject({ seq: 2, accepted: 2, refused: [] });
    expect(after.counters).toMatchObject({ batches: 1, duplicateBatches: 1, items: 2 });
  });

  it('a batch above the persisted head after a restart is new without asking the database', async () => {
    const w = world();
    const before = w.make();
    await before.ingest(w.agent, { seq: 1, sentAt: T0, items: [ok(w.A, T0)] });
    const after = w.make(await ledgerHeads(db));
    const queries: string[] = [];
    const spy = db.query.bind(db);
    db.query = (async (sql: string, params?: unknown[]) => {
      queries.push(sql);
      return spy(sql, params);
    }) as Database['query'];
    try {
      expect((await after.ingest(w.agent, { seq: 2, sentAt: T0, items: [ok(w.A, T0 + 5)] })).duplicate).toBe(false);
    } finally {
      db.query = spy;
    }
    expect(queries.filter((q) => /select 1 from ingest_batches/.test(q))).toEqual([]);
  });

  it('the recent map holds up to its limit: at the limit the oldest batch still answers its own ack', async () => {
    const w = world({ recentLimit: 2 });
    const svc = w.make();
    for (const seq of [1, 2]) await svc.ingest(w.agent, { seq, sentAt: T0, items: [ok(w.A, T0 + seq)] });
    expect(await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [] })).toEqual({ seq: 1, duplicate: true, accepted: 1, refused: [] });
  });

  it('the recent map is bounded: the oldest batch leaves it, its replay is then judged by the ledger, and the last seq is kept', async () => {
    const w = world({ recentLimit: 2 });
    const svc = w.make();
    for (const seq of [1, 2, 3]) await svc.ingest(w.agent, { seq, sentAt: T0, items: [ok(w.A, T0 + seq)] });
    expect(svc.lastSeq(w.agent)).toBe(3);
    const replayOfEvicted = await svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [down(w.A, T0 + 10)] });
    expect(replayOfEvicted).toEqual({ seq: 1, duplicate: true, accepted: 0, refused: [] }); // from the ledger, not the map
    const replayOfRecent = await svc.ingest(w.agent, { seq: 3, sentAt: T0, items: [] });
    expect(replayOfRecent).toEqual({ seq: 3, duplicate: true, accepted: 1, refused: [] }); // from the map: the first ack
    expect(svc.counters).toMatchObject({ batches: 3, duplicateBatches: 2 });
    expect(w.monitor.cameras.get(w.A)!.failStreak).toBe(0);
  });
});

describe('ingest: a failed commit', () => {
  it('is an error to the agent, leaves its last report unchanged, and lets the retry of that seq through', async () => {
    let failNext = true;
    const w = world({
      sink: (real) =>
        ({
          commit: (row) => {
            if (failNext) {
              failNext = false;
              return Promise.reject(new Error('database write failed: connection refused'));
            }
            return real.commit(row);
          },
        }) as TransitionSink,
    });
    const svc = w.make();
    w.clock.set(T0 + 100);
    // two successes, 100 ms apart: M = 2 make A online (the transition whose write fails)
    const items = [ok(w.A, T0), ok(w.A, T0 + 100)];
    await expect(svc.ingest(w.agent, { seq: 1, sentAt: T0, items })).rejects.toThrow(/connection refused/);
    expect(svc.lastReportAt(w.agent)).toBeNull();
    expect(svc.lastSeq(w.agent)).toBe(0); // not remembered: the agent must send it again
    w.clock.set(T0 + 200);
    const retry = await svc.ingest(w.agent, { seq: 1, sentAt: T0, items });
    expect(retry.duplicate).toBe(false);
    expect(svc.lastReportAt(w.agent)).toBe(T0 + 200);
    // the first attempt's evidence was applied (a decision is never undone); the retry finds
    // both items "old", counts them accepted (2) and commits the transition the failed write left behind
    expect(retry).toEqual({ seq: 1, duplicate: false, accepted: 2, refused: [] });
    expect(await ledgerRows(w.agent)).toEqual([{ seq: 1, accepted: 2, refused: 0, at: T0 + 200 }]);
    expect(await transitionsOf(w.A)).toEqual([{ from_state: 'unknown', to_state: 'online' }]);
  });
});

describe('evidence intake', () => {
  it('hands only applied items to its listeners, in order, with the hub time; refusals carry index, camera and verdict', () => {
    const w = world();
    const seen: { cameras: string[]; now: number }[] = [];
    w.intake.onApplied((applied, now) => seen.push({ cameras: applied.map((r) => r.camera), now }));
    const out = w.intake.submit(w.agent, [ok(w.B, T0), ok('nobody', T0), ok(w.A, T0), ok(w.X, T0), ok(w.A, T0)], T0 + 9);
    expect(out).toEqual({
      applied: 2,
      refused: [
        { index: 1, camera: 'nobody', verdict: 'unknown_camera' },
        { index: 3, camera: w.X, verdict: 'not_assigned' },
      ],
    }); // the second A (not newer) is old: neither applied nor refused
    expect(seen).toEqual([{ cameras: [w.B, w.A], now: T0 + 9 }]);
  });

  it('calls no listener when nothing was applied, and every listener when something was', () => {
    const w = world();
    const calls: string[] = [];
    w.intake.onApplied(() => calls.push('first'));
    w.intake.onApplied(() => calls.push('second'));
    expect(w.intake.submit(w.agent, [ok('nobody', T0), ok(w.X, T0)], T0)).toMatchObject({ applied: 0 });
    expect(w.intake.submit(w.agent, [], T0)).toEqual({ applied: 0, refused: [] });
    expect(calls).toEqual([]);
    w.intake.submit(w.agent, [down(w.A, T0)], T0);
    expect(calls).toEqual(['first', 'second']);
  });
});
