/** Start a hub in-process against PGlite (template clone) or a fresh PostgreSQL database. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startHub, type Hub, type HubOptions } from '../../src/hub/start-hub.ts';
import { createLogger } from '../../src/log.ts';
import { freshPostgres, pgliteTemplate, type DbKind } from './databases.ts';
import { writeTinyCounty } from './tiny-county.ts';

export interface TestHub {
  hub: Hub;
  /** every log line the hub wrote */
  logLines: string[];
  dataDir: string;
  configDir: string;
  databaseUrl?: string;
  restart(overrides?: Partial<HubOptions>): Promise<Hub>;
  close(): Promise<void>;
}

export async function startTestHub(kind: DbKind, opts: Partial<HubOptions> = {}): Promise<TestHub> {
  const configDir = opts.configDir ?? writeTinyCounty();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'se-data-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger('hub', sink);
  const pgdb = kind === 'postgres' ? await freshPostgres() : null;
  const base: HubOptions = {
    configDir,
    dataDir,
    logger,
    ...(pgdb ? { databaseUrl: pgdb.url } : { pgliteTemplate: pgliteTemplate() }),
    ...opts,
  };
  let hub = await startHub(base);
  const t: TestHub = {
    hub,
    logLines,
    dataDir,
    configDir,
    ...(pgdb ? { databaseUrl: pgdb.url } : {}),
    async restart(overrides = {}) {
      await hub.close();
      // PGlite: reopen the same data folder (the template was only for the first start)
      const { pgliteTemplate: _t, ...rest } = base;
      hub = await startHub({ ...rest, ...overrides });
      t.hub = hub;
      return hub;
    },
    async close() {
      await hub.close();
      await pgdb?.drop();
    },
  };
  return t;
}
