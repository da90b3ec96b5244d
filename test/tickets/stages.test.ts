/** The ticket pipeline stage by stage, and the rule boundaries users rely on: pure, time as an argument. */
import { describe, expect, it } from 'vitest';
import { MaintenanceCalendar } from '../../src/core/maintenance.ts';
import type { CameraMeta, CameraState, Transition } from '../../src/core/model.ts';
import { FailureEvidence, TICKET_EVIDENCE_MAX } from '../../src/core/tickets/evidence.ts';
import { TicketEngine } from '../../src/core/tickets/engine.ts';
import { Flapping } from '../../src/core/tickets/flapping.ts';
import { Grouping } from '../../src/core/tickets/grouping.ts';
import { Inhibition } from '../../src/core/tickets/inhibition.ts';
import { TicketLifecycle } from '../../src/core/tickets/lifecycle.ts';
import { DEFAULT_TICKET_RULES, type Ticket, type TicketRules } from '../../src/core/tickets/model.ts';
import { TicketChangeLog } from '../../src/core/tickets/change-log.ts';
import { Silencing } from '../../src/core/tickets/silencing.ts';
import { TicketIndex } from '../../src/core/tickets/ticket-index.ts';
import { Verification } from '../../src/core/tickets/verification.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';
import { result } from '../support/reports.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const MIN = 60_000;

// site pair: exactly 2 cameras (the default threshold); site lone: 1 camera; site tri: 3; x1: no site; x2: empty site
const CAMS: CameraMeta[] = [
  ...['b1', 'b2', 'b3'].map((code) => ({ code, gridId: 'g4', townId: 't1', siteId: 'tri' })),
  { code: 'a1', gridId: 'g1', townId: 't1', siteId: 'pair' },
  { code: 'a2', gridId: 'g1', townId: 't1', siteId: 'pair' },
  { code: 'l1', gridId: 'g2', townId: 't1', siteId: 'lone' },
  { code: 'x1', gridId: 'g3', townId: 't2', siteId: null },
  { code: 'x2', gridId: 'g3', townId: 't2', siteId: '' },
];
const meta = (code: string) => CAMS.find((c) => c.code === code)!;

/** the engine with the defaults, as a county without ticket settings runs it */
function setup(rules: TicketRules = DEFAULT_TICKET_RULES) {
  const states = new Map<string, CameraState>();
  const calendar = new MaintenanceCalendar(CAMS);
  const engine = new TicketEngine(rules, CAMS, new Map([['t1', ['crew-1']]]), 1, (c) => states.get(c), calendar);
  const opened: Ticket[] = [];
  const events: string[] = [];
  const drain = () => {
    const d = engine.drain();
    for (const e of d.events) events.push(`${e.ticketId}:${e.type}`);
    for (const t of d.tickets) if (!opened.some((o) => o.id === t.id)) opened.push(t);
    return d;
  };
  const tr = (camera: string, to: CameraState, at: number, since: number, fault: FaultClass | null = null): Transition => ({
    camera,
    from: states.get(camera) ?? 'online',
    to,
    at,
    since,
    fault,
    reason: 'probe',
  });
  const down = (camera: string, at: number, fault: FaultClass = 'unreachable') => {
    engine.onTransitions([tr(camera, 'offline', at, at - 90_000, fault)], at);
    states.set(camera, 'offline');
  };
  const up = (camera: string, at: number) => {
    engine.onTransitions([tr(camera, 'online', at, at - 30_000)], at);
    states.set(camera, 'online');
  };
  const ok = (camera: string, at: number) => engine.onResult(result(camera, at), at);
  return { engine, calendar, states, opened, events, drain, down, up, ok };
}

describe('default ticket rules (what a county without ticket settings gets)', () => {
  it('group wait 30 s, hold-down 5 min, site threshold 2 cameras', () => {
    expect(DEFAULT_TICKET_RULES.groupWaitMs).toBe(30_000);
    expect(DEFAULT_TICKET_RULES.holdDownMs).toBe(5 * 60_000);
    expect(DEFAULT_TICKET_RULES.siteMinCameras).toBe(2);
  });

  it('with the defaults: a 2-camera site failing → nothing before 30 s, ONE site ticket at exactly 30 s', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0 + 10_000);
    s.engine.tick(T0 + 30_000 - 1);
    expect(s.drain().tickets).toHaveLength(0);
    expect(s.engine.isPending('a1') && s.engine.isPending('a2')).toBe(true);
    s.engine.tick(T0 + 30_000); // the wait counts from the first camera, not the last
    s.drain();
    expect(s.opened).toHaveLength(1);
    expect(s.opened[0]).toMatchObject({ kind: 'site', siteId: 'pair', cameras: [{ code: 'a1' }, { code: 'a2' }] });
    expect(s.engine.activeFor('a1')).toBe(s.engine.activeFor('a2'));
  });

  it('with the defaults: a 1-camera site, or no site, → a camera ticket at once (no group wait)', () => {
    const s = setup();
    s.down('l1', T0);
    s.down('x1', T0);
    s.down('x2', T0);
    s.drain();
    expect(s.opened.map((t) => [t.kind, t.cameras[0]!.code, t.siteId])).toEqual([
      ['camera', 'l1', 'lone'],
      ['camera', 'x1', null],
      ['camera', 'x2', ''],
    ]);
    expect(s.engine.isPending('l1')).toBe(false);
  });

  it('with the defaults: one camera of a 2-camera site failing alone → a camera ticket after the wait', () => {
    const s = setup();
    s.down('a1', T0);
    s.engine.tick(T0 + 30_000);
    s.drain();
    expect(s.opened.map((t) => [t.kind, t.cameras.map((c) => c.code)])).toEqual([['camera', ['a1']]]);
  });

  it('with the defaults: hold-down at exactly 5 min of fresh evidence → verified closure; 1 ms less → still open', () => {
    const s = setup();
    s.down('x1', T0);
    const back = T0 + 3600_000;
    s.up('x1', back);
    s.ok('x1', back + 5 * MIN - 1);
    s.engine.tick(back + 5 * MIN - 1);
    expect(s.engine.activeFor('x1')?.cameras[0]?.verified).toBe(false);
    s.ok('x1', back + 5 * MIN);
    s.engine.tick(back + 5 * MIN);
    s.drain();
    expect(s.opened[0]).toMatchObject({ state: 'resolved', resolvedBy: 'monitor', resolvedAt: back + 5 * MIN });
    expect(s.events).toEqual(['1:opened', '1:camera_back', '1:resolved']);
  });
});

describe('grouping (dispatch)', () => {
  const rules: TicketRules = { ...DEFAULT_TICKET_RULES, groupWaitMs: 30_000, siteMinCameras: 2 };

  it('a camera groups under its site only when the site has at least siteMinCameras registered cameras', () => {
    const g = new Grouping(rules, CAMS);
    expect(g.siteOf(meta('a1'))).toBe('pair'); // exactly 2 registered
    expect(g.siteOf(meta('l1'))).toBeNull(); // 1 registered
    expect(g.siteOf(meta('x1'))).toBeNull();
    expect(g.siteOf(meta('x2'))).toBeNull();
    expect(new Grouping({ ...rules, siteMinCameras: 3 }, CAMS).siteOf(meta('a1'))).toBeNull();
  });

  it('no site → the ticket to open comes back at once; a site camera waits', () => {
    const g = new Grouping(rules, CAMS);
    expect(g.add('x1', null, T0 - 90_000, 'unreachable', T0)).toEqual({
      kind: 'camera',
      siteId: null,
      cameras: [['x1', { since: T0 - 90_000, fault: 'unreachable', backAt: null, backSince: null }]],
    });
    expect(g.isPending('x1')).toBe(false);
    expect(g.add('a1', 'pair', T0 - 90_000, 'unreachable', T0)).toBeNull();
    expect(g.isPending('a1')).toBe(true);
  });

  it('a group is due at exactly groupWaitMs after its first camera, and leaves the pending set', () => {
    const g = new Grouping(rules, CAMS);
    g.add('a1', 'pair', T0, 'unreachable', T0);
    g.add('a2', 'pair', T0, 'unreachable', T0 + 20_000);
    expect(g.due(T0 + 29_999)).toEqual([]);
    const [group] = g.due(T0 + 30_000);
    expect([...group!.cams.keys()]).toEqual(['a1', 'a2']);
    expect(g.isPending('a1')).toBe(false);
    expect(g.due(T0 + 60_000)).toEqual([]);
  });

  it('flush: exactly siteMinCameras cameras needing a ticket → ONE site ticket; fewer → one camera ticket each', () => {
    const g = new Grouping(rules, CAMS);
    g.add('a1', 'pair', T0, 'unreachable', T0);
    g.add('a2', 'pair', T0, 'onvif_down', T0);
    const [group] = g.due(T0 + 30_000);
    expect(g.flush(group!, () => true).map((b) => [b.kind, b.siteId, b.cameras.map(([c]) => c)])).toEqual([['site', 'pair', ['a1', 'a2']]]);
    // one of them is held by a ticket or silenced by now: the other gets its own camera ticket
    expect(g.flush(group!, (c) => c !== 'a2').map((b) => [b.kind, b.siteId, b.cameras.map(([c]) => c)])).toEqual([['camera', null, ['a1']]]);
    expect(g.flush(group!, () => false)).toEqual([]);
  });

  it('while pending: back online is recorded in the group; maintenance takes the camera out', () => {
    const g = new Grouping(rules, CAMS);
    g.add('a1', 'pair', T0 - 90_000, 'unreachable', T0);
    g.add('a2', 'pair', T0 - 90_000, 'unreachable', T0);
    g.back('a1', T0 + 5000, T0 + 6000);
    g.drop('a2');
    expect(g.isPending('a2')).toBe(false);
    const [group] = g.due(T0 + 30_000);
    expect([...group!.cams]).toEqual([['a1', { since: T0 - 90_000, fault: 'unreachable', backAt: T0 + 6000, backSince: T0 + 5000 }]]);
  });
});

/** the lifecycle and the stages around it, wired by hand as the engine wires them */
function stages(rules: TicketRules = { ...DEFAULT_TICKET_RULES, holdDownMs: MIN, reopenWindowMs: 3600_000, flapThreshold: 2 }) {
  const cams = new Map(CAMS.map((c) => [c.code, c]));
  const index = new TicketIndex();
  const changes = new TicketChangeLog();
  const evidence = new FailureEvidence(rules);
  const lifecycle = new TicketLifecycle(rules, cams, (town) => (town === 't1' ? ['crew-1'] : []), 1, index, changes, evidence);
  const down = (since: number) => ({ since, fault: 'unreachable' as const, backAt: null, backSince: null });
  return {
    rules,
    index,
    changes,
    evidence,
    lifecycle,
    inhibition: new Inhibition(index, changes),
    flapping: new Flapping(rules, changes),
    verification: new Verification(rules, index, lifecycle, changes),
    openSite: (now: number) => lifecycle.open('site', 'monitor', [['a1', down(now - 90_000)]], now, 'pair'),
    openCamera: (code: string, now: number) => lifecycle.open('camera', 'monitor', [[code, down(now - 90_000)]], now, null),
    types: () => changes.drain().events.map((e) => e.type),
  };
}

describe('lifecycle', () => {
  it('open: numbered, indexed per camera and per site, routed to its town crew, SLA started, one opened event at rev 1', () => {
    const s = stages();
    const t = s.openSite(T0);
    expect(t).toMatchObject({ id: 1, rev: 1, kind: 'site', siteId: 'pair', townId: 't1', crews: ['crew-1'], state: 'open', slaDueAt: T0 + s.rules.slaMs, autoClose: true });
    expect(s.index.forCamera('a1')).toBe(t);
    expect(s.index.forSite('pair')).toBe(t);
    expect(s.openCamera('x1', T0).id).toBe(2);
    expect(s.changes.drain().events.map((e) => [e.ticketId, e.rev, e.type])).toEqual([
      [1, 1, 'opened'],
      [2, 1, 'opened'],
    ]);
  });

  it('resolve: time to repair from the last success to the real return (now while a camera is not back); the index lets go', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    s.lifecycle.resolve(t, 'crew-1', T0 + 600_000);
    expect(t).toMatchObject({ state: 'resolved', resolvedBy: 'crew-1', repairMs: 600_000 + 90_000 });
    expect(s.index.forCamera('x1')).toBeUndefined();
    expect(s.index.active.size).toBe(0);
  });

  it('reopen window: reopenable at exactly reopenWindowMs after resolution, not 1 ms later', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    s.lifecycle.resolve(t, 'monitor', T0 + MIN);
    expect(s.lifecycle.resolvedRecently('x1', T0 + MIN + 3600_000)).toBe(t);
    expect(s.lifecycle.resolvedRecently('x1', T0 + MIN + 3600_000 + 1)).toBeUndefined();
    s.lifecycle.reopen(t, 'x1', T0 + 2 * MIN, 'stream_down', T0 + 3 * MIN);
    expect(t).toMatchObject({ state: 'open', reopenCount: 1, reopenedAt: T0 + 3 * MIN, resolvedAt: null, slaDueAt: T0 + 3 * MIN + s.rules.slaMs });
    expect(t.cameras[0]).toMatchObject({ offlineSince: T0 + 2 * MIN, fault: 'stream_down', verified: false });
    expect(s.index.forCamera('x1')).toBe(t);
    expect(s.lifecycle.resolvedRecently('x1', T0 + 3 * MIN)).toBeUndefined();
  });

  it('changes: the drained tickets are snapshots (camera entries copied); drain empties it', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    const { tickets } = s.changes.drain();
    t.cameras[0]!.backAt = T0 + 1;
    expect(tickets[0]!.cameras[0]!.backAt).toBeNull();
    expect(s.changes.drain()).toEqual({ tickets: [], events: [] });
  });
});

describe('inhibition', () => {
  it('an active site ticket absorbs a camera of its site that fails later (camera_added), no child ticket', () => {
    const s = stages();
    const parent = s.openSite(T0);
    s.changes.drain();
    expect(s.inhibition.absorb('pair', meta('a2'), T0 + MIN - 90_000, 'unreachable', T0 + MIN)).toBe(true);
    expect(parent.cameras.map((c) => c.code)).toEqual(['a1', 'a2']);
    expect(s.index.forCamera('a2')).toBe(parent);
    expect(s.index.active.size).toBe(1);
    expect(s.types()).toEqual(['camera_added']);
    expect(s.inhibition.absorb(null, meta('x1'), T0, 'unreachable', T0)).toBe(false);
  });

  it('no parent: nothing absorbed; a resolved parent inhibits nothing', () => {
    const s = stages();
    expect(s.inhibition.absorb('pair', meta('a2'), T0, 'unreachable', T0)).toBe(false);
    const parent = s.openSite(T0);
    expect(s.inhibition.inhibits('pair')).toBe(true);
    s.lifecycle.resolve(parent, 'monitor', T0 + MIN);
    expect(s.inhibition.inhibits('pair')).toBe(false);
    expect(s.inhibition.inhibits(null)).toBe(false);
  });

  it('engine: a camera whose own ticket was resolved recently joins the active site ticket instead of reopening it', () => {
    const s = setup({ ...DEFAULT_TICKET_RULES, reopenWindowMs: 3600_000, holdDownMs: MIN });
    s.down('b1', T0);
    s.engine.tick(T0 + 30_000); // alone: a camera ticket (1)
    s.up('b1', T0 + 2 * MIN);
    s.ok('b1', T0 + 3 * MIN);
    s.engine.tick(T0 + 3 * MIN); // resolved
    s.down('b2', T0 + 4 * MIN);
    s.down('b3', T0 + 4 * MIN);
    s.engine.tick(T0 + 4 * MIN + 30_000); // the site ticket (2)
    s.down('b1', T0 + 5 * MIN);
    s.drain();
    expect(s.engine.activeFor('b1')?.id).toBe(2);
    expect(s.opened.map((t) => [t.id, t.kind, t.state])).toEqual([
      [1, 'camera', 'resolved'],
      [2, 'site', 'open'],
    ]);
    expect(s.events.slice(-1)).toEqual(['2:camera_added']);
    expect(s.events).not.toContain('1:reopened');
  });
});

describe('silencing', () => {
  const window = (from: number, to: number) => ({ id: 1, cameras: [], siteId: 'pair', gridId: null, from, to, note: '割接', createdBy: 'crew-1' });

  it('asks the calendar: covered in [from, to)', () => {
    const calendar = new MaintenanceCalendar(CAMS);
    calendar.set([window(T0, T0 + MIN)]);
    const silencing = new Silencing(calendar);
    expect(silencing.silenced(meta('a1'), T0)).toBe(true);
    expect(silencing.silenced(meta('a1'), T0 + MIN)).toBe(false);
    expect(silencing.silenced(meta('x1'), T0)).toBe(false);
  });

  it('engine: a window that starts while the group waits silences it at the flush', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0);
    s.calendar.set([window(T0 + 10_000, T0 + 3600_000)]);
    s.engine.tick(T0 + 30_000);
    expect(s.drain().tickets).toHaveLength(0);
    expect(s.engine.isPending('a1')).toBe(false);
  });

  it('engine: a covered camera going down again counts no flap', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.calendar.set([{ ...window(T0, T0 + 3600_000), siteId: null, cameras: ['x1'] }]);
    s.down('x1', T0 + 2 * MIN);
    expect(s.engine.activeFor('x1')).toMatchObject({ flaps: 0 });
  });
});

describe('flapping', () => {
  it('down again while still down → nothing; after a recovery began → one flap; unstable once at flapThreshold', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    s.changes.drain();
    s.flapping.downAgain(t, 'x1', 'unreachable', T0 + 1000);
    expect(s.types()).toEqual([]);
    s.verification.back(t, 'x1', T0 + 1500, T0 + 2000);
    s.flapping.downAgain(t, 'x1', null, T0 + 3000);
    expect(t.cameras[0]).toMatchObject({ backAt: null, backSince: null, lastOkAt: null, verified: false, fault: 'unreachable' });
    expect(t).toMatchObject({ flaps: 1, unstable: false });
    s.verification.back(t, 'x1', T0 + 3500, T0 + 4000);
    s.flapping.downAgain(t, 'x1', 'stream_down', T0 + 5000);
    expect(t).toMatchObject({ flaps: 2, unstable: true, fault: 'unreachable' });
    expect(t.cameras[0]!.fault).toBe('stream_down');
    s.flapping.flapped(t, 'reopened', { camera: 'x1' }, T0 + 6000);
    expect(s.types()).toEqual(['camera_back', 'camera_down_again', 'camera_back', 'camera_down_again', 'unstable', 'reopened']);
  });
});

describe('verification', () => {
  it('hold-down at exactly holdDownMs of fresh successful probes → verified and resolved by the monitor', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    const back = T0 + 3600_000;
    s.verification.back(t, 'x1', back - 30_000, back);
    s.verification.succeeded('x1', back + MIN - 1);
    s.verification.tick(back + MIN - 1);
    expect(t).toMatchObject({ state: 'open', cameras: [{ verified: false, lastOkAt: back + MIN - 1 }] });
    s.verification.succeeded('x1', back + MIN);
    s.verification.tick(back + MIN);
    expect(t).toMatchObject({ state: 'resolved', resolvedBy: 'monitor', resolvedAt: back + MIN, repairMs: back - 30_000 - (T0 - 90_000) });
  });

  it('no fresh probe, no closure: time alone verifies nothing; a probe from before the return does not count', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    s.verification.back(t, 'x1', T0 + 1000, T0 + 2000);
    s.verification.succeeded('x1', T0 + 1999);
    s.verification.tick(T0 + 3600_000);
    expect(t).toMatchObject({ state: 'open', cameras: [{ lastOkAt: null, verified: false }] });
  });

  it('unknown or maintenance starts the recovery over', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    s.verification.back(t, 'x1', T0 + 1000, T0 + 2000);
    s.verification.succeeded('x1', T0 + 3000);
    s.verification.lost('x1');
    expect(t.cameras[0]).toMatchObject({ backAt: null, lastOkAt: null, backSince: T0 + 1000 });
    s.verification.succeeded('x1', T0 + 2 * MIN);
    s.verification.tick(T0 + 2 * MIN);
    expect(t.state).toBe('open');
  });

  it('verified but not allowed to close itself (autoClose off) → stays active; SLA breach flagged once', () => {
    const s = stages();
    const t = s.openCamera('x1', T0);
    t.autoClose = false;
    s.verification.back(t, 'x1', T0 + 1000, T0 + 2000);
    s.verification.succeeded('x1', T0 + 2000 + MIN);
    s.changes.drain();
    s.verification.tick(T0 + s.rules.slaMs - 1);
    expect(t).toMatchObject({ state: 'open', slaBreached: false, cameras: [{ verified: true }] });
    s.verification.tick(T0 + s.rules.slaMs);
    s.verification.tick(T0 + s.rules.slaMs + 1);
    expect(s.types()).toEqual(['sla_breached']);
  });
});

describe('failure evidence', () => {
  it('keeps the newest evidencePerCamera failures until a success; a ticket carries at most TICKET_EVIDENCE_MAX', () => {
    const e = new FailureEvidence({ ...DEFAULT_TICKET_RULES, evidencePerCamera: 3 });
    for (let i = 0; i < 5; i++) e.failed(result('x1', T0 + i, i === 4 ? 'stream_down' : 'unreachable'));
    expect(e.forTicket([{ code: 'x1' }]).map((x) => x.at)).toEqual([T0 + 2, T0 + 3, T0 + 4]);
    expect(e.lastFault('x1')).toBe('stream_down');
    e.succeeded('x1');
    expect(e.forTicket([{ code: 'x1' }])).toEqual([]);
    expect(e.lastFault('x1')).toBeNull();
    const many = Array.from({ length: 10 }, (_, i) => ({ code: `c${i}` }));
    for (const c of many) for (let i = 0; i < 3; i++) e.failed(result(c.code, T0 + i, 'unreachable'));
    expect(e.forTicket(many)).toHaveLength(TICKET_EVIDENCE_MAX);
  });
});
