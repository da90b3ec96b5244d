/**
 * Read side for the API: rates per grid and rolled up, camera details, all
 * computed from the in-memory core and filtered by the caller's scope.
 */
import type { Community, Grid, Town } from '../core/model.ts';
import type { CameraEntry, Monitor } from '../core/monitor.ts';
import { RateSum, rollUp, type RateFigures } from '../core/rates.ts';
import type { CameraInfo, CountyStructure } from '../db/county-store.ts';
import type { Scope } from './scope.ts';

export const GRID_SORTS = ['id', 'name', 'rate', '-rate', 'today', '-today', 'offline', '-offline'] as const;

/** A grid list request (the HTTP schema in http/schemas.ts validates it). */
export interface GridListQuery {
  town?: string;
  community?: string;
  kind?: Grid['kind'];
  /** name contains */
  q?: string;
  sort?: (typeof GRID_SORTS)[number];
  limit?: number;
  offset?: number;
}

/** A community list request (the HTTP schema in http/schemas.ts validates it). */
export interface CommunityListQuery {
  town?: string;
}

export class CountyView {
  readonly towns = new Map<string, Town>();
  readonly communities = new Map<string, Community>();
  readonly cameraInfo = new Map<string, CameraInfo>();
  private readonly gridsByTown = new Map<string, Grid[]>();
  private readonly gridsByCommunity = new Map<string, Grid[]>();
  private readonly camerasByGrid = new Map<string, string[]>();

  constructor(
    structure: CountyStructure,
    private readonly monitor: Monitor,
    readonly countyName: string,
    private readonly now: () => number,
  ) {
    for (const t of structure.towns) this.towns.set(t.id, t);
    for (const c of structure.communities) this.communities.set(c.id, c);
    for (const g of structure.grids) {
      const list = this.gridsByTown.get(g.townId) ?? [];
      list.push(g);
      this.gridsByTown.set(g.townId, list);
      const inCommunity = this.gridsByCommunity.get(g.communityId) ?? [];
      inCommunity.push(g);
      this.gridsByCommunity.set(g.communityId, inCommunity);
    }
    for (const c of structure.cameras) {
      this.cameraInfo.set(c.code, c);
      const list = this.camerasByGrid.get(c.gridId) ?? [];
      list.push(c.code);
      this.camerasByGrid.set(c.gridId, list);
    }
  }

  private visibleGrids(scope: Scope) {
    return [...this.monitor.grids.values()].filter((g) => scope.allowsGrid(g.grid));
  }

  summary(scope: Scope) {
    const now = this.now();
    const grids = this.visibleGrids(scope);
    const county = rollUp(grids, () => 'all', now).get('all') ?? new RateSum().figures();
    const byKind = Object.fromEntries(rollUp(grids, (g) => g.kind, now));
    return {
      county: { name: this.countyName, ...county },
      byKind,
      towns: this.townFigures(scope, grids, now),
      communities: this.communityFigures(scope, grids, now),
      at: now,
    };
  }

  /** towns sorted by online rate; `order` best first (红榜) or worst first (黑榜) */
  townRanking(scope: Scope, order: 'best' | 'worst', window: 'now' | 'today' | 'month') {
    const now = this.now();
    const rate = (f: RateFigures) => (window === 'now' ? f.onlineRate : f[window].onlineRate);
    const towns = this.townFigures(scope, this.visibleGrids(scope), now);
    const ranked = towns.filter((t) => rate(t) !== null).sort((a, b) => (order === 'best' ? rate(b)! - rate(a)! : rate(a)! - rate(b)!) || a.id.localeCompare(b.id));
    const unranked = towns.filter((t) => rate(t) === null);
    return { order, window, ranked: ranked.map((t, i) => ({ rank: i + 1, ...t })), unranked, at: now };
  }

  private townFigures(scope: Scope, grids: ReturnType<CountyView['visibleGrids']>, now: number) {
    const byTown = rollUp(grids, (g) => g.townId, now);
    return [...this.towns.values()]
      .filter((t) => byTown.has(t.id) || scope.allowsTown(t.id, () => this.gridsByTown.get(t.id) ?? []))
      .map((t) => ({ id: t.id, name: t.name, kind: t.kind, ...(byTown.get(t.id) ?? new RateSum().figures()) }));
  }

  /**
   * communities/villages (社区/村) a caller may see, sorted by id: the same rule as towns (any
   * visible grid in it, or its town in a crew's towns); figures are Σ over the visible grids
   */
  private communityFigures(scope: Scope, grids: ReturnType<CountyView['visibleGrids']>, now: number) {
    const byCommunity = rollUp(grids, (g) => g.communityId, now);
    return [...this.communities.values()]
      .filter((c) => byCommunity.has(c.id) || scope.allowsTown(c.townId, () => this.gridsByCommunity.get(c.id) ?? []))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => ({ id: c.id, name: c.name, kind: c.kind, townId: c.townId, ...(byCommunity.get(c.id) ?? new RateSum().figures()) }));
  }

  communityList(scope: Scope, q: CommunityListQuery) {
    const now = this.now();
    const items = this.communityFigures(scope, this.visibleGrids(scope), now).filter((c) => !q.town || c.townId === q.town);
    return { items, at: now };
  }

  /** one community with its visible grids; null when unknown or out of scope */
  community(scope: Scope, id: string) {
    if (!this.communities.has(id)) return null;
    const now = this.now();
    const grids = this.visibleGrids(scope).filter((g) => g.grid.communityId === id);
    const figures = this.communityFigures(scope, grids, now).find((c) => c.id === id);
    if (!figures) return null;
    return { ...figures, grids: this.grids(scope, { community: id, limit: Number.MAX_SAFE_INTEGER }).items };
  }

  grids(scope: Scope, q: GridListQuery) {
    const now = this.now();
    const rows = this.visibleGrids(scope)
      .filter(
        ({ grid }) =>
          (!q.town || grid.townId === q.town) && (!q.community || grid.communityId === q.community) && (!q.kind || grid.kind === q.kind) && (!q.q || grid.name.includes(q.q)),
      )
      .map(({ grid, tally }) => {
        tally.accrue(now);
        return { ...grid, ...new RateSum().add(tally).figures() };
      });
    const sort = q.sort ?? 'id';
    const desc = sort.startsWith('-');
    const key = sort.replace('-', '');
    const val = (r: (typeof rows)[number]): number | string => {
      if (key === 'rate') return r.onlineRate ?? -1;
      if (key === 'today') return r.today.onlineRate ?? -1;
      if (key === 'offline') return r.counts.offline;
      return key === 'name' ? r.name : r.id;
    };
    rows.sort((a, b) => {
      const va = val(a);
      const vb = val(b);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return (desc ? -c : c) || a.id.localeCompare(b.id);
    });
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    return { total: rows.length, offset, limit, items: rows.slice(offset, offset + limit), at: now };
  }

  grid(scope: Scope, id: string) {
    const g = this.monitor.grids.get(id);
    if (!g || !scope.allowsGrid(g.grid)) return null;
    g.tally.accrue(this.now());
    return {
      ...g.grid,
      ...new RateSum().add(g.tally).figures(),
      cameras: (this.camerasByGrid.get(id) ?? []).map((code) => this.camera(scope, code)!).filter(Boolean),
    };
  }

  camera(scope: Scope, code: string) {
    const info = this.cameraInfo.get(code);
    const entry = this.monitor.cameras.get(code);
    if (!info || !entry) return null;
    const grid = this.monitor.grids.get(info.gridId);
    if (!grid || !scope.allowsGrid(grid.grid)) return null;
    return cameraView(info, entry);
  }
}

function cameraView(info: CameraInfo, e: CameraEntry) {
  return {
    code: info.code,
    name: info.name,
    gridId: info.gridId,
    siteId: info.siteId,
    latitude: info.latitude,
    longitude: info.longitude,
    vendor: info.vendor,
    agentId: info.agentId,
    state: e.state,
    stateSince: Math.round(e.stateSince),
    fault: e.state === 'offline' ? e.fault : null,
    lastSuccessAt: e.lastSuccessAt === null ? null : Math.round(e.lastSuccessAt),
    clockOffsetMs: e.clockOffsetMs,
  };
}
