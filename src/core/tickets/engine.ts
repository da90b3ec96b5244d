/**
 * The ticket rules as a pipeline (after Alertmanager): dispatch (a camera went
 * offline) → group (cameras of one site within `groupWaitMs` → one parent) →
 * silence (maintenance windows) → ticket → verified closure. Takes transitions,
 * probe results and time as arguments; does no I/O. The shell drains the changed
 * tickets and their events and persists them.
 *
 * Invariants: at most one active (not resolved) ticket per camera; at most one
 * active site ticket per site; a resolved ticket closed only after every camera
 * came back and stayed back (fresh successful probes) for `holdDownMs`.
 */
import type { FaultClass, ProbeResult } from '../../protocol/probe-result.ts';
import type { CameraState, Transition } from '../model.ts';
import type { CameraMeta, Evidence, MaintenanceWindow, Ticket, TicketCamera, TicketEvent, TicketEventType, TicketRules, TicketSource } from './model.ts';
import { categoryFor, dominantFault, windowCovers } from './routing.ts';

interface PendingCamera {
  since: number;
  fault: FaultClass | null;
  backAt: number | null;
  backSince: number | null;
}

interface PendingGroup {
  siteId: string | null;
  firstAt: number;
  cams: Map<string, PendingCamera>;
}

export class TicketEngine {
  readonly cams = new Map<string, CameraMeta>();
  readonly active = new Map<number, Ticket>();
  private readonly siteCams = new Map<string, string[]>();
  private readonly gridCams = new Map<string, string[]>();
  private readonly byCamera = new Map<string, Ticket>();
  private readonly bySite = new Map<string, Ticket>();
  private readonly recentlyResolved = new Map<string, Ticket>();
  private readonly pending = new Map<string, PendingGroup>();
  private readonly failures = new Map<string, Evidence[]>();
  private windows: MaintenanceWindow[] = [];
  private changed = new Map<number, Ticket>();
  private events: TicketEvent[] = [];

  constructor(
    readonly rules: TicketRules,
    cameras: CameraMeta[],
    private readonly crewsByTown: Map<string, string[]>,
    private nextId: number,
    /** the monitor's current state of a camera (read only) */
    private readonly stateOf: (code: string) => CameraState | undefined,
  ) {
    for (const c of cameras) {
      this.cams.set(c.code, c);
      if (c.siteId) push(this.siteCams, c.siteId, c.code);
      push(this.gridCams, c.gridId, c.code);
    }
  }

  // ---- inputs -------------------------------------------------------------------------

  /** Tickets from the database (restart): active ones, and resolved ones still inside the reopen window. */
  restore(tickets: Ticket[], now: number): void {
    for (const t of tickets) {
      this.nextId = Math.max(this.nextId, t.id + 1);
      if (t.state !== 'resolved') this.index(t);
      else if (t.resolvedAt !== null && t.resolvedAt >= now - this.rules.reopenWindowMs) for (const c of t.cameras) this.recentlyResolved.set(c.code, t);
    }
  }

  /** New tickets get numbers above `maxId`. */
  idsAbove(maxId: number): void {
    this.nextId = Math.max(this.nextId, maxId + 1);
  }

  /** Make the tickets agree with the monitor's states (after a restart, or transitions missed while stopped). */
  reconcile(states: Iterable<{ code: string; state: CameraState; since: number; fault: FaultClass | null }>, now: number): void {
    for (const s of states) {
      const t = this.byCamera.get(s.code);
      if (!t) {
        if (s.state === 'offline' && !this.isPending(s.code)) this.down(s.code, s.since, s.fault, now);
        continue;
      }
      const c = camOf(t, s.code);
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
      let list = this.failures.get(r.camera);
      if (!list) this.failures.set(r.camera, (list = []));
      list.push({ camera: r.camera, at: r.at, fault: r.fault, rungs: r.rungs });
      if (list.length > this.rules.evidencePerCamera) list.shift();
      return;
    }
    if (this.failures.size > 0) this.failures.delete(r.camera);
    const t = this.byCamera.get(r.camera);
    if (t) {
      const c = camOf(t, r.camera);
      if (c.backAt !== null && now >= c.backAt) c.lastOkAt = now;
    }
  }

  setWindows(windows: MaintenanceWindow[]): void {
    this.windows = windows;
  }

  /** Cameras covered by a maintenance window at `now`. */
  coveredCameras(now: number): Set<string> {
    const out = new Set<string>();
    for (const w of this.windows) {
      if (now < w.from || now >= w.to) continue;
      for (const c of w.cameras) if (this.cams.has(c)) out.add(c);
      if (w.siteId) for (const c of this.siteCams.get(w.siteId) ?? []) out.add(c);
      if (w.gridId) for (const c of this.gridCams.get(w.gridId) ?? []) out.add(c);
    }
    return out;
  }

  /** Time passes: groups flush, recoveries verify, SLAs breach. */
  tick(now: number): void {
    for (const [key, g] of this.pending) if (now - g.firstAt >= this.rules.groupWaitMs) this.flush(key, g, now);
    for (const t of [...this.active.values()]) {
      let all = true;
      for (const c of t.cameras) {
        if (!c.verified && c.backAt !== null && c.lastOkAt !== null && c.lastOkAt - c.backAt >= this.rules.holdDownMs) c.verified = true;
        if (!c.verified) all = false;
      }
      if (all && t.autoClose) {
        this.resolve(t, 'monitor', now);
        continue;
      }
      if (!t.slaBreached && now >= t.slaDueAt) {
        t.slaBreached = true;
        this.emit(t, 'sla_breached', 'monitor', { slaDueAt: t.slaDueAt }, now);
      }
    }
    for (const [code, t] of this.recentlyResolved) if ((t.resolvedAt ?? 0) < now - this.rules.reopenWindowMs) this.recentlyResolved.delete(code);
  }

  drain(): { tickets: Ticket[]; events: TicketEvent[] } {
    // a snapshot the store and the notifiers can hold while the engine goes on: only the camera
    // entries change in place (evidence, crews and reports are replaced, never mutated), so they
    // are what gets copied — structuredClone of every field cost ~27 µs a ticket (69 ms for a
    // 2,000-site outage, in one event-loop turn)
    const tickets = [...this.changed.values()].map((t) => ({ ...t, cameras: t.cameras.map((c) => ({ ...c })) }));
    const events = this.events;
    this.changed = new Map();
    this.events = [];
    return { tickets, events };
  }

  // ---- queries ------------------------------------------------------------------------

  activeFor(code: string): Ticket | undefined {
    return this.byCamera.get(code);
  }

  isPending(code: string): boolean {
    for (const g of this.pending.values()) if (g.cams.has(code)) return true;
    return false;
  }

  crewsOf(townId: string): string[] {
    return this.crewsByTown.get(townId) ?? [];
  }

  // ---- rules --------------------------------------------------------------------------

  private suppressed(meta: CameraMeta, t: number): boolean {
    return this.windows.some((w) => windowCovers(w, meta, t));
  }

  private siteKey(meta: CameraMeta): string | null {
    if (!meta.siteId) return null;
    return (this.siteCams.get(meta.siteId)?.length ?? 0) >= this.rules.siteMinCameras ? meta.siteId : null;
  }

  private down(code: string, since: number, fault: FaultClass | null, now: number): void {
    const meta = this.cams.get(code);
    if (!meta || this.suppressed(meta, now)) return;
    const t = this.byCamera.get(code);
    if (t) {
      const c = camOf(t, code);
      if (c.backAt === null && !c.verified) return; // already down: one open ticket per camera
      Object.assign(c, { backAt: null, backSince: null, lastOkAt: null, verified: false, fault: fault ?? c.fault });
      this.flapped(t, 'camera_down_again', { camera: code, fault }, now);
      return;
    }
    const old = this.recentlyResolved.get(code);
    if (old && old.resolvedAt !== null && old.resolvedAt >= now - this.rules.reopenWindowMs && !(old.siteId && this.bySite.has(old.siteId))) {
      this.reopen(old, code, since, fault, now);
      return;
    }
    const site = this.siteKey(meta);
    const parent = site ? this.bySite.get(site) : undefined;
    if (parent) {
      parent.cameras.push(ticketCamera(meta, since, fault));
      this.byCamera.set(code, parent);
      this.emit(parent, 'camera_added', 'monitor', { camera: code, fault }, now);
      return;
    }
    const key = site ? `site:${site}` : `cam:${code}`;
    let g = this.pending.get(key);
    if (!g) this.pending.set(key, (g = { siteId: site, firstAt: now, cams: new Map() }));
    g.cams.set(code, { since, fault, backAt: null, backSince: null });
    if (!site) this.flush(key, g, now);
  }

  private back(code: string, since: number, now: number): void {
    const t = this.byCamera.get(code);
    if (t) {
      const c = camOf(t, code);
      if (c.backAt !== null || c.verified) return;
      Object.assign(c, { backAt: now, backSince: since, lastOkAt: null });
      this.emit(t, 'camera_back', 'monitor', { camera: code, since }, now);
      return;
    }
    for (const g of this.pending.values()) {
      const p = g.cams.get(code);
      if (p) Object.assign(p, { backAt: now, backSince: since });
    }
  }

  /** unknown or maintenance: no evidence either way; a recovery in progress must start over */
  private lost(code: string, to: CameraState): void {
    const t = this.byCamera.get(code);
    if (t) {
      const c = camOf(t, code);
      if (c.backAt !== null && !c.verified) Object.assign(c, { backAt: null, lastOkAt: null });
    }
    if (to === 'maintenance') for (const g of this.pending.values()) g.cams.delete(code);
  }

  private flush(key: string, g: PendingGroup, now: number): void {
    this.pending.delete(key);
    const entries = [...g.cams].filter(([code]) => !this.byCamera.has(code) && !this.suppressed(this.cams.get(code)!, now));
    if (entries.length === 0) return;
    if (g.siteId && entries.length >= this.rules.siteMinCameras) this.open('site', 'monitor', entries, now, g.siteId);
    else for (const e of entries) this.open('camera', 'monitor', [e], now, null);
  }

  private open(kind: Ticket['kind'], source: TicketSource, entries: [string, PendingCamera][], now: number, siteId: string | null, report: Ticket['report'] = null): Ticket {
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
      evidence: cameras.flatMap((c) => this.failures.get(c.code) ?? []).slice(0, 24),
      updatedAt: now,
    };
    this.index(t);
    this.emit(t, 'opened', report?.by ?? 'monitor', { kind, cameras: cameras.map((c) => c.code), fault, category: t.category }, now);
    return t;
  }

  private reopen(t: Ticket, code: string, since: number, fault: FaultClass | null, now: number): void {
    const c = camOf(t, code);
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
    this.index(t);
    this.flapped(t, 'reopened', { camera: code, fault }, now);
  }

  private flapped(t: Ticket, type: TicketEventType, data: Record<string, unknown>, now: number): void {
    t.flaps += 1;
    this.emit(t, type, 'monitor', data, now);
    if (!t.unstable && t.flaps >= this.rules.flapThreshold) {
      t.unstable = true;
      this.emit(t, 'unstable', 'monitor', { flaps: t.flaps }, now);
    }
  }

  /** Close a ticket: `by` is 'monitor' (verified closure) or the user who closed it. */
  resolve(t: Ticket, by: string, now: number): void {
    const backs = t.cameras.map((c) => c.backSince).filter((x): x is number => x !== null);
    const start = Math.min(...t.cameras.map((c) => c.offlineSince));
    Object.assign(t, {
      state: 'resolved',
      resolvedAt: now,
      resolvedBy: by,
      repairMs: Math.max(0, (backs.length === t.cameras.length ? Math.max(...backs) : now) - start),
    });
    this.active.delete(t.id);
    for (const c of t.cameras) {
      if (this.byCamera.get(c.code) === t) this.byCamera.delete(c.code);
      this.recentlyResolved.set(c.code, t);
    }
    if (t.siteId && this.bySite.get(t.siteId) === t) this.bySite.delete(t.siteId);
    this.emit(t, 'resolved', by, { cause: t.cause, repairMs: t.repairMs, verified: by === 'monitor' }, now);
  }

  /** A worker saw a fault in the field: a new worker ticket, or a comment on the camera's open one. */
  openReport(code: string, by: string, comment: string, now: number): Ticket {
    const state = this.stateOf(code);
    const fault = state === 'offline' ? (this.failures.get(code)?.at(-1)?.fault ?? null) : null;
    const t = this.open('camera', 'worker', [[code, { since: now, fault, backAt: null, backSince: null }]], now, null, { by, comment });
    t.autoClose = state === 'offline';
    return t;
  }

  emit(t: Ticket, type: TicketEventType, actor: string, data: Record<string, unknown>, now: number): void {
    t.rev += 1;
    t.updatedAt = now;
    this.changed.set(t.id, t);
    this.events.push({ ticketId: t.id, rev: t.rev, type, at: now, actor, data });
  }

  private index(t: Ticket): void {
    this.active.set(t.id, t);
    for (const c of t.cameras) this.byCamera.set(c.code, t);
    if (t.kind === 'site' && t.siteId) this.bySite.set(t.siteId, t);
  }
}

function ticketCamera(meta: CameraMeta, since: number, fault: FaultClass | null): TicketCamera {
  return { code: meta.code, gridId: meta.gridId, fault, offlineSince: since, backSince: null, backAt: null, lastOkAt: null, verified: false };
}

function camOf(t: Ticket, code: string): TicketCamera {
  return t.cameras.find((c) => c.code === code)!;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
