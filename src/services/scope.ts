/**
 * What a user may see: admin everything; viewer everything or its towns;
 * crew its towns; worker its grids. Every route filters through one Scope.
 */
import type { Grid } from '../core/model.ts';
import type { Role } from '../county/load-config.ts';

export interface Principal {
  username: string;
  displayName: string;
  role: Role;
  towns: string[];
  grids: string[];
}

export class Scope {
  private readonly towns: Set<string> | null;
  private readonly grids: Set<string> | null;

  constructor(readonly user: Principal) {
    const all = user.role === 'admin' || (user.role === 'viewer' && user.towns.length === 0);
    this.towns = all || user.role === 'worker' ? null : new Set(user.towns);
    this.grids = user.role === 'worker' ? new Set(user.grids) : null;
    if (all) this.grids = null;
  }

  get isCounty(): boolean {
    return this.towns === null && this.grids === null;
  }

  allowsGrid(g: Pick<Grid, 'id' | 'townId'>): boolean {
    if (this.grids) return this.grids.has(g.id);
    if (this.towns) return this.towns.has(g.townId);
    return true;
  }

  /** a town is visible when the user may see any grid in it */
  allowsTown(townId: string, gridsOfTown: () => Iterable<Grid>): boolean {
    if (this.towns) return this.towns.has(townId);
    if (this.grids) {
      for (const g of gridsOfTown()) if (this.grids.has(g.id)) return true;
      return false;
    }
    return true;
  }
}
