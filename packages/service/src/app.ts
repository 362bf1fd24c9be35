import { OpenAPIHono } from '@hono/zod-openapi';
import { type AuthVariables, jwtAuth } from '@micro-app/auth';
import { type DbHandle, isConnectionError, schemaReadiness } from '@micro-app/db';
import { type Flags, type FlagsVariables, flagsMiddleware, killSwitch } from '@micro-app/flags';
import {
  type ErrorMapper,
  guardrails,
  HttpProblem,
  health,
  type Lifecycle,
  problemErrorHandler,
  problemNotFoundHandler,
  type ReadinessCheck,
  validationHook,
} from '@micro-app/server';
import { type Logger, type TelemetryVariables, telemetryMiddleware } from '@micro-app/telemetry';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { docsRoutes } from './docs.js';

/** The request variables the skeleton sets, for an app's own `Env`. */
export type ServiceVariables<F extends string = string> = { requestId: string } & AuthVariables &
  TelemetryVariables &
  FlagsVariables<F>;

/** How access tokens are verified (see `jwtAuth` of `@micro-app/auth`). */
export interface ServiceAuthSettings {
  issuer: string;
  audience: string;
  /** JWKS URL; when absent it is found through the issuer's OpenID discovery document. */
  jwksUri?: string | undefined;
  /** Required `typ` header of access tokens (RFC 9068). Default: `'at+jwt'`. */
  typ?: string | undefined;
  /** Oldest accepted token, in seconds since its `iat`. Default: only `exp` is checked. */
  maxTokenAgeSeconds?: number | undefined;
}

/** A middleware of the API chain, on every API path or on one path. */
export type ApiMiddleware<E extends Env> =
  | MiddlewareHandler<E>
  | { path: string; handler: MiddlewareHandler<E> };

/** The top of the OpenAPI document (`openapi`, `info`, `servers`, `tags`). */
export type OpenApiDocumentConfig = Parameters<OpenAPIHono['getOpenAPI31Document']>[0];

export interface ServiceAppOptions<E extends Env, F extends string> {
  /** The app's name: the API reference page's title. */
  name: string;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Named readiness checks for `/health/ready`. */
  readinessChecks: Record<string, ReadinessCheck>;
  /**
   * The database and the migrations it must have applied before `/health/ready` passes (check
   * `migrations`), so a pod started before its migration Job ran takes no traffic. Omit it to
   * leave the check out.
   */
  migrations?: { db: DbHandle<Record<string, unknown>>['db']; folder: string } | undefined;
  auth: ServiceAuthSettings;
  flags: Flags<F>;
  /** The flag that turns writes into 503 (`killSwitch`). Default: none. */
  maintenanceFlag?: F | undefined;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Show internal error messages in 500 responses (development only). */
  exposeInternalErrors: boolean;
  /** Prefix of the authenticated API. Default: `'/v1'`. */
  apiPrefix?: string;
  /** After authentication, before the rate limits (the caller's scope, idempotency replays). */
  afterAuth?: ReadonlyArray<ApiMiddleware<E>>;
  /** The rate limits and quotas, after `afterAuth`. */
  limits?: ReadonlyArray<ApiMiddleware<E>>;
  /** After the flags, right before the routes (fault injection in drills). */
  beforeRoutes?: ReadonlyArray<ApiMiddleware<E>>;
  /** Adds the app's routes (and OpenAPI components) to the app. */
  routes: (app: OpenAPIHono<E>) => void;
  /** The top of `/openapi.json`. */
  openapi: OpenApiDocumentConfig;
  /** Extra fields on every request's log line (e.g. the tenant the request touched). */
  logFields?: (c: Context<E>) => Record<string, unknown>;
  /** Error mappers before the built-in one (database outage → 503). */
  mapError?: ReadonlyArray<ErrorMapper>;
}

/** 503 problem for database outages, so clients retry instead of seeing a 500. */
export const mapDatabaseErrors: ErrorMapper = (err) => {
  if (!isConnectionError(err)) return undefined;
  return new HttpProblem({
    status: 503,
    slug: 'dependency-unavailable',
    title: 'Service unavailable',
    detail: 'The database is unavailable; retry later.',
    headers: { 'Retry-After': '5' },
    cause: err,
  });
};

const isProbe = (c: Context) => c.req.path.startsWith('/health/');

/**
 * Builds an app on the shared packages in the one order every app uses. Does no I/O.
 *
 * Request flow: request id → secure headers → body limit → timeout → telemetry → `/health` →
 * on the API: auth → `afterAuth` → `limits` → feature flags (and the maintenance kill switch) →
 * `beforeRoutes` → the app's routes. Then `/openapi.json`, `/docs` (the API reference, served
 * with its scripts from the app itself under its own CSP), and problem+json for every error and
 * unknown route.
 */
export function createServiceApp<E extends Env, F extends string>(
  options: ServiceAppOptions<E, F>,
): OpenAPIHono<E> {
  const { logger, flags } = options;
  const api = `${options.apiPrefix ?? '/v1'}/*`;
  const app = new OpenAPIHono<E>({ defaultHook: validationHook });
  const use = (middleware: ReadonlyArray<ApiMiddleware<E>> = []) => {
    for (const m of middleware) {
      if (typeof m === 'function') app.use(api, m);
      else app.use(m.path, m.handler);
    }
  };

  app.use(
    ...(guardrails({
      bodyLimitBytes: options.bodyLimitBytes,
      timeoutMs: options.requestTimeoutMs,
    }) as unknown as MiddlewareHandler<E>[]),
  );
  app.use(
    telemetryMiddleware({
      logger,
      requestId: (c) => c.get('requestId'),
      skipLog: isProbe,
      skipTrace: isProbe,
      ...(options.logFields
        ? { logFields: options.logFields as (c: Context) => Record<string, unknown> }
        : {}),
    }) as unknown as MiddlewareHandler<E>,
  );

  const checks = options.migrations
    ? {
        ...options.readinessChecks,
        migrations: schemaReadiness(options.migrations.db, options.migrations.folder),
      }
    : options.readinessChecks;
  app.route('/health', health({ checks, lifecycle: options.lifecycle, logger }));

  app.use(
    api,
    jwtAuth({
      issuer: options.auth.issuer,
      audience: options.auth.audience,
      ...(options.auth.jwksUri ? { jwksUri: options.auth.jwksUri } : {}),
      typ: options.auth.typ ?? 'at+jwt',
      ...(options.auth.maxTokenAgeSeconds !== undefined
        ? { maxTokenAgeSeconds: options.auth.maxTokenAgeSeconds }
        : {}),
      logger,
    }) as unknown as MiddlewareHandler<E>,
  );
  use(options.afterAuth);
  use(options.limits);
  app.use(api, flagsMiddleware(flags) as unknown as MiddlewareHandler<E>);
  if (options.maintenanceFlag !== undefined) {
    app.use(api, killSwitch(flags, options.maintenanceFlag) as unknown as MiddlewareHandler<E>);
  }
  use(options.beforeRoutes);

  options.routes(app);

  app.doc31('/openapi.json', options.openapi);
  docsRoutes(app, { title: `${options.name} API`, openapiPath: '/openapi.json' });

  app.onError(
    problemErrorHandler({
      logger,
      mapError: [...(options.mapError ?? []), mapDatabaseErrors],
      exposeInternalErrors: options.exposeInternalErrors,
    }),
  );
  app.notFound(problemNotFoundHandler(() => app.routes));
  return app;
}
