/**
 * Pulls the metric names out of a PromQL expression (or a Grafana variable query), so
 * the deploy tests can check every name against what the exporters produce. Not a
 * PromQL parser: it removes what cannot be a metric name — strings, label matchers,
 * ranges, offsets, grouping clauses, numbers, function calls, keywords, Grafana
 * variables — and keeps the identifiers that are left.
 */

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'inf', 'nan', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

export function metricNamesInPromQL(expr: string): string[] {
  let s = expr;
  // Grafana variables: ${var}, ${var:format}, $var, $__rate_interval, [[var]]
  s = s
    .replace(/\$\{[^}]*\}/g, ' ')
    .replace(/\$\w+/g, ' ')
    .replace(/\[\[[^\]]*\]\]/g, ' ');
  // string literals (label values, label_replace arguments, regexes)
  s = s
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/`[^`]*`/g, ' ');
  // comments
  s = s.replace(/#[^\n]*/g, ' ');
  // label matchers, ranges and subqueries
  s = s.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  // offset / @ modifiers
  s = s.replace(/\boffset\s+-?[\w.]+/g, ' ').replace(/@\s*[\w.]+(\(\))?/g, ' ');
  // grouping and vector matching clauses, with their label lists
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  // numbers (and anything else that starts with a digit, e.g. 5m, 1e3, 0x1f)
  s = s.replace(/(^|[^\w:])\d[\w.]*/g, '$1 ');
  const names = new Set<string>();
  const re = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const rest = s.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // function or aggregation call
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** a Grafana Prometheus variable query: label_values(metric, label), query_result(expr), or PromQL */
export function metricNamesInVariableQuery(query: string): string[] {
  const q = query.trim();
  const lv = /^label_values\(\s*(.*?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s.exec(q);
  if (lv) return metricNamesInPromQL(lv[1] as string);
  if (/^label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/.test(q)) return [];
  if (/^(label_names|metrics)\(.*\)$/s.test(q)) return [];
  const qr = /^query_result\((.*)\)$/s.exec(q);
  if (qr) return metricNamesInPromQL(qr[1] as string);
  return metricNamesInPromQL(q);
}
