/**
 * Rules of POST /api/auth/login under guessing (defaults: 5 failures per username per 15 min,
 * then a lock of 60 s doubling each time up to 15 min; 20 attempts per address per minute):
 * - the 5th failure of a username locks it: the next attempt gets 429 with Retry-After, even
 *   with the right password; once the lock is over one more failure locks it twice as long;
 * - a success clears the username's failures; usernames are counted case-folded;
 * - the 21st attempt from one address within a minute gets 429 with Retry-After (other
 *   addresses are unaffected);
 * - each failure is logged with the username and address, never the password.
 * The limits run on a clock the test moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { USERS } from '../support/tiny-county.ts';

const WRONG = 'wrong-Pa55word-guess';

describe('login limits', () => {
  let t: TestHub;
  const clock = { now: Date.UTC(2026, 10, 29, 2, 0, 0) };
  let addr = 0;
  /** each test its own address unless told, so the address limit stays out of the username rules */
  const attempt = (username: string, password: string, remoteAddress = `10.0.0.${addr}`) =>
    t.hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
  beforeAll(async () => {
    t = await startTestHub('pglite', { sessions: { limitsClock: () => clock.now } });
  });
  afterAll(async () => t?.close());

  it('five failures lock the username: 429 + Retry-After even with the right password; the next lock is twice as long', async () => {
    addr = 1;
    for (let i = 0; i < 5; i++) expect((await attempt('crew-a', WRONG)).statusCode).toBe(401);
    const locked = await attempt('crew-a', USERS.crewA.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'too many failed logins for this username; retry in 60 s' });
    // from another address too: the username is locked, not the address
    expect((await attempt('crew-a', USERS.crewA.password, '10.9.9.9')).statusCode).toBe(429);
    clock.now += 30_000;
    expect((await attempt('crew-a', WRONG)).headers['retry-after']).toBe('30');
    clock.now += 30_000; // the lock is over; one more failure locks again, for 120 s
    expect((await attempt('crew-a', WRONG)).statusCode).toBe(401);
    const again = await attempt('crew-a', USERS.crewA.password);
    expect(again.statusCode).toBe(429);
    expect(again.headers['retry-after']).toBe('120');
    clock.now += 120_000;
    expect((await attempt('crew-a', USERS.crewA.password)).statusCode).toBe(200);
  });

  it('a success clears the failures; the username is counted case-folded', async () => {
    addr = 2;
    for (let i = 0; i < 4; i++) expect((await attempt('crew-b', WRONG)).statusCode).toBe(401);
    expect((await attempt('crew-b', USERS.crewB.password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt(i % 2 ? 'CREW-B' : 'crew-b', WRONG)).statusCode).toBe(401);
    expect((await attempt('Crew-B', WRONG)).statusCode).toBe(401); // the 5th, whatever its case
    expect((await attempt('crew-b', USERS.crewB.password)).statusCode).toBe(429);
    // unknown usernames are counted the same way (no hint whether the account exists)
    for (let i = 0; i < 5; i++) expect((await attempt('ghost', WRONG)).statusCode).toBe(401);
    expect((await attempt('ghost', WRONG)).statusCode).toBe(429);
  });

  it('the 21st attempt from one address within a minute gets 429 + Retry-After; another address is unaffected', async () => {
    addr = 3;
    // spread over usernames, so no username lock comes first
    for (let i = 0; i < 20; i++) expect((await attempt(`u${i}`, WRONG)).statusCode, `attempt ${i + 1}`).toBe(401);
    const r = await attempt('admin', USERS.admin.password);
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('60');
    expect(r.json().message).toBe('too many login attempts from this address; retry in 60 s');
    expect((await attempt('admin', USERS.admin.password, '10.0.0.4')).statusCode).toBe(200);
    clock.now += 60_000;
    expect((await attempt('admin', USERS.admin.password)).statusCode).toBe(200);
  });

  it('failures are logged with username and address, never the password', async () => {
    addr = 5;
    const from = t.logLines.length;
    await attempt('viewer', WRONG);
    const lines = t.logLines.slice(from);
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'login failed');
    expect(failed).toMatchObject({ username: 'viewer', ip: '10.0.0.5', failures: 1, lockedForS: 0 });
    expect(t.logLines.join('\n')).not.toContain(WRONG);
    expect(t.logLines.join('\n')).not.toContain(USERS.crewA.password);
  });
});

describe('login limits: the defaults on the real clock', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite');
  });
  afterAll(async () => t?.close());

  it('the 6th attempt after five failures is refused with a Retry-After of at most 60 s', async () => {
    const go = (password: string) => t.hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password } });
    for (let i = 0; i < 5; i++) expect((await go(WRONG)).statusCode).toBe(401);
    const r = await go(USERS.admin.password);
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});
