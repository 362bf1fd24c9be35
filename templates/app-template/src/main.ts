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
  app: ({ database, flags, lifecycle, readinessChecks, rateLimitStore, settings }) =>
    createApp({
      db: database.db,
      logger,
      lifecycle,
      readinessChecks,
      auth: settings.auth,
      rateLimits: {
        store: rateLimitStore('rl:'),
        ...settings.rateLimitStoreOptions,
        perUserPerMin: config.RATE_LIMIT_PER_USER_PER_MIN,
        perTenantPerMin: config.RATE_LIMIT_PER_TENANT_PER_MIN,
      },
      flags,
      bodyLimitBytes: settings.bodyLimitBytes,
      requestTimeoutMs: settings.requestTimeoutMs,
      exposeInternalErrors: settings.exposeInternalErrors,
      version: appVersion(),
    }),
});
