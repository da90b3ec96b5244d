import { describe, expect, it } from 'vitest';
import { metricNamesInPromQL, metricNamesInVariableQuery } from './promql-names.ts';

describe('metricNamesInPromQL', () => {
  it('keeps metric names, drops functions, labels, ranges and grouping clauses', () => {
    expect(metricNamesInPromQL('histogram_quantile(0.95, sum by (le, rung) (rate(sharpeyes_probe_duration_seconds_bucket{job="hub"}[$__rate_interval])))')).toEqual([
      'sharpeyes_probe_duration_seconds_bucket',
    ]);
  });

  it('vector matching with on/group_left and a join metric', () => {
    expect(metricNamesInPromQL('sort(max by (town, name) (sharpeyes_town_online_ratio * on (town) group_left (name) sharpeyes_town_info))')).toEqual([
      'sharpeyes_town_info',
      'sharpeyes_town_online_ratio',
    ]);
  });

  it('recording-rule names, offsets, bool, keywords and numbers', () => {
    expect(metricNamesInPromQL('county:x:sum > bool (county:x:sum offset 1h) and up == 0 or vector(1e3) unless foo_total @ 1700000000')).toEqual([
      'county:x:sum',
      'foo_total',
      'up',
    ]);
  });

  it('strings and Grafana variables are not names; a metric after `by` clause is', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana ${b} variable inside PromQL, not a template literal
    expect(metricNamesInPromQL('label_replace(sum(a_total) by (town), "dst", "$1", "town", "(.*)") / ${b} + $c')).toEqual(['a_total']);
    expect(metricNamesInPromQL('bottomk(10, max by (grid) (sharpeyes_grid_online_ratio{town="$town"}))')).toEqual(['sharpeyes_grid_online_ratio']);
  });

  it('variable queries', () => {
    expect(metricNamesInVariableQuery('label_values(sharpeyes_town_info{job="hub"}, town)')).toEqual(['sharpeyes_town_info']);
    expect(metricNamesInVariableQuery('label_values(town)')).toEqual([]);
    expect(metricNamesInVariableQuery('query_result(sharpeyes_town_info)')).toEqual(['sharpeyes_town_info']);
  });
});
