import { createRoute } from '@hono/zod-openapi';
import type { Flags } from '@micro-app/flags';
import type { Outbound } from '@micro-app/outbound';
import { HttpProblem, type Lifecycle, type ReadinessCheck } from '@micro-app/server';
import { createServiceApp, type ServiceAuthSettings } from '@micro-app/service';
import type { Logger } from '@micro-app/telemetry';
import { CUISINES, type Cuisine } from './domain/cuisines.js';
import type { AppFlag } from './flags.js';
import { groupRepository } from './groups/repository.js';
import {
  type FaultInjectionOptions,
  faultInjection,
  injectsFaults,
} from './http/fault-injection.js';
import { type IdempotencyOptions, idempotency } from './http/idempotency.js';
import { apiLimits, groupCreateLimit, type RateLimitSettings } from './http/limits.js';
import type { AppDatabase, AppEnv, Caller } from './http/types.js';
import { openApiConfig } from './openapi.js';
import type { Restaurant } from './restaurants/provider.js';
import { groupRoutes } from './routes/groups.js';
import { inviteRoutes } from './routes/invites.js';
import { meRoutes } from './routes/me.js';
import {
  CuisineListSchema,
  commonErrors,
  HEADER_COMPONENTS,
  jsonResponse,
  SUBJECT_MAX,
  Subject,
} from './routes/schemas.js';
import { bearerAuthScheme, scoped } from './routes/scopes.js';
import { MIGRATIONS_FOLDER } from './runtime.js';
import type { WebSignIn } from './web/oidc.js';
import { webRoutes } from './web/routes.js';

export type AuthSettings = ServiceAuthSettings;

export interface AppDeps {
  db: AppDatabase;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Named readiness checks for `/health/ready`. */
  readinessChecks: Record<string, ReadinessCheck>;
  /**
   * Migrations the database must have applied before `/health/ready` passes (check `migrations`);
   * `false` leaves the check out. Default: the app's checked-in `drizzle/` folder.
   */
  migrationsFolder?: string | false;
  auth: AuthSettings;
  rateLimits: RateLimitSettings;
  flags: Flags<AppFlag>;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Show internal error messages in 500 responses (development only). */
  exposeInternalErrors: boolean;
  version: string;
  /** Idempotency-Key retention; see `idempotency()`. Default: keys replay for 24 h. */
  idempotency?: Omit<IdempotencyOptions, 'logger'>;
  /** Restaurant suggestions for recommendations (flag `restaurant-suggestions`). Default: none. */
  restaurants?: Outbound<Cuisine, Restaurant[]> | undefined;
  /** Deliberate 500s and latency on /v1 (drills and tests only; off when unset). */
  faultInjection?: FaultInjectionOptions | undefined;
  /** The web UI (`/app`, `/join`, `/auth`); without it `/` is the landing page only. */
  web?: WebSettings | undefined;
}

/** How the web UI signs people in and how long its sessions last (see `webRoutes`). */
export interface WebSettings {
  signIn: WebSignIn;
  /** The origin browsers use (`PUBLIC_URL`); unset: each request's own origin (development). */
  publicUrl?: string | undefined;
  sessionTtlMs: number;
}

/**
 * Builds the where2eat Hono app from its dependencies. Does no I/O: `main.ts` owns the real
 * database, the server and shutdown; tests pass their own.
 *
 * Request flow: request id → secure headers → body limit → timeout → telemetry → auth →
 * caller scope → idempotency (a replay is answered here, before the rate limits charge it) →
 * rate limits → feature flags (maintenance kill switch) → fault injection (when on) → route.
 */
export function createApp(deps: AppDeps) {
  const { db, logger, flags, restaurants } = deps;
  const { migrationsFolder = MIGRATIONS_FOLDER } = deps;
  return createServiceApp<AppEnv, AppFlag>({
    name: 'where2eat',
    logger,
    lifecycle: deps.lifecycle,
    readinessChecks: deps.readinessChecks,
    migrations: migrationsFolder ? { db, folder: migrationsFolder } : undefined,
    auth: deps.auth,
    flags,
    maintenanceFlag: 'maintenance-mode',
    bodyLimitBytes: deps.bodyLimitBytes,
    requestTimeoutMs: deps.requestTimeoutMs,
    exposeInternalErrors: deps.exposeInternalErrors,
    // Which tenant's data the request touched; null before (or without) authentication.
    logFields: (c) => ({
      tenant: ((c.get as (key: string) => unknown)('caller') as Caller | undefined)?.tenant ?? null,
    }),
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
        // The document promises owner and member subjects of at most SUBJECT_MAX characters.
        if (!Subject.safeParse(sub).success || !Subject.safeParse(tenant).success) {
          throw new HttpProblem({
            status: 403,
            slug: 'invalid-principal',
            title: 'Forbidden',
            detail: `The token's sub and tenant must be 1 to ${SUBJECT_MAX} characters without control characters.`,
          });
        }
        const caller = { sub, tenant };
        c.set('caller', caller);
        c.set('groups', groupRepository(db, caller));
        await next();
      },
      // A replay is answered here, before the rate limits charge it.
      idempotency(db, { ...deps.idempotency, logger }),
    ],
    limits: [
      ...apiLimits(deps.rateLimits, logger),
      { path: '/v1/groups', handler: groupCreateLimit(deps.rateLimits, logger) },
    ],
    beforeRoutes: injectsFaults(deps.faultInjection)
      ? [
          (() => {
            logger.warn({ ...deps.faultInjection }, 'fault injection is on');
            return faultInjection(deps.faultInjection);
          })(),
        ]
      : [],
    openapi: openApiConfig(deps.version),
    routes: (app) => {
      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/cuisines',
          tags: ['cuisines'],
          ...scoped('cuisines:read'),
          operationId: 'listCuisines',
          summary: 'The cuisines a member can like or veto',
          description: 'The fixed list the preferences and recommendations use, alphabetically.',
          responses: {
            200: jsonResponse(CuisineListSchema, 'Every cuisine, alphabetically.'),
            ...commonErrors,
          },
        }),
        (c) => c.json({ items: [...CUISINES] }, 200),
      );
      app.route('/v1', meRoutes());
      app.route(
        '/v1',
        groupRoutes({
          chooseAlgorithm: (c) => (c.get('flags').isEnabled('recommendation-v2') ? 'v2' : 'v1'),
          ...(restaurants
            ? {
                suggest: async (c, cuisine) => {
                  if (!c.get('flags').isEnabled('restaurant-suggestions')) return undefined;
                  const found = await restaurants.call(cuisine, {
                    tenant: c.get('caller').tenant,
                    signal: c.req.raw.signal,
                  });
                  if (found.ok) {
                    return { status: 'ok', source: found.source, restaurants: found.value };
                  }
                  c.get('logger').warn(
                    { provider: 'restaurants', reason: found.reason },
                    'restaurant suggestions unavailable; answering without them',
                  );
                  return { status: found.reason, restaurants: [] };
                },
              }
            : {}),
        }),
      );
      app.route('/v1', inviteRoutes());
      // The web UI calls this same app's API in-process, with the session's access token.
      app.route(
        '/',
        webRoutes({
          db,
          logger,
          signIn: deps.web?.signIn,
          publicUrl: deps.web?.publicUrl,
          sessionTtlMs: deps.web?.sessionTtlMs ?? 28_800_000,
          api: (request) => app.fetch(request),
        }),
      );
      app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', bearerAuthScheme);
      for (const [name, header] of Object.entries(HEADER_COMPONENTS)) {
        app.openAPIRegistry.registerComponent('headers', name, header);
      }
    },
  });
}
