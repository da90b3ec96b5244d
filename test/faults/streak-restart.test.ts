/**
 * Finding of the SIGKILL fault (test/faults/hub-sigkill-tickets.test.ts), reduced: a camera's
 * streaks lived in the hub's memory only. Two failures committed and acknowledged, the hub
 * restarted, the third failure arrived: the streak started again at 1 and the outage was not
 * declared (no transition, no ticket). Fixed: the streak under way toward a transition is
 * written with the batch that changed it (table camera_streaks, src/db/transition-log.ts) and
 * taken back at start (Monitor.restoreStreaks), with the replay guard; across a gap longer than
 * staleAfter it is not continued (the evidence is not continuous). Both databases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MONITOR_CONFIG } from '../../src/core/model.ts';
import { DB_KINDS } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { batch, post, result } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';

const STEP = 10_000;

describe.each(DB_KINDS)('streaks across a hub restart (%s)', (kind) => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });
  let clock = 0;
  let seq = 0;
  const send = async (fault: 'unreachable' | null, at = clock) => {
    const r = await post(t!.hub.app, AGENT_A.token, batch(++seq, [result('c01', at, fault)], clock));
    expect(r.statusCode).toBe(200);
  };
  const cam = () => t!.hub.monitor.cameras.get('c01')!;
  const transitions = async () =>
    (
      await t!.hub.db.query<{ to: string; since: number }>(
        `select to_state as "to", (extract(epoch from since) * 1000)::float8 as since from camera_transitions where camera_code = 'c01' order by id`,
      )
    ).map((r) => ({ to: r.to, since: Math.round(Number(r.since)) }));
  const start = async () => {
    clock = Date.now();
    seq = 0;
    t = await startTestHub(kind, { now: () => clock });
  };

  // Evidence every STEP = 10 s (≤ S = 120 s: one run, across the restart too). From unknown a
  // camera is online after M = 2 successes (from the first); online → offline after N = 3
  // failures, from the last success (docs/accounting.md).
  it('three failures in a row declare the camera offline, with a restart after the second; offline counts from the last success', async () => {
    await start();
    await send(null); // t0
    clock += STEP;
    const lastSuccess = clock;
    await send(null); // t0 + 10 s: online from t0
    expect(cam().state).toBe('online');
    // failures at t0 + 20 s, t0 + 30 s; restart; the third at t0 + 40 s (all 10 s apart: continuous)
    for (let i = 0; i < 2; i++) {
      clock += STEP;
      await send('unreachable');
    }
    await t!.restart({ now: () => clock });
    expect(cam().failStreak).toBe(2);
    clock += STEP;
    await send('unreachable');
    expect(cam().state).toBe('offline');
    // offline from the last success, t0 + 10 s (not from the first failure, t0 + 20 s)
    expect((await transitions()).at(-1)).toEqual({ to: 'offline', since: lastSuccess });
  });

  it('two successes in a row bring it back online, with a restart after the first; online counts from the first', async () => {
    await start();
    await send(null);
    for (let i = 0; i < 3; i++) {
      clock += STEP;
      await send('unreachable');
    }
    expect(cam().state).toBe('offline');
    clock += STEP;
    const firstSuccess = clock;
    await send(null);
    await t!.restart({ now: () => clock });
    clock += STEP;
    await send(null);
    expect(cam().state).toBe('online');
    expect((await transitions()).at(-1)).toEqual({ to: 'online', since: firstSuccess });
  });

  it('a failure already counted, sent again in a new batch after the restart, is not counted twice', async () => {
    await start();
    await send(null); // t0
    clock += STEP;
    await send(null); // t0 + 10 s: M = 2 successes, online from t0
    clock += STEP;
    await send('unreachable');
    clock += STEP;
    const second = clock;
    await send('unreachable');
    await t!.restart({ now: () => clock });
    await send('unreachable', second); // new seq, same result: `old`, ignored — still 2 failures
    expect(cam().state).toBe('online');
    clock += STEP;
    await send('unreachable');
    expect(cam().state).toBe('offline');
  });

  it('across a gap longer than staleAfter the streak is not continued', async () => {
    await start();
    await send(null); // t0
    clock += STEP;
    await send(null); // t0 + 10 s: online from t0
    for (let i = 0; i < 2; i++) {
      clock += STEP;
      await send('unreachable'); // t0 + 20 s, t0 + 30 s: 2 failures (< N = 3)
    }
    const lastEvidence = clock;
    clock += DEFAULT_MONITOR_CONFIG.staleAfterMs + STEP; // the hub was away longer than staleAfter: t0 + 30 s + 130 s = t0 + 160 s
    await t!.restart({ now: () => clock });
    expect(cam().failStreak).toBe(0);
    // the gap (130 s > S = 120 s) ends the run: unknown from its last evidence (t0 + 30 s)
    expect(cam().state).toBe('unknown');
    // written by the start's hand-over, which does not wait: poll (PostgreSQL takes a moment)
    await until(async () => (await transitions()).at(-1)?.to === 'unknown', 5000, 'the stale transition of the start');
    expect((await transitions()).at(-1)).toEqual({ to: 'unknown', since: lastEvidence });
    await send('unreachable'); // t0 + 160 s: a new run, which starts unknown; its count restarts at 1
    expect(cam().state).toBe('unknown');
    expect(cam().failStreak).toBe(1);
    const firstAfterGap = clock;
    for (let i = 0; i < 2; i++) {
      clock += STEP;
      await send('unreachable'); // t0 + 170 s, t0 + 180 s
    }
    // the third failure of the new run declares it, from unknown: offline from the first of them
    // (t0 + 160 s) — the last success (t0 + 10 s) is not in this run
    expect(cam().failStreak).toBe(3);
    expect(cam().state).toBe('offline');
    expect((await transitions()).at(-1)).toEqual({ to: 'offline', since: firstAfterGap });
  });

  it('(control) without the restart, the third failure declares it', async () => {
    await start();
    await send(null); // t0
    clock += STEP;
    const lastSuccess = clock;
    await send(null); // t0 + 10 s: online from t0
    for (let i = 0; i < 3; i++) {
      clock += STEP;
      await send('unreachable');
    }
    expect(cam().state).toBe('offline');
    expect((await transitions()).at(-1)).toEqual({ to: 'offline', since: lastSuccess });
  });
});
