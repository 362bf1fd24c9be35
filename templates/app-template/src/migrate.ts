import { runMigrations } from '@micro-app/service/node';
import * as schema from './db/schema.js';
import { loadMigrationConfigOrExit, MIGRATIONS_FOLDER } from './runtime.js';

// Applies the checked-in migrations and exits: `npm run migrate`, or the Helm pre-upgrade Job.
process.exitCode = await runMigrations({
  name: 'app-template',
  schema,
  folder: MIGRATIONS_FOLDER,
  config: loadMigrationConfigOrExit(),
});
