/**
 * The one PostgreSQL schema (PGlite embedded, or a server via DATABASE_URL).
 * Migrations in src/db/migrations are generated from this file by drizzle-kit
 * (`npm run db:generate`) and applied at start-up.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** 镇/街道 */
export const towns = pgTable('towns', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['town', 'street'] }).notNull(),
});

/** 社区/村 */
export const communities = pgTable('communities', {
  id: text('id').primaryKey(),
  townId: text('town_id')
    .notNull()
    .references(() => towns.id),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['community', 'village'] }).notNull(),
});

/** 网格 */
export const grids = pgTable(
  'grids',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id),
    townId: text('town_id')
      .notNull()
      .references(() => towns.id),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['urban', 'rural', 'dedicated'] }).notNull(),
  },
  (t) => [index('grids_town_idx').on(t.townId)],
);

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** sha256 of the bearer token */
  tokenHash: text('token_hash').notNull(),
});

export const cameras = pgTable(
  'cameras',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    gridId: text('grid_id')
      .notNull()
      .references(() => grids.id),
    /** site / uplink (光猫, switch, power feed) shared by cameras that fail together */
    siteId: text('site_id'),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    host: text('host').notNull(),
    onvifPort: integer('onvif_port').notNull().default(80),
    onvifPath: text('onvif_path').notNull().default('/onvif/device_service'),
    rtspPort: integer('rtsp_port').notNull().default(554),
    rtspPath: text('rtsp_path').notNull().default('/'),
    /** 'digest' (default) or 'basic': whether the agent may answer a Basic challenge (cameras.csv http_auth) */
    httpAuth: text('http_auth').notNull().default('digest'),
    vendor: text('vendor'),
    username: text('username').notNull(),
    /** AES-256-GCM, see src/secrets/secret-box.ts; never leaves the hub except to the probing agent */
    passwordEnc: text('password_enc').notNull(),
    agentId: text('agent_id').references(() => agents.id),
  },
  (t) => [index('cameras_grid_idx').on(t.gridId), index('cameras_agent_idx').on(t.agentId)],
);

/** State transitions, not samples (a few per camera per day). */
export const cameraTransitions = pgTable(
  'camera_transitions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    cameraCode: text('camera_code').notNull(),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    at: ts('at').notNull(),
    since: ts('since').notNull(),
    fault: text('fault'),
    reason: text('reason').notNull(),
  },
  (t) => [index('camera_transitions_camera_at_idx').on(t.cameraCode, t.at), index('camera_transitions_at_idx').on(t.at)],
);

/**
 * Per camera, the streak under way toward a transition and the replay guard (src/core/monitor.ts
 * StreakRecord): written in the same statement as the transitions and the batch ledger rows
 * that changed it, read back at start so a restart mid-outage does not lose the failures counted.
 */
export const cameraStreaks = pgTable('camera_streaks', {
  cameraCode: text('camera_code').primaryKey(),
  failStreak: integer('fail_streak').notNull(),
  okStreak: integer('ok_streak').notNull(),
  streakStart: ts('streak_start').notNull(),
  lastSuccessAt: ts('last_success_at'),
  lastResultAt: ts('last_result_at').notNull(),
  seenAt: ts('seen_at').notNull(),
});

/**
 * Cameras taken out of cameras.csv: retired, not deleted (docs/accounting.md). Their transitions
 * stay; the grid they were in keeps their time in every period up to the retirement. Plain text
 * grid id (the grid itself may be gone later). A camera put back is removed from here.
 */
export const retiredCameras = pgTable('retired_cameras', {
  code: text('code').primaryKey(),
  gridId: text('grid_id').notNull(),
  siteId: text('site_id'),
  agentId: text('agent_id'),
  retiredAt: ts('retired_at').notNull(),
});

/**
 * Closed days (日结): per camera, what its timeline held inside the local day, as known when the
 * day closed (its end + the grace period). Months are sums of these.
 */
export const cameraDays = pgTable(
  'camera_days',
  {
    day: text('day').notNull(),
    cameraCode: text('camera_code').notNull(),
    gridId: text('grid_id').notNull(),
    onlineMs: bigint('online_ms', { mode: 'number' }).notNull(),
    offlineMs: bigint('offline_ms', { mode: 'number' }).notNull(),
    unknownMs: bigint('unknown_ms', { mode: 'number' }).notNull(),
    maintenanceMs: bigint('maintenance_ms', { mode: 'number' }).notNull(),
    outages: integer('outages').notNull(),
    longestOutageMs: bigint('longest_outage_ms', { mode: 'number' }).notNull(),
    /** offline ms per fault class */
    faultMs: jsonb('fault_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.cameraCode] }), index('camera_days_camera_idx').on(t.cameraCode, t.day)],
);

/** The same closed day summed per grid (month rankings read 30 × grids rows, not 30 × cameras). */
export const gridDays = pgTable(
  'grid_days',
  {
    day: text('day').notNull(),
    gridId: text('grid_id').notNull(),
    onlineMs: bigint('online_ms', { mode: 'number' }).notNull(),
    offlineMs: bigint('offline_ms', { mode: 'number' }).notNull(),
    unknownMs: bigint('unknown_ms', { mode: 'number' }).notNull(),
    maintenanceMs: bigint('maintenance_ms', { mode: 'number' }).notNull(),
    cameras: integer('cameras').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.gridId] })],
);

/** Which local days are closed, when, and over how many cameras. */
export const closedDays = pgTable('closed_days', {
  day: text('day').primaryKey(),
  dayStart: ts('day_start').notNull(),
  closedAt: ts('closed_at').notNull(),
  cameras: integer('cameras').notNull(),
});

/** Ledger of processed report batches: (agent, seq) makes ingest idempotent. */
export const ingestBatches = pgTable(
  'ingest_batches',
  {
    agentId: text('agent_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    receivedAt: ts('received_at').notNull(),
    accepted: integer('accepted').notNull(),
    refused: integer('refused').notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.seq] })],
);

export const users = pgTable('users', {
  username: text('username').primaryKey(),
  displayName: text('display_name').notNull(),
  /** scrypt$N$r$p$salt$hash */
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['admin', 'crew', 'worker', 'viewer'] }).notNull(),
  /** crew and viewer scope */
  towns: text('towns').array().notNull().default(sql`'{}'::text[]`),
  /** worker scope */
  grids: text('grids').array().notNull().default(sql`'{}'::text[]`),
});

export const sessions = pgTable('sessions', {
  /** sha256 of the bearer token */
  tokenHash: text('token_hash').primaryKey(),
  username: text('username')
    .notNull()
    .references(() => users.username, { onDelete: 'cascade' }),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

/** Small key/value facts about this database (config fingerprint, …). */
export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/* ---- fault tickets (src/core/tickets, src/services/tickets.ts) ---- */

/** One row per ticket: filter columns, plus the whole ticket as JSON (the core's object). */
export const tickets = pgTable(
  'tickets',
  {
    id: integer('id').primaryKey(),
    rev: integer('rev').notNull(),
    kind: text('kind').notNull(),
    source: text('source').notNull(),
    state: text('state').notNull(),
    townId: text('town_id').notNull(),
    gridId: text('grid_id').notNull(),
    siteId: text('site_id'),
    fault: text('fault'),
    category: text('category').notNull(),
    cameraCodes: text('camera_codes').array().notNull(),
    slaBreached: boolean('sla_breached').notNull(),
    unstable: boolean('unstable').notNull(),
    /** who gets the credit in statistics: assignee, else who reported the fix, else who acknowledged */
    crew: text('crew'),
    openedAt: ts('opened_at').notNull(),
    resolvedAt: ts('resolved_at'),
    repairMs: bigint('repair_ms', { mode: 'number' }),
    cause: text('cause'),
    data: jsonb('data').notNull(),
  },
  (t) => [index('tickets_state_town_idx').on(t.state, t.townId), index('tickets_opened_idx').on(t.openedAt), index('tickets_resolved_idx').on(t.resolvedAt)],
);

/** Ticket timeline: every change with who and when. */
export const ticketEvents = pgTable(
  'ticket_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: integer('ticket_id').notNull(),
    rev: integer('rev').notNull(),
    type: text('type').notNull(),
    at: ts('at').notNull(),
    actor: text('actor').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [uniqueIndex('ticket_events_ticket_rev_idx').on(t.ticketId, t.rev)],
);

/** Notifications to send, written with the ticket change (outbox): a restart neither loses nor repeats one. */
export const notifyOutbox = pgTable(
  'notify_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `<ticket>-<rev>-<type>`; with target unique: an event is queued once per target */
    eventKey: text('event_key').notNull(),
    target: text('target').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    deliveredAt: ts('delivered_at'),
    failedAt: ts('failed_at'),
    lastError: text('last_error'),
  },
  (t) => [uniqueIndex('notify_outbox_event_target_idx').on(t.eventKey, t.target), index('notify_outbox_pending_idx').on(t.deliveredAt, t.failedAt)],
);

/** Planned work (报备): no tickets for the covered cameras, and they leave the online rate. */
export const maintenanceWindows = pgTable('maintenance_windows', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  cameraCodes: text('camera_codes').array().notNull().default(sql`'{}'::text[]`),
  siteId: text('site_id'),
  gridId: text('grid_id'),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  note: text('note').notNull(),
  createdBy: text('created_by').notNull(),
});
