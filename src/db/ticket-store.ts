/**
 * Tickets in the database: the changed tickets, their timeline events and the
 * notification outbox are written in ONE transaction (so a notification exists
 * iff its ticket change does). Reads for the API filter in SQL.
 */
import type { Ticket, TicketEvent } from '../core/tickets/model.ts';
import type { Database } from './client.ts';

export interface OutboxRow {
  eventKey: string;
  target: string;
  payload: unknown;
  createdAt: number;
}

export interface PendingDelivery {
  id: number;
  eventKey: string;
  target: string;
  payload: unknown;
  attempts: number;
}

/** What the caller may see: null = everything; else towns or grids. */
export interface ScopeFilter {
  towns: string[] | null;
  grids: string[] | null;
}

export interface TicketQuery {
  state?: 'open' | 'acknowledged' | 'resolved' | 'active';
  town?: string;
  grid?: string;
  fault?: string;
  category?: string;
  breached?: boolean;
  /** opened at least this long ago */
  minAgeMs?: number;
  camera?: string;
  limit: number;
  offset: number;
}

const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::float8`;

export async function saveTicketChanges(db: Database, tickets: Ticket[], events: TicketEvent[], outbox: OutboxRow[]): Promise<void> {
  await db.transaction(async (q) => {
    if (tickets.length) {
      await q.query(
        `insert into tickets (id, rev, kind, source, state, town_id, grid_id, site_id, fault, category, camera_codes, sla_breached, unstable, crew, opened_at, resolved_at, repair_ms, cause, data)
         select (d->>'id')::int, (d->>'rev')::int, d->>'kind', d->>'source', d->>'state', d->>'townId', d->>'gridId', d->>'siteId', d->>'fault', d->>'category',
                array(select c->>'code' from jsonb_array_elements(d->'cameras') c), (d->>'slaBreached')::boolean, (d->>'unstable')::boolean,
                coalesce(d->>'assignee', d->>'fixReportedBy', d->>'acknowledgedBy'),
                to_timestamp((d->>'openedAt')::float8 / 1000.0), to_timestamp((d->>'resolvedAt')::float8 / 1000.0), (d->>'repairMs')::float8::bigint, d->>'cause', d
           from jsonb_array_elements($1::jsonb) d
         on conflict (id) do update set rev = excluded.rev, state = excluded.state, fault = excluded.fault, category = excluded.category,
                camera_codes = excluded.camera_codes, sla_breached = excluded.sla_breached, unstable = excluded.unstable, crew = excluded.crew,
                resolved_at = excluded.resolved_at, repair_ms = excluded.repair_ms, cause = excluded.cause, data = excluded.data
          where tickets.rev < excluded.rev`,
        [JSON.stringify(tickets)],
      );
    }
    if (events.length) {
      await q.query(
        `insert into ticket_events (ticket_id, rev, type, at, actor, data)
         select (e->>'ticketId')::int, (e->>'rev')::int, e->>'type', to_timestamp((e->>'at')::float8 / 1000.0), e->>'actor', e->'data'
           from jsonb_array_elements($1::jsonb) e
         on conflict (ticket_id, rev) do nothing`,
        [JSON.stringify(events)],
      );
    }
    if (outbox.length) {
      await q.query(
        `insert into notify_outbox (event_key, target, payload, created_at)
         select o->>'eventKey', o->>'target', o->'payload', to_timestamp((o->>'createdAt')::float8 / 1000.0)
           from jsonb_array_elements($1::jsonb) o
         on conflict (event_key, target) do nothing`,
        [JSON.stringify(outbox)],
      );
    }
  });
}

/** Active tickets and those resolved since `resolvedSince` (reopen window), for a restart. */
export async function loadTicketsForRestore(db: Database, resolvedSince: number): Promise<Ticket[]> {
  const rows = await db.query<{ data: Ticket }>(`select data from tickets where state <> 'resolved' or resolved_at >= to_timestamp($1 / 1000.0) order by id`, [resolvedSince]);
  return rows.map((r) => parseJson<Ticket>(r.data));
}

export async function maxTicketId(db: Database): Promise<number> {
  const [r] = await db.query<{ m: number | null }>(`select max(id) as m from tickets`);
  return Number(r?.m ?? 0);
}

/**
 * A ticket is in scope when ANY of its cameras is (a site ticket may span grids and towns):
 * its own grid/town columns name the first camera's, so the cameras in `data` are checked too.
 */
function scopeSql(s: ScopeFilter, params: unknown[]): string {
  const cams = `jsonb_array_elements(tickets.data->'cameras') tc`;
  if (s.towns) {
    params.push(s.towns);
    const p = `$${params.length}::text[]`;
    return ` and (town_id = any(${p}) or exists (select 1 from ${cams} join grids sg on sg.id = tc->>'gridId' where sg.town_id = any(${p})))`;
  }
  if (s.grids) {
    params.push(s.grids);
    const p = `$${params.length}::text[]`;
    return ` and (grid_id = any(${p}) or exists (select 1 from ${cams} where tc->>'gridId' = any(${p})))`;
  }
  return '';
}

export async function listTickets(db: Database, scope: ScopeFilter, q: TicketQuery, now: number): Promise<{ total: number; items: Ticket[] }> {
  const params: unknown[] = [];
  let where = 'true' + scopeSql(scope, params);
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where += ` and ${sql.replaceAll('?', `$${params.length}`)}`;
  };
  if (q.state === 'active') where += ` and state <> 'resolved'`;
  else if (q.state) add('state = ?', q.state);
  // a site ticket spanning grids is found from each of its cameras' grids and towns
  if (q.town) add(`(town_id = ? or exists (select 1 from jsonb_array_elements(tickets.data->'cameras') tc join grids sg on sg.id = tc->>'gridId' where sg.town_id = ?))`, q.town);
  if (q.grid) add(`(grid_id = ? or exists (select 1 from jsonb_array_elements(tickets.data->'cameras') tc where tc->>'gridId' = ?))`, q.grid);
  if (q.fault) add('fault = ?', q.fault);
  if (q.category) add('category = ?', q.category);
  if (q.breached !== undefined) add('sla_breached = ?', q.breached);
  if (q.minAgeMs !== undefined) add('opened_at <= to_timestamp(?::float8 / 1000.0)', now - q.minAgeMs);
  if (q.camera) add('? = any(camera_codes)', q.camera);
  const [c] = await db.query<{ n: number }>(`select count(*)::int as n from tickets where ${where}`, params);
  const rows = await db.query<{ data: Ticket }>(`select data from tickets where ${where} order by opened_at desc, id desc limit ${q.limit} offset ${q.offset}`, params);
  return { total: c?.n ?? 0, items: rows.map((r) => parseJson<Ticket>(r.data)) };
}

export async function getTicket(db: Database, id: number): Promise<Ticket | null> {
  const [r] = await db.query<{ data: Ticket }>(`select data from tickets where id = $1`, [id]);
  return r ? parseJson<Ticket>(r.data) : null;
}

export async function ticketTimeline(db: Database, id: number): Promise<TicketEvent[]> {
  const rows = await db.query<TicketEvent>(`select ticket_id as "ticketId", rev, type, ${ms('at')} as at, actor, data from ticket_events where ticket_id = $1 order by rev`, [id]);
  return rows.map((r) => ({ ...r, at: Math.round(Number(r.at)), data: parseJson<Record<string, unknown>>(r.data) }));
}

export interface TicketStats {
  repairByTown: { townId: string; resolved: number; avgRepairMs: number | null; p50RepairMs: number | null; p90RepairMs: number | null }[];
  repairByCrew: { crew: string | null; resolved: number; avgRepairMs: number | null }[];
  byClass: { fault: string | null; category: string; active: number; resolved: number }[];
  openByAge: { bucket: string; count: number }[];
}

export async function ticketStats(db: Database, scope: ScopeFilter, from: number, now: number): Promise<TicketStats> {
  const p1: unknown[] = [from];
  const s1 = scopeSql(scope, p1);
  const repairByTown = await db.query<TicketStats['repairByTown'][number]>(
    `select town_id as "townId", count(*)::int as resolved, avg(repair_ms)::float8 as "avgRepairMs",
            percentile_cont(0.5) within group (order by repair_ms)::float8 as "p50RepairMs", percentile_cont(0.9) within group (order by repair_ms)::float8 as "p90RepairMs"
       from tickets where state = 'resolved' and resolved_at >= to_timestamp($1 / 1000.0)${s1} group by town_id order by town_id`,
    p1,
  );
  const repairByCrew = await db.query<TicketStats['repairByCrew'][number]>(
    `select crew, count(*)::int as resolved, avg(repair_ms)::float8 as "avgRepairMs"
       from tickets where state = 'resolved' and resolved_at >= to_timestamp($1 / 1000.0)${s1} group by crew order by crew nulls last`,
    p1,
  );
  const byClass = await db.query<TicketStats['byClass'][number]>(
    `select fault, category, count(*) filter (where state <> 'resolved')::int as active, count(*) filter (where state = 'resolved')::int as resolved
       from tickets where (state <> 'resolved' or resolved_at >= to_timestamp($1 / 1000.0))${s1} group by fault, category order by category, fault nulls last`,
    p1,
  );
  const p2: unknown[] = [now];
  const s2 = scopeSql(scope, p2);
  const ages = await db.query<{ bucket: string; count: number }>(
    `select case when age < 4 then '<4h' when age < 24 then '4-24h' when age < 72 then '1-3d' else '>3d' end as bucket, count(*)::int as count
       from (select ($1::float8 - ${ms('opened_at')}) / 3600000.0 as age from tickets where state <> 'resolved'${s2}) a group by 1`,
    p2,
  );
  const openByAge = ['<4h', '4-24h', '1-3d', '>3d'].map((b) => ({ bucket: b, count: ages.find((a) => a.bucket === b)?.count ?? 0 }));
  const num = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return {
    repairByTown: repairByTown.map((r) => ({ ...r, avgRepairMs: num(r.avgRepairMs), p50RepairMs: num(r.p50RepairMs), p90RepairMs: num(r.p90RepairMs) })),
    repairByCrew: repairByCrew.map((r) => ({ ...r, avgRepairMs: num(r.avgRepairMs) })),
    byClass,
    openByAge,
  };
}

// ---- outbox -----------------------------------------------------------------------------

export async function pendingDeliveries(db: Database, limit: number): Promise<PendingDelivery[]> {
  const rows = await db.query<PendingDelivery>(
    `select id, event_key as "eventKey", target, payload, attempts from notify_outbox where delivered_at is null and failed_at is null order by id limit $1`,
    [limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), payload: parseJson(r.payload) }));
}

export async function markDelivery(db: Database, id: number, attempts: number, outcome: { deliveredAt?: number; failedAt?: number; error?: string }): Promise<void> {
  await db.query(
    `update notify_outbox set attempts = $2, delivered_at = to_timestamp($3::float8 / 1000.0), failed_at = to_timestamp($4::float8 / 1000.0), last_error = $5 where id = $1`,
    [id, attempts, outcome.deliveredAt ?? null, outcome.failedAt ?? null, outcome.error ?? null],
  );
}

// ---- maintenance windows ----------------------------------------------------------------

/** node-postgres parses jsonb; PGlite too, but be tolerant of a string. */
function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** Crew users per town (ticket routing). */
export async function crewsByTown(db: Database): Promise<Map<string, string[]>> {
  const rows = await db.query<{ username: string; towns: string[] }>(`select username, towns from users where role = 'crew' order by username`);
  const out = new Map<string, string[]>();
  for (const r of rows) for (const t of r.towns) out.set(t, [...(out.get(t) ?? []), r.username]);
  return out;
}
