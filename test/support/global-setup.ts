/**
 * Once per test run: a migrated PGlite data folder as a tarball, so each test
 * clones it (≈ 0.5 s) instead of running initdb and migrations (3–5 s).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, dumpPglite } from '../../src/db/client.ts';

export default async function setup(): Promise<void> {
  const dir = join(process.cwd(), '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pglite-template.tar');
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  writeFileSync(file, Buffer.from(await (await dumpPglite(db)).arrayBuffer()));
  await db.close();
  process.env.PGLITE_TEMPLATE = file;
}
