/**
 * Behind a reverse proxy (TRUST_PROXY): the login limit per address counts the client named in
 * X-Forwarded-For — but only when the request comes from a listed proxy; anyone else's header
 * is ignored (a client cannot pick a fresh address per guess). Without TRUST_PROXY every client
 * behind the proxy shares the proxy's address.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HubSettingError, readTrustProxy } from '../../src/hub/env.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';

const PROXY = '10.20.0.1';
const attemptsPerAddress = 3;

async function hub(trustProxy?: string[]): Promise<TestHub> {
  return startTestHub('pglite', { ...(trustProxy ? { trustProxy } : {}), sessions: { loginLimits: { addressAttempts: attemptsPerAddress } } });
}
const login = (t: TestHub, remoteAddress: string, forwardedFor?: string) =>
  t.hub.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'nobody', password: 'wrong-password-1' },
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });

describe('TRUST_PROXY', () => {
  const hubs: TestHub[] = [];
  afterAll(async () => {
    for (const t of hubs) await t.close();
  });

  it('reads addresses and CIDRs, refuses anything else', () => {
    expect(readTrustProxy(undefined)).toBeNull();
    expect(readTrustProxy(' ')).toBeNull();
    expect(readTrustProxy('10.20.0.1, 10.1.0.0/16,::1,fd00::/8')).toEqual(['10.20.0.1', '10.1.0.0/16', '::1', 'fd00::/8']);
    for (const bad of ['proxy.local', '10.0.0.0/33', '10.0.0.1/8/9', '::1/129', '10.0.0.256', '', '10.0.0.0/x']) {
      expect(() => readTrustProxy(`10.0.0.1,${bad}`), bad).toThrow(HubSettingError);
    }
  });

  it('from a trusted proxy, each forwarded client has its own address limit', async () => {
    const t = await hub([PROXY]);
    hubs.push(t);
    for (let i = 0; i < attemptsPerAddress; i++) expect((await login(t, PROXY, '198.51.100.7')).statusCode).toBe(401);
    expect((await login(t, PROXY, '198.51.100.7')).statusCode).toBe(429);
    // another client behind the same proxy is not locked out by the first one's guesses
    expect((await login(t, PROXY, '198.51.100.8')).statusCode).toBe(401);
  });

  it('from anyone else the header is ignored: spoofed addresses do not buy more guesses', async () => {
    const t = await hub([PROXY]);
    hubs.push(t);
    for (let i = 0; i < attemptsPerAddress; i++) expect((await login(t, '10.99.0.5', `203.0.113.${i}`)).statusCode).toBe(401);
    expect((await login(t, '10.99.0.5', '203.0.113.200')).statusCode).toBe(429);
  });

  it('without TRUST_PROXY the proxy is the client: its clients share one limit', async () => {
    const t = await hub();
    hubs.push(t);
    for (let i = 0; i < attemptsPerAddress; i++) expect((await login(t, PROXY, `198.51.100.${i}`)).statusCode).toBe(401);
    expect((await login(t, PROXY, '198.51.100.99')).statusCode).toBe(429);
  });
});
