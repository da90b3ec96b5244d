/**
 * POST /api/agent/reports through a whole hub, on PGlite and PostgreSQL: one bad item never
 * costs its batch (before: 400 for the whole batch, and the agent dropped it — up to 500
 * other cameras' results); the agent's token is checked before its body (before: a malformed
 * body with a bad token got 400); an item dated beyond the clock tolerance ahead of the hub
 * is refused alone and does not freeze its camera; the tolerance is configurable
 * (FUTURE_TOLERANCE_S). The services' exact rules: ingest-per-item-rules.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHubEnv } from '../../src/hub/env.ts';
import { DB_KINDS } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { alive, batch, post, result } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';

const START = Date.UTC(2026, 10, 29, 2, 0, 0);

describe.each(DB_KINDS)('per-item ingest on %s', (kind) => {
  let t: TestHub;
  let clock = START;
  const now = () => clock;
  beforeEach(async () => {
    clock = START;
    t = await startTestHub(kind, { now });
  });
  afterEach(async () => t.close());

  it("one camera's uncapped SOAP fault string in `detail` costs only that item, not the batch", async () => {
    // online wants M = 2 successes from unknown: alive() gives each good camera two, at START and START + 30 s (= clock)
    clock += 30_000;
    const soap = result('c02', clock, 'onvif_down');
    soap.rungs[1] = { rung: 'onvif_time', outcome: 'fail', ms: 12, detail: `SOAP-ENV:Sender ${'ter:InvalidArgVal '.repeat(30)}` };
    const r = await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', clock), soap, ...alive('c03', clock), ...alive('c04', clock)]));
    expect(r.statusCode).toBe(200);
    // 7 items: 3 cameras × 2 successes accepted = 6, the SOAP fault (index 2, after c01's two) refused
    expect(r.json()).toEqual({
      seq: 1,
      duplicate: false,
      accepted: 6,
      refused: [{ index: 2, camera: 'c02', reason: 'invalid item: /rungs/1/detail must not have more than 200 characters', code: 'invalid' }],
    });
    for (const c of ['c01', 'c03', 'c04']) expect(t.hub.monitor.cameras.get(c)!.state).toBe('online');
    expect(t.hub.monitor.cameras.get('c02')!.state).toBe('unknown');
    const rows = await t.hub.db.query<{ accepted: number; refused: number }>(`select accepted, refused from ingest_batches where agent_id = $1`, [AGENT_A.id]);
    expect(rows).toEqual([{ accepted: 6, refused: 1 }]);
    // the replay (the agent retrying after a lost ack) is recognised and says the same
    const again = await post(t.hub.app, AGENT_A.token, batch(1, [result('c01', clock + 1), soap]));
    expect(again.json()).toMatchObject({ seq: 1, duplicate: true, accepted: 6 });
    expect(t.logLines.some((l) => l.includes('report items refused'))).toBe(true);
  });

  it('a newer agent’s extra fields (envelope and items) are ignored, not refused', async () => {
    // two successes 30 s apart (M = 2 to be online), both with a field this hub does not know
    clock += 30_000;
    const items = alive('c01', clock).map((x) => ({ ...x, signalDbm: -61 }));
    const r = await post(t.hub.app, AGENT_A.token, { seq: 1, sentAt: clock, items, agentVersion: '2.0' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ seq: 1, duplicate: false, accepted: 2, refused: [] });
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('online');
  });

  it.each([
    ['a bad token and a malformed body', 'not-a-real-token', '{"seq": "x",'],
    ['a bad token and a body with bad items', 'not-a-real-token', JSON.stringify({ seq: 0, items: [{ fault: 'on_fire' }] })],
    ['no token and a body of another type', null, JSON.stringify([1, 2, 3])],
  ])('%s: 401, the body is never looked at', async (_name, token, payload) => {
    const r = await t.hub.app.inject({
      method: 'POST',
      url: '/api/agent/reports',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      payload,
    });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toMatch(/agent token/);
  });

  it('an item dated beyond the tolerance is refused alone, and its camera is not frozen by it', async () => {
    const far = Date.UTC(2099, 0, 1);
    clock += 30_000; // so that alive() below (clock − 30 s, clock) is not before the hub's start
    const r = await post(t.hub.app, AGENT_A.token, batch(1, [result('c01', far), result('c02', clock)]));
    expect(r.json()).toMatchObject({ accepted: 1, refused: [{ index: 0, camera: 'c01', code: 'future' }] });
    expect(r.json().refused[0].reason).toMatch(/^dated \d+ s ahead of the hub's clock$/);
    // the real results that follow are applied: c01 goes online (2 successes), then offline after 3 failures
    await post(t.hub.app, AGENT_A.token, batch(2, alive('c01', clock)));
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('online');
    for (let i = 3; i <= 5; i++) {
      clock += 10_000;
      expect((await post(t.hub.app, AGENT_A.token, batch(i, [result('c01', clock, 'unreachable')]))).json().accepted).toBe(1);
    }
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('offline');
  });

  it('the tolerance is the hub’s setting (here 10 s)', async () => {
    await t.restart({ now, monitor: { futureToleranceMs: 10_000 } });
    const r = await post(t.hub.app, AGENT_A.token, batch(1, [result('c01', clock + 10_001), result('c02', clock + 10_000)]));
    expect(r.json()).toMatchObject({ accepted: 1, refused: [{ index: 0, camera: 'c01', reason: "dated 10 s ahead of the hub's clock", code: 'future' }] });
  });
});

describe('FUTURE_TOLERANCE_S', () => {
  it('sets the hub’s clock tolerance in seconds; unset keeps the default; nonsense is an error', () => {
    expect(readHubEnv({ FUTURE_TOLERANCE_S: '60' }, []).monitor).toEqual({ futureToleranceMs: 60_000 });
    expect(readHubEnv({}, []).monitor).toBeUndefined();
    expect(() => readHubEnv({ FUTURE_TOLERANCE_S: '-1' }, [])).toThrow(/FUTURE_TOLERANCE_S/);
    expect(() => readHubEnv({ FUTURE_TOLERANCE_S: 'soon' }, [])).toThrow(/FUTURE_TOLERANCE_S/);
  });
});
