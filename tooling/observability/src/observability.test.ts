import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const here = join(dirname(fileURLToPath(import.meta.url)), '../../../infra/observability');
const RULES = join(here, 'prometheus', 'slo-rules.yaml');
const RULE_TESTS = join(here, 'prometheus', 'slo-rules.test.yaml');
const COLLECTOR = join(here, 'otel-collector.yaml');
const DASHBOARD = join(here, 'grafana', 'where2eat.json');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface RuleTests {
  rule_files: string[];
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }>;
  }>;
}

const rulesFile = parse(readFileSync(RULES, 'utf8')) as RulesFile;
const rules = rulesFile.groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert !== undefined);

const promtoolBinary = systemBinary('promtool');

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtoolBinary.path ?? 'promtool', args, {
    cwd: join(here, 'prometheus'),
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** Metric names a PromQL expression reads (label matchers, grouping and functions removed). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/([A-Za-z_:][\w:]*)\s*(\()?/g)) {
    const [, name, call] = match;
    if (!name || call || PROMQL_WORDS.has(name)) continue;
    names.add(name);
  }
  return [...names];
}

describe.skipIf(promtoolBinary.skipReason)('SLO rules (promtool)', { timeout: 120_000 }, () => {
  it('are a valid Prometheus rules file', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(status).toBe(0);
  });

  it('pass their unit tests on synthetic series', () => {
    const { status, output } = promtool('test', 'rules', RULE_TESTS);
    expect(output).toContain('SUCCESS');
    expect(output).not.toContain('FAILED');
    expect(status).toBe(0);
  });
});

describe('SLO rules', () => {
  it('has unit tests in which every alert both fires and stays quiet', () => {
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['slo-rules.yaml']);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert.alert} fires somewhere`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert.alert} stays quiet somewhere`,
      ).toBe(true);
    }
  });

  it('alerts on two windows per burn rate: 1h/5m at 14.4x pages, 6h/30m at 6x tickets', () => {
    const burnAlerts = alerts.filter((a) => a.labels?.burn_rate !== undefined);
    expect(burnAlerts.map((a) => a.alert).sort()).toEqual([
      'Where2eatAvailabilityFastBurn',
      'Where2eatAvailabilitySlowBurn',
      'Where2eatRecommendationLatencyFastBurn',
      'Where2eatRecommendationLatencySlowBurn',
    ]);
    const budgets: Record<string, string> = {
      'where2eat-availability': '0.001',
      'where2eat-recommendation-latency': '0.05',
    };
    for (const alert of burnAlerts) {
      const fast = alert.alert?.endsWith('FastBurn');
      const [factor, long, short, severity] = fast
        ? ['14.4', '1h', '5m', 'page']
        : ['6', '6h', '30m', 'ticket'];
      const slo = alert.labels?.slo ?? '';
      const budget = budgets[slo];
      expect(budget, `${alert.alert} names a known slo`).toBeDefined();
      const compact = alert.expr.replace(/\s+/g, ' ').trim();
      expect(compact).toBe(
        `slo:sli_error:ratio_rate${long}{slo="${slo}"} > (${factor} * ${budget}) and slo:sli_error:ratio_rate${short}{slo="${slo}"} > (${factor} * ${budget})`,
      );
      expect(alert.labels).toMatchObject({ severity, burn_rate: factor });
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.runbook_url).toMatch(/^docs\/slo\.md#/);
    }
  });

  it('alerts on missing data and outside failures: no metrics or a failing probe pages, a failing scrape tickets', () => {
    const other = alerts.filter((a) => a.labels?.burn_rate === undefined);
    expect(Object.fromEntries(other.map((a) => [a.alert, a.labels?.severity]))).toEqual({
      Where2eatMetricsAbsent: 'page',
      Where2eatScrapeFailing: 'ticket',
      Where2eatSyntheticProbeFailing: 'page',
      Where2eatTenantQuotaNearlyExhausted: 'ticket',
    });
    for (const alert of other) expect(alert.annotations?.runbook_url).toMatch(/^docs\/slo\.md#/);
  });

  it('reads the OpenTelemetry HTTP histogram by its Prometheus names and labels', () => {
    const inputs = new Set(rules.flatMap((rule) => metricNames(rule.expr)));
    expect(inputs).toContain('http_server_request_duration_seconds_count');
    expect(inputs).toContain('http_server_request_duration_seconds_bucket');
    const exprs = rules.map((rule) => rule.expr).join('\n');
    expect(exprs).toContain('http_route="/v1/groups/:groupId/recommendation"');
    expect(exprs).toContain('le="0.3"');
    expect(exprs).toContain('http_response_status_code=~"5.."');
    expect(exprs).toContain('service_name="where2eat"');
  });
});

describe('OpenTelemetry Collector config', () => {
  const config = parse(readFileSync(COLLECTOR, 'utf8')) as {
    receivers: Record<string, unknown>;
    processors: Record<string, Record<string, unknown>>;
    exporters: Record<string, Record<string, unknown>>;
    extensions: Record<string, unknown>;
    service: {
      extensions: string[];
      pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
    };
  };

  it('wires only declared components, memory_limiter first and batch last', () => {
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['metrics', 'traces']);
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const r of pipeline.receivers) expect(config.receivers, name).toHaveProperty([r]);
      for (const p of pipeline.processors) expect(config.processors, name).toHaveProperty([p]);
      for (const e of pipeline.exporters) expect(config.exporters, name).toHaveProperty([e]);
      expect(pipeline.processors[0]).toBe('memory_limiter');
      expect(pipeline.processors.at(-1)).toBe('batch');
    }
    for (const extension of config.service.extensions) {
      expect(config.extensions).toHaveProperty([extension]);
    }
    expect(config.service.pipelines.traces?.processors).toContain('tail_sampling');
    expect(config.receivers).toHaveProperty(['otlp']);
  });

  it('tail-samples every error and every trace slower than the latency SLO, plus a share of the rest', () => {
    const policies = config.processors.tail_sampling?.policies as Array<Record<string, unknown>>;
    expect(policies).toContainEqual(
      expect.objectContaining({ type: 'status_code', status_code: { status_codes: ['ERROR'] } }),
    );
    expect(policies).toContainEqual(
      expect.objectContaining({ type: 'latency', latency: { threshold_ms: 300 } }),
    );
    const baseline = policies.find((policy) => policy.type === 'probabilistic') as {
      probabilistic: { sampling_percentage: number };
    };
    expect(baseline.probabilistic.sampling_percentage).toBeGreaterThan(0);
    expect(baseline.probabilistic.sampling_percentage).toBeLessThan(100);
    // The SLO threshold in the rules is the same 300 ms.
    expect(rules.map((rule) => rule.expr).join('\n')).toContain('le="0.3"');
  });

  it('exposes metrics to Prometheus with unit suffixes and the service_name label the rules select on', () => {
    expect(config.exporters.prometheus).toMatchObject({ add_metric_suffixes: true });
    const statements = JSON.stringify(config.processors['transform/service-labels']);
    expect(statements).toContain(
      'set(attributes[\\"service_name\\"], resource.attributes[\\"service.name\\"])',
    );
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    title: string;
    templating: { list: Array<{ name: string; type: string }> };
    panels: Array<{ id: number; type: string; title: string; targets?: Array<{ expr: string }> }>;
  };
  const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((t) => t.expr);

  it('is a dashboard with unique panel ids and a Prometheus datasource variable', () => {
    expect(dashboard.uid).toBe('where2eat-red-slo');
    expect(dashboard.title).toContain('where2eat');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    expect(queries.length).toBeGreaterThanOrEqual(10);
  });

  it('queries only metrics that the rules file records or reads', () => {
    const known = new Set([
      ...rules.flatMap((rule) => (rule.record ? [rule.record] : [])),
      ...rules.flatMap((rule) => metricNames(rule.expr)),
    ]);
    const used = new Set(queries.flatMap(metricNames));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    // RED and the burn rates of both SLOs are on it.
    expect(used).toContain('http_server_request_duration_seconds_count');
    expect(used).toContain('slo:error_budget:ratio');
    for (const window of ['5m', '1h', '30m', '6h']) {
      expect(used).toContain(`slo:sli_error:ratio_rate${window}`);
    }
    const all = queries.join('\n');
    expect(all).toContain('slo="where2eat-availability"');
    expect(all).toContain('slo="where2eat-recommendation-latency"');
  });

  it('extracts metric names from PromQL the way the check above relies on', () => {
    expect(
      metricNames(
        'sum by (http_route) (rate(http_server_request_duration_seconds_count{service_name="$service", http_route=~"/a|b"}[$__rate_interval])) / on (slo) group_left slo:error_budget:ratio',
      ).sort(),
    ).toEqual(['http_server_request_duration_seconds_count', 'slo:error_budget:ratio']);
  });
});

// The app template's own rules, tests and dashboard (templates/app-template/ops): gen:app writes
// them for every new app with its name, so they are checked here as they stand.
describe('the SLO rules and dashboard of the app template', () => {
  const ops = join(dirname(fileURLToPath(import.meta.url)), '../../../templates/app-template/ops');
  const template = parse(
    readFileSync(join(ops, 'app-template-slo-rules.yaml'), 'utf8'),
  ) as RulesFile;
  const templateRules = template.groups.flatMap((group) => group.rules);
  const templateAlerts = templateRules.filter((rule) => rule.alert !== undefined);

  it.skipIf(promtoolBinary.skipReason)('passes promtool check rules and its unit tests', () => {
    const run = (...args: string[]) => {
      const result = spawnSync(promtoolBinary.path ?? 'promtool', args, {
        cwd: ops,
        encoding: 'utf8',
      });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const check = run('check', 'rules', 'app-template-slo-rules.yaml');
    expect(check.status, check.output).toBe(0);
    const tests = run('test', 'rules', 'app-template-slo-rules.test.yaml');
    expect(tests.status, tests.output).toBe(0);
  });

  it('names, labels and links every alert for the app alone', () => {
    expect(templateAlerts.map((a) => a.alert).sort()).toEqual([
      'AppTemplateAvailabilityFastBurn',
      'AppTemplateAvailabilitySlowBurn',
      'AppTemplateMetricsAbsent',
      'AppTemplateScrapeFailing',
      'AppTemplateSyntheticProbeFailing',
    ]);
    for (const alert of templateAlerts) {
      expect(alert.annotations?.runbook_url, alert.alert).toBe(
        'apps/app-template/docs/runbook.md#alerts',
      );
      expect(JSON.stringify(alert), alert.alert).not.toContain('where2eat');
      expect(alert.labels?.severity, alert.alert).toMatch(/^(page|ticket)$/);
    }
    for (const rule of templateRules) {
      if (rule.expr.includes('service_name='))
        expect(rule.expr).toContain('service_name="app-template"');
    }
  });

  it('has a dashboard that queries only what the rules record or read', () => {
    const board = JSON.parse(readFileSync(join(ops, 'app-template.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ id: number; targets?: Array<{ expr: string }> }>;
    };
    expect(board.uid).toBe('app-template-red-slo');
    const ids = board.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const known = new Set([
      ...templateRules.flatMap((rule) => (rule.record ? [rule.record] : [])),
      ...templateRules.flatMap((rule) => metricNames(rule.expr)),
    ]);
    const queries = board.panels.flatMap((panel) => panel.targets ?? []).map((t) => t.expr);
    const used = new Set(queries.flatMap(metricNames));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    expect(queries.join('\n')).toContain('slo="app-template-availability"');
  });
});
