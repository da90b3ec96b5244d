/**
 * Closed days in storage (docs/accounting.md "Days and months"): per camera (`camera_days`) and
 * per grid (`grid_days`) rows of a local day, written in one transaction with its `closed_days`
 * row; the retired cameras (`retired_cameras`). Bulk rows through unnest, ≤ 5,000 per statement.
 */
import type { CameraDayFigures, GridDayFigures } from '../core/day-account.ts';
import type { CameraSpec } from '../core/monitor.ts';
import type { Database, Querier } from './client.ts';

export type CameraDayRow = CameraDayFigures;
export type GridDayRow = GridDayFigures;

export interface ClosedDayInfo {
  day: string;
  dayStart: number;
  closedAt: number;
  cameras: number;
}

const CHUNK = 5000;
const ms = (v: unknown): number => Math.round(Number(v));

/** Write one closed day; a day already closed is left as it was (returns false). */
export async function writeClosedDay(db: Database, info: ClosedDayInfo, cameras: CameraDayRow[], grids: GridDayRow[]): Promise<boolean> {
  return db.transaction(async (q) => {
    const claimed = await q.query(
      `insert into closed_days (day, day_start, closed_at, cameras) values ($1, to_timestamp($2 / 1000.0), to_timestamp($3 / 1000.0), $4)
       on conflict (day) do nothing returning day`,
      [info.day, info.dayStart, info.closedAt, info.cameras],
    );
    if (claimed.length === 0) return false;
    for (let off = 0; off < cameras.length; off += CHUNK) await insertCameraDays(q, info.day, cameras.slice(off, off + CHUNK));
    for (let off = 0; off < grids.length; off += CHUNK) {
      const c = grids.slice(off, off + CHUNK);
      await q.query(
        `insert into grid_days (day, grid_id, online_ms, offline_ms, unknown_ms, maintenance_ms, cameras)
         select $1, g, o, f, u, m, n from unnest($2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int4[]) as x(g, o, f, u, m, n)`,
        [info.day, c.map((r) => r.gridId), c.map((r) => r.onlineMs), c.map((r) => r.offlineMs), c.map((r) => r.unknownMs), c.map((r) => r.maintenanceMs), c.map((r) => r.cameras)],
      );
    }
    return true;
  });
}

async function insertCameraDays(q: Querier, day: string, c: CameraDayRow[]): Promise<void> {
  await q.query(
    `insert into camera_days (day, camera_code, grid_id, online_ms, offline_ms, unknown_ms, maintenance_ms, outages, longest_outage_ms, fault_ms)
     select $1, c, g, o, f, u, m, n, l, fm::jsonb
       from unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int4[], $9::int8[], $10::text[]) as x(c, g, o, f, u, m, n, l, fm)`,
    [
      day,
      c.map((r) => r.camera),
      c.map((r) => r.gridId),
      c.map((r) => r.onlineMs),
      c.map((r) => r.offlineMs),
      c.map((r) => r.unknownMs),
      c.map((r) => r.maintenanceMs),
      c.map((r) => r.outages),
      c.map((r) => r.longestOutageMs),
      c.map((r) => JSON.stringify(r.faultMs)),
    ],
  );
}

/** The closed days, oldest first (optionally only those from `fromDay`, 'YYYY-MM-DD'). */
export async function closedDays(db: Querier, fromDay = '0000-00-00'): Promise<ClosedDayInfo[]> {
  const rows = await db.query<{ day: string; dayStart: number; closedAt: number; cameras: number }>(
    `select day, (extract(epoch from day_start) * 1000)::float8 as "dayStart", (extract(epoch from closed_at) * 1000)::float8 as "closedAt", cameras
       from closed_days where day >= $1 order by day`,
    [fromDay],
  );
  return rows.map((r) => ({ day: r.day, dayStart: ms(r.dayStart), closedAt: ms(r.closedAt), cameras: Number(r.cameras) }));
}

/** The newest closed day, or null when none is. */
export async function lastClosedDay(db: Querier): Promise<ClosedDayInfo | null> {
  const [r] = await db.query<{ day: string; dayStart: number; closedAt: number; cameras: number }>(
    `select day, (extract(epoch from day_start) * 1000)::float8 as "dayStart", (extract(epoch from closed_at) * 1000)::float8 as "closedAt", cameras
       from closed_days order by day desc limit 1`,
  );
  return r ? { day: r.day, dayStart: ms(r.dayStart), closedAt: ms(r.closedAt), cameras: Number(r.cameras) } : null;
}

/** When the first transition was decided (where a hub that never closed a day starts its open period). */
export async function firstTransitionAt(db: Querier): Promise<number | null> {
  const [r] = await db.query<{ at: number | null }>(`select (extract(epoch from min(at)) * 1000)::float8 as at from camera_transitions`);
  return r?.at == null ? null : ms(r.at);
}

/** Grid rows of the closed days in ['fromDay', 'toDay'] (inclusive), per day. */
export async function gridDays(db: Querier, fromDay: string, toDay: string): Promise<(GridDayRow & { day: string })[]> {
  const rows = await db.query<{ day: string; gridId: string; on: string; off: string; unk: string; mnt: string; cameras: number }>(
    `select day, grid_id as "gridId", online_ms as on, offline_ms as off, unknown_ms as unk, maintenance_ms as mnt, cameras
       from grid_days where day between $1 and $2 order by day, grid_id`,
    [fromDay, toDay],
  );
  return rows.map((r) => ({ day: r.day, gridId: r.gridId, onlineMs: ms(r.on), offlineMs: ms(r.off), unknownMs: ms(r.unk), maintenanceMs: ms(r.mnt), cameras: Number(r.cameras) }));
}

/** One camera's closed days in ['fromDay', 'toDay'], oldest first. */
export async function cameraDays(db: Querier, camera: string, fromDay: string, toDay: string): Promise<(CameraDayRow & { day: string })[]> {
  const rows = await db.query<{
    day: string;
    camera: string;
    gridId: string;
    on: string;
    off: string;
    unk: string;
    mnt: string;
    outages: number;
    longest: string;
    faultMs: Record<string, number>;
  }>(
    `select day, camera_code as camera, grid_id as "gridId", online_ms as on, offline_ms as off, unknown_ms as unk, maintenance_ms as mnt,
            outages, longest_outage_ms as longest, fault_ms as "faultMs"
       from camera_days where camera_code = $1 and day between $2 and $3 order by day`,
    [camera, fromDay, toDay],
  );
  return rows.map((r) => ({
    day: r.day,
    camera: r.camera,
    gridId: r.gridId,
    onlineMs: ms(r.on),
    offlineMs: ms(r.off),
    unknownMs: ms(r.unk),
    maintenanceMs: ms(r.mnt),
    outages: Number(r.outages),
    longestOutageMs: ms(r.longest),
    faultMs: typeof r.faultMs === 'string' ? JSON.parse(r.faultMs) : r.faultMs,
  }));
}

/** Cameras taken out of the registry (their grids keep their history). */
export async function retiredCameras(db: Querier): Promise<CameraSpec[]> {
  return db.query<CameraSpec>(`select code, grid_id as "gridId", site_id as "siteId", agent_id as "agentId" from retired_cameras order by code`);
}

/** Per camera, its offline milliseconds (and by fault class) summed over the closed days in ['fromDay', 'toDay']. */
export async function cameraOfflineSums(db: Querier, fromDay: string, toDay: string): Promise<{ camera: string; gridId: string; offlineMs: number; days: number }[]> {
  const rows = await db.query<{ camera: string; gridId: string; off: string; days: string }>(
    `select camera_code as camera, grid_id as "gridId", sum(offline_ms) as off, count(*) as days
       from camera_days where day between $1 and $2 group by camera_code, grid_id order by camera_code`,
    [fromDay, toDay],
  );
  return rows.map((r) => ({ camera: r.camera, gridId: r.gridId, offlineMs: ms(r.off), days: Number(r.days) }));
}
