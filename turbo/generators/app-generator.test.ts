import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readApp } from '@micro-app/readiness-tool/apps';
import {
  checkChartValues,
  checkLoadThresholds,
  checkSlo,
} from '@micro-app/readiness-tool/asset-checks';
import { checkOperations } from '@micro-app/readiness-tool/operations-checks';
import {
  checkCatalog,
  checkContractTests,
  checkDockerfile,
  checkRunbook,
  checkTelemetry,
} from '@micro-app/readiness-tool/static-checks';
import type { PlopTypes } from '@turbo/gen';
import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERTMANAGER_FILE,
  APP_DEPENDENCIES,
  APP_DEV_DEPENDENCIES,
  type AppAnswers,
  appPackageJson,
  BLACKBOX_FILE,
  COMPOSE_FILE,
  composeHostPorts,
  dependencyRanges,
  GeneratorError,
  nameProblem,
  type PlannedFile,
  PROBES_FILE,
  PROMPT_ORDER,
  parseGenAppArgs,
  planApp,
  RESERVED_NAMES,
  renderTemplateText,
  resolveAnswers,
  TEMPLATE_APP_DIR,
  TEMPLATES_DIR,
  type TemplateData,
  templateData,
  toPromptArgs,
  usedDevPorts,
  workspaceDirs,
  workspaceScope,
  writePlan,
} from './app-generator.js';
import generator from './config.js';

// The generator's logic without turbo: names, answers, versions, rendering. The files rendered
// here go through the readiness gate's static checks; generated-app.test.ts (TREE_TESTS=1) runs
// the real `npm run gen:app` in a copy of the repository and builds and tests the result.

const repoRoot = resolve(import.meta.dirname, '../..');
/** The shared files the generator rewrites in place. */
const SHARED_FILES = [ALERTMANAGER_FILE, PROBES_FILE, BLACKBOX_FILE, COMPOSE_FILE];
const render = (template: string, data: TemplateData) => Handlebars.compile(template)(data);

/**
 * A copy of what the generator reads (manifests, the reference app's Dockerfile, the templates)
 * with only the reference app and the IdP in apps/: the names used here stay free whatever apps
 * were generated in the repository since.
 */
function miniRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gen-app-root-'));
  const copy = (path: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(join(repoRoot, path), join(dir, path), {
      recursive: true,
      filter: (from) => !/[/\\](node_modules|dist|\.turbo|\.data|pacts)([/\\]|$)/.test(from),
    });
  };
  copy('package.json');
  for (const ws of workspaceDirs(repoRoot)) {
    if (!ws.startsWith('apps/') || ws === 'apps/where2eat' || ws === 'apps/dev-idp') {
      copy(`${ws}/package.json`);
    }
  }
  copy('apps/where2eat/Dockerfile');
  copy('apps/where2eat/src/config.ts');
  for (const shared of SHARED_FILES) copy(shared);
  copy(TEMPLATES_DIR);
  copy(TEMPLATE_APP_DIR);
  return dir;
}

const root = miniRepo();
afterAll(() => rmSync(root, { recursive: true, force: true }));
const scope = workspaceScope(root);

type Manifest = {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof GeneratorError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('app names', () => {
  it.each(['lunch-poll', 'a', 'app2', 'x-1-y', 'a'.repeat(40)])('accepts %s', (name) => {
    expect(nameProblem(name, root)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['Lunch', /kebab-case/],
    ['lunch_poll', /kebab-case/],
    ['lunch--poll', /kebab-case/],
    ['-lunch', /kebab-case/],
    ['lunch-', /kebab-case/],
    ['2lunch', /kebab-case/],
    ['lunch poll', /kebab-case/],
    ['../etc', /kebab-case/],
    ['a'.repeat(41), /longer than 40/],
    ['infra', /reserved/],
    ['micro-app', /reserved/],
    ['where2eat', /apps\/where2eat already exists/],
    ['dev-idp', /apps\/dev-idp already exists/],
    ['server', /packages\/server already exists/],
  ])('rejects "%s"', (name, message) => {
    expect(nameProblem(name, root)).toMatch(message);
  });

  it('reserves the top-level folders', () => {
    for (const name of ['apps', 'packages', 'infra', 'docs', 'node_modules']) {
      expect(RESERVED_NAMES.has(name)).toBe(true);
    }
  });
});

describe('answers', () => {
  it('fills in the defaults for a bare name', () => {
    expect(resolveAnswers({ name: 'lunch-poll' }, root)).toEqual({
      name: 'lunch-poll',
      description: 'lunch-poll: a micro-app',
      owner: 'team-lunch-poll',
      costCenter: 'unassigned',
      lifecycle: 'prototype',
      install: true,
    });
  });

  it('keeps what was given, treating empty answers as not given', () => {
    const answers = resolveAnswers(
      {
        name: ' lunch-poll ',
        owner: 'team-lunch',
        costCenter: 'cc-7',
        lifecycle: 'experimental',
        description: '',
        install: false,
      },
      root,
    );
    expect(answers).toMatchObject({
      name: 'lunch-poll',
      owner: 'team-lunch',
      costCenter: 'cc-7',
      lifecycle: 'experimental',
      description: 'lunch-poll: a micro-app',
      install: false,
    });
  });

  it('reports every problem at once, the bad name only once', () => {
    const problems = problemsOf(() =>
      resolveAnswers(
        {
          name: 'Bad_Name',
          owner: 'team x',
          costCenter: '-cc',
          lifecycle: 'live' as AppAnswers['lifecycle'],
          description: 'it says "hi"',
        },
        root,
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/"Bad_Name" is not kebab-case/);
    expect(problems.join('\n')).toMatch(/owner "team x"/);
    expect(problems.join('\n')).toMatch(/cost center "-cc"/);
    expect(problems.join('\n')).toMatch(/lifecycle "live" must be one of experimental, prototype/);
    expect(problems.join('\n')).toMatch(/description may hold/);
  });
});

describe('command line', () => {
  it('turns flags into answers', () => {
    expect(
      parseGenAppArgs([
        'lunch-poll',
        '--owner',
        'team-lunch',
        '--cost-center',
        'cc-1',
        '--lifecycle',
        'production',
        '--description',
        'Votes on lunch',
        '--no-install',
      ]),
    ).toEqual({
      help: false,
      interactive: false,
      input: {
        name: 'lunch-poll',
        owner: 'team-lunch',
        costCenter: 'cc-1',
        lifecycle: 'production',
        description: 'Votes on lunch',
        install: false,
      },
    });
  });

  it('asks when given nothing, and shows help', () => {
    expect(parseGenAppArgs([])).toMatchObject({ interactive: true, input: {} });
    expect(parseGenAppArgs(['--help'])).toMatchObject({ help: true, interactive: false });
  });

  it('rejects unknown options and a second name', () => {
    expect(() => parseGenAppArgs(['x', '--team', 'y'])).toThrow(/Unknown option '--team'/);
    expect(() => parseGenAppArgs(['x', 'y'])).toThrow(/one app name expected, got 2/);
    expect(() => parseGenAppArgs(['x', '--owner'])).toThrow(GeneratorError);
  });

  it('passes the answers in the order of the prompts', () => {
    let config: Partial<PlopTypes.PlopGeneratorConfig> | undefined;
    generator({
      getPlopfilePath: () => join(root, 'turbo/generators'),
      setGenerator: (_name: string, c: Partial<PlopTypes.PlopGeneratorConfig>) => {
        config = c;
      },
    } as unknown as PlopTypes.NodePlopAPI);
    const prompts = config?.prompts as PlopTypes.PromptQuestion[];
    expect(prompts.map((p) => p.name)).toEqual([...PROMPT_ORDER]);
    const answers = resolveAnswers({ name: 'lunch-poll', install: false }, root);
    expect(toPromptArgs(answers)).toEqual([
      'lunch-poll',
      'lunch-poll: a micro-app',
      'team-lunch-poll',
      'unassigned',
      'prototype',
      'no',
    ]);
    // The prompts validate as the command line does (turbo gen's --args bypasses them).
    const validate = (name: string) => prompts.find((p) => p.name === name)?.validate;
    expect(validate('name')?.('where2eat')).toMatch(/already exists/);
    expect(validate('name')?.('lunch-poll')).toBe(true);
    expect(validate('owner')?.('')).toBe(true);
    expect(validate('owner')?.('team x')).toMatch(/owner "team x"/);
  });
});

describe('versions', () => {
  it("copies the reference app's ranges, never latest", () => {
    const where2eat = manifestOf('apps/where2eat');
    const ranges = dependencyRanges(root, [...APP_DEPENDENCIES, ...APP_DEV_DEPENDENCIES]);
    for (const [name, range] of Object.entries(ranges)) {
      expect(range).not.toBe('latest');
      const declared = where2eat.dependencies?.[name] ?? where2eat.devDependencies?.[name];
      if (declared) expect(range, name).toBe(declared);
    }
    expect(ranges[`${scope}/server`]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(Object.keys(ranges)).toHaveLength(APP_DEPENDENCIES.length + APP_DEV_DEPENDENCIES.length);
  });

  it('falls back to the version of a workspace package no one depends on yet', () => {
    expect(workspaceDirs(root)).toContain('turbo/generators');
    const version = (
      JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(dependencyRanges(root, ['~server'])).toEqual({ [`${scope}/server`]: `^${version}` });
  });

  it('names a dependency no workspace declares', () => {
    expect(() => dependencyRanges(root, ['hono', 'left-pad-nowhere'])).toThrow(
      /no workspace package.json declares left-pad-nowhere/,
    );
  });
});

describe('rendered app', () => {
  const answers = resolveAnswers(
    {
      name: 'lunch-poll',
      owner: 'team-lunch',
      costCenter: 'cc-7',
      description: 'Polls & votes: where to eat (today)',
    },
    root,
  );
  let files: PlannedFile[];
  let dest: string;
  const file = (path: string) => {
    const found = files.find((f) => f.path === path);
    if (!found) throw new Error(`${path} was not planned`);
    return found.content;
  };

  beforeAll(() => {
    files = planApp(root, templateData(root, answers), render);
    dest = mkdtempSync(join(tmpdir(), 'gen-app-'));
    // The shared files the app joins are rewritten in place, so they exist first.
    for (const shared of SHARED_FILES) {
      mkdirSync(dirname(join(dest, shared)), { recursive: true });
      cpSync(join(root, shared), join(dest, shared));
    }
    writePlan(dest, files);
    // What the readiness gate reads besides the app: the chart.
    cpSync(join(repoRoot, 'infra/helm/micro-app'), join(dest, 'infra/helm/micro-app'), {
      recursive: true,
    });
  });
  afterAll(() => rmSync(dest, { recursive: true, force: true }));

  it('plans the app, its chart values and nothing else', () => {
    const paths = files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith('apps/lunch-poll/'))).toEqual([
      'infra/compose/compose.yaml',
      'infra/helm/micro-app/files/lunch-poll-slo-rules.yaml',
      'infra/helm/values/lunch-poll.yaml',
      'infra/observability/alertmanager/alertmanager.yml',
      'infra/observability/grafana/lunch-poll.json',
      'infra/observability/prometheus/lunch-poll-slo-rules.test.yaml',
      'infra/observability/prometheus/lunch-poll-slo-rules.yaml',
      'infra/observability/synthetic/blackbox.yml',
      'infra/observability/synthetic/prometheus-scrape.yml',
    ]);
    expect(files.filter((f) => f.edit).map((f) => f.path)).toEqual([
      COMPOSE_FILE,
      ALERTMANAGER_FILE,
      BLACKBOX_FILE,
      PROBES_FILE,
    ]);
    for (const expected of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'Dockerfile',
      'catalog-info.yaml',
      'flags.json',
      'docs/runbook.md',
      'contracts/lunch-poll-client-lunch-poll.json',
      'drizzle/0000_init.sql',
      'drizzle/meta/_journal.json',
      'load/smoke.ts',
      'load/scenarios.ts',
      'load/run.ts',
      'load/mix.ts',
      'load/mix.test.ts',
      'load/tsconfig.json',
      'src/config.ts',
      'src/app.ts',
      'src/main.ts',
      'src/instrumentation.ts',
      'src/catalog.ts',
      'src/app.test.ts',
      'src/contract/provider.pact.test.ts',
      'src/test/harness.ts',
    ]) {
      expect(paths).toContain(`apps/lunch-poll/${expected}`);
    }
    expect(paths.some((p) => p.endsWith('.hbs') || p.includes('{{'))).toBe(false);
  });

  it('leaves no template syntax and writes free text unescaped', () => {
    // Prometheus and Grafana keep their own {{ }} templating in the operations files.
    const ops = (path: string) => /^infra\/(observability|helm\/micro-app\/files)\//.test(path);
    for (const f of files.filter((f) => !ops(f.path))) {
      expect(f.content, f.path).not.toMatch(/\{\{|\}\}|&amp;|&#x/);
    }
    expect(file('apps/lunch-poll/src/openapi.ts')).toContain(
      "description: 'Polls & votes: where to eat (today)'",
    );
    expect(file('apps/lunch-poll/README.md')).toContain('Polls & votes: where to eat (today)');
  });

  it('imports everything from the workspace packages under their scope', () => {
    const app = file('apps/lunch-poll/src/app.ts');
    for (const pkg of ['flags', 'server', 'service', 'telemetry']) {
      expect(app).toContain(`from '${scope}/${pkg}'`);
    }
    expect(file('apps/lunch-poll/src/main.ts')).toContain(`from '${scope}/service/node'`);
  });

  it('copies every file of the template workspace, renamed, and nothing it builds', () => {
    const template = files
      .map((f) => f.path)
      .filter((p) => p.startsWith('apps/lunch-poll/'))
      .map((p) => p.slice('apps/lunch-poll/'.length));
    expect(template).toContain('openapi.json');
    expect(template.filter((p) => /(^|\/)(node_modules|dist|\.turbo|\.data)\//.test(p))).toEqual(
      [],
    );
    for (const f of files) expect(f.content, f.path).not.toContain('app-template');
    expect(file('apps/lunch-poll/src/config.ts')).toContain("name: 'lunch-poll'");
  });

  it("is the template's own package.json, but for the name and answers (they cannot drift)", () => {
    const own = readFileSync(join(repoRoot, TEMPLATE_APP_DIR, 'package.json'), 'utf8');
    const expected = renderTemplateText(
      appPackageJson(repoRoot, {
        ...answers,
        name: 'app-template',
        description: 'A tested Hono app on the shared packages, made from the app template.',
      }),
      templateData(repoRoot, answers),
    );
    expect(renderTemplateText(own, templateData(repoRoot, answers))).toBe(expected);
  });

  it('gives the app its own SLO rules, alerts and dashboard, in the repository and the chart', () => {
    const rules = file('infra/observability/prometheus/lunch-poll-slo-rules.yaml');
    expect(file('infra/helm/micro-app/files/lunch-poll-slo-rules.yaml')).toBe(rules);
    expect(rules).toContain('service_name="lunch-poll"');
    expect(rules).toContain('alert: LunchPollAvailabilityFastBurn');
    expect(rules).toContain('runbook_url: apps/lunch-poll/docs/runbook.md#alerts');
    expect(rules).not.toMatch(/where2eat|app-template|AppTemplate/i);
    expect(file('infra/observability/prometheus/lunch-poll-slo-rules.test.yaml')).toContain(
      '  - lunch-poll-slo-rules.yaml',
    );
    expect(JSON.parse(file('infra/observability/grafana/lunch-poll.json'))).toMatchObject({
      uid: 'lunch-poll-red-slo',
    });
    expect(parse(file('infra/helm/values/lunch-poll.yaml'))).toMatchObject({
      metrics: { prometheusRule: { rulesFile: 'files/lunch-poll-slo-rules.yaml' } },
    });
  });

  it('routes its alerts to its own receivers, ahead of the platform catch-all', () => {
    const before = parse(readFileSync(join(root, ALERTMANAGER_FILE), 'utf8'));
    const after = parse(file(ALERTMANAGER_FILE));
    const routes = after.route.routes as Array<{ matchers: string[]; receiver: string }>;
    const at = routes.findIndex((r) => r.matchers.includes('service_name="lunch-poll"'));
    expect(at).toBe(before.route.routes.length - 1);
    expect(routes[at]).toMatchObject({
      receiver: 'lunch-poll-tickets',
      routes: [
        { matchers: ['severity="page"'], receiver: 'lunch-poll-pager' },
        { matchers: ['severity="ticket"'], receiver: 'lunch-poll-tickets' },
      ],
    });
    expect(routes.at(-1)).toEqual(before.route.routes.at(-1));
    const names = (after.receivers as Array<{ name: string }>).map((r) => r.name);
    expect(names).toEqual([
      ...before.receivers.map((r: { name: string }) => r.name),
      'lunch-poll-pager',
      'lunch-poll-tickets',
    ]);
    // Comments survive the rewrite.
    expect(file(ALERTMANAGER_FILE)).toContain('# Causes silence their symptoms');
  });

  it('probes it from outside with a readiness module of its own', () => {
    const probes = parse(file(PROBES_FILE)).scrape_configs as Array<Record<string, unknown>>;
    const job = probes.find((j) => j.job_name === 'lunch-poll-synthetic');
    expect(job).toMatchObject({
      metrics_path: '/probe',
      static_configs: [
        {
          targets: ['https://lunch-poll.example.com/health/ready'],
          labels: { module: 'lunch_poll_ready', service_name: 'lunch-poll' },
        },
      ],
    });
    expect(job?.relabel_configs).toEqual(probes[0]?.relabel_configs);
    expect(parse(file(BLACKBOX_FILE)).modules.lunch_poll_ready).toMatchObject({
      prober: 'http',
      http: { valid_status_codes: [200], fail_if_body_not_matches_regexp: ['"status":\\s*"pass"'] },
    });
  });

  it('joins the compose stack as where2eat does: its database, migration and service', () => {
    type Service = Record<string, unknown> & {
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
    };
    const before = parse(readFileSync(join(root, COMPOSE_FILE), 'utf8'), {
      version: '1.1',
      merge: true,
    }) as { services: Record<string, Service> };
    const text = file(COMPOSE_FILE);
    const after = parse(text, { version: '1.1', merge: true }) as typeof before;
    const { services } = after;
    expect(Object.keys(services)).toEqual([
      ...Object.keys(before.services),
      'lunch-poll-db',
      'lunch-poll-migrate',
      'lunch-poll',
    ]);
    const app = services['lunch-poll'] as Service;
    const where2eat = before.services.where2eat as Service;
    const build = {
      context: '../..',
      dockerfile: 'apps/lunch-poll/Dockerfile',
      args: { GIT_SHA: 'local' },
    };
    expect(app).toMatchObject({
      image: 'micro-app/lunch-poll:local',
      build,
      read_only: true,
      cap_drop: ['ALL'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own variable syntax
      ports: ['127.0.0.1:${LUNCH_POLL_PORT:-3002}:3000'],
      volumes: ['dev-idp-tls:/certs:ro'],
      healthcheck: where2eat.healthcheck,
    });
    // where2eat's production settings, less Unleash (it imports where2eat's flags only).
    const own = {
      DATABASE_URL: 'postgres://postgres@postgres:5432/lunch_poll',
      AUTH_AUDIENCE: 'lunch-poll',
      OTEL_SERVICE_NAME: 'lunch-poll',
    };
    expect(app.environment).toEqual({
      NODE_ENV: 'production',
      PORT: '3000',
      METRICS_PORT: '9464',
      LOG_LEVEL: 'info',
      REDIS_URL: 'redis://redis:6379',
      AUTH_ISSUER: 'https://dev-idp:4000',
      NODE_EXTRA_CA_CERTS: '/certs/cert.pem',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=local',
      SHUTDOWN_DRAIN_MS: '1000',
      ...own,
    });
    for (const [name, value] of Object.entries(app.environment ?? {})) {
      if (!(name in own)) expect(value, name).toBe(where2eat.environment?.[name]);
    }
    expect(app.depends_on).toEqual({
      'lunch-poll-migrate': { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      'dev-idp': { condition: 'service_healthy' },
      'otel-collector': { condition: 'service_started' },
    });
    expect(services['lunch-poll-migrate']).toMatchObject({
      image: app.image,
      build,
      command: ['node', 'dist/migrate.js'],
      environment: { DATABASE_URL: app.environment?.DATABASE_URL },
      depends_on: { 'lunch-poll-db': { condition: 'service_completed_successfully' } },
      restart: 'no',
    });
    const createDb = services['lunch-poll-db'] as Service & { command: string[] };
    expect(createDb.image).toBe(before.services.postgres?.image);
    expect(createDb.command.at(-1)).toContain('CREATE DATABASE lunch_poll');
    // The dev IdP issues tokens for the new audience; nothing else of the stack changes.
    expect(services['dev-idp']?.environment?.EXTRA_AUDIENCES).toBe('lunch-poll');
    const { EXTRA_AUDIENCES: ___, ...idp } = services['dev-idp']?.environment ?? {};
    expect(idp).toEqual(before.services['dev-idp']?.environment);
    for (const name of Object.keys(before.services).filter((n) => n !== 'dev-idp')) {
      expect(services[name], name).toEqual(before.services[name]);
    }
    // Written as the file is: anchors, merge keys, quoted "no" (a boolean in YAML 1.1), comments.
    expect(text).toContain('    build: &lunch-poll-build\n');
    expect(text).toContain('    build: *lunch-poll-build\n');
    expect(text.match(/<<: \*hardening/g)).toHaveLength(
      (readFileSync(join(root, COMPOSE_FILE), 'utf8').match(/<<: \*hardening/g)?.length ?? 0) + 3,
    );
    expect(text).toContain('    restart: "no"\n');
    expect(text).toContain(
      '  # lunch-poll (npm run gen:app): http://localhost:3002 on the host (LUNCH_POLL_PORT)',
    );
    expect(text).toContain('# Local production-like stack');
    const comments = (t: string) => t.split('\n').filter((l) => /^\s*#/.test(l));
    const added = comments(text).filter(
      (l) => !comments(readFileSync(join(root, COMPOSE_FILE), 'utf8')).includes(l),
    );
    expect(added.length).toBeGreaterThan(2);
    expect(added.filter((l) => l.length > 100)).toEqual([]);
  });

  it('gives the app a development port no other app, the IdP, the template or the stack uses', () => {
    expect(usedDevPorts(root)).toEqual([3000]);
    // 3001 is Grafana's in the compose stack.
    expect(composeHostPorts(root)).toEqual(expect.arrayContaining([3000, 3001, 4000, 5432]));
    expect(file('apps/lunch-poll/src/config.ts')).toContain('port: 3002,');
    expect(file('apps/lunch-poll/src/config.test.ts')).toContain('PORT: 3002,');
    expect(file('apps/lunch-poll/README.md')).toContain('http://localhost:3002');
    for (const f of files) expect(f.content, f.path).not.toMatch(/\b3099\b/);
    // The image listens on 3000 whatever the development default.
    expect(file('apps/lunch-poll/Dockerfile')).toMatch(/PORT=3000/);
  });

  it("builds its image from the root's turbo pin and the reference app's Node", () => {
    const dockerfile = file('apps/lunch-poll/Dockerfile');
    const turbo = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest)
      .devDependencies?.turbo;
    expect(dockerfile).toMatch(new RegExp(`^ARG TURBO_VERSION=${turbo}$`, 'm'));
    const node = /^ARG NODE_VERSION=(\S+)$/m.exec(
      readFileSync(join(repoRoot, 'apps/where2eat/Dockerfile'), 'utf8'),
    )?.[1];
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_VERSION=${node}$`, 'm'));
  });

  it('writes a package.json with the workspace versions', () => {
    const pkg = JSON.parse(file('apps/lunch-poll/package.json')) as Manifest & {
      name: string;
      description: string;
      scripts: Record<string, string>;
    };
    expect(pkg.name).toBe(`${scope}/lunch-poll`);
    expect(pkg.description).toBe('Polls & votes: where to eat (today)');
    expect(pkg.dependencies).toEqual(dependencyRanges(root, APP_DEPENDENCIES));
    expect(pkg.devDependencies).toEqual(dependencyRanges(root, APP_DEV_DEPENDENCIES));
    expect(pkg.scripts.typecheck).toContain('load/tsconfig.json');
    // npm run load: the smoke scenario from Node, on @micro-app/load.
    expect(pkg.scripts.load).toBe('tsx load/run.ts');
    expect(pkg.devDependencies?.[`${scope}/load`]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(file('apps/lunch-poll/load/run.ts')).toContain(`from '${scope}/load'`);
    expect(file('apps/lunch-poll/load/run.ts')).toContain("const AUDIENCE = 'lunch-poll';");
    // The app's own tsconfig typechecks the Node side of load/ (the k6 side has its own).
    expect(JSON.parse(file('apps/lunch-poll/tsconfig.json')).include).toEqual(
      expect.arrayContaining(['load/run.ts', 'load/*.test.ts']),
    );
    expect(pkg.scripts.start).toBe('node --import ./dist/instrumentation.js dist/main.js');
  });

  it('writes the catalog entry and mirrors it in src/catalog.ts', () => {
    const catalog = parse(file('apps/lunch-poll/catalog-info.yaml'));
    expect(catalog).toMatchObject({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'lunch-poll',
        description: 'Polls & votes: where to eat (today)',
        annotations: { 'micro-app/app-id': 'lunch-poll', 'micro-app/cost-center': 'cc-7' },
      },
      spec: { type: 'service', lifecycle: 'prototype', owner: 'team-lunch' },
    });
    const mirror = file('apps/lunch-poll/src/catalog.ts');
    expect(mirror).toContain("team: 'team-lunch'");
    expect(mirror).toContain("costCenter: 'cc-7'");
  });

  it('writes chart values for the app', () => {
    expect(parse(file('infra/helm/values/lunch-poll.yaml'))).toMatchObject({
      nameOverride: 'lunch-poll',
      app: { team: 'team-lunch', costCenter: 'cc-7' },
      env: { AUTH_AUDIENCE: 'lunch-poll' },
      secrets: { existingSecret: 'lunch-poll' },
      ingress: { host: 'lunch-poll.example.com' },
    });
  });

  it('checks in the initial migration with a journal drizzle can apply', () => {
    const journal = JSON.parse(file('apps/lunch-poll/drizzle/meta/_journal.json')) as {
      entries: Array<{ tag: string; when: number }>;
    };
    expect(journal.entries).toEqual([expect.objectContaining({ tag: '0000_init' })]);
    expect(file('apps/lunch-poll/drizzle/0000_init.sql')).toMatch(/CREATE TABLE "notes"/);
  });

  it('passes every static readiness gate as generated: SLO, alerts routed and probed, runbook', () => {
    const app = readApp(dest, 'lunch-poll');
    const results = [
      checkCatalog(app),
      checkTelemetry(app),
      checkDockerfile(app),
      checkContractTests(app),
      checkLoadThresholds(app),
      checkChartValues(app, dest),
      checkSlo(app, dest),
      checkOperations(app, dest),
      checkRunbook(app),
    ];
    expect(results.filter((r) => !r.pass)).toEqual([]);
  });

  it('refuses to overwrite anything, before writing', () => {
    const planned: PlannedFile[] = [
      { path: 'apps/lunch-poll/new-file.txt', content: 'x' },
      { path: 'apps/lunch-poll/package.json', content: '{}' },
    ];
    expect(() => writePlan(dest, planned)).toThrow(/apps\/lunch-poll\/package.json already exists/);
    expect(existsSync(join(dest, 'apps/lunch-poll/new-file.txt'))).toBe(false);
  });
});

describe('the generator action', () => {
  let actionRoot: string;

  beforeAll(() => {
    actionRoot = miniRepo();
  });
  afterAll(() => rmSync(actionRoot, { recursive: true, force: true }));

  it('writes the rendered app with plop rendering', async () => {
    let config: Partial<PlopTypes.PlopGeneratorConfig> | undefined;
    generator({
      getPlopfilePath: () => join(actionRoot, 'turbo/generators'),
      setGenerator: (_name: string, c: Partial<PlopTypes.PlopGeneratorConfig>) => {
        config = c;
      },
      renderString: render,
    } as unknown as PlopTypes.NodePlopAPI);
    const actions = (config?.actions ?? []) as Array<
      (answers: PlopTypes.Answers) => string | Promise<string>
    >;
    const writeApp = actions[0];
    if (!writeApp) throw new Error('the generator has no actions');
    const message = await writeApp({
      name: 'tea-time',
      description: '',
      owner: 'team-tea',
      costCenter: '',
      lifecycle: 'experimental',
      install: false,
    });
    expect(message).toMatch(
      /^wrote \d+ files: apps\/tea-time, its chart values and its operations files in infra\/$/,
    );
    const catalog = parse(
      readFileSync(join(actionRoot, 'apps/tea-time/catalog-info.yaml'), 'utf8'),
    );
    expect(catalog).toMatchObject({
      metadata: {
        description: 'tea-time: a micro-app',
        annotations: { 'micro-app/cost-center': 'unassigned' },
      },
      spec: { owner: 'team-tea', lifecycle: 'experimental' },
    });
    expect(existsSync(join(actionRoot, 'infra/helm/values/tea-time.yaml'))).toBe(true);
    // A second run for the same name is refused, whatever the prompts let through.
    await expect(async () => writeApp({ name: 'tea-time' })).rejects.toThrow(
      /apps\/tea-time already exists/,
    );
  });
});
