/**
 * Lifecycle: a ticket opens (numbered, routed by fault class and town, with its cameras'
 * evidence, SLA clock started), is resolved (by the monitor on verified recovery, or by a
 * crew) with its time to repair, and reopens (the same ticket, SLA restarted) when one of its
 * cameras fails again within `reopenWindowMs` of resolution. Who holds what is in the index;
 * every change goes out through the change log.
 */
import type { FaultClass } from '../../protocol/probe-result.ts';
import type { CameraMeta } from '../model.ts';
import type { FailureEvidence } from './evidence.ts';
import { type DownCamera, ticketCamera, type Ticket, type TicketCamera, type TicketKind, type TicketRules, type TicketSource } from './model.ts';
import type { TicketChangeLog } from './change-log.ts';
import { categoryFor, dominantFault } from './routing.ts';
import { cameraOf, type TicketIndex } from './ticket-index.ts';

export class TicketLifecycle {
  /** camera → its ticket resolved within the reopen window */
  private readonly recentlyResolved = new Map<string, Ticket>();

  constructor(
    private readonly rules: TicketRules,
    private readonly cams: ReadonlyMap<string, CameraMeta>,
    private readonly crewsOf: (townId: string) => string[],
    private nextId: number,
    private readonly index: TicketIndex,
    private readonly changes: TicketChangeLog,
    private readonly evidence: FailureEvidence,
  ) {}

  /** Tickets from the database (restart): active ones, and resolved ones still inside the reopen window. */
  restore(tickets: Ticket[], now: number): void {
    for (const t of tickets) {
      this.nextId = Math.max(this.nextId, t.id + 1);
      if (t.state !== 'resolved') this.index.add(t);
      else if (t.resolvedAt !== null && t.resolvedAt >= now - this.rules.reopenWindowMs) for (const c of t.cameras) this.recentlyResolved.set(c.code, t);
    }
  }

  /** New tickets get numbers above `maxId`. */
  idsAbove(maxId: number): void {
    this.nextId = Math.max(this.nextId, maxId + 1);
  }

  open(kind: TicketKind, source: TicketSource, entries: [string, DownCamera][], now: number, siteId: string | null, report: Ticket['report'] = null): Ticket {
    const first = this.cams.get(entries[0]![0])!;
    const cameras: TicketCamera[] = entries.map(([code, p]) => ({
      ...ticketCamera(this.cams.get(code)!, p.since, p.fault),
      backAt: p.backAt,
      backSince: p.backSince,
    }));
    const fault = dominantFault(cameras.map((c) => c.fault));
    const t: Ticket = {
      id: this.nextId++,
      rev: 0,
      kind,
      source,
      siteId: siteId ?? first.siteId,
      townId: first.townId,
      gridId: first.gridId,
      cameras,
      fault,
      category: categoryFor(fault),
      state: 'open',
      unstable: false,
      flaps: 0,
      openedAt: now,
      slaDueAt: now + this.rules.slaMs,
      slaBreached: false,
      crews: this.crewsOf(first.townId),
      assignee: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      cause: null,
      fixReportedAt: null,
      fixReportedBy: null,
      autoClose: source === 'monitor',
      resolvedAt: null,
      resolvedBy: null,
      repairMs: null,
      reopenCount: 0,
      reopenedAt: null,
      report,
      evidence: this.evidence.forTicket(cameras),
      updatedAt: now,
    };
    this.index.add(t);
    this.changes.emit(t, 'opened', report?.by ?? 'monitor', { kind, cameras: cameras.map((c) => c.code), fault, category: t.category }, now);
    return t;
  }

  /** The camera's ticket if it was resolved within the reopen window. */
  resolvedRecently(code: string, now: number): Ticket | undefined {
    const old = this.recentlyResolved.get(code);
    return old && old.resolvedAt !== null && old.resolvedAt >= now - this.rules.reopenWindowMs ? old : undefined;
  }

  /** The camera failed again soon after resolution: the ticket is active again. Emits nothing: a reopen is a flap (the flapping stage records it). */
  reopen(t: Ticket, code: string, since: number, fault: FaultClass | null, now: number): void {
    const c = cameraOf(t, code);
    Object.assign(c, { offlineSince: since, fault: fault ?? c.fault, backAt: null, backSince: null, lastOkAt: null, verified: false });
    Object.assign(t, {
      state: 'open',
      resolvedAt: null,
      resolvedBy: null,
      repairMs: null,
      cause: null,
      fixReportedAt: null,
      fixReportedBy: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      autoClose: true,
      reopenCount: t.reopenCount + 1,
      reopenedAt: now,
      slaDueAt: now + this.rules.slaMs,
      slaBreached: false,
    });
    for (const x of t.cameras) this.recentlyResolved.delete(x.code);
    this.index.add(t);
  }

  /**
   * Close a ticket: `by` is 'monitor' (verified closure) or the user who closed it. Time to repair:
   * from the earliest camera's last success to the last camera's real return (now if one is not back).
   */
  resolve(t: Ticket, by: string, now: number): void {
    const backs = t.cameras.map((c) => c.backSince).filter((x): x is number => x !== null);
    const start = Math.min(...t.cameras.map((c) => c.offlineSince));
    Object.assign(t, {
      state: 'resolved',
      resolvedAt: now,
      resolvedBy: by,
      repairMs: Math.max(0, (backs.length === t.cameras.length ? Math.max(...backs) : now) - start),
    });
    this.index.remove(t);
    for (const c of t.cameras) this.recentlyResolved.set(c.code, t);
    this.changes.emit(t, 'resolved', by, { cause: t.cause, repairMs: t.repairMs, verified: by === 'monitor' }, now);
  }

  /** Time passes: tickets resolved before the reopen window can no longer reopen. */
  expire(now: number): void {
    for (const [code, t] of this.recentlyResolved) if ((t.resolvedAt ?? 0) < now - this.rules.reopenWindowMs) this.recentlyResolved.delete(code);
  }
}
