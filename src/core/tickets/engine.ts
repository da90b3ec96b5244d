/**
 * The ticket rules as a pipeline of named stages (after Alertmanager), composed here:
 * a camera goes offline → silencing (maintenance windows: no ticket) → flapping (its ticket is
 * still active: one ticket, a flap) → reopen (resolved within the reopen window) → inhibition
 * (an active site ticket absorbs it) → grouping (cameras of one site within `groupWaitMs` → one
 * site ticket) → lifecycle (open, index, resolve, reopen) → verification (held back for
 * `holdDownMs` → verified closure; SLA). Takes transitions, probe results and time as arguments;
 * does no I/O. The shell drains the changed tickets and their events (the change log) and persists them.
 *
 * Invariants: at most one active (not resolved) ticket per camera; at most one active site
 * ticket per site; a resolved ticket closed only after every camera came back and stayed back
 * (fresh successful probes) for `holdDownMs`.
 */
import type { FaultClass, ProbeResult } from '../../protocol/probe-result.ts';
import type { MaintenanceCalendar } from '../maintenance.ts';
import type { CameraMeta, CameraState, Transition } from '../model.ts';
import { FailureEvidence } from './evidence.ts';
import { Flapping } from './flapping.ts';
import { type Batch, Grouping } from './grouping.ts';
import { Inhibition } from './inhibition.ts';
import { TicketLifecycle } from './lifecycle.ts';
import type { Ticket, TicketEvent, TicketEventType, TicketRules } from './model.ts';
import { TicketChangeLog } from './change-log.ts';
import { Silencing } from './silencing.ts';
import { cameraOf, TicketIndex } from './ticket-index.ts';
import { Verification } from './verification.ts';

export class TicketEngine {
  readonly cams = new Map<string, CameraMeta>();
  /** active (not resolved) tickets by id */
  readonly active: Map<number, Ticket>;
  private readonly index = new TicketIndex();
  private readonly changes = new TicketChangeLog();
  private readonly evidence: FailureEvidence;
  private readonly silencing: Silencing;
  private readonly grouping: Grouping;
  private readonly inhibition: Inhibition;
  private readonly lifecycle: TicketLifecycle;
  private readonly flapping: Flapping;
  private readonly verification: Verification;

  constructor(
    readonly rules: TicketRules,
    cameras: CameraMeta[],
    private readonly crewsByTown: Map<string, string[]>,
    nextId: number,
    /** the monitor's current state of a camera (read only) */
    private readonly stateOf: (code: string) => CameraState | undefined,
    /** maintenance windows (报备): the silencing stage consults them */
    calendar: MaintenanceCalendar,
  ) {
    for (const c of cameras) this.cams.set(c.code, c);
    this.active = this.index.active;
    this.evidence = new FailureEvidence(rules);
    this.silencing = new Silencing(calendar);
    this.grouping = new Grouping(rules, cameras);
    this.inhibition = new Inhibition(this.index, this.changes);
    this.lifecycle = new TicketLifecycle(rules, this.cams, (town) => this.crewsOf(town), nextId, this.index, this.changes, this.evidence);
    this.flapping = new Flapping(rules, this.changes);
    this.verification = new Verification(rules, this.index, this.lifecycle, this.changes);
  }

  // ---- inputs -------------------------------------------------------------------------

  /** Tickets from the database (restart): active ones, and resolved ones still inside the reopen window. */
  restore(tickets: Ticket[], now: number): void {
    this.lifecycle.restore(tickets, now);
  }

  /** New tickets get numbers above `maxId`. */
  idsAbove(maxId: number): void {
    this.lifecycle.idsAbove(maxId);
  }

  /** Make the tickets agree with the monitor's states (after a restart, or transitions missed while stopped). */
  reconcile(states: Iterable<{ code: string; state: CameraState; since: number; fault: FaultClass | null }>, now: number): void {
    for (const s of states) {
      const t = this.index.forCamera(s.code);
      if (!t) {
        if (s.state === 'offline' && !this.isPending(s.code)) this.down(s.code, s.since, s.fault, now);
        continue;
      }
      const c = cameraOf(t, s.code);
      if (s.state === 'online' && c.backAt === null && !c.verified) this.back(s.code, s.since, now);
      if (s.state === 'offline' && (c.backAt !== null || c.verified)) this.down(s.code, s.since, s.fault, now);
    }
  }

  onTransitions(trs: Transition[], now: number): void {
    for (const tr of trs) {
      if (tr.to === 'offline') this.down(tr.camera, tr.since, tr.fault, now);
      else if (tr.to === 'online') this.back(tr.camera, tr.since, now);
      else this.lost(tr.camera, tr.to);
    }
  }

  /** Every applied probe result: failures are kept as evidence; successes count toward the hold-down. */
  onResult(r: ProbeResult, now: number): void {
    if (r.fault !== null) {
      this.evidence.failed(r);
      return;
    }
    this.evidence.succeeded(r.camera);
    this.verification.succeeded(r.camera, now);
  }

  /** Time passes: groups flush, recoveries verify, SLAs breach, resolved tickets leave the reopen window. */
  tick(now: number): void {
    for (const g of this.grouping.due(now)) for (const b of this.grouping.flush(g, (code) => this.needsTicket(code, now))) this.open(b, now);
    this.verification.tick(now);
    this.lifecycle.expire(now);
  }

  drain(): { tickets: Ticket[]; events: TicketEvent[] } {
    return this.changes.drain();
  }

  // ---- queries ------------------------------------------------------------------------

  activeFor(code: string): Ticket | undefined {
    return this.index.forCamera(code);
  }

  isPending(code: string): boolean {
    return this.grouping.isPending(code);
  }

  crewsOf(townId: string): string[] {
    return this.crewsByTown.get(townId) ?? [];
  }

  // ---- used by the actions (actions.ts) -----------------------------------------------

  /** Close a ticket: `by` is 'monitor' (verified closure) or the user who closed it. */
  resolve(t: Ticket, by: string, now: number): void {
    this.lifecycle.resolve(t, by, now);
  }

  /** A worker saw a fault in the field: a new worker ticket (closes itself on verified recovery only if the monitor sees the camera offline). */
  openReport(code: string, by: string, comment: string, now: number): Ticket {
    const state = this.stateOf(code);
    const fault = state === 'offline' ? this.evidence.lastFault(code) : null;
    const t = this.lifecycle.open('camera', 'worker', [[code, { since: now, fault, backAt: null, backSince: null }]], now, null, { by, comment });
    t.autoClose = state === 'offline';
    return t;
  }

  emit(t: Ticket, type: TicketEventType, actor: string, data: Record<string, unknown>, now: number): void {
    this.changes.emit(t, type, actor, data, now);
  }

  // ---- routing between the stages -----------------------------------------------------

  private down(code: string, since: number, fault: FaultClass | null, now: number): void {
    const meta = this.cams.get(code);
    if (!meta || this.silencing.silenced(meta, now)) return;
    const t = this.index.forCamera(code);
    if (t) {
      this.flapping.downAgain(t, code, fault, now);
      return;
    }
    const old = this.lifecycle.resolvedRecently(code, now);
    if (old && !this.inhibition.inhibits(old.siteId)) {
      this.lifecycle.reopen(old, code, since, fault, now);
      this.flapping.flapped(old, 'reopened', { camera: code, fault }, now);
      return;
    }
    const site = this.grouping.siteOf(meta);
    if (this.inhibition.absorb(site, meta, since, fault, now)) return;
    const atOnce = this.grouping.add(code, site, since, fault, now);
    if (atOnce) this.open(atOnce, now);
  }

  private back(code: string, since: number, now: number): void {
    const t = this.index.forCamera(code);
    if (t) this.verification.back(t, code, since, now);
    else this.grouping.back(code, since, now);
  }

  private lost(code: string, to: CameraState): void {
    this.verification.lost(code);
    if (to === 'maintenance') this.grouping.drop(code);
  }

  /** At flush time a camera still needs a ticket if none holds it and no window silences it. */
  private needsTicket(code: string, now: number): boolean {
    return !this.index.forCamera(code) && !this.silencing.silenced(this.cams.get(code)!, now);
  }

  private open(b: Batch, now: number): void {
    this.lifecycle.open(b.kind, 'monitor', b.cameras, now, b.siteId);
  }
}
