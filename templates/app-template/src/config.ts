import { fileURLToPath } from 'node:url';
import {
  checkServiceEnv,
  envInt,
  loadMigrationConfig as loadServiceMigrationConfig,
  type MigrationConfig,
  parseEnv,
  resolveServiceEnv,
  serviceEnv,
} from '@micro-app/service/config';
import { z } from 'zod';

export { ConfigError, DEV_ISSUER, type MigrationConfig } from '@micro-app/service/config';

// The only file in this app that reads the environment. The variables every app shares come
// from `serviceEnv()` (see @micro-app/service); what follows them is this app's own.

/** The bootstrap flags file next to the app, whatever the working directory. */
const DEFAULT_FLAGS_FILE = fileURLToPath(new URL('../flags.json', import.meta.url));

const schema = z
  .object({
    ...serviceEnv({ name: 'app-template', port: 3099, flagsFile: DEFAULT_FLAGS_FILE }),
    RATE_LIMIT_PER_USER_PER_MIN: envInt(1, 1_000_000).default(300),
    RATE_LIMIT_PER_TENANT_PER_MIN: envInt(1, 10_000_000).default(3_000),
  })
  .superRefine((env, ctx) => checkServiceEnv(env, ctx))
  .transform((env) => resolveServiceEnv(env));

export type Config = z.infer<typeof schema>;

/** The environment schema, for tools that list the variables. */
export const configSchema = schema;

/**
 * Parses the environment into a typed config.
 *
 * @throws {ConfigError} naming each missing or invalid variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(schema, env);
}

/** What the migration entry point needs: the database and logging settings only. */
export function loadMigrationConfig(
  env: Record<string, string | undefined> = process.env,
): MigrationConfig {
  return loadServiceMigrationConfig(env);
}
