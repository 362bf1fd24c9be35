import { PGlite } from '@electric-sql/pglite';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { DbError, toDbError } from './errors.js';
import { createInstruments, type DbInstruments, traced } from './instrument.js';

/** A drizzle database over either driver; write queries against this type. */
export type Database<TSchema extends Record<string, unknown> = Record<string, never>> = PgDatabase<
  PgQueryResultHKT,
  TSchema
>;

export interface CreateDbOptions<TSchema extends Record<string, unknown>> {
  /** drizzle schema (tables and relations) for the relational query API. */
  schema: TSchema;
  /** PostgreSQL URL. When absent the database is embedded PGlite. Default: `undefined`. */
  url?: string | undefined;
  /** PGlite data folder (created if missing); absent means in memory. Ignored with `url`. Default: `undefined`. */
  dataDir?: string | undefined;
  /**
   * PGlite's `shared_buffers` in MB (its page cache, inside the app's own memory). PostgreSQL's
   * 128 MB default made about 140 MB of the app's resident set; a micro-app's tables fit in
   * far less. Ignored with `url` (the server's own setting applies). Default: `16`.
   */
  pgliteSharedBuffersMb?: number;
  /** Largest number of pooled connections (postgres.js). Default: `10`. */
  poolMax?: number;
  /** Time one connection attempt may take before it counts as failed. Default: `5_000`. */
  connectTimeoutMs?: number;
  /**
   * Time a query may wait for a pooled connection (queued behind others, or while the pool
   * reconnects) before it fails with `DbError('DB_UNAVAILABLE')`. A query not yet sent is never
   * run after this. Without it, a query waits for as long as the database is unreachable.
   * Default: `2_000`.
   */
  acquireTimeoutMs?: number;
  /**
   * Server-side `statement_timeout`: a statement running longer is cancelled by PostgreSQL and
   * fails with `DbError('DB_UNAVAILABLE')`. `0` turns it off. Default: `5_000`.
   */
  statementTimeoutMs?: number;
  /**
   * Longest pause between reconnection attempts while the database is unreachable (they back off
   * from 50 ms up to this, with jitter), so the pool is back soon after the database. Default: `250`.
   */
  maxReconnectDelayMs?: number;
  /** Idle time after which a pooled connection closes. Default: `30_000`. */
  idleTimeoutMs?: number;
  /** Source of the tracer; defaults to OpenTelemetry's global provider (a no-op until an SDK starts). */
  tracerProvider?: TracerProvider;
  /** Source of the meter for `db.client.operation.duration`; defaults to the global provider. */
  meterProvider?: MeterProvider;
}

/** What {@link createDb} returns: the drizzle client and its lifecycle. */
export interface DbHandle<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  driver: 'postgres' | 'pglite';
  /**
   * Runs `select 1`; rejects with `DbError('DB_UNAVAILABLE')` when the database is unreachable.
   * An aborted `signal` cancels the query and rejects at once (a readiness check's timeout).
   */
  ping(options?: { signal?: AbortSignal }): Promise<void>;
  /** Applies the checked-in drizzle-kit migrations in `migrationsFolder`, in order, once each. */
  migrate(migrationsFolder: string): Promise<void>;
  /** Closes the pool (waiting up to `timeoutMs` for running queries) or the embedded database. */
  close(timeoutMs?: number): Promise<void>;
}

type Fn = (...args: unknown[]) => unknown;

function bindAll<T extends object>(target: T, overrides: Record<PropertyKey, unknown>): T {
  return new Proxy(target, {
    get(obj, prop) {
      if (prop in overrides) return overrides[prop];
      const value = Reflect.get(obj, prop, obj);
      return typeof value === 'function' ? (value as Fn).bind(obj) : value;
    },
  });
}

const unavailable = (message: string) => new DbError('DB_UNAVAILABLE', message);

/** A postgres.js query; `state` is null until it is handed to a connection. */
export interface PendingPostgresQuery extends PromiseLike<unknown> {
  state?: unknown;
  cancel(): unknown;
  values(): PendingPostgresQuery;
}

/**
 * Settles like `pending`, or rejects with DB_UNAVAILABLE when it is still waiting for a connection
 * after `ms`; the query is then cancelled, so it can never run later.
 */
function withAcquireDeadline(pending: PendingPostgresQuery, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (pending.state) return; // sent: the statement timeout bounds it now
      pending.cancel();
      reject(unavailable(`No database connection within ${ms} ms.`));
    }, ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * `begin()` that gives up after `ms` without a connection: the transaction is abandoned, and if
 * a connection comes later its callback throws at once, so nothing runs and it rolls back.
 */
function beginWithDeadline(start: (callback: Fn) => Promise<unknown>, callback: Fn, ms: number) {
  let state: 'waiting' | 'entered' | 'abandoned' = 'waiting';
  const run = start((tx: unknown) => {
    if (state === 'abandoned') throw unavailable('Transaction abandoned: no connection in time.');
    state = 'entered';
    return callback(tx);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (state !== 'waiting') return;
      state = 'abandoned';
      reject(unavailable(`No database connection within ${ms} ms.`));
    }, ms);
    run.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (state !== 'abandoned') reject(err);
      },
    );
  });
}

/**
 * A postgres.js query with its execution traced: awaiting it (`then`, `catch`, `finally`) runs it
 * once inside a span and under the acquire deadline. Every other member is the query's own:
 * builder methods that return the query (`values()`, `raw()`, `simple()`, `describe()`,
 * `execute()`, `forEach()`) return this wrapper instead, so their result is traced too;
 * anything else (`cursor()`, `readable()`, properties) is forwarded untouched, so a postgres.js
 * upgrade that adds members cannot break silently.
 */
export function tracedQuery(
  pending: PendingPostgresQuery,
  query: string,
  inst: DbInstruments,
  acquireTimeoutMs: number,
): PendingPostgresQuery {
  let settled: Promise<unknown> | undefined;
  const run = () =>
    (settled ??= traced(inst, query, () => withAcquireDeadline(pending, acquireTimeoutMs)));
  const wrapper: PendingPostgresQuery = new Proxy(pending, {
    get(target, prop) {
      if (prop === 'then') return (ok?: Fn, fail?: Fn) => run().then(ok, fail);
      if (prop === 'catch') return (fail?: Fn) => run().catch(fail);
      if (prop === 'finally') return (done?: () => void) => run().finally(done);
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as Fn).apply(target, args);
        return result === target ? wrapper : result;
      };
    },
  });
  return wrapper;
}

/**
 * postgres.js: every `unsafe()` query runs in a span and under the acquire deadline;
 * transactions hand out wrapped clients too.
 */
function instrumentPostgres(
  client: postgres.Sql,
  inst: DbInstruments,
  acquireTimeoutMs: number,
): postgres.Sql {
  const wrapTx =
    (callback: Fn): Fn =>
    (tx) =>
      callback(instrumentPostgres(tx as postgres.Sql, inst, acquireTimeoutMs));
  return bindAll(client, {
    unsafe(query: string, params?: unknown[], options?: unknown) {
      const pending = (client.unsafe as Fn)(query, params, options) as PendingPostgresQuery;
      return tracedQuery(pending, query, inst, acquireTimeoutMs);
    },
    begin(...args: unknown[]) {
      const callback = args.pop() as Fn;
      return beginWithDeadline(
        (cb) => (client.begin as Fn)(...args, cb) as Promise<unknown>,
        wrapTx(callback),
        acquireTimeoutMs,
      );
    },
    savepoint(...args: unknown[]) {
      const callback = args.pop() as Fn;
      return (client as unknown as { savepoint: Fn }).savepoint(...args, wrapTx(callback));
    },
  });
}

interface PgliteLike {
  query: Fn;
  transaction: Fn;
}

/** PGlite: every `query()` runs in a span; transactions hand out wrapped clients too. */
function instrumentPglite<T extends object>(client: T, inst: DbInstruments): T {
  const target = client as unknown as PgliteLike;
  return bindAll(client, {
    query(query: string, ...rest: unknown[]) {
      return traced(inst, query, () => target.query(query, ...rest) as PromiseLike<unknown>);
    },
    transaction(callback: Fn) {
      return target.transaction((tx: object) => callback(instrumentPglite(tx, inst)));
    },
  });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new DbError('DB_INVALID_OPTIONS', `${name} must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * Creates a drizzle client: over postgres.js when `url` is given, otherwise over embedded PGlite
 * (in memory, or persisted in `dataDir`). No connection is opened until the first query. Every
 * query gets an OpenTelemetry client span and a `db.client.operation.duration` sample, and
 * connection failures surface as `DbError` with code `DB_UNAVAILABLE`.
 *
 * @throws {DbError} `DB_INVALID_OPTIONS` when the URL or a limit is invalid
 * @example
 * const { db, ping, migrate, close } = createDb({ schema, url: config.DATABASE_URL });
 * await migrate(new URL('../drizzle', import.meta.url).pathname);
 */
export function createDb<TSchema extends Record<string, unknown>>(
  options: CreateDbOptions<TSchema>,
): DbHandle<TSchema> {
  const {
    schema,
    url,
    dataDir,
    poolMax = 10,
    connectTimeoutMs = 5_000,
    idleTimeoutMs = 30_000,
    acquireTimeoutMs = 2_000,
    statementTimeoutMs = 5_000,
    maxReconnectDelayMs = 250,
    pgliteSharedBuffersMb = 16,
    tracerProvider,
    meterProvider,
  } = options;
  positive('poolMax', poolMax);
  positive('connectTimeoutMs', connectTimeoutMs);
  positive('idleTimeoutMs', idleTimeoutMs);
  positive('acquireTimeoutMs', acquireTimeoutMs);
  positive('maxReconnectDelayMs', maxReconnectDelayMs);
  if (!Number.isInteger(pgliteSharedBuffersMb) || pgliteSharedBuffersMb < 1) {
    throw new DbError(
      'DB_INVALID_OPTIONS',
      `pgliteSharedBuffersMb must be a whole number of MB from 1, got ${pgliteSharedBuffersMb}`,
    );
  }
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
    throw new DbError(
      'DB_INVALID_OPTIONS',
      `statementTimeoutMs must be a whole number of milliseconds (0 for none), got ${statementTimeoutMs}`,
    );
  }

  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new DbError('DB_INVALID_OPTIONS', 'url is not a valid URL', { cause });
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new DbError('DB_INVALID_OPTIONS', `url must use postgres://, got ${parsed.protocol}//`);
    }
    const inst = createInstruments(
      tracerProvider,
      meterProvider,
      parsed.pathname.slice(1) || 'postgres',
    );
    const client = postgres(url, {
      max: poolMax,
      connect_timeout: Math.ceil(connectTimeoutMs / 1000),
      idle_timeout: Math.ceil(idleTimeoutMs / 1000),
      // postgres.js backs off up to 20 s by default: the pool would stay away long after the database is back.
      backoff: (retries: number) =>
        (Math.min(50 * 2 ** retries, maxReconnectDelayMs) * (0.5 + Math.random() / 2)) / 1000,
      ...(statementTimeoutMs > 0 ? { connection: { statement_timeout: statementTimeoutMs } } : {}),
      onnotice: () => {},
    });
    const db = drizzlePostgres({
      client: instrumentPostgres(client, inst, acquireTimeoutMs),
      schema,
    });
    return {
      db: db as unknown as Database<TSchema>,
      driver: 'postgres',
      async ping({ signal } = {}) {
        signal?.throwIfAborted();
        const query = client`select 1` as unknown as PendingPostgresQuery;
        const cancel = () => query.cancel();
        signal?.addEventListener('abort', cancel, { once: true });
        try {
          await withAcquireDeadline(query, acquireTimeoutMs);
        } catch (err) {
          throw signal?.aborted ? unavailable('The ping was aborted.') : toDbError(err);
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      },
      async migrate(migrationsFolder) {
        try {
          await migratePostgres(db, { migrationsFolder });
        } catch (cause) {
          throw toDbError(cause) instanceof DbError
            ? toDbError(cause)
            : new DbError('DB_MIGRATION_FAILED', 'migrations failed', { cause });
        }
      },
      close: (timeoutMs = 5_000) => client.end({ timeout: timeoutMs / 1000 }),
    };
  }

  const inst = createInstruments(tracerProvider, meterProvider, 'pglite');
  const client = new PGlite({
    ...(dataDir === undefined ? {} : { dataDir }),
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${pgliteSharedBuffersMb}MB`],
  });
  const db = drizzlePglite({ client: instrumentPglite(client, inst), schema });
  return {
    db: db as unknown as Database<TSchema>,
    driver: 'pglite',
    async ping({ signal } = {}) {
      signal?.throwIfAborted();
      await db.execute(sql`select 1`);
    },
    async migrate(migrationsFolder) {
      try {
        await migratePglite(db, { migrationsFolder });
      } catch (cause) {
        throw new DbError('DB_MIGRATION_FAILED', 'migrations failed', { cause });
      }
    },
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}
