/**
 * Figures for a period (a day, a month, a range of days): closed days from storage (their grid
 * rows), days not closed yet from the live timelines, summed per grid and rolled up as Σ ms —
 * grid → community/village → town → county and by grid kind. The time-weighted method
 * (docs/accounting.md): online rate = Σ online ms / Σ (online + offline) ms. A period is
 * `closed` when every one of its days is. Scoped like every figure.
 */
import { addSpan, emptySpan, STATE_SLOT, type SpanFigures } from '../core/camera-timeline.ts';
import type { Grid } from '../core/model.ts';
import type { Monitor } from '../core/monitor.ts';
import { type Period, parsePeriod } from '../core/period.ts';
import { timeWeightedRatio } from '../core/rates.ts';
import { localDay, nextDayStart, parseLocalDay } from '../core/time-windows.ts';
import type { Querier } from '../db/client.ts';
import { cameraDays, cameraOfflineSums, closedDays, gridDays } from '../db/day-store.ts';
import type { Scope } from './scope.ts';

export interface PeriodFigures {
  onlineMs: number;
  offlineMs: number;
  unknownMs: number;
  maintenanceMs: number;
  /** Σ online / Σ (online + offline); null when nothing was monitored */
  onlineRate: number | null;
  /** the share of the cameras' time in the registry that was monitored (neither unknown nor maintenance) */
  monitoredShare: number | null;
}

export interface PeriodReply {
  period: { id: string; kind: Period['kind']; from: number; to: number; closed: boolean; closedDays: number; days: number; method: 'time-weighted' };
  county: PeriodFigures & { name: string };
  byKind: Record<string, PeriodFigures>;
  towns: (PeriodFigures & { id: string; name: string })[];
  communities: (PeriodFigures & { id: string; townId: string; name: string })[];
  at: number;
}

export class PeriodError extends Error {}

/** Fault hours over a period (the contract rule: a channel offline longer than the threshold in a month costs a point). */
export interface FaultHoursReply {
  period: { id: string; from: number; to: number };
  thresholdMs: number;
  /** every camera with offline time in the period, most first */
  cameras: { camera: string; gridId: string; townId: string; offlineMs: number; over: boolean }[];
  /** per town and per grid: how many channels are over the threshold, and which */
  towns: { id: string; over: number; cameras: string[] }[];
  grids: { id: string; townId: string; over: number; cameras: string[] }[];
}

export interface CameraDaysReply {
  camera: string;
  gridId: string;
  period: { id: string; from: number; to: number };
  /** per day of the period the camera spent time in the registry: closed from storage, else live from its timeline */
  days: (SpanFigures & { day: string; closed: boolean; onlineRate: number | null })[];
  total: SpanFigures & { onlineRate: number | null };
}

class MsSum {
  on = 0;
  off = 0;
  unk = 0;
  mnt = 0;

  add(v: Float64Array, o: number): void {
    this.on += v[o + STATE_SLOT.online]!;
    this.off += v[o + STATE_SLOT.offline]!;
    this.unk += v[o + STATE_SLOT.unknown]!;
    this.mnt += v[o + STATE_SLOT.maintenance]!;
  }

  figures(): PeriodFigures {
    const all = this.on + this.off + this.unk + this.mnt;
    return {
      onlineMs: this.on,
      offlineMs: this.off,
      unknownMs: this.unk,
      maintenanceMs: this.mnt,
      onlineRate: timeWeightedRatio(this.on, this.on + this.off),
      monitoredShare: all > 0 ? (this.on + this.off) / all : null,
    };
  }
}

export class PeriodView {
  constructor(
    private readonly deps: {
      db: Querier;
      monitor: Monitor;
      now: () => number;
      countyName: string;
      towns: ReadonlyMap<string, { name: string }>;
      communities: ReadonlyMap<string, { name: string; townId: string }>;
    },
  ) {}

  /** Per grid (Monitor.gridOrder), 4 slots of ms, over the period's days up to now; and how many of them are closed. */
  async perGrid(period: Period): Promise<{ grids: Float64Array; closed: number }> {
    const { db, monitor } = this.deps;
    const tz = monitor.config.tzOffsetMinutes;
    const first = period.days[0]!;
    const last = period.days[period.days.length - 1]!;
    const closed = new Set((await closedDays(db, first)).filter((d) => d.day <= last).map((d) => d.day));
    const index = new Map(monitor.gridOrder.map((g, i) => [g, i]));
    const grids = new Float64Array(monitor.gridOrder.length * 4);
    if (closed.size > 0) {
      for (const r of await gridDays(db, first, last)) {
        const i = index.get(r.gridId);
        if (i === undefined) continue; // a grid no longer configured
        const o = i * 4;
        grids[o + STATE_SLOT.online]! += r.onlineMs;
        grids[o + STATE_SLOT.offline]! += r.offlineMs;
        grids[o + STATE_SLOT.unknown]! += r.unknownMs;
        grids[o + STATE_SLOT.maintenance]! += r.maintenanceMs;
      }
    }
    const open = monitor.windows.openDays(this.deps.now());
    for (const [dayStart, g] of open) {
      if (dayStart < period.from || dayStart >= period.to) continue;
      if (closed.has(localDay(dayStart, tz))) continue;
      for (let k = 0; k < grids.length; k++) grids[k]! += g[k]!;
    }
    return { grids, closed: closed.size };
  }

  async figures(scope: Scope, text: string): Promise<PeriodReply> {
    const { monitor } = this.deps;
    const period = parsePeriod(text, monitor.config.tzOffsetMinutes);
    if (typeof period === 'string') throw new PeriodError(period);
    const { grids, closed } = await this.perGrid(period);
    const county = new MsSum();
    const kinds = new Map<string, MsSum>();
    const towns = new Map<string, MsSum>();
    const communities = new Map<string, MsSum>();
    const at = (m: Map<string, MsSum>, k: string) => m.get(k) ?? m.set(k, new MsSum()).get(k)!;
    for (let i = 0; i < monitor.gridOrder.length; i++) {
      const g: Grid = monitor.grids.get(monitor.gridOrder[i]!)!.grid;
      if (!scope.allowsGrid(g)) continue;
      county.add(grids, i * 4);
      at(kinds, g.kind).add(grids, i * 4);
      at(towns, g.townId).add(grids, i * 4);
      at(communities, g.communityId).add(grids, i * 4);
    }
    return {
      period: {
        id: period.id,
        kind: period.kind,
        from: period.from,
        to: period.to,
        closed: closed === period.days.length,
        closedDays: closed,
        days: period.days.length,
        method: 'time-weighted',
      },
      county: { name: this.deps.countyName, ...county.figures() },
      byKind: Object.fromEntries([...kinds].map(([k, s]) => [k, s.figures()])),
      towns: [...towns].map(([id, s]) => ({ id, name: this.deps.towns.get(id)?.name ?? id, ...s.figures() })).sort((a, b) => a.id.localeCompare(b.id)),
      communities: [...communities]
        .map(([id, s]) => ({ id, townId: this.deps.communities.get(id)?.townId ?? '', name: this.deps.communities.get(id)?.name ?? id, ...s.figures() }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      at: this.deps.now(),
    };
  }

  /** The period `text` names (a PeriodError if none), its first and last day, and which of its days are closed. */
  private async open(text: string): Promise<{ period: Period; first: string; last: string; closed: Set<string> }> {
    const period = parsePeriod(text, this.deps.monitor.config.tzOffsetMinutes);
    if (typeof period === 'string') throw new PeriodError(period);
    const first = period.days[0]!;
    const last = period.days[period.days.length - 1]!;
    const closed = new Set((await closedDays(this.deps.db, first)).filter((d) => d.day <= last).map((d) => d.day));
    return { period, first, last, closed };
  }

  /** One camera's days over a period (a retired camera's too); null when it is unknown or out of scope. */
  async cameraDays(scope: Scope, code: string, text: string): Promise<CameraDaysReply | null> {
    const { db, monitor } = this.deps;
    const tz = monitor.config.tzOffsetMinutes;
    const { period, first, last, closed } = await this.open(text);
    const rows = await cameraDays(db, code, first, last);
    const entry = monitor.cameras.get(code) ?? monitor.retired.get(code);
    const gridId = entry?.gridId ?? rows[0]?.gridId;
    const grid = gridId === undefined ? undefined : monitor.grids.get(gridId)?.grid;
    if (!grid || !scope.allowsGrid(grid)) return null;
    const days: CameraDaysReply['days'] = [];
    const stored = new Map(rows.map((r) => [r.day, r]));
    const now = this.deps.now();
    const total = emptySpan();
    for (const day of period.days) {
      const d = parseLocalDay(day, tz)!;
      if (d >= now) break;
      const r = stored.get(day);
      let f: SpanFigures | null = r ?? null;
      if (!r && !closed.has(day) && entry && d >= monitor.windows.openFrom) f = entry.timeline.accountSpan(d, Math.min(nextDayStart(d, tz), now));
      if (!f || f.onlineMs + f.offlineMs + f.unknownMs + f.maintenanceMs === 0) continue;
      const { onlineMs, offlineMs, unknownMs, maintenanceMs, outages, longestOutageMs, faultMs } = f;
      days.push({
        day,
        closed: closed.has(day),
        onlineMs,
        offlineMs,
        unknownMs,
        maintenanceMs,
        outages,
        longestOutageMs,
        faultMs,
        onlineRate: timeWeightedRatio(onlineMs, onlineMs + offlineMs),
      });
      addSpan(total, f);
    }
    return {
      camera: code,
      gridId: grid.id,
      period: { id: period.id, from: period.from, to: period.to },
      days,
      total: { ...total, onlineRate: timeWeightedRatio(total.onlineMs, total.onlineMs + total.offlineMs) },
    };
  }

  /** Offline time per camera over a period (closed days as stored, open days live) and the channels over `thresholdMs`. */
  async faultHours(scope: Scope, text: string, thresholdMs: number): Promise<FaultHoursReply> {
    const { db, monitor } = this.deps;
    const tz = monitor.config.tzOffsetMinutes;
    const { period, first, last, closed } = await this.open(text);
    const offline = new Map<string, { gridId: string; ms: number }>();
    for (const r of await cameraOfflineSums(db, first, last)) offline.set(r.camera, { gridId: r.gridId, ms: r.offlineMs });
    const now = this.deps.now();
    const openDays = period.days
      .filter((d) => !closed.has(d))
      .map((d) => parseLocalDay(d, tz)!)
      .filter((d) => d >= monitor.windows.openFrom && d < now);
    if (openDays.length > 0) {
      for (const c of [...monitor.cameras.values(), ...monitor.retired.values()]) {
        let ms = 0;
        for (const d of openDays) ms += c.timeline.accountSpan(d, Math.min(nextDayStart(d, tz), now)).offlineMs;
        if (ms === 0) continue;
        const o = offline.get(c.code) ?? { gridId: c.gridId, ms: 0 };
        o.ms += ms;
        offline.set(c.code, o);
      }
    }
    const cameras: FaultHoursReply['cameras'] = [];
    const towns = new Map<string, string[]>();
    const grids = new Map<string, { townId: string; list: string[] }>();
    for (const [camera, o] of offline) {
      const grid = monitor.grids.get(o.gridId)?.grid;
      if (!grid || !scope.allowsGrid(grid) || o.ms <= 0) continue;
      const over = o.ms > thresholdMs;
      cameras.push({ camera, gridId: grid.id, townId: grid.townId, offlineMs: o.ms, over });
      if (!over) continue;
      towns.set(grid.townId, [...(towns.get(grid.townId) ?? []), camera]);
      const g = grids.get(grid.id) ?? { townId: grid.townId, list: [] };
      g.list.push(camera);
      grids.set(grid.id, g);
    }
    cameras.sort((a, b) => b.offlineMs - a.offlineMs || a.camera.localeCompare(b.camera));
    return {
      period: { id: period.id, from: period.from, to: period.to },
      thresholdMs,
      cameras,
      towns: [...towns].map(([id, list]) => ({ id, over: list.length, cameras: list.sort() })).sort((a, b) => a.id.localeCompare(b.id)),
      grids: [...grids].map(([id, g]) => ({ id, townId: g.townId, over: g.list.length, cameras: g.list.sort() })).sort((a, b) => a.id.localeCompare(b.id)),
    };
  }
}
