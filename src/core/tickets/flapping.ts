/**
 * Flapping: a camera that goes down again during its ticket's life (back, even verified, but
 * the ticket not closed yet) keeps its one ticket: its recovery starts over and the ticket
 * counts a flap (`camera_down_again`). A reopen within the reopen window is a flap too. At
 * `flapThreshold` flaps the ticket is marked unstable, once.
 */
import type { FaultClass } from '../../protocol/probe-result.ts';
import type { Ticket, TicketRules } from './model.ts';
import type { TicketChangeLog } from './change-log.ts';
import { cameraOf } from './ticket-index.ts';

export class Flapping {
  constructor(
    private readonly rules: TicketRules,
    private readonly changes: TicketChangeLog,
  ) {}

  /** A camera the ticket holds failed. Still down (no recovery seen since): nothing new, one open ticket per camera. */
  downAgain(t: Ticket, code: string, fault: FaultClass | null, now: number): void {
    const c = cameraOf(t, code);
    if (c.backAt === null && !c.verified) return;
    Object.assign(c, { backAt: null, backSince: null, lastOkAt: null, verified: false, fault: fault ?? c.fault });
    this.flapped(t, 'camera_down_again', { camera: code, fault }, now);
  }

  /** Count a flap (`camera_down_again` or `reopened`); the threshold marks the ticket unstable. */
  flapped(t: Ticket, type: 'camera_down_again' | 'reopened', data: Record<string, unknown>, now: number): void {
    t.flaps += 1;
    this.changes.emit(t, type, 'monitor', data, now);
    if (!t.unstable && t.flaps >= this.rules.flapThreshold) {
      t.unstable = true;
      this.changes.emit(t, 'unstable', 'monitor', { flaps: t.flaps }, now);
    }
  }
}
