/**
 * The ticket shell around the pure rules (src/core/tickets): feeds them committed
 * transitions and probe evidence (never on the ingest hot path: the listeners only
 * hand over data; ticket writes happen after commit, notifications from the outbox),
 * persists what changed (tickets + timeline + outbox in one transaction), and pushes
 * changes to live subscribers. Maintenance windows belong to ./maintenance.ts; the rules
 * consult its calendar.
 */
import type { MaintenanceCalendar } from '../core/maintenance.ts';
import type { CameraMeta, Transition } from '../core/model.ts';
import type { Monitor } from '../core/monitor.ts';
import { TicketEngine } from '../core/tickets/engine.ts';
import { NOTIFY_EVENTS, TicketError, type NotifyEvent, type Ticket, type TicketEvent } from '../core/tickets/model.ts';
import type { Database } from '../db/client.ts';
import {
  getTicket,
  listTickets,
  loadTicketsForRestore,
  maxTicketId,
  saveTicketChanges,
  ticketStats,
  ticketTimeline,
  type OutboxRow,
  type ScopeFilter,
  type TicketQuery,
} from '../db/ticket-store.ts';
import type { Logger } from '../log.ts';
import type { NotifyConfig } from '../notify/config.ts';
import type { OutboxWorker } from '../notify/outbox-worker.ts';
import type { NotifyPayload } from '../notify/formats.ts';
import type { ProbeResult } from '../protocol/probe-result.ts';
import type { Principal, Scope } from './scope.ts';

export interface TicketChange {
  ticket: Ticket;
  events: TicketEvent['type'][];
}

export interface TicketServiceDeps {
  db: Database;
  monitor: Monitor;
  /** maintenance windows (the silence stage) */
  calendar: MaintenanceCalendar;
  /** the notification outbox (owned and stopped by the notify feature): kicked after each commit */
  outbox: Pick<OutboxWorker, 'kick'>;
  logger: Logger;
  now: () => number;
  cameras: CameraMeta[];
}

export class TicketService {
  readonly engine: TicketEngine;
  private readonly subscribers = new Set<(c: TicketChange) => void>();
  private backlog: (() => void)[] | null = [];
  private persisting: Promise<void> | null = null;
  private carry: { tickets: Ticket[]; events: TicketEvent[] } = { tickets: [], events: [] };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly deps: TicketServiceDeps,
    readonly config: NotifyConfig,
    crewsByTown: Map<string, string[]>,
  ) {
    this.engine = new TicketEngine(config.rules, deps.cameras, crewsByTown, 1, (code) => deps.monitor.cameras.get(code)?.state, deps.calendar);
  }

  /** Listeners to hand to the transition log and ingest: they only queue work. */
  onCommitted = (trs: Transition[]): void => {
    if (this.stopped) return;
    const now = this.deps.now();
    if (this.backlog) this.backlog.push(() => this.engine.onTransitions(trs, now));
    else {
      this.engine.onTransitions(trs, now);
      this.schedulePersist();
    }
  };

  /** Evidence the monitor applied (never refused items: those are no evidence of anything). */
  onApplied = (items: readonly ProbeResult[], now: number): void => {
    if (this.stopped) return;
    if (this.backlog) this.backlog.push(() => this.onApplied(items, now));
    else for (const r of items) this.engine.onResult(r, now);
  };

  async start(): Promise<void> {
    const now = this.deps.now();
    this.engine.restore(await loadTicketsForRestore(this.deps.db, now - this.config.rules.reopenWindowMs), now);
    this.engine.idsAbove(await maxTicketId(this.deps.db)); // tickets resolved long ago keep their numbers
    const backlog = this.backlog ?? [];
    this.backlog = null;
    for (const f of backlog) f();
    const states = [...this.deps.monitor.cameras.values()].map((c) => ({ code: c.code, state: c.state, since: c.stateSince, fault: c.fault }));
    this.engine.reconcile(states, now);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.config.tickMs);
    this.timer.unref();
    this.deps.outbox.kick();
  }

  /** Time passes: groups flush, verified recoveries close, SLAs breach. */
  tick(): void {
    if (this.stopped || this.backlog) return;
    const now = this.deps.now();
    this.engine.tick(now);
    this.schedulePersist();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  /** Wait until every change so far is committed. */
  async flush(): Promise<void> {
    this.schedulePersist();
    while (this.persisting) await this.persisting;
  }

  subscribe(fn: (c: TicketChange) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  // ---- reads and actions (scope-checked) --------------------------------------------------

  /** A ticket the caller may see (active from memory, else the database), or a not_found error. */
  async visible(scope: Scope, id: number): Promise<Ticket> {
    const t = this.engine.active.get(id) ?? (await getTicket(this.deps.db, id));
    const shown = t ? this.shownTo(scope, t) : null;
    if (!shown) throw new TicketError('not_found', `ticket ${id} not found`);
    return shown;
  }

  /**
   * The ticket as the caller may see it: null unless one of its cameras is in scope (a site
   * ticket spanning grids is seen from each of them); else only the cameras, and their
   * evidence, in scope.
   */
  shownTo(scope: Scope, t: Ticket): Ticket | null {
    if (scope.isCounty) return t;
    const grids = this.deps.monitor.grids;
    const inScope = new Set(t.cameras.filter((c) => scope.allowsGrid({ id: c.gridId, townId: grids.get(c.gridId)?.grid.townId ?? t.townId })).map((c) => c.code));
    if (inScope.size === 0) return null;
    if (inScope.size === t.cameras.length) return t;
    return { ...t, cameras: t.cameras.filter((c) => inScope.has(c.code)), evidence: t.evidence.filter((e) => inScope.has(e.camera)) };
  }

  /** Run an action on a visible ticket, then commit it before answering (the ticket as the caller may see it). */
  async act<R extends Ticket | { ticket: Ticket }>(scope: Scope, id: number, fn: () => R): Promise<R> {
    await this.visible(scope, id);
    const out = fn();
    await this.flush();
    if ('ticket' in out) return { ...out, ticket: this.shownTo(scope, out.ticket) ?? out.ticket };
    return (this.shownTo(scope, out) ?? out) as R;
  }

  async list(scope: Scope, q: TicketQuery): Promise<{ total: number; items: Ticket[] }> {
    const page = await listTickets(this.deps.db, scopeFilter(scope.user), q, this.deps.now());
    return { total: page.total, items: page.items.flatMap((t) => this.shownTo(scope, t) ?? []) };
  }

  stats(scope: Principal, from: number): ReturnType<typeof ticketStats> {
    return ticketStats(this.deps.db, scopeFilter(scope), from, this.deps.now());
  }

  timeline(id: number): Promise<TicketEvent[]> {
    return ticketTimeline(this.deps.db, id);
  }

  async commit<R>(fn: () => R): Promise<R> {
    const out = fn();
    await this.flush();
    return out;
  }

  // ---- persistence ------------------------------------------------------------------------

  private schedulePersist(): void {
    if (!this.persisting) this.persisting = this.persistLoop().finally(() => (this.persisting = null));
  }

  private async persistLoop(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r)); // let more changes join this commit
      const fresh = this.engine.drain();
      const tickets = mergeTickets(this.carry.tickets, fresh.tickets);
      const events = this.carry.events.concat(fresh.events);
      this.carry = { tickets: [], events: [] };
      if (tickets.length === 0 && events.length === 0) return;
      try {
        await saveTicketChanges(this.deps.db, tickets, events, this.outboxRows(tickets, events));
      } catch (e) {
        this.carry = { tickets, events };
        if (this.stopped) throw e;
        this.deps.logger.warn({ err: e }, 'ticket changes not yet written; will retry');
        await new Promise((r) => setTimeout(r, 1000).unref());
        continue;
      }
      this.publish(tickets, events);
      this.deps.outbox.kick();
    }
  }

  private outboxRows(tickets: Ticket[], events: TicketEvent[]): OutboxRow[] {
    if (this.config.webhooks.length === 0) return [];
    const byId = new Map(tickets.map((t) => [t.id, t]));
    const rows: OutboxRow[] = [];
    for (const e of events) {
      if (!(NOTIFY_EVENTS as readonly string[]).includes(e.type)) continue;
      const ticket = byId.get(e.ticketId);
      if (!ticket) continue;
      const eventKey = `${e.ticketId}-${e.rev}-${e.type}`;
      const payload: NotifyPayload = { eventId: eventKey, event: e.type as NotifyEvent, at: e.at, ticket };
      for (const w of this.config.webhooks) {
        if (!w.events.includes(e.type as NotifyEvent)) continue;
        if (w.towns.length && !w.towns.includes(ticket.townId)) continue;
        rows.push({ eventKey, target: w.name, payload, createdAt: e.at });
      }
    }
    return rows;
  }

  private publish(tickets: Ticket[], events: TicketEvent[]): void {
    if (this.subscribers.size === 0) return;
    for (const t of tickets) {
      const change: TicketChange = { ticket: t, events: events.filter((e) => e.ticketId === t.id).map((e) => e.type) };
      for (const fn of this.subscribers) {
        try {
          fn(change);
        } catch (e) {
          this.deps.logger.warn({ err: e }, 'ticket subscriber failed');
        }
      }
    }
  }
}

function mergeTickets(a: Ticket[], b: Ticket[]): Ticket[] {
  if (a.length === 0) return b;
  const m = new Map(a.map((t) => [t.id, t]));
  for (const t of b) m.set(t.id, t);
  return [...m.values()];
}

/** Principal → SQL scope filter (same rules as Scope). */
export function scopeFilter(u: Principal): ScopeFilter {
  if (u.role === 'admin' || (u.role === 'viewer' && u.towns.length === 0)) return { towns: null, grids: null };
  if (u.role === 'worker') return { towns: null, grids: u.grids };
  return { towns: u.towns, grids: null };
}
