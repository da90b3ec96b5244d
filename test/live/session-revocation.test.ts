/**
 * Rule: a channel lives no longer than its session. A ticket stream (SSE) and a live socket
 * (WebSocket) opened with one token close within a second of that session's logout or expiry;
 * a password changed in users.yaml ends the user's sessions. Over real sockets on 127.0.0.1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { get, login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';
import { openSocket, openStream } from './channel-clients.ts';

const T = Date.UTC(2026, 10, 29, 2, 0, 0);

describe('sessions end their channels', () => {
  let t: TestHub;
  let base = '';
  const clock = { now: T };
  beforeAll(async () => {
    t = await startTestHub('pglite', { now: () => clock.now });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t?.close());

  it('logout closes the session’s ticket stream and live socket within a second; other sessions stay', async () => {
    const token = await login(t.hub.app, USERS.crewA);
    const other = await login(t.hub.app, USERS.crewA);
    const sse = await openStream(base, token);
    const ws = await openSocket(base, token);
    const keepSse = await openStream(base, other);
    const keepWs = await openSocket(base, other);
    expect(sse.status).toBe(200);
    expect(ws.messages[0]?.type).toBe('ready');

    const t0 = Date.now();
    const out = await t.hub.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(200);
    await until(() => sse.ended && ws.closed !== null, 1000, 'both channels closed within 1 s of logout');
    console.log(`logout → SSE ended after ${sse.endedAt - t0} ms, WebSocket closed after ${ws.closed!.at - t0} ms`);
    expect(sse.blocks.at(-1)).toBe('event: session_ended\ndata: {"reason":"logged out"}');
    expect(ws.closed).toMatchObject({ code: 4401, reason: 'session ended: logged out' });
    expect(ws.messages.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
    // the other session of the same user is untouched
    expect(keepSse.ended).toBe(false);
    expect(keepWs.closed).toBeNull();
    expect(t.hub.auth.channels.count('crew-a')).toBe(2);
    keepSse.close();
    keepWs.ws.close();
    await until(() => t.hub.auth.channels.count('crew-a') === 0, 2000, 'released');
  });

  it('expiry closes both within a second of the session’s end (hub clock)', async () => {
    const token = await login(t.hub.app, USERS.worker);
    const sse = await openStream(base, token);
    const ws = await openSocket(base, token);
    clock.now += 12 * 3600_000 - 1000; // a second before the 12 h end: still open
    await new Promise((r) => setTimeout(r, 400));
    expect(sse.ended).toBe(false);
    expect(ws.closed).toBeNull();
    const t0 = Date.now();
    clock.now += 1000;
    await until(() => sse.ended && ws.closed !== null, 1000, 'both channels closed within 1 s of expiry');
    console.log(`expiry → SSE ended after ${sse.endedAt - t0} ms, WebSocket closed after ${ws.closed!.at - t0} ms`);
    expect(sse.blocks.at(-1)).toBe('event: session_ended\ndata: {"reason":"session expired"}');
    expect(ws.closed).toMatchObject({ code: 4401, reason: 'session ended: session expired' });
    expect((await get(t.hub.app, token, '/api/me')).statusCode).toBe(401);
    clock.now = T;
  });

  it('a password changed in users.yaml ends the user’s sessions at the next start; other users keep theirs', async () => {
    const crew = await login(t.hub.app, USERS.crewB);
    const admin = await login(t.hub.app, USERS.admin);
    const file = join(t.configDir, 'users.yaml');
    const users = readFileSync(file, 'utf8');
    writeFileSync(file, users.replace('password: crew-b-pass', 'password: crew-b-new-pass').replace('password: admin-pass', `password_hash: "${await adminHash(t)}"`));
    await t.restart();
    expect((await get(t.hub.app, crew, '/api/me')).statusCode).toBe(401);
    expect((await get(t.hub.app, admin, '/api/me')).statusCode).toBe(200);
    expect((await login(t.hub.app, { username: 'crew-b', password: 'crew-b-new-pass' })).length).toBeGreaterThan(10);
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}`;
  });
});

/** the admin's stored hash, written back as password_hash: unchanged, so the admin keeps the session */
async function adminHash(t: TestHub): Promise<string> {
  const [r] = await t.hub.db.query<{ h: string }>(`select password_hash as h from users where username = 'admin'`);
  return r!.h;
}
