/**
 * Fault injection: the PostgreSQL database refuses connections mid-run. Reports are
 * answered 503 (the agent keeps them and retries), nothing decided is lost, and when
 * the database is back the retried batch is committed with every transition.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { alive, batch, get, login, post, result } from '../support/reports.ts';
import { AGENT_A, USERS } from '../support/tiny-county.ts';

const url = process.env.TEST_DATABASE_URL;

describe.runIf(url)('PostgreSQL goes away and comes back', () => {
  let t: TestHub;
  let admin: pg.Client;
  let dbName = '';
  const T = Date.UTC(2026, 10, 29, 2, 0, 0);
  let clock = T;

  const cut = async (allow: boolean) => {
    await admin.query(`alter database ${dbName} allow_connections ${allow}`);
    if (!allow) await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [dbName]);
  };

  beforeAll(async () => {
    t = await startTestHub('postgres', { now: () => clock });
    dbName = new URL(t.databaseUrl!).pathname.slice(1);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await cut(true).catch(() => undefined);
    await admin.end();
    await t.close();
  });

  it('answers 503 while the database is away, then commits the retried batch with its transitions', async () => {
    expect((await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', clock), ...alive('c02', clock)]))).statusCode).toBe(200);
    const token = await login(t.hub.app, USERS.admin);
    expect((await t.hub.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await cut(false);
    clock += 30_000;
    const b2 = batch(2, [result('c01', clock, 'unreachable'), ...alive('c03', clock, 10_000)]); // c01: one failure (< N), still online
    const down = await post(t.hub.app, AGENT_A.token, b2);
    expect(down.statusCode).toBe(503);
    expect(down.json().message).toMatch(/retry/);
    // the hub stays up (healthz), says it is not ready (readyz 503, so a balancer stops sending
    // reports), and serves the figures from memory to a user who was logged in
    expect((await t.hub.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const notReady = await t.hub.app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ ok: false, reason: 'database unreachable' });
    const summary = await get(t.hub.app, token, '/api/summary');
    expect(summary.statusCode).toBe(200);
    // c01, c02 from batch 1 and c03 from the refused batch 2: the core decided it, the ledger
    // commit failed, and the agent's retry replays it (below)
    expect(summary.json().county.counts).toMatchObject({ online: 3, offline: 0 });
    const cam = await get(t.hub.app, token, '/api/cameras/c02');
    expect(cam.statusCode).toBe(200);
    expect(cam.json()).toMatchObject({ code: 'c02', state: 'online' });
    await cut(true);
    expect((await t.hub.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const again = await post(t.hub.app, AGENT_A.token, b2);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ seq: 2, duplicate: false });
    const rows = await t.hub.db.query<{ camera: string; to: string }>(
      `select camera_code as camera, to_state as "to" from camera_transitions where reason <> 'registered' order by id`,
    );
    // c01, c02 online (batch 1); c03 online (batch 2, decided while the database was away)
    expect(rows.map((r) => `${r.camera}>${r.to}`)).toEqual(['c01>online', 'c02>online', 'c03>online']);
    const ledger = await t.hub.db.query<{ seq: string }>(`select seq::text from ingest_batches order by seq`);
    expect(ledger.map((r) => Number(r.seq))).toEqual([1, 2]);
    // the failure counted against c01 once, not twice (the retry was a replay for the core)
    expect(t.hub.monitor.cameras.get('c01')!.failStreak).toBe(1);
  });
});
