import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb } from '@micro-app/db';
import { createLogger as createTelemetryLogger } from '@micro-app/telemetry';
import {
  type Config,
  ConfigError,
  loadConfig,
  loadMigrationConfig,
  type MigrationConfig,
} from './config.js';
import * as schema from './db/schema.js';

/** Checked-in drizzle-kit migrations, next to `src/` and `dist/` alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Loads the config or stops the process with one message listing each problem. */
export function loadConfigOrExit(): Config {
  return orExit(loadConfig, 'where2eat cannot start.');
}

/** Loads what the migrations need (see `loadMigrationConfig`) or stops the process. */
export function loadMigrationConfigOrExit(): MigrationConfig {
  return orExit(loadMigrationConfig, 'where2eat cannot migrate.');
}

function orExit<T>(load: () => T, headline: string): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${headline}\n${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

/** The app's one root logger: JSON in production, pretty in development, secrets redacted. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>) {
  return createTelemetryLogger({
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    base: { service: 'where2eat' },
  });
}

/** The database from config: PostgreSQL when `DATABASE_URL` is set, else PGlite in `DATA_DIR`. */
export function openDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'> &
    Partial<Pick<Config, 'DB_POOL_MAX' | 'DB_ACQUIRE_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'>>,
) {
  if (!config.DATABASE_URL) mkdirSync(config.DATA_DIR, { recursive: true });
  return createDb({
    schema,
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    ...(config.DB_POOL_MAX ? { poolMax: config.DB_POOL_MAX } : {}),
    ...(config.DB_ACQUIRE_TIMEOUT_MS ? { acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS } : {}),
    ...(config.DB_STATEMENT_TIMEOUT_MS !== undefined
      ? { statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS }
      : {}),
  });
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
