/**
 * The databases every storage test runs against: embedded PGlite always, and the
 * PostgreSQL server named by TEST_DATABASE_URL (CI: this machine's, database `test`)
 * — each test gets a fresh database there, dropped afterwards.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type DbKind = 'pglite' | 'postgres';

export const DB_KINDS: DbKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export function pgliteTemplate(): Blob {
  const file = process.env.PGLITE_TEMPLATE;
  if (!file) throw new Error('PGLITE_TEMPLATE not set: run through vitest (test/support/global-setup.ts)');
  return new Blob([readFileSync(file)]);
}

/** A fresh, empty database on the test server; `drop()` removes it. */
export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL not set');
  const name = `se_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
