/**
 * Rule: the live ticket stream (/api/tickets/stream, Server-Sent Events) carries only the
 * tickets of the user's scope, as the ticket list does. Over a real socket: crew-a (town ta)
 * and crew-b (town tb) listen while tickets open in both towns. Each connection keeps its
 * order, so "the first ticket crew-a hears of is in ta" is decided without waiting on a clock.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { SITE8, startTicketHub, takeDown, until, type TicketHub } from './support.ts';

interface StreamChange {
  ticket: { id: number; townId: string; cameras: { code: string }[] };
  events: string[];
}

/** A Server-Sent Events listener: the `ticket` events in the order they arrived. */
async function listen(base: string, token: string) {
  const ctl = new AbortController();
  const res = await fetch(`${base}/api/tickets/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  expect(res.status).toBe(200);
  const got: StreamChange[] = [];
  let buf = '';
  const reader = res.body!.getReader();
  const pump = (async () => {
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (block.startsWith('event: ticket') && data) got.push(JSON.parse(data.slice(6)) as StreamChange);
      }
    }
  })();
  return {
    got,
    close: async () => {
      ctl.abort();
      await pump;
    },
  };
}

describe.each(DB_KINDS)('ticket stream scope on %s', (kind) => {
  let h: TicketHub;
  let base = '';
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    h = await startTicketHub(kind);
    await h.t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.t.hub.app.server.address() as AddressInfo).port}`;
    for (const [k, u] of Object.entries(USERS)) tok[k] = await login(h.t.hub.app, u);
  });
  afterAll(async () => h?.close());

  it('crew-a hears only town ta, crew-b only town tb, the admin both', async () => {
    const a = await listen(base, tok.crewA!);
    const b = await listen(base, tok.crewB!);
    const admin = await listen(base, tok.admin!);
    try {
      await h.round([...SITE8, 'c09', 'c10'], null);
      // 1. c09 (town tb, no site) → a camera ticket at once
      await takeDown(h, ['c09']);
      await until(() => b.got.length >= 1 && admin.got.length >= 1);
      // 2. site s8 (town ta, 8 cameras) → one site ticket after the group wait
      await takeDown(h, SITE8);
      h.clock.now += 31_000;
      h.svc().tick();
      await h.svc().flush();
      await until(() => a.got.length >= 1);
      // 3. c10 (town tb) → a camera ticket: crew-b's next event must be it, never the ta site
      await takeDown(h, ['c10']);
      await until(() => b.got.some((c) => c.ticket.cameras.some((x) => x.code === 'c10')));
      await until(() => admin.got.some((c) => c.ticket.cameras.some((x) => x.code === 'c10')));

      expect(new Set(a.got.map((c) => c.ticket.townId))).toEqual(new Set(['ta']));
      expect(new Set(b.got.map((c) => c.ticket.townId))).toEqual(new Set(['tb']));
      expect(new Set(admin.got.map((c) => c.ticket.townId))).toEqual(new Set(['ta', 'tb']));
    } finally {
      await Promise.all([a.close(), b.close(), admin.close()]);
    }
  });

  it('no token → 401; a bad token → 401', async () => {
    expect((await fetch(`${base}/api/tickets/stream`)).status).toBe(401);
    expect((await fetch(`${base}/api/tickets/stream?token=nope`)).status).toBe(401);
  });
});
