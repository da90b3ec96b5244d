/**
 * Ingest's per-item rules, on the real services over PGlite (no whole hub; the HTTP path on
 * both databases is ingest-per-item.test.ts): an item that does not match the schema is
 * refused alone — index, camera, reason, code `invalid` — and the rest of its batch applied;
 * an item dated beyond the clock tolerance ahead of the hub is refused as `future`; refusals
 * of both kinds and the intake's come back in batch order; the ledger counts them; unknown
 * properties (a newer agent's) are ignored; idempotence by (agent, seq) holds throughout.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor, type CameraSpec } from '../../src/core/monitor.ts';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { TransitionLog } from '../../src/db/transition-log.ts';
import { createLogger } from '../../src/log.ts';
import type { ProbeResult, ReportAck } from '../../src/protocol/probe-result.ts';
import { EvidenceIntake } from '../../src/services/evidence-intake.ts';
import { IngestService } from '../../src/services/ingest.ts';
import { TransitionSink } from '../../src/services/transition-sink.ts';
import { pgliteTemplate } from '../support/databases.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const TOLERANCE = DEFAULT_MONITOR_CONFIG.futureToleranceMs;
const grids: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
const ok = (camera: string, at: number): ProbeResult => ({ camera, at, fault: null, rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1 }], clockOffsetMs: 0 });
const down = (camera: string, at: number): ProbeResult => ({ camera, at, fault: 'unreachable', rungs: [{ rung: 'tcp', outcome: 'timeout', ms: 3000 }], clockOffsetMs: null });
/** the finding of issue 14: a camera's SOAP fault string copied uncapped into `detail` */
const soapFault = (camera: string, at: number) => ({
  camera,
  at,
  fault: 'onvif_down',
  rungs: [
    { rung: 'tcp', outcome: 'ok', ms: 1 },
    { rung: 'onvif_time', outcome: 'fail', ms: 9, detail: `env:Receiver ${'ter:ActionNotSupported '.repeat(20)}` },
  ],
  clockOffsetMs: null,
});
const DETAIL_REASON = 'invalid item: /rungs/1/detail must not have more than 200 characters';

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: pgliteTemplate() });
});
afterAll(async () => {
  await db?.close();
});

let agentN = 0;
function world() {
  const agent = `pi-${++agentN}`;
  const cams: CameraSpec[] = ['A', 'B', 'C'].map((x) => ({ code: `${agent}-${x}`, gridId: 'g1', siteId: null, agentId: agent }));
  cams.push({ code: `${agent}-X`, gridId: 'g1', siteId: null, agentId: `${agent}-other` });
  let now = T0;
  const monitor = new Monitor(DEFAULT_MONITOR_CONFIG, grids, cams, T0);
  const intake = new EvidenceIntake(monitor);
  const applied: ProbeResult[] = [];
  intake.onApplied((items) => applied.push(...items));
  const logger = createLogger('test', new Writable({ write: (_c, _e, cb) => cb() }));
  const sink = new TransitionSink(monitor, new TransitionLog(db), logger);
  const svc = new IngestService(intake, sink, db, () => now, new Map());
  return { agent, A: `${agent}-A`, B: `${agent}-B`, C: `${agent}-C`, X: `${agent}-X`, monitor, applied, svc, setNow: (t: number) => (now = t) };
}

async function ledgerRow(agent: string, seq: number) {
  const rows = await db.query<{ accepted: number; refused: number }>(`select accepted, refused from ingest_batches where agent_id = $1 and seq = $2`, [agent, seq]);
  return rows[0];
}

describe('ingest: an invalid item is refused alone', () => {
  it('one item with a 300-character detail among good ones: the others are applied, the bad one listed with its reason', async () => {
    const w = world();
    // from unknown a camera is online after M = 2 successes: A and C answer twice, 30 s apart (the hub's clock at the second)
    w.setNow(T0 + 30_000);
    const items = [ok(w.A, T0), ok(w.A, T0 + 30_000), soapFault(w.B, T0 + 30_000), ok(w.C, T0), ok(w.C, T0 + 30_000)];
    const ack = await w.svc.ingest(w.agent, { seq: 1, sentAt: T0 + 30_000, items });
    // 5 items: 4 successes applied (A ×2, C ×2), the SOAP fault (index 2) refused
    expect(ack).toEqual<ReportAck>({
      seq: 1,
      duplicate: false,
      accepted: 4,
      refused: [{ index: 2, camera: w.B, reason: DETAIL_REASON, code: 'invalid' }],
    });
    expect(w.monitor.cameras.get(w.A)!.state).toBe('online');
    expect(w.monitor.cameras.get(w.C)!.state).toBe('online');
    expect(w.monitor.cameras.get(w.B)!.state).toBe('unknown');
    expect(w.monitor.cameras.get(w.B)!.lastResultAt).toBe(-Infinity);
    expect(w.applied.map((r) => r.camera)).toEqual([w.A, w.A, w.C, w.C]);
    expect(await ledgerRow(w.agent, 1)).toEqual({ accepted: 4, refused: 1 });
    expect(w.svc.counters).toEqual({ batches: 1, duplicateBatches: 0, items: 5, refusedItems: 1, badRequests: 0 });
  });

  it.each([
    ['not an object', null, '', 'invalid item: / must be object'],
    ['a number', 7, '', 'invalid item: / must be object'],
    ['a list', [1], '', 'invalid item: / must be object'],
    ['no camera', { at: T0, fault: null, rungs: [], clockOffsetMs: null }, '', 'invalid item: / must have required properties camera'],
    ['a camera that is not text', { camera: 12, at: T0, fault: null, rungs: [], clockOffsetMs: null }, '', 'invalid item: /camera must be string'],
    ['a fault class nobody knows', { ...ok('cam', T0), fault: 'on_fire' }, 'cam', 'invalid item: /fault must be equal to one of the allowed values'],
    ['a negative latency', { ...ok('cam', T0), rungs: [{ rung: 'tcp', outcome: 'ok', ms: -1 }] }, 'cam', 'invalid item: /rungs/0/ms must be >= 0'],
    ['a fractional date', { ...ok('cam', T0), at: T0 + 0.5 }, 'cam', 'invalid item: /at must be integer'],
  ])('%s: refused alone, camera echoed when it is text', async (_name, bad, camera, reason) => {
    const w = world();
    // the good camera answers twice, 30 s apart (M = 2 successes make it online): 2 accepted
    w.setNow(T0 + 30_000);
    const ack = await w.svc.ingest(w.agent, { seq: 1, sentAt: T0 + 30_000, items: [bad, ok(w.A, T0), ok(w.A, T0 + 30_000)] });
    expect(ack.accepted).toBe(2);
    expect(ack.refused).toHaveLength(1);
    expect(ack.refused[0]).toMatchObject({ index: 0, camera, code: 'invalid' });
    expect(ack.refused[0]!.reason.startsWith(reason)).toBe(true);
    expect(w.monitor.cameras.get(w.A)!.state).toBe('online');
  });

  it('echoes at most 64 characters of an over-long camera code, and at most 200 of the reason', async () => {
    const w = world();
    const ack = await w.svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [{ ...ok('y'.repeat(5000), T0) }] });
    expect(ack.refused).toEqual([{ index: 0, camera: 'y'.repeat(64), reason: 'invalid item: /camera must not have more than 64 characters', code: 'invalid' }]);
    const many = { camera: 'c', at: -1, fault: 'x', rungs: [{ rung: 'x', outcome: 'x', ms: -1 }], clockOffsetMs: 'x', source: 'x' };
    const ack2 = await w.svc.ingest(w.agent, { seq: 2, sentAt: T0, items: [many] });
    expect(ack2.refused[0]!.reason.length).toBeLessThanOrEqual(200);
    expect(ack2.refused[0]!.reason).toMatch(/^invalid item: \/at must be >= 0; /);
  });

  it('every item invalid: nothing applied, the batch still acknowledged and recorded (not retried)', async () => {
    const w = world();
    const ack = await w.svc.ingest(w.agent, { seq: 4, sentAt: T0, items: [soapFault(w.A, T0), soapFault(w.B, T0)] });
    expect(ack.accepted).toBe(0);
    expect(ack.refused.map((r) => r.index)).toEqual([0, 1]);
    expect(await ledgerRow(w.agent, 4)).toEqual({ accepted: 0, refused: 2 });
    expect(w.applied).toEqual([]);
  });

  it('unknown properties (a newer agent) are ignored, in the item and its rungs: the item is applied without them', async () => {
    const w = world();
    const newer = { ...ok(w.A, T0), firmware: 'V5.7.3', rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1, rttVar: 0.2 }] };
    const ack = await w.svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [newer] });
    expect(ack).toEqual({ seq: 1, duplicate: false, accepted: 1, refused: [] });
    expect(w.applied).toEqual([ok(w.A, T0)]);
  });

  it('lists invalid, foreign, unknown and future items together in batch order, with their codes', async () => {
    const w = world();
    const items = [ok(w.X, T0), soapFault(w.A, T0), ok('ghost', T0), ok(w.B, T0 + TOLERANCE + 600), null, ok(w.C, T0)];
    const ack = await w.svc.ingest(w.agent, { seq: 9, sentAt: T0, items });
    expect(ack.refused.map((r) => [r.index, r.code])).toEqual([
      [0, 'not_assigned'],
      [1, 'invalid'],
      [2, 'unknown_camera'],
      [3, 'future'],
      [4, 'invalid'],
    ]);
    expect(ack.accepted).toBe(1);
    expect(await ledgerRow(w.agent, 9)).toEqual({ accepted: 1, refused: 5 });
    expect(w.svc.counters.refusedItems).toBe(5);
  });

  it('a replay of a batch with invalid items is a duplicate: the same refusals, nothing applied again', async () => {
    const w = world();
    const b = { seq: 3, sentAt: T0, items: [down(w.A, T0), soapFault(w.B, T0)] };
    const first = await w.svc.ingest(w.agent, b);
    const again = await w.svc.ingest(w.agent, { ...b, items: [down(w.A, T0 + 1), soapFault(w.B, T0 + 1)] });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(w.monitor.cameras.get(w.A)!.failStreak).toBe(1);
  });
});

describe('ingest: items dated ahead of the hub', () => {
  it('refuses an item beyond the tolerance with the seconds it is ahead; one at the tolerance is applied', async () => {
    const w = world();
    w.setNow(T0 + 1000);
    // B answers twice, 30 s apart, the second exactly at the tolerance (M = 2 successes make it online): 2 accepted
    const atTolerance = T0 + 1000 + TOLERANCE;
    const ack = await w.svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [ok(w.A, T0 + 1000 + TOLERANCE + 600), ok(w.B, atTolerance - 30_000), ok(w.B, atTolerance)] });
    expect(ack).toEqual<ReportAck>({
      seq: 1,
      duplicate: false,
      accepted: 2,
      refused: [{ index: 0, camera: w.A, reason: "dated 301 s ahead of the hub's clock", code: 'future' }],
    });
    expect(w.monitor.cameras.get(w.B)!.state).toBe('online');
    expect(w.monitor.cameras.get(w.B)!.lastResultAt).toBe(atTolerance);
    expect(w.applied.map((r) => r.camera)).toEqual([w.B, w.B]);
  });

  it('a camera is not frozen by one far-future item: its later real failures still take it offline', async () => {
    const w = world();
    await w.svc.ingest(w.agent, { seq: 1, sentAt: T0, items: [ok(w.A, T0)] });
    const far = Date.UTC(2099, 0, 1);
    const ack = await w.svc.ingest(w.agent, { seq: 2, sentAt: T0, items: [down(w.A, far)] });
    expect(ack.refused).toEqual([{ index: 0, camera: w.A, reason: `dated ${Math.round((far - T0) / 1000)} s ahead of the hub's clock`, code: 'future' }]);
    for (let i = 1; i <= 3; i++) {
      w.setNow(T0 + i * 10_000);
      const a = await w.svc.ingest(w.agent, { seq: 2 + i, sentAt: T0, items: [down(w.A, T0 + i * 10_000)] });
      expect(a.accepted).toBe(1);
    }
    expect(w.monitor.cameras.get(w.A)!.state).toBe('offline');
  });
});
