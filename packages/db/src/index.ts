export type { CreateDbOptions, Database, DbHandle } from './create-db.js';
export { createDb } from './create-db.js';
export type { DbErrorCode } from './errors.js';
export { DbError, isConnectionError, toDbError } from './errors.js';
