import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { type Document, isMap, isScalar, isSeq, Pair, parseDocument, Scalar, YAMLMap } from 'yaml';

// The logic of `npm run gen:app`: answers, their validation, the versions read from the
// workspace, and the files rendered from ./templates. No turbo or plop here: config.ts wires this
// into `turbo gen`, gen-app.ts into the command line, and the tests call it directly.

/** Backstage lifecycle stages (the readiness gate reads `spec.lifecycle`). */
export const LIFECYCLES = ['experimental', 'prototype', 'production', 'deprecated'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** Names an app may not take: top-level folders, the chart, and words that confuse tools. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'apps',
  'packages',
  'infra',
  'docs',
  'node_modules',
  'dist',
  'src',
  'test',
  'tests',
  'micro-app',
  'app',
  'api',
  'all',
]);

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 40;
// The chart's pattern for app.team and app.costCenter (a Kubernetes label value).
const LABEL_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// Free text lands in YAML, TypeScript strings and Markdown unescaped: keep it to safe characters.
const DESCRIPTION_PATTERN = /^[\p{L}\p{N} .,:;()!?&/+-]+$/u;
const MAX_DESCRIPTION_LENGTH = 200;

/** What the generator asks for. */
export interface AppAnswers {
  /** Folder under apps/, package `<scope>/<name>`, service name, database table prefix. */
  name: string;
  /** One sentence for the catalog, package.json and the OpenAPI document. */
  description: string;
  /** Owning team (Backstage `spec.owner`, telemetry `team`, chart `app.team`). */
  owner: string;
  /** Cost center charged for the app (catalog annotation, telemetry, chart `app.costCenter`). */
  costCenter: string;
  lifecycle: Lifecycle;
  /** Run `npm install` after writing the files, so the new workspace is linked. */
  install: boolean;
}

/** Stable codes of {@link GeneratorError}. */
export type GeneratorErrorCode =
  | 'INVALID_ANSWERS'
  | 'INVALID_ARGUMENTS'
  | 'NOT_A_WORKSPACE'
  | 'VERSION_NOT_FOUND'
  | 'TARGET_EXISTS';

/** Bad input or a repository the generator cannot work in; `message` is meant for people. */
export class GeneratorError extends Error {
  override name = this.constructor.name;
  constructor(
    message: string,
    readonly code: GeneratorErrorCode,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The workspace folders (`apps/x`, `packages/y`, `tooling/z`), relative to the root, sorted. */
export function workspaceDirs(root: string): string[] {
  const globs = readJson(join(root, 'package.json')).workspaces;
  if (!Array.isArray(globs)) {
    throw new GeneratorError(`${root}/package.json declares no workspaces`, 'NOT_A_WORKSPACE');
  }
  const dirs: string[] = [];
  for (const glob of globs.map(String)) {
    if (glob.endsWith('/*')) {
      const parent = glob.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        const dir = `${parent}/${entry.name}`;
        if (entry.isDirectory() && existsSync(join(root, dir, 'package.json'))) dirs.push(dir);
      }
    } else if (existsSync(join(root, glob, 'package.json'))) {
      dirs.push(glob);
    }
  }
  return dirs.sort();
}

/** The npm scope of the workspace packages (`@micro-app` until `npm run rename` changes it). */
export function workspaceScope(root: string): string {
  const name = String(readJson(join(root, 'packages/server/package.json')).name ?? '');
  const scope = /^(@[^/]+)\//.exec(name)?.[1];
  if (!scope) {
    throw new GeneratorError(
      `packages/server/package.json is named "${name}": expected <scope>/server`,
      'NOT_A_WORKSPACE',
    );
  }
  return scope;
}

/**
 * Why `name` cannot be a new app, or undefined when it can: kebab-case, at most 40 characters,
 * not reserved, and no app, package, workspace or chart values file of that name exists.
 */
export function nameProblem(name: string, root: string): string | undefined {
  if (name === '') return 'the app name is empty';
  if (name.length > MAX_NAME_LENGTH) {
    return `"${name}" is longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (!NAME_PATTERN.test(name)) {
    return `"${name}" is not kebab-case: lowercase letters and digits in words joined by "-", starting with a letter (e.g. lunch-poll)`;
  }
  if (RESERVED_NAMES.has(name)) return `"${name}" is a reserved name`;
  for (const dir of ['apps', 'packages']) {
    if (existsSync(join(root, dir, name))) return `${dir}/${name} already exists`;
  }
  const packageName = `${workspaceScope(root)}/${name}`;
  const taken = workspaceDirs(root).find(
    (dir) => readJson(join(root, dir, 'package.json')).name === packageName,
  );
  if (taken) return `the package name ${packageName} is taken by ${taken}`;
  if (existsSync(join(root, 'infra/helm/values', `${name}.yaml`))) {
    return `infra/helm/values/${name}.yaml already exists`;
  }
  return undefined;
}

export function ownerProblem(owner: string): string | undefined {
  return LABEL_PATTERN.test(owner)
    ? undefined
    : `owner "${owner}" must be 1-63 letters, digits, "-", "_" or "." (e.g. team-lunch)`;
}

export function costCenterProblem(costCenter: string): string | undefined {
  return LABEL_PATTERN.test(costCenter)
    ? undefined
    : `cost center "${costCenter}" must be 1-63 letters, digits, "-", "_" or "." (e.g. cc-1042)`;
}

export function lifecycleProblem(lifecycle: string): string | undefined {
  return (LIFECYCLES as readonly string[]).includes(lifecycle)
    ? undefined
    : `lifecycle "${lifecycle}" must be one of ${LIFECYCLES.join(', ')}`;
}

export function descriptionProblem(description: string): string | undefined {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    return `the description is longer than ${MAX_DESCRIPTION_LENGTH} characters`;
  }
  return DESCRIPTION_PATTERN.test(description)
    ? undefined
    : 'the description may hold letters, digits, spaces and . , : ; ( ) ! ? & / + - only';
}

/** Defaults for what was not given: owner `team-<name>`, lifecycle `prototype`, install on. */
export function defaultAnswers(name: string): Omit<AppAnswers, 'name'> {
  return {
    description: `${name}: a micro-app`,
    owner: `team-${name}`,
    costCenter: 'unassigned',
    lifecycle: 'prototype',
    install: true,
  };
}

/**
 * Fills in defaults and checks every answer.
 *
 * @throws {GeneratorError} `INVALID_ANSWERS`, listing each problem
 */
export function resolveAnswers(input: Partial<AppAnswers>, root: string): AppAnswers {
  const name = input.name?.trim() ?? '';
  const given = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined && v !== ''),
  ) as Partial<AppAnswers>;
  const answers: AppAnswers = { ...defaultAnswers(name), ...given, name };
  // The defaults derive from the name: check what was given, so a bad name is reported once.
  const problems = [
    nameProblem(answers.name, root),
    given.description === undefined ? undefined : descriptionProblem(given.description),
    given.owner === undefined ? undefined : ownerProblem(given.owner),
    costCenterProblem(answers.costCenter),
    lifecycleProblem(answers.lifecycle),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new GeneratorError(
      `Cannot generate the app:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'INVALID_ANSWERS',
      problems,
    );
  }
  return answers;
}

/** The order of the generator's prompts: `turbo gen --args` answers them by position. */
export const PROMPT_ORDER = [
  'name',
  'description',
  'owner',
  'costCenter',
  'lifecycle',
  'install',
] as const satisfies ReadonlyArray<keyof AppAnswers>;

/** The answers as `turbo gen app --args …` takes them. */
export function toPromptArgs(answers: AppAnswers): string[] {
  return PROMPT_ORDER.map((key) => {
    const value = answers[key];
    return typeof value === 'boolean' ? (value ? 'yes' : 'no') : value;
  });
}

export const USAGE = `Usage: npm run gen:app -- <name> [options]

Creates apps/<name> (a Hono app wired to the workspace packages, with tests, a contract test,
a k6 smoke script and npm run load, Dockerfile, catalog entry and runbook stub) and infra/helm/values/<name>.yaml,
adds it to the shared files in infra/ (alert routes, probes, the compose stack), then runs
npm install to link the new workspace. Without arguments, in a terminal, it asks.

  <name>                 kebab-case, e.g. lunch-poll
  --description <text>   one sentence (default "<name>: a micro-app")
  --owner <team>         owning team (default team-<name>)
  --cost-center <id>     cost center (default unassigned)
  --lifecycle <stage>    ${LIFECYCLES.join(' | ')} (default prototype)
  --no-install           skip npm install (run it yourself before npm test)
  --help                 show this text
`;

/** What the command line asked for. */
export interface GenAppCommand {
  help: boolean;
  /** No name and no option: ask for everything. */
  interactive: boolean;
  input: Partial<AppAnswers>;
}

/**
 * Parses `npm run gen:app -- <name> [--owner x] …`.
 *
 * @throws {GeneratorError} `INVALID_ARGUMENTS` for unknown options or more than one name
 */
export function parseGenAppArgs(argv: readonly string[]): GenAppCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    throw new GeneratorError((err as Error).message, 'INVALID_ARGUMENTS');
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new GeneratorError(
      `one app name expected, got ${positionals.length}: ${positionals.join(' ')}`,
      'INVALID_ARGUMENTS',
    );
  }
  const input: Partial<AppAnswers> = {};
  if (positionals[0] !== undefined) input.name = positionals[0];
  if (values.description !== undefined) input.description = values.description;
  if (values.owner !== undefined) input.owner = values.owner;
  if (values['cost-center'] !== undefined) input.costCenter = values['cost-center'];
  if (values.lifecycle !== undefined) input.lifecycle = values.lifecycle as Lifecycle;
  if (values['no-install']) input.install = false;
  return {
    help: values.help === true,
    interactive: argv.length === 0,
    input,
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      description: { type: 'string' },
      owner: { type: 'string' },
      'cost-center': { type: 'string' },
      lifecycle: { type: 'string' },
      'no-install': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
}

type Manifest = Record<string, unknown> & {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/**
 * The packages the generated app declares. Each version range is the one the workspace already
 * uses (the reference app first, then the other apps, packages, infra and the root), never
 * `latest`; a workspace package without such a range gets `^<its version>` (`*` for an app).
 */
export const APP_DEPENDENCIES = [
  '@hono/node-server',
  '@hono/zod-openapi',
  '~auth',
  '~db',
  '~flags',
  '~rate-limit',
  '~server',
  '~service',
  '~telemetry',
  'drizzle-orm',
  'hono',
  'zod',
] as const;
export const APP_DEV_DEPENDENCIES = [
  '~dev-idp',
  '~load',
  '@pact-foundation/pact',
  '@types/k6',
  'drizzle-kit',
  'pino-pretty',
  'tsx',
] as const;

/** Resolves each dependency name (`~x` is the workspace package `<scope>/x`) to its range. */
export function dependencyRanges(root: string, names: readonly string[]): Record<string, string> {
  const scope = workspaceScope(root);
  const dirs = workspaceDirs(root);
  // The reference app first: its ranges are the ones the starter is tested with.
  const order = [
    ...dirs.filter((d) => d === 'apps/where2eat'),
    ...dirs.filter((d) => d.startsWith('apps/') && d !== 'apps/where2eat'),
    ...dirs.filter((d) => !d.startsWith('apps/')),
  ];
  const manifests = order.map((dir) => ({
    dir,
    manifest: readJson(join(root, dir, 'package.json')) as Manifest,
  }));
  manifests.push({ dir: '.', manifest: readJson(join(root, 'package.json')) as Manifest });

  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const raw of names) {
    const name = raw.startsWith('~') ? `${scope}/${raw.slice(1)}` : raw;
    const declared = manifests
      .map(({ manifest }) => manifest.dependencies?.[name] ?? manifest.devDependencies?.[name])
      .find((range) => range !== undefined && range !== 'latest');
    const workspace = manifests.find(({ manifest }) => manifest.name === name);
    const range =
      declared ??
      (workspace
        ? workspace.dir.startsWith('apps/')
          ? '*'
          : `^${workspace.manifest.version}`
        : undefined);
    if (range === undefined) missing.push(name);
    else out[name] = range;
  }
  if (missing.length > 0) {
    throw new GeneratorError(
      `no workspace package.json declares ${missing.join(', ')}: add ${missing.length === 1 ? 'it' : 'them'} to a workspace (npm install -w <workspace> <package>) so the generator can copy the version`,
      'VERSION_NOT_FOUND',
    );
  }
  return out;
}

/** The generated app's package.json, as text. */
export function appPackageJson(root: string, answers: AppAnswers): string {
  const manifest = {
    name: `${workspaceScope(root)}/${answers.name}`,
    version: '0.1.0',
    private: true,
    description: answers.description,
    license: 'MIT',
    type: 'module',
    engines: { node: '>=22.12' },
    scripts: {
      dev: 'tsx watch --clear-screen=false --import ./src/instrumentation.ts src/main.ts',
      build: 'tsc -p tsconfig.build.json',
      start: 'node --import ./dist/instrumentation.js dist/main.js',
      migrate: 'node dist/migrate.js',
      'db:generate': 'drizzle-kit generate',
      typecheck: 'tsc --noEmit && tsc -p load/tsconfig.json',
      lint: 'biome check .',
      test: 'vitest run --maxWorkers=50% --testTimeout=30000 --hookTimeout=60000',
      'test:contract': 'vitest run src/contract --testTimeout=30000 --hookTimeout=60000',
      load: 'tsx load/run.ts',
      openapi: 'tsx src/openapi-cli.ts',
    },
    devDependencies: sortKeys(dependencyRanges(root, APP_DEV_DEPENDENCIES)),
    dependencies: sortKeys(dependencyRanges(root, APP_DEPENDENCIES)),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Everything the templates can use. */
export interface TemplateData extends AppAnswers {
  scope: string;
  /** e.g. `Lunch poll`. */
  title: string;
  /** Default `PORT` in development: one no other app of the repository uses. */
  port: number;
}

/** The template's development port; the image and the chart always use 3000 inside the pod. */
export const TEMPLATE_PORT = 3099;
/** Taken in development whatever the apps say: the dev IdP, and the Prometheus endpoint. */
const RESERVED_PORTS = [4000, 9464];

/**
 * The development ports the apps of the repository default to: the `port` each passes to
 * `serviceEnv()` in its `src/config.ts`, or a `PORT` default written out there.
 */
export function usedDevPorts(root: string): number[] {
  const apps = join(root, 'apps');
  if (!existsSync(apps)) return [];
  const ports: number[] = [];
  for (const entry of readdirSync(apps, { withFileTypes: true })) {
    const config = join(apps, entry.name, 'src/config.ts');
    if (!entry.isDirectory() || !existsSync(config)) continue;
    const text = readFileSync(config, 'utf8');
    for (const m of text.matchAll(/\bport:\s*(\d{2,5})\b|\bPORT:[^\n]*\.default\((\d{2,5})\)/g)) {
      ports.push(Number(m[1] ?? m[2]));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * The host ports the local compose stack publishes (`${VAR:-port}` defaults and fixed ones), so
 * an app's development port never collides with the stack running beside it (Grafana's 3001).
 */
export function composeHostPorts(root: string): number[] {
  const full = join(root, COMPOSE_FILE);
  if (!existsSync(full)) return [];
  const stack = parseDocument(readFileSync(full, 'utf8'), { version: '1.1' }).toJS() as {
    services?: Record<string, { ports?: unknown[] } | null>;
  } | null;
  const services = stack?.services;
  const ports: number[] = [];
  for (const service of Object.values(services ?? {})) {
    for (const spec of service?.ports ?? []) {
      const m = /^(?:[\d.]+:)?(?:\$\{\w+:-(\d+)\}|(\d+)):\d+/.exec(String(spec));
      if (m) ports.push(Number(m[1] ?? m[2]));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The first port from 3001 up that no app, the template, a dev service or the stack uses. */
export function freeDevPort(root: string): number {
  const taken = new Set([
    ...usedDevPorts(root),
    ...composeHostPorts(root),
    TEMPLATE_PORT,
    ...RESERVED_PORTS,
  ]);
  let port = 3001;
  while (taken.has(port)) port++;
  return port;
}

export function templateData(root: string, answers: AppAnswers): TemplateData {
  const words = answers.name.split('-').join(' ');
  return {
    ...answers,
    scope: workspaceScope(root),
    title: words.charAt(0).toUpperCase() + words.slice(1),
    port: freeDevPort(root),
  };
}

/** Renders a Handlebars template; plop's `renderString` in `turbo gen`, Handlebars in tests. */
export type Render = (template: string, data: TemplateData) => string;

/** One file to write, its path relative to the repository root (always with `/`). */
export interface PlannedFile {
  path: string;
  content: string;
  /** A shared file the app joins (alert routes, probes): rewritten, never created. */
  edit?: boolean;
}

/** The chart values template (Handlebars). */
export const TEMPLATES_DIR = 'turbo/generators/templates';
/**
 * The app template: a real workspace that CI builds, lints, typechecks and tests like any app,
 * so what the generator copies cannot drift from what works.
 */
export const TEMPLATE_APP_DIR = 'templates/app-template';
/** The template's name; the generator writes the new app's name wherever it appears. */
export const TEMPLATE_NAME = 'app-template';
/** The template's answers, as its files spell them. */
export const TEMPLATE_ANSWERS = {
  description: 'A tested Hono app on the shared packages, made from the app template.',
  owner: 'team-app-template',
  costCenter: 'cc-0000',
  lifecycle: 'experimental',
} as const;

/** What is built or written at run time in the template folder, never copied. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.turbo', '.data', 'pacts', 'coverage']);

function listTemplates(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !NOT_COPIED.has(entry.name))
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      return entry.isDirectory() ? listTemplates(full, base) : [relative(base, full)];
    })
    .map((p) => p.split(sep).join('/'))
    .sort();
}

const pascal = (kebab: string) =>
  kebab
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/**
 * The template's text with the new app's answers: its owner, cost center, description,
 * lifecycle, development port, then its name in kebab, Pascal and sentence case.
 */
export function renderTemplateText(text: string, data: TemplateData): string {
  return text
    .replaceAll(TEMPLATE_ANSWERS.owner, data.owner)
    .replaceAll(TEMPLATE_ANSWERS.costCenter, data.costCenter)
    .replaceAll(TEMPLATE_ANSWERS.description, data.description)
    .replace(
      /(lifecycle:\s*['"]?)experimental\b/g,
      (_, prefix: string) => `${prefix}${data.lifecycle}`,
    )
    .replace(new RegExp(`\\b${TEMPLATE_PORT}\\b`, 'g'), String(data.port))
    .replaceAll(TEMPLATE_NAME, data.name)
    .replaceAll(pascal(TEMPLATE_NAME), pascal(data.name))
    .replaceAll('App template', data.title);
}

/**
 * Every file of the new app: the template workspace into `apps/<name>/` (paths and contents with
 * the new name and answers; its package.json written afresh with the workspace's current
 * ranges) and `templates/helm/*` into `infra/helm/values/` (Handlebars, `.hbs` dropped).
 */
export function planApp(root: string, data: TemplateData, render: Render): PlannedFile[] {
  const files: PlannedFile[] = [];
  const app = join(root, TEMPLATE_APP_DIR);
  for (const file of listTemplates(app)) {
    if (file === 'package.json') continue;
    const content = renderTemplateText(readFileSync(join(app, file), 'utf8'), data);
    const name = renderTemplateText(posix.basename(file), data);
    if (file.startsWith('ops/')) {
      // The app's SLO rules, their tests and its dashboard join the repository's; the chart
      // ships the rules too (helm reads only files inside the chart).
      if (name.endsWith('.json')) {
        files.push({ path: `infra/observability/grafana/${name}`, content });
      } else {
        files.push({ path: `infra/observability/prometheus/${name}`, content });
        if (!name.endsWith('.test.yaml')) {
          files.push({ path: `infra/helm/micro-app/files/${name}`, content });
        }
      }
      continue;
    }
    files.push({ path: posix.join(`apps/${data.name}`, renderTemplateText(file, data)), content });
  }
  const helm = join(root, TEMPLATES_DIR, 'helm');
  for (const template of listTemplates(helm)) {
    files.push({
      path: posix.join('infra/helm/values', render(template.replace(/\.hbs$/, ''), data)),
      content: render(readFileSync(join(helm, template), 'utf8'), data),
    });
  }
  files.push({ path: `apps/${data.name}/package.json`, content: appPackageJson(root, data) });
  files.push(...planSharedEdits(root, data));
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export const ALERTMANAGER_FILE = 'infra/observability/alertmanager/alertmanager.yml';
export const PROBES_FILE = 'infra/observability/synthetic/prometheus-scrape.yml';
export const BLACKBOX_FILE = 'infra/observability/synthetic/blackbox.yml';
/** The local production-like stack (Compose reads YAML 1.1: `no` is a boolean there). */
export const COMPOSE_FILE = 'infra/compose/compose.yaml';

/**
 * The shared operations files the new app joins, rewritten with its entries (comments and
 * order kept): an Alertmanager route for its `service_name` with a pager and a ticket receiver
 * (placeholders, like where2eat's), before the catch-all that pages the platform team; a
 * synthetic readiness probe of its public address, with its blackbox module; and its services in
 * the local compose stack. Files the repository does not have are left alone.
 */
export function planSharedEdits(root: string, data: TemplateData): PlannedFile[] {
  const edits: PlannedFile[] = [];
  const edit = (path: string, change: (doc: ReturnType<typeof parseDocument>) => void) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    const doc = parseDocument(readFileSync(full, 'utf8'));
    change(doc);
    edits.push({ path, content: doc.toString({ lineWidth: 0 }), edit: true });
  };
  const { name } = data;
  const matcher = `service_name="${name}"`;

  edit(ALERTMANAGER_FILE, (doc) => {
    const routes = doc.getIn(['route', 'routes']);
    const receivers = doc.get('receivers');
    if (!isSeq(routes) || !isSeq(receivers)) {
      throw new GeneratorError(
        `${ALERTMANAGER_FILE} has no route.routes or receivers list`,
        'NOT_A_WORKSPACE',
      );
    }
    const matchersOf = (r: unknown): string[] =>
      isMap(r) ? ((r.toJSON() as { matchers?: string[] }).matchers ?? []) : [];
    const claimed = routes.items.some((r) =>
      matchersOf(r).some((m) => m.replace(/\s/g, '') === matcher),
    );
    if (claimed) {
      throw new GeneratorError(`${ALERTMANAGER_FILE} already routes ${matcher}`, 'TARGET_EXISTS');
    }
    const route = doc.createNode({
      matchers: [matcher],
      receiver: `${name}-tickets`,
      routes: [
        {
          matchers: ['severity="page"'],
          receiver: `${name}-pager`,
          group_wait: '10s',
          repeat_interval: '1h',
        },
        { matchers: ['severity="ticket"'], receiver: `${name}-tickets`, repeat_interval: '24h' },
      ],
    });
    // Before the first route that matches any service (the platform's catch-all pages).
    const catchAll = routes.items.findIndex(
      (r) => !matchersOf(r).some((m) => m.includes('service_name=')),
    );
    routes.items.splice(catchAll < 0 ? routes.items.length : catchAll, 0, route);
    for (const kind of ['pager', 'tickets'] as const) {
      receivers.items.push(
        doc.createNode({
          name: `${name}-${kind}`,
          webhook_configs: [
            {
              url: `https://alerts.example.invalid/${name}/${kind === 'pager' ? 'page' : 'ticket'}`,
              send_resolved: true,
            },
          ],
        }),
      );
    }
  });

  const module = `${name.replaceAll('-', '_')}_ready`;
  edit(BLACKBOX_FILE, (doc) => {
    const modules = doc.get('modules');
    if (!isMap(modules))
      throw new GeneratorError(`${BLACKBOX_FILE} has no modules`, 'NOT_A_WORKSPACE');
    modules.set(
      module,
      doc.createNode({
        prober: 'http',
        timeout: '5s',
        http: {
          method: 'GET',
          valid_status_codes: [200],
          fail_if_body_not_matches_regexp: ['"status":\\s*"pass"'],
        },
      }),
    );
  });

  edit(PROBES_FILE, (doc) => {
    const jobs = doc.get('scrape_configs');
    if (!isSeq(jobs) || !isMap(jobs.items[0])) {
      throw new GeneratorError(`${PROBES_FILE} has no scrape_configs`, 'NOT_A_WORKSPACE');
    }
    // The same relabelling as the first job: the exporter probes the target URL.
    const first = jobs.items[0].toJSON() as Record<string, unknown>;
    jobs.items.push(
      doc.createNode({
        ...first,
        job_name: `${name}-synthetic`,
        static_configs: [
          {
            targets: [`https://${name}.example.com/health/ready`],
            labels: { module, service_name: name },
          },
        ],
      }),
    );
  });

  const compose = join(root, COMPOSE_FILE);
  if (existsSync(compose)) {
    const doc = parseDocument(readFileSync(compose, 'utf8'), { version: '1.1' });
    addComposeServices(doc, data);
    edits.push({
      path: COMPOSE_FILE,
      content: doc.toString({ lineWidth: 0, flowCollectionPadding: false }),
      edit: true,
    });
  }
  return edits;
}

/** `text` as the lines of a YAML comment indented by two, each at most 100 characters. */
function wrapComment(text: string, width = 100 - '  # '.length): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => ` ${l}`).join('\n');
}

/** What the compose stack calls a generated app's parts. */
export function composeNames(name: string) {
  return {
    service: name,
    migrate: `${name}-migrate`,
    createDb: `${name}-db`,
    /** Its own database in the shared PostgreSQL (drizzle keeps one migration journal per database). */
    database: name.replaceAll('-', '_'),
    /** The host port variable, e.g. LUNCH_POLL_PORT. */
    portVariable: `${name.toUpperCase().replaceAll('-', '_')}_PORT`,
  };
}

/**
 * Adds the app to the compose stack the way where2eat is in it: its image built from its
 * Dockerfile, a one-shot that creates its database in the shared PostgreSQL, a one-shot
 * migration, and the app itself in production mode (read-only root, no capabilities) with
 * Redis, the dev IdP over HTTPS (which learns its audience) and the collector, its development
 * port published on loopback. Services the stack lacks are left out of the wiring.
 */
function addComposeServices(doc: Document, data: TemplateData): void {
  const { name, port } = data;
  const names = composeNames(name);
  const services = doc.get('services');
  if (!isMap(services)) {
    throw new GeneratorError(`${COMPOSE_FILE} has no services`, 'NOT_A_WORKSPACE');
  }
  for (const taken of [names.service, names.migrate, names.createDb]) {
    if (services.has(taken)) {
      throw new GeneratorError(`${COMPOSE_FILE} already has a ${taken} service`, 'TARGET_EXISTS');
    }
  }
  const plain = (doc.toJS() ?? {}) as {
    services: Record<
      string,
      { image?: string; environment?: Record<string, string>; volumes?: string[] }
    >;
  };
  const has = (service: string) => services.has(service);
  const own = new Set([names.migrate, names.createDb]);
  const hardening = doc.get('x-hardening', true);
  const hardened = (map: YAMLMap) => {
    if (isMap(hardening)) map.items.push(new Pair(new Scalar('<<'), doc.createAlias(hardening)));
  };
  const flow = (items: string[]) => {
    const node = doc.createNode(items);
    node.flow = true;
    return node;
  };
  const quoted = (value: string) => {
    const node = new Scalar(value);
    node.type = Scalar.QUOTE_DOUBLE;
    return node;
  };
  const dependsOn = (deps: Array<[string, string]>) =>
    doc.createNode(
      Object.fromEntries(
        deps
          .filter(([service]) => has(service) || own.has(service))
          .map(([s, c]) => [s, { condition: c }]),
      ),
    );
  const imageOf = (service: string) => plain.services[service]?.image;
  // The image the stack builds for where2eat, renamed: micro-app/<name>:local.
  const image = (imageOf('where2eat') ?? `${data.scope.replace(/^@/, '')}/where2eat:local`).replace(
    /[^/:]+:([^/:]+)$/,
    `${name}:$1`,
  );
  const databaseUrl = `postgres://postgres@postgres:5432/${names.database}`;

  // One-shot: the app's database, created when missing (a volume made before the app existed
  // has only the databases of its first start).
  const createDb = new YAMLMap();
  createDb.set('image', imageOf('postgres') ?? 'postgres');
  hardened(createDb);
  const exists = `SELECT 1 FROM pg_database WHERE datname = '${names.database}'`;
  createDb.set(
    'command',
    doc.createNode([
      'sh',
      '-c',
      `psql -h postgres -U postgres -tAc "${exists}" | grep -q 1 || psql -h postgres -U postgres -c 'CREATE DATABASE ${names.database}'`,
    ]),
  );
  createDb.set('depends_on', dependsOn([['postgres', 'service_healthy']]));
  createDb.set('restart', quoted('no'));

  const migrate = new YAMLMap();
  migrate.set('image', image);
  const build = doc.createNode({
    context: '../..',
    dockerfile: `apps/${name}/Dockerfile`,
    args: { GIT_SHA: 'local' },
  });
  build.anchor = `${name}-build`;
  migrate.set('build', build);
  hardened(migrate);
  migrate.set('command', flow(['node', 'dist/migrate.js']));
  migrate.set('environment', doc.createNode({ DATABASE_URL: databaseUrl }));
  migrate.set(
    'depends_on',
    dependsOn([
      [names.createDb, 'service_completed_successfully'],
      ['postgres', 'service_healthy'],
    ]),
  );
  migrate.set('restart', quoted('no'));

  // The dev IdP's issuer and the certificate it serves, from its own settings.
  const idp = plain.services['dev-idp']?.environment ?? {};
  const tlsDir = idp.TLS_DIR;
  const certVolume = plain.services['dev-idp']?.volumes
    ?.map((v) => v.split(':'))
    .find((parts) => parts[1] === tlsDir)?.[0];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: '3000',
    METRICS_PORT: '9464',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    ...(has('redis') ? { REDIS_URL: 'redis://redis:6379' } : {}),
    ...(idp.ISSUER ? { AUTH_ISSUER: idp.ISSUER } : {}),
    AUTH_AUDIENCE: name,
    ...(tlsDir ? { NODE_EXTRA_CA_CERTS: `${tlsDir}/cert.pem` } : {}),
    ...(has('otel-collector') ? { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' } : {}),
    OTEL_SERVICE_NAME: name,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=local',
    SHUTDOWN_DRAIN_MS: '1000',
  };
  const app = new YAMLMap();
  app.set('image', image);
  app.set('build', doc.createAlias(build));
  hardened(app);
  app.set('environment', doc.createNode(env));
  if (tlsDir && certVolume) app.set('volumes', doc.createNode([`${certVolume}:${tlsDir}:ro`]));
  app.set('ports', doc.createNode([`127.0.0.1:\${${names.portVariable}:-${port}}:3000`]));
  app.set('stop_grace_period', '20s');
  app.set(
    'depends_on',
    dependsOn([
      [names.migrate, 'service_completed_successfully'],
      ['postgres', 'service_healthy'],
      ['redis', 'service_healthy'],
      ['dev-idp', 'service_healthy'],
      ['otel-collector', 'service_started'],
    ]),
  );
  const probe = doc.createNode([
    'CMD',
    'node',
    '-e',
    "fetch('http://127.0.0.1:3000/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
  ]);
  const script = probe.items[3];
  if (isScalar(script)) script.type = Scalar.QUOTE_DOUBLE;
  app.set(
    'healthcheck',
    doc.createNode({
      test: probe,
      interval: '5s',
      timeout: '3s',
      retries: 12,
      start_period: '10s',
    }),
  );

  const first = new Scalar(names.createDb);
  first.spaceBefore = true;
  first.commentBefore = wrapComment(
    `${name} (npm run gen:app): http://localhost:${port} on the host (${names.portVariable}), built ` +
      `from apps/${name}/Dockerfile. Its own database ${names.database} in the shared PostgreSQL, ` +
      `made by ${names.createDb} and migrated by ${names.migrate}; rate limits in the shared Redis; ` +
      `tokens from the dev IdP (its EXTRA_AUDIENCES lists ${name}); flags from ` +
      `apps/${name}/flags.json (Unleash imports where2eat's flags only). Its /metrics stays ` +
      'inside the stack.',
  );
  services.items.push(new Pair(first, createDb));
  for (const [key, value] of [
    [names.migrate, migrate],
    [names.service, app],
  ] as const) {
    const scalar = new Scalar(key);
    scalar.spaceBefore = true;
    services.items.push(new Pair(scalar, value));
  }

  // The dev IdP issues tokens for the app's audience too.
  const idpEnv = doc.getIn(['services', 'dev-idp', 'environment']);
  if (isMap(idpEnv)) {
    const current = idpEnv.get('EXTRA_AUDIENCES');
    const list = String(current ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (!list.includes(name)) list.push(name);
    if (current === undefined) {
      const at = idpEnv.items.findIndex((p) => isScalar(p.key) && p.key.value === 'AUDIENCE');
      const pair = new Pair(new Scalar('EXTRA_AUDIENCES'), new Scalar(list.join(',')));
      idpEnv.items.splice(at < 0 ? idpEnv.items.length : at + 1, 0, pair);
    } else {
      idpEnv.set('EXTRA_AUDIENCES', list.join(','));
    }
  }
}

/**
 * Writes the planned files; refuses to overwrite anything.
 *
 * @throws {GeneratorError} `TARGET_EXISTS` naming the first file that exists, before writing any
 */
export function writePlan(root: string, files: readonly PlannedFile[]): void {
  const existing = files.find((f) => !f.edit && existsSync(join(root, f.path)));
  if (existing) {
    throw new GeneratorError(`${existing.path} already exists; nothing written`, 'TARGET_EXISTS');
  }
  const missing = files.find((f) => f.edit && !existsSync(join(root, f.path)));
  if (missing) {
    throw new GeneratorError(`${missing.path} is gone; nothing written`, 'TARGET_EXISTS');
  }
  for (const file of files) {
    const path = join(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
