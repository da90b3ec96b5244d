/**
 * What the fuzz campaign found, each as the minimal input fast-check shrank it to, kept as a
 * regression test (failed before its fix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { post } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';

describe('fuzz findings, hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  // found by hub.report_bodies: {"seq":1e+308,"sentAt":…,"items":[]} is an "integer" to JSON
  // Schema, but not a bigint for the ledger: the insert failed, the hub answered 503 "retry later",
  // and an agent holding such a batch would retry it forever. Now 400 (the batch is refused).
  it.each([
    ['seq 1e308', { seq: 1e308, sentAt: Date.now(), items: [] }],
    ['seq 2^63', { seq: 2 ** 63, sentAt: Date.now(), items: [] }],
    ['seq above 2^53', { seq: Number.MAX_SAFE_INTEGER + 2, sentAt: Date.now(), items: [] }],
    ['sentAt 1e308', { seq: 7, sentAt: 1e308, items: [] }],
    ['seq "1e309" (a string, coerced)', { seq: '1e309', sentAt: Date.now(), items: [] }],
  ])('a report whose %s is refused with 400, not answered 5xx', async (_name, body) => {
    const r = await post(t.hub.app, AGENT_A.token, body);
    expect(r.statusCode).toBe(400);
  });

  // found by hub.login: {"username":"\u0000","password":"${x}"} — PostgreSQL text cannot hold
  // NUL, the user lookup threw, the hub answered 500. Now a failed login (401) like any unknown user.
  it.each([['\u0000'], ['admin\u0000'], ['\u0000admin']])('a login with username %j is a refused login (401), not a 500', async (username) => {
    const r = await t.hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'x' } });
    expect(r.statusCode).toBe(401);
  });

  it('the largest safe seq is still taken', async () => {
    const r = await post(t.hub.app, AGENT_A.token, { seq: Number.MAX_SAFE_INTEGER, sentAt: Date.now(), items: [] });
    expect(r.statusCode).toBe(200);
  });
});
