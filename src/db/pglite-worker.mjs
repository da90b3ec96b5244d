// PGlite in a worker thread: the embedded database's CPU (WASM) stays off the hub's
// event loop. Plain JavaScript so it runs under node, tsx and vitest alike.
// Protocol: { id, op: 'query'|'dump'|'close', sql?, params?, rowMode? } → { id, result } | { id, error }
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const { dataDir, loadDataDir, migrationsFolder } = workerData;
let db;

async function open() {
  const opts = loadDataDir ? { loadDataDir: new Blob([loadDataDir]) } : {};
  db = dataDir ? new PGlite(dataDir, opts) : new PGlite(opts);
  await db.waitReady;
  await migrate(drizzle(db), { migrationsFolder });
}

const ready = open();
ready.then(
  () => parentPort.postMessage({ id: 0, result: 'ready' }),
  (e) => parentPort.postMessage({ id: 0, error: { message: String(e?.message ?? e), code: e?.code } }),
);

parentPort.on('message', async (m) => {
  try {
    await ready;
    let result = null;
    if (m.op === 'query') {
      result = (await db.query(m.sql, m.params ?? [], m.rowMode ? { rowMode: m.rowMode } : undefined)).rows;
    } else if (m.op === 'dump') {
      result = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
    } else if (m.op === 'close') {
      await db.close();
    }
    parentPort.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e?.message ?? e), code: e?.code, detail: e?.detail } });
  }
});
