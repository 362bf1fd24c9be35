import type { Flags } from '@micro-app/flags';
import { HttpProblem, type Lifecycle, type ReadinessCheck } from '@micro-app/server';
import { createServiceApp, type ServiceAuthSettings } from '@micro-app/service';
import type { Logger } from '@micro-app/telemetry';
import type { AppFlag } from './flags.js';
import { apiLimits, type RateLimitSettings } from './http/limits.js';
import type { AppDatabase, AppEnv } from './http/types.js';
import { bearerAuthScheme, openApiConfig } from './openapi.js';
import { noteRoutes } from './routes/notes.js';
import { HEADER_COMPONENTS, SUBJECT_MAX, Subject } from './routes/schemas.js';
import { MIGRATIONS_FOLDER } from './runtime.js';

export interface AppDeps {
  db: AppDatabase;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Named readiness checks for `/health/ready`. */
  readinessChecks: Record<string, ReadinessCheck>;
  auth: ServiceAuthSettings;
  rateLimits: RateLimitSettings;
  flags: Flags<AppFlag>;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Show internal error messages in 500 responses (development only). */
  exposeInternalErrors: boolean;
  version: string;
}

/**
 * Builds the app from its dependencies; does no I/O. The chain (guardrails, telemetry, health,
 * auth, limits, flags, problem+json) is @micro-app/service's: this file adds the caller's scope,
 * the limits and the routes.
 */
export function createApp(deps: AppDeps) {
  return createServiceApp<AppEnv, AppFlag>({
    name: 'app-template',
    logger: deps.logger,
    lifecycle: deps.lifecycle,
    readinessChecks: deps.readinessChecks,
    migrations: { db: deps.db, folder: MIGRATIONS_FOLDER },
    auth: deps.auth,
    flags: deps.flags,
    maintenanceFlag: 'maintenance-mode',
    bodyLimitBytes: deps.bodyLimitBytes,
    requestTimeoutMs: deps.requestTimeoutMs,
    exposeInternalErrors: deps.exposeInternalErrors,
    afterAuth: [
      async function scopeToCaller(c, next) {
        const { sub, tenant } = c.get('principal');
        if (!tenant) {
          throw new HttpProblem({
            status: 403,
            slug: 'no-tenant',
            title: 'Forbidden',
            detail: 'The token names no tenant.',
          });
        }
        // The document promises subjects and tenants of at most SUBJECT_MAX characters.
        if (!Subject.safeParse(sub).success || !Subject.safeParse(tenant).success) {
          throw new HttpProblem({
            status: 403,
            slug: 'invalid-principal',
            title: 'Forbidden',
            detail: `The token's sub and tenant must be 1 to ${SUBJECT_MAX} characters without control characters.`,
          });
        }
        c.set('caller', { sub, tenant });
        await next();
      },
    ],
    limits: [apiLimits(deps.rateLimits, deps.logger)],
    openapi: openApiConfig(deps.version),
    routes: (app) => {
      app.route('/v1', noteRoutes(deps.db));
      app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', bearerAuthScheme);
      for (const [name, header] of Object.entries(HEADER_COMPONENTS)) {
        app.openAPIRegistry.registerComponent('headers', name, header);
      }
    },
  });
}
