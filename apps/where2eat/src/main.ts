import { createFlags } from '@micro-app/flags';
import { createRedisClient, memoryStore, redisStore } from '@micro-app/rate-limit';
import { createLifecycle } from '@micro-app/server';
import { serveGracefully } from '@micro-app/server/node';
import { createApp } from './app.js';
import { flagRegistry } from './flags.js';
import { pruneInactiveGroups } from './groups/repository.js';
import { pruneIdempotencyKeys } from './http/idempotency.js';
import { telemetry } from './instrumentation.js';
import {
  fakeRestaurantProvider,
  httpRestaurantProvider,
  restaurantSuggestions,
} from './restaurants/provider.js';
import {
  appVersion,
  createLogger,
  loadConfigOrExit,
  MIGRATIONS_FOLDER,
  openDatabase,
} from './runtime.js';

const config = loadConfigOrExit();
const logger = createLogger(config);
const database = openDatabase(config);

if (config.MIGRATE_ON_START) {
  await database.migrate(MIGRATIONS_FOLDER);
  logger.info({ driver: database.driver }, 'migrations applied');
}

const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL) : undefined;
redis?.on('error', (err) => logger.warn({ err }, 'redis connection error'));

const flags = createFlags(flagRegistry, {
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
// Serve only once the flags have answered (or their timeout passed and the defaults apply).
await flags.ready({ timeoutMs: config.FLAGS_READY_TIMEOUT_MS });
await telemetry.ready;

const lifecycle = createLifecycle();
// Restaurant suggestions: the provider behind the adapter, guarded by @micro-app/outbound.
const restaurantProvider =
  config.RESTAURANTS_PROVIDER === 'http' && config.RESTAURANTS_URL
    ? httpRestaurantProvider(config.RESTAURANTS_URL)
    : config.RESTAURANTS_PROVIDER === 'fake'
      ? fakeRestaurantProvider()
      : undefined;

const app = createApp({
  db: database.db,
  restaurants: restaurantProvider
    ? restaurantSuggestions({
        provider: restaurantProvider,
        timeoutMs: config.RESTAURANTS_TIMEOUT_MS,
        cacheTtlMs: config.RESTAURANTS_CACHE_TTL_SECONDS * 1000,
        budgetPerTenantPerDay: config.RESTAURANTS_BUDGET_PER_TENANT_PER_DAY,
      })
    : undefined,
  logger,
  lifecycle,
  readinessChecks: { database: (signal) => database.ping({ signal }) },
  auth: {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwksUri: config.AUTH_JWKS_URL,
    typ: config.AUTH_TOKEN_TYP,
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
  },
  rateLimits: {
    store: redis ? redisStore({ client: redis, prefix: 'where2eat:rl:' }) : memoryStore(),
    failOpen: config.RATE_LIMIT_FAIL_OPEN,
    storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    perUserPerMin: config.RATE_LIMIT_PER_USER_PER_MIN,
    perTenantPerMin: config.RATE_LIMIT_PER_TENANT_PER_MIN,
    groupCreatePerMin: config.RATE_LIMIT_GROUP_CREATE_PER_MIN,
    requestsPerTenantPerDay: config.QUOTA_REQUESTS_PER_TENANT_PER_DAY,
  },
  flags,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  exposeInternalErrors: config.NODE_ENV === 'development',
  version: appVersion(),
  idempotency: { ttlMs: config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000 },
  faultInjection: {
    errorRate: config.FAULT_INJECTION_ERROR_RATE,
    latencyMs: config.FAULT_INJECTION_LATENCY_MS,
  },
});

// Expired Idempotency-Keys, and groups inactive beyond DATA_RETENTION_DAYS (docs/data.md), are
// deleted on every instance in turn; deleting twice is harmless.
const pruning = setInterval(() => {
  pruneIdempotencyKeys(database.db, { ttlMs: config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000 }).then(
    (deleted) => deleted > 0 && logger.info({ deleted }, 'expired idempotency keys pruned'),
    (err: unknown) => logger.warn({ err }, 'pruning idempotency keys failed; retrying next time'),
  );
  if (config.DATA_RETENTION_DAYS > 0) {
    pruneInactiveGroups(database.db, { inactiveMs: config.DATA_RETENTION_DAYS * 86_400_000 }).then(
      (deleted) =>
        deleted > 0 &&
        logger.info({ deleted, event: 'retention.groups_deleted' }, 'inactive groups deleted'),
      (err: unknown) => logger.warn({ err }, 'deleting inactive groups failed; retrying next time'),
    );
  }
}, config.IDEMPOTENCY_PRUNE_INTERVAL_MS);
pruning.unref();

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
    async () => clearInterval(pruning),
    () => database.close(),
    () => flags.close(),
    async () => {
      await redis?.quit();
    },
    () => telemetry.shutdown(),
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
  },
  'where2eat listening',
);
