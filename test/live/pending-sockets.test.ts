/**
 * /api/live sockets not yet authenticated are capped per client address (16): the 17th from one
 * address is closed with 4429 at once, another address is not affected, and a socket stops
 * counting as soon as it authenticates or closes.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';

interface Client {
  ws: WebSocket;
  opened: boolean;
  closed: { code: number; reason: string } | null;
  messages: { type: string }[];
}

function open(url: string, localAddress = '127.0.0.1'): Promise<Client> {
  const ws = new WebSocket(url, { localAddress });
  const c: Client = { ws, opened: false, closed: null, messages: [] };
  ws.on('message', (d) => c.messages.push(JSON.parse(String(d)) as { type: string }));
  ws.on('close', (code, reason) => (c.closed = { code, reason: String(reason) }));
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.on('open', () => {
      c.opened = true;
      // the hub refuses right after the upgrade: give it a moment to say so
      setTimeout(() => resolve(c), 150);
    });
    ws.on('close', () => resolve(c));
  });
}

describe('unauthenticated /api/live sockets per address', () => {
  let t: TestHub;
  let url = '';
  const clients: Client[] = [];
  beforeAll(async () => {
    t = await startTestHub('pglite', { live: { authTimeoutMs: 30_000 } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}/api/live`;
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await t?.close();
  });

  it('the 17th from one address is closed with 4429; another address is not; auth and close make room', async () => {
    for (let i = 0; i < 16; i++) clients.push(await open(url));
    expect(clients.every((c) => c.closed === null)).toBe(true);
    const over = await open(url);
    clients.push(over);
    await until(() => over.closed !== null, 2000, 'the 17th closed');
    expect(over.closed).toEqual({ code: 4429, reason: 'too many unauthenticated sockets from this address' });

    const other = await open(url, '127.0.0.2');
    clients.push(other);
    expect(other.closed).toBeNull();

    // one of the 16 authenticates: it no longer counts, so one more may wait for its auth
    const token = await login(t.hub.app, USERS.worker);
    clients[0]!.ws.send(JSON.stringify({ type: 'auth', token }));
    await until(() => clients[0]!.messages.some((m) => m.type === 'ready'), 2000, 'ready');
    const next = await open(url);
    clients.push(next);
    expect(next.closed).toBeNull();

    // closing one makes room too
    clients[1]!.ws.close();
    await until(() => clients[1]!.closed !== null, 2000, 'closed');
    await new Promise((r) => setTimeout(r, 100));
    const again = await open(url);
    clients.push(again);
    expect(again.closed).toBeNull();
    const full = await open(url);
    clients.push(full);
    await until(() => full.closed !== null, 2000, 'over the cap again');
    expect(full.closed?.code).toBe(4429);
  });
});
