import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLAGS_FILE, IMPORT_FILE, renderImportFile } from './unleash-import.ts';

// compose.yaml as a Compose implementation reads it: `docker-compose config` parses, validates,
// merges the anchors, resolves the variables and prints the normalized file, which these tests
// check. No Docker engine runs here; the stack itself is started by hand (docs/deploy.md).

const repoRoot = resolve(import.meta.dirname, '../../..');
const dir = join(repoRoot, 'infra/compose');
const COMPOSE_FILE = join(dir, 'compose.yaml');
const dockerCompose = systemBinary('docker-compose');

/**
 * The apps of the stack: every apps/<name> with a Dockerfile and chart values, the list the
 * pipeline ships (tooling/ci/steps/apps.sh). Each has a service of its name, a one-shot
 * `<name>-migrate`, and its own database; an app made by `npm run gen:app` also has the
 * one-shot `<name>-db` that creates that database in the shared PostgreSQL.
 */
const APPS = readdirSync(join(repoRoot, 'apps'), { withFileTypes: true })
  .filter(
    (e) =>
      e.isDirectory() &&
      existsSync(join(repoRoot, 'apps', e.name, 'Dockerfile')) &&
      existsSync(join(repoRoot, 'infra/helm/values', `${e.name}.yaml`)),
  )
  .map((e) => e.name)
  .sort();
/** The apps added after where2eat (by npm run gen:app), whose parts follow the generator's names. */
const GENERATED = APPS.filter((app) => app !== 'where2eat');

/** The development port an app's src/config.ts passes to serviceEnv(): its host port here. */
function devPort(app: string): number {
  const config = readFileSync(join(repoRoot, 'apps', app, 'src/config.ts'), 'utf8');
  const port = /\bport:\s*(\d+)/.exec(config)?.[1];
  if (!port) throw new Error(`apps/${app}/src/config.ts names no development port`);
  return Number(port);
}

/** A generated app's host port variable, e.g. LUNCH_POLL_PORT. */
const portVariable = (app: string) => `${app.toUpperCase().replaceAll('-', '_')}_PORT`;

/** The variables of the stack itself, documented in the file header and docs/deploy.md. */
const STACK_PORT_VARIABLES: Record<string, { service: string; target: number; default: number }> = {
  POSTGRES_PORT: { service: 'postgres', target: 5432, default: 5432 },
  REDIS_PORT: { service: 'redis', target: 6379, default: 6379 },
  UNLEASH_PORT: { service: 'unleash', target: 4242, default: 4242 },
  DEV_IDP_PORT: { service: 'dev-idp', target: 4000, default: 4000 },
  GRAFANA_PORT: { service: 'lgtm', target: 3000, default: 3001 },
  OTLP_HTTP_PORT: { service: 'otel-collector', target: 4318, default: 4318 },
  COLLECTOR_PROMETHEUS_PORT: { service: 'otel-collector', target: 8889, default: 8889 },
  W2E_PORT: { service: 'where2eat', target: 3000, default: 3000 },
  W2E_METRICS_PORT: { service: 'where2eat', target: 9464, default: 9464 },
};

/** Every variable the file reads for a host port, with its default. */
const PORT_VARIABLES = {
  ...STACK_PORT_VARIABLES,
  ...Object.fromEntries(
    GENERATED.map((app) => [
      portVariable(app),
      { service: app, target: 3000, default: devPort(app) },
    ]),
  ),
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  restart?: string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `docker-compose -f <file> <args>` with only PATH/HOME and `env` in its environment. */
function compose(file: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(dockerCompose.path ?? 'docker-compose', ['-f', file, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** The normalized file `docker-compose config` prints, parsed. */
function normalized(env: Record<string, string> = {}): { services: Record<string, Service> } {
  const run = compose(COMPOSE_FILE, ['config'], env);
  if (run.status !== 0 || run.stderr !== '') {
    throw new Error(`docker-compose config exited with ${run.status}:\n${run.stderr}`);
  }
  return parse(run.stdout) as { services: Record<string, Service> };
}

/** Host ports published for `target` by `service`, as `host:port`. */
function published(svc: Service | undefined, target: number): string[] {
  return (svc?.ports ?? [])
    .filter((p) => p.replace(/\/tcp$/, '').endsWith(`:${target}`))
    .map((p) => p.replace(/\/tcp$/, '').replace(new RegExp(`:${target}$`), ''));
}

// Parsed at collection (the it.each tables need it), and only when docker-compose is there.
const services: Record<string, Service> = dockerCompose.skipReason ? {} : normalized().services;

// docker-compose is a Python program: each run takes a second or more on a busy machine.
describe.skipIf(dockerCompose.skipReason)(
  'infra/compose/compose.yaml (docker-compose config)',
  { timeout: 120_000 },
  () => {
    const where2eat: Service = services.where2eat ?? {};
    const env = where2eat.environment ?? {};
    const envOf = (app: string) => services[app]?.environment ?? {};
    const postgresDb = services.postgres?.environment?.POSTGRES_DB;
    const databaseOf = (app: string) => new URL(envOf(app).DATABASE_URL ?? '').pathname.slice(1);

    /** One-shot jobs: each runs to completion, and what needs it waits for that. */
    const oneShots = [
      'dev-idp-tls',
      ...APPS.map((app) => `${app}-migrate`),
      ...GENERATED.map((app) => `${app}-db`),
    ];
    /** Services without a healthcheck, each with the reason. */
    const noHealthcheck: Record<string, string> = {
      'otel-collector': 'distroless image: no shell or client to probe with',
      ...Object.fromEntries(oneShots.map((name) => [name, 'a one-shot job; others wait for it'])),
    };

    const work = mkdtempSync(join(tmpdir(), 'compose-test-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('is accepted by docker-compose config -q', () => {
      const run = compose(COMPOSE_FILE, ['config', '-q']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    });

    it('is rejected by docker-compose once its YAML breaks (the check can fail)', () => {
      const copy = join(work, 'broken');
      cpSync(dir, copy, { recursive: true });
      const text = readFileSync(join(copy, 'compose.yaml'), 'utf8');
      // The mistake this file once had: an unquoted `? 0: 1` reads as a mapping.
      const broken = text.replace(
        /- "(fetch\('http:\/\/127\.0\.0\.1:3000\/health\/ready'\)[^\n]*)"$/m,
        (_, script: string) => `- ${script.replace('? 0 : 1', '? 0: 1')}`,
      );
      expect(broken).not.toBe(text);
      writeFileSync(join(copy, 'compose.yaml'), broken);
      const run = compose(join(copy, 'compose.yaml'), ['config', '-q']);
      expect(run.status).not.toBe(0);
      expect(run.stderr).not.toBe('');
    });

    it('has the production-like stack and every app the pipeline ships', () => {
      expect(APPS).toContain('where2eat');
      expect(Object.keys(services).sort()).toEqual(
        [
          'dev-idp',
          'dev-idp-tls',
          'lgtm',
          'otel-collector',
          'postgres',
          'redis',
          'unleash',
          ...APPS.flatMap((app) => [app, `${app}-migrate`]),
          ...GENERATED.map((app) => `${app}-db`),
        ].sort(),
      );
    });

    it.each(Object.entries(services))('%s uses a pinned image tag', (_name, svc) => {
      const image = svc.image ?? '';
      const tag = /:([^/:@]+)$/.exec(image)?.[1] ?? '';
      expect(tag, image).not.toBe('');
      expect(tag).not.toMatch(/latest/);
      if (!svc.build) expect(tag, `${image} needs a version`).toMatch(/\d/);
    });

    it.each(Object.entries(services))(
      '%s has a healthcheck or a stated reason not to',
      (name, svc) => {
        if (name in noHealthcheck) expect(svc.healthcheck).toBeUndefined();
        else expect(svc.healthcheck?.test[0]).toBe('CMD');
      },
    );

    it.each(oneShots)('%s runs once, and what needs it waits until it completed', (name) => {
      expect(services[name]?.restart).toBe('no');
      const waiting = Object.entries(services).filter(([, svc]) => svc.depends_on?.[name]);
      expect(waiting.length, `nothing waits for ${name}`).toBeGreaterThan(0);
      for (const [other, svc] of waiting) {
        expect(svc.depends_on?.[name], other).toEqual({
          condition: 'service_completed_successfully',
        });
      }
    });

    it.each([
      ['dev-idp', 'https://127.0.0.1:4000/.well-known/openid-configuration'],
      ...APPS.map((app) => [app, 'http://127.0.0.1:3000/health/ready']),
    ])('%s probes itself with a node -e script that compiles and exits on r.ok', (name, url) => {
      const test = services[name]?.healthcheck?.test ?? [];
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test).toHaveLength(4);
      const script = test[3] ?? '';
      expect(script).toBe(
        `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
      );
      expect(() => new Script(script)).not.toThrow();
    });

    it('waits only on healthchecks that exist', () => {
      for (const [name, svc] of Object.entries(services)) {
        for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
          expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
          if (condition === 'service_healthy')
            expect(services[dep]?.healthcheck, dep).toBeDefined();
        }
      }
    });

    it('publishes every port on loopback, at the documented defaults', () => {
      const ports = Object.values(services).flatMap((s) => s.ports ?? []);
      expect(ports).toHaveLength(Object.keys(PORT_VARIABLES).length);
      for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+\/tcp$/);
      for (const [name, { service, target, default: port }] of Object.entries(PORT_VARIABLES)) {
        expect(published(services[service], target), name).toEqual([`127.0.0.1:${port}`]);
      }
      // No two services take the same host port.
      const hosts = ports.map((p) => p.split(':').slice(0, 2).join(':'));
      expect(new Set(hosts).size).toBe(hosts.length);
    });

    it('moves each host port with its variable, and only that one', () => {
      const moved = Object.fromEntries(
        Object.keys(PORT_VARIABLES).map((name, i) => [name, String(20_000 + i)]),
      );
      const next = normalized(moved).services;
      for (const [name, { service, target }] of Object.entries(PORT_VARIABLES)) {
        expect(published(next[service], target), name).toEqual([`127.0.0.1:${moved[name]}`]);
      }
      const one = normalized({ W2E_PORT: '3100' }).services;
      expect(published(one.where2eat, 3000)).toEqual(['127.0.0.1:3100']);
      expect(published(one.where2eat, 9464)).toEqual(['127.0.0.1:9464']);
      expect(published(one.lgtm, 3000)).toEqual(['127.0.0.1:3001']);
      // inside the stack nothing moves
      expect(one.where2eat?.environment?.PORT).toBe('3000');
    });

    it('documents every port variable: the stack in the file header and docs/deploy.md, each app next to its service', () => {
      const text = readFileSync(COMPOSE_FILE, 'utf8');
      const docs = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
      const used = [...text.matchAll(/\$\{([A-Z0-9_]+):-\d+\}/g)].map((m) => m[1]);
      expect(new Set(used)).toEqual(new Set(Object.keys(PORT_VARIABLES)));
      for (const name of Object.keys(STACK_PORT_VARIABLES)) {
        expect(text.split('\nx-hardening')[0], name).toContain(name);
        expect(docs, name).toContain(`\`${name}\``);
      }
      const comments = text.split('\n').filter((line) => /^\s*#/.test(line));
      for (const app of GENERATED) {
        expect(comments.join('\n'), app).toContain(portVariable(app));
      }
    });

    it.each(APPS)('builds %s from its Dockerfile at the repository root', (app) => {
      const build = services[app]?.build;
      expect(build?.context).toBe(repoRoot);
      expect(build?.dockerfile).toBe(`apps/${app}/Dockerfile`);
      expect(existsSync(join(repoRoot, build?.dockerfile ?? 'missing'))).toBe(true);
      expect(services[`${app}-migrate`]?.image).toBe(services[app]?.image);
      expect(services[`${app}-migrate`]?.build).toEqual(build);
    });

    it.each(APPS)('sets every variable %s reads in production', (app) => {
      const own = envOf(app);
      for (const name of [
        'NODE_ENV',
        'PORT',
        'LOG_LEVEL',
        'DATABASE_URL',
        'REDIS_URL',
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_SERVICE_NAME',
        'METRICS_PORT',
        'SHUTDOWN_DRAIN_MS',
      ]) {
        expect(own[name], name).toBeTruthy();
      }
      expect(own.NODE_ENV).toBe('production');
      expect(own.OTEL_SERVICE_NAME).toBe(app);
      // where2eat's flags are the ones Unleash imports; the others read their flags.json.
      if (app === 'where2eat') expect(own.UNLEASH_API_TOKEN).toBeTruthy();
      else expect(own.UNLEASH_URL).toBeUndefined();
    });

    it.each(
      APPS.flatMap((app) =>
        (
          [
            ['DATABASE_URL', 'postgres', '5432'],
            ['REDIS_URL', 'redis', '6379'],
            ...(app === 'where2eat' ? [['UNLEASH_URL', 'unleash', '4242']] : []),
            ['OTEL_EXPORTER_OTLP_ENDPOINT', 'otel-collector', '4318'],
            ['AUTH_ISSUER', 'dev-idp', '4000'],
          ] as Array<[string, string, string]>
        ).map((row) => [app, ...row]),
      ),
    )('%s: %s points at the %s service on port %s', (app, name, service, port) => {
      const url = new URL(envOf(app)[name] ?? '');
      expect(url.hostname).toBe(service);
      expect(url.port).toBe(port);
      expect(services[service]).toBeDefined();
      expect(services[app]?.depends_on?.[service]).toBeDefined();
    });

    it.each(APPS)(
      "passes %s's own production config check: an https issuer it trusts",
      async (app) => {
        const { loadConfig } = (await import(
          pathToFileURL(join(repoRoot, 'apps', app, 'src/config.ts')).href
        )) as { loadConfig: (env: Record<string, string | undefined>) => unknown };
        const own = envOf(app);
        expect(() => loadConfig(own)).not.toThrow();
        // The check this stack must pass: a plain http:// issuer is refused in production.
        expect(() => loadConfig({ ...own, AUTH_ISSUER: 'http://dev-idp:4000' })).toThrow(
          /AUTH_ISSUER: must be an https:\/\//,
        );
        // It trusts the certificate the dev IdP serves, from the volume dev-idp-tls writes.
        const idp = services['dev-idp'] as Service;
        const tls = services['dev-idp-tls'] as Service;
        const certDir = idp.environment?.TLS_DIR ?? '';
        expect(own.NODE_EXTRA_CA_CERTS).toBe(`${certDir}/cert.pem`);
        const volumeAt = (svc: Service | undefined) =>
          svc?.volumes?.find((v) => v.split(':')[1] === certDir)?.split(':')[0];
        expect(volumeAt(tls)).toBe('dev-idp-tls');
        expect(volumeAt(idp)).toBe('dev-idp-tls');
        expect(volumeAt(services[app])).toBe('dev-idp-tls');
        expect(tls.command?.slice(0, 4)).toEqual(['node', 'dist/tls-cli.js', certDir, '1000:1000']);
        expect(tls.command).toContain(new URL(own.AUTH_ISSUER ?? '').hostname);
        expect(existsSync(join(repoRoot, 'apps/dev-idp/src/tls-cli.ts'))).toBe(true);
        expect(idp.depends_on?.['dev-idp-tls']).toEqual({
          condition: 'service_completed_successfully',
        });
      },
    );

    it.each(APPS)('has the dev OpenID provider sign tokens for %s', (app) => {
      const idp = services['dev-idp']?.environment ?? {};
      const own = envOf(app);
      expect(idp.ISSUER).toBe(own.AUTH_ISSUER);
      expect(idp.PORT).toBe(new URL(own.AUTH_ISSUER ?? '').port);
      const audiences = [idp.AUDIENCE, ...(idp.EXTRA_AUDIENCES ?? '').split(',')].map((a) =>
        a?.trim(),
      );
      expect(audiences).toContain(own.AUTH_AUDIENCE);
      if (app === 'where2eat') expect(idp.AUDIENCE).toBe(env.AUTH_AUDIENCE);
    });

    it.each(APPS)(
      'runs the image migration of %s with only DATABASE_URL, before the app starts',
      (app) => {
        const migrate = services[`${app}-migrate`] as Service;
        expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
        expect(migrate.environment).toEqual({ DATABASE_URL: envOf(app).DATABASE_URL });
        expect(migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
        expect(services[app]?.depends_on?.[`${app}-migrate`]).toEqual({
          condition: 'service_completed_successfully',
        });
      },
    );

    it.each(APPS)('gives %s a database of its own, created before it migrates', (app) => {
      const database = databaseOf(app);
      expect(database).not.toBe('');
      const others = APPS.filter((other) => other !== app).map(databaseOf);
      expect(others, 'drizzle keeps one migration journal per database').not.toContain(database);
      expect(database).not.toBe('unleash');
      if (database === postgresDb) return; // made by the postgres image on its first start
      const createDb = services[`${app}-db`] as Service;
      expect(createDb.image).toBe(services.postgres?.image);
      const script = createDb.command?.at(-1) ?? '';
      // Only when missing: a volume from before the app existed has the other databases only.
      expect(script).toContain(`datname = '${database}'`);
      expect(script).toContain(`CREATE DATABASE ${database}`);
      expect(createDb.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(services[`${app}-migrate`]?.depends_on?.[`${app}-db`]).toEqual({
        condition: 'service_completed_successfully',
      });
    });

    it('runs the apps and their one-shots as in Kubernetes: read-only root, no capabilities', () => {
      for (const name of [
        ...APPS.flatMap((app) => [app, `${app}-migrate`]),
        ...GENERATED.map((app) => `${app}-db`),
        'dev-idp',
      ]) {
        expect(services[name]?.read_only, name).toBe(true);
        expect(services[name]?.cap_drop, name).toEqual(['ALL']);
      }
    });

    it('mounts the collector config and sets every variable it needs', () => {
      const collector = services['otel-collector'] as Service;
      const mount = collector.volumes?.find((v) => v.includes('otel-collector.yaml')) ?? '';
      const source = mount.split(':')[0] ?? '';
      expect(source).toBe(join(repoRoot, 'infra/observability/otel-collector.yaml'));
      const config = readFileSync(source, 'utf8');
      const required = [...config.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1] ?? '');
      expect(required.length).toBeGreaterThan(0);
      for (const name of required) expect(collector.environment?.[name], name).toBeTruthy();
      expect(collector.environment?.TRACES_OTLP_ENDPOINT).toBe('lgtm:4317');
    });

    it('creates the Unleash database Unleash connects to', () => {
      const init = readFileSync(join(dir, 'postgres-init/01-unleash.sql'), 'utf8');
      expect(init).toMatch(/CREATE DATABASE unleash;/);
      const unleashDb = new URL(services.unleash?.environment?.DATABASE_URL ?? '').pathname;
      expect(unleashDb).toBe('/unleash');
      expect(services.postgres?.volumes).toContain(
        `${join(dir, 'postgres-init')}:/docker-entrypoint-initdb.d:ro`,
      );
    });

    it("has Unleash import where2eat's flags on start, from the mounted import file", () => {
      const unleash = services.unleash as Service;
      const target = unleash.environment?.IMPORT_FILE ?? '';
      expect(target).not.toBe('');
      expect(unleash.volumes).toContain(`${IMPORT_FILE}:${target}:ro`);
      expect(unleash.environment).toMatchObject({
        IMPORT_PROJECT: 'default',
        // the environment of the client token where2eat uses
        IMPORT_ENVIRONMENT: env.UNLEASH_API_TOKEN?.split(':')[1]?.split('.')[0],
      });
    });
  },
);

describe('infra/compose/unleash-import.json', () => {
  const imported = JSON.parse(readFileSync(IMPORT_FILE, 'utf8')) as {
    features: Array<{ name: string }>;
    featureEnvironments: Array<{ name: string; enabled: boolean }>;
  };
  const flags = JSON.parse(readFileSync(FLAGS_FILE, 'utf8')) as Record<string, unknown>;
  const flagNames = Object.keys(flags).filter((name) => !name.startsWith('$'));

  it('defines the same flags as apps/where2eat/flags.json', () => {
    expect(imported.features.map((f) => f.name).sort()).toEqual(flagNames.sort());
    expect(imported.featureEnvironments.map((f) => f.name).sort()).toEqual(flagNames.sort());
  });

  it('is what unleash-import.ts generates from flags.json today (regenerate: see its header)', () => {
    expect(readFileSync(IMPORT_FILE, 'utf8')).toBe(renderImportFile());
  });

  it('changes when flags.json changes', () => {
    const edited = JSON.stringify({ ...flags, 'maintenance-mode': true, 'extra-flag': false });
    const next = JSON.parse(renderImportFile(edited)) as typeof imported;
    expect(next.features.map((f) => f.name)).toContain('extra-flag');
    expect(next.featureEnvironments.find((f) => f.name === 'maintenance-mode')?.enabled).toBe(true);
  });
});
