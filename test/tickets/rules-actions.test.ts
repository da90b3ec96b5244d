/** What people do to tickets (acknowledge, assign, comment, resolve with a cause, report from the field): pure rules, time as an argument. */
import { describe, expect, it } from 'vitest';
import type { CameraMeta } from '../../src/core/model.ts';
import { acknowledge, assign, comment, reportFault, resolveByCrew } from '../../src/core/tickets/actions.ts';
import { DEFAULT_TICKET_RULES, TicketError, type Ticket, type TicketRules } from '../../src/core/tickets/model.ts';
import { result } from '../support/reports.ts';
import { engineHarness } from './engine-harness.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const MIN = 60_000;
const RULES: TicketRules = { ...DEFAULT_TICKET_RULES, holdDownMs: MIN, reopenWindowMs: 3600_000 };

const CAMS: CameraMeta[] = [
  { code: 'a1', gridId: 'g1', townId: 't1', siteId: 'pair' },
  { code: 'a2', gridId: 'g1', townId: 't1', siteId: 'pair' },
  { code: 'x1', gridId: 'g3', townId: 't2', siteId: null },
  { code: 'z1', gridId: 'g9', townId: 't9', siteId: null }, // a town without crews
];

function setup() {
  const crews = new Map([
    ['t1', ['crew-1', 'crew-3']],
    ['t2', ['crew-2']],
  ]);
  const h = engineHarness(RULES, CAMS, crews);
  const stateOf = (c: string) => h.states.get(c);
  return { ...h, stateOf };
}

function ticketError(f: () => unknown): TicketError {
  try {
    f();
  } catch (e) {
    if (e instanceof TicketError) return e;
    throw e;
  }
  throw new Error('no TicketError thrown');
}

describe('acknowledge (接单)', () => {
  it('acknowledging records who and when; the acknowledger becomes the assignee; one acknowledged event by that user', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    const t = acknowledge(s.engine, 1, 'crew-2', T0 + 1000);
    expect(t).toMatchObject({ id: 1, state: 'acknowledged', acknowledgedAt: T0 + 1000, acknowledgedBy: 'crew-2', assignee: 'crew-2', rev: 2 });
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'acknowledged', at: T0 + 1000, actor: 'crew-2', data: {} }]);
  });

  it('acknowledging keeps an assignee set before', () => {
    const s = setup();
    s.down('a1', T0);
    s.engine.tick(T0 + 30_000);
    assign(s.engine, 1, 'crew-1', 'admin', T0 + 31_000);
    expect(acknowledge(s.engine, 1, 'crew-3', T0 + 32_000)).toMatchObject({ assignee: 'crew-1', acknowledgedBy: 'crew-3' });
  });

  it('a second acknowledgement is a conflict that names who acknowledged first', () => {
    const s = setup();
    s.down('x1', T0);
    acknowledge(s.engine, 1, 'crew-2', T0 + 1000);
    s.events();
    const e = ticketError(() => acknowledge(s.engine, 1, 'admin', T0 + 2000));
    expect([e.code, e.message]).toEqual(['conflict', 'ticket 1 is already acknowledged by crew-2']);
    expect(s.events()).toEqual([]);
  });

  it('acting on a resolved (or unknown) ticket is a conflict: "ticket N is resolved"', () => {
    const s = setup();
    const calls: (() => unknown)[] = [
      () => acknowledge(s.engine, 7, 'crew-2', T0),
      () => assign(s.engine, 7, 'crew-2', 'admin', T0),
      () => comment(s.engine, 7, 'x', 'crew-2', T0),
      () => resolveByCrew(s.engine, 7, 'power', null, 'crew-2', T0, s.stateOf),
    ];
    for (const f of calls) {
      const e = ticketError(f);
      expect([e.code, e.message]).toEqual(['conflict', 'ticket 7 is resolved']);
    }
  });
});

describe('assign and comment', () => {
  it('a ticket is assigned only to a crew member of its town; anyone else is invalid, named in the error', () => {
    const s = setup();
    s.down('x1', T0); // town t2: crew-2
    s.events();
    const e = ticketError(() => assign(s.engine, 1, 'crew-1', 'admin', T0 + 1000));
    expect([e.code, e.message]).toEqual(['invalid', 'crew-1 is not a crew member of town t2']);
    expect(s.engine.activeFor('x1')!.assignee).toBeNull();
    expect(s.events()).toEqual([]);
    const t = assign(s.engine, 1, 'crew-2', 'admin', T0 + 2000);
    expect(t.assignee).toBe('crew-2');
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'assigned', at: T0 + 2000, actor: 'admin', data: { assignee: 'crew-2' } }]);
  });

  it('a town without crews: its tickets carry no crew and nobody can be assigned', () => {
    const s = setup();
    s.down('z1', T0);
    expect(s.engine.activeFor('z1')!.crews).toEqual([]);
    expect(s.engine.crewsOf('t9')).toEqual([]);
    expect(ticketError(() => assign(s.engine, 1, 'crew-1', 'admin', T0)).message).toBe('crew-1 is not a crew member of town t9');
  });

  it('a comment is one commented event with its text, by its author; the ticket is otherwise unchanged', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    const t = comment(s.engine, 1, '已联系村委', 'crew-2', T0 + 5000);
    expect(t).toMatchObject({ id: 1, state: 'open', rev: 2, updatedAt: T0 + 5000 });
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'commented', at: T0 + 5000, actor: 'crew-2', data: { text: '已联系村委' } }]);
  });
});

describe('resolve with a cause (处理完成): verified closure', () => {
  it('a cause outside the list is invalid, the message lists the six causes, the ticket is untouched', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    // biome-ignore lint/suspicious/noExplicitAny: a client can send any string
    const e = ticketError(() => resolveByCrew(s.engine, 1, 'weather' as any, null, 'crew-2', T0 + 1000, s.stateOf));
    expect([e.code, e.message]).toEqual(['invalid', 'cause must be one of camera_aged, cabling_aged, fibre_modem, power, configuration, other']);
    expect(s.engine.activeFor('x1')).toMatchObject({ cause: null, fixReportedAt: null, state: 'open' });
    expect(s.events()).toEqual([]);
  });

  it('camera back online but not yet held for the hold-down: the fix is recorded (fix_reported), the ticket waits for verification', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.events();
    const r = resolveByCrew(s.engine, 1, 'fibre_modem', '换了光猫', 'crew-2', T0 + MIN + 1000, s.stateOf);
    expect(r.verification).toBe('pending');
    expect(r.ticket).toMatchObject({ state: 'open', cause: 'fibre_modem', fixReportedAt: T0 + MIN + 1000, fixReportedBy: 'crew-2', autoClose: true });
    expect(s.events()).toEqual([{ ticketId: 1, rev: 3, type: 'fix_reported', at: T0 + MIN + 1000, actor: 'crew-2', data: { cause: 'fibre_modem', note: '换了光猫' } }]);
    s.ok('x1', T0 + 2 * MIN);
    s.engine.tick(T0 + 2 * MIN);
    expect(r.ticket).toMatchObject({ state: 'resolved', resolvedBy: 'monitor', cause: 'fibre_modem' });
  });

  it('a site ticket with one camera verified and one still down waits for the other', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0);
    s.engine.tick(T0 + 30_000);
    s.up('a1', T0 + MIN);
    s.ok('a1', T0 + 2 * MIN);
    s.engine.tick(T0 + 2 * MIN);
    expect(s.engine.activeFor('a1')!.cameras.map((c) => c.verified)).toEqual([true, false]);
    expect(resolveByCrew(s.engine, 1, 'power', null, 'crew-1', T0 + 3 * MIN, s.stateOf).verification).toBe('pending');
    expect(s.engine.activeFor('a1')!.state).toBe('open');
  });

  it('a worker ticket on a camera the monitor sees online closes on the crew word: resolved by the crew, the note as a comment after it', () => {
    const s = setup();
    s.states.set('x1', 'online');
    reportFault(s.engine, 'x1', '镜头脏', 'worker-1', T0);
    s.events();
    const r = resolveByCrew(s.engine, 1, 'other', '擦了镜头', 'crew-2', T0 + 1000, s.stateOf);
    expect(r.verification).toBe('done');
    expect(r.ticket).toMatchObject({ state: 'resolved', resolvedBy: 'crew-2', resolvedAt: T0 + 1000, cause: 'other', fixReportedBy: 'crew-2' });
    expect(s.engine.activeFor('x1')).toBeUndefined();
    expect(s.events().map((e) => [e.type, e.actor, e.data])).toEqual([
      ['resolved', 'crew-2', { cause: 'other', repairMs: 1000, verified: false }],
      ['commented', 'crew-2', { text: '擦了镜头' }],
    ]);
  });

  it('closed on the crew word without a note: no comment event', () => {
    const s = setup();
    s.states.set('x1', 'online');
    reportFault(s.engine, 'x1', '角度不对', 'worker-1', T0);
    s.events();
    resolveByCrew(s.engine, 1, 'configuration', null, 'crew-2', T0 + 1000, s.stateOf);
    expect(s.events().map((e) => e.type)).toEqual(['resolved']);
  });

  it('a worker ticket whose camera has gone offline since the report waits for verified recovery', () => {
    const s = setup();
    s.states.set('x1', 'online');
    reportFault(s.engine, 'x1', '画面花屏', 'worker-1', T0);
    s.down('x1', T0 + MIN); // the ticket already holds x1: no new ticket
    expect(s.engine.active.size).toBe(1);
    const r = resolveByCrew(s.engine, 1, 'camera_aged', null, 'crew-2', T0 + 2 * MIN, s.stateOf);
    expect(r.verification).toBe('pending');
    expect(r.ticket).toMatchObject({ state: 'open', autoClose: true });
    s.up('x1', T0 + 3 * MIN);
    s.ok('x1', T0 + 4 * MIN);
    s.engine.tick(T0 + 4 * MIN);
    expect(r.ticket).toMatchObject({ state: 'resolved', resolvedBy: 'monitor' });
  });

  it('a worker ticket opened while the camera was offline waits for verification even once the camera is back', () => {
    const s = setup();
    s.states.set('x1', 'offline');
    reportFault(s.engine, 'x1', '不亮', 'worker-1', T0);
    s.up('x1', T0 + MIN);
    expect(resolveByCrew(s.engine, 1, 'power', null, 'crew-2', T0 + MIN + 1000, s.stateOf).verification).toBe('pending');
  });

  it('every camera verified back: the crew word closes the ticket at once, whatever the newest state the monitor reports', () => {
    const s = setup();
    s.states.set('x1', 'online');
    reportFault(s.engine, 'x1', '镜头脏', 'worker-1', T0); // does not close itself
    s.down('x1', T0 + MIN);
    s.up('x1', T0 + 2 * MIN);
    s.ok('x1', T0 + 3 * MIN);
    s.engine.tick(T0 + 3 * MIN);
    expect(s.engine.activeFor('x1')!.cameras[0]!.verified).toBe(true);
    // the monitor has just seen it fail again; its transition has not reached the tickets yet
    const r = resolveByCrew(s.engine, 1, 'other', null, 'crew-2', T0 + 4 * MIN, () => 'offline');
    expect(r.verification).toBe('done');
    expect(r.ticket).toMatchObject({ state: 'resolved', resolvedBy: 'crew-2' });
  });
});

describe('a fault reported from the field (source: worker)', () => {
  it('an unknown camera is not found, named in the error', () => {
    const s = setup();
    const e = ticketError(() => reportFault(s.engine, 'nope', '?', 'worker-1', T0));
    expect([e.code, e.message]).toEqual(['not_found', 'camera nope not found']);
  });

  it('a camera the monitor sees online: a camera ticket from the worker, down since now, no fault class, does not close itself', () => {
    const s = setup();
    s.states.set('x1', 'online');
    s.engine.onResult(result('x1', T0 - 1000, 'auth_failed'), T0 - 1000); // an old failure: the monitor says online
    const { ticket, created } = reportFault(s.engine, 'x1', '镜头被树枝遮挡', 'worker-1', T0);
    expect(created).toBe(true);
    expect(ticket).toMatchObject({ kind: 'camera', source: 'worker', fault: null, category: 'device', autoClose: false, report: { by: 'worker-1', comment: '镜头被树枝遮挡' } });
    expect(ticket.cameras).toEqual([{ code: 'x1', gridId: 'g3', fault: null, offlineSince: T0, backSince: null, backAt: null, lastOkAt: null, verified: false }]);
    const [opened] = s.events();
    expect(opened).toMatchObject({ ticketId: 1, type: 'opened', actor: 'worker-1' });
  });

  it('a camera the monitor sees offline: the ticket takes the newest fault class and closes itself on verified recovery', () => {
    const s = setup();
    s.states.set('x1', 'offline');
    s.engine.onResult(result('x1', T0 - 2000, 'unreachable'), T0 - 2000);
    s.engine.onResult(result('x1', T0 - 1000, 'auth_failed'), T0 - 1000);
    const { ticket } = reportFault(s.engine, 'x1', '不亮', 'worker-1', T0);
    expect(ticket).toMatchObject({ fault: 'auth_failed', category: 'configuration', autoClose: true });
    expect(ticket.evidence.map((e) => e.fault)).toEqual(['unreachable', 'auth_failed']);
  });

  it('a camera with an open ticket: the report joins it as a worker comment, no new ticket', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    const r = reportFault(s.engine, 'x1', '还是看不清', 'worker-1', T0 + 1000);
    expect(r).toEqual({ ticket: s.engine.activeFor('x1'), created: false });
    expect(s.engine.active.size).toBe(1);
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'commented', at: T0 + 1000, actor: 'worker-1', data: { text: '还是看不清', source: 'worker' } }]);
  });

  it('reported tickets are numbered with the others', () => {
    const s = setup();
    s.down('x1', T0);
    s.states.set('z1', 'online');
    const t: Ticket = reportFault(s.engine, 'z1', '歪了', 'worker-1', T0).ticket;
    expect(t.id).toBe(2);
  });
});
