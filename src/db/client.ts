/**
 * The database handle: embedded PGlite in a data folder by default, a PostgreSQL
 * server (node-postgres) when a postgres:// URL is given. Same schema, same
 * migrations; repositories use `query` (raw SQL, for bulk work) or `orm` (drizzle).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { drizzle as drizzleProxy } from 'drizzle-orm/pg-proxy';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Querier {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Querier {
  readonly kind: 'pglite' | 'postgres';
  readonly orm: Orm;
  /** run `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on throw) */
  transaction<T>(fn: (q: Querier) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Does the database answer `select 1` within `timeoutMs`? (readiness: false while PostgreSQL is away) */
export async function databaseAnswers(db: Querier, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.query('select 1').then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export type DatabaseTarget = { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob } | { kind: 'postgres'; url: string; poolSize?: number };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'pglite') return openPglite(target); // migrated inside its worker
  const db = openPostgres(target);
  await migrateDatabase(db);
  return db;
}

const WORKER = new URL('./pglite-worker.mjs', import.meta.url);

/**
 * Embedded PGlite, run in a worker thread (src/db/pglite-worker.mjs): its statements cost
 * WASM CPU that would otherwise block the hub's event loop. PGlite has one connection, so a
 * transaction holds a lock that other statements wait for.
 */
async function openPglite(target: { dataDir: string | null; loadDataDir?: Blob }): Promise<Database> {
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const loadDataDir = target.loadDataDir ? new Uint8Array(await target.loadDataDir.arrayBuffer()) : undefined;
  const worker = new Worker(WORKER, { workerData: { dataDir: target.dataDir, loadDataDir, migrationsFolder: MIGRATIONS_FOLDER } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | null = null;
  const ready = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  worker.on('message', (m: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else p.resolve(m.result);
  });
  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`PGlite worker exited (${code})`)));
  const call = <T>(msg: Record<string, unknown>): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...msg });
    });
  };
  try {
    await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  // one connection: statements outside a transaction wait for the open one
  let txTail: Promise<void> = Promise.resolve();
  const raw = <T>(sql: string, params?: unknown[], rowMode?: 'array') => call<T[]>({ op: 'query', sql, params: params ?? [], rowMode });
  const query = async <T>(sql: string, params?: unknown[]) => {
    await txTail;
    return raw<T>(sql, params);
  };
  const orm = drizzleProxy(
    async (sql, params, method) => {
      await txTail;
      return { rows: await raw(sql, params, method === 'all' ? 'array' : undefined) };
    },
    { schema },
  ) as unknown as Orm;
  return {
    kind: 'pglite',
    orm,
    query,
    async transaction<T>(fn: (q: Querier) => Promise<T>) {
      const before = txTail;
      let release!: () => void;
      txTail = before.then(() => new Promise<void>((r) => (release = r)));
      await before;
      try {
        await raw('BEGIN');
        const out = await fn({ query: <R>(sql: string, params?: unknown[]) => raw<R>(sql, params) });
        await raw('COMMIT');
        return out;
      } catch (e) {
        await raw('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        release();
      }
    },
    async close() {
      if (dead) return;
      await txTail;
      await call({ op: 'close' });
      await worker.terminate();
    },
    dump: async () => new Blob([Buffer.from(await call<Uint8Array>({ op: 'dump' }))]),
  } as Database & { dump: () => Promise<Blob> };
}

function openPostgres(target: { url: string; poolSize?: number }): Database {
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 8 });
  // a dropped server connection must not crash the hub; queries then fail with a clear error
  pool.on('error', () => undefined);
  const orm = drizzlePg(pool, { schema }) as unknown as Orm;
  return {
    kind: 'postgres',
    orm,
    async query<T>(text: string, params?: unknown[]) {
      return (await pool.query(text, params)).rows as T[];
    },
    async transaction<T>(fn: (q: Querier) => Promise<T>) {
      const conn = await pool.connect();
      // a checked-out client whose server connection dies emits 'error'; unheard, that would
      // crash the hub (the pool only listens on idle clients). The failing query rejects anyway.
      const onError = () => undefined;
      conn.on('error', onError);
      try {
        await conn.query('BEGIN');
        const out = await fn({ query: async <R>(text: string, params?: unknown[]) => (await conn.query(text, params)).rows as R[] });
        await conn.query('COMMIT');
        return out;
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        conn.removeListener('error', onError);
        conn.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** PostgreSQL server: apply the migrations (PGlite applies them in its worker). */
export async function migrateDatabase(db: Database): Promise<void> {
  if (db.kind === 'postgres') await migratePg(db.orm as never, { migrationsFolder: MIGRATIONS_FOLDER });
}

/** PGlite only: the data folder as a tarball (tests clone a migrated template from it). */
export async function dumpPglite(db: Database): Promise<Blob> {
  const dump = (db as Database & { dump?: () => Promise<Blob> }).dump;
  if (!dump) throw new Error('dumpPglite: not a PGlite database');
  return dump();
}
