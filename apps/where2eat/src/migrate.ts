import { createLogger, loadConfigOrExit, MIGRATIONS_FOLDER, openDatabase } from './runtime.js';

// Applies the checked-in migrations and exits: `npm run migrate`, or the Helm pre-upgrade Job.
const config = loadConfigOrExit();
const logger = createLogger(config);
const database = openDatabase(config);
try {
  await database.migrate(MIGRATIONS_FOLDER);
  logger.info({ driver: database.driver }, 'migrations applied');
} catch (err) {
  logger.error({ err }, 'migrations failed');
  process.exitCode = 1;
} finally {
  await database.close();
}
