import {
  createLogger,
  loadMigrationConfigOrExit,
  MIGRATIONS_FOLDER,
  openDatabase,
} from './runtime.js';

// Applies the checked-in migrations and exits: `npm run migrate`, or the Helm pre-upgrade Job.
// It reads only the database and logging settings, so it runs with DATABASE_URL alone.
const config = loadMigrationConfigOrExit();
const logger = createLogger(config);
// A migration may lock and rewrite a table for longer than a request's statement timeout.
const database = openDatabase({
  ...config,
  DB_STATEMENT_TIMEOUT_MS: 0,
  DB_ACQUIRE_TIMEOUT_MS: 30_000,
});
try {
  await database.migrate(MIGRATIONS_FOLDER);
  logger.info({ driver: database.driver }, 'migrations applied');
} catch (err) {
  logger.error({ err }, 'migrations failed');
  process.exitCode = 1;
} finally {
  await database.close();
}
