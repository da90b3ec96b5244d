/**
 * What people do to tickets: acknowledge, assign, comment, resolve with a cause,
 * report a fault from the field. Pure rules over the engine's active tickets;
 * scope checks are the shell's job (it knows who may see which town).
 */
import { CAUSES, TicketError, type Cause, type Ticket } from './model.ts';
import type { TicketEngine } from './engine.ts';

function activeTicket(engine: TicketEngine, id: number): Ticket {
  const t = engine.active.get(id);
  if (!t) throw new TicketError('conflict', `ticket ${id} is resolved`);
  return t;
}

export function acknowledge(engine: TicketEngine, id: number, user: string, now: number): Ticket {
  const t = activeTicket(engine, id);
  if (t.state === 'acknowledged') throw new TicketError('conflict', `ticket ${id} is already acknowledged by ${t.acknowledgedBy}`);
  Object.assign(t, { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: user, assignee: t.assignee ?? user });
  engine.emit(t, 'acknowledged', user, {}, now);
  return t;
}

export function assign(engine: TicketEngine, id: number, assignee: string, user: string, now: number): Ticket {
  const t = activeTicket(engine, id);
  if (!engine.crewsOf(t.townId).includes(assignee)) throw new TicketError('invalid', `${assignee} is not a crew member of town ${t.townId}`);
  t.assignee = assignee;
  engine.emit(t, 'assigned', user, { assignee }, now);
  return t;
}

export function comment(engine: TicketEngine, id: number, text: string, user: string, now: number): Ticket {
  const t = activeTicket(engine, id);
  engine.emit(t, 'commented', user, { text }, now);
  return t;
}

/**
 * A crew says the fault is fixed. Verified closure: the ticket closes now only if
 * every camera is back and held for the hold-down; otherwise the cause is recorded
 * and the ticket closes itself on verified recovery. A worker's report on a camera
 * the monitor does not see offline (dirty lens, wrong angle) closes on the crew's word.
 */
export function resolveByCrew(
  engine: TicketEngine,
  id: number,
  cause: Cause,
  note: string | null,
  user: string,
  now: number,
  stateOf: (code: string) => string | undefined,
): { ticket: Ticket; verification: 'done' | 'pending' } {
  if (!CAUSES.includes(cause)) throw new TicketError('invalid', `cause must be one of ${CAUSES.join(', ')}`);
  const t = activeTicket(engine, id);
  Object.assign(t, { cause, fixReportedAt: now, fixReportedBy: user });
  const anyDown = t.cameras.some((c) => stateOf(c.code) === 'offline');
  if ((t.source === 'worker' && !t.autoClose && !anyDown) || t.cameras.every((c) => c.verified)) {
    engine.resolve(t, user, now);
    if (note) engine.emit(t, 'commented', user, { text: note }, now);
    return { ticket: t, verification: 'done' };
  }
  t.autoClose = true;
  engine.emit(t, 'fix_reported', user, { cause, note }, now);
  return { ticket: t, verification: 'pending' };
}

/** A fault seen in the field (source: worker). One open ticket per camera: joins the open one as a comment. */
export function reportFault(engine: TicketEngine, code: string, text: string, user: string, now: number): { ticket: Ticket; created: boolean } {
  if (!engine.cams.has(code)) throw new TicketError('not_found', `camera ${code} not found`);
  const open = engine.activeFor(code);
  if (open) {
    engine.emit(open, 'commented', user, { text, source: 'worker' }, now);
    return { ticket: open, created: false };
  }
  return { ticket: engine.openReport(code, user, text, now), created: true };
}
