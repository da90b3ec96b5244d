/** The engine routing between the stages (transitions, reconcile after a restart, grouping), the defaults and the fault routing: pure, time as an argument. */
import { describe, expect, it } from 'vitest';
import { CATEGORIES, CATEGORY_LABELS, CAUSE_LABELS, CAUSES, DEFAULT_TICKET_RULES, NOTIFY_EVENTS, type TicketRules } from '../../src/core/tickets/model.ts';
import { categoryFor, dominantFault } from '../../src/core/tickets/routing.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';
import { engineHarness } from './engine-harness.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const MIN = 60_000;
const HOUR = 3600_000;
const RULES: TicketRules = { ...DEFAULT_TICKET_RULES, holdDownMs: MIN };

function setup(rules: TicketRules = RULES) {
  const h = engineHarness(rules);
  const types = () => h.events().map((e) => `${e.ticketId}:${e.type}`);
  return { ...h, types };
}

describe('defaults (README: group wait 30 s, hold-down 5 min, reopen 24 h, flap threshold 2, site 2 cameras, SLA 24 h)', () => {
  it('the default ticket rules are the documented ones', () => {
    expect(DEFAULT_TICKET_RULES).toEqual({
      groupWaitMs: 30 * 1000,
      siteMinCameras: 2,
      holdDownMs: 300 * 1000,
      reopenWindowMs: 24 * 60 * 60 * 1000,
      flapThreshold: 2,
      slaMs: 24 * 60 * 60 * 1000,
      evidencePerCamera: 3,
    });
  });

  it('the causes a crew closes with, labelled as on the board', () => {
    expect(CAUSES).toEqual(['camera_aged', 'cabling_aged', 'fibre_modem', 'power', 'configuration', 'other']);
    expect(CAUSE_LABELS).toEqual({
      camera_aged: '设备老化',
      cabling_aged: '线路老化',
      fibre_modem: '光猫故障',
      power: '供电',
      configuration: '配置/密码',
      other: '其他',
    });
  });

  it('the categories, labelled; the events pushed to webhooks', () => {
    expect(CATEGORIES).toEqual(['line_power', 'device', 'configuration']);
    expect(CATEGORY_LABELS).toEqual({ line_power: '线路/供电', device: '设备', configuration: '配置' });
    expect(NOTIFY_EVENTS).toEqual(['opened', 'reopened', 'sla_breached', 'resolved']);
  });

  it('with the defaults: a camera failing 24 h after its ticket was resolved still reopens it; the SLA breaches at 24 h', () => {
    const s = setup(DEFAULT_TICKET_RULES);
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.ok('x1', T0 + 6 * MIN);
    s.engine.tick(T0 + 6 * MIN);
    expect(s.engine.activeFor('x1')).toBeUndefined();
    s.down('x1', T0 + 6 * MIN + 24 * HOUR);
    expect(s.engine.activeFor('x1')).toMatchObject({ id: 1, reopenCount: 1, slaDueAt: T0 + 6 * MIN + 48 * HOUR });
  });
});

describe('routing by fault class', () => {
  it('each fault class names itself as the dominant one; none → null', () => {
    for (const f of ['unreachable', 'onvif_down', 'auth_failed', 'stream_down', 'no_frame'] as const) expect(dominantFault([null, f])).toBe(f);
    expect(dominantFault([null, null])).toBeNull();
    expect(dominantFault([])).toBeNull();
  });

  it('the most common class wins; a tie goes to the lower rung of the ladder', () => {
    expect(dominantFault(['no_frame', 'stream_down', 'no_frame'])).toBe('no_frame');
    expect(dominantFault(['no_frame', 'stream_down'])).toBe('stream_down');
    expect(dominantFault(['stream_down', 'auth_failed'])).toBe('auth_failed');
    expect(dominantFault(['auth_failed', 'onvif_down'])).toBe('onvif_down');
    expect(dominantFault(['onvif_down', 'unreachable'])).toBe('unreachable');
  });

  it('unreachable → line/power; auth_failed → configuration; onvif_down, stream_down, no_frame, none → device', () => {
    expect(['unreachable', 'auth_failed', 'onvif_down', 'stream_down', 'no_frame', null].map((f) => categoryFor(f as FaultClass | null))).toEqual([
      'line_power',
      'configuration',
      'device',
      'device',
      'device',
      'device',
    ]);
  });
});

describe('transitions between the stages', () => {
  it('unknown or maintenance is not a return: no camera_back, the ticket stays down', () => {
    const s = setup();
    s.down('x1', T0);
    s.types();
    s.to('x1', 'unknown', T0 + MIN);
    s.to('x1', 'maintenance', T0 + 2 * MIN);
    expect(s.types()).toEqual([]);
    expect(s.engine.activeFor('x1')!.cameras[0]!.backAt).toBeNull();
  });

  it('an unknown spell during the hold-down starts the recovery over: successes after it do not verify until back again', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.to('x1', 'unknown', T0 + MIN + 10_000);
    s.ok('x1', T0 + 3 * MIN);
    s.engine.tick(T0 + 3 * MIN);
    expect(s.engine.activeFor('x1')!.cameras[0]).toMatchObject({ backAt: null, lastOkAt: null, verified: false });
    s.up('x1', T0 + 4 * MIN);
    s.ok('x1', T0 + 5 * MIN);
    s.engine.tick(T0 + 5 * MIN);
    expect(s.engine.activeFor('x1')).toBeUndefined();
  });

  it('a pending camera going into maintenance leaves its group; one going unknown stays', () => {
    const s = setup();
    s.down('a1', T0);
    s.down('a2', T0);
    s.to('a2', 'maintenance', T0 + 1000);
    s.down('b1', T0);
    s.down('b2', T0);
    s.to('b2', 'unknown', T0 + 1000);
    s.engine.tick(T0 + 30_000);
    expect(s.engine.activeFor('a1')).toMatchObject({ kind: 'camera', cameras: [{ code: 'a1' }] });
    expect(s.engine.activeFor('a2')).toBeUndefined();
    expect(s.engine.activeFor('b1')).toMatchObject({ kind: 'site', siteId: 'tri', cameras: [{ code: 'b1' }, { code: 'b2' }] });
  });

  it('a pending camera back online: its ticket opens with it back (when and since when), while other groups wait on', () => {
    const s = setup();
    s.down('b1', T0);
    s.down('a1', T0);
    s.down('a2', T0);
    s.up('a1', T0 + 10_000, T0 + 5000);
    s.engine.tick(T0 + 30_000);
    expect(s.engine.activeFor('a1')!.cameras.map((c) => [c.code, c.backAt, c.backSince])).toEqual([
      ['a1', T0 + 10_000, T0 + 5000],
      ['a2', null, null],
    ]);
  });

  it('a camera never down coming online, or an unregistered camera failing, changes nothing', () => {
    const s = setup();
    s.up('x1', T0);
    s.down('ghost', T0);
    expect(s.engine.active.size).toBe(0);
    expect(s.engine.isPending('ghost')).toBe(false);
    expect(s.events()).toEqual([]);
  });
});

describe('reconcile (after a restart: the tickets agree with the monitor)', () => {
  it('a camera held by a ticket and now online is back from the monitor `since`, at hub time now', () => {
    const s = setup();
    s.down('x1', T0);
    s.types();
    s.engine.reconcile([{ code: 'x1', state: 'online', since: T0 + MIN, fault: null }], T0 + 2 * MIN);
    expect(s.engine.activeFor('x1')!.cameras[0]).toMatchObject({ backAt: T0 + 2 * MIN, backSince: T0 + MIN });
    expect(s.types()).toEqual(['1:camera_back']);
  });

  it('online again, or offline while its ticket still has it down: nothing', () => {
    const s = setup();
    s.down('x1', T0);
    s.engine.reconcile([{ code: 'x1', state: 'offline', since: T0, fault: 'unreachable' }], T0 + MIN);
    s.up('x1', T0 + 2 * MIN);
    s.types();
    s.engine.reconcile([{ code: 'x1', state: 'online', since: T0 + 2 * MIN, fault: null }], T0 + 3 * MIN);
    expect(s.types()).toEqual([]);
    expect(s.engine.activeFor('x1')).toMatchObject({ flaps: 0, cameras: [{ backAt: T0 + 2 * MIN }] });
  });

  it('offline after its ticket saw it back: down again, one flap', () => {
    const s = setup();
    s.down('x1', T0);
    s.up('x1', T0 + MIN);
    s.types();
    s.engine.reconcile([{ code: 'x1', state: 'offline', since: T0 + 2 * MIN, fault: 'stream_down' }], T0 + 3 * MIN);
    expect(s.types()).toEqual(['1:camera_down_again']);
    expect(s.engine.activeFor('x1')).toMatchObject({ flaps: 1, cameras: [{ backAt: null, fault: 'stream_down' }] });
  });

  it('an online camera without a ticket gets none; an offline one already waiting in its group keeps its place', () => {
    const s = setup();
    s.down('a1', T0, 'unreachable', T0 - 90_000);
    s.down('a2', T0, 'unreachable', T0 - 90_000);
    s.engine.reconcile(
      [
        { code: 'x1', state: 'online', since: T0, fault: null },
        { code: 'b1', state: 'unknown', since: T0, fault: null },
        { code: 'a1', state: 'offline', since: T0 + 5000, fault: 'no_frame' },
      ],
      T0 + 10_000,
    );
    expect(s.engine.isPending('x1') || s.engine.isPending('b1')).toBe(false);
    s.engine.tick(T0 + 30_000);
    expect(s.engine.active.size).toBe(1);
    expect(s.engine.activeFor('a1')!.cameras[0]).toMatchObject({ offlineSince: T0 - 90_000, fault: 'unreachable' });
  });
});
