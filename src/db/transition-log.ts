/**
 * Durable record of what ingest decided: camera state transitions, the streaks under way
 * toward one (so a restart mid-outage keeps the failures counted) and the ledger of processed
 * report batches, written together by group commit — one statement, so a kill never leaves a
 * batch acknowledged without its streak or a streak counted without its batch. Each caller's
 * promise resolves when its rows are committed; an agent is acknowledged only then.
 * If a write fails, the callers are rejected (the agent spools and retries) and the
 * transitions are kept for the next write, so nothing decided is lost.
 */
import type { CameraState, Transition } from '../core/model.ts';
import type { InitialState, StreakRecord } from '../core/monitor.ts';
import type { Database } from './client.ts';

export interface LedgerRow {
  agentId: string;
  seq: number;
  receivedAt: number;
  accepted: number;
  refused: number;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  ledger: LedgerRow | null;
}

export class TransitionLog {
  private carry: Transition[] = [];
  /** per camera its latest streak not yet written */
  private carryStreaks = new Map<string, StreakRecord>();
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private readonly listeners: ((committed: Transition[]) => void)[] = [];
  written = 0;

  /** Called with every group of transitions once it is committed (tickets, live views, …). */
  onCommitted(fn: (committed: Transition[]) => void): void {
    this.listeners.push(fn);
  }

  constructor(private readonly db: Database) {}

  /** Queue rows; resolves when they are committed. */
  submit(transitions: Transition[], ledger: LedgerRow | null, streaks: StreakRecord[] = []): Promise<void> {
    for (const t of transitions) this.carry.push(t);
    for (const s of streaks) this.carryStreaks.set(s.camera, s);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject, ledger });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Wait until everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  pendingTransitions(): number {
    return this.carry.length;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.waiters.length > 0) {
        await new Promise((r) => setImmediate(r)); // let concurrent requests join this commit
        const waiters = this.waiters;
        const rows = this.carry;
        const streaks = this.carryStreaks;
        this.waiters = [];
        this.carry = [];
        this.carryStreaks = new Map();
        try {
          await this.write(
            rows,
            waiters.map((w) => w.ledger).filter((l): l is LedgerRow => l !== null),
            [...streaks.values()],
          );
          this.written += rows.length;
          if (rows.length > 0) for (const fn of this.listeners) fn(rows);
          for (const w of waiters) w.resolve();
        } catch (e) {
          this.carry = rows.concat(this.carry); // keep order; retried with the next write
          for (const [code, s] of this.carryStreaks) streaks.set(code, s); // a newer record wins
          this.carryStreaks = streaks;
          const err = new Error(`database write failed: ${(e as Error).message}`);
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * One statement (atomic on its own): transitions and ledger rows through data-modifying
   * CTEs. One round trip instead of BEGIN, two INSERTs and COMMIT — with PGlite each is a
   * message to its worker and a pass through the WASM engine.
   */
  private async write(rows: Transition[], ledger: LedgerRow[], streaks: StreakRecord[]): Promise<void> {
    await this.db.query(
      `with t as (
         insert into camera_transitions (camera_code, from_state, to_state, at, since, fault, reason)
         select c, f, t, to_timestamp(a / 1000.0), to_timestamp(s / 1000.0), fa, r
           from unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[]) as u(c, f, t, a, s, fa, r)
         returning 1
       ), l as (
         insert into ingest_batches (agent_id, seq, received_at, accepted, refused)
         select a, s, to_timestamp(r / 1000.0), ac, re
           from unnest($8::text[], $9::int8[], $10::float8[], $11::int4[], $12::int4[]) as u(a, s, r, ac, re)
         on conflict (agent_id, seq) do nothing
         returning 1
       ), s as (
         insert into camera_streaks (camera_code, fail_streak, ok_streak, streak_start, last_success_at, last_result_at, seen_at)
         select c, f, o, to_timestamp(st / 1000.0), to_timestamp(ls / 1000.0), to_timestamp(lr / 1000.0), to_timestamp(se / 1000.0)
           from unnest($13::text[], $14::int4[], $15::int4[], $16::float8[], $17::float8[], $18::float8[], $19::float8[]) as u(c, f, o, st, ls, lr, se)
         on conflict (camera_code) do update set fail_streak = excluded.fail_streak, ok_streak = excluded.ok_streak,
           streak_start = excluded.streak_start, last_success_at = excluded.last_success_at,
           last_result_at = excluded.last_result_at, seen_at = excluded.seen_at
         returning 1
       )
       select (select count(*) from t) as transitions, (select count(*) from l) as batches, (select count(*) from s) as streaks`,
      [
        rows.map((r) => r.camera),
        rows.map((r) => r.from),
        rows.map((r) => r.to),
        rows.map((r) => r.at),
        rows.map((r) => r.since),
        rows.map((r) => r.fault),
        rows.map((r) => r.reason),
        ledger.map((l) => l.agentId),
        ledger.map((l) => l.seq),
        ledger.map((l) => l.receivedAt),
        ledger.map((l) => l.accepted),
        ledger.map((l) => l.refused),
        streaks.map((s) => s.camera),
        streaks.map((s) => s.failStreak),
        streaks.map((s) => s.okStreak),
        streaks.map((s) => s.streakStart),
        streaks.map((s) => s.lastSuccessAt),
        streaks.map((s) => s.lastResultAt),
        streaks.map((s) => s.seenAt),
      ],
    );
  }
}

/** Is (agent, seq) in the ledger? */
export async function ledgerHas(db: Database, agentId: string, seq: number): Promise<boolean> {
  const rows = await db.query(`select 1 from ingest_batches where agent_id = $1 and seq = $2`, [agentId, seq]);
  return rows.length > 0;
}

/** Highest seq per agent and the last report time (restart). */
export async function ledgerHeads(db: Database): Promise<Map<string, { maxSeq: number; lastAt: number }>> {
  const rows = await db.query<{ agent: string; maxSeq: string; lastAt: number }>(
    `select agent_id as agent, max(seq)::text as "maxSeq", (extract(epoch from max(received_at)) * 1000)::float8 as "lastAt"
       from ingest_batches group by agent_id`,
  );
  return new Map(rows.map((r) => [r.agent, { maxSeq: Number(r.maxSeq), lastAt: Number(r.lastAt) }]));
}

/** Camera states at `from` (the last transition decided before it), and every transition decided after it, in order (restart). */
export async function loadHistory(db: Database, from: number): Promise<{ initial: Map<string, InitialState>; history: Transition[] }> {
  const before = await db.query<{ camera: string; state: CameraState; since: number; fault: Transition['fault']; reason: Transition['reason'] }>(
    `select distinct on (camera_code) camera_code as camera, to_state as state, (extract(epoch from since) * 1000)::float8 as since, fault, reason
       from camera_transitions where at < to_timestamp($1 / 1000.0) order by camera_code, at desc, id desc`,
    [from],
  );
  const after = await db.query<{ camera: string; from: CameraState; to: CameraState; at: number; since: number; fault: Transition['fault']; reason: Transition['reason'] }>(
    `select camera_code as camera, from_state as "from", to_state as "to", (extract(epoch from at) * 1000)::float8 as at,
            (extract(epoch from since) * 1000)::float8 as since, fault, reason
       from camera_transitions where at >= to_timestamp($1 / 1000.0) order by at, id`,
    [from],
  );
  return {
    initial: new Map(before.map((r) => [r.camera, { state: r.state, since: Number(r.since), fault: r.fault, reason: r.reason }])),
    history: after.map((r) => ({ ...r, at: Math.round(Number(r.at)), since: Math.round(Number(r.since)) })),
  };
}

/** Every camera's stored streak and replay guard (restart; Monitor.restoreStreaks). */
export async function loadStreaks(db: Database): Promise<StreakRecord[]> {
  const rows = await db.query<{ camera: string; fail: number; ok: number; start: number; lastSuccessAt: number | null; lastResultAt: number; seenAt: number }>(
    `select camera_code as camera, fail_streak as fail, ok_streak as ok, (extract(epoch from streak_start) * 1000)::float8 as start,
            (extract(epoch from last_success_at) * 1000)::float8 as "lastSuccessAt", (extract(epoch from last_result_at) * 1000)::float8 as "lastResultAt",
            (extract(epoch from seen_at) * 1000)::float8 as "seenAt"
       from camera_streaks`,
  );
  const ms = (v: number) => Math.round(Number(v));
  return rows.map((r) => ({
    camera: r.camera,
    failStreak: Number(r.fail),
    okStreak: Number(r.ok),
    streakStart: ms(r.start),
    lastSuccessAt: r.lastSuccessAt === null ? null : ms(r.lastSuccessAt),
    lastResultAt: ms(r.lastResultAt),
    seenAt: ms(r.seenAt),
  }));
}

export async function cameraTransitions(db: Database, code: string, limit: number, before?: number): Promise<Transition[]> {
  const rows = await db.query<{ camera: string; from: CameraState; to: CameraState; at: number; since: number; fault: Transition['fault']; reason: Transition['reason'] }>(
    `select camera_code as camera, from_state as "from", to_state as "to", (extract(epoch from at) * 1000)::float8 as at,
            (extract(epoch from since) * 1000)::float8 as since, fault, reason
       from camera_transitions where camera_code = $1 and ($3::float8 is null or at < to_timestamp($3 / 1000.0))
      order by at desc, id desc limit $2`,
    [code, limit, before ?? null],
  );
  return rows.map((r) => ({ ...r, at: Math.round(Number(r.at)), since: Math.round(Number(r.since)) }));
}
