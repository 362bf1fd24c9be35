import { runMigrations } from '@micro-app/service/node';
import * as schema from './db/schema.js';
import { loadMigrationConfigOrExit, MIGRATIONS_FOLDER } from './runtime.js';

// Applies the checked-in migrations and exits: `npm run migrate`, or the Helm pre-upgrade Job.
// It reads only the database and logging settings, so it runs with DATABASE_URL alone.
process.exitCode = await runMigrations({
  name: 'where2eat',
  schema,
  folder: MIGRATIONS_FOLDER,
  config: loadMigrationConfigOrExit(),
});
