/**
 * A ticket engine over a fixed county, driven by camera transitions and probe results with
 * time as an argument: the setup the ticket rule tests share (rules-engine, rules-lifecycle,
 * rules-actions).
 */
import { MaintenanceCalendar } from '../../src/core/maintenance.ts';
import type { CameraMeta, CameraState, Transition } from '../../src/core/model.ts';
import { TicketEngine } from '../../src/core/tickets/engine.ts';
import type { TicketEvent, TicketRules } from '../../src/core/tickets/model.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';
import { result } from '../support/reports.ts';

/** site "pair" (a1, a2) and site "tri" (b1–b3) in town t1, x1 alone in town t2 */
export const SITE_CAMS: CameraMeta[] = [
  { code: 'a1', gridId: 'g1', townId: 't1', siteId: 'pair' },
  { code: 'a2', gridId: 'g1', townId: 't1', siteId: 'pair' },
  ...['b1', 'b2', 'b3'].map((code) => ({ code, gridId: 'g4', townId: 't1', siteId: 'tri' })),
  { code: 'x1', gridId: 'g3', townId: 't2', siteId: null },
];

export function engineHarness(rules: TicketRules, cams: CameraMeta[] = SITE_CAMS, crews = new Map([['t1', ['crew-1']]])) {
  const states = new Map<string, CameraState>();
  const engine = new TicketEngine(rules, cams, crews, 1, (c) => states.get(c), new MaintenanceCalendar(cams));
  const move = (camera: string, to: CameraState, at: number, since: number, fault: FaultClass | null) => {
    const tr: Transition = { camera, from: states.get(camera) ?? 'online', to, at, since, fault, reason: 'probe' };
    engine.onTransitions([tr], at);
    states.set(camera, to);
  };
  /** offline at `at`, counted from `since` (default 90 s before) */
  const down = (camera: string, at: number, fault: FaultClass = 'unreachable', since = at - 90_000) => move(camera, 'offline', at, since, fault);
  /** online at `at`, back since `since` (default 30 s before) */
  const up = (camera: string, at: number, since = at - 30_000) => move(camera, 'online', at, since, null);
  /** any other state (unknown, maintenance) from `at` */
  const to = (camera: string, state: CameraState, at: number) => move(camera, state, at, at, null);
  const ok = (camera: string, at: number) => engine.onResult(result(camera, at), at);
  /** the events since the last drain */
  const events = (): TicketEvent[] => engine.drain().events;
  return { engine, states, down, up, to, ok, events };
}
