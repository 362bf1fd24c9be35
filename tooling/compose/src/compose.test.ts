import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** Every variable the file reads for a host port, with its default. */
const PORT_VARIABLES: Record<string, { service: string; target: number; default: number }> = {
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

    /** Services without a healthcheck, each with the reason. */
    const noHealthcheck: Record<string, string> = {
      'otel-collector': 'distroless image: no shell or client to probe with',
      'where2eat-migrate': 'a one-shot job; where2eat waits for it to complete',
      'dev-idp-tls': 'a one-shot job; dev-idp waits for it to complete',
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

    it('has the production-like stack', () => {
      expect(Object.keys(services).sort()).toEqual(
        [
          'dev-idp',
          'dev-idp-tls',
          'lgtm',
          'otel-collector',
          'postgres',
          'redis',
          'unleash',
          'where2eat',
          'where2eat-migrate',
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

    it.each([
      ['dev-idp', 'https://127.0.0.1:4000/.well-known/openid-configuration'],
      ['where2eat', 'http://127.0.0.1:3000/health/ready'],
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

    it('documents every port variable in the file header and in docs/deploy.md', () => {
      const header = readFileSync(COMPOSE_FILE, 'utf8');
      const docs = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
      const used = [...header.matchAll(/\$\{([A-Z0-9_]+):-\d+\}/g)].map((m) => m[1]);
      expect(new Set(used)).toEqual(new Set(Object.keys(PORT_VARIABLES)));
      for (const name of Object.keys(PORT_VARIABLES)) {
        expect(header.split('\nx-hardening')[0], name).toContain(name);
        expect(docs, name).toContain(`\`${name}\``);
      }
    });

    it('builds where2eat from its Dockerfile at the repository root', () => {
      const build = where2eat.build;
      expect(build?.context).toBe(repoRoot);
      expect(build?.dockerfile).toBe('apps/where2eat/Dockerfile');
      expect(existsSync(join(repoRoot, build?.dockerfile ?? 'missing'))).toBe(true);
      expect(services['where2eat-migrate']?.image).toBe(where2eat.image);
      expect(services['where2eat-migrate']?.build).toEqual(build);
    });

    it('sets every variable where2eat reads in production', () => {
      for (const name of [
        'NODE_ENV',
        'PORT',
        'LOG_LEVEL',
        'DATABASE_URL',
        'REDIS_URL',
        'UNLEASH_URL',
        'UNLEASH_API_TOKEN',
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_SERVICE_NAME',
        'METRICS_PORT',
        'SHUTDOWN_DRAIN_MS',
      ]) {
        expect(env[name], name).toBeTruthy();
      }
      expect(env.NODE_ENV).toBe('production');
    });

    it.each([
      ['DATABASE_URL', 'postgres', '5432'],
      ['REDIS_URL', 'redis', '6379'],
      ['UNLEASH_URL', 'unleash', '4242'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'otel-collector', '4318'],
      ['AUTH_ISSUER', 'dev-idp', '4000'],
    ])('%s points at the %s service on port %s', (name, service, port) => {
      const url = new URL(env[name] ?? '');
      expect(url.hostname).toBe(service);
      expect(url.port).toBe(port);
      expect(services[service]).toBeDefined();
      expect(where2eat.depends_on?.[service]).toBeDefined();
    });

    it("passes where2eat's own production config check: an https issuer it trusts", async () => {
      const { loadConfig } = await import('../../../apps/where2eat/src/config.js');
      expect(() => loadConfig(env)).not.toThrow();
      // The check this stack must pass: a plain http:// issuer is refused in production.
      expect(() => loadConfig({ ...env, AUTH_ISSUER: 'http://dev-idp:4000' })).toThrow(
        /AUTH_ISSUER: must be an https:\/\//,
      );
      // It trusts the certificate the dev IdP serves, from the volume dev-idp-tls writes.
      const idp = services['dev-idp'] as Service;
      const tls = services['dev-idp-tls'] as Service;
      const certDir = idp.environment?.TLS_DIR ?? '';
      expect(env.NODE_EXTRA_CA_CERTS).toBe(`${certDir}/cert.pem`);
      const volumeAt = (svc: Service | undefined) =>
        svc?.volumes?.find((v) => v.split(':')[1] === certDir)?.split(':')[0];
      expect(volumeAt(tls)).toBe('dev-idp-tls');
      expect(volumeAt(idp)).toBe('dev-idp-tls');
      expect(volumeAt(where2eat)).toBe('dev-idp-tls');
      expect(tls.command?.slice(0, 4)).toEqual(['node', 'dist/tls-cli.js', certDir, '1000:1000']);
      expect(tls.command).toContain(new URL(env.AUTH_ISSUER ?? '').hostname);
      expect(existsSync(join(repoRoot, 'apps/dev-idp/src/tls-cli.ts'))).toBe(true);
      expect(idp.depends_on?.['dev-idp-tls']).toEqual({
        condition: 'service_completed_successfully',
      });
    });

    it('gives where2eat the issuer the dev OpenID provider signs with', () => {
      const idp = services['dev-idp']?.environment ?? {};
      expect(idp.ISSUER).toBe(env.AUTH_ISSUER);
      expect(idp.PORT).toBe(new URL(env.AUTH_ISSUER ?? '').port);
      expect(idp.AUDIENCE).toBe(env.AUTH_AUDIENCE);
    });

    it('runs the image migration entry point with only DATABASE_URL, before where2eat starts', () => {
      const migrate = services['where2eat-migrate'] as Service;
      expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
      expect(migrate.environment).toEqual({ DATABASE_URL: env.DATABASE_URL });
      expect(migrate.restart).toBe('no');
      expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(where2eat.depends_on?.['where2eat-migrate']).toEqual({
        condition: 'service_completed_successfully',
      });
    });

    it('runs where2eat and the migration as in Kubernetes: read-only root, no capabilities', () => {
      for (const name of ['where2eat', 'where2eat-migrate', 'dev-idp']) {
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
