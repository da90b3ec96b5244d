/**
 * The agent against the REAL hub (in-process, PGlite), with the network between them failing:
 * a TCP proxy on loopback (test/support/fault-proxy.ts) passes, hangs (accepts and forwards
 * nothing: the agent's deadline fires), answers 503 itself, or refuses connections. The hub's
 * own ledger (ingest_batches) decides what arrived: every result the agent produced is counted
 * there exactly once, the batch seqs have no gap, and the hub answered no replay as new.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS, type AgentConfig } from '../../edge-agent/config.ts';
import { FakeProbe, tmpDir } from '../agent-runtime/harness.ts';
import { captureLog } from '../agent-runtime/fixtures.ts';
import { startProxy } from '../support/fault-proxy.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function ledger(t: TestHub) {
  const rows = await t.hub.db.query<{ seq: string; accepted: number; refused: number }>(
    `select seq::text, accepted, refused from ingest_batches where agent_id = $1 order by ingest_batches.seq`,
    [AGENT_A.id],
  );
  return rows.map((r) => ({ seq: Number(r.seq), items: r.accepted + r.refused }));
}

describe('agent vs. a real hub behind a failing network (1 cycle = 100 ms)', () => {
  it('slow, 503, refused, then back: every result in the hub ledger exactly once, seqs without a gap', async () => {
    const t = await startTestHub('pglite');
    cleanup.push(() => t.close());
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const proxy = await startProxy((t.hub.app.server.address() as AddressInfo).port);
    cleanup.push(() => proxy.close());

    const probe = new FakeProbe();
    const config: AgentConfig = {
      ...DEFAULTS,
      hubUrl: proxy.url,
      token: AGENT_A.token,
      dataDir: tmpDir(),
      cycleMs: 100,
      probeTimeoutMs: 50,
      assignmentPollMs: 200,
      reportFlushMs: 50,
      hubTimeoutMs: 300,
      retryBaseMs: 50,
      retryMaxMs: 200,
      metricsPort: 0,
      shutdownGraceMs: 2000,
    };
    const cap = captureLog('agent');
    const agent = new Agent(config, { probe: probe.probe, log: cap.log });
    cleanup.push(() => agent.stop());
    await agent.start();
    expect(agent.status().cameras).toBeGreaterThan(0); // the real hub's assignment for agent-a
    await until(async () => (await ledger(t)).length >= 3, 10_000, 'first batches in the ledger');

    const errors = () => agent.status().reports.transientErrors;
    proxy.set('hang');
    await until(() => errors() >= 1, 10_000, 'a deadline fired');
    proxy.set('503');
    const e1 = errors();
    await until(() => errors() > e1, 10_000, 'a 503 counted');
    proxy.set('refuse');
    const e2 = errors();
    await until(() => errors() > e2 && agent.status().spool.batches > 5, 10_000, 'spooling while refused');
    proxy.set('pass');
    await until(() => agent.status().spool.batches === 0, 15_000, 'spool drained');
    await agent.stop();
    expect(agent.status().spool).toMatchObject({ batches: 0, droppedBatches: 0 });

    const rows = await ledger(t);
    const seqs = rows.map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i)); // no gap, no repeat
    expect(rows.reduce((n, r) => n + r.items, 0)).toBe(probe.produced.length); // every result, once
    expect(agent.status().reports.rejected).toBe(0);
    expect(cap.text.join('\n')).not.toContain(AGENT_A.token);
  });
});
