/** End to end through the hub: report batches → transitions → tickets → webhook, across restarts. */
import { afterEach, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { get, login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { SITE8, startReceiver, startTicketHub, takeDown, ticketRows, until, type Receiver, type TicketHub } from './support.ts';

describe.each(DB_KINDS)('tickets through the hub on %s', (kind) => {
  let h: TicketHub | undefined;
  let rx: Receiver | undefined;
  afterEach(async () => {
    await h?.close();
    await rx?.close();
    h = undefined;
    rx = undefined;
  });

  it('one camera down → one ticket; back and held → resolved with its duration; webhook gets each event once though it fails twice first', async () => {
    rx = await startReceiver();
    rx.failNext = 2;
    h = await startTicketHub(kind, rx.url);
    // rounds are 30 s apart (≤ S = 120 s, one run). From unknown, M = 2 successes: online from the
    // first (T0 + 30 s); the last success is the second (T0 + 60 s)
    await h.round(['c09', 'c10'], null);
    await h.round(['c09', 'c10'], null);
    const lastOk = h.clock.now;
    // N = 3 failures (T0 + 90, 120, 150 s) on an online camera: offline from the last success, T0 + 60 s
    await takeDown(h, ['c09']);
    expect(h.t.hub.monitor.cameras.get('c09')!.state).toBe('offline');
    expect(await ticketRows(h)).toEqual([{ id: 1, kind: 'camera', state: 'open', camera_codes: ['c09'] }]);
    await until(() => rx!.received.length === 1);
    expect(rx.requests).toBe(3);
    expect(rx.received[0]!.body).toMatchObject({ event: 'opened', ticket: { id: 1, category: 'line_power', townId: 'tb', crews: ['crew-b'] } });
    expect(JSON.stringify(rx.received[0]!.body)).not.toContain('S3cret'); // no camera credentials in a ticket

    // back: 2 successes (T0 + 180, 210 s) → online from the first, T0 + 180 s; hold-down 60 s of fresh successes → verified closure
    await h.round(['c09'], null);
    await h.round(['c09'], null);
    const backSince = h.clock.now - 30_000;
    h.svc().tick();
    await h.svc().flush();
    expect((await ticketRows(h))[0]!.state).toBe('open');
    await h.round(['c09'], null);
    await h.round(['c09'], null);
    h.svc().tick();
    await h.svc().flush();
    const admin = await login(h.t.hub.app, USERS.admin);
    const one = (await get(h.t.hub.app, admin, '/api/tickets/1')).json();
    // repair: from the last success to the return, (T0 + 180 s) − (T0 + 60 s) = 120 s
    expect(backSince - lastOk).toBe(120_000);
    expect(one.ticket).toMatchObject({ state: 'resolved', resolvedBy: 'monitor', repairMs: backSince - lastOk });
    expect(one.timeline.map((e: { type: string }) => e.type)).toEqual(['opened', 'camera_back', 'resolved']);
    expect(one.ticket.evidence.length).toBeGreaterThan(0);
    expect(one.ticket.evidence[0]).toMatchObject({ camera: 'c09', fault: 'unreachable' });
    expect(one.cameras[0]).toMatchObject({ code: 'c09', state: 'online' });
    await until(() => rx!.received.length === 2);
    await h.outbox().idle();
    expect(rx.received.map((r) => r.body.event)).toEqual(['opened', 'resolved']);
    expect(new Set(rx.received.map((r) => r.eventId)).size).toBe(2);
  });

  it("a webhook with towns gets only those towns' tickets; one without towns gets every town's", async () => {
    rx = await startReceiver();
    const rxTb = await startReceiver();
    try {
      h = await startTicketHub(kind, [
        { name: 'county', url: rx.url },
        { name: 'town-b', url: rxTb.url, towns: ['tb'] },
      ]);
      // c09 is in town tb; the 8 cameras of site s8 are in town ta (one site ticket after the group wait)
      await h.round(['c09', ...SITE8], null);
      await takeDown(h, ['c09', ...SITE8]);
      await h.round([], null, 31_000);
      h.svc().tick();
      await h.svc().flush();
      const rows = await ticketRows(h);
      expect(rows.map((r) => r.kind).sort()).toEqual(['camera', 'site']);
      await until(() => rx!.received.length === 2);
      await h.outbox().idle();
      expect(rx.received.map((r) => r.body.ticket.townId).sort()).toEqual(['ta', 'tb']);
      // rule: the towns filter — town-b hears only of tb
      expect(rxTb.received.map((r) => [r.body.event, r.body.ticket.townId])).toEqual([['opened', 'tb']]);
    } finally {
      await rxTb.close();
    }
  });

  it('a site power loss of 8 cameras → one parent ticket, 0 child tickets', async () => {
    h = await startTicketHub(kind);
    await h.round(SITE8, null);
    await takeDown(h, SITE8);
    expect(await ticketRows(h)).toHaveLength(0); // waiting for the group to form
    h.clock.now += 30_000;
    h.svc().tick();
    await h.svc().flush();
    const rows = await ticketRows(h);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'site', camera_codes: SITE8 });
    const admin = await login(h.t.hub.app, USERS.admin);
    const list = (await get(h.t.hub.app, admin, '/api/tickets?state=active')).json();
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ kind: 'site', siteId: 's8', category: 'line_power', fault: 'unreachable' });
  });

  it('a flapping camera → one ticket, marked unstable', async () => {
    h = await startTicketHub(kind);
    await h.round(['c10'], null);
    for (let i = 0; i < 4; i++) {
      await takeDown(h, ['c10'], 'stream_down');
      await h.round(['c10'], null);
      await h.round(['c10'], null);
    }
    h.svc().tick();
    await h.svc().flush();
    const rows = await h.t.hub.db.query<{ id: number; unstable: boolean; category: string }>(`select id, unstable, category from tickets`);
    expect(rows).toEqual([{ id: 1, unstable: true, category: 'device' }]);
  });
});
