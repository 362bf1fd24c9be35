import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { jwtAuth } from '@micro-app/auth';
import { isConnectionError, schemaReadiness } from '@micro-app/db';
import { type Flags, flagsMiddleware, killSwitch } from '@micro-app/flags';
import type { Outbound } from '@micro-app/outbound';
import {
  guardrails,
  HttpProblem,
  health,
  type Lifecycle,
  problemErrorHandler,
  problemNotFoundHandler,
  type ReadinessCheck,
  validationHook,
} from '@micro-app/server';
import { type Logger, telemetryMiddleware } from '@micro-app/telemetry';
import { Scalar } from '@scalar/hono-api-reference';
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

export interface AuthSettings {
  issuer: string;
  audience: string;
  /** JWKS URL; when absent it is found through the issuer's OpenID discovery document. */
  jwksUri?: string | undefined;
  /** Required `typ` header of access tokens (RFC 9068). Default: `'at+jwt'`. */
  typ?: string | undefined;
  /** Oldest accepted token, in seconds since its `iat`. Default: only `exp` is checked. */
  maxTokenAgeSeconds?: number | undefined;
}

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
}

/** 503 problem for database outages, so clients retry instead of seeing a 500. */
function mapDatabaseErrors(err: unknown): HttpProblem | undefined {
  if (!isConnectionError(err)) return undefined;
  return new HttpProblem({
    status: 503,
    slug: 'dependency-unavailable',
    title: 'Service unavailable',
    detail: 'The database is unavailable; retry later.',
    headers: { 'Retry-After': '5' },
    cause: err,
  });
}

const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; font-src 'self' data: https://cdn.jsdelivr.net https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'";

/**
 * Builds the where2eat Hono app from its dependencies. Does no I/O: `main.ts` owns the real
 * database, the server and shutdown; tests pass their own.
 *
 * Request flow: request id → secure headers → body limit → timeout → telemetry → auth →
 * caller scope → idempotency (a replay is answered here, before the rate limits charge it) →
 * rate limits → feature flags (maintenance kill switch) → fault injection (when on) → route.
 */
export function createApp(deps: AppDeps) {
  const { db, logger, lifecycle, flags, restaurants } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(...guardrails({ bodyLimitBytes: deps.bodyLimitBytes, timeoutMs: deps.requestTimeoutMs }));
  app.use(
    telemetryMiddleware({
      logger,
      requestId: (c) => c.get('requestId'),
      skipLog: (c) => c.req.path.startsWith('/health/'),
      skipTrace: (c) => c.req.path.startsWith('/health/'),
      // Which tenant's data the request touched; null before (or without) authentication.
      logFields: (c) => ({
        tenant:
          ((c.get as (key: string) => unknown)('caller') as Caller | undefined)?.tenant ?? null,
      }),
    }),
  );

  // Not ready while the schema is behind the code: a pod started before its migration Job ran
  // would otherwise take traffic and answer "relation does not exist".
  const { migrationsFolder = MIGRATIONS_FOLDER } = deps;
  const checks = migrationsFolder
    ? { ...deps.readinessChecks, migrations: schemaReadiness(db, migrationsFolder) }
    : deps.readinessChecks;
  app.route('/health', health({ checks, lifecycle, logger }));

  app.use(
    '/v1/*',
    jwtAuth({
      issuer: deps.auth.issuer,
      audience: deps.auth.audience,
      ...(deps.auth.jwksUri ? { jwksUri: deps.auth.jwksUri } : {}),
      typ: deps.auth.typ ?? 'at+jwt',
      ...(deps.auth.maxTokenAgeSeconds !== undefined
        ? { maxTokenAgeSeconds: deps.auth.maxTokenAgeSeconds }
        : {}),
      logger,
    }),
  );
  app.use('/v1/*', async function scopeToCaller(c, next) {
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
  });
  app.use('/v1/*', idempotency(db, { ...deps.idempotency, logger }));
  app.use('/v1/*', ...apiLimits(deps.rateLimits, logger));
  app.use('/v1/groups', groupCreateLimit(deps.rateLimits, logger));
  app.use('/v1/*', flagsMiddleware(flags));
  app.use('/v1/*', killSwitch(flags, 'maintenance-mode'));
  if (injectsFaults(deps.faultInjection)) {
    logger.warn({ ...deps.faultInjection }, 'fault injection is on');
    app.use('/v1/*', faultInjection(deps.faultInjection));
  }

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
              if (found.ok) return { status: 'ok', source: found.source, restaurants: found.value };
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

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', bearerAuthScheme);
  for (const [name, header] of Object.entries(HEADER_COMPONENTS)) {
    app.openAPIRegistry.registerComponent('headers', name, header);
  }
  app.doc31('/openapi.json', openApiConfig(deps.version));
  app.get(
    '/docs',
    async function relaxCspForDocs(c, next) {
      await next();
      // The reference page loads its script and styles from a CDN.
      c.res.headers.set('Content-Security-Policy', DOCS_CSP);
    },
    Scalar({ url: '/openapi.json', pageTitle: 'where2eat API' }),
  );

  app.onError(
    problemErrorHandler({
      logger,
      mapError: [mapDatabaseErrors],
      exposeInternalErrors: deps.exposeInternalErrors,
    }),
  );
  app.notFound(problemNotFoundHandler(() => app.routes));
  return app;
}
