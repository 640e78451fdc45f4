/**
 * deploy/monitoring/ names metrics; a rename in the code would silently empty a dashboard panel
 * or disarm an alert. Every metric named in the alert rules and the Grafana dashboard must be
 * exported by /metrics of a running server, and the five alerts of the design must exist.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRICS_AUTH, startTestApp, type TestApp } from '../support/app.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { metricNamesIn } from './promql.ts';

const MONITORING = path.join(REPO_ROOT, 'deploy', 'monitoring');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string; labels?: { severity?: string } }[] }[];
}

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { query?: unknown }[] };
}

let app: TestApp;
/** Metric family name → its TYPE line's type. */
let exported: Map<string, string>;
let rules: RuleFile;
let dashboard: Dashboard;

beforeAll(async () => {
  app = await startTestApp();
  const text = await (await fetch(`${app.baseUrl}/metrics`, { headers: METRICS_AUTH })).text();
  exported = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
  rules = parse(await readFile(path.join(MONITORING, 'prometheus-alerts.yml'), 'utf8')) as RuleFile;
  dashboard = JSON.parse(await readFile(path.join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
});

afterAll(async () => {
  await app?.close();
});

/** `name_bucket` / `_count` / `_sum` belong to the histogram `name`. */
function expectExported(metric: string, where: string): void {
  const histogram = /^(.*)_(bucket|count|sum)$/.exec(metric);
  if (histogram && exported.get(histogram[1]!) === 'histogram') return;
  expect([...exported.keys()], `${where} names ${metric}`).toContain(metric);
}

describe('deploy/monitoring', () => {
  it('has the design\'s five alerts, each with a severity', () => {
    const alerts = rules.groups.flatMap((group) => group.rules);
    const names = alerts.map((rule) => rule.alert);
    for (const name of ['HighErrorRate', 'LowCacheHitRate', 'SlowTransforms', 'QueueBacklog', 'QuotaExhausted']) expect(names).toContain(name);
    for (const rule of alerts) expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
  });

  it('alerts only on metrics the server exports', () => {
    const alerts = rules.groups.flatMap((group) => group.rules);
    for (const rule of alerts) {
      const names = metricNamesIn(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expectExported(name, `alert ${rule.alert}`);
    }
  });

  it('charts only metrics the server exports', () => {
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) for (const name of metricNamesIn(target.expr)) expectExported(name, `panel "${panel.title}"`);
    }
    for (const variable of dashboard.templating.list) {
      if (typeof variable.query !== 'string' || !variable.query.startsWith('label_values(')) continue;
      for (const name of metricNamesIn(variable.query)) expectExported(name, 'dashboard variable');
    }
  });

  it('exports each operational metric of issue 12 with the labels the rules use', () => {
    for (const name of [
      'imgplane_transforms_in_flight',
      'imgplane_transforms_queued',
      'imgplane_http_throttled_total',
      'imgplane_cache_entries',
      'imgplane_cache_bytes',
      'imgplane_storage_operation_duration_seconds',
      'imgplane_outbox_lag_seconds',
      'imgplane_outbox_events_total',
      'imgplane_worker_jobs_total',
      'imgplane_db_pool_clients',
    ]) {
      expect([...exported.keys()]).toContain(name);
    }
  });
});

describe('metricNamesIn', () => {
  it('finds metric names and ignores functions, labels, durations and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, backend) (rate(a_seconds_bucket{instance=~"$instance", x="y"}[$__rate_interval]))) / ignoring(x) b_total > 2 or on(instance) max(c)',
      ).sort(),
    ).toEqual(['a_seconds_bucket', 'b_total', 'c']);
    expect(metricNamesIn('label_values(d_count, instance)')).toEqual(['d_count']);
    expect(metricNamesIn('1 - sum(increase(e_total[15m])) < 0.7')).toEqual(['e_total']);
  });
});
