/**
 * Rules: with METRICS_TOKEN set, GET /metrics answers only a scrape that sends it as a bearer
 * token (401 + WWW-Authenticate otherwise); without one it stays open. The session settings
 * are read from the environment (seconds, counts), checked, and unset ones keep the defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHubEnv } from '../../src/hub/env.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';

const TOKEN = 'scrape-token-0123456789abcdef';

describe('/metrics behind a bearer token', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite', { metricsToken: TOKEN });
  });
  afterAll(async () => t?.close());

  it('no token or a wrong one → 401; the right one → the exposition', async () => {
    const scrape = (authorization?: string) => t.hub.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    const none = await scrape();
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(none.body).not.toContain('sharpeyes_');
    expect((await scrape(`Bearer ${TOKEN}x`)).statusCode).toBe(401);
    expect((await scrape(`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`)).statusCode).toBe(401);
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('sharpeyes_');
  });
});

describe('/metrics without a token', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite');
  });
  afterAll(async () => t?.close());

  it('is open (the operations network or a proxy keeps it in)', async () => {
    expect((await t.hub.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('session settings from the environment', () => {
  it('reads METRICS_TOKEN, LOGIN_* and *_PER_USER; refuses bad values', () => {
    const env = readHubEnv(
      { METRICS_TOKEN: TOKEN, LOGIN_USER_FAILURES: '3', LOGIN_USER_WINDOW_S: '600', LOGIN_ADDRESS_ATTEMPTS: '50', LIVE_SOCKETS_PER_USER: '4', TICKET_STREAMS_PER_USER: '2' },
      [],
    );
    expect(env.metricsToken).toBe(TOKEN);
    expect(env.sessions).toEqual({
      loginLimits: { userFailures: 3, userWindowMs: 600_000, addressAttempts: 50 },
      channelCaps: { liveSocketsPerUser: 4, ticketStreamsPerUser: 2 },
    });
    const bare = readHubEnv({}, []);
    expect(bare.sessions).toBeUndefined();
    expect(bare.metricsToken).toBeUndefined();
    expect(() => readHubEnv({ METRICS_TOKEN: 'short' }, [])).toThrow('METRICS_TOKEN must be at least 16 characters');
    expect(() => readHubEnv({ LOGIN_USER_FAILURES: '0' }, [])).toThrow('LOGIN_USER_FAILURES must be a positive integer, got 0');
    expect(() => readHubEnv({ LIVE_SOCKETS_PER_USER: '2.5' }, [])).toThrow('LIVE_SOCKETS_PER_USER must be a positive integer, got 2.5');
  });
});
