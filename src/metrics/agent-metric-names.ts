/**
 * The edge agent's own metrics (served on :9464/metrics), by name, type and labels.
 * The dashboards and alert rules are checked against this list (test/deploy), and
 * test/metrics/agent-metric-names.test.ts checks it against the agent's real registry
 * (edge-agent/metrics.ts), so a rename on either side fails a test.
 */
export interface AgentMetricSpec {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: readonly string[];
  help: string;
}

export const AGENT_METRIC_PREFIX = 'sharpeyes_agent_';

export const AGENT_METRICS = [
  { name: 'sharpeyes_agent_probes_total', type: 'counter', labels: ['rung', 'outcome'], help: 'Ladder rungs climbed, by rung and outcome.' },
  { name: 'sharpeyes_agent_probe_duration_seconds', type: 'histogram', labels: ['rung'], help: 'Duration of one ladder rung.' },
  { name: 'sharpeyes_agent_probe_errors_total', type: 'counter', labels: [], help: 'Probes that threw instead of returning a result.' },
  { name: 'sharpeyes_agent_reports_sent_total', type: 'counter', labels: [], help: 'Report batches acknowledged by the hub.' },
  { name: 'sharpeyes_agent_report_items_sent_total', type: 'counter', labels: [], help: 'Probe results in acknowledged batches.' },
  { name: 'sharpeyes_agent_report_errors_total', type: 'counter', labels: ['kind'], help: 'Failed report sends: transient (retried) or rejected.' },
  {
    name: 'sharpeyes_agent_report_items_refused_total',
    type: 'counter',
    labels: ['code'],
    help: 'Probe results the hub refused one by one, by code (invalid, future, unknown_camera, not_assigned).',
  },
  { name: 'sharpeyes_agent_hub_auth_refused', type: 'gauge', labels: [], help: '1 while the hub refuses the agent token (reports are spooled), else 0.' },
  { name: 'sharpeyes_agent_dead_letter_written_total', type: 'counter', labels: [], help: 'Batches the hub refused whole, written to the dead-letter folder.' },
  { name: 'sharpeyes_agent_dead_letter_dropped_batches_total', type: 'counter', labels: [], help: 'Dead-letter batches deleted because the folder was full.' },
  { name: 'sharpeyes_agent_dead_letter_dropped_items_total', type: 'counter', labels: [], help: 'Probe results in dead-letter batches deleted because the folder was full.' },
  { name: 'sharpeyes_agent_dead_letter_batches', type: 'gauge', labels: [], help: 'Batches in the dead-letter folder (replay with --replay-dead-letter).' },
  { name: 'sharpeyes_agent_dead_letter_bytes', type: 'gauge', labels: [], help: 'Bytes in the dead-letter folder.' },
  { name: 'sharpeyes_agent_spool_bytes', type: 'gauge', labels: [], help: 'Bytes in the on-disk spool.' },
  { name: 'sharpeyes_agent_spool_batches', type: 'gauge', labels: [], help: 'Unsent batches in the on-disk spool.' },
  { name: 'sharpeyes_agent_spool_dropped_batches_total', type: 'counter', labels: [], help: 'Batches dropped because the spool was full.' },
  { name: 'sharpeyes_agent_spool_dropped_items_total', type: 'counter', labels: [], help: 'Probe results in batches dropped from the full spool.' },
  {
    name: 'sharpeyes_agent_camera_busy_total',
    type: 'counter',
    labels: [],
    help: 'Ladder passes where the camera answered at its RTSP session limit (alive, no session free; counted online).',
  },
  { name: 'sharpeyes_agent_cameras_assigned', type: 'gauge', labels: [], help: 'Cameras this agent probes.' },
  { name: 'sharpeyes_agent_cycle_duration_seconds', type: 'histogram', labels: [], help: 'Probe cycle duration.' },
  { name: 'sharpeyes_agent_cycle_overrun_total', type: 'counter', labels: [], help: 'Cycles that could not start every due camera in time.' },
  { name: 'sharpeyes_agent_cycle_skipped_busy_total', type: 'counter', labels: [], help: 'Due probes skipped because the previous probe was still running.' },
] as const satisfies readonly AgentMetricSpec[];

export type AgentMetricName = (typeof AGENT_METRICS)[number]['name'];

export const AGENT_METRIC_NAMES: readonly AgentMetricName[] = AGENT_METRICS.map((m) => m.name);

/** the sample names Prometheus stores for these metrics (histograms → _bucket, _sum, _count) */
export function agentSampleNames(): string[] {
  const out: string[] = [];
  for (const m of AGENT_METRICS) {
    if (m.type === 'histogram') out.push(`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`);
    else out.push(m.name);
  }
  return out;
}
