import { mkdirSync } from 'node:fs';
import { createDb, type DbHandle } from '@micro-app/db';
import { createFlags, type FlagDefinitions, type FlagName, type Flags } from '@micro-app/flags';
import {
  createRedisClient,
  memoryStore,
  type RateLimitStore,
  redisStore,
} from '@micro-app/rate-limit';
import { createLifecycle, type Lifecycle, type ReadinessCheck } from '@micro-app/server';
import { type RunningServer, serveGracefully } from '@micro-app/server/node';
import { createLogger, type Logger, type Telemetry } from '@micro-app/telemetry';
import type { ServiceAuthSettings } from './app.js';
import type { MigrationConfig, ServiceConfig } from './config.js';

type Schema = Record<string, unknown>;

/** The app's one root logger: JSON in production, pretty in development, secrets redacted. */
export function createServiceLogger(
  name: string,
  config: Pick<ServiceConfig, 'LOG_LEVEL'> & { LOG_PRETTY: boolean },
): Logger {
  return createLogger({
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    base: { service: name },
  });
}

/** The database from config: PostgreSQL when `DATABASE_URL` is set, else PGlite in `DATA_DIR`. */
export function openServiceDatabase<S extends Schema>(
  schema: S,
  config: Pick<ServiceConfig, 'DATABASE_URL' | 'DATA_DIR'> &
    Partial<
      Pick<ServiceConfig, 'DB_POOL_MAX' | 'DB_ACQUIRE_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'>
    >,
): DbHandle<S> {
  if (!config.DATABASE_URL) mkdirSync(config.DATA_DIR, { recursive: true });
  return createDb({
    schema,
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    ...(config.DB_POOL_MAX ? { poolMax: config.DB_POOL_MAX } : {}),
    ...(config.DB_ACQUIRE_TIMEOUT_MS ? { acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS } : {}),
    ...(config.DB_STATEMENT_TIMEOUT_MS !== undefined
      ? { statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS }
      : {}),
  });
}

/**
 * The migration entry point: applies the checked-in migrations and returns the exit code. A
 * migration may lock and rewrite a table for longer than a request's statement timeout, so it
 * runs without one.
 */
export async function runMigrations<S extends Schema>(options: {
  name: string;
  schema: S;
  folder: string;
  config: MigrationConfig;
}): Promise<number> {
  const logger = createServiceLogger(options.name, options.config);
  const database = openServiceDatabase(options.schema, {
    ...options.config,
    DB_STATEMENT_TIMEOUT_MS: 0,
    DB_ACQUIRE_TIMEOUT_MS: 30_000,
  });
  try {
    await database.migrate(options.folder);
    logger.info({ driver: database.driver }, 'migrations applied');
    return 0;
  } catch (err) {
    logger.error({ err }, 'migrations failed');
    return 1;
  } finally {
    await database.close();
  }
}

/** The shared settings as `createServiceApp()` and the rate limits take them. */
export interface ServiceSettings {
  auth: ServiceAuthSettings;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Only in development. */
  exposeInternalErrors: boolean;
  /** `RATE_LIMIT_FAIL_OPEN` and `RATE_LIMIT_STORE_TIMEOUT_MS`. */
  rateLimitStoreOptions: { failOpen: boolean; storeTimeoutMs: number };
}

/** The shared variables as {@link ServiceSettings}. */
export function serviceSettings(config: ServiceConfig): ServiceSettings {
  return {
    auth: {
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      jwksUri: config.AUTH_JWKS_URL,
      typ: config.AUTH_TOKEN_TYP,
      maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
    },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    exposeInternalErrors: config.NODE_ENV === 'development',
    rateLimitStoreOptions: {
      failOpen: config.RATE_LIMIT_FAIL_OPEN,
      storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    },
  };
}

/** What {@link runService} made, for the app to build itself from. */
export interface ServiceParts<S extends Schema, R extends FlagDefinitions> {
  database: DbHandle<S>;
  flags: Flags<FlagName<R>>;
  lifecycle: Lifecycle;
  logger: Logger;
  /** `database`: the database's ping, bounded by the readiness timeout. */
  readinessChecks: Record<string, ReadinessCheck>;
  /** Redis when `REDIS_URL` is set, else in-memory; keys under `<name>:<prefix>`. */
  rateLimitStore: (prefix: string) => RateLimitStore;
  /** From the shared variables. */
  settings: ServiceSettings;
}

export interface RunServiceOptions<S extends Schema, R extends FlagDefinitions> {
  name: string;
  config: ServiceConfig;
  logger: Logger;
  telemetry: Telemetry;
  schema: S;
  migrationsFolder: string;
  flagRegistry: R;
  /** Builds the app's fetch handler from the parts. */
  app: (parts: ServiceParts<S, R>) => { fetch: (request: Request) => Response | Promise<Response> };
  /** Jobs every instance runs in turn (pruning, retention); a failure is logged and retried. */
  every?: ReadonlyArray<{
    name: string;
    intervalMs: number;
    run: (parts: ServiceParts<S, R>) => Promise<unknown>;
  }>;
  /** Closed on shutdown after the server stopped, before the database and telemetry. */
  onShutdown?: ReadonlyArray<() => Promise<unknown> | unknown>;
  /** Extra fields of the "listening" log line. */
  describe?: Record<string, unknown>;
}

/**
 * Starts a service: migrations when `MIGRATE_ON_START`, the rate-limit store, the flags (served
 * only once they answered or their timeout passed), the server with graceful shutdown, and the
 * periodic jobs. Shutdown stops the jobs, drains the server, then closes the app's own resources,
 * the database, the flags, Redis and telemetry, in that order.
 */
export async function runService<S extends Schema, const R extends FlagDefinitions>(
  options: RunServiceOptions<S, R>,
): Promise<RunningServer> {
  const { config, logger, name } = options;
  const database = openServiceDatabase(options.schema, config);
  if (config.MIGRATE_ON_START) {
    await database.migrate(options.migrationsFolder);
    logger.info({ driver: database.driver }, 'migrations applied');
  }

  const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL) : undefined;
  redis?.on('error', (err) => logger.warn({ err }, 'redis connection error'));

  const flags = createFlags(options.flagRegistry, {
    ...(config.UNLEASH_URL && config.UNLEASH_API_TOKEN
      ? {
          unleash: {
            url: config.UNLEASH_URL,
            apiToken: config.UNLEASH_API_TOKEN,
            appName: config.UNLEASH_APP_NAME,
            refreshIntervalMs: config.UNLEASH_REFRESH_INTERVAL_MS,
          },
        }
      : { file: config.FLAGS_FILE }),
    logger,
  });
  await flags.ready({ timeoutMs: config.FLAGS_READY_TIMEOUT_MS });
  await options.telemetry.ready;

  const lifecycle = createLifecycle();
  const parts: ServiceParts<S, R> = {
    database,
    flags,
    lifecycle,
    logger,
    readinessChecks: { database: (signal) => database.ping({ signal }) },
    rateLimitStore: (prefix) =>
      redis ? redisStore({ client: redis, prefix: `${name}:${prefix}` }) : memoryStore(),
    settings: serviceSettings(config),
  };
  const app = options.app(parts);

  const timers = (options.every ?? []).map((job) => {
    const timer = setInterval(() => {
      job
        .run(parts)
        .catch((err: unknown) =>
          logger.warn({ err, job: job.name }, `${job.name} failed; retrying next time`),
        );
    }, job.intervalMs);
    timer.unref();
    return timer;
  });

  const server = await serveGracefully({
    fetch: app.fetch,
    port: config.PORT,
    hostname: config.HOST,
    lifecycle,
    drainDelayMs: config.SHUTDOWN_DRAIN_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: config.SERVER_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.SERVER_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.SERVER_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.SERVER_MAX_CONNECTIONS,
    onShutdown: [
      async () => {
        for (const timer of timers) clearInterval(timer);
      },
      ...(options.onShutdown ?? []),
      () => database.close(),
      () => flags.close(),
      async () => {
        await redis?.quit();
      },
      () => options.telemetry.shutdown(),
    ],
    logger,
  });

  logger.info(
    {
      url: `http://localhost:${server.port}`,
      port: server.port,
      database: database.driver === 'pglite' ? `embedded (${config.DATA_DIR})` : 'postgres',
      rateLimitStore: redis ? 'redis' : 'memory',
      flags: flags.source,
      authIssuer: config.AUTH_ISSUER,
      ...options.describe,
    },
    `${name} listening`,
  );
  return server;
}
