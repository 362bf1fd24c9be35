import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './create-db.js';
import { DbError } from './errors.js';
import * as schema from './fixtures/schema.js';
import { migrationStatus, schemaReadiness } from './migration-status.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const serverUrl = process.env.DATABASE_URL;

/** A copy of the fixture migrations with one more, newer migration checked in. */
async function folderWithNewerMigration(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'db-migrations-'));
  await cp(migrations, dir, { recursive: true });
  const journalFile = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8'));
  const last = journal.entries.at(-1);
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag: '0001_more' });
  await writeFile(journalFile, JSON.stringify(journal));
  await writeFile(join(dir, '0001_more.sql'), 'create table "more" ("id" integer primary key);');
  return dir;
}

describe(`migration status on ${serverUrl ? 'PostgreSQL' : 'PGlite'}`, () => {
  let testDb: TestDatabase;
  let handle: ReturnType<typeof createDb<typeof schema>>;
  let newer: string;

  beforeAll(async () => {
    testDb = await createTestDatabase(serverUrl);
    handle = createDb({ schema, url: testDb.url });
    newer = await folderWithNewerMigration();
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
    if (newer) await rm(newer, { recursive: true, force: true });
  });

  // The tests run in order: an empty database, then migrated, then one migration behind.
  it('reports every migration pending on a database that was never migrated', async () => {
    expect(await migrationStatus(handle.db, migrations)).toEqual({
      expected: 1,
      applied: 0,
      pending: ['0000_notes'],
    });
  });

  it('fails the readiness check with DB_SCHEMA_BEHIND naming the pending migration', async () => {
    const check = schemaReadiness(handle.db, migrations);
    const err = await check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ code: 'DB_SCHEMA_BEHIND' });
    expect((err as Error).message).toBe(
      'schema is behind: 0 of 1 migrations applied, pending 0000_notes; run the migrations',
    );
  });

  it('passes once the migrations are applied', async () => {
    await handle.migrate(migrations);
    expect(await migrationStatus(handle.db, migrations)).toEqual({
      expected: 1,
      applied: 1,
      pending: [],
    });
    await expect(schemaReadiness(handle.db, migrations)()).resolves.toMatchObject({
      pending: [],
    });
  });

  it('reports a newly checked-in migration as pending until it is applied', async () => {
    expect(await migrationStatus(handle.db, newer)).toEqual({
      expected: 2,
      applied: 1,
      pending: ['0001_more'],
    });
    await expect(schemaReadiness(handle.db, newer)()).rejects.toThrow(/pending 0001_more/);
    await handle.migrate(newer);
    await expect(schemaReadiness(handle.db, newer)()).resolves.toMatchObject({ applied: 2 });
  });

  it('counts a database ahead of the checked-in journal as current (old code, newer schema)', async () => {
    expect(await migrationStatus(handle.db, migrations)).toEqual({
      expected: 1,
      applied: 1,
      pending: [],
    });
  });
});

describe('migration status errors', () => {
  it('rejects with DB_UNAVAILABLE when the database is unreachable', async () => {
    const handle = createDb({
      schema,
      url: 'postgres://nobody@127.0.0.1:1/none',
      connectTimeoutMs: 500,
    });
    try {
      const err = await migrationStatus(handle.db, migrations).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DB_UNAVAILABLE' });
    } finally {
      await handle.close();
    }
  });

  it('rejects with DB_INVALID_OPTIONS when the folder holds no journal', async () => {
    const handle = createDb({ schema });
    try {
      const err = await migrationStatus(handle.db, join(migrations, 'missing')).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'DB_INVALID_OPTIONS' });
      expect((err as Error).message).toMatch(/_journal\.json/);
    } finally {
      await handle.close();
    }
  });
});
