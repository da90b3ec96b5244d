/**
 * Fault: the agent ⇄ hub link flaps. A real agent (real ladder over ten simulated cameras)
 * reports through the fault proxy (test/support/fault-proxy.ts) to a real hub; every period the
 * proxy turns to a failure — refused connections, a black hole (accepted, nothing forwarded),
 * 503 answered by the proxy — and back to pass, dropping the open connections each time (a
 * batch in flight may be stored with its answer lost). Then: every result the agent produced is
 * in the hub's ledger exactly once (0 lost, 0 duplicated), seqs without a gap.
 * Test run: 1.5 s periods for 6 s; npm run faults: 3 s periods for 3 minutes.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { reportFault } from '../fuzz/campaign.ts';
import { tmpDir } from '../agent-runtime/harness.ts';
import { type ProxyMode, startProxy } from '../support/fault-proxy.ts';
import { startTestHub } from '../support/hub-harness.ts';
import { sleep, until } from '../support/wait.ts';
import { agentConfig, fleetCounty, gapless, ledger, produced, scaled, startAgent } from './support.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const PERIOD_MS = scaled(1500, 3000);
const FLAPPING_MS = scaled(6000, 180_000);

describe('fault: the agent ⇄ hub link flapping', () => {
  it(
    'every result produced is stored once: 0 lost, 0 duplicated',
    async () => {
      const { fleet, configDir } = await fleetCounty('127.61');
      cleanup.push(() => fleet.close());
      const t = await startTestHub('pglite', { configDir });
      cleanup.push(() => t.close());
      await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
      const proxy = await startProxy((t.hub.app.server.address() as AddressInfo).port);
      cleanup.push(() => proxy.close());
      const dir = tmpDir();
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const { agent, text } = startAgent(agentConfig(proxy.url, dir));
      cleanup.push(() => agent.stop());
      await agent.start();
      await until(() => agent.status().reports.sent > 2, 20_000, 'first batches acknowledged');

      const faults: ProxyMode[] = ['refuse', 'hang', '503'];
      const flaps: Record<string, number> = { refuse: 0, hang: 0, '503': 0 };
      const end = Date.now() + FLAPPING_MS;
      let i = 0;
      while (Date.now() < end) {
        const f = faults[i++ % faults.length]!;
        proxy.set(f);
        flaps[f]!++;
        await sleep(PERIOD_MS / 2);
        proxy.set('pass');
        await sleep(PERIOD_MS / 2);
      }
      proxy.set('pass');
      await until(() => agent.status().spool.batches === 0, 30_000, 'spool drained after the flapping');
      await agent.stop(); // reports what is left (the hub is reachable)
      const made = await produced(agent);
      const stored = await ledger(t.hub.db);
      const st = agent.status();
      const counts = {
        flaps: i,
        refuse: flaps.refuse!,
        hang: flaps.hang!,
        p503: flaps['503']!,
        produced: made,
        stored: stored.items,
        lost: Math.max(0, made - stored.items),
        duplicated: Math.max(0, stored.items - made),
        batches: stored.seqs.length,
        transientErrors: st.reports.transientErrors,
        duplicateAcks: st.reports.duplicates,
        spoolDropped: st.spool.droppedItems,
      };
      reportFault('link_flapping', counts);

      expect(i).toBeGreaterThanOrEqual(3);
      expect(made).toBeGreaterThan(50);
      expect(st.reports.transientErrors).toBeGreaterThan(0); // the faults were met
      expect(stored.refused).toBe(0);
      expect(stored.items, '0 lost, 0 duplicated').toBe(made);
      expect(gapless(stored.seqs), `seqs ${stored.seqs.join(',')}`).toBe(true);
      expect(st.spool).toMatchObject({ batches: 0, droppedBatches: 0 });
      expect(text.join('\n')).not.toContain('S3cret-cam-pw!');
    },
    FLAPPING_MS + 90_000,
  );
});
