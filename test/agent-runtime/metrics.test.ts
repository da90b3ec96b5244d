import { describe, expect, it } from 'vitest';
import { AgentMetrics, serveMetrics } from '../../edge-agent/metrics.ts';
import { AGENT_METRICS } from '../../src/metrics/agent-metric-names.ts';
import { result } from './fixtures.ts';

describe('agent metrics', () => {
  it('registers every metric the dashboards and alert rules expect, with their type and labels', async () => {
    const m = new AgentMetrics(() => ({ bytes: 123, batches: 4, items: 40, droppedBatches: 0, droppedItems: 0, corruptLines: 0 }));
    const all = await m.registry.getMetricsAsJSON();
    for (const spec of AGENT_METRICS) {
      const got = all.find((x) => x.name === spec.name);
      expect(got, spec.name).toBeDefined();
      expect(String(got!.type), spec.name).toBe(spec.type);
    }
    m.recordProbe(result('C1', 0, 'unreachable'));
    m.recordCycle({ cycle: 0, startedAt: 0, due: 10, started: 8, skippedBusy: 1, carried: 2, durationMs: 31_000 });
    const srv = await serveMetrics(m.registry, 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${srv.port}/metrics`)).text();
      expect(text).toContain('sharpeyes_agent_probes_total{rung="tcp",outcome="timeout"} 1');
      expect(text).toContain('sharpeyes_agent_spool_bytes 123');
      expect(text).toContain('sharpeyes_agent_spool_batches 4');
      expect(text).toContain('sharpeyes_agent_cycle_overrun_total 1');
      expect(text).toContain('sharpeyes_agent_cycle_duration_seconds_count 1');
      expect((await fetch(`http://127.0.0.1:${srv.port}/other`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
});
