import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverApps, readApp } from './apps.js';
import { checkLoadThresholds, MAX_ERROR_RATE } from './asset-checks.js';
import { staticChecks } from './checks.js';
import { probeApp } from './probe.js';
import { appReport, exitCodeOf, formatGithub, formatJson, formatText } from './report.js';
import type { CheckId, CheckResult, ReadinessReport } from './types.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

type Files = Record<string, string>;

/** `${expr}` as source text of a template literal in a fixture file. */
const placeholder = (expr: string): string => `\${${expr}}`;

const CATALOG = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: demo
  description: A demo app.
  annotations:
    micro-app/app-id: demo
    micro-app/cost-center: cc-7
spec:
  type: service
  lifecycle: production
  owner: team-demo
  system: micro-apps
`;

const DOCKERFILE = `FROM node:24.11.1-bookworm-slim AS runtime
WORKDIR /app
USER 1000:1000
HEALTHCHECK CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health/live')"]
CMD ["node", "--import", "./dist/instrumentation.js", "dist/main.js"]
`;

const RUNBOOK = `# demo runbook

## Alerts

DemoAvailabilityFastBurn: open the dashboard, check the last deploy.

## Dependencies

PostgreSQL; without it readiness turns 503.

## Rollback

helm rollback demo.
`;

const RULES = `groups:
  - name: demo
    rules:
      - record: slo:sli_error:ratio_rate5m
        expr: sum(rate(http_server_request_duration_seconds_count{service_name="demo",http_response_status_code=~"5.."}[5m])) / sum(rate(http_server_request_duration_seconds_count{service_name="demo"}[5m]))
        labels:
          slo: demo-availability
      - alert: DemoAvailabilityFastBurn
        expr: slo:sli_error:ratio_rate5m{slo="demo-availability"} > 0.0144
        annotations:
          runbook_url: apps/demo/docs/runbook.md#alerts
`;

/** An app that passes every static gate: the layout the generator produces, filled in. */
const GOOD_APP: Files = {
  'apps/demo/catalog-info.yaml': CATALOG,
  'apps/demo/package.json': JSON.stringify({
    name: '@micro-app/demo',
    scripts: { start: 'node --import ./dist/instrumentation.js dist/main.js' },
    devDependencies: { '@pact-foundation/pact': '^17.1.4' },
  }),
  'apps/demo/src/instrumentation.ts':
    "import { startTelemetry } from '@micro-app/telemetry';\n\nexport const telemetry = startTelemetry({ service: { name: 'demo' } });\n",
  'apps/demo/src/contract/provider.pact.test.ts':
    "import { Verifier } from '@pact-foundation/pact';\n\nit('verifies', () => new Verifier({ providerBaseUrl: 'http://127.0.0.1:1' }).verifyProvider());\n",
  'apps/demo/load/slo.ts': 'export const SLO = { p95Ms: 400, errorRate: 0.01 } as const;\n',
  'apps/demo/load/smoke.ts': [
    "import { SLO } from './slo.ts';",
    'export const options = {',
    '  thresholds: {',
    `    http_req_duration: [\`p(95)<${placeholder('SLO.p95Ms')}\`],`,
    `    http_req_failed: [\`rate<${placeholder('SLO.errorRate')}\`],`,
    '  },',
    '};',
    '',
  ].join('\n'),
  'apps/demo/Dockerfile': DOCKERFILE,
  'apps/demo/docs/runbook.md': RUNBOOK,
  'apps/demo/docs/slo.md': '# demo SLOs\n\nAvailability: 99.9% of requests are not 5xx.\n',
  'infra/helm/values/demo.yaml':
    'nameOverride: demo\nimage:\n  repository: ghcr.io/example/demo\nsecrets:\n  existingSecret: demo\ningress:\n  host: demo.example.com\n',
  'infra/observability/prometheus/demo-slo.yaml': RULES,
  // A document that passes the lint: where2eat's, as the app would commit its own.
  'apps/demo/openapi.json': readFileSync(join(repoRoot, 'apps/where2eat/openapi.json'), 'utf8'),
  'infra/observability/alertmanager/alertmanager.yml': `route:
  receiver: platform
  routes:
    - matchers: ['service_name="demo"']
      receiver: demo
receivers:
  - name: platform
  - name: demo
`,
  'infra/observability/synthetic/prometheus-scrape.yml': `scrape_configs:
  - job_name: synthetic
    static_configs:
      - targets: [https://demo.example.com/health/ready]
        labels: { module: ready, service_name: demo }
`,
};

/** A temporary repository with the real chart and secretlint config, plus the given files. */
function makeRepo(files: Files): string {
  const root = mkdtempSync(join(tmpdir(), 'readiness-test-'));
  temps.push(root);
  for (const shared of ['.secretlintrc.json', '.secretlintignore']) {
    mkdirSync(dirname(join(root, shared)), { recursive: true });
    copyFileSync(join(repoRoot, shared), join(root, shared));
  }
  // The whole chart: the gate renders it with helm.
  cpSync(join(repoRoot, 'infra/helm/micro-app'), join(root, 'infra/helm/micro-app'), {
    recursive: true,
    dereference: true,
  });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The static gates of the demo app with some files changed (undefined deletes a file). */
async function gatesWith(changes: Record<string, string | undefined> = {}) {
  const files: Files = { ...GOOD_APP };
  for (const [path, text] of Object.entries(changes)) {
    if (text === undefined) delete files[path];
    else files[path] = text;
  }
  const root = makeRepo(files);
  const results = await staticChecks(readApp(root, 'demo'), root);
  return { results, red: results.filter((r) => !r.pass).map((r) => r.id), root };
}

function reasonOf(results: CheckResult[], id: CheckId): string {
  return results.find((r) => r.id === id)?.reason ?? '';
}

function edit(path: string, from: string | RegExp, to: string): Record<string, string> {
  const text = GOOD_APP[path] ?? '';
  if (!(typeof from === 'string' ? text.includes(from) : from.test(text))) {
    throw new Error(`${path} does not contain ${String(from)}`);
  }
  return { [path]: text.replace(from, to) };
}

describe('static gates on a fixture app', () => {
  it('a complete app is green on every static gate', async () => {
    const { results } = await gatesWith();
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.map((r) => r.id).sort()).toEqual(
      [
        'api-contract',
        'catalog',
        'chart-values',
        'contract-tests',
        'operations',
        'dockerfile',
        'load-thresholds',
        'runbook',
        'secrets',
        'slo',
        'telemetry',
      ].sort(),
    );
    expect(reasonOf(results, 'load-thresholds')).toBe(
      'p95 < 400 ms, errors < 1% (load/smoke.ts, load/slo.ts)',
    );
  });

  const defects: Array<[string, CheckId, Record<string, string | undefined>, RegExp]> = [
    [
      'no openapi.json',
      'api-contract',
      { 'apps/demo/openapi.json': undefined },
      /no apps\/demo\/openapi\.json/,
    ],
    [
      'an OpenAPI document with an unbounded string',
      'api-contract',
      {
        'apps/demo/openapi.json': readFileSync(
          join(repoRoot, 'apps/where2eat/openapi.json'),
          'utf8',
        ).replace(/"maxLength": 80,/, ''),
      },
      /Spectral \(OWASP ruleset\) finds errors/,
    ],
    [
      'no alert route for the app',
      'operations',
      edit(
        'infra/observability/alertmanager/alertmanager.yml',
        'service_name="demo"',
        'service_name="other"',
      ),
      /no route for service_name="demo"/,
    ],
    [
      'no synthetic probe of the app',
      'operations',
      edit(
        'infra/observability/synthetic/prometheus-scrape.yml',
        'service_name: demo',
        'service_name: other',
      ),
      /no synthetic probe labelled service_name=demo/,
    ],
    [
      'catalog without an owner',
      'catalog',
      edit('apps/demo/catalog-info.yaml', '  owner: team-demo\n', ''),
      /spec\.owner/,
    ],
    [
      'catalog with an unknown lifecycle',
      'catalog',
      edit('apps/demo/catalog-info.yaml', 'lifecycle: production', 'lifecycle: beta'),
      /spec\.lifecycle "beta"/,
    ],
    [
      'catalog without the cost-center annotation',
      'catalog',
      edit('apps/demo/catalog-info.yaml', '    micro-app/cost-center: cc-7\n', ''),
      /annotation micro-app\/cost-center/,
    ],
    [
      'Dockerfile with USER root',
      'dockerfile',
      edit('apps/demo/Dockerfile', 'USER 1000:1000', 'USER root'),
      /USER root is root/,
    ],
    [
      'Dockerfile with USER 0:0',
      'dockerfile',
      edit('apps/demo/Dockerfile', 'USER 1000:1000', 'USER 0:0'),
      /is root/,
    ],
    [
      'Dockerfile without HEALTHCHECK',
      'dockerfile',
      edit('apps/demo/Dockerfile', /HEALTHCHECK.*\n/, ''),
      /no HEALTHCHECK/,
    ],
    [
      'runbook with a TODO',
      'runbook',
      edit('apps/demo/docs/runbook.md', 'helm rollback demo.', 'TODO: write the rollback'),
      /1 line\(s\) still marked TODO/,
    ],
    [
      'runbook without a rollback section',
      'runbook',
      edit('apps/demo/docs/runbook.md', '## Rollback\n\nhelm rollback demo.\n', ''),
      /no section on rollback/,
    ],
    [
      'runbook with an empty section',
      'runbook',
      edit('apps/demo/docs/runbook.md', 'PostgreSQL; without it readiness turns 503.\n', ''),
      /section "Dependencies" is empty/,
    ],
    ['no runbook', 'runbook', { 'apps/demo/docs/runbook.md': undefined }, /runbook\.md is missing/],
    [
      'instrumentation without the telemetry package',
      'telemetry',
      edit('apps/demo/src/instrumentation.ts', '@micro-app/telemetry', '@opentelemetry/sdk-node'),
      /does not import @[\w-]+\/telemetry/,
    ],
    [
      'npm start without --import',
      'telemetry',
      {
        'apps/demo/package.json': (GOOD_APP['apps/demo/package.json'] ?? '').replace(
          'node --import ./dist/instrumentation.js dist/main.js',
          'node dist/main.js',
        ),
      },
      /"start" script/,
    ],
    [
      'image CMD without --import',
      'telemetry',
      edit(
        'apps/demo/Dockerfile',
        '"--import", "./dist/instrumentation.js", ',
        '"--enable-source-maps", ',
      ),
      /image's CMD/,
    ],
    [
      'no pact test',
      'contract-tests',
      { 'apps/demo/src/contract/provider.pact.test.ts': undefined },
      /no test uses @pact-foundation\/pact/,
    ],
    [
      'a *.pact.test.ts that never uses Pact',
      'contract-tests',
      { 'apps/demo/src/contract/provider.pact.test.ts': "it('passes', () => {});\n" },
      /never uses @pact-foundation\/pact/,
    ],
    [
      'no p95 threshold',
      'load-thresholds',
      edit('apps/demo/load/smoke.ts', /^ {4}http_req_duration:.*\n/m, ''),
      /no http_req_duration threshold with p\(95\)</,
    ],
    [
      'an error-rate threshold that gates nothing',
      'load-thresholds',
      edit('apps/demo/load/slo.ts', 'errorRate: 0.01', 'errorRate: 0.5'),
      new RegExp(`error rate<0.5 is outside \\(0, ${MAX_ERROR_RATE}\\]`),
    ],
    [
      'a threshold constant defined nowhere',
      'load-thresholds',
      edit('apps/demo/load/slo.ts', 'p95Ms: 400, ', ''),
      /cannot find one numeric value for p95Ms/,
    ],
    [
      'chart values failing the schema',
      'chart-values',
      {
        'infra/helm/values/demo.yaml': `${GOOD_APP['infra/helm/values/demo.yaml']}replicaCount: 0\n`,
      },
      /helm refuses it with chart defaults: replicaCount: Must be greater than or equal to 1/,
    ],
    [
      'no chart values',
      'chart-values',
      { 'infra/helm/values/demo.yaml': undefined },
      /values\/demo\.yaml is missing/,
    ],
    [
      'a secret-looking string',
      'secrets',
      {
        // Assembled at run time so the repository's own secret scan does not see it here.
        'apps/demo/src/aws.ts': `export const aws_secret_access_key = "${['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEZ'].join('/')}";\n`,
      },
      /1 finding\(s\): apps\/demo\/src\/aws\.ts:1 found AWS Secret Access Key: \*+/,
    ],
    [
      'no alert for the app',
      'slo',
      edit('infra/observability/prometheus/demo-slo.yaml', /\n {6}- alert:[\s\S]*$/, '\n'),
      /no alert in infra\/observability\/prometheus covers demo/,
    ],
    [
      'an alert without runbook_url',
      'slo',
      edit('infra/observability/prometheus/demo-slo.yaml', /\n {8}annotations:[\s\S]*$/, '\n'),
      /alerts without runbook_url: DemoAvailabilityFastBurn/,
    ],
    [
      'no SLO document naming the app',
      'slo',
      { 'apps/demo/docs/slo.md': undefined },
      /no SLO document names demo/,
    ],
  ];

  it.each(defects)('%s turns exactly the %s gate red', async (_name, id, changes, reason) => {
    const { results, red } = await gatesWith(changes);
    expect(red).toEqual([id]);
    expect(reasonOf(results, id)).toMatch(reason);
  });

  it('points the annotation at the offending line', async () => {
    const { results } = await gatesWith(
      edit('apps/demo/docs/runbook.md', 'helm rollback demo.', 'TODO: write the rollback'),
    );
    expect(results.find((r) => r.id === 'runbook')).toMatchObject({
      file: 'apps/demo/docs/runbook.md',
      line: 13,
    });
  });

  it('reads inline thresholds as well as imported constants', async () => {
    const root = makeRepo({
      ...GOOD_APP,
      'apps/demo/load/smoke.ts':
        "export const options = { thresholds: { 'http_req_duration{route:x}': ['p(95)<250'], http_req_failed: ['rate<0.001'] } };\n",
    });
    const result = checkLoadThresholds(readApp(root, 'demo'));
    expect(result).toMatchObject({
      pass: true,
      reason: 'p95 < 250 ms, errors < 0.1% (load/smoke.ts)',
    });
  });

  it('treats a folder without catalog-info.yaml as not an app', () => {
    const root = makeRepo({ ...GOOD_APP, 'apps/tool/package.json': '{}' });
    const { apps, skipped } = discoverApps(root);
    expect(apps.map((a) => a.name)).toEqual(['demo']);
    expect(skipped).toEqual([{ relDir: 'apps/tool', reason: 'not an app: no catalog-info.yaml' }]);
  });
});

describe('policy and output', () => {
  const red: CheckResult = {
    id: 'runbook',
    pass: false,
    reason: 'no section on rollback, 50%',
    file: 'apps/demo/docs/runbook.md',
    line: 3,
  };
  const green: CheckResult = { id: 'catalog', pass: true, reason: 'complete' };
  const reportFor = (lifecycle: string): ReadinessReport => {
    const root = makeRepo({
      ...GOOD_APP,
      ...edit('apps/demo/catalog-info.yaml', 'lifecycle: production', `lifecycle: ${lifecycle}`),
    });
    return { apps: [appReport(readApp(root, 'demo'), [green, red])], skipped: [] };
  };

  it('a red gate on a production app fails (exit 1) and is an ::error annotation', () => {
    const report = reportFor('production');
    expect(exitCodeOf(report)).toBe(1);
    expect(formatGithub(report)).toBe(
      '::error file=apps/demo/docs/runbook.md,line=3,title=readiness demo%3A runbook filled::no section on rollback, 50%25\n',
    );
    const json = JSON.parse(formatJson(report));
    expect(json).toMatchObject({ ok: false, summary: { apps: 1, errors: 1, warnings: 0 } });
    expect(json.apps[0].checks.map((c: { status: string }) => c.status)).toEqual(['pass', 'error']);
    expect(formatText(report)).toMatch(/✗ runbook filled +no section on rollback, 50%/);
    expect(formatText(report)).toMatch(/1 error\(s\), 0 warning\(s\) → FAIL\n$/);
  });

  it('a red gate on a prototype app is a warning (exit 0)', () => {
    const report = reportFor('prototype');
    expect(exitCodeOf(report)).toBe(0);
    expect(formatGithub(report)).toMatch(/^::warning file=apps\/demo\/docs\/runbook\.md,line=3,/);
    expect(JSON.parse(formatJson(report))).toMatchObject({
      ok: true,
      summary: { errors: 0, warnings: 1 },
      apps: [{ lifecycle: 'prototype', enforcement: 'warning', green: false }],
    });
    expect(formatText(report)).toMatch(/! runbook filled/);
    expect(formatText(report)).toMatch(/→ PASS\n$/);
  });

  it('an app whose catalog names no known lifecycle is enforced like production', () => {
    const report = reportFor('beta');
    expect(report.apps[0]?.lifecycle).toBe('unknown');
    expect(exitCodeOf(report)).toBe(1);
  });

  it('an all-green production app passes', () => {
    const root = makeRepo(GOOD_APP);
    const report = { apps: [appReport(readApp(root, 'demo'), [green])], skipped: [] };
    expect(exitCodeOf(report)).toBe(0);
    expect(formatGithub(report)).toBe('');
  });
});

/** A fixture app whose main.ts is a bare node:http server with the given request handler. */
function serverApp(handler: string): { root: string; app: ReturnType<typeof readApp> } {
  const main = `import { createServer } from 'node:http';
const doc = {
  openapi: '3.1.0',
  paths: {
    '/health/live': { get: {} },
    '/v1/items': { get: {}, post: {} },
    '/v1/items/{id}': { get: { parameters: [{ in: 'path', name: 'id', schema: { type: 'string', format: 'uuid' } }] } },
  },
};
createServer((req, res) => {
  const url = req.url ?? '';
  if (url === '/openapi.json') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(doc));
    return;
  }
  if (url.startsWith('/health/')) {
    res.end('ok');
    return;
  }
  ${handler}
}).listen(Number(process.env.PORT), process.env.HOST);
`;
  const root = makeRepo({
    ...GOOD_APP,
    'apps/demo/src/main.ts': main,
    'apps/demo/src/instrumentation.ts': 'export {};\n',
  });
  return { root, app: readApp(root, 'demo') };
}

describe('runtime probe', () => {
  it('flags a route that answers without a token and a response without RateLimit-Policy', async () => {
    const { app } = serverApp(`
  if (url === '/v1/items' && req.method === 'GET') { res.end('[]'); return; }
  const uuid = url === '/v1/items/00000000-0000-4000-8000-000000000000';
  res.statusCode = req.headers.authorization ? 200 : url === '/v1/items' || uuid ? 401 : 404;
  res.end();`);
    const results = await probeApp(app, { startTimeoutMs: 20_000 });
    expect(results.find((r) => r.id === 'health')).toMatchObject({ pass: true });
    expect(results.find((r) => r.id === 'auth')).toEqual({
      id: 'auth',
      pass: false,
      reason: 'answered without a token: GET /v1/items → 200',
    });
    expect(results.find((r) => r.id === 'rate-limits')).toEqual({
      id: 'rate-limits',
      pass: false,
      reason: 'GET /v1/items → 200 without a RateLimit-Policy header',
    });
  }, 40_000);

  it('passes an app that guards every route and sends RateLimit-Policy', async () => {
    const { app } = serverApp(`
  if (!/^Bearer ey/.test(req.headers.authorization ?? '')) { res.statusCode = 401; res.end(); return; }
  res.setHeader('RateLimit-Policy', '"per-user";q=10;w=60');
  res.end('[]');`);
    const results = await probeApp(app, { startTimeoutMs: 20_000 });
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.find((r) => r.id === 'auth')?.reason).toBe(
      'all 3 operations in /openapi.json answer 401 without a token',
    );
  }, 40_000);

  it('reports an app that exits at start on all three runtime gates', async () => {
    const root = makeRepo({
      ...GOOD_APP,
      'apps/demo/src/main.ts': "throw new Error('config: AUTH_ISSUER is invalid');\n",
      'apps/demo/src/instrumentation.ts': 'export {};\n',
    });
    const results = await probeApp(readApp(root, 'demo'), { startTimeoutMs: 20_000 });
    expect(results.map((r) => [r.id, r.pass])).toEqual([
      ['auth', false],
      ['rate-limits', false],
      ['health', false],
    ]);
    expect(results[0]?.reason).toMatch(/exited with 1 at start: .*AUTH_ISSUER is invalid/);
  }, 40_000);

  it('where2eat: every operation needs a token, rate limits apply, health answers', async () => {
    const progress: string[] = [];
    const results = await probeApp(readApp(repoRoot, 'where2eat'), {
      progress: (m) => progress.push(m),
    });
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.find((r) => r.id === 'auth')?.reason).toMatch(
      /^all \d+ operations in \/openapi\.json answer 401 without a token$/,
    );
    expect(results.find((r) => r.id === 'rate-limits')?.reason).toMatch(
      /RateLimit-Policy: "per-user";q=\d+;w=60/,
    );
    expect(progress.some((m) => /where2eat: up after \d+ ms/.test(m))).toBe(true);
  }, 90_000);
});

describe('npm run readiness (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'tooling/readiness/src/run.ts', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('rejects an unknown format and a folder that is not an app, with exit 2', () => {
    const format = cli('--format', 'xml');
    expect(format.status).toBe(2);
    expect(format.stderr).toContain('--format must be one of text, json, github, got "xml"');
    const notApp = cli('--app', 'dev-idp');
    expect(notApp.status).toBe(2);
    expect(notApp.stderr).toContain('apps/dev-idp: not an app: no catalog-info.yaml');
  }, 60_000);
});
