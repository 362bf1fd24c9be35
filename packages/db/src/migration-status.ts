import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from './create-db.js';
import { DbError, toDbError } from './errors.js';

/** Where the database stands against the checked-in drizzle-kit migrations. */
export interface MigrationStatus {
  /** Journal entries in the migrations folder. */
  readonly expected: number;
  /** Journal entries the database has applied (a newer database counts every entry as applied). */
  readonly applied: number;
  /** Tags of the checked-in migrations not applied yet, oldest first. */
  readonly pending: readonly string[];
}

interface JournalEntry {
  readonly when: number;
  readonly tag: string;
}

async function readJournal(migrationsFolder: string): Promise<JournalEntry[]> {
  const file = join(migrationsFolder, 'meta', '_journal.json');
  let journal: { entries?: JournalEntry[] };
  try {
    journal = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new DbError('DB_INVALID_OPTIONS', `cannot read the migrations journal ${file}`, {
      cause,
    });
  }
  return [...(journal.entries ?? [])].sort((a, b) => a.when - b.when);
}

// drizzle's migrator records each applied migration in drizzle.__drizzle_migrations with
// created_at = the journal entry's `when`, and applies the entries newer than the latest row.
const LATEST_APPLIED = sql`select max(created_at) as latest from "drizzle"."__drizzle_migrations"`;
// undefined_table, invalid_schema_name: nothing was ever migrated.
const NOT_MIGRATED = new Set(['42P01', '3F000']);

function sqlState(err: unknown): string | undefined {
  for (let current = err, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

async function latestApplied(db: Database<Record<string, unknown>>): Promise<number | undefined> {
  try {
    const result = (await db.execute(LATEST_APPLIED)) as unknown;
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{
      latest: string | number | null;
    }>;
    const latest = rows[0]?.latest;
    return latest === null || latest === undefined ? undefined : Number(latest);
  } catch (err) {
    if (NOT_MIGRATED.has(sqlState(err) ?? '')) return undefined;
    throw toDbError(err);
  }
}

/**
 * Compares the migrations the database has applied (drizzle's `drizzle.__drizzle_migrations`)
 * with the journal in `migrationsFolder`, as drizzle's migrator would: an entry is pending when
 * it is newer than the latest applied one.
 *
 * @throws {DbError} `DB_UNAVAILABLE` when the database is unreachable, `DB_INVALID_OPTIONS` when
 *   the journal cannot be read
 * @example
 * const { pending } = await migrationStatus(handle.db, MIGRATIONS_FOLDER);
 */
export async function migrationStatus(
  // biome-ignore lint/suspicious/noExplicitAny: any drizzle schema
  db: Database<any>,
  migrationsFolder: string,
): Promise<MigrationStatus> {
  const [entries, latest] = await Promise.all([readJournal(migrationsFolder), latestApplied(db)]);
  const pending = entries.filter((e) => latest === undefined || e.when > latest).map((e) => e.tag);
  return { expected: entries.length, applied: entries.length - pending.length, pending };
}

/**
 * A readiness check that fails while the database's schema is behind the checked-in migrations,
 * so an instance never takes traffic it would answer with "relation does not exist".
 *
 * @throws {DbError} `DB_SCHEMA_BEHIND` naming the pending migrations (rejects; never at creation)
 * @example
 * health({ checks: { migrations: schemaReadiness(handle.db, MIGRATIONS_FOLDER) } });
 */
export function schemaReadiness(
  // biome-ignore lint/suspicious/noExplicitAny: any drizzle schema
  db: Database<any>,
  migrationsFolder: string,
): () => Promise<MigrationStatus> {
  return async function migrationsApplied() {
    const status = await migrationStatus(db, migrationsFolder);
    if (status.pending.length > 0) {
      throw new DbError(
        'DB_SCHEMA_BEHIND',
        `schema is behind: ${status.applied} of ${status.expected} migrations applied, pending ${status.pending.join(', ')}; run the migrations`,
      );
    }
    return status;
  };
}
