import { describe, expect, it } from 'vitest';
import { AgentMetrics } from '../../edge-agent/metrics.ts';
import { AGENT_METRICS, agentSampleNames } from '../../src/metrics/agent-metric-names.ts';

interface RegisteredMetric {
  name: string;
  type: string;
  labelNames?: string[];
}

describe('AGENT_METRICS matches the edge agent registry', () => {
  it('same names, types and label names as edge-agent/metrics.ts', () => {
    const m = new AgentMetrics(() => ({ bytes: 0, batches: 0 }) as never);
    const real = (m.registry.getMetricsAsArray() as unknown as RegisteredMetric[])
      .map((x) => ({ name: x.name, type: x.type, labels: [...(x.labelNames ?? [])].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const ours = AGENT_METRICS.map((x) => ({ name: x.name, type: x.type, labels: [...x.labels].sort() })).sort((a, b) => a.name.localeCompare(b.name));
    expect(ours).toEqual(real);
  });

  it('sample names expand histograms into _bucket/_sum/_count', () => {
    const names = agentSampleNames();
    expect(names).toContain('sharpeyes_agent_cycle_duration_seconds_bucket');
    expect(names).toContain('sharpeyes_agent_cycle_duration_seconds_count');
    expect(names).not.toContain('sharpeyes_agent_cycle_duration_seconds');
    expect(names).toContain('sharpeyes_agent_spool_bytes');
  });
});
