import { fileURLToPath } from 'node:url';
import {
  checkServiceEnv,
  envInt,
  httpUrl,
  loadMigrationConfig as loadServiceMigrationConfig,
  type MigrationConfig,
  parseEnv,
  resolveServiceEnv,
  serviceEnv,
} from '@micro-app/service/config';
import { z } from 'zod';

export { ConfigError, DEV_ISSUER, type MigrationConfig } from '@micro-app/service/config';

// The only file in this app that reads the environment. Every variable is documented in
// docs/configuration.md; a test keeps that page and this schema in step. The variables every
// app shares (server, database, guardrails, auth, flags, telemetry) come from
// `serviceEnv()`; what follows them is where2eat's own.

/** The bootstrap flags file next to the app, whatever the working directory. */
const DEFAULT_FLAGS_FILE = fileURLToPath(new URL('../flags.json', import.meta.url));

const schema = z
  .object({
    ...serviceEnv({ name: 'where2eat', port: 3000, flagsFile: DEFAULT_FLAGS_FILE }),
    IDEMPOTENCY_KEY_TTL_SECONDS: envInt(60, 2_592_000).default(86_400),
    IDEMPOTENCY_PRUNE_INTERVAL_MS: envInt(1_000, 86_400_000).default(3_600_000),
    DATA_RETENTION_DAYS: envInt(0, 36_500).default(365),

    // Rate limits and quotas of the API (the store and its fail mode are shared).
    RATE_LIMIT_PER_USER_PER_MIN: envInt(1, 1_000_000).default(300),
    RATE_LIMIT_PER_TENANT_PER_MIN: envInt(1, 10_000_000).default(3_000),
    RATE_LIMIT_GROUP_CREATE_PER_MIN: envInt(1, 10_000).default(20),
    QUOTA_REQUESTS_PER_TENANT_PER_DAY: envInt(1, 1_000_000_000).optional(),

    // Restaurant suggestions (flag restaurant-suggestions): which provider, and its guards.
    RESTAURANTS_PROVIDER: z.enum(['none', 'fake', 'http']).optional(),
    RESTAURANTS_URL: httpUrl.optional(),
    RESTAURANTS_TIMEOUT_MS: envInt(50, 30_000).default(150),
    RESTAURANTS_CACHE_TTL_SECONDS: envInt(1, 86_400).default(600),
    RESTAURANTS_BUDGET_PER_TENANT_PER_DAY: envInt(0, 100_000_000).default(1_000),

    // The web UI (a backend-for-frontend: authorization code + PKCE with the AUTH_ISSUER).
    PUBLIC_URL: httpUrl.optional(),
    OIDC_CLIENT_ID: z.string().min(1).default('where2eat-web'),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    WEB_SESSION_TTL_SECONDS: envInt(300, 604_800).default(28_800),

    // Fault injection on /v1 (the canary drill's broken canary); refused in production.
    FAULT_INJECTION_ERROR_RATE: z.coerce.number().min(0).max(1).optional(),
    FAULT_INJECTION_LATENCY_MS: envInt(0, 60_000).optional(),
  })
  .superRefine((env, ctx) => {
    checkServiceEnv(env, ctx);
    for (const name of ['FAULT_INJECTION_ERROR_RATE', 'FAULT_INJECTION_LATENCY_MS'] as const) {
      if (env.NODE_ENV === 'production' && env[name] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is refused in production (fault injection is for drills and tests)',
        });
      }
    }
    if (env.PUBLIC_URL !== undefined) {
      const url = new URL(env.PUBLIC_URL);
      if (url.pathname !== '/' || url.search || url.hash) {
        ctx.addIssue({
          code: 'custom',
          path: ['PUBLIC_URL'],
          message:
            'must be an origin without path, query or fragment (https://where2eat.example.com)',
        });
      }
      if (env.NODE_ENV === 'production' && url.protocol !== 'https:') {
        ctx.addIssue({
          code: 'custom',
          path: ['PUBLIC_URL'],
          message: 'must be https in production (the session cookie is Secure)',
        });
      }
      if (env.NODE_ENV === 'production' && !env.OIDC_CLIENT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['OIDC_CLIENT_SECRET'],
          message: 'is required in production when PUBLIC_URL turns the web UI on',
        });
      }
    }
    if (env.RESTAURANTS_PROVIDER === 'http' && !env.RESTAURANTS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['RESTAURANTS_URL'],
        message: 'is required when RESTAURANTS_PROVIDER is http',
      });
    }
    if (env.NODE_ENV === 'production' && env.RESTAURANTS_PROVIDER === 'fake') {
      ctx.addIssue({
        code: 'custom',
        path: ['RESTAURANTS_PROVIDER'],
        message: 'fake is refused in production (made-up restaurants are for development)',
      });
    }
  })
  .transform((env) => ({
    ...resolveServiceEnv(env),
    // The dev IdP's secret for its where2eat-web client, outside production only.
    OIDC_CLIENT_SECRET:
      env.OIDC_CLIENT_SECRET ??
      (env.NODE_ENV === 'production' ? undefined : 'where2eat-web-dev-secret'),
    // Production serves the web UI only where PUBLIC_URL says where it lives.
    WEB_UI: env.NODE_ENV !== 'production' || env.PUBLIC_URL !== undefined,
    // Development gets the made-up provider; production none until one is configured.
    RESTAURANTS_PROVIDER:
      env.RESTAURANTS_PROVIDER ?? (env.NODE_ENV === 'production' ? 'none' : 'fake'),
  }));

export type Config = z.infer<typeof schema>;

/** The environment schema, for tools that list the variables (docs/configuration.md's test). */
export const configSchema = schema;

/**
 * Parses the environment into a typed config.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(schema, env);
}

/**
 * Parses what the migrations need (DATABASE_URL or DATA_DIR, and logging) and ignores the rest
 * of the environment, so the migration step runs with only DATABASE_URL set.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadMigrationConfig(
  env: Record<string, string | undefined> = process.env,
): MigrationConfig {
  return loadServiceMigrationConfig(env);
}
