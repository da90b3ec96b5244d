/** Ticket API: scopes (town A's crew cannot see or touch town B's tickets), actions, clear 4xx, stats, maintenance windows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { get, login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { SITE8, startTicketHub, takeDown, type TicketHub } from './support.ts';

describe.each(DB_KINDS)('ticket API on %s', (kind) => {
  let h: TicketHub;
  const tok: Record<string, string> = {};
  let siteTicket = 0;
  let tbTicket = 0;
  const send = (who: string, method: 'POST' | 'DELETE', url: string, payload?: unknown) =>
    h.t.hub.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tok[who]}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });

  beforeAll(async () => {
    h = await startTicketHub(kind);
    for (const [k, u] of Object.entries(USERS)) tok[k] = await login(h.t.hub.app, u);
    await h.round([...SITE8, 'c09'], null);
    await takeDown(h, [...SITE8, 'c09']);
    h.clock.now += 30_000;
    h.svc().tick();
    await h.svc().flush();
    const all = (await get(h.t.hub.app, tok.admin!, '/api/tickets')).json();
    expect(all.total).toBe(2);
    siteTicket = all.items.find((t: { kind: string }) => t.kind === 'site').id;
    tbTicket = all.items.find((t: { townId: string }) => t.townId === 'tb').id;
  });
  afterAll(async () => h?.close());

  it("crew-a sees only town ta's tickets and can neither read nor change town tb's", async () => {
    const mine = (await get(h.t.hub.app, tok.crewA!, '/api/tickets')).json();
    expect(mine.items.map((t: { townId: string }) => t.townId)).toEqual(['ta']);
    expect((await get(h.t.hub.app, tok.crewA!, '/api/tickets?town=tb')).json().total).toBe(0);
    expect((await get(h.t.hub.app, tok.crewA!, `/api/tickets/${tbTicket}`)).statusCode).toBe(404);
    for (const [url, body] of [
      [`/api/tickets/${tbTicket}/ack`, {}],
      [`/api/tickets/${tbTicket}/resolve`, { cause: 'power' }],
      [`/api/tickets/${tbTicket}/comment`, { text: 'hi' }],
      [`/api/tickets/${tbTicket}/assign`, { assignee: 'crew-a' }],
    ] as const) {
      const r = await send('crewA', 'POST', url, body);
      expect(r.statusCode).toBe(404);
    }
    const t = (await get(h.t.hub.app, tok.crewB!, `/api/tickets/${tbTicket}`)).json();
    expect(t.ticket.state).toBe('open');
    expect(t.timeline.map((e: { type: string }) => e.type)).toEqual(['opened']);
    // the worker of grid ga1 sees the site ticket (its grid), not tb's
    expect((await get(h.t.hub.app, tok.worker!, '/api/tickets')).json().items.map((x: { id: number }) => x.id)).toEqual([siteTicket]);
  });

  it('acknowledge, assign, comment; resolve while still offline is recorded and waits for verification', async () => {
    const ack = await send('crewB', 'POST', `/api/tickets/${tbTicket}/ack`, {});
    expect(ack.statusCode).toBe(200);
    expect(ack.json().ticket).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'crew-b', assignee: 'crew-b' });
    expect((await send('crewB', 'POST', `/api/tickets/${tbTicket}/comment`, { text: '已到现场' })).statusCode).toBe(200);
    const res = await send('crewB', 'POST', `/api/tickets/${tbTicket}/resolve`, { cause: 'fibre_modem', note: '更换光猫' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ verification: 'pending', ticket: { state: 'acknowledged', cause: 'fibre_modem' } });
    const list = (await get(h.t.hub.app, tok.admin!, '/api/tickets?state=acknowledged')).json();
    expect(list.items.map((t: { id: number }) => t.id)).toEqual([tbTicket]);
  });

  it.each([
    ['id not a number', 'crewA', 'POST', '/api/tickets/abc/ack', {}, 400, /id/],
    ['unknown cause', 'crewA', 'POST', '/api/tickets/SITE/resolve', { cause: 'aliens' }, 400, /cause/],
    ['cause missing', 'crewA', 'POST', '/api/tickets/SITE/resolve', {}, 400, /cause/],
    ['extra field', 'crewA', 'POST', '/api/tickets/SITE/comment', { text: 'x', evil: 1 }, 400, /additional/],
    ['empty comment', 'crewA', 'POST', '/api/tickets/SITE/comment', { text: '' }, 400, /text/],
    ['assign to a stranger', 'crewA', 'POST', '/api/tickets/SITE/assign', { assignee: 'crew-b' }, 400, /not a crew member/],
    ['no such ticket', 'crewA', 'POST', '/api/tickets/99999/ack', {}, 404, /not found/],
    ['viewer may not act', 'viewer', 'POST', '/api/tickets/SITE/ack', {}, 403, /role viewer/],
    ['no token', 'nobody', 'POST', '/api/tickets/SITE/ack', {}, 401, /token/],
    ['bad filter', 'admin', 'GET', '/api/tickets?state=exploded', undefined, 400, /state/],
    ['report on unknown camera', 'worker', 'POST', '/api/tickets/report', { camera: 'nope', comment: 'x' }, 404, /camera nope/],
    ['maintenance without cameras', 'crewA', 'POST', '/api/maintenance', { from: 1, to: 2, note: 'x' }, 400, /cameras, a site or a grid/],
  ])('malformed action (%s) → clear %s', async (_n, who, method, url, body, status, message) => {
    const u = url.replace('SITE', String(siteTicket));
    const r =
      method === 'GET'
        ? await get(h.t.hub.app, tok[who]!, u)
        : await h.t.hub.app.inject({
            method: method as 'POST',
            url: u,
            headers: { ...(tok[who] ? { authorization: `Bearer ${tok[who]}` } : {}), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toMatch(message);
  });

  it('acknowledging twice is a 409 with the reason', async () => {
    expect((await send('crewA', 'POST', `/api/tickets/${siteTicket}/ack`, {})).statusCode).toBe(200);
    const again = await send('crewA', 'POST', `/api/tickets/${siteTicket}/ack`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/already acknowledged by crew-a/);
  });

  it('a worker reports a fault on a camera the monitor sees online → a worker ticket; again → a comment on it', async () => {
    await h.round(['c10'], null);
    const r = await send('worker', 'POST', '/api/tickets/report', { camera: 'c01', comment: '立杆倾斜' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ created: false, ticket: { id: siteTicket } }); // c01 is in the open site ticket
    const outside = await send('worker', 'POST', '/api/tickets/report', { camera: 'c10', comment: 'x' });
    expect(outside.statusCode).toBe(404); // c10 is not in the worker's grid
    const crew = await send('crewB', 'POST', '/api/tickets/report', { camera: 'c10', comment: '画面模糊' });
    expect(crew.json()).toMatchObject({ created: true, ticket: { source: 'worker', cameras: [{ code: 'c10' }] } });
    const closed = await send('crewB', 'POST', `/api/tickets/${crew.json().ticket.id}/resolve`, { cause: 'camera_aged' });
    expect(closed.json()).toMatchObject({ verification: 'done', ticket: { state: 'resolved', cause: 'camera_aged', resolvedBy: 'crew-b' } });
  });

  it('statistics: by class, open by age, time to repair per town and crew (scoped)', async () => {
    const s = (await get(h.t.hub.app, tok.admin!, '/api/tickets/stats')).json();
    expect(s.byClass).toEqual(
      expect.arrayContaining([
        { fault: 'unreachable', category: 'line_power', active: 2, resolved: 0 },
        { fault: null, category: 'device', active: 0, resolved: 1 },
      ]),
    );
    expect(s.openByAge).toEqual([
      { bucket: '<4h', count: 2 },
      { bucket: '4-24h', count: 0 },
      { bucket: '1-3d', count: 0 },
      { bucket: '>3d', count: 0 },
    ]);
    expect(s.repairByTown).toHaveLength(1);
    expect(s.repairByTown[0]).toMatchObject({ townId: 'tb', resolved: 1 });
    expect(s.repairByCrew).toEqual([expect.objectContaining({ crew: 'crew-b', resolved: 1 })]);
    const a = (await get(h.t.hub.app, tok.crewA!, '/api/tickets/stats')).json();
    expect(a.repairByTown).toHaveLength(0);
    expect(a.openByAge[0].count).toBe(1);
  });

  it('a maintenance window (报备) takes cameras out of the rate and stops tickets from opening', async () => {
    const w = await send('crewB', 'POST', '/api/maintenance', { cameras: ['c10'], from: h.clock.now, to: h.clock.now + 3600_000, note: '杆件迁移' });
    expect(w.statusCode).toBe(200);
    expect(h.t.hub.monitor.cameras.get('c10')!.state).toBe('maintenance');
    expect((await send('crewA', 'POST', '/api/maintenance', { cameras: ['c10'], from: h.clock.now, to: h.clock.now + 1000, note: 'x' })).statusCode).toBe(404);
    // rule: windows are listed in scope, as tickets are — town tb's window is not town ta's business
    const listed = async (who: string) => (await get(h.t.hub.app, tok[who]!, '/api/maintenance')).json().items.map((x: { id: number }) => x.id);
    expect(await listed('crewB')).toEqual([w.json().id]);
    expect(await listed('admin')).toEqual([w.json().id]);
    expect(await listed('crewA')).toEqual([]);
    expect(await listed('worker')).toEqual([]); // grid ga1 only
    const before = (await get(h.t.hub.app, tok.admin!, '/api/tickets')).json().total;
    await takeDown(h, ['c10']);
    h.svc().tick();
    await h.svc().flush();
    expect((await get(h.t.hub.app, tok.admin!, '/api/tickets')).json().total).toBe(before);
    expect((await send('crewB', 'DELETE', `/api/maintenance/${w.json().id}`)).statusCode).toBe(200);
    expect(h.t.hub.monitor.cameras.get('c10')!.state).toBe('unknown');
  });
});
