/**
 * The database handle: embedded PGlite in a data folder by default, a PostgreSQL
 * server (node-postgres) when a postgres:// URL is given. Same schema, same
 * migrations; repositories use `query` (raw SQL, for bulk work) or `orm` (drizzle).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
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

export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob }
  | { kind: 'postgres'; url: string; poolSize?: number };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const db = target.kind === 'pglite' ? await openPglite(target) : openPostgres(target);
  await migrateDatabase(db);
  return db;
}

async function openPglite(target: { dataDir: string | null; loadDataDir?: Blob }): Promise<Database> {
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const opts = target.loadDataDir ? { loadDataDir: target.loadDataDir } : {};
  const client = target.dataDir ? new PGlite(target.dataDir, opts) : new PGlite(opts);
  await client.waitReady;
  const orm = drizzlePglite(client, { schema }) as unknown as Orm;
  return {
    kind: 'pglite',
    orm,
    raw: client,
    async query<T>(text: string, params?: unknown[]) {
      return (await client.query<T>(text, params)).rows;
    },
    async transaction<T>(fn: (q: Querier) => Promise<T>) {
      return client.transaction(async (tx) =>
        fn({ query: async <R>(text: string, params?: unknown[]) => (await tx.query<R>(text, params)).rows }),
      );
    },
    async close() {
      await client.close();
    },
  } as Database & { raw: PGlite };
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
      try {
        await conn.query('BEGIN');
        const out = await fn({ query: async <R>(text: string, params?: unknown[]) => (await conn.query(text, params)).rows as R[] });
        await conn.query('COMMIT');
        return out;
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        conn.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export async function migrateDatabase(db: Database): Promise<void> {
  if (db.kind === 'pglite') await migratePglite(db.orm as never, { migrationsFolder: MIGRATIONS_FOLDER });
  else await migratePg(db.orm as never, { migrationsFolder: MIGRATIONS_FOLDER });
}

/** PGlite only: the data folder as a tarball (tests clone a migrated template from it). */
export async function dumpPglite(db: Database): Promise<Blob> {
  const raw = (db as Database & { raw?: PGlite }).raw;
  if (!raw) throw new Error('dumpPglite: not a PGlite database');
  return (await raw.dumpDataDir('none')) as Blob;
}
