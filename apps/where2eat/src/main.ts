import { createServiceLogger, runService } from '@micro-app/service/node';
import { createApp } from './app.js';
import * as schema from './db/schema.js';
import { flagRegistry } from './flags.js';
import { pruneInactiveGroups } from './groups/repository.js';
import { pruneIdempotencyKeys } from './http/idempotency.js';
import { telemetry } from './instrumentation.js';
import {
  fakeRestaurantProvider,
  httpRestaurantProvider,
  restaurantSuggestions,
} from './restaurants/provider.js';
import { appVersion, loadConfigOrExit, MIGRATIONS_FOLDER } from './runtime.js';

const config = loadConfigOrExit();
const logger = createServiceLogger('where2eat', config);

// Restaurant suggestions: the provider behind the adapter, guarded by @micro-app/outbound.
const restaurantProvider =
  config.RESTAURANTS_PROVIDER === 'http' && config.RESTAURANTS_URL
    ? httpRestaurantProvider(config.RESTAURANTS_URL)
    : config.RESTAURANTS_PROVIDER === 'fake'
      ? fakeRestaurantProvider()
      : undefined;

await runService({
  name: 'where2eat',
  config,
  logger,
  telemetry,
  schema,
  migrationsFolder: MIGRATIONS_FOLDER,
  flagRegistry,
  app: ({ database, flags, lifecycle, rateLimitStore }) =>
    createApp({
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
        store: rateLimitStore('rl:'),
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
    }),
  // Expired Idempotency-Keys, and groups inactive beyond DATA_RETENTION_DAYS (docs/data.md), are
  // deleted on every instance in turn; deleting twice is harmless.
  every: [
    {
      name: 'pruning idempotency keys',
      intervalMs: config.IDEMPOTENCY_PRUNE_INTERVAL_MS,
      run: async ({ database }) => {
        const deleted = await pruneIdempotencyKeys(database.db, {
          ttlMs: config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000,
        });
        if (deleted > 0) logger.info({ deleted }, 'expired idempotency keys pruned');
      },
    },
    {
      name: 'deleting inactive groups',
      intervalMs: config.IDEMPOTENCY_PRUNE_INTERVAL_MS,
      run: async ({ database }) => {
        if (config.DATA_RETENTION_DAYS === 0) return;
        const deleted = await pruneInactiveGroups(database.db, {
          inactiveMs: config.DATA_RETENTION_DAYS * 86_400_000,
        });
        if (deleted > 0) {
          logger.info({ deleted, event: 'retention.groups_deleted' }, 'inactive groups deleted');
        }
      },
    },
  ],
});
