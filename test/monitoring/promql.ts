/**
 * The metric names a PromQL expression reads: enough of PromQL to check dashboards and alert
 * rules against /metrics (label matchers, ranges, grouping clauses, strings, numbers, functions,
 * keywords and Grafana variables are not metric names).
 */
const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'group', 'count_values',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'abs', 'ceil', 'floor', 'round',
  'clamp', 'clamp_min', 'clamp_max', 'vector', 'scalar', 'time', 'absent', 'absent_over_time', 'label_replace',
  'label_join', 'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
  'changes', 'resets', 'sort', 'sort_desc', 'predict_linear', 'label_values', 'query_result',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool',
]);

export function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\{?[A-Za-z_]+\}?/g, ''); // Grafana variables
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const token = match[0];
    const rest = stripped.slice(match.index + token.length);
    // label_values(metric, label): the label after the comma is not a metric.
    if (FUNCTIONS_AND_KEYWORDS.has(token) || /^\s*\)/.test(rest) && /,\s*$/.test(stripped.slice(0, match.index))) continue;
    names.add(token);
  }
  return [...names];
}
