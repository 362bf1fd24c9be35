import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Where `npm run dev` serves the dev OpenID provider (apps/dev-idp). */
export const DEV_ISSUER = 'http://localhost:4000';

// The only file in this app that reads the environment. Every variable is documented in
// docs/configuration.md; a test keeps that page and this schema in step.

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const postgresUrl = z
  .url()
  .refine(
    (value) => /^postgres(ql)?:\/\//.test(value),
    'must start with postgres:// or postgresql://',
  );

const httpUrl = z.url({ protocol: /^https?$/ });
const redisUrl = z
  .url()
  .refine((value) => /^rediss?:\/\//.test(value), 'must start with redis:// or rediss://');

/** The bootstrap flags file next to the app, whatever the working directory. */
const DEFAULT_FLAGS_FILE = fileURLToPath(new URL('../flags.json', import.meta.url));

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: int(0, 65_535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('.data/pglite'),
    DB_POOL_MAX: int(1, 1_000).default(10),
    DB_ACQUIRE_TIMEOUT_MS: int(50, 60_000).default(750),
    DB_STATEMENT_TIMEOUT_MS: int(0, 600_000).default(5_000),
    MIGRATE_ON_START: bool.optional(),
    BODY_LIMIT_BYTES: int(1_024, 10_485_760).default(65_536),
    REQUEST_TIMEOUT_MS: int(100, 120_000).default(10_000),
    SHUTDOWN_DRAIN_MS: int(0, 60_000).optional(),
    SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
    SERVER_HEADERS_TIMEOUT_MS: int(100, 120_000).default(10_000),
    SERVER_REQUEST_TIMEOUT_MS: int(100, 600_000).default(30_000),
    SERVER_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(65_000),
    SERVER_MAX_CONNECTIONS: int(1, 1_000_000).default(1_000),
    LOG_PRETTY: bool.optional(),
    IDEMPOTENCY_KEY_TTL_SECONDS: int(60, 2_592_000).default(86_400),
    IDEMPOTENCY_PRUNE_INTERVAL_MS: int(1_000, 86_400_000).default(3_600_000),
    DATA_RETENTION_DAYS: int(0, 36_500).default(365),

    // Auth: the dev OpenID provider (apps/dev-idp) unless pointed at the real IdP.
    AUTH_ISSUER: httpUrl.optional(),
    AUTH_AUDIENCE: z.string().min(1).default('where2eat'),
    AUTH_JWKS_URL: httpUrl.optional(),
    AUTH_TOKEN_TYP: z.string().min(1).default('at+jwt'),
    AUTH_MAX_TOKEN_AGE_SECONDS: int(1, 31_536_000).optional(),

    // Rate limits and quotas: in-memory unless REDIS_URL is set.
    REDIS_URL: redisUrl.optional(),
    RATE_LIMIT_FAIL_OPEN: bool.default(true),
    RATE_LIMIT_STORE_TIMEOUT_MS: int(10, 5_000).default(100),
    RATE_LIMIT_PER_USER_PER_MIN: int(1, 1_000_000).default(300),
    RATE_LIMIT_PER_TENANT_PER_MIN: int(1, 10_000_000).default(3_000),
    RATE_LIMIT_GROUP_CREATE_PER_MIN: int(1, 10_000).default(20),
    QUOTA_REQUESTS_PER_TENANT_PER_DAY: int(1, 1_000_000_000).optional(),

    // Feature flags: the bootstrap file unless UNLEASH_URL is set.
    UNLEASH_URL: httpUrl.optional(),
    UNLEASH_API_TOKEN: z.string().min(1).optional(),
    UNLEASH_APP_NAME: z.string().min(1).default('where2eat'),
    UNLEASH_REFRESH_INTERVAL_MS: int(1_000, 3_600_000).default(15_000),
    FLAGS_FILE: z.string().min(1).default(DEFAULT_FLAGS_FILE),
    FLAGS_READY_TIMEOUT_MS: int(100, 60_000).default(5_000),

    // Telemetry: nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT or METRICS_PORT is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    OTEL_METRIC_EXPORT_INTERVAL: int(100, 3_600_000).default(60_000),
    METRICS_PORT: int(1, 65_535).optional(),
    TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).optional(),
    DEPLOY_ENV: z.string().min(1).optional(),

    // Restaurant suggestions (flag restaurant-suggestions): which provider, and its guards.
    RESTAURANTS_PROVIDER: z.enum(['none', 'fake', 'http']).optional(),
    RESTAURANTS_URL: httpUrl.optional(),
    RESTAURANTS_TIMEOUT_MS: int(50, 30_000).default(150),
    RESTAURANTS_CACHE_TTL_SECONDS: int(1, 86_400).default(600),
    RESTAURANTS_BUDGET_PER_TENANT_PER_DAY: int(0, 100_000_000).default(1_000),

    // Fault injection on /v1 (the canary drill's broken canary); refused in production.
    FAULT_INJECTION_ERROR_RATE: z.coerce.number().min(0).max(1).optional(),
    FAULT_INJECTION_LATENCY_MS: int(0, 60_000).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production (the embedded database is for development)',
      });
    }
    if (env.NODE_ENV === 'production' && !env.AUTH_ISSUER) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_ISSUER'],
        message: 'is required in production (the dev identity provider is for development)',
      });
    }
    // A production token must come from an identity provider reached over TLS, never the dev IdP.
    for (const name of ['AUTH_ISSUER', 'AUTH_JWKS_URL'] as const) {
      const value = env[name];
      if (env.NODE_ENV !== 'production' || value === undefined) continue;
      const devIssuer = new URL(value).origin === new URL(DEV_ISSUER).origin;
      if (devIssuer || !value.startsWith('https://')) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be an https:// URL of the identity provider production trusts, got ${value} (plain http:// and the dev identity provider are for development only)`,
        });
      }
    }
    for (const name of ['FAULT_INJECTION_ERROR_RATE', 'FAULT_INJECTION_LATENCY_MS'] as const) {
      if (env.NODE_ENV === 'production' && env[name] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is refused in production (fault injection is for drills and tests)',
        });
      }
    }
    if (env.SERVER_HEADERS_TIMEOUT_MS > env.SERVER_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SERVER_HEADERS_TIMEOUT_MS'],
        message: 'must not exceed SERVER_REQUEST_TIMEOUT_MS',
      });
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
    if (env.UNLEASH_URL && !env.UNLEASH_API_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['UNLEASH_API_TOKEN'],
        message: 'is required when UNLEASH_URL is set',
      });
    }
  })
  .transform((env) => ({
    ...env,
    // Development migrates at start; production runs `npm run migrate` as a release step.
    MIGRATE_ON_START: env.MIGRATE_ON_START ?? env.NODE_ENV !== 'production',
    // Development gets the made-up provider; production none until one is configured.
    RESTAURANTS_PROVIDER:
      env.RESTAURANTS_PROVIDER ?? (env.NODE_ENV === 'production' ? 'none' : 'fake'),
    // Kubernetes needs a few seconds to take a pod out of rotation after readiness turns 503.
    SHUTDOWN_DRAIN_MS: env.SHUTDOWN_DRAIN_MS ?? (env.NODE_ENV === 'production' ? 5_000 : 0),
    LOG_PRETTY: env.LOG_PRETTY ?? env.NODE_ENV === 'development',
    AUTH_ISSUER: env.AUTH_ISSUER ?? DEV_ISSUER,
    DEPLOY_ENV: env.DEPLOY_ENV ?? env.NODE_ENV,
  }));

export type Config = z.infer<typeof schema>;

/** The environment schema, for tools that list the variables (docs/configuration.md's test). */
export const configSchema = schema;

/** Thrown when the environment is invalid; the message lists every problem, one per line. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = this.constructor.name;
    this.problems = problems;
  }
}

/**
 * Parses the environment into a typed config.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(schema, env);
}

/** Parses `env` with `envSchema`, or throws one ConfigError naming every problem. */
function parseEnv<T extends z.ZodType>(
  envSchema: T,
  env: Record<string, string | undefined>,
): z.output<T> {
  // Treat empty strings as unset, as shells and compose files often export them that way.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    );
  }
  return result.data;
}

// The migration entry point (dist/migrate.js: the Helm pre-upgrade Job, CI, compose) needs the
// database and logging only; it must not demand the server's settings (AUTH_ISSUER, ...).
const migrationSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    LOG_PRETTY: bool.optional(),
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('.data/pglite'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production (the embedded database is for development)',
      });
    }
  })
  .transform((env) => ({ ...env, LOG_PRETTY: env.LOG_PRETTY ?? env.NODE_ENV === 'development' }));

export type MigrationConfig = z.infer<typeof migrationSchema>;

/**
 * Parses what the migrations need (DATABASE_URL or DATA_DIR, and logging) and ignores the rest
 * of the environment, so the migration step runs with only DATABASE_URL set.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadMigrationConfig(
  env: Record<string, string | undefined> = process.env,
): MigrationConfig {
  return parseEnv(migrationSchema, env);
}
