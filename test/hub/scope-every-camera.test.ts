/**
 * Rule: tickets and maintenance windows are scoped by EVERY camera they hold, and show a
 * caller only the cameras in that caller's scope.
 * - Site s8 spans grids ga1 (c01–c04) and ga2 (c05–c08): its one site ticket is seen by a
 *   worker of ga2 (listed, by id, in the stream of changes, as found by ?grid=ga2), with only
 *   c05–c08 and their evidence; a crew of town tb does not see it.
 * - A window over c01 (town ta) and c09 (town tb) is listed to crew-a with [c01], to crew-b
 *   with [c09], to the worker of ga1 with [c01], to the admin with both; a window over grid
 *   gb2 is not listed to crew-a at all.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { get, login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { openStream } from '../live/channel-clients.ts';
import { SITE8, startTicketHub, takeDown, until, type TicketHub } from '../tickets/support.ts';

const WORKER2 = { username: 'worker-2', password: 'worker-2-pass' };

interface TicketJson {
  id: number;
  gridId: string;
  cameras: { code: string }[];
  evidence: { camera: string }[];
}

describe.each(DB_KINDS)('scope by every camera on %s', (kind) => {
  let h: TicketHub;
  const tok: Record<string, string> = {};
  let siteTicket = 0;
  beforeAll(async () => {
    h = await startTicketHub(kind);
    // a worker of ga2: the site ticket's second grid
    const file = join(h.t.configDir, 'users.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}  - { username: worker-2, role: worker, grids: [ga2], password: ${WORKER2.password} }\n`);
    await h.t.restart();
    for (const [k, u] of Object.entries({ ...USERS, worker2: WORKER2 })) tok[k] = await login(h.t.hub.app, u);
    await h.round(SITE8, null);
    await takeDown(h, SITE8);
    h.clock.now += 31_000; // the group wait: one site ticket for the 8 cameras
    h.svc().tick();
    await h.svc().flush();
    const all = (await get(h.t.hub.app, tok.admin!, '/api/tickets')).json() as { total: number; items: TicketJson[] };
    expect(all.total).toBe(1);
    expect(all.items[0]!.cameras.map((c) => c.code)).toEqual(SITE8);
    expect(all.items[0]!.gridId).toBe('ga1');
    siteTicket = all.items[0]!.id;
  });
  afterAll(async () => h?.close());

  it('a worker of the second grid sees the site ticket, with only its own cameras and their evidence', async () => {
    const list = (await get(h.t.hub.app, tok.worker2!, '/api/tickets')).json() as { total: number; items: TicketJson[] };
    expect(list.total).toBe(1);
    const t = list.items[0]!;
    expect(t.id).toBe(siteTicket);
    expect(t.cameras.map((c) => c.code)).toEqual(['c05', 'c06', 'c07', 'c08']);
    expect(t.evidence.length).toBeGreaterThan(0);
    expect(new Set(t.evidence.map((e) => e.camera))).toEqual(new Set(['c05', 'c06', 'c07', 'c08']));
    const one = await get(h.t.hub.app, tok.worker2!, `/api/tickets/${siteTicket}`);
    expect(one.statusCode).toBe(200);
    expect((one.json().ticket as TicketJson).cameras.map((c) => c.code)).toEqual(['c05', 'c06', 'c07', 'c08']);
    expect((one.json().cameras as { code: string }[]).map((c) => c.code)).toEqual(['c05', 'c06', 'c07', 'c08']);
    // the worker of ga1 sees the same ticket with the other half
    const w1 = (await get(h.t.hub.app, tok.worker!, '/api/tickets')).json() as { items: TicketJson[] };
    expect(w1.items.map((x) => x.cameras.map((c) => c.code))).toEqual([['c01', 'c02', 'c03', 'c04']]);
    // a crew of town tb does not see it, by list or by id
    expect((await get(h.t.hub.app, tok.crewB!, '/api/tickets')).json().total).toBe(0);
    expect((await get(h.t.hub.app, tok.crewB!, `/api/tickets/${siteTicket}`)).statusCode).toBe(404);
  });

  it('filters by grid and town find the ticket from any of its cameras', async () => {
    expect((await get(h.t.hub.app, tok.admin!, '/api/tickets?grid=ga2')).json().total).toBe(1);
    expect((await get(h.t.hub.app, tok.admin!, '/api/tickets?grid=gb1')).json().total).toBe(0);
    expect((await get(h.t.hub.app, tok.worker2!, '/api/tickets?grid=ga2')).json().total).toBe(1);
    const stats = (await get(h.t.hub.app, tok.worker2!, '/api/tickets/stats')).json() as { openByAge: { count: number }[] };
    expect(stats.openByAge.reduce((n, b) => n + b.count, 0)).toBe(1);
  });

  it('a worker of the second grid may comment on the site ticket; the reply and the stream show only its cameras', async () => {
    await h.t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(h.t.hub.app.server.address() as AddressInfo).port}`;
    const mine = await openStream(base, tok.worker2!);
    const theirs = await openStream(base, tok.crewB!);
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    const r = await h.t.hub.app.inject({
      method: 'POST',
      url: `/api/tickets/${siteTicket}/comment`,
      headers: { authorization: `Bearer ${tok.worker2}` },
      payload: { text: 'c05 pole is down' },
    });
    expect(r.statusCode).toBe(200);
    expect((r.json().ticket as TicketJson).cameras.map((c) => c.code)).toEqual(['c05', 'c06', 'c07', 'c08']);
    const event = () => mine.blocks.find((b) => b.startsWith('event: ticket'));
    await until(() => event() !== undefined, 5000, 'the change on the stream');
    const change = JSON.parse(event()!.split('\ndata: ')[1]!) as { ticket: TicketJson; events: string[] };
    expect(change.ticket.id).toBe(siteTicket);
    expect(change.ticket.cameras.map((c) => c.code)).toEqual(['c05', 'c06', 'c07', 'c08']);
    // crew-b's stream carries nothing of it (the stream keeps order: a later tb change would come after)
    expect(theirs.blocks.some((b) => b.startsWith('event: ticket'))).toBe(false);
    mine.close();
    theirs.close();
  });

  it('maintenance windows are listed by every camera they cover, each with only the caller’s cameras', async () => {
    const from = h.clock.now + 3600_000;
    const create = async (body: object) => {
      const r = await h.t.hub.app.inject({
        method: 'POST',
        url: '/api/maintenance',
        headers: { authorization: `Bearer ${tok.admin}` },
        payload: { from, to: from + 3600_000, note: 'work', ...body },
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.json().id as number;
    };
    const both = await create({ cameras: ['c01', 'c09'] });
    const gridB = await create({ grid: 'gb2' });
    const seen = async (who: string) => ((await get(h.t.hub.app, tok[who]!, '/api/maintenance')).json().items as { id: number; cameras: string[] }[]).map((w) => [w.id, w.cameras]);
    expect(await seen('admin')).toEqual([
      [both, ['c01', 'c09']],
      [gridB, []],
    ]);
    expect(await seen('crewA')).toEqual([[both, ['c01']]]);
    expect(await seen('crewB')).toEqual([
      [both, ['c09']],
      [gridB, []],
    ]);
    expect(await seen('worker')).toEqual([[both, ['c01']]]);
    expect(await seen('worker2')).toEqual([]);
  });
});
