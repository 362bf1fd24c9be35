import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here: these checks read compose.yaml the way `docker compose config`
// would and check the wiring. The stack itself is started by hand (docs/deploy.md).

const dir = import.meta.dirname;
const repoRoot = resolve(dir, '../..');

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

const compose = parse(readFileSync(join(dir, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const where2eat = services.where2eat as Service;
const env = where2eat.environment ?? {};

/** Services without a healthcheck, each with the reason. */
const noHealthcheck: Record<string, string> = {
  'otel-collector': 'distroless image: no shell or client to probe with',
  'where2eat-migrate': 'a one-shot job; where2eat waits for it to complete',
};

describe('infra/compose/compose.yaml', () => {
  it('has the production-like stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'dev-idp',
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
      else expect(svc.healthcheck?.test.length).toBeGreaterThan(1);
    },
  );

  it('waits only on healthchecks that exist', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep]?.healthcheck, dep).toBeDefined();
      }
    }
  });

  it('publishes ports on loopback only', () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  it('builds where2eat from its Dockerfile at the repository root', () => {
    const build = where2eat.build;
    expect(build && resolve(dir, build.context)).toBe(repoRoot);
    expect(build && existsSync(join(repoRoot, build.dockerfile))).toBe(true);
    expect(build?.dockerfile).toBe('apps/where2eat/Dockerfile');
    expect(services['where2eat-migrate']?.image).toBe(where2eat.image);
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

  it('gives where2eat the issuer the dev OpenID provider signs with', () => {
    const idp = services['dev-idp']?.environment ?? {};
    expect(idp.ISSUER).toBe(env.AUTH_ISSUER);
    expect(idp.PORT).toBe(new URL(env.AUTH_ISSUER ?? '').port);
    expect(idp.AUDIENCE).toBe(env.AUTH_AUDIENCE);
  });

  it('migrates before where2eat starts', () => {
    const migrate = services['where2eat-migrate'] as Service;
    expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
    expect(migrate.environment?.DATABASE_URL).toBe(env.DATABASE_URL);
    expect(where2eat.depends_on?.['where2eat-migrate']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  it('runs where2eat as in Kubernetes: read-only root, no capabilities', () => {
    expect(where2eat.read_only).toBe(true);
    expect(where2eat.cap_drop).toEqual(['ALL']);
  });

  it('mounts the collector config and sets every variable it needs', () => {
    const collector = services['otel-collector'] as Service;
    const mount = collector.volumes?.find((v) => v.includes('otel-collector.yaml')) ?? '';
    const source = resolve(dir, mount.split(':')[0] ?? '');
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
    expect(services.postgres?.volumes).toContain('./postgres-init:/docker-entrypoint-initdb.d:ro');
  });
});
