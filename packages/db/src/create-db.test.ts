import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './create-db.js';
import { DbError, isConnectionError } from './errors.js';
import * as schema from './fixtures/schema.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const serverUrl = process.env.DATABASE_URL;

describe(`createDb on ${serverUrl ? 'PostgreSQL' : 'PGlite'}`, () => {
  let testDb: TestDatabase;
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  let handle: ReturnType<typeof createDb<typeof schema>>;

  beforeAll(async () => {
    testDb = await createTestDatabase(serverUrl);
    handle = createDb({ schema, url: testDb.url, tracerProvider });
    await handle.migrate(migrations);
  });
  afterAll(async () => {
    await handle.close();
    await testDb.drop();
  });

  it('picks the driver from the URL', () => {
    expect(handle.driver).toBe(serverUrl ? 'postgres' : 'pglite');
  });

  it('migrates, writes and reads through drizzle', async () => {
    await handle.db.insert(schema.notes).values([{ body: 'first' }, { body: 'second' }]);
    const rows = await handle.db.select().from(schema.notes).orderBy(schema.notes.id);
    expect(rows.map((r) => r.body)).toEqual(['first', 'second']);
  });

  it('runs migrations once: a second migrate changes nothing', async () => {
    await handle.migrate(migrations);
    const rows = await handle.db.select().from(schema.notes);
    expect(rows).toHaveLength(2);
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.insert(schema.notes).values({ body: 'doomed' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const rows = await handle.db.select().from(schema.notes);
    expect(rows.map((r) => r.body)).not.toContain('doomed');
  });

  it('records a client span per query, including inside transactions', async () => {
    exporter.reset();
    await handle.db.transaction(async (tx) => {
      await tx.select().from(schema.notes);
    });
    const selects = exporter.getFinishedSpans().filter((s) => s.name.startsWith('SELECT'));
    expect(selects).toHaveLength(1);
    expect(selects[0]?.attributes['db.system.name']).toBe('postgresql');
    expect(selects[0]?.attributes['db.query.text']).toContain('from "notes"');
  });

  it('answers ping', async () => {
    await expect(handle.ping()).resolves.toBeUndefined();
  });
});

describe('PGlite data folder', () => {
  it('keeps data across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'db-test-'));
    try {
      const first = createDb({ schema, dataDir });
      await first.migrate(migrations);
      await first.db.insert(schema.notes).values({ body: 'kept' });
      await first.close();
      const second = createDb({ schema, dataDir });
      const rows = await second.db.select().from(schema.notes);
      expect(rows.map((r) => r.body)).toEqual(['kept']);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('unreachable database', () => {
  // Port 9 (discard) has nothing listening on loopback: connections are refused at once.
  const handle = createDb({
    schema,
    url: 'postgres://postgres@127.0.0.1:9/none',
    connectTimeoutMs: 1_000,
  });
  afterAll(() => handle.close(0));

  it('fails ping with DbError DB_UNAVAILABLE', async () => {
    const err = await handle.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('DB_UNAVAILABLE');
  });

  it('fails queries with an error whose cause chain is a connection error', async () => {
    const err = await handle.db
      .select()
      .from(schema.notes)
      .catch((e: unknown) => e);
    expect(isConnectionError(err)).toBe(true);
  });
});

describe('options', () => {
  it('rejects a non-postgres URL at once', () => {
    expect(() => createDb({ schema, url: 'mysql://localhost/x' })).toThrow(/postgres:\/\//);
  });
  it('rejects a non-positive pool size', () => {
    expect(() => createDb({ schema, poolMax: 0 })).toThrow(DbError);
  });
});
