import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOrExit } from '@micro-app/service/config';
import { type Config, loadConfig, loadMigrationConfig, type MigrationConfig } from './config.js';

// Imported by instrumentation.ts before OpenTelemetry starts: nothing here may import a module
// the SDK patches (http, ioredis), so the database and the server live in main.ts.

/** Checked-in drizzle-kit migrations, next to `src/` and `dist/` alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Loads the config or stops the process with one message listing each problem. */
export function loadConfigOrExit(): Config {
  return loadOrExit(() => loadConfig(), 'where2eat cannot start.');
}

/** Loads what the migrations need (see `loadMigrationConfig`) or stops the process. */
export function loadMigrationConfigOrExit(): MigrationConfig {
  return loadOrExit(() => loadMigrationConfig(), 'where2eat cannot migrate.');
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
