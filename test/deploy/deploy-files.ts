/** The deployment files the tests read: dashboards, rules, and every PromQL expression in them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { metricNamesInPromQL, metricNamesInVariableQuery } from './promql-names.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DASH_DIR = join(ROOT, 'dashboards');
export const RULES = join(ROOT, 'deploy', 'prometheus', 'rules.yml');
/** series Prometheus makes itself for every target */
export const PROMETHEUS_BUILTINS = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE'];

export interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
export interface Panel {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { links?: { url: string }[] }; overrides?: { properties: { id: string; value: unknown }[] }[] };
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; type: string; datasource?: { uid?: string }; query?: string | { query: string }; definition?: string }[] };
}

export const files = readdirSync(DASH_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
export const dashboards = files.map((f) => ({ file: f, d: JSON.parse(readFileSync(join(DASH_DIR, f), 'utf8')) as Dashboard }));

export function allPanels(ps: Panel[]): Panel[] {
  return ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export interface RuleGroup {
  name: string;
  rules: { record?: string; alert?: string; expr: string }[];
}
export const ruleGroups = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: RuleGroup[] }).groups;
export const recorded = new Set(ruleGroups.flatMap((g) => g.rules.map((r) => r.record).filter((x): x is string => !!x)));

/** every PromQL expression in the dashboards and rules, with where it is */
export function expressions(): { where: string; names: string[] }[] {
  const out: { where: string; names: string[] }[] = [];
  for (const { file, d } of dashboards) {
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file} / ${p.title} / ${t.refId}`, names: metricNamesInPromQL(t.expr) });
    }
    for (const v of d.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      out.push({ where: `${file} / $${v.name}`, names: metricNamesInVariableQuery(q) });
    }
  }
  for (const g of ruleGroups) for (const r of g.rules) out.push({ where: `rules.yml / ${r.record ?? r.alert}`, names: metricNamesInPromQL(r.expr) });
  return out;
}
