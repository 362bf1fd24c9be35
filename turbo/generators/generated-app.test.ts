import { existsSync, lstatSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { childEnv, copyProject, mustRun, runCommand } from '@micro-app/rename-tool/tree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_FILE, composeNames, nameProblem, workspaceScope } from './app-generator.js';

// `npm run gen:app` for real, in a copy of the repository (TREE_TESTS=1; CI's last step): the
// generated app must build, typecheck, pass its tests and lint the moment it exists, and start
// well enough for the readiness gate's runtime probe.

const repoRoot = resolve(import.meta.dirname, '../..');
const MINUTE = 60_000;
// A name no app of the repository has taken yet (the copy holds every app generated so far).
const NAME =
  ['lunch-poll', 'tea-time', 'coffee-run'].find((n) => nameProblem(n, repoRoot) === undefined) ??
  `gen-check-${process.pid}`;
const TREE_TESTS = process.env.TREE_TESTS === '1';

describe.runIf(TREE_TESTS)('npm run gen:app in a copy of the repository', () => {
  const scope = workspaceScope(repoRoot);
  const pkg = `${scope}/${NAME}`;
  const env = childEnv(process.env, { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' });
  let copy: string;
  const inCopy = (path: string) => join(copy, path);
  const read = (path: string) => readFileSync(inCopy(path), 'utf8');
  const run = (command: string, args: string[], timeoutMs: number) =>
    runCommand(command, args, { cwd: copy, env, timeoutMs });

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'gen-app-tree-'));
    copyProject(repoRoot, copy);
    await mustRun('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: copy,
      env,
      timeoutMs: 15 * MINUTE,
    });
  }, 16 * MINUTE);
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it(
    'generates the app from flags alone and links the workspace',
    async () => {
      const result = await mustRun(
        'npm',
        [
          'run',
          'gen:app',
          '--',
          NAME,
          '--owner',
          'team-lunch',
          '--cost-center',
          'cc-7',
          '--description',
          'Polls & votes on lunch',
        ],
        { cwd: copy, env, timeoutMs: 10 * MINUTE },
      );
      expect(result.stdout).toContain(`Created apps/${NAME} (${pkg})`);
      for (const file of [
        'package.json',
        'Dockerfile',
        'catalog-info.yaml',
        'docs/runbook.md',
        'load/smoke.ts',
        'src/app.ts',
        'src/contract/provider.pact.test.ts',
        `contracts/${NAME}-client-${NAME}.json`,
        'drizzle/0000_init.sql',
      ]) {
        expect(existsSync(inCopy(`apps/${NAME}/${file}`)), file).toBe(true);
      }
      expect(parse(read(`apps/${NAME}/catalog-info.yaml`))).toMatchObject({
        metadata: {
          name: NAME,
          description: 'Polls & votes on lunch',
          annotations: { 'micro-app/app-id': NAME, 'micro-app/cost-center': 'cc-7' },
        },
        spec: { owner: 'team-lunch', lifecycle: 'prototype' },
      });
      expect(parse(read(`infra/helm/values/${NAME}.yaml`))).toMatchObject({
        nameOverride: NAME,
        app: { team: 'team-lunch', costCenter: 'cc-7' },
      });
      // npm install ran: the workspace is linked and in the lockfile.
      expect(lstatSync(inCopy(`node_modules/${pkg}`)).isSymbolicLink()).toBe(true);
      const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, unknown> };
      expect(lock.packages[`apps/${NAME}`]).toBeDefined();
    },
    11 * MINUTE,
  );

  it(
    'refuses an existing or malformed name with a clear error and exit status 1',
    async () => {
      const again = await run('npm', ['run', 'gen:app', '--', NAME], 2 * MINUTE);
      expect(again.status).toBe(1);
      expect(again.output).toContain(`apps/${NAME} already exists`);
      const bad = await run('npm', ['run', 'gen:app', '--', 'Lunch_Poll'], 2 * MINUTE);
      expect(bad.status).toBe(1);
      expect(bad.output).toMatch(/"Lunch_Poll" is not kebab-case/);
      expect(existsSync(inCopy('apps/Lunch_Poll'))).toBe(false);
    },
    5 * MINUTE,
  );

  it(
    'builds, typechecks, tests and lints right away',
    async () => {
      const result = await mustRun(
        'npx',
        ['turbo', 'run', 'build', 'typecheck', 'test', 'lint', `--filter=${pkg}`, '--force'],
        { cwd: copy, env, timeoutMs: 25 * MINUTE },
      );
      // The app's own tasks ran (its packages are built through ^build), and its tests passed.
      for (const task of ['build', 'typecheck', 'test', 'lint']) {
        expect(result.output).toContain(`${pkg}:${task}:`);
      }
      expect(result.output).toMatch(new RegExp(`${pkg}:test: .*Test Files .*5 passed`));
    },
    26 * MINUTE,
  );

  it(
    'has an OpenAPI document that passes the same API contract check as where2eat',
    async () => {
      expect(existsSync(inCopy(`apps/${NAME}/openapi.json`))).toBe(true);
      // The copy is not a git repository: no compatibility baseline, only the lint.
      const { API_BASE_REF: _, ...withoutBase } = env;
      const result = await runCommand('npm', ['run', '--silent', 'api:check'], {
        cwd: copy,
        env: withoutBase,
        timeoutMs: 5 * MINUTE,
      });
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain(`apps/${NAME}/openapi.json: spectral (OWASP ruleset) passed`);
    },
    6 * MINUTE,
  );

  it(
    'starts and passes every readiness gate as generated',
    async () => {
      const result = await run(
        'npx',
        ['tsx', 'tooling/readiness/src/run.ts', '--app', NAME, '--format', 'json'],
        5 * MINUTE,
      );
      expect(result.status, result.output).toBe(0);
      const report = JSON.parse(result.stdout) as {
        apps: Array<{
          name: string;
          checks: Array<{ id: string; status: string; reason: string }>;
        }>;
      };
      const checks = report.apps.find((a) => a.name === NAME)?.checks ?? [];
      const status = Object.fromEntries(checks.map((c) => [c.id, c.status]));
      expect(status).toMatchObject({
        auth: 'pass',
        'rate-limits': 'pass',
        telemetry: 'pass',
        health: 'pass',
        'contract-tests': 'pass',
        'load-thresholds': 'pass',
        dockerfile: 'pass',
        'chart-values': 'pass',
        secrets: 'pass',
        catalog: 'pass',
        runbook: 'pass',
        slo: 'pass',
        'api-contract': 'pass',
        operations: 'pass',
      });
      expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
    },
    6 * MINUTE,
  );

  it(
    'has npm run load: it starts the app and the dev IdP, sends a bounded smoke load and passes its thresholds',
    async () => {
      const manifest = JSON.parse(read(`apps/${NAME}/package.json`)) as {
        scripts: Record<string, string>;
      };
      expect(manifest.scripts.load).toBe('tsx load/run.ts');
      // Two seconds at the smoke rate (5/s): at most 10 requests, to 127.0.0.1 only.
      const result = await run(
        'npm',
        ['run', '--silent', 'load', '-w', pkg, '--', 'smoke', '--seconds', '2', '--json'],
        3 * MINUTE,
      );
      expect(result.status, result.output).toBe(0);
      const report = JSON.parse(result.stdout) as {
        scenario: string;
        requests: number;
        failed: number;
        stages: Array<{ rps: number; seconds: number }>;
        thresholds: Array<{ name: string; ok: boolean }>;
      };
      expect(report.scenario).toBe('smoke');
      expect(report.stages.map((s) => [s.rps, s.seconds])).toEqual([[5, 2]]);
      expect(report.requests).toBeGreaterThan(0);
      expect(report.requests).toBeLessThanOrEqual(10);
      expect(report.failed).toBe(0);
      expect(report.thresholds.map((t) => [t.name, t.ok])).toEqual([
        ['http_req_duration p(95)', true],
        ['http_req_failed rate', true],
      ]);
      // A scenario it does not have is a usage error.
      const bad = await run('npm', ['run', '--silent', 'load', '-w', pkg, '--', 'soak'], MINUTE);
      expect(bad.status).toBe(2);
      expect(bad.output).toContain('unknown scenario "soak"');
    },
    5 * MINUTE,
  );

  const dockerCompose = systemBinary('docker-compose');
  it.skipIf(dockerCompose.skipReason)(
    'joins the compose stack: docker-compose config has its database, migration and service on its port',
    async () => {
      const names = composeNames(NAME);
      const result = await run(
        dockerCompose.path ?? 'docker-compose',
        ['-f', inCopy(COMPOSE_FILE), 'config'],
        2 * MINUTE,
      );
      expect(result.status, result.output).toBe(0);
      type Service = {
        build?: { context: string; dockerfile: string };
        ports?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
      };
      const { services } = parse(result.stdout) as { services: Record<string, Service> };
      const port = /\bport:\s*(\d+)/.exec(read(`apps/${NAME}/src/config.ts`))?.[1];
      expect(port).toMatch(/^\d+$/);
      const app = services[NAME];
      expect(app?.ports).toEqual([`127.0.0.1:${port}:3000/tcp`]);
      expect(app?.build).toMatchObject({ context: copy, dockerfile: `apps/${NAME}/Dockerfile` });
      expect(existsSync(inCopy(app?.build?.dockerfile ?? 'missing'))).toBe(true);
      expect(app?.environment).toMatchObject({
        NODE_ENV: 'production',
        AUTH_AUDIENCE: NAME,
        DATABASE_URL: `postgres://postgres@postgres:5432/${names.database}`,
      });
      expect(app?.depends_on?.[names.migrate]).toEqual({
        condition: 'service_completed_successfully',
      });
      expect(services[names.migrate]?.depends_on?.[names.createDb]).toEqual({
        condition: 'service_completed_successfully',
      });
      expect(services['dev-idp']?.environment?.EXTRA_AUDIENCES?.split(',')).toContain(NAME);
      // The compose tool's own checks (every app of the pipeline in the stack, its config
      // accepted by its own schema) hold with the new app in the stack.
      const tool = await runCommand(
        'npx',
        ['vitest', 'run', '--maxWorkers=1', '--reporter=verbose'],
        {
          cwd: inCopy('tooling/compose'),
          env,
          timeoutMs: 5 * MINUTE,
        },
      );
      expect(tool.status, tool.output).toBe(0);
      expect(tool.output).toContain(`passes ${NAME}'s own production config check`);
    },
    8 * MINUTE,
  );

  const promtool = systemBinary('promtool');
  const amtool = systemBinary('amtool');
  it.skipIf(promtool.skipReason ?? amtool.skipReason)(
    "has alert rules promtool passes and an Alertmanager config amtool routes to the app's team",
    async () => {
      const tested = await runCommand(
        promtool.path ?? 'promtool',
        ['test', 'rules', `${NAME}-slo-rules.test.yaml`],
        { cwd: inCopy('infra/observability/prometheus'), env, timeoutMs: MINUTE },
      );
      expect(tested.status, tested.output).toBe(0);
      const config = inCopy('infra/observability/alertmanager/alertmanager.yml');
      const checked = await run(amtool.path ?? 'amtool', ['check-config', config], MINUTE);
      expect(checked.status, checked.output).toBe(0);
      const routed = await run(
        amtool.path ?? 'amtool',
        [
          'config',
          'routes',
          'test',
          `--config.file=${config}`,
          'severity=page',
          `service_name=${NAME}`,
        ],
        MINUTE,
      );
      expect(routed.stdout.trim(), routed.output).toBe(`${NAME}-pager`);
    },
    3 * MINUTE,
  );
});
