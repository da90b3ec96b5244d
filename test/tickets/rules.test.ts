/** The pure ticket rules, counted: no database, no HTTP, time as an argument. */
import { describe, expect, it } from 'vitest';
import { MaintenanceCalendar } from '../../src/core/maintenance.ts';
import type { CameraMeta, CameraState, Transition } from '../../src/core/model.ts';
import { acknowledge, reportFault, resolveByCrew } from '../../src/core/tickets/actions.ts';
import { TicketEngine } from '../../src/core/tickets/engine.ts';
import { DEFAULT_TICKET_RULES, TicketError, type TicketRules } from '../../src/core/tickets/model.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';
import { result } from '../support/reports.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const RULES: TicketRules = { ...DEFAULT_TICKET_RULES, groupWaitMs: 30_000, holdDownMs: 60_000, reopenWindowMs: 3600_000, flapThreshold: 2, slaMs: 24 * 3600_000 };

// site p: 8 cameras behind one 光猫; site s: 2; x1, x2 on their own
const CAMS: CameraMeta[] = [
  ...Array.from({ length: 8 }, (_, i) => ({ code: `p0${i + 1}`, gridId: 'g1', townId: 't1', siteId: 'p' })),
  { code: 's01', gridId: 'g2', townId: 't1', siteId: 's' },
  { code: 's02', gridId: 'g2', townId: 't1', siteId: 's' },
  { code: 'x1', gridId: 'g3', townId: 't2', siteId: null },
  { code: 'x2', gridId: 'g3', townId: 't2', siteId: null },
];

function setup(rules: TicketRules = RULES) {
  const states = new Map<string, CameraState>();
  const calendar = new MaintenanceCalendar(CAMS);
  const engine = new TicketEngine(
    rules,
    CAMS,
    new Map([
      ['t1', ['crew-1']],
      ['t2', ['crew-2']],
    ]),
    1,
    (c) => states.get(c),
    calendar,
  );
  const events: string[] = [];
  const all = new Map<number, ReturnType<TicketEngine['drain']>['tickets'][number]>();
  const drain = () => {
    const d = engine.drain();
    for (const t of d.tickets) all.set(t.id, t);
    events.push(...d.events.map((e) => `${e.ticketId}:${e.type}`));
    return d;
  };
  const down = (camera: string, at: number, fault: FaultClass = 'unreachable', since = at - 90_000) => {
    states.set(camera, 'offline');
    engine.onTransitions([tr(camera, 'online', 'offline', at, since, fault)], at);
  };
  const up = (camera: string, at: number) => {
    states.set(camera, 'online');
    engine.onTransitions([tr(camera, 'offline', 'online', at, at - 30_000, null)], at);
  };
  const ok = (camera: string, at: number) => engine.onResult(result(camera, at), at);
  return { engine, calendar, states, events, all, drain, down, up, ok };
}

function tr(camera: string, from: CameraState, to: CameraState, at: number, since: number, fault: FaultClass | null): Transition {
  return { camera, from, to, at, since, fault: to === 'offline' ? fault : null, reason: 'probe' };
}

describe('ticket rules', () => {
  it('one camera down → one ticket after the debounce (at once without a site, after the group wait with one)', () => {
    const s = setup();
    s.down('x1', T0);
    s.drain();
    expect(s.all.size).toBe(1);
    expect([...s.all.values()][0]).toMatchObject({ kind: 'camera', cameras: [{ code: 'x1' }], category: 'line_power', state: 'open', crews: ['crew-2'], townId: 't2' });

    s.down('p01', T0);
    s.engine.tick(T0 + 29_000);
    s.drain();
    expect(s.all.size).toBe(1); // still waiting for neighbours
    s.engine.tick(T0 + 30_000);
    s.drain();
    expect(s.all.size).toBe(2);
    expect(s.all.get(2)).toMatchObject({ kind: 'camera', cameras: [{ code: 'p01' }] });
    // more failures of the same camera change nothing: one open ticket per camera
    s.down('p01', T0 + 60_000);
    s.engine.tick(T0 + 120_000);
    s.drain();
    expect(s.all.size).toBe(2);
  });

  it('a site power loss of 8 cameras → one parent ticket, 0 child tickets; a late camera joins the parent', () => {
    const s = setup();
    for (let i = 1; i <= 7; i++) s.down(`p0${i}`, T0 + i * 2000);
    s.engine.tick(T0 + 40_000);
    s.drain();
    expect(s.all.size).toBe(1);
    const parent = [...s.all.values()][0]!;
    expect(parent).toMatchObject({ kind: 'site', siteId: 'p', category: 'line_power', fault: 'unreachable' });
    expect(parent.cameras).toHaveLength(7);
    s.down('p08', T0 + 50_000);
    s.engine.tick(T0 + 100_000);
    s.drain();
    expect(s.all.size).toBe(1);
    expect(s.all.get(parent.id)!.cameras.map((c) => c.code)).toEqual(['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08']);
    expect([...s.all.values()].filter((t) => t.kind === 'camera')).toHaveLength(0);
    expect(s.events.filter((e) => e.endsWith(':opened'))).toHaveLength(1);
  });

  it('back online and held for the hold-down → resolved (verified) with its time to repair', () => {
    const s = setup();
    s.down('x1', T0, 'unreachable', T0 - 90_000);
    const back = T0 + 3600_000;
    s.up('x1', back);
    s.ok('x1', back + 30_000);
    s.engine.tick(back + 30_000);
    s.drain();
    expect(s.all.get(1)!.state).toBe('open'); // back, but not yet held for the hold-down
    s.ok('x1', back + 61_000);
    s.engine.tick(back + 61_000);
    s.drain();
    const t = s.all.get(1)!;
    expect(t).toMatchObject({ state: 'resolved', resolvedBy: 'monitor', resolvedAt: back + 61_000 });
    // offline since the last success (T0 - 90 s) until it really came back (back - 30 s)
    expect(t.repairMs).toBe(back - 30_000 - (T0 - 90_000));
  });

  it('online without fresh evidence (agent went silent) does not close the ticket', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + 60_000);
    s.engine.onTransitions([tr('x1', 'online', 'unknown', T0 + 70_000, T0 + 70_000, null)], T0 + 70_000);
    s.engine.tick(T0 + 3600_000);
    s.drain();
    expect(s.all.get(1)!.state).toBe('open');
  });

  it('a flapping camera → one ticket, marked unstable', () => {
    const s = setup();
    let t = T0;
    for (let i = 0; i < 5; i++) {
      s.down('x2', t, 'stream_down');
      t += 20_000;
      s.up('x2', t);
      s.ok('x2', t + 10_000);
      t += 30_000;
      s.engine.tick(t);
    }
    s.drain();
    expect(s.all.size).toBe(1);
    const ticket = s.all.get(1)!;
    expect(ticket).toMatchObject({ unstable: true, flaps: 4, category: 'device', state: 'open' });
    expect(s.events.filter((e) => e.endsWith(':unstable'))).toHaveLength(1);
  });

  it('fails again soon after resolution → the ticket is reopened, not a new one; later → a new one', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + 600_000);
    s.ok('x1', T0 + 700_000);
    s.engine.tick(T0 + 700_000);
    s.drain();
    expect(s.all.get(1)!.state).toBe('resolved');
    s.down('x1', T0 + 1200_000);
    s.drain();
    expect(s.all.size).toBe(1);
    expect(s.all.get(1)).toMatchObject({ state: 'open', reopenCount: 1, resolvedAt: null });
    expect(s.events).toContain('1:reopened');
    // resolve again; fail after the reopen window → a new ticket
    s.up('x1', T0 + 1300_000);
    s.ok('x1', T0 + 1400_000);
    s.engine.tick(T0 + 1400_000);
    s.down('x1', T0 + 1400_000 + RULES.reopenWindowMs + 1);
    s.drain();
    expect(s.all.size).toBe(2);
    expect(s.all.get(2)!.state).toBe('open');
  });

  it('a maintenance window (报备) stops tickets from opening; after it ends they open again', () => {
    const s = setup();
    s.calendar.set([{ id: 1, cameras: [], siteId: 'p', gridId: null, from: T0, to: T0 + 3600_000, note: '线路改造', createdBy: 'crew-1' }]);
    expect(s.calendar.coveredCameras(T0 + 1).size).toBe(8);
    for (let i = 1; i <= 8; i++) s.down(`p0${i}`, T0 + 1000);
    s.engine.tick(T0 + 60_000);
    s.drain();
    expect(s.all.size).toBe(0);
    expect(s.calendar.coveredCameras(T0 + 3600_000).size).toBe(0);
    // the monitor still sees them offline after the window: reconcile opens one parent
    s.engine.reconcile(
      [...Array(8)].map((_, i) => ({ code: `p0${i + 1}`, state: 'offline' as const, since: T0, fault: 'unreachable' as const })),
      T0 + 3600_000,
    );
    s.engine.tick(T0 + 3600_000 + 30_000);
    s.drain();
    expect(s.all.size).toBe(1);
    expect([...s.all.values()][0]!.cameras).toHaveLength(8);
  });

  it('SLA clock: breached once after 24 h, flagged once', () => {
    const s = setup();
    s.down('x1', T0);
    s.engine.tick(T0 + 24 * 3600_000 - 1);
    s.drain();
    expect(s.all.get(1)!.slaBreached).toBe(false);
    s.engine.tick(T0 + 24 * 3600_000);
    s.engine.tick(T0 + 25 * 3600_000);
    s.drain();
    expect(s.all.get(1)!.slaBreached).toBe(true);
    expect(s.events.filter((e) => e === '1:sla_breached')).toHaveLength(1);
  });

  it('routing by fault class: unreachable → line/power, stream_down/no_frame → device, auth_failed → configuration', () => {
    const s = setup();
    s.down('x1', T0, 'auth_failed');
    s.down('x2', T0, 'no_frame');
    s.drain();
    expect(s.all.get(1)!.category).toBe('configuration');
    expect(s.all.get(2)!.category).toBe('device');
  });

  it('crew actions: acknowledge once; resolve while offline waits for verified recovery and keeps the cause', () => {
    const s = setup();
    s.down('x1', T0);
    acknowledge(s.engine, 1, 'crew-2', T0 + 1000);
    expect(() => acknowledge(s.engine, 1, 'crew-2', T0 + 2000)).toThrow(TicketError);
    const r = resolveByCrew(s.engine, 1, 'fibre_modem', '换了光猫', 'crew-2', T0 + 5000, (c) => s.states.get(c));
    expect(r.verification).toBe('pending');
    expect(r.ticket.state).toBe('acknowledged');
    s.up('x1', T0 + 10_000);
    s.ok('x1', T0 + 80_000);
    s.engine.tick(T0 + 80_000);
    s.drain();
    expect(s.all.get(1)).toMatchObject({ state: 'resolved', cause: 'fibre_modem', fixReportedBy: 'crew-2', assignee: 'crew-2' });
    expect(() => acknowledge(s.engine, 1, 'crew-2', T0 + 90_000)).toThrow(/resolved/);
  });

  it('a worker report opens one worker ticket, or joins the open ticket as a comment', () => {
    const s = setup();
    s.states.set('x2', 'online');
    const a = reportFault(s.engine, 'x2', '镜头被树枝遮挡', 'worker-1', T0);
    expect(a.created).toBe(true);
    expect(a.ticket).toMatchObject({ source: 'worker', report: { by: 'worker-1' } });
    const b = reportFault(s.engine, 'x2', '还是看不清', 'worker-1', T0 + 1000);
    expect(b).toMatchObject({ created: false, ticket: { id: a.ticket.id } });
    // camera online: the crew's word closes a worker ticket
    expect(resolveByCrew(s.engine, a.ticket.id, 'other', null, 'crew-2', T0 + 2000, (c) => s.states.get(c)).verification).toBe('done');
    expect(() => reportFault(s.engine, 'nope', 'x', 'worker-1', T0)).toThrow(/not found/);
  });

  it('restart: restored tickets keep their cameras; an offline camera without a ticket gets one', () => {
    const s = setup();
    s.down('x1', T0);
    const { tickets } = s.drain();
    const again = setup();
    again.engine.restore(tickets, T0 + 60_000);
    again.engine.reconcile(
      [
        { code: 'x1', state: 'offline', since: T0, fault: 'unreachable' },
        { code: 'x2', state: 'offline', since: T0, fault: 'unreachable' },
      ],
      T0 + 60_000,
    );
    again.drain();
    expect([...again.all.values()].map((t) => t.cameras[0]!.code)).toEqual(['x2']); // x1 kept its ticket
    expect(again.all.get(2)).toBeDefined(); // numbering continues after the restored ticket
  });
});
