import { fileURLToPath } from 'node:url';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type PendingPostgresQuery, tracedQuery } from './create-db.js';
import { DbError } from './errors.js';
import * as schema from './fixtures/schema.js';
import { createInstruments } from './instrument.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

// The traced postgres.js query forwards every member it does not wrap. First on a stand-in that
// records each call, then on a real server through every kind of call drizzle makes.

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const serverUrl = process.env.DATABASE_URL;

function spans() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    exporter,
    tracerProvider,
    instruments: createInstruments(tracerProvider, undefined, 'test'),
  };
}

/** A stand-in postgres.js query: its builder methods return itself, like the real one. */
function standIn(answer: () => Promise<unknown>) {
  const calls: string[] = [];
  const query = {
    state: null,
    strings: ['select 1'],
    cancel() {
      calls.push('cancel');
    },
    values() {
      calls.push('values');
      return query;
    },
    raw() {
      calls.push('raw');
      return query;
    },
    describe() {
      calls.push('describe');
      return query;
    },
    cursor(rows: number) {
      calls.push(`cursor ${rows}`);
      return 'a cursor';
    },
    // biome-ignore lint/suspicious/noThenProperty: a stand-in for a thenable query
    then(ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) {
      calls.push('then');
      return answer().then(ok, fail);
    },
  };
  return { calls, query: query as unknown as PendingPostgresQuery & typeof query };
}

describe('tracedQuery', () => {
  it('traces the awaited query once, after its builder methods, and returns itself from them', async () => {
    const { exporter, instruments } = spans();
    const { calls, query } = standIn(async () => [['1']]);
    const traced = tracedQuery(query, 'select 1', instruments, 1_000) as typeof query;
    expect(traced.values()).toBe(traced);
    expect(await traced.raw()).toEqual([['1']]);
    expect(await traced).toEqual([['1']]);
    expect(calls).toEqual(['values', 'raw', 'then']);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['SELECT test']);
  });

  it('forwards members it does not wrap, methods and properties alike', () => {
    const { instruments } = spans();
    const { calls, query } = standIn(async () => []);
    const traced = tracedQuery(query, 'select 1', instruments, 1_000) as typeof query;
    expect(traced.cursor(5)).toBe('a cursor');
    expect(traced.strings).toEqual(['select 1']);
    expect(traced.state).toBeNull();
    expect(calls).toEqual(['cursor 5']);
  });

  it('maps a failure to DbError through then, catch and finally', async () => {
    const { instruments } = spans();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { query } = standIn(() => Promise.reject(refused));
    const traced = tracedQuery(query, 'select 1', instruments, 1_000);
    const caught = await (traced as unknown as Promise<unknown>).catch((err: unknown) => err);
    expect(caught).toBeInstanceOf(DbError);
    expect((caught as DbError).code).toBe('DB_UNAVAILABLE');
    let finished = false;
    await expect(
      (traced as unknown as Promise<unknown>).finally(() => {
        finished = true;
      }),
    ).rejects.toBeInstanceOf(DbError);
    expect(finished).toBe(true);
  });
});

describe.skipIf(!serverUrl)('every call drizzle makes, on PostgreSQL', () => {
  let testDb: TestDatabase;
  const { exporter, tracerProvider } = spans();
  let handle: ReturnType<typeof createDb<typeof schema>>;
  beforeAll(async () => {
    testDb = await createTestDatabase(serverUrl);
    handle = createDb({ schema, url: testDb.url, tracerProvider });
    await handle.migrate(migrations);
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  it('insert returning, select (values), update, delete, execute, transactions and savepoints: each works, queries have spans', async () => {
    exporter.reset();
    const { db } = handle;
    const [row] = await db.insert(schema.notes).values({ body: 'a' }).returning();
    expect(row?.body).toBe('a');
    expect((await db.select().from(schema.notes)).map((r) => r.body)).toEqual(['a']);
    await db
      .update(schema.notes)
      .set({ body: 'b' })
      .where(eq(schema.notes.id, row?.id ?? 0));
    const executed = await db.execute(sql`select count(*)::int as n from notes`);
    expect(JSON.stringify(executed)).toContain('"n":1');
    await db.transaction(async (tx) => {
      await tx.insert(schema.notes).values({ body: 'c' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(schema.notes).values({ body: 'rolled back' });
          throw new Error('inner abort');
        }),
      ).rejects.toThrow('inner abort');
    });
    expect((await db.select().from(schema.notes)).map((r) => r.body).sort()).toEqual(['b', 'c']);
    await db.delete(schema.notes);
    const names = exporter.getFinishedSpans().map((s) => s.name.split(' ')[0]);
    // Savepoints are postgres.js's own statements (not unsafe()): the rollback above shows they work.
    for (const operation of ['INSERT', 'SELECT', 'UPDATE', 'DELETE']) {
      expect(names, operation).toContain(operation);
    }
  });

  it('forwards postgres.js members drizzle does not use today (raw, describe)', async () => {
    const client = (handle.db as unknown as { $client: unknown }).$client as {
      unsafe(q: string): PendingPostgresQuery & {
        raw(): PromiseLike<unknown[]>;
        describe(): PromiseLike<{ columns: Array<{ name: string }> }>;
      };
    };
    const raw = (await client.unsafe('select 1 as one').raw()) as unknown[][];
    expect(raw).toHaveLength(1);
    const described = await client.unsafe('select 1 as one').describe();
    expect(described.columns.map((c) => c.name)).toEqual(['one']);
  });
});
