/**
 * Fault: PostgreSQL unreachable. The hub talks to the test server through the fault proxy
 * (test/support/fault-proxy.ts in front of 127.0.0.1:5432; the server itself is never touched);
 * the proxy first refuses connections (cut), then accepts and forwards nothing (black hole), then
 * passes again. A real agent over simulated cameras reports all along. While the database is
 * away the hub keeps answering (/healthz 200, /readyz 503, reports 503: the agent spools); after
 * it returns, every result the agent produced is in the ledger exactly once.
 * Test run: 4 s away; npm run faults: 60 s.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../agent-runtime/harness.ts';
import { reportFault } from '../fuzz/campaign.ts';
import { freshPostgres } from '../support/databases.ts';
import { startProxy } from '../support/fault-proxy.ts';
import { startTestHub } from '../support/hub-harness.ts';
import { sleep, until } from '../support/wait.ts';
import { agentConfig, fleetCounty, gapless, ledger, produced, scaled, startAgent } from './support.ts';

const url = process.env.TEST_DATABASE_URL;
const OUTAGE_MS = scaled(4000, 60_000);

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** one GET with its own deadline: the status, or 0 when no answer came in time */
async function probe(hubUrl: string, path: string, ms = 3000): Promise<number> {
  try {
    const r = await fetch(hubUrl + path, { signal: AbortSignal.timeout(ms) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

describe.runIf(url)('fault: PostgreSQL unreachable (through a proxy: cut, then black hole)', () => {
  it(
    'the hub keeps answering while it is away, and nothing is lost after it returns',
    async () => {
      const pgdb = await freshPostgres();
      cleanup.push(() => pgdb.drop());
      const target = new URL(pgdb.url);
      const pgProxy = await startProxy(Number(target.port || 5432));
      cleanup.push(() => pgProxy.close());
      target.host = `127.0.0.1:${pgProxy.port}`;

      const { fleet, configDir } = await fleetCounty('127.62');
      cleanup.push(() => fleet.close());
      const t = await startTestHub('pglite', { configDir, databaseUrl: target.toString() });
      cleanup.push(() => t.close());
      expect(t.hub.db.kind).toBe('postgres');
      await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
      const hubUrl = `http://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}`;
      const dir = tmpDir();
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const { agent } = startAgent(agentConfig(hubUrl, dir));
      cleanup.push(() => agent.stop());
      await agent.start();
      await until(() => agent.status().reports.sent > 2, 20_000, 'first batches acknowledged');

      const answers = { healthz: new Map<number, number>(), readyz: new Map<number, number>() };
      const note = (m: Map<number, number>, s: number) => m.set(s, (m.get(s) ?? 0) + 1);
      const errorsBefore = agent.status().reports.transientErrors;
      const started = Date.now();
      pgProxy.set('refuse');
      let halfway = false;
      while (Date.now() - started < OUTAGE_MS) {
        if (!halfway && Date.now() - started >= OUTAGE_MS / 2) {
          pgProxy.set('hang'); // the second half: connections accepted, nothing forwarded
          halfway = true;
        }
        const [h, r] = await Promise.all([probe(hubUrl, '/healthz'), probe(hubUrl, '/readyz')]);
        note(answers.healthz, h);
        note(answers.readyz, r);
        await sleep(300);
      }
      const spooledDuring = agent.status().spool.batches;
      const errorsDuring = agent.status().reports.transientErrors - errorsBefore;
      pgProxy.set('pass');
      const back = Date.now();
      await until(async () => (await probe(hubUrl, '/readyz')) === 200, 60_000, 'hub ready again');
      const readyAfterMs = Date.now() - back;
      await until(() => agent.status().spool.batches === 0, 60_000, 'spool drained');
      await agent.stop();
      const made = await produced(agent);
      const stored = await ledger(t.hub.db);
      const fmt = (m: Map<number, number>) => [...m].map(([s, n]) => `${s || 'none'}x${n}`).join('/');
      const counts = {
        outageS: OUTAGE_MS / 1000,
        healthz: fmt(answers.healthz),
        readyz: fmt(answers.readyz),
        reportErrorsDuring: errorsDuring,
        spooledBatchesDuring: spooledDuring,
        readyAfterMs,
        produced: made,
        stored: stored.items,
        lost: Math.max(0, made - stored.items),
        duplicated: Math.max(0, stored.items - made),
      };
      reportFault('postgres_unreachable', counts);

      expect([...answers.healthz.keys()], 'liveness answered 200 throughout').toEqual([200]);
      expect(
        [...answers.readyz.keys()].every((s) => s === 503 || s === 200),
        'readiness answered (503 while away)',
      ).toBe(true);
      expect(answers.readyz.get(503) ?? 0).toBeGreaterThan(0);
      expect(errorsDuring).toBeGreaterThan(0); // reports were refused (503) or timed out, and kept
      expect(stored.items, '0 lost, 0 duplicated').toBe(made);
      expect(gapless(stored.seqs)).toBe(true);
      expect(agent.status().spool).toMatchObject({ batches: 0, droppedBatches: 0 });
    },
    OUTAGE_MS + 120_000,
  );
});
