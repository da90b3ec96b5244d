/** The ticket's life (open, resolve, reopen, restore), verification, flapping, inhibition, evidence and the index: pure, time as an argument. */
import { describe, expect, it } from 'vitest';
import { MaintenanceCalendar } from '../../src/core/maintenance.ts';
import type { CameraMeta, CameraState, Transition } from '../../src/core/model.ts';
import { TicketChangeLog } from '../../src/core/tickets/change-log.ts';
import { reportFault } from '../../src/core/tickets/actions.ts';
import { TicketEngine } from '../../src/core/tickets/engine.ts';
import { FailureEvidence } from '../../src/core/tickets/evidence.ts';
import { TicketLifecycle } from '../../src/core/tickets/lifecycle.ts';
import { DEFAULT_TICKET_RULES, type DownCamera, type Ticket, type TicketRules } from '../../src/core/tickets/model.ts';
import { TicketIndex } from '../../src/core/tickets/ticket-index.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';
import { result } from '../support/reports.ts';
import { engineHarness, SITE_CAMS } from './engine-harness.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const MIN = 60_000;
const HOUR = 3600_000;
const RULES: TicketRules = { ...DEFAULT_TICKET_RULES, holdDownMs: MIN, reopenWindowMs: HOUR, flapThreshold: 2, slaMs: 24 * HOUR };

const CAMS = SITE_CAMS;

function setup(rules: TicketRules = RULES) {
  const h = engineHarness(rules);
  /** a camera's full recovery: back at `at`, a fresh success a hold-down later, time passes */
  const recover = (camera: string, at: number) => {
    h.up(camera, at);
    h.ok(camera, at + rules.holdDownMs);
    h.engine.tick(at + rules.holdDownMs);
  };
  return { ...h, recover };
}

/** the lifecycle wired by hand, as the engine wires it */
function bare(rules: TicketRules = RULES) {
  const index = new TicketIndex();
  const changes = new TicketChangeLog();
  const lifecycle = new TicketLifecycle(rules, new Map(CAMS.map((c) => [c.code, c])), () => ['crew-1'], 1, index, changes, new FailureEvidence(rules));
  return { index, changes, lifecycle };
}
const cam = (since: number, backSince: number | null = null, fault: FaultClass | null = 'unreachable'): DownCamera => ({
  since,
  fault,
  backAt: backSince === null ? null : backSince + 30_000,
  backSince,
});

describe('opening', () => {
  it('the opened event names the kind, the cameras, the fault class and the category; by the monitor', () => {
    const s = setup();
    s.down('a1', T0, 'onvif_down');
    s.down('a2', T0, 'onvif_down');
    s.engine.tick(T0 + 30_000);
    expect(s.events()).toEqual([
      { ticketId: 1, rev: 1, type: 'opened', at: T0 + 30_000, actor: 'monitor', data: { kind: 'site', cameras: ['a1', 'a2'], fault: 'onvif_down', category: 'device' } },
    ]);
  });

  it('a worker ticket opened by the lifecycle does not close itself; a monitor ticket does', () => {
    const s = bare();
    expect(s.lifecycle.open('camera', 'worker', [['x1', cam(T0)]], T0, null, { by: 'w', comment: 'c' }).autoClose).toBe(false);
    expect(s.lifecycle.open('camera', 'monitor', [['a1', cam(T0)]], T0, null).autoClose).toBe(true);
  });

  it('new tickets are numbered above idsAbove(maxId), never below a number already given', () => {
    const s = setup();
    s.engine.idsAbove(41);
    s.down('x1', T0);
    s.engine.idsAbove(10);
    s.down('a1', T0);
    s.engine.tick(T0 + 30_000);
    expect([s.engine.activeFor('x1')!.id, s.engine.activeFor('a1')!.id]).toEqual([42, 43]);
  });
});

describe('resolving: time to repair', () => {
  it('from the earliest camera last success to the last camera real return', () => {
    const s = bare();
    // a2 went down later and came back later than a1
    const t = s.lifecycle.open(
      'site',
      'monitor',
      [
        ['a2', cam(T0 + 20_000, T0 + 50 * MIN)],
        ['a1', cam(T0, T0 + 10 * MIN)],
      ],
      T0 + MIN,
      'pair',
    );
    s.lifecycle.resolve(t, 'monitor', T0 + HOUR);
    expect(t.repairMs).toBe(50 * MIN);
  });

  it('a camera not back yet: to now; the resolved event carries cause, repair time and whether the monitor verified it', () => {
    const s = bare();
    const t = s.lifecycle.open(
      'site',
      'monitor',
      [
        ['a1', cam(T0, T0 + 10 * MIN)],
        ['a2', cam(T0 + 20_000)],
      ],
      T0 + MIN,
      'pair',
    );
    t.cause = 'power';
    s.changes.drain();
    s.lifecycle.resolve(t, 'crew-1', T0 + HOUR);
    expect(t).toMatchObject({ state: 'resolved', resolvedBy: 'crew-1', resolvedAt: T0 + HOUR, repairMs: HOUR });
    expect(s.changes.drain().events).toEqual([
      { ticketId: 1, rev: 2, type: 'resolved', at: T0 + HOUR, actor: 'crew-1', data: { cause: 'power', repairMs: HOUR, verified: false } },
    ]);
    const v = s.lifecycle.open('camera', 'monitor', [['x1', cam(T0, T0 + MIN)]], T0, null);
    s.lifecycle.resolve(v, 'monitor', T0 + 2 * MIN);
    expect(s.changes.drain().events.at(-1)!.data).toEqual({ cause: null, repairMs: MIN, verified: true });
  });
});

describe('reopening', () => {
  it('the reopened event (a flap) names the camera and its new fault class', () => {
    const s = setup();
    s.down('x1', T0);
    s.recover('x1', T0 + MIN);
    s.events();
    s.down('x1', T0 + 10 * MIN, 'no_frame');
    expect(s.events()).toEqual([{ ticketId: 1, rev: 4, type: 'reopened', at: T0 + 10 * MIN, actor: 'monitor', data: { camera: 'x1', fault: 'no_frame' } }]);
    expect(s.engine.activeFor('x1')).toMatchObject({ id: 1, state: 'open', flaps: 1, reopenCount: 1 });
  });

  it('a reopened ticket gets a fresh SLA: a breach before is cleared and flagged again at the new due time', () => {
    const s = setup();
    s.down('x1', T0);
    s.engine.tick(T0 + 24 * HOUR);
    expect(s.engine.activeFor('x1')!.slaBreached).toBe(true);
    s.recover('x1', T0 + 25 * HOUR);
    const reopenAt = T0 + 25 * HOUR + 2 * MIN;
    s.down('x1', reopenAt);
    expect(s.engine.activeFor('x1')).toMatchObject({ slaBreached: false, slaDueAt: reopenAt + 24 * HOUR });
    s.events();
    s.engine.tick(reopenAt + 24 * HOUR);
    expect(s.events().map((e) => e.type)).toEqual(['sla_breached']);
  });

  it('time passing to exactly the end of the reopen window keeps the ticket reopenable; 1 ms after, a new ticket', () => {
    const s = setup();
    s.down('x1', T0);
    s.recover('x1', T0 + MIN);
    const resolvedAt = T0 + 2 * MIN;
    expect(s.events().at(-1)).toMatchObject({ type: 'resolved', at: resolvedAt });
    s.engine.tick(resolvedAt + HOUR);
    s.down('x1', resolvedAt + HOUR);
    expect(s.engine.activeFor('x1')!.id).toBe(1);

    const late = setup();
    late.down('x1', T0);
    late.recover('x1', T0 + MIN);
    late.engine.tick(resolvedAt + HOUR + 1);
    late.down('x1', resolvedAt + HOUR + 1);
    expect(late.engine.activeFor('x1')!.id).toBe(2);
  });
});

describe('restart: restore', () => {
  /** a ticket for x1, resolved by the monitor at `resolvedAt`, as the database hands it back */
  function resolvedTicket(): { ticket: Ticket; resolvedAt: number } {
    const s = setup();
    s.down('x1', T0);
    s.recover('x1', T0 + MIN);
    const t = s.engine.drain().tickets.find((x) => x.id === 1)!;
    expect(t.state).toBe('resolved');
    return { ticket: t, resolvedAt: t.resolvedAt! };
  }

  it('a resolved ticket is not active after the restart; a failure at exactly the end of its reopen window reopens it', () => {
    const { ticket, resolvedAt } = resolvedTicket();
    const s = setup();
    s.engine.restore([ticket], resolvedAt + HOUR);
    expect(s.engine.active.size).toBe(0);
    expect(s.engine.activeFor('x1')).toBeUndefined();
    s.down('x1', resolvedAt + HOUR);
    expect(s.engine.activeFor('x1')).toMatchObject({ id: 1, reopenCount: 1 });
    expect(s.events().map((e) => [e.ticketId, e.type])).toEqual([[1, 'reopened']]);
  });

  it('restored 1 ms after its reopen window: a failure opens a new ticket, numbered after it', () => {
    const { ticket, resolvedAt } = resolvedTicket();
    const s = setup();
    s.engine.restore([ticket], resolvedAt + HOUR + 1);
    s.down('x1', resolvedAt + HOUR + 1);
    expect(s.engine.activeFor('x1')).toMatchObject({ id: 2, reopenCount: 0 });
  });

  it('an active ticket is restored active and keeps its cameras', () => {
    const s0 = setup();
    s0.down('x1', T0);
    const [t] = s0.engine.drain().tickets;
    const s = setup();
    s.engine.restore([t!], T0 + MIN);
    expect(s.engine.activeFor('x1')!.id).toBe(1);
    expect([...s.engine.active.keys()]).toEqual([1]);
  });
});

describe('verification (verified closure)', () => {
  it('camera_back names the camera and when it really came back; by the monitor', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    s.up('x1', T0 + MIN, T0 + MIN - 20_000);
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'camera_back', at: T0 + MIN, actor: 'monitor', data: { camera: 'x1', since: T0 + MIN - 20_000 } }]);
    expect(s.engine.activeFor('x1')!.cameras[0]).toMatchObject({ backAt: T0 + MIN, backSince: T0 + MIN - 20_000, lastOkAt: null });
  });

  it('a second "back" for a camera already back does not restart its hold-down', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.ok('x1', T0 + MIN + 30_000);
    s.events();
    s.engine.reconcile([{ code: 'x1', state: 'online', since: T0 + 2 * MIN, fault: null }], T0 + 2 * MIN);
    s.up('x1', T0 + 2 * MIN);
    expect(s.events()).toEqual([]);
    expect(s.engine.activeFor('x1')!.cameras[0]).toMatchObject({ backAt: T0 + MIN, lastOkAt: T0 + MIN + 30_000 });
    s.ok('x1', T0 + 2 * MIN);
    s.engine.tick(T0 + 2 * MIN);
    expect(s.engine.activeFor('x1')).toBeUndefined(); // held from the first return
  });

  it('a success while the camera is still offline is no evidence of recovery; one at the very moment it came back is', () => {
    const s = setup();
    s.down('x1', T0);
    s.ok('x1', T0 + 30_000); // the first of the two successes the monitor wants
    expect(s.engine.activeFor('x1')!.cameras[0]!.lastOkAt).toBeNull();
    s.up('x1', T0 + MIN);
    s.ok('x1', T0 + MIN);
    expect(s.engine.activeFor('x1')!.cameras[0]!.lastOkAt).toBe(T0 + MIN);
  });

  it('successes and lost evidence for a camera no ticket holds change nothing', () => {
    const s = setup();
    s.ok('x1', T0);
    s.to('x1', 'unknown', T0 + 1000);
    s.up('x1', T0 + 2000);
    expect(s.engine.active.size).toBe(0);
    expect(s.events()).toEqual([]);
  });

  it('a verified camera of a site ticket stays verified through an unknown spell; the ticket closes when the other is verified', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0);
    s.engine.tick(T0 + 30_000);
    s.recover('a1', T0 + MIN);
    s.to('a1', 'unknown', T0 + 3 * MIN);
    expect(s.engine.activeFor('a1')!.cameras[0]).toMatchObject({ code: 'a1', verified: true, backAt: T0 + MIN });
    s.recover('a2', T0 + 4 * MIN);
    expect(s.engine.activeFor('a2')).toBeUndefined();
    expect(s.events().at(-1)).toMatchObject({ ticketId: 1, type: 'resolved', actor: 'monitor' });
  });

  it('the camera that came back is the one marked back, not the first camera of the ticket', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0);
    s.engine.tick(T0 + 30_000);
    s.up('a2', T0 + MIN);
    expect(s.engine.activeFor('a2')!.cameras.map((c) => [c.code, c.backAt])).toEqual([
      ['a1', null],
      ['a2', T0 + MIN],
    ]);
  });

  it('the SLA is breached at exactly its due time: one sla_breached event with the due time, by the monitor', () => {
    const s = setup();
    s.down('x1', T0);
    s.events();
    s.engine.tick(T0 + 24 * HOUR - 1);
    expect(s.events()).toEqual([]);
    s.engine.tick(T0 + 24 * HOUR);
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'sla_breached', at: T0 + 24 * HOUR, actor: 'monitor', data: { slaDueAt: T0 + 24 * HOUR } }]);
    expect(s.engine.activeFor('x1')!.slaBreached).toBe(true);
  });
});

describe('flapping and inhibition events', () => {
  it('camera_down_again names the camera and the new fault; unstable at the threshold names the flap count; both by the monitor', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.events();
    s.down('x1', T0 + 2 * MIN, 'stream_down');
    s.up('x1', T0 + 3 * MIN);
    s.down('x1', T0 + 4 * MIN, 'no_frame');
    expect(s.events().map((e) => [e.type, e.actor, e.data])).toEqual([
      ['camera_down_again', 'monitor', { camera: 'x1', fault: 'stream_down' }],
      ['camera_back', 'monitor', { camera: 'x1', since: T0 + 3 * MIN - 30_000 }],
      ['camera_down_again', 'monitor', { camera: 'x1', fault: 'no_frame' }],
      ['unstable', 'monitor', { flaps: 2 }],
    ]);
  });

  it('camera_added names the camera joining the site ticket and its fault; by the monitor', () => {
    const s = setup();
    s.down('b1', T0);
    s.down('b2', T0);
    s.engine.tick(T0 + 30_000);
    s.events();
    s.down('b3', T0 + MIN, 'onvif_down');
    expect(s.events()).toEqual([{ ticketId: 1, rev: 2, type: 'camera_added', at: T0 + MIN, actor: 'monitor', data: { camera: 'b3', fault: 'onvif_down' } }]);
  });
});

describe('failure evidence', () => {
  it('a ticket carries its camera failing probe results as they were, nothing else', () => {
    const s = setup();
    const r = result('x1', T0 - 1000, 'unreachable');
    s.engine.onResult(r, T0 - 1000);
    s.down('x1', T0);
    expect(s.engine.activeFor('x1')!.evidence).toEqual([{ camera: 'x1', at: T0 - 1000, fault: 'unreachable', rungs: r.rungs }]);
  });

  it('a failing result is not a success: it does not count toward the hold-down', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.engine.onResult(result('x1', T0 + 2 * MIN, 'stream_down'), T0 + 2 * MIN);
    s.engine.tick(T0 + 2 * MIN);
    expect(s.engine.activeFor('x1')!.cameras[0]).toMatchObject({ lastOkAt: null, verified: false });
  });
});

describe('the ticket index', () => {
  const ticket = (id: number, kind: Ticket['kind'], siteId: string | null, codes: string[]) =>
    ({ id, kind, siteId, cameras: codes.map((code) => ({ code })) }) as unknown as Ticket;

  it('a camera ticket of a site does not hold the site', () => {
    const ix = new TicketIndex();
    ix.add(ticket(1, 'camera', 'pair', ['a1']));
    expect(ix.forSite('pair')).toBeUndefined();
    ix.add(ticket(2, 'site', 'tri', ['b1']));
    expect(ix.forSite('tri')!.id).toBe(2);
  });

  it('a ticket becoming active takes only what no other active ticket holds; removing a ticket lets go only of what it still holds', () => {
    const ix = new TicketIndex();
    const old = ticket(1, 'site', 'pair', ['a1', 'a2']);
    ix.add(old);
    const now = ticket(2, 'site', 'pair', ['a2', 'a3']);
    ix.add(now);
    expect([ix.forCamera('a1'), ix.forCamera('a2'), ix.forCamera('a3'), ix.forSite('pair')]).toEqual([old, old, now, old]);
    ix.hold('a2', now); // a stage hands a2 over
    ix.remove(old);
    expect(ix.forCamera('a1')).toBeUndefined();
    expect(ix.forCamera('a2')).toBe(now);
    expect(ix.forSite('pair')).toBeUndefined(); // it was old's
    expect([...ix.active.keys()]).toEqual([2]);
  });

  it('engine: a camera ticket of a site absorbs no neighbour: a later failure there waits for its own group', () => {
    const s = setup();
    s.down('a1', T0);
    s.engine.tick(T0 + 30_000); // alone: a camera ticket, site 'pair'
    s.down('a2', T0 + MIN);
    expect(s.engine.isPending('a2')).toBe(true);
    s.engine.tick(T0 + MIN + 30_000);
    expect([s.engine.activeFor('a1')!.id, s.engine.activeFor('a2')!.id]).toEqual([1, 2]);
  });
});

describe('one active ticket per camera', () => {
  const PAIR: CameraMeta[] = [
    { code: 'a1', gridId: 'g1', townId: 't1', siteId: 'pair' },
    { code: 'a2', gridId: 'g1', townId: 't1', siteId: 'pair' },
  ];
  const MINUTE = 60_000;
  it('reopening a site ticket does not take a camera held by another active ticket (one active ticket per camera)', () => {
    const states = new Map<string, CameraState>();
    const engine = new TicketEngine({ ...DEFAULT_TICKET_RULES, holdDownMs: MINUTE }, PAIR, new Map(), 1, (c) => states.get(c), new MaintenanceCalendar(PAIR));
    const tr = (camera: string, to: CameraState, at: number): Transition => ({
      camera,
      from: 'online',
      to,
      at,
      since: at - 30_000,
      fault: to === 'offline' ? 'unreachable' : null,
      reason: 'probe',
    });
    const go = (c: string, to: CameraState, at: number) => {
      engine.onTransitions([tr(c, to, at)], at);
      states.set(c, to);
    };
    go('a1', 'offline', T0);
    go('a2', 'offline', T0);
    engine.tick(T0 + 30_000); // site ticket 1
    for (const c of ['a1', 'a2']) go(c, 'online', T0 + MINUTE);
    for (const c of ['a1', 'a2']) engine.onResult(result(c, T0 + 2 * MINUTE), T0 + 2 * MINUTE);
    engine.tick(T0 + 2 * MINUTE); // resolved, verified
    expect(engine.active.size).toBe(0);
    const w = reportFault(engine, 'a2', '镜头脏', 'worker-1', T0 + 3 * MINUTE).ticket; // ticket 2 holds a2
    go('a1', 'offline', T0 + 4 * MINUTE); // reopens ticket 1
    expect(engine.activeFor('a1')!.id).toBe(1);
    expect([...engine.active.keys()]).toEqual([2, 1]);
    expect(engine.activeFor('a2')).toBe(w); // ticket 1 did not take a2 back
    // and when the reopened ticket resolves, the worker's ticket still holds a2
    go('a1', 'online', T0 + 5 * MINUTE);
    engine.onResult(result('a1', T0 + 6 * MINUTE), T0 + 6 * MINUTE);
    engine.tick(T0 + 6 * MINUTE);
    expect(engine.activeFor('a1')).toBeUndefined();
    expect(engine.activeFor('a2')).toBe(w);
  });
});
