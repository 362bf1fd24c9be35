/**
 * One benchmark server: `node --experimental-strip-types bench/server.ts <variant> <settings>`,
 * started by `bench/run.ts` in a process of its own (with `--import ./dist/instrumentation.js`
 * first for the variants with telemetry, as `npm start` does). Node runs this file by stripping
 * its types; the app's own modules come from the build in `dist/`, so no TypeScript loader sits
 * in the measured process. It listens on a free loopback port, tells the runner the port over
 * IPC, answers `{ type: 'usage' }` with its resident set size and CPU time, and exits when the
 * runner disconnects.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@micro-app/telemetry';
import type { Hono } from 'hono';
import { CUISINES } from '../src/domain/cuisines.ts';
import { CUISINES_PATH, VARIANTS } from './variants.ts';

// Each layer is imported only by the variants that use it, so the RSS of a row is that of the
// code the row runs.

/** A module of the built app (`dist/`), typed by its source. */
function fromDist<T>(file: string): Promise<T> {
  return import(new URL(`../dist/${file}`, import.meta.url).href) as Promise<T>;
}

/** What the runner passes as the second argument (JSON). */
export interface ServerSettings {
  /** Issuer, audience and JWKS URL of the dev identity provider, for the variants with auth. */
  auth?: { issuer: string; audience: string; jwksUri: string };
  /** PGlite folder, for the app variants. */
  dataDir?: string;
  /** The flags bootstrap file. */
  flagsFile?: string;
}

/** Messages from the server to the runner. */
export type ServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'usage'; rssBytes: number; cpuMicros: number }
  | { type: 'failed'; message: string };

/** Limits no benchmark reaches: the limiter must count, never deny. */
const NEVER_DENY = { perUserPerMin: 1_000_000, perTenantPerMin: 10_000_000 };

const send = (message: ServerMessage) => process.send?.(message);

async function logger(): Promise<Logger> {
  const { createLogger } = await import('@micro-app/telemetry');
  // JSON lines on stdout, as in production; the runner sends stdout to /dev/null.
  return createLogger({ level: 'info', base: { service: 'where2eat' } });
}

function requireAuth(settings: ServerSettings) {
  if (!settings.auth) throw new Error('this variant needs settings.auth');
  return settings.auth;
}

/** Hono with the guardrails up to and including `variant`, answering the cuisine list. */
async function layeredHono(variant: string, settings: ServerSettings): Promise<Hono> {
  const order = VARIANTS.map((v) => v.name);
  const has = (layer: string) => order.indexOf(variant) >= order.indexOf(layer);
  const { Hono } = await import('hono');
  const app = new Hono();
  const log = has('telemetry') ? await logger() : undefined;

  if (has('guardrails')) {
    const { guardrails } = await import('@micro-app/server');
    app.use(...guardrails({ bodyLimitBytes: 65_536, timeoutMs: 10_000 }));
  }
  if (log) {
    const { telemetryMiddleware } = await import('@micro-app/telemetry');
    const { problemErrorHandler, problemNotFoundHandler } = await import('@micro-app/server');
    app.use(telemetryMiddleware({ logger: log, requestId: (c) => c.get('requestId') }));
    app.onError(problemErrorHandler({ logger: log }));
    app.notFound(problemNotFoundHandler(() => app.routes));
  }
  if (has('auth')) {
    const { jwtAuth } = await import('@micro-app/auth');
    const { issuer, audience, jwksUri } = requireAuth(settings);
    app.use('/v1/*', jwtAuth({ issuer, audience, jwksUri, ...(log ? { logger: log } : {}) }));
  }
  if (has('rate-limit')) {
    const { byTenant, byUser, memoryStore, rateLimit } = await import('@micro-app/rate-limit');
    app.use(
      '/v1/*',
      rateLimit({
        store: memoryStore(),
        ...(log ? { logger: log } : {}),
        policies: [
          { name: 'per-user', limit: NEVER_DENY.perUserPerMin, windowMs: 60_000, key: byUser() },
          {
            name: 'per-tenant',
            limit: NEVER_DENY.perTenantPerMin,
            windowMs: 60_000,
            key: byTenant(),
          },
        ],
      }),
    );
  }
  if (has('flags')) {
    const { createFlags, flagsMiddleware, killSwitch } = await import('@micro-app/flags');
    const { flagRegistry } = await fromDist<typeof import('../src/flags.ts')>('flags.js');
    const flags = createFlags(flagRegistry, {
      ...(settings.flagsFile ? { file: settings.flagsFile } : {}),
      ...(log ? { logger: log } : {}),
    });
    await flags.ready();
    app.use('/v1/*', flagsMiddleware(flags), killSwitch(flags, 'maintenance-mode'));
  }
  app.get(CUISINES_PATH, (c) => c.json({ items: CUISINES }));
  return app;
}

/** where2eat's own `createApp`, wired as `main.ts` does, on PGlite in `settings.dataDir`. */
async function where2eat(settings: ServerSettings) {
  if (!settings.dataDir) throw new Error('the app variants need settings.dataDir');
  const auth = requireAuth(settings);
  const [{ createDb }, { createFlags }, { memoryStore }, { createLifecycle }] = await Promise.all([
    import('@micro-app/db'),
    import('@micro-app/flags'),
    import('@micro-app/rate-limit'),
    import('@micro-app/server'),
  ]);
  const [{ createApp }, schema, { flagRegistry }, { MIGRATIONS_FOLDER }] = await Promise.all([
    fromDist<typeof import('../src/app.ts')>('app.js'),
    fromDist<typeof import('../src/db/schema.ts')>('db/schema.js'),
    fromDist<typeof import('../src/flags.ts')>('flags.js'),
    fromDist<typeof import('../src/runtime.ts')>('runtime.js'),
  ]);
  const log = await logger();
  const database = createDb({ schema, dataDir: settings.dataDir });
  await database.migrate(MIGRATIONS_FOLDER);
  const flags = createFlags(flagRegistry, {
    ...(settings.flagsFile ? { file: settings.flagsFile } : {}),
    logger: log,
  });
  await flags.ready();
  return createApp({
    db: database.db,
    logger: log,
    lifecycle: createLifecycle(),
    readinessChecks: { database: () => database.ping() },
    auth,
    rateLimits: {
      store: memoryStore(),
      failOpen: true,
      storeTimeoutMs: 100,
      ...NEVER_DENY,
      groupCreatePerMin: 10_000,
    },
    flags,
    bodyLimitBytes: 65_536,
    requestTimeoutMs: 10_000,
    exposeInternalErrors: false,
    version: 'bench',
  });
}

async function start(variant: string, settings: ServerSettings): Promise<Server> {
  if (variant === 'bare-node') {
    const body = JSON.stringify({ items: CUISINES });
    return createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }).listen(0, '127.0.0.1');
  }
  const { serve } = await import('@hono/node-server');
  const app =
    variant === 'app' || variant === 'app-db'
      ? await where2eat(settings)
      : await layeredHono(variant, settings);
  return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
}

const [variant, rawSettings = '{}'] = process.argv.slice(2);
try {
  if (!variant || !VARIANTS.some((v) => v.name === variant)) {
    throw new Error(`unknown variant "${variant ?? ''}"`);
  }
  const server = await start(variant, JSON.parse(rawSettings) as ServerSettings);
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'usage') return;
    const cpu = process.cpuUsage();
    send({ type: 'usage', rssBytes: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system });
  });
  // The runner went away (or let go of us): nothing is left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
} catch (error) {
  // Exit once the runner has the reason, whatever (a database, a timer) still holds the loop.
  process.send?.(
    { type: 'failed', message: (error as Error).stack ?? String(error) } satisfies ServerMessage,
    () => process.exit(1),
  ) ?? process.exit(1);
}
