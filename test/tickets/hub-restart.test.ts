/** End to end through the hub: restarts mid-outage and reopening. */
import { afterEach, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { SITE8, startReceiver, startTicketHub, takeDown, ticketRows, until, type Receiver, type TicketHub } from './support.ts';

describe.each(DB_KINDS)('tickets across restarts on %s', (kind) => {
  let h: TicketHub | undefined;
  let rx: Receiver | undefined;
  afterEach(async () => {
    await h?.close();
    await rx?.close();
    h = undefined;
    rx = undefined;
  });

  it('hub restarted mid-outage → no duplicate ticket and no duplicate notification (also for an undelivered one)', async () => {
    rx = await startReceiver();
    h = await startTicketHub(kind, rx.url);
    await h.round(['c09', 'c10', ...SITE8], null);
    await takeDown(h, ['c09']);
    await until(() => rx!.received.length === 1);
    // c10 fails while the receiver is down: its notification waits in the outbox
    rx.down = true;
    await takeDown(h, ['c10']);
    // the site fails and the hub restarts inside the group wait
    await takeDown(h, SITE8);
    await until(() => rx!.requests >= 2);
    expect(await ticketRows(h)).toHaveLength(2);

    await h.t.restart({ now: () => h!.clock.now });
    rx.down = false;
    await h.outbox().idle();
    await h.round(['c09', 'c10', ...SITE8], 'unreachable'); // still down after the restart
    h.clock.now += 30_000;
    h.svc().tick();
    await h.svc().flush();
    await until(() => rx!.received.length === 3);
    // no time bet: once the worker is idle with nothing undelivered, nothing more can arrive
    await h.outbox().idle();
    const [undelivered] = await h.t.hub.db.query<{ n: number }>(`select count(*)::int as n from notify_outbox where delivered_at is null`);
    expect(undelivered!.n).toBe(0);
    const rows = await ticketRows(h);
    expect(rows.map((r) => [r.kind, r.camera_codes.length])).toEqual([
      ['camera', 1],
      ['camera', 1],
      ['site', 8],
    ]);
    expect(rx.received.map((r) => `${r.body.ticket.id}:${r.body.event}`)).toEqual(['1:opened', '2:opened', '3:opened']);

    // and once more: a second restart changes nothing
    await h.t.restart({ now: () => h!.clock.now });
    await h.round(['c09', 'c10', ...SITE8], 'unreachable');
    h.svc().tick();
    await h.svc().flush();
    await h.outbox().idle();
    expect(await ticketRows(h)).toHaveLength(3);
    expect(rx.received).toHaveLength(3);
    const [pending] = await h.t.hub.db.query<{ n: number }>(`select count(*)::int as n from notify_outbox where delivered_at is null`);
    expect(pending!.n).toBe(0);
  });

  it('fails again soon after resolution → the same ticket reopens', async () => {
    h = await startTicketHub(kind);
    await h.round(['c09'], null);
    await takeDown(h, ['c09']);
    for (let i = 0; i < 4; i++) await h.round(['c09'], null);
    h.svc().tick();
    await h.svc().flush();
    expect((await ticketRows(h))[0]!.state).toBe('resolved');
    await takeDown(h, ['c09']);
    const rows = await ticketRows(h);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe('open');
    const [t] = await h.t.hub.db.query<{ data: { reopenCount: number } }>(`select data from tickets where id = 1`);
    expect(t!.data.reopenCount).toBe(1);
  });
});
