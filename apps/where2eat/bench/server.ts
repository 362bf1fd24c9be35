/**
 * One benchmark server: `node --experimental-strip-types bench/server.ts <variant> <settings>`,
 * started by `bench/run.ts` in a process of its own (with `--import ./dist/instrumentation.js`
 * first for the variants with telemetry, as `npm start` does). Node runs this file by stripping
 * its types; the app's own modules come from the build in `dist/`, so no TypeScript loader sits
 * in the measured process. It listens on a free loopback port, tells the runner the port over
 * IPC, answers `{ type: 'usage' }` with its resident set size and CPU time, and exits when the
 * runner disconnects.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@micro-app/telemetry';
import type { Hono } from 'hono';
import { CUISINES } from '../src/domain/cuisines.ts';
import { CUISINES_PATH, stackOf, VARIANTS, type Variant } from './variants.ts';

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
  /** PGlite folder, for the app variants on PGlite. */
  dataDir?: string;
  /** PostgreSQL URL, for the app variants on PostgreSQL. */
  databaseUrl?: string;
  /** The flags bootstrap file. */
  flagsFile?: string;
}

/** Messages from the server to the runner. */
export type ServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'usage'; rssBytes: number; heapUsedBytes: number; cpuMicros: number }
  | { type: 'profiled'; file: string }
  | { type: 'failed'; message: string };

/** Messages from the runner to the server. */
export type RunnerMessage =
  | { type: 'usage' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };

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

/** The layered stacks, each with one guardrail more than the one before. */
const LAYERS = ['bare-hono', 'guardrails', 'telemetry', 'auth', 'rate-limit', 'flags'];

/** Hono with the guardrails up to and including `variant`, answering the cuisine list. */
async function layeredHono(variant: string, settings: ServerSettings): Promise<Hono> {
  const has = (layer: string) => LAYERS.indexOf(variant) >= LAYERS.indexOf(layer);
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

/**
 * Express 5 with what its users pick for the same guardrails: a request id, helmet, the JSON body
 * limit, connect-timeout and a pino-http line per request; OpenTelemetry comes from
 * `bench/express-instrumentation.ts`. Express is loaded with `require`, which the instrumentation
 * patches.
 */
async function expressServer(): Promise<Server> {
  const require = createRequire(import.meta.url);
  const express = require('express') as typeof import('express');
  const [{ default: helmet }, { pinoHttp }, { default: timeout }, { pino }] = await Promise.all([
    import('helmet'),
    import('pino-http'),
    import('connect-timeout'),
    import('pino'),
  ]);
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    res.setHeader('x-request-id', req.get('x-request-id') ?? randomUUID());
    next();
  });
  app.use(helmet());
  app.use(express.json({ limit: 65_536 }));
  app.use(timeout('10s'));
  app.use(
    pinoHttp({
      logger: pino({ redact: ['req.headers.authorization', 'req.headers.cookie'] }),
      genReqId: (_req, res) => String(res.getHeader('x-request-id')),
    }),
  );
  app.get(CUISINES_PATH, (_req, res) => {
    res.json({ items: CUISINES });
  });
  return app.listen(0, '127.0.0.1');
}

/** where2eat's own `createApp`, wired as `main.ts` does, on PGlite or PostgreSQL. */
async function where2eat(settings: ServerSettings) {
  if (!settings.dataDir && !settings.databaseUrl) {
    throw new Error('the app variants need settings.dataDir or settings.databaseUrl');
  }
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
  const database = settings.databaseUrl
    ? createDb({ schema, url: settings.databaseUrl })
    : createDb({ schema, dataDir: settings.dataDir });
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

async function start(variant: Variant, settings: ServerSettings): Promise<Server> {
  if (variant.name === 'bare-node') {
    const body = JSON.stringify({ items: CUISINES });
    return createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }).listen(0, '127.0.0.1');
  }
  if (variant.name === 'express') return expressServer();
  const { serve } = await import('@hono/node-server');
  const app = variant.database
    ? await where2eat(settings)
    : await layeredHono(stackOf(variant), settings);
  return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
}

/** A CPU profile of what the server does between `profile-start` and `profile-stop`. */
function profiler() {
  // Connected only when asked: an unprofiled run has no inspector session at all.
  const session = new Session();
  return {
    async start() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const [name, rawSettings = '{}'] = process.argv.slice(2);
try {
  const variant = VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`unknown variant "${name ?? ''}"`);
  const server = await start(variant, JSON.parse(rawSettings) as ServerSettings);
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const profile = profiler();
  process.on('message', (message: RunnerMessage) => {
    if (message?.type === 'usage') {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      send({
        type: 'usage',
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        cpuMicros: cpu.user + cpu.system,
      });
    } else if (message?.type === 'profile-start') {
      void profile.start();
    } else if (message?.type === 'profile-stop') {
      void profile.stop(message.file).then(() => send({ type: 'profiled', file: message.file }));
    }
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
