import {
  type AppInfo,
  type AppReport,
  CHECKS,
  type CheckResult,
  type Enforcement,
  type Lifecycle,
  type ReadinessReport,
} from './types.js';

/**
 * The policy: a red gate fails CI for `production` apps and for apps whose catalog names no
 * known lifecycle (a broken catalog must not switch the gate off); for `experimental`,
 * `prototype` and `deprecated` apps it is a warning.
 */
export function enforcementOf(lifecycle: Lifecycle | undefined): Enforcement {
  return lifecycle === undefined || lifecycle === 'production' ? 'error' : 'warning';
}

export function appReport(app: AppInfo, checks: readonly CheckResult[]): AppReport {
  return {
    name: app.name,
    relDir: app.relDir,
    lifecycle: app.lifecycle ?? 'unknown',
    enforcement: enforcementOf(app.lifecycle),
    checks,
  };
}

/** 1 when an enforced app has a red gate, else 0 (warnings never fail). */
export function exitCodeOf(report: ReadinessReport): 0 | 1 {
  return report.apps.some((a) => a.enforcement === 'error' && a.checks.some((c) => !c.pass))
    ? 1
    : 0;
}

type Status = 'pass' | 'error' | 'warning';

function statusOf(app: AppReport, check: CheckResult): Status {
  return check.pass ? 'pass' : app.enforcement;
}

function titleOf(check: CheckResult): string {
  return CHECKS.find((c) => c.id === check.id)?.title ?? check.id;
}

function counts(report: ReadinessReport): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const app of report.apps) {
    for (const check of app.checks) {
      const status = statusOf(app, check);
      if (status === 'error') errors++;
      if (status === 'warning') warnings++;
    }
  }
  return { errors, warnings };
}

/** Machine-readable results: one object, stable keys. */
export function formatJson(report: ReadinessReport): string {
  const { errors, warnings } = counts(report);
  return `${JSON.stringify(
    {
      ok: exitCodeOf(report) === 0,
      summary: { apps: report.apps.length, errors, warnings },
      apps: report.apps.map((app) => ({
        name: app.name,
        dir: app.relDir,
        lifecycle: app.lifecycle,
        enforcement: app.enforcement,
        green: app.checks.every((c) => c.pass),
        checks: app.checks.map((c) => ({
          id: c.id,
          title: titleOf(c),
          status: statusOf(app, c),
          reason: c.reason,
          ...(c.file ? { file: c.file } : {}),
          ...(c.line ? { line: c.line } : {}),
        })),
      })),
      skipped: report.skipped.map((s) => ({ dir: s.relDir, reason: s.reason })),
    },
    null,
    2,
  )}\n`;
}

const SYMBOL: Record<Status, string> = { pass: '✓', error: '✗', warning: '!' };
const COLOR: Record<Status, string> = {
  pass: '\u001b[32m',
  error: '\u001b[31m',
  warning: '\u001b[33m',
};
const RESET = '\u001b[0m';

/** The scorecard for a terminal: a table per app, skipped folders, a summary line. */
export function formatText(report: ReadinessReport, options: { color?: boolean } = {}): string {
  const paint = (status: Status, text: string): string =>
    options.color ? `${COLOR[status]}${text}${RESET}` : text;
  const width = Math.max(...CHECKS.map((c) => c.title.length));
  const out: string[] = [];
  for (const app of report.apps) {
    const policy = app.enforcement === 'error' ? 'red gates fail CI' : 'red gates warn';
    out.push(`${app.name} (${app.relDir}) · lifecycle ${app.lifecycle} · ${policy}`);
    for (const check of app.checks) {
      const status = statusOf(app, check);
      const where =
        check.pass || !check.file ? '' : ` [${check.file}${check.line ? `:${check.line}` : ''}]`;
      out.push(
        `  ${paint(status, SYMBOL[status])} ${titleOf(check).padEnd(width)}  ${check.reason}${where}`,
      );
    }
    out.push('');
  }
  for (const s of report.skipped) out.push(`- ${s.relDir}: ${s.reason}`);
  if (report.skipped.length > 0) out.push('');
  const { errors, warnings } = counts(report);
  const perApp = report.apps
    .map((a) => `${a.name} ${a.checks.filter((c) => c.pass).length}/${a.checks.length} green`)
    .join(', ');
  const verdict = exitCodeOf(report) === 0 ? paint('pass', 'PASS') : paint('error', 'FAIL');
  out.push(
    `readiness: ${report.apps.length} app(s)${perApp ? `: ${perApp}` : ''}; ${errors} error(s), ${warnings} warning(s) → ${verdict}`,
  );
  return `${out.join('\n')}\n`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands: `::error` for enforced red gates, `::warning` for the rest. */
export function formatGithub(report: ReadinessReport): string {
  const out: string[] = [];
  for (const app of report.apps) {
    for (const check of app.checks) {
      const status = statusOf(app, check);
      if (status === 'pass') continue;
      const props = [
        ...(check.file ? [`file=${escapeProperty(check.file)}`] : []),
        ...(check.line ? [`line=${check.line}`] : []),
        `title=${escapeProperty(`readiness ${app.name}: ${titleOf(check)}`)}`,
      ];
      out.push(`::${status} ${props.join(',')}::${escapeData(check.reason)}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
