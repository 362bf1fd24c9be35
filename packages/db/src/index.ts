export type { CreateDbOptions, Database, DbHandle } from './create-db.js';
export { createDb } from './create-db.js';
export type { DbErrorCode } from './errors.js';
export { DbError, isConnectionError, toDbError } from './errors.js';
export type { MigrationStatus } from './migration-status.js';
export { migrationStatus, schemaReadiness } from './migration-status.js';
