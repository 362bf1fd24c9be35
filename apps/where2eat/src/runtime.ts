import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb } from '@micro-app/db';
import { createLogger as createTelemetryLogger } from '@micro-app/telemetry';
import { type Config, ConfigError, loadConfig } from './config.js';
import * as schema from './db/schema.js';

/** Checked-in drizzle-kit migrations, next to `src/` and `dist/` alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Loads the config or stops the process with one message listing each problem. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`where2eat cannot start.\n${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

/** The app's one root logger: JSON in production, pretty in development, secrets redacted. */
export function createLogger(config: Config) {
  return createTelemetryLogger({
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    base: { service: 'where2eat' },
  });
}

/** The database from config: PostgreSQL when `DATABASE_URL` is set, else PGlite in `DATA_DIR`. */
export function openDatabase(config: Config) {
  if (!config.DATABASE_URL) mkdirSync(config.DATA_DIR, { recursive: true });
  return createDb({ schema, url: config.DATABASE_URL, dataDir: config.DATA_DIR });
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
