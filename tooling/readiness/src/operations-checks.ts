import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fail, pass } from './result.js';
import type { AppInfo, CheckResult } from './types.js';

/** Alertmanager routing and synthetic probes, as code (infra/observability). */
export const ALERTMANAGER_FILE = 'infra/observability/alertmanager/alertmanager.yml';
export const PROBES_FILE = 'infra/observability/synthetic/prometheus-scrape.yml';

interface Route {
  matchers?: string[];
  routes?: Route[];
  receiver?: string;
}

function routesOf(route: Route | undefined): Route[] {
  if (!route) return [];
  return [route, ...(route.routes ?? []).flatMap(routesOf)];
}

/**
 * API contract: the app commits its OpenAPI document (`openapi.json`, what it serves) and the
 * document passes Spectral with the OWASP ruleset (`tooling/api-contract`).
 */
export function checkApiContract(app: AppInfo, root: string): CheckResult {
  const file = `${app.relDir}/openapi.json`;
  if (!existsSync(join(root, file))) {
    return fail('api-contract', `no ${file}: run npx turbo run openapi --filter=<the app>`);
  }
  // The repository's own lint, whichever tree is being checked.
  const cli = join(import.meta.dirname, '../../api-contract/src/cli.ts');
  if (!existsSync(cli)) return fail('api-contract', 'tooling/api-contract is missing', file);
  const lint = spawnSync(
    process.execPath,
    ['--experimental-strip-types', '--no-warnings', cli, 'lint', join(root, file)],
    { encoding: 'utf8', cwd: root },
  );
  if (lint.status !== 0) {
    const first = `${lint.stdout}${lint.stderr}`.split('\n').find((l) => /error/.test(l)) ?? '';
    return fail('api-contract', `Spectral (OWASP ruleset) finds errors: ${first.trim()}`, file);
  }
  return pass('api-contract', `${file} passes Spectral with the OWASP ruleset`, file);
}

/**
 * Operations: the app's alerts reach its team (an Alertmanager route matching its
 * `service_name`) and a synthetic probe watches it from outside (a probe target labelled with
 * it).
 */
export function checkOperations(app: AppInfo, root: string): CheckResult {
  const svc = app.serviceName;
  const problems: string[] = [];
  const alertmanager = join(root, ALERTMANAGER_FILE);
  if (!existsSync(alertmanager)) {
    problems.push(`no ${ALERTMANAGER_FILE}`);
  } else {
    const config = parse(readFileSync(alertmanager, 'utf8')) as { route?: Route };
    const routed = routesOf(config.route).some((r) =>
      (r.matchers ?? []).some((m) => m.replace(/\s/g, '') === `service_name="${svc}"`),
    );
    if (!routed) problems.push(`no route for service_name="${svc}" in ${ALERTMANAGER_FILE}`);
  }
  const probes = join(root, PROBES_FILE);
  if (!existsSync(probes)) {
    problems.push(`no ${PROBES_FILE}`);
  } else {
    const config = parse(readFileSync(probes, 'utf8')) as {
      scrape_configs?: Array<{ static_configs?: Array<{ labels?: Record<string, string> }> }>;
    };
    const probed = (config.scrape_configs ?? []).some((job) =>
      (job.static_configs ?? []).some((group) => group.labels?.service_name === svc),
    );
    if (!probed) problems.push(`no synthetic probe labelled service_name=${svc} in ${PROBES_FILE}`);
  }
  const [first] = problems;
  if (first)
    return fail(
      'operations',
      problems.join('; '),
      first.includes('route') ? ALERTMANAGER_FILE : PROBES_FILE,
    );
  return pass(
    'operations',
    `alerts routed to ${svc}'s receivers; probed from outside`,
    ALERTMANAGER_FILE,
  );
}
