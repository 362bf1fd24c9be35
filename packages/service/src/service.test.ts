import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRoute, z as openapiZ } from '@hono/zod-openapi';
import { defineFlags } from '@micro-app/flags';
import { HttpProblem } from '@micro-app/server';
import type { Telemetry } from '@micro-app/telemetry';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DOCS_CSP, docsRoutes, scalarScriptFile } from './docs.js';
import {
  ConfigError,
  checkServiceEnv,
  createServiceApp,
  DEV_ISSUER,
  parseEnv,
  resolveServiceEnv,
  serviceEnv,
} from './index.js';
import { runService, serviceSettings } from './node.js';
import { createTestService } from './testing.js';

const notes = pgTable('notes', { id: text('id').primaryKey(), body: text('body').notNull() });
const schema = { notes };
const registry = defineFlags({
  'maintenance-mode': { description: 'writes answer 503', owner: 'team-a', default: false },
});

// One migration, as drizzle-kit writes it.
const migrations = mkdtempSync(join(tmpdir(), 'service-migrations-'));
writeFileSync(
  join(migrations, '0000_init.sql'),
  'CREATE TABLE "notes" ("id" text PRIMARY KEY NOT NULL, "body" text NOT NULL);\n',
);
mkdirSync(join(migrations, 'meta'));
writeFileSync(
  join(migrations, 'meta', '_journal.json'),
  JSON.stringify({
    version: '7',
    dialect: 'postgresql',
    entries: [{ idx: 0, version: '7', when: 1, tag: '0000_init', breakpoints: true }],
  }),
);
afterAll(() => rmSync(migrations, { recursive: true, force: true }));

const appSchema = z
  .object({ ...serviceEnv({ name: 'notes', port: 3100, flagsFile: '/flags.json' }) })
  .superRefine((env, ctx) => checkServiceEnv(env, ctx))
  .transform((env) => resolveServiceEnv(env));

describe('the shared environment', () => {
  it('gives development defaults that need nothing set', () => {
    const config = parseEnv(appSchema, {});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3100,
      AUTH_ISSUER: DEV_ISSUER,
      AUTH_AUDIENCE: 'notes',
      UNLEASH_APP_NAME: 'notes',
      FLAGS_FILE: '/flags.json',
      MIGRATE_ON_START: true,
      SHUTDOWN_DRAIN_MS: 0,
      LOG_PRETTY: true,
      DEPLOY_ENV: 'development',
    });
  });

  it('names every production problem at once, and treats empty strings as unset', () => {
    let error: unknown;
    try {
      parseEnv(appSchema, {
        NODE_ENV: 'production',
        AUTH_ISSUER: 'http://localhost:4000',
        DATABASE_URL: '',
        UNLEASH_URL: 'https://unleash.example.com/api',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SERVICE_CONFIG_INVALID');
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL: is required in production');
    expect(problems).toContain('AUTH_ISSUER: must be an https:// URL');
    expect(problems).toContain('UNLEASH_API_TOKEN: is required when UNLEASH_URL is set');
  });

  it('hands the shared settings over as the app and the rate limits take them', () => {
    const dev = serviceSettings(parseEnv(appSchema, { RATE_LIMIT_FAIL_OPEN: 'false' }));
    expect(dev).toEqual({
      auth: {
        issuer: DEV_ISSUER,
        audience: 'notes',
        jwksUri: undefined,
        typ: 'at+jwt',
        maxTokenAgeSeconds: undefined,
      },
      bodyLimitBytes: 65_536,
      requestTimeoutMs: 10_000,
      exposeInternalErrors: true,
      rateLimitStoreOptions: { failOpen: false, storeTimeoutMs: 100 },
    });
    const prod = serviceSettings(
      parseEnv(appSchema, {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db.example.com/notes',
        AUTH_ISSUER: 'https://id.example.com',
      }),
    );
    expect(prod.exposeInternalErrors).toBe(false);
  });

  it('resolves production defaults: no migration at start, a drain delay, JSON logs', () => {
    const config = parseEnv(appSchema, {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db.example.com/notes',
      AUTH_ISSUER: 'https://id.example.com',
    });
    expect(config).toMatchObject({
      MIGRATE_ON_START: false,
      SHUTDOWN_DRAIN_MS: 5_000,
      LOG_PRETTY: false,
    });
  });
});

/** A JWKS over real HTTP and tokens signed with its key. */
async function issuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token: (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuer(url)
        .setAudience('notes')
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('createServiceApp on createTestService', () => {
  let idp: Awaited<ReturnType<typeof issuer>>;
  let service: Awaited<ReturnType<typeof build>>;
  const order: string[] = [];
  const flagsDir = mkdtempSync(join(tmpdir(), 'service-flags-'));
  const flagsFile = join(flagsDir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': false }));

  const build = () =>
    createTestService({
      schema,
      migrationsFolder: migrations,
      flagRegistry: registry,
      flagsFile,
      build: ({ database, flags, lifecycle, logger, readinessChecks }) =>
        createServiceApp({
          name: 'notes',
          logger,
          lifecycle,
          readinessChecks,
          migrations: { db: database.db, folder: migrations },
          auth: { issuer: idp.url, audience: 'notes', jwksUri: idp.url },
          flags,
          maintenanceFlag: 'maintenance-mode',
          bodyLimitBytes: 1_024,
          requestTimeoutMs: 5_000,
          exposeInternalErrors: false,
          afterAuth: [
            async (c, next) => {
              order.push(`afterAuth:${(c.get as (k: string) => { sub: string })('principal').sub}`);
              await next();
            },
          ],
          limits: [
            async (_c, next) => {
              order.push('limits');
              await next();
            },
          ],
          beforeRoutes: [
            {
              path: '/v1/notes',
              handler: async (_c, next) => {
                order.push('beforeRoutes');
                await next();
              },
            },
          ],
          openapi: { openapi: '3.1.0', info: { title: 'notes', version: '1.0.0' } },
          routes: (app) => {
            app.openapi(
              createRoute({
                method: 'post',
                path: '/v1/notes',
                operationId: 'createNote',
                request: {
                  body: {
                    content: {
                      'application/json': { schema: openapiZ.object({ body: openapiZ.string() }) },
                    },
                  },
                },
                responses: { 201: { description: 'created' } },
              }),
              async (c) => {
                const { body } = c.req.valid('json');
                await database.db.insert(notes).values({ id: 'n1', body });
                return c.body(null, 201);
              },
            );
            app.get('/v1/boom', () => {
              throw new HttpProblem({ status: 409, slug: 'conflict', title: 'Conflict' });
            });
          },
        }),
    });

  beforeAll(async () => {
    idp = await issuer();
    service = await build();
  });
  afterAll(async () => {
    await service?.close();
    await idp?.close();
    rmSync(flagsDir, { recursive: true, force: true });
  });

  it('answers health without a token, ready once the migrations are applied', async () => {
    expect((await service.app.request('/health/live')).status).toBe(200);
    const ready = await service.app.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      checks: { database: { status: 'pass' }, migrations: { status: 'pass' } },
    });
  });

  it('refuses the API without a token with a problem, before any app middleware', async () => {
    order.length = 0;
    const res = await service.app.request('/v1/notes', { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(order).toEqual([]);
  });

  it('runs auth, afterAuth, limits, flags, beforeRoutes, then the route, in that order', async () => {
    order.length = 0;
    const token = await idp.token({ tenant: 'acme' });
    const res = await service.app.request('/v1/notes', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'lunch at noon' }),
    });
    expect(res.status).toBe(201);
    expect(order).toEqual(['afterAuth:alice', 'limits', 'beforeRoutes']);
    expect(await service.db.select().from(notes)).toEqual([{ id: 'n1', body: 'lunch at noon' }]);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('renders thrown problems, validation errors and unknown routes as problem+json', async () => {
    const token = await idp.token({ tenant: 'acme' });
    const auth = { Authorization: `Bearer ${token}` };
    const boom = await service.app.request('/v1/boom', { headers: auth });
    expect(boom.status).toBe(409);
    expect(await boom.json()).toMatchObject({ type: 'urn:problem-type:conflict', status: 409 });
    const invalid = await service.app.request('/v1/notes', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 42 }),
    });
    expect(invalid.status).toBe(422);
    const body = (await invalid.json()) as { errors?: Array<{ path: string }> };
    expect(body.errors?.[0]?.path).toBe('json.body');
    const missing = await service.app.request('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  it('turns writes into 503 while the maintenance flag is on', async () => {
    writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': true }));
    await expect
      .poll(() => service.flags.isEnabled('maintenance-mode'), { timeout: 5_000 })
      .toBe(true);
    const token = await idp.token({ tenant: 'acme' });
    const res = await service.app.request('/v1/notes', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'x' }),
    });
    expect(res.status).toBe(503);
    writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': false }));
  });

  it('serves the OpenAPI document with the routes it registered', async () => {
    const doc = (await (await service.app.request('/openapi.json')).json()) as {
      info: unknown;
      paths: Record<string, unknown>;
    };
    expect(doc.info).toEqual({ title: 'notes', version: '1.0.0' });
    expect(Object.keys(doc.paths)).toContain('/v1/notes');
  });

  it('serves the API reference page and its scripts from the app, under a CSP that allows only them', async () => {
    const page = await service.app.request('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("script-src 'self';");
    expect(DOCS_CSP).not.toMatch(/https?:|\*/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<title>notes API</title>');
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map(([, attributes, body]) => [attributes, body])).toEqual([
      [expect.stringMatching(/^ src="\/docs\/scalar\.js\?v=[\w-]{12}"$/), ''],
      [' src="/docs/init.js"', ''],
    ]);

    const configuration = JSON.parse(
      (html.match(/<div id="app" data-configuration="([^"]+)">/)?.[1] ?? '').replaceAll(
        '&quot;',
        '"',
      ),
    );
    expect(configuration).toMatchObject({
      url: '/openapi.json',
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: true,
    });
    expect(JSON.stringify(configuration)).not.toMatch(/proxy|https?:/);
    const init = await service.app.request('/docs/init.js');
    expect(init.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await init.text()).toContain(
      'window.Scalar.createApiReference(mount, JSON.parse(mount.dataset.configuration));',
    );

    const versioned = (html.match(/src="(\/docs\/scalar\.js\?v=[^"]+)"/) ?? [])[1] as string;
    const script = await service.app.request(versioned);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = await script.text();
    expect(body).toBe(
      readFileSync(scalarScriptFile(), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
    );
    expect(body).toContain('window.Scalar={createApiReference');
    expect(body).not.toContain('sourceMappingURL=');

    const plain = await service.app.request('/docs/scalar.js', {
      headers: { 'Accept-Encoding': 'gzip, br' },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(plain.headers.get('content-encoding')).toBe('gzip');
    expect(plain.headers.get('vary')).toBe('Accept-Encoding');
    const zipped = Buffer.from(await plain.arrayBuffer());
    expect(zipped.byteLength).toBeLessThan(body.length / 2);
    expect(gunzipSync(zipped).toString('utf8')).toBe(body);

    const etag = plain.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const again = await service.app.request('/docs/scalar.js', {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});

describe('docsRoutes', () => {
  it("reads Scalar's bundle on the first request, not when the app is built", async () => {
    const app = new Hono();
    app.onError((_err, c) => c.text('failed', 500));
    docsRoutes(app, {
      title: 'x',
      openapiPath: '/openapi.json',
      scriptFile: join(migrations, 'none.js'),
    });
    expect((await app.request('/docs/init.js')).status).toBe(200);
    expect((await app.request('/docs/scalar.js')).status).toBe(500);
  });

  it('finds the bundle in the installed package, whose exports do not list it', () => {
    expect(scalarScriptFile()).toMatch(
      /@scalar[\\/]api-reference[\\/]dist[\\/]browser[\\/]standalone\.js$/,
    );
  });
});

describe('runService', () => {
  it('migrates, serves, runs its jobs and shuts down in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'service-run-'));
    const shutdown: string[] = [];
    const telemetry: Telemetry = {
      ready: Promise.resolve(),
      exporting: false,
      prometheusPort: undefined,
      shutdown: async () => void shutdown.push('telemetry'),
    };
    const lines: Array<Record<string, unknown>> = [];
    const { createLogger } = await import('@micro-app/telemetry');
    const logger = createLogger({
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    let jobRuns = 0;
    writeFileSync(join(dataDir, 'flags.json'), JSON.stringify({ 'maintenance-mode': false }));
    try {
      const config = parseEnv(appSchema, { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
      const server = await runService({
        name: 'notes',
        config: { ...config, FLAGS_FILE: join(dataDir, 'flags.json') },
        logger,
        telemetry,
        schema,
        migrationsFolder: migrations,
        flagRegistry: registry,
        app: ({ database }) => ({
          fetch: async () => Response.json(await database.db.select().from(notes), { status: 200 }),
        }),
        every: [{ name: 'counting', intervalMs: 20, run: async () => void jobRuns++ }],
        onShutdown: [async () => void shutdown.push('app')],
      });
      const res = await fetch(`http://127.0.0.1:${server.port}/`);
      expect(await res.json()).toEqual([]);
      await expect.poll(() => jobRuns, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(lines.find((l) => l.msg === 'notes listening')).toMatchObject({
        database: `embedded (${dataDir})`,
        rateLimitStore: 'memory',
      });
      expect(await server.shutdown('test')).toBe(0);
      expect(shutdown).toEqual(['app', 'telemetry']);
      const runsAtShutdown = jobRuns;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(jobRuns).toBe(runsAtShutdown);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
