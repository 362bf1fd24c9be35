import { z } from 'zod';

/** Where `npm run dev` serves the dev OpenID provider (apps/dev-idp). */
export const DEV_ISSUER = 'http://localhost:4000';

/** `true`/`false`/`1`/`0`, as shells and compose files write booleans. */
export const envBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
/** An integer in `[min, max]`, coerced from the variable's text. */
export const envInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A `postgres://` or `postgresql://` URL. */
export const postgresUrl = z
  .url()
  .refine(
    (value) => /^postgres(ql)?:\/\//.test(value),
    'must start with postgres:// or postgresql://',
  );
/** An `http://` or `https://` URL. */
export const httpUrl = z.url({ protocol: /^https?$/ });
/** A `redis://` or `rediss://` URL. */
export const redisUrl = z
  .url()
  .refine((value) => /^rediss?:\/\//.test(value), 'must start with redis:// or rediss://');

const nodeEnv = z.enum(['development', 'test', 'production']).default('development');
const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** What differs between apps in the shared variables' defaults. */
export interface ServiceEnvDefaults {
  /** The app's name: the default token audience and Unleash app name. */
  name: string;
  /** Default `PORT`. Default: 3000. */
  port?: number;
  /** Default `FLAGS_FILE`: the app's bootstrap flags file. */
  flagsFile: string;
}

/**
 * The variables every app reads, with their defaults and bounds: server, database, guardrails,
 * shutdown, auth, rate-limit store, flags and telemetry. Spread it into the app's own
 * `z.object({...})` next to the app's variables; run {@link checkServiceEnv} in its
 * `superRefine` and {@link resolveServiceEnv} in its `transform`.
 */
export function serviceEnv(defaults: ServiceEnvDefaults) {
  return {
    NODE_ENV: nodeEnv,
    PORT: envInt(0, 65_535).default(defaults.port ?? 3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: logLevel,
    LOG_PRETTY: envBool.optional(),
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('.data/pglite'),
    DB_POOL_MAX: envInt(1, 1_000).default(10),
    DB_ACQUIRE_TIMEOUT_MS: envInt(50, 60_000).default(750),
    DB_STATEMENT_TIMEOUT_MS: envInt(0, 600_000).default(5_000),
    MIGRATE_ON_START: envBool.optional(),
    BODY_LIMIT_BYTES: envInt(1_024, 10_485_760).default(65_536),
    REQUEST_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
    SHUTDOWN_DRAIN_MS: envInt(0, 60_000).optional(),
    SHUTDOWN_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
    SERVER_HEADERS_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
    SERVER_REQUEST_TIMEOUT_MS: envInt(100, 600_000).default(30_000),
    SERVER_KEEP_ALIVE_TIMEOUT_MS: envInt(100, 600_000).default(65_000),
    SERVER_MAX_CONNECTIONS: envInt(1, 1_000_000).default(1_000),

    // Auth: the dev OpenID provider (apps/dev-idp) unless pointed at the real IdP.
    AUTH_ISSUER: httpUrl.optional(),
    AUTH_AUDIENCE: z.string().min(1).default(defaults.name),
    AUTH_JWKS_URL: httpUrl.optional(),
    AUTH_TOKEN_TYP: z.string().min(1).default('at+jwt'),
    AUTH_MAX_TOKEN_AGE_SECONDS: envInt(1, 31_536_000).optional(),

    // Rate limits and quotas: in-memory unless REDIS_URL is set.
    REDIS_URL: redisUrl.optional(),
    RATE_LIMIT_FAIL_OPEN: envBool.default(true),
    RATE_LIMIT_STORE_TIMEOUT_MS: envInt(10, 5_000).default(100),

    // Feature flags: the bootstrap file unless UNLEASH_URL is set.
    UNLEASH_URL: httpUrl.optional(),
    UNLEASH_API_TOKEN: z.string().min(1).optional(),
    UNLEASH_APP_NAME: z.string().min(1).default(defaults.name),
    UNLEASH_REFRESH_INTERVAL_MS: envInt(1_000, 3_600_000).default(15_000),
    FLAGS_FILE: z.string().min(1).default(defaults.flagsFile),
    FLAGS_READY_TIMEOUT_MS: envInt(100, 60_000).default(5_000),

    // Telemetry: nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT or METRICS_PORT is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    OTEL_METRIC_EXPORT_INTERVAL: envInt(100, 3_600_000).default(60_000),
    METRICS_PORT: envInt(1, 65_535).optional(),
    TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).optional(),
    DEPLOY_ENV: z.string().min(1).optional(),
  };
}

/** The shared variables as parsed, before {@link resolveServiceEnv} fills the derived ones. */
export type ServiceEnvInput = z.output<z.ZodObject<ReturnType<typeof serviceEnv>>>;

/** The shared variables once resolved: what the skeleton's functions take. */
export type ServiceConfig = Omit<
  ServiceEnvInput,
  'MIGRATE_ON_START' | 'SHUTDOWN_DRAIN_MS' | 'LOG_PRETTY' | 'AUTH_ISSUER' | 'DEPLOY_ENV'
> & {
  MIGRATE_ON_START: boolean;
  SHUTDOWN_DRAIN_MS: number;
  LOG_PRETTY: boolean;
  AUTH_ISSUER: string;
  DEPLOY_ENV: string;
};

/** The checks across the shared variables; call it from the app schema's `superRefine`. */
export function checkServiceEnv(env: ServiceEnvInput, ctx: z.RefinementCtx): void {
  const production = env.NODE_ENV === 'production';
  if (production && !env.DATABASE_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['DATABASE_URL'],
      message: 'is required in production (the embedded database is for development)',
    });
  }
  if (production && !env.AUTH_ISSUER) {
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_ISSUER'],
      message: 'is required in production (the dev identity provider is for development)',
    });
  }
  // A production token must come from an identity provider reached over TLS, never the dev IdP.
  for (const name of ['AUTH_ISSUER', 'AUTH_JWKS_URL'] as const) {
    const value = env[name];
    if (!production || value === undefined) continue;
    const devIssuer = new URL(value).origin === new URL(DEV_ISSUER).origin;
    if (devIssuer || !value.startsWith('https://')) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `must be an https:// URL of the identity provider production trusts, got ${value} (plain http:// and the dev identity provider are for development only)`,
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
  if (env.UNLEASH_URL && !env.UNLEASH_API_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      path: ['UNLEASH_API_TOKEN'],
      message: 'is required when UNLEASH_URL is set',
    });
  }
}

/** The shared variables whose default depends on others; call it from the schema's `transform`. */
export function resolveServiceEnv<T extends ServiceEnvInput>(
  env: T,
): Omit<T, keyof ServiceConfig> & ServiceConfig {
  const production = env.NODE_ENV === 'production';
  return {
    ...env,
    // Development migrates at start; production runs the migration entry point as a release step.
    MIGRATE_ON_START: env.MIGRATE_ON_START ?? !production,
    // Kubernetes needs a few seconds to take a pod out of rotation after readiness turns 503.
    SHUTDOWN_DRAIN_MS: env.SHUTDOWN_DRAIN_MS ?? (production ? 5_000 : 0),
    LOG_PRETTY: env.LOG_PRETTY ?? env.NODE_ENV === 'development',
    AUTH_ISSUER: env.AUTH_ISSUER ?? DEV_ISSUER,
    DEPLOY_ENV: env.DEPLOY_ENV ?? env.NODE_ENV,
  };
}

// The migration entry point (the Helm pre-upgrade Job, CI, compose) needs the database and
// logging only; it must not demand the server's settings (AUTH_ISSUER, ...).
const migrationSchema = z
  .object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    LOG_PRETTY: envBool.optional(),
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

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode = 'SERVICE_CONFIG_INVALID';

/** Thrown when the environment is invalid; the message lists every problem, one per line. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode = 'SERVICE_CONFIG_INVALID';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = this.constructor.name;
    this.problems = problems;
  }
}

/**
 * Parses `env` with `schema`. Empty strings count as unset, as shells and compose files often
 * export them that way.
 *
 * @throws {ConfigError} naming every missing or invalid variable at once
 */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
): z.output<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    );
  }
  return result.data;
}

/**
 * Parses what the migrations need (DATABASE_URL or DATA_DIR, and logging) and ignores the rest
 * of the environment, so the migration step runs with only DATABASE_URL set.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadMigrationConfig(
  env: Readonly<Record<string, string | undefined>>,
): MigrationConfig {
  return parseEnv(migrationSchema, env);
}

/**
 * Runs `load`; on a {@link ConfigError} writes `headline` and the problems to stderr and exits
 * with 1, so an entry point fails at start with one message instead of a stack trace.
 */
export function loadOrExit<T>(load: () => T, headline: string): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${headline}\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
