import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOrExit } from '@micro-app/service/config';
import { type Config, loadConfig, loadMigrationConfig, type MigrationConfig } from './config.js';

// Imported by instrumentation.ts before OpenTelemetry starts: nothing here may import a module
// the SDK patches (http, ioredis).

/** Checked-in drizzle-kit migrations, next to `src/` and `dist/` alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

export function loadConfigOrExit(): Config {
  return loadOrExit(() => loadConfig(), 'app-template cannot start.');
}

export function loadMigrationConfigOrExit(): MigrationConfig {
  return loadOrExit(() => loadMigrationConfig(), 'app-template cannot migrate.');
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
