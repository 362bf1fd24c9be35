/** Stable codes of {@link DbError}. */
export type DbErrorCode =
  | 'DB_UNAVAILABLE'
  | 'DB_MIGRATION_FAILED'
  | 'DB_INVALID_OPTIONS'
  | 'DB_SCHEMA_BEHIND';

/**
 * The db package's error. `DB_UNAVAILABLE` means the database could not be reached or did not
 * answer in time (refused, no pooled connection within `acquireTimeoutMs`, `statement_timeout`,
 * connection lost, server shutting down); an HTTP edge answers it with 503.
 * `DB_SCHEMA_BEHIND` means checked-in migrations are not applied yet: the instance is not ready.
 */
export class DbError extends Error {
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}

const CONNECTION_CODES = new Set([
  // node:net / dns
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  // postgres.js
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // PostgreSQL SQLSTATE: query_canceled (statement_timeout, or a ping past its deadline),
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the error (or any error in its `cause` chain) says the database is unreachable. */
export function isConnectionError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof DbError) return current.code === 'DB_UNAVAILABLE';
    const code = codeOf(current);
    // SQLSTATE class 08 is "connection exception".
    if (code && (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (current instanceof AggregateError && current.errors.some(isConnectionError)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Wraps connection errors as `DbError('DB_UNAVAILABLE')`; returns other errors unchanged. */
export function toDbError(err: unknown): unknown {
  if (err instanceof DbError || !isConnectionError(err)) return err;
  return new DbError('DB_UNAVAILABLE', 'The database is unreachable.', { cause: err });
}
