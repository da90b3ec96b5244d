/**
 * Finding of the SIGKILL fault (test/faults/hub-sigkill-tickets.test.ts), reduced: a camera's
 * fail streak lives in the hub's memory only. Two failures committed and acknowledged, the hub
 * restarts (killed or not), the third failure arrives: the streak starts again at 1 and the
 * outage is not declared — a camera down across a hub restart is declared offline
 * failuresToOffline results later than it should, and a short outage is missed (no transition,
 * no ticket). Where to fix: the monitor's restore (src/core/monitor.ts, src/db/transition-log.ts,
 * not this item's files) — e.g. persist the streak with the ledger row, or rebuild it from the
 * last results. `it.fails` while it stands.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { batch, post, result } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';

describe('a fail streak across a hub restart', () => {
  let t: TestHub;
  afterAll(async () => {
    await t?.close();
  });

  it.fails('three failures in a row declare the camera offline, with a restart after the second', async () => {
    let clock = Date.now();
    t = await startTestHub('pglite', { now: () => clock });
    expect((await post(t.hub.app, AGENT_A.token, batch(1, [result('c01', clock)], clock))).statusCode).toBe(200);
    for (const seq of [2, 3]) {
      clock += 10_000;
      expect((await post(t.hub.app, AGENT_A.token, batch(seq, [result('c01', clock, 'unreachable')], clock))).statusCode).toBe(200);
    }
    await t.restart({ now: () => clock });
    clock += 10_000;
    expect((await post(t.hub.app, AGENT_A.token, batch(4, [result('c01', clock, 'unreachable')], clock))).statusCode).toBe(200);
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('offline');
  });

  it('(control) without the restart, the third failure declares it', async () => {
    let clock = Date.now();
    const u = await startTestHub('pglite', { now: () => clock });
    try {
      await post(u.hub.app, AGENT_A.token, batch(1, [result('c01', clock)], clock));
      for (const seq of [2, 3, 4]) {
        clock += 10_000;
        await post(u.hub.app, AGENT_A.token, batch(seq, [result('c01', clock, 'unreachable')], clock));
      }
      expect(u.hub.monitor.cameras.get('c01')!.state).toBe('offline');
    } finally {
      await u.close();
    }
  });
});
