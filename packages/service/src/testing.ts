import { createDb, type DbHandle } from '@micro-app/db';
import { createTestDatabase } from '@micro-app/db/testing';
import { createFlags, type FlagDefinitions, type FlagName, type Flags } from '@micro-app/flags';
import { memoryStore, type RateLimitStore } from '@micro-app/rate-limit';
import { createLifecycle, type Lifecycle, type ReadinessCheck } from '@micro-app/server';
import { createLogger, type Logger } from '@micro-app/telemetry';

type Schema = Record<string, unknown>;

/** What {@link createTestService} made, for the app to build itself from. */
export interface TestServiceParts<S extends Schema, R extends FlagDefinitions> {
  database: DbHandle<S>;
  flags: Flags<FlagName<R>>;
  lifecycle: Lifecycle;
  /** Writes JSON lines into `logs`. */
  logger: Logger;
  /** `database`: the database's ping. */
  readinessChecks: Record<string, ReadinessCheck>;
  /** A fresh in-memory store per call. */
  rateLimitStore: () => RateLimitStore;
}

export interface TestServiceOptions<S extends Schema, R extends FlagDefinitions, A> {
  schema: S;
  migrationsFolder: string;
  flagRegistry: R;
  /** Bootstrap flags file, re-read every 50 ms; default: every flag at its declared default. */
  flagsFile?: string | undefined;
  /**
   * A PostgreSQL server URL: the service gets a fresh database there, dropped on `close()`.
   * Default: PGlite in memory.
   */
  databaseUrl?: string | undefined;
  build: (parts: TestServiceParts<S, R>) => A;
}

/**
 * A service wired as in production but on test parts: its own migrated database, file or
 * default flags, in-memory rate limits, and a logger whose lines land in `logs`.
 */
export async function createTestService<S extends Schema, const R extends FlagDefinitions, A>(
  options: TestServiceOptions<S, R, A>,
) {
  const testDb = await createTestDatabase(options.databaseUrl);
  const database = createDb({ schema: options.schema, url: testDb.url });
  await database.migrate(options.migrationsFolder);
  const flags = createFlags(
    options.flagRegistry,
    options.flagsFile ? { file: options.flagsFile, watchIntervalMs: 50 } : {},
  );
  await flags.ready();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
  });
  const app = options.build({
    database,
    flags,
    lifecycle: createLifecycle(),
    logger,
    readinessChecks: { database: (signal) => database.ping({ signal }) },
    rateLimitStore: () => memoryStore(),
  });
  return {
    app,
    database,
    db: database.db,
    flags,
    logs,
    async close() {
      await flags.close();
      await database.close();
      await testDb.drop();
    },
  };
}
