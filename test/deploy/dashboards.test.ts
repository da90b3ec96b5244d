/**
 * Dashboards and Prometheus rules against the metrics that exist.
 * Hub names come from createHubMetrics over a fake source with at least one row of
 * everything (the lead may later switch this to the demo hub's /metrics); agent names
 * from src/metrics/agent-metric-names.ts; recorded names from deploy/prometheus/rules.yml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { agentSampleNames } from '../../src/metrics/agent-metric-names.ts';
import { createFakeHubSource } from '../../src/metrics/fake-source.ts';
import { createHubMetrics } from '../../src/metrics/hub-metrics.ts';
import { parseExposition } from '../metrics/parse-exposition.ts';
import { allPanels, dashboards, expressions, files, PROMETHEUS_BUILTINS, recorded, ROOT, type Dashboard, type Panel } from './deploy-files.ts';

async function knownNames(): Promise<Set<string>> {
  const m = createHubMetrics(createFakeHubSource({ grids: 42, towns: 3 }), { cameraSeries: true, driftThresholdMs: 2000 });
  const text = await m.render();
  const names = new Set(parseExposition(text).samples.map((s) => s.name));
  for (const n of agentSampleNames()) names.add(n);
  for (const n of PROMETHEUS_BUILTINS) names.add(n);
  for (const n of recorded) names.add(n);
  return names;
}

describe('dashboards are valid Grafana JSON', () => {
  it('there are the four dashboards, with unique uids and titles', () => {
    expect(files).toEqual(['county-overview.json', 'system-health.json', 'ticket-operations.json', 'town-drilldown.json']);
    expect(new Set(dashboards.map((x) => x.d.uid)).size).toBe(4);
    expect(new Set(dashboards.map((x) => x.d.title)).size).toBe(4);
  });

  for (const { file, d } of dashboards) {
    it(`${file}: title, uid, schema, panels with targets on the provisioned datasource`, () => {
      expect(d.title).toMatch(/\S/);
      expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
      const panels = allPanels(d.panels).filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThanOrEqual(6);
      const ids = allPanels(d.panels).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panels) {
        expect(p.title, `${file} panel ${p.id}`).toMatch(/\S/);
        expect(p.datasource?.uid, `${file} / ${p.title}`).toBe('prometheus');
        expect(p.targets?.length ?? 0, `${file} / ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.expr, `${file} / ${p.title}`).toMatch(/\S/);
          expect(t.datasource?.uid, `${file} / ${p.title}`).toBe('prometheus');
        }
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${file} / ${p.title} refIds`).toBe(refIds.length);
      }
      for (const v of d.templating?.list ?? []) if (v.type === 'query') expect(v.datasource?.uid).toBe('prometheus');
    });

    it(`${file}: panels fit the 24-column grid and do not overlap`, () => {
      const boxes = allPanels(d.panels).map((p) => ({ t: p.title, ...(p.gridPos as NonNullable<Panel['gridPos']>) }));
      for (const b of boxes) {
        expect(b.w, b.t).toBeGreaterThan(0);
        expect(b.h, b.t).toBeGreaterThan(0);
        expect(b.x + b.w, b.t).toBeLessThanOrEqual(24);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i] as (typeof boxes)[number];
          const b = boxes[j] as (typeof boxes)[number];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${file}: "${a.t}" overlaps "${b.t}"`).toBe(false);
        }
      }
    });
  }

  it('links between dashboards point at dashboards that exist, with variables they define', () => {
    const byUid = new Map(dashboards.map((x) => [x.d.uid, x.d]));
    const links = JSON.stringify(dashboards.map((x) => x.d)).match(/\/d\/[a-zA-Z0-9_-]+\/[^"?]*\?[^"]*/g) ?? [];
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      const uid = (/^\/d\/([^/]+)\//.exec(l) as RegExpExecArray)[1] as string;
      const target = byUid.get(uid);
      expect(target, l).toBeDefined();
      for (const v of l.matchAll(/var-([a-zA-Z0-9_]+)=/g)) {
        expect(
          target?.templating?.list.map((x) => x.name),
          l,
        ).toContain(v[1]);
      }
    }
  });
});

describe('every metric in a PromQL expression exists', () => {
  it('dashboards and rules name only metrics the hub, the agent, Prometheus or a recording rule produce', async () => {
    const known = await knownNames();
    const missing: string[] = [];
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(60);
    for (const e of exprs) {
      expect(e.names.length, `${e.where}: no metric name found`).toBeGreaterThan(0);
      for (const n of e.names) if (!known.has(n)) missing.push(`${e.where}: ${n}`);
    }
    expect(missing).toEqual([]);
  });

  it('the known-name set really comes from the exporter (a made-up name is caught)', async () => {
    const known = await knownNames();
    expect(known.has('sharpeyes_grid_online_ratio')).toBe(true);
    expect(known.has('sharpeyes_ticket_repair_seconds_bucket')).toBe(true);
    expect(known.has('sharpeyes_ticket_repair_seconds')).toBe(false); // a histogram's bare name is no series
    expect(known.has('sharpeyes_agent_probes_total')).toBe(true);
    expect(known.has('sharpeyes_grid_online_rate')).toBe(false);
    expect(known.has('sharpeyes_camera_up')).toBe(true);
  });

  it('recording rules used by dashboards are defined in rules.yml', () => {
    const used = new Set(expressions().flatMap((e) => e.names.filter((n) => n.includes(':'))));
    expect(used.size).toBeGreaterThan(0);
    for (const n of used) expect(recorded, n).toContain(n);
  });

  it('the county overview shows the rate now and over time, towns, coverage, tickets and SLA breaches', () => {
    const county = dashboards.find((x) => x.d.uid === 'sharpeyes-county')?.d as Dashboard;
    const exprs = allPanels(county.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const joined = exprs.join('\n');
    for (const n of [
      'sharpeyes_county_online_ratio',
      'sharpeyes_town_online_ratio',
      'sharpeyes_county_coverage_ratio',
      'sharpeyes_tickets_open',
      'county:sharpeyes_tickets_sla_breached:sum',
    ]) {
      expect(joined).toContain(n);
    }
  });
});

describe('provisioning', () => {
  const ds = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const prov = parseYaml(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/sharpeyes.yaml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  };
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { volumes?: string[]; image?: string; network_mode?: string }>;
  };

  it('the datasource has the uid the dashboards use and points at the prometheus service', () => {
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' });
    expect(Object.keys(compose.services)).toContain('prometheus');
  });

  it('compose mounts dashboards/ where the provider reads, and the provisioning folder', () => {
    const path = prov.providers[0]?.options.path as string;
    const vols = compose.services.grafana?.volumes ?? [];
    expect(vols.some((v) => v.startsWith('./dashboards:') && v.split(':')[1] === path)).toBe(true);
    expect(vols.some((v) => v.startsWith('./deploy/grafana/provisioning:/etc/grafana/provisioning'))).toBe(true);
    expect((compose.services.prometheus?.volumes ?? []).some((v) => v.startsWith('./deploy/prometheus:/etc/prometheus'))).toBe(true);
    expect(compose.services['edge-agent']?.network_mode).toBe('host');
  });

  it('the example agent target file is a valid file_sd list', () => {
    const sd = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/agents/host-agent.yml.example'), 'utf8')) as {
      targets: string[];
      labels?: Record<string, string>;
    }[];
    expect(sd.length).toBeGreaterThan(0);
    for (const t of sd) {
      for (const x of t.targets) expect(x).toMatch(/^[\w.-]+:\d+$/);
      expect(t.labels?.agent).toMatch(/\S/);
    }
  });
});
