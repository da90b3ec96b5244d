/** Maintenance windows (报备) in the database: create, read those not yet over, cancel. */
import type { MaintenanceWindow } from '../core/maintenance.ts';
import type { Database } from './client.ts';

const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::float8`;

export async function insertWindow(db: Database, w: Omit<MaintenanceWindow, 'id'>): Promise<MaintenanceWindow> {
  const [r] = await db.query<{ id: number }>(
    `insert into maintenance_windows (camera_codes, site_id, grid_id, starts_at, ends_at, note, created_by)
     values ($1::text[], $2, $3, to_timestamp($4::float8 / 1000.0), to_timestamp($5::float8 / 1000.0), $6, $7) returning id`,
    [w.cameras, w.siteId, w.gridId, w.from, w.to, w.note, w.createdBy],
  );
  return { ...w, id: Number(r!.id) };
}

/** Windows not yet over at `now`. */
export async function currentWindows(db: Database, now: number): Promise<MaintenanceWindow[]> {
  const rows = await db.query<MaintenanceWindow>(
    `select id, camera_codes as cameras, site_id as "siteId", grid_id as "gridId", ${ms('starts_at')} as "from", ${ms('ends_at')} as "to", note, created_by as "createdBy"
       from maintenance_windows where ends_at > to_timestamp($1 / 1000.0) order by starts_at, id`,
    [now],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), from: Math.round(Number(r.from)), to: Math.round(Number(r.to)) }));
}

export async function deleteWindow(db: Database, id: number): Promise<boolean> {
  const rows = await db.query(`delete from maintenance_windows where id = $1 returning id`, [id]);
  return rows.length > 0;
}
