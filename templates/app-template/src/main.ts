import { createServiceLogger, runService } from '@micro-app/service/node';
import { createApp } from './app.js';
import * as schema from './db/schema.js';
import { flagRegistry } from './flags.js';
import { telemetry } from './instrumentation.js';
import { appVersion, loadConfigOrExit, MIGRATIONS_FOLDER } from './runtime.js';

const config = loadConfigOrExit();
const logger = createServiceLogger('app-template', config);

await runService({
  name: 'app-template',
  config,
  logger,
  telemetry,
  schema,
  migrationsFolder: MIGRATIONS_FOLDER,
  flagRegistry,
  app: ({ database, flags, lifecycle, rateLimitStore }) =>
    createApp({
      db: database.db,
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
      },
      flags,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      exposeInternalErrors: config.NODE_ENV === 'development',
      version: appVersion(),
    }),
});
