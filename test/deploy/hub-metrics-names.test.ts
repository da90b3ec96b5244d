/**
 * Every metric a dashboard or rule queries is on a real hub's /metrics (declared with
 * # TYPE, and with samples where the hub has data), not only on the fake source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSampleNames } from '../../src/metrics/agent-metric-names.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { alive, batch, post, result } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { expressions, PROMETHEUS_BUILTINS, recorded } from './deploy-files.ts';

describe('the hub serves what the dashboards query', () => {
  let t: TestHub;
  let text = '';
  beforeAll(async () => {
    t = await startTestHub('pglite');
    const now = Date.now();
    // c01 alive (M = 2 successes, 30 s apart → online); c02 one auth failure (< N = 3 → unknown)
    await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', now), result('c02', now, 'auth_failed')]));
    text = (await t.hub.app.inject({ method: 'GET', url: '/metrics' })).body;
  });
  afterAll(async () => t.close());

  it('renders Prometheus text with real values', () => {
    // online / (online + offline) = 1 / (1 + 0) = 1 (c02 is unknown, not offline)
    expect(text).toMatch(/^sharpeyes_county_online_ratio 1$/m);
    // (online + offline) / total = (1 + 0) / 10 cameras = 0.1
    expect(text).toMatch(/^sharpeyes_county_coverage_ratio 0\.1$/m);
    expect(text).toMatch(/^sharpeyes_probe_duration_seconds_count\{rung="onvif_auth",outcome="auth"\} 1$/m);
    // 2 (c01) + 1 (c02) items accepted
    expect(text).toMatch(/^sharpeyes_ingest_items_total 3$/m);
    expect(text).not.toMatch(/sharpeyes_camera_up/); // camera-level series off by default
  });

  it('every name in every PromQL expression is declared by the hub, the agent, Prometheus or a rule', () => {
    const declared = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      declared.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) declared.add(m[1]! + s);
    }
    for (const n of agentSampleNames()) declared.add(n);
    for (const n of PROMETHEUS_BUILTINS) declared.add(n);
    for (const n of recorded) declared.add(n);
    const missing = expressions().flatMap((e) => e.names.filter((n) => !declared.has(n)).map((n) => `${e.where}: ${n}`));
    expect(missing).toEqual([]);
  });
});
