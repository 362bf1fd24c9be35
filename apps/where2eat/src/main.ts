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
import { webSignIn } from './web/oidc.js';
import { pruneWebState } from './web/sessions.js';

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
  app: ({ database, flags, lifecycle, readinessChecks, rateLimitStore, settings }) =>
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
      readinessChecks,
      auth: settings.auth,
      rateLimits: {
        store: rateLimitStore('rl:'),
        ...settings.rateLimitStoreOptions,
        perUserPerMin: config.RATE_LIMIT_PER_USER_PER_MIN,
        perTenantPerMin: config.RATE_LIMIT_PER_TENANT_PER_MIN,
        groupCreatePerMin: config.RATE_LIMIT_GROUP_CREATE_PER_MIN,
        requestsPerTenantPerDay: config.QUOTA_REQUESTS_PER_TENANT_PER_DAY,
      },
      flags,
      bodyLimitBytes: settings.bodyLimitBytes,
      requestTimeoutMs: settings.requestTimeoutMs,
      exposeInternalErrors: settings.exposeInternalErrors,
      version: appVersion(),
      idempotency: { ttlMs: config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000 },
      faultInjection: {
        errorRate: config.FAULT_INJECTION_ERROR_RATE,
        latencyMs: config.FAULT_INJECTION_LATENCY_MS,
      },
      web:
        config.WEB_UI && config.OIDC_CLIENT_SECRET
          ? {
              signIn: webSignIn({
                issuer: settings.auth.issuer,
                clientId: config.OIDC_CLIENT_ID,
                clientSecret: config.OIDC_CLIENT_SECRET,
                scope: 'openid profile cuisines:read groups:read groups:write',
              }),
              publicUrl: config.PUBLIC_URL,
              sessionTtlMs: config.WEB_SESSION_TTL_SECONDS * 1000,
            }
          : undefined,
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
    {
      name: 'pruning web sessions and invites',
      intervalMs: config.IDEMPOTENCY_PRUNE_INTERVAL_MS,
      run: async ({ database }) => {
        const deleted = await pruneWebState(database.db);
        if (deleted > 0) logger.info({ deleted }, 'expired web sessions and invites pruned');
      },
    },
  ],
});
