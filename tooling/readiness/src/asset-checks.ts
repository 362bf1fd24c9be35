import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { helmTemplateSync, validateDocuments } from '@micro-app/helm-tool';
import { parse } from 'yaml';
import { isMap, pick } from './apps.js';
import { fail, pass } from './result.js';
import type { AppInfo, CheckResult } from './types.js';

/** Where the shared assets live, relative to the repository root. */
export const CHART_DIR = 'infra/helm/micro-app';
export const APP_VALUES_DIR = 'infra/helm/values';
export const RULES_DIR = 'infra/observability/prometheus';

/** Helm's findings on one line: the schema errors, without the banner and hints. */
function helmReason(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(- |Error: )/.test(line))
    .map((line) => line.replace(/^- /, '').replace(/^Error: /, ''))
    .filter((line) => !/^values don't meet the specifications/.test(line))
    .join('; ');
}

/**
 * Chart values valid: real helm (v3, the line CI installs) renders the chart with
 * `infra/helm/values/<app>.yaml` alone and over `values-production.yaml` (as CD installs it),
 * which validates the values against `values.schema.json` and runs the chart's own checks,
 * and every rendered object validates against the schema of its kind.
 */
export function checkChartValues(app: AppInfo, root: string): CheckResult {
  const file = `${APP_VALUES_DIR}/${app.name}.yaml`;
  if (!existsSync(join(root, file))) return fail('chart-values', `${file} is missing`);
  const layers: Array<[string, string[]]> = [['chart defaults', [file]]];
  if (existsSync(join(root, CHART_DIR, 'values-production.yaml'))) {
    layers.push(['production', [`${CHART_DIR}/values-production.yaml`, file]]);
  }
  for (const [layer, valuesFiles] of layers) {
    let result: ReturnType<typeof helmTemplateSync>;
    try {
      result = helmTemplateSync({
        major: 3,
        chart: CHART_DIR,
        cwd: root,
        release: app.name,
        valuesFiles,
      });
    } catch (err) {
      return fail('chart-values', `helm did not run: ${(err as Error).message}`, file);
    }
    if (!result.ok) {
      return fail(
        'chart-values',
        `helm refuses it with ${layer}: ${helmReason(result.stderr)}`,
        file,
      );
    }
    const invalid = validateDocuments(result.documents);
    if (invalid.length > 0) {
      const first = invalid.map((f) => `${f.kind} ${f.name}: ${f.problems.join(', ')}`).join('; ');
      return fail('chart-values', `invalid objects with ${layer}: ${first}`, file);
    }
  }
  return pass(
    'chart-values',
    `helm renders valid objects with ${layers.map(([layer]) => layer).join(' and ')}`,
    file,
  );
}

interface Rule {
  record?: string;
  alert?: string;
  expr?: string;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** Every rule of every Prometheus rules file in `infra/observability/prometheus` (tests excluded). */
function readRules(root: string): Array<{ file: string; rule: Rule }> {
  const dir = join(root, RULES_DIR);
  if (!existsSync(dir)) return [];
  const out: Array<{ file: string; rule: Rule }> = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name) || /\.test\.ya?ml$/.test(name)) continue;
    let doc: unknown;
    try {
      doc = parse(readFileSync(join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    const groups = pick(doc, 'groups');
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      const rules = pick(group, 'rules');
      if (!Array.isArray(rules)) continue;
      for (const rule of rules) if (isMap(rule)) out.push({ file: `${RULES_DIR}/${name}`, rule });
    }
  }
  return out;
}

/**
 * SLO file and rules: an SLO document (`apps/<app>/docs/slo.md`, else `docs/slo.md`) that names
 * the app and states an objective, and Prometheus rules that record an SLI from the app's
 * `service_name` and alert on it, every alert with a `runbook_url`.
 */
export function checkSlo(app: AppInfo, root: string): CheckResult {
  const svc = app.serviceName;
  const docs = [`${app.relDir}/docs/slo.md`, 'docs/slo.md'];
  const mentions = new RegExp(`\\b${svc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
  const doc = docs.find((d) => {
    const path = join(root, d);
    return existsSync(path) && mentions.test(readFileSync(path, 'utf8'));
  });
  if (!doc) return fail('slo', `no SLO document names ${svc} (looked at ${docs.join(', ')})`);
  if (!/\d+(?:\.\d+)?\s*%|\bp9\d\b/.test(readFileSync(join(root, doc), 'utf8'))) {
    return fail('slo', 'the SLO document states no objective (a percentage or a p9x)', doc);
  }

  const rules = readRules(root);
  const selector = `service_name="${svc}"`;
  const direct = rules.filter(
    ({ rule }) => rule.expr?.includes(selector) || rule.labels?.service_name === svc,
  );
  const slos = new Set(
    direct.map(({ rule }) => rule.labels?.slo).filter((s): s is string => typeof s === 'string'),
  );
  const owns = (rule: Rule): boolean =>
    Boolean(rule.expr?.includes(selector)) ||
    rule.labels?.service_name === svc ||
    (typeof rule.labels?.slo === 'string' && slos.has(rule.labels.slo)) ||
    [...slos].some((slo) => rule.expr?.includes(`slo="${slo}"`));
  const sli = direct.filter(({ rule }) => rule.record && rule.expr?.includes(selector));
  const alerts = rules.filter(({ rule }) => rule.alert && owns(rule));
  if (sli.length === 0) {
    return fail('slo', `no recording rule in ${RULES_DIR} selects ${selector}`);
  }
  if (alerts.length === 0) return fail('slo', `no alert in ${RULES_DIR} covers ${svc}`);
  const unlinked = alerts.filter(({ rule }) => {
    const url = rule.annotations?.runbook_url;
    return typeof url !== 'string' || url.trim() === '';
  });
  const first = unlinked[0];
  if (first) {
    return fail(
      'slo',
      `alerts without runbook_url: ${unlinked.map(({ rule }) => rule.alert).join(', ')}`,
      first.file,
    );
  }
  const files = [...new Set([...sli, ...alerts].map((r) => r.file))];
  return pass(
    'slo',
    `${doc}; ${sli.length} recording rules and ${alerts.length} alerts in ${files.join(', ')}`,
    doc,
  );
}

/** Relative modules a TypeScript file imports or re-exports, resolved to existing files. */
function relativeImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const spec = m[1] ?? '';
    const base = join(dirname(file), spec);
    const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
    const found = candidates.find((c) => existsSync(c) && /\.[cm]?[jt]s$/.test(c));
    if (found) out.push(found);
  }
  return out;
}

/** Ceilings above which a threshold gates nothing a user would notice. */
export const MAX_P95_MS = 2_000;
export const MAX_ERROR_RATE = 0.05;

/**
 * Load test thresholds: `load/smoke.ts` exports k6 `options`, and the thresholds it reaches
 * through its imports set `http_req_duration` `p(95)<N` (N ≤ {@link MAX_P95_MS}) and
 * `http_req_failed` `rate<R` (0 < R ≤ {@link MAX_ERROR_RATE}). Values written as `${SLO.p95Ms}`
 * are read from where the imported module defines them.
 */
export function checkLoadThresholds(app: AppInfo): CheckResult {
  const entry = join(app.dir, 'load/smoke.ts');
  const file = `${app.relDir}/load/smoke.ts`;
  if (!existsSync(entry)) return fail('load-thresholds', `${file} is missing`);
  const smoke = readFileSync(entry, 'utf8');
  if (!/export\s+(?:const|let|var)\s+options\b|export\s*\{[^}]*\boptions\b[^}]*\}/.test(smoke)) {
    return fail('load-thresholds', 'load/smoke.ts exports no k6 options', file);
  }
  const seen = new Set<string>();
  const queue = [entry];
  let all = '';
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const text = readFileSync(next, 'utf8');
    all += `\n${text}`;
    queue.push(...relativeImports(next, text));
  }
  const constant = (name: string): number | undefined => {
    const matches = [
      ...all.matchAll(new RegExp(`\\b${name}\\s*[:=]\\s*([0-9][0-9_]*(?:\\.[0-9]+)?)\\b`, 'g')),
    ];
    const values = new Set(matches.map((m) => Number((m[1] ?? '').replace(/_/g, ''))));
    return values.size === 1 ? [...values][0] : undefined;
  };
  const threshold = (metric: string, stat: RegExp): number | string => {
    const key = new RegExp(`['"]?${metric}(?:\\{[^}]*\\})?['"]?\\s*:\\s*\\[([^\\]]*)\\]`, 'g');
    for (const m of all.matchAll(key)) {
      const v = new RegExp(
        `${stat.source}\\s*<=?\\s*(?:\\$\\{\\s*(?:[\\w$]+\\.)*([\\w$]+)\\s*\\}|([0-9.]+))`,
      ).exec(m[1] ?? '');
      if (!v) continue;
      if (v[2] !== undefined) return Number(v[2]);
      const value = constant(v[1] ?? '');
      return value ?? `cannot find one numeric value for ${v[1]}`;
    }
    return `no ${metric} threshold with ${stat.source.replace(/\\/g, '')}<…`;
  };
  const p95 = threshold('http_req_duration', /p\(95\)/);
  const errors = threshold('http_req_failed', /rate/);
  const where = `in ${file} and its imports`;
  if (typeof p95 === 'string') return fail('load-thresholds', `${p95} ${where}`, file);
  if (typeof errors === 'string') return fail('load-thresholds', `${errors} ${where}`, file);
  if (!(p95 > 0 && p95 <= MAX_P95_MS)) {
    return fail('load-thresholds', `p(95)<${p95} ms is outside (0, ${MAX_P95_MS}] ms`, file);
  }
  if (!(errors > 0 && errors <= MAX_ERROR_RATE)) {
    return fail('load-thresholds', `error rate<${errors} is outside (0, ${MAX_ERROR_RATE}]`, file);
  }
  const modules = [...seen].map((f) => relative(app.dir, f)).join(', ');
  return pass('load-thresholds', `p95 < ${p95} ms, errors < ${errors * 100}% (${modules})`, file);
}
