import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A, AGENT_B, USERS } from '../support/tiny-county.ts';
import { alive, batch, get, login, post, result } from '../support/reports.ts';

describe.each(DB_KINDS)('ingest on %s', (kind) => {
  let t: TestHub;
  let clock = Date.UTC(2026, 10, 29, 2, 0, 0);
  const now = () => clock;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 29, 2, 0, 0);
    t = await startTestHub(kind, { now });
  });
  afterEach(async () => t.close());

  it('applies a batch and acknowledges it once committed', async () => {
    // online wants M = 2 successes from unknown: c01 and c02 answer at the hub's start and 30 s later (= clock)
    clock += 30_000;
    const r = await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', clock), ...alive('c02', clock), result('c04', clock, 'unreachable')]));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ seq: 1, duplicate: false, accepted: 5, refused: [] }); // 2 + 2 + 1
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('online');
    // the hub's start logged the 10 cameras of the tiny county as new in the registry (unknown → unknown, `registered`)
    const registered = await t.hub.db.query<{ n: number }>(`select count(*)::int as n from camera_transitions where reason = 'registered'`);
    expect(registered[0]!.n).toBe(10);
    const rows = await t.hub.db.query<{ camera: string; from: string; to: string }>(
      `select camera_code as camera, from_state as from, to_state as to from camera_transitions where reason <> 'registered' order by camera_code`,
    );
    // c01, c02 unknown → online; c04 needs 3 failures
    expect(rows).toEqual([
      { camera: 'c01', from: 'unknown', to: 'online' },
      { camera: 'c02', from: 'unknown', to: 'online' },
    ]);
  });

  it('a replayed batch changes nothing and says duplicate', async () => {
    const b = batch(7, [result('c01', clock), result('c02', clock, 'unreachable')]);
    expect((await post(t.hub.app, AGENT_A.token, b)).json().duplicate).toBe(false);
    const before = JSON.stringify([...t.hub.monitor.cameras.values()].map((c) => [c.state, c.failStreak, c.okStreak]));
    const transitions = await t.hub.db.query(`select * from camera_transitions`);
    for (let i = 0; i < 3; i++) {
      const again = await post(t.hub.app, AGENT_A.token, b);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ seq: 7, duplicate: true });
    }
    expect(JSON.stringify([...t.hub.monitor.cameras.values()].map((c) => [c.state, c.failStreak, c.okStreak]))).toBe(before);
    expect(await t.hub.db.query(`select * from camera_transitions`)).toHaveLength(transitions.length);
    expect(t.hub.ingest.counters.duplicateBatches).toBe(3);
  });

  it('concurrent copies of one batch are applied once', async () => {
    const b = batch(3, [result('c01', clock, 'unreachable')]);
    const acks = await Promise.all([1, 2, 3, 4].map(() => post(t.hub.app, AGENT_A.token, b)));
    expect(acks.map((a) => a.json().duplicate).filter((d) => d === false)).toHaveLength(1);
    expect(t.hub.monitor.cameras.get('c01')!.failStreak).toBe(1);
  });

  it('a replay after a restart is still recognised', async () => {
    const b = batch(11, [result('c01', clock)]);
    await post(t.hub.app, AGENT_A.token, b);
    await t.restart({ now });
    const again = await post(t.hub.app, AGENT_A.token, b);
    expect(again.json()).toMatchObject({ duplicate: true });
  });

  it("refuses, item by item, cameras outside the agent's assignment", async () => {
    const r = await post(t.hub.app, AGENT_A.token, batch(1, [result('c01', clock), result('c06', clock), result('nope', clock), result('c02', clock)]));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      seq: 1,
      duplicate: false,
      accepted: 2,
      refused: [
        { index: 1, camera: 'c06', reason: 'camera is not assigned to this agent', code: 'not_assigned' },
        { index: 2, camera: 'nope', reason: 'unknown camera', code: 'unknown_camera' },
      ],
    });
    expect(t.hub.monitor.cameras.get('c06')!.state).toBe('unknown');
    // agent B may report c06
    expect((await post(t.hub.app, AGENT_B.token, batch(1, [result('c06', clock)]))).json().accepted).toBe(1);
  });

  it.each([
    ['no token', null, batch(1, []), 401, /agent token/],
    ['wrong token', 'not-a-real-token', batch(1, []), 401, /agent token/],
    ['a user token', 'USER', batch(1, []), 401, /agent token/],
    ['not JSON', AGENT_A.token, '{"seq": 1,', 400, /JSON/],
    ['seq missing', AGENT_A.token, { sentAt: 1, items: [] }, 400, /seq/],
    ['seq zero', AGENT_A.token, { seq: 0, sentAt: 1, items: [] }, 400, /seq/],
    // (a bad item — fault class, rung, latency, detail — is refused alone: ingest-per-item.test.ts)
    ['items not a list', AGENT_A.token, { seq: 1, sentAt: 1, items: { 0: result('c01', 1) } }, 400, /items/],
    ['negative sentAt', AGENT_A.token, { seq: 1, sentAt: -5, items: [] }, 400, /sentAt/],
    ['too many items', AGENT_A.token, { seq: 1, sentAt: 1, items: Array.from({ length: 1001 }, () => result('c01', 1)) }, 400, /items/],
    ['an array body', AGENT_A.token, [1, 2, 3], 400, /object/],
  ])('bad input (%s) gets a clear 4xx, never a 5xx', async (_name, token, body, status, message) => {
    const tok = token === 'USER' ? await login(t.hub.app, USERS.admin) : token;
    const r = await t.hub.app.inject({
      method: 'POST',
      url: '/api/agent/reports',
      headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toMatch(message);
    expect(t.hub.monitor.cameras.get('c01')!.lastResultAt).toBe(-Infinity);
  });

  it('a body over the size limit gets 413; other content types 415', async () => {
    const huge = JSON.stringify({ seq: 1, sentAt: 1, items: [], pad: 'x'.repeat(5 * 1024 * 1024) });
    const r = await t.hub.app.inject({
      method: 'POST',
      url: '/api/agent/reports',
      headers: { authorization: `Bearer ${AGENT_A.token}`, 'content-type': 'application/json' },
      payload: huge,
    });
    expect(r.statusCode).toBe(413);
    const x = await t.hub.app.inject({
      method: 'POST',
      url: '/api/agent/reports',
      headers: { authorization: `Bearer ${AGENT_A.token}`, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(x.statusCode).toBe(415);
  });

  it('state survives a restart: transitions, offline-since and rates', async () => {
    // both online (M = 2 successes, at the hub's start and 30 s later); c02's last success is the second
    clock += 30_000;
    await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', clock), ...alive('c02', clock)]));
    const lastOk = clock;
    for (let i = 2; i <= 4; i++) {
      clock += 30_000;
      await post(t.hub.app, AGENT_A.token, batch(i, [result('c01', clock), result('c02', clock, 'unreachable')]));
    }
    expect(t.hub.monitor.cameras.get('c02')!.state).toBe('offline');
    clock += 60_000;
    const admin = await login(t.hub.app, USERS.admin);
    const before = (await get(t.hub.app, admin, '/api/grids/ga1')).json();
    const hub = await t.restart({ now });
    const c02 = hub.monitor.cameras.get('c02')!;
    expect(c02.state).toBe('offline');
    expect(c02.stateSince).toBe(lastOk);
    expect(c02.fault).toBe('unreachable');
    const token = await login(hub.app, USERS.admin);
    const after = (await get(hub.app, token, '/api/grids/ga1')).json();
    expect(after.counts).toEqual(before.counts);
    expect(after.onlineRate).toBe(0.5);
    expect(after.today.onlineMs).toBeCloseTo(before.today.onlineMs, 0);
    expect(after.today.monitoredMs).toBeCloseTo(before.today.monitoredMs, 0);
  });

  it('an agent that goes silent turns its cameras unknown, not offline', async () => {
    // online first (M = 2 successes, at the hub's start and 30 s later), so that going unknown is a change
    clock += 30_000;
    await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', clock), ...alive('c02', clock)]));
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('online');
    // nothing arrives for longer than S after the batch's arrival (the sweep is by arrival time)
    clock += t.hub.monitor.config.staleAfterMs + 1;
    t.hub.monitor.sweep(clock);
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('unknown');
    const admin = await login(t.hub.app, USERS.admin);
    const s = (await get(t.hub.app, admin, '/api/summary')).json();
    expect(s.county.counts.offline).toBe(0);
    expect(s.county.onlineRate).toBeNull();
    expect(s.county.coverage).toBe(0);
  });
});
