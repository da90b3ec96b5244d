/**
 * The agent against the REAL hub (in-process, PGlite), with the network between them failing:
 * a TCP proxy on loopback passes, hangs (accepts and forwards nothing: the agent's deadline
 * fires), answers 503 itself, or refuses connections. The hub's own ledger (ingest_batches)
 * decides what arrived: every result the agent produced is counted there exactly once, the
 * batch seqs have no gap, and the hub answered no replay as new.
 */
import { createServer, type Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS, type AgentConfig } from '../../edge-agent/config.ts';
import { FakeProbe, tmpDir } from '../agent-runtime/harness.ts';
import { captureLog } from '../agent-runtime/fixtures.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';

type Mode = 'pass' | 'hang' | '503' | 'refuse';

/** A loopback TCP proxy in front of the hub whose failure mode can be switched. */
async function startProxy(target: number) {
  let mode: Mode = 'pass';
  const sockets = new Set<Socket>();
  const onConn = (c: Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    if (mode === 'hang') return; // accepted, nothing forwarded, nothing answered
    if (mode === '503') {
      c.once('data', () =>
        c.end('HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 27\r\nconnection: close\r\n\r\n{"message":"retry later"} \n'),
      );
      return;
    }
    const up = new Socket();
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
    up.connect(target, '127.0.0.1', () => {
      c.pipe(up);
      up.pipe(c);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
  };
  let server: Server = createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    set(m: Mode) {
      dropAll(); // the agent's kept-alive connections meet the new mode at once
      if (m === 'refuse' && mode !== 'refuse') server.close();
      if (m !== 'refuse' && mode === 'refuse') {
        server = createServer(onConn);
        server.listen(port, '127.0.0.1');
      }
      mode = m;
    },
    async close() {
      dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

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
