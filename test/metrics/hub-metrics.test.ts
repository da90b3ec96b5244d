import { describe, expect, it } from 'vitest';
import { createHubMetrics } from '../../src/metrics/hub-metrics.ts';
import type { StateCounts } from '../../src/core/model.ts';
import type { GridMetricsRow, HubMetricsSource, TownMetricsRow } from '../../src/metrics/source.ts';
import { find, parseExposition, value } from './parse-exposition.ts';

const counts = (online: number, offline: number, unknown = 0, maintenance = 0): StateCounts => ({ online, offline, unknown, maintenance });

function grid(g: string, town: string, c: StateCounts, kind: GridMetricsRow['kind'] = 'urban', today: [number, number] = [0, 0]): GridMetricsRow {
  return { grid: g, town, kind, counts: c, todayOnlineMs: today[0], todayMonitoredMs: today[1] };
}

function town(t: string, c: StateCounts, extra: Partial<TownMetricsRow> = {}): TownMetricsRow {
  return { town: t, name: `name of ${t}`, counts: c, todayOnlineMs: 0, todayMonitoredMs: 0, clockMeasured: 0, clockDrifting: 0, ...extra };
}

function source(over: Partial<HubMetricsSource> = {}): HubMetricsSource {
  return {
    grids: () => [],
    towns: () => [],
    agents: () => [],
    tickets: () => [],
    ingest: () => ({ batches: 0, duplicateBatches: 0, items: 0, refusedItems: 0, badRequests: 0 }),
    drainRungLatencies: () => [],
    drainRepairSeconds: () => [],
    viewers: () => 0,
    now: () => 1_000_000,
    ...over,
  };
}

async function scrape(src: HubMetricsSource, opts: Parameters<typeof createHubMetrics>[1] = {}) {
  const m = createHubMetrics(src, { processMetrics: false, ...opts });
  return parseExposition(await m.render());
}

describe('online rates', () => {
  it('3 online 1 offline → 0.75 at grid, town, county and kind level', async () => {
    const p = await scrape(
      source({
        grids: () => [grid('G1', 'T1', counts(3, 1, 2, 1), 'rural')],
        towns: () => [town('T1', counts(3, 1, 2, 1))],
      }),
    );
    expect(value(p, 'sharpeyes_grid_online_ratio', { grid: 'G1', town: 'T1', kind: 'rural' })).toBe(0.75);
    expect(value(p, 'sharpeyes_town_online_ratio', { town: 'T1' })).toBe(0.75);
    expect(value(p, 'sharpeyes_county_online_ratio')).toBe(0.75);
    expect(value(p, 'sharpeyes_kind_online_ratio', { kind: 'rural' })).toBe(0.75);
    // coverage = (online+offline)/total, maintenance included in the total (DESIGN.md, as the REST API)
    expect(value(p, 'sharpeyes_county_coverage_ratio')).toBeCloseTo(4 / 7, 12);
    expect(value(p, 'sharpeyes_town_coverage_ratio', { town: 'T1' })).toBeCloseTo(4 / 7, 12);
    expect(value(p, 'sharpeyes_cameras', { state: 'unknown' })).toBe(2);
    expect(value(p, 'sharpeyes_town_cameras', { town: 'T1', state: 'maintenance' })).toBe(1);
    expect(value(p, 'sharpeyes_grid_offline_cameras', { grid: 'G1' })).toBe(1);
  });

  it('county and kind roll up counts, not averages of ratios', async () => {
    const p = await scrape(
      source({
        grids: () => [grid('G1', 'T1', counts(1, 0), 'urban'), grid('G2', 'T2', counts(1, 3), 'urban'), grid('G3', 'T2', counts(5, 5), 'dedicated')],
        towns: () => [town('T1', counts(1, 0)), town('T2', counts(6, 8))],
      }),
    );
    expect(value(p, 'sharpeyes_county_online_ratio')).toBeCloseTo(7 / 15, 12);
    expect(value(p, 'sharpeyes_kind_online_ratio', { kind: 'urban' })).toBeCloseTo(2 / 5, 12);
    expect(value(p, 'sharpeyes_kind_online_ratio', { kind: 'dedicated' })).toBe(0.5);
    expect(find(p, 'sharpeyes_kind_online_ratio', { kind: 'rural' })).toHaveLength(0);
    expect(find(p, 'sharpeyes_grid_offline_cameras', { grid: 'G1' })).toHaveLength(0);
  });

  it('no evidence: the rate series is absent (not NaN) and coverage shows 0', async () => {
    const p = await scrape(
      source({
        grids: () => [grid('G1', 'T1', counts(0, 0, 5)), grid('G2', 'T1', counts(0, 0, 0, 2))],
        towns: () => [town('T1', counts(0, 0, 5, 2))],
      }),
    );
    expect(find(p, 'sharpeyes_grid_online_ratio')).toHaveLength(0);
    expect(find(p, 'sharpeyes_town_online_ratio')).toHaveLength(0);
    expect(find(p, 'sharpeyes_county_online_ratio')).toHaveLength(0);
    expect(find(p, 'sharpeyes_county_online_ratio_today')).toHaveLength(0);
    expect(value(p, 'sharpeyes_town_coverage_ratio', { town: 'T1' })).toBe(0);
    expect(value(p, 'sharpeyes_county_coverage_ratio')).toBe(0);
    expect(p.samples.some((s) => Number.isNaN(s.value))).toBe(false);
  });

  it('time-weighted today: Σ online ms / Σ monitored ms, per grid, town and county', async () => {
    const p = await scrape(
      source({
        grids: () => [grid('G1', 'T1', counts(1, 0), 'urban', [9_000, 10_000])],
        towns: () => [town('T1', counts(1, 0), { todayOnlineMs: 9_000, todayMonitoredMs: 10_000 }), town('T2', counts(1, 0), { todayOnlineMs: 1_000, todayMonitoredMs: 10_000 })],
      }),
    );
    expect(value(p, 'sharpeyes_grid_online_ratio_today', { grid: 'G1' })).toBe(0.9);
    expect(value(p, 'sharpeyes_town_online_ratio_today', { town: 'T2' })).toBe(0.1);
    expect(value(p, 'sharpeyes_county_online_ratio_today')).toBe(0.5);
  });

  it('reads the source at every scrape: a grid that disappears loses its series', async () => {
    let rows = [grid('G1', 'T1', counts(1, 1)), grid('G2', 'T1', counts(2, 0))];
    const m = createHubMetrics(source({ grids: () => rows }), { processMetrics: false });
    let p = parseExposition(await m.render());
    expect(find(p, 'sharpeyes_grid_online_ratio')).toHaveLength(2);
    rows = [grid('G2', 'T1', counts(1, 3))];
    p = parseExposition(await m.render());
    expect(find(p, 'sharpeyes_grid_online_ratio')).toHaveLength(1);
    expect(value(p, 'sharpeyes_grid_online_ratio', { grid: 'G2' })).toBe(0.25);
  });
});

describe('towns, clocks, tickets, agents, ingest', () => {
  it('clock consistency = 1 − drifting/measured; absent when nothing measured', async () => {
    const p = await scrape(source({ towns: () => [town('T1', counts(1, 0), { clockMeasured: 200, clockDrifting: 4 }), town('T2', counts(1, 0))] }), { driftThresholdMs: 1500 });
    expect(value(p, 'sharpeyes_town_clock_consistency_ratio', { town: 'T1' })).toBeCloseTo(0.98, 12);
    expect(value(p, 'sharpeyes_town_clock_drifting_cameras', { town: 'T1' })).toBe(4);
    expect(value(p, 'sharpeyes_town_clock_measured_cameras', { town: 'T1' })).toBe(200);
    expect(find(p, 'sharpeyes_town_clock_consistency_ratio', { town: 'T2' })).toHaveLength(0);
    expect(value(p, 'sharpeyes_clock_drift_threshold_seconds')).toBe(1.5);
  });

  it('town names with quotes, backslashes and newlines are escaped and round-trip', async () => {
    const name = '东平 "old" town\\x\nline2';
    const m = createHubMetrics(source({ towns: () => [town('T1', counts(1, 0), { name })] }), { processMetrics: false });
    for (let i = 0; i < 2; i++) {
      const p = parseExposition(await m.render());
      expect(find(p, 'sharpeyes_town_info')[0]?.labels).toEqual({ town: 'T1', name });
    }
  });

  it('tickets open and SLA-breached by town and class', async () => {
    const p = await scrape(
      source({
        tickets: () => [
          { town: 'T1', class: 'unreachable', open: 7, slaBreached: 2 },
          { town: 'T2', class: 'reported', open: 1, slaBreached: 0 },
        ],
      }),
    );
    expect(value(p, 'sharpeyes_tickets_open', { town: 'T1', class: 'unreachable' })).toBe(7);
    expect(value(p, 'sharpeyes_tickets_sla_breached', { town: 'T1', class: 'unreachable' })).toBe(2);
    expect(value(p, 'sharpeyes_tickets_open', { town: 'T2', class: 'reported' })).toBe(1);
  });

  it('agent report age from now(), +Inf for an agent that never reported', async () => {
    const p = await scrape(
      source({
        now: () => 500_000,
        agents: () => [
          { agent: 'a1', lastReportAt: 440_000, cameras: 120 },
          { agent: 'a2', lastReportAt: null, cameras: 0 },
        ],
      }),
    );
    expect(value(p, 'sharpeyes_agent_last_report_age_seconds', { agent: 'a1' })).toBe(60);
    expect(value(p, 'sharpeyes_agent_last_report_age_seconds', { agent: 'a2' })).toBe(Number.POSITIVE_INFINITY);
    expect(value(p, 'sharpeyes_agent_cameras', { agent: 'a1' })).toBe(120);
  });

  it('ingest counters mirror the cumulative values; viewers gauge', async () => {
    const ingest = { batches: 10, duplicateBatches: 1, items: 5000, refusedItems: 3, badRequests: 2 };
    let viewers = 4;
    const m = createHubMetrics(source({ ingest: () => ingest, viewers: () => viewers }), { processMetrics: false });
    let p = parseExposition(await m.render());
    expect(p.types.get('sharpeyes_ingest_items_total')).toBe('counter');
    expect(value(p, 'sharpeyes_ingest_batches_total')).toBe(10);
    expect(value(p, 'sharpeyes_ingest_duplicate_batches_total')).toBe(1);
    expect(value(p, 'sharpeyes_ingest_items_total')).toBe(5000);
    expect(value(p, 'sharpeyes_ingest_refused_items_total')).toBe(3);
    expect(value(p, 'sharpeyes_ingest_bad_requests_total')).toBe(2);
    expect(value(p, 'sharpeyes_live_viewers')).toBe(4);
    ingest.items = 7500;
    viewers = 0;
    p = parseExposition(await m.render());
    expect(value(p, 'sharpeyes_ingest_items_total')).toBe(7500);
    expect(value(p, 'sharpeyes_live_viewers')).toBe(0);
  });
});

describe('histograms', () => {
  it('probe latencies are drained once per scrape and accumulate into cumulative buckets', async () => {
    let pending: number[] = [0.004, 0.02, 0.02, 3];
    let drains = 0;
    const src = source({
      drainRungLatencies: () => {
        drains++;
        const out = pending.length ? [{ rung: 'rtsp' as const, outcome: 'ok' as const, seconds: pending }] : [];
        pending = [];
        return out;
      },
    });
    const m = createHubMetrics(src, { processMetrics: false });
    let p = parseExposition(await m.render());
    expect(drains).toBe(1);
    const lbl = { rung: 'rtsp', outcome: 'ok' };
    expect(value(p, 'sharpeyes_probe_duration_seconds_count', lbl)).toBe(4);
    expect(value(p, 'sharpeyes_probe_duration_seconds_sum', lbl)).toBeCloseTo(3.044, 12);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '0.005' })).toBe(1);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '0.025' })).toBe(3);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '2.5' })).toBe(3);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '5' })).toBe(4);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '+Inf' })).toBe(4);

    // second scrape: nothing new drained, nothing counted twice
    p = parseExposition(await m.render());
    expect(drains).toBe(2);
    expect(value(p, 'sharpeyes_probe_duration_seconds_count', lbl)).toBe(4);

    // third scrape: new values add on
    pending = [0.01];
    p = parseExposition(await m.render());
    expect(value(p, 'sharpeyes_probe_duration_seconds_count', lbl)).toBe(5);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { ...lbl, le: '0.01' })).toBe(2);
  });

  it('buckets are cumulative and end at +Inf = count', async () => {
    const m = createHubMetrics(source({ drainRungLatencies: () => [{ rung: 'tcp', outcome: 'timeout', seconds: [0.001, 0.2, 0.3, 11, 60] }] }), { processMetrics: false });
    const p = parseExposition(await m.render());
    const buckets = find(p, 'sharpeyes_probe_duration_seconds_bucket', { rung: 'tcp' });
    const vals = buckets.map((b) => b.value);
    expect(vals).toEqual([...vals].sort((a, b) => a - b));
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(5);
    expect(value(p, 'sharpeyes_probe_duration_seconds_bucket', { rung: 'tcp', le: '10' })).toBe(3);
  });

  it('time to repair by town and class from drainRepairSeconds', async () => {
    let once = true;
    const m = createHubMetrics(
      source({
        drainRepairSeconds: () => {
          if (!once) return [];
          once = false;
          return [
            { town: 'T1', class: 'unreachable', seconds: 3000 },
            { town: 'T1', class: 'unreachable', seconds: 90_000 },
            { town: 'T2', class: 'auth_failed', seconds: 600 },
          ];
        },
      }),
      { processMetrics: false },
    );
    await m.render();
    const p = parseExposition(await m.render());
    expect(value(p, 'sharpeyes_ticket_repair_seconds_count', { town: 'T1', class: 'unreachable' })).toBe(2);
    expect(value(p, 'sharpeyes_ticket_repair_seconds_bucket', { town: 'T1', class: 'unreachable', le: '3600' })).toBe(1);
    expect(value(p, 'sharpeyes_ticket_repair_seconds_bucket', { town: 'T1', class: 'unreachable', le: '86400' })).toBe(1);
    expect(value(p, 'sharpeyes_ticket_repair_seconds_bucket', { town: 'T2', class: 'auth_failed', le: '900' })).toBe(1);
  });
});

describe('exposition', () => {
  const cams = () => [
    { camera: 'C1', grid: 'G1', town: 'T1', state: 'online' as const },
    { camera: 'C2', grid: 'G1', town: 'T1', state: 'offline' as const },
    { camera: 'C3', grid: 'G1', town: 'T1', state: 'unknown' as const },
  ];

  it('no camera-level series by default', async () => {
    const p = await scrape(source({ cameras: cams }));
    expect(find(p, 'sharpeyes_camera_up')).toHaveLength(0);
    expect(p.types.has('sharpeyes_camera_up')).toBe(false);
  });

  it('camera_up with cameraSeries: 1 online, 0 offline, unknown absent', async () => {
    const p = await scrape(source({ cameras: cams }), { cameraSeries: true });
    expect(value(p, 'sharpeyes_camera_up', { camera: 'C1', grid: 'G1', town: 'T1' })).toBe(1);
    expect(value(p, 'sharpeyes_camera_up', { camera: 'C2' })).toBe(0);
    expect(find(p, 'sharpeyes_camera_up', { camera: 'C3' })).toHaveLength(0);
  });

  it('default process metrics carry the prefix; every family is sharpeyes_*; content type is text 0.0.4', async () => {
    const m = createHubMetrics(source());
    const p = parseExposition(await m.render());
    expect(m.contentType).toContain('text/plain; version=0.0.4');
    expect(p.types.get('sharpeyes_process_cpu_seconds_total')).toBe('counter');
    expect(p.types.has('sharpeyes_process_resident_memory_bytes')).toBe(true);
    for (const name of p.types.keys()) expect(name.startsWith('sharpeyes_')).toBe(true);
  });

  it('getMetricsAsJSON sees the same labelled values', async () => {
    const m = createHubMetrics(source({ grids: () => [grid('G1', 'T1', counts(3, 1))], drainRungLatencies: () => [{ rung: 'tcp', outcome: 'ok', seconds: [0.002] }] }), {
      processMetrics: false,
    });
    const json = await m.registry.getMetricsAsJSON();
    const g = json.find((x) => x.name === 'sharpeyes_grid_online_ratio');
    expect(g?.values).toEqual([{ labels: { grid: 'G1', town: 'T1', kind: 'urban' }, value: 0.75 }]);
    const h = json.find((x) => x.name === 'sharpeyes_probe_duration_seconds');
    expect(h?.values.find((v) => v.labels.le === '0.005')).toMatchObject({ labels: { rung: 'tcp', outcome: 'ok', le: '0.005' }, value: 1 });
  });

  it('the reference-county fake source renders a parseable exposition of grid-level size', async () => {
    const { createFakeHubSource } = await import('../../src/metrics/fake-source.ts');
    const m = createHubMetrics(createFakeHubSource(), { processMetrics: false });
    const p = parseExposition(await m.render());
    expect(find(p, 'sharpeyes_grid_online_ratio')).toHaveLength(1730);
    expect(find(p, 'sharpeyes_town_online_ratio')).toHaveLength(14);
    // every (name, labels) pair is unique
    const keys = new Set(p.samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`));
    expect(keys.size).toBe(p.samples.length);
    expect(p.samples.length).toBeLessThan(10_000);
  });
});
