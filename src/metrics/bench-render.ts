/**
 * Render-time bench of the hub exporter over a reference-county-sized fake source
 * (1,730 grids × 14 towns). The lead's bench prints the median as `metrics.render_ms`.
 * Budget: < 10 ms.
 */
import { createFakeHubSource, type FakeSourceOptions } from './fake-source.ts';
import { createHubMetrics, type HubMetricsOptions } from './hub-metrics.ts';

export interface RenderBench {
  /** median ms of one render() */
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  runs: number;
  bytes: number;
  series: number;
}

export async function benchRender(opts: { runs?: number; warmup?: number; source?: FakeSourceOptions; metrics?: HubMetricsOptions } = {}): Promise<RenderBench> {
  const runs = Math.max(1, Math.min(opts.runs ?? 50, 1000));
  const warmup = Math.max(0, Math.min(opts.warmup ?? 10, 1000));
  const m = createHubMetrics(createFakeHubSource(opts.source), opts.metrics);
  let text = '';
  for (let i = 0; i < warmup; i++) text = await m.render();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    text = await m.render();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  let series = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) series++;
  return { medianMs: at(0.5), p95Ms: at(0.95), maxMs: times[times.length - 1] as number, runs, bytes: text.length, series };
}

/** median render ms: what the bench prints as `metrics.render_ms` */
export async function benchRenderMs(runs = 50): Promise<number> {
  return (await benchRender({ runs })).medianMs;
}
