import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { sql } from 'drizzle-orm';
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

  it('runs PGlite with a 16 MB page cache unless told otherwise', async () => {
    const small = createDb({ schema });
    const larger = createDb({ schema, pgliteSharedBuffersMb: 32 });
    try {
      const show = async (handle: typeof small) =>
        ((await handle.db.execute(sql`show shared_buffers`)) as unknown as { rows: unknown[] })
          .rows[0];
      expect(await show(small)).toEqual({ shared_buffers: '16MB' });
      expect(await show(larger)).toEqual({ shared_buffers: '32MB' });
    } finally {
      await Promise.all([small.close(), larger.close()]);
    }
  });

  it('rejects a page cache that is not a whole number of MB with DB_INVALID_OPTIONS', () => {
    for (const bad of [0, 1.5, -16]) {
      expect(() => createDb({ schema, pgliteSharedBuffersMb: bad })).toThrow(
        expect.objectContaining({ code: 'DB_INVALID_OPTIONS' }),
      );
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

/** The DbError in `err`'s cause chain (drizzle wraps driver errors in its own query error). */
function dbErrorIn(err: unknown): DbError | undefined {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if (e instanceof DbError) return e;
  return undefined;
}

/** A TCP server that accepts connections and never answers: a database that hangs. */
async function blackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/hung`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('deadlines', () => {
  let hole: Awaited<ReturnType<typeof blackhole>>;
  let handle: ReturnType<typeof createDb<typeof schema>>;
  beforeAll(async () => {
    hole = await blackhole();
    handle = createDb({
      schema,
      url: hole.url,
      connectTimeoutMs: 30_000,
      acquireTimeoutMs: 200,
    });
  });
  afterAll(async () => {
    await handle.close(0);
    await hole.close();
  });

  it('fails a query that gets no connection within acquireTimeoutMs as DB_UNAVAILABLE', async () => {
    // The connection attempt would hang for 30 s; the acquire deadline ends the wait first.
    const err = await handle.db
      .select()
      .from(schema.notes)
      .catch((e: unknown) => e);
    expect(dbErrorIn(err)?.code).toBe('DB_UNAVAILABLE');
    expect(dbErrorIn(err)?.message).toBe('No database connection within 200 ms.');
  });

  it('abandons a transaction that gets no connection in time: its callback never runs', async () => {
    let ran = false;
    const err = await handle.db
      .transaction(async (tx) => {
        ran = true;
        await tx.select().from(schema.notes);
      })
      .catch((e: unknown) => e);
    expect(dbErrorIn(err)?.code).toBe('DB_UNAVAILABLE');
    expect(ran).toBe(false);
  });

  it('stops a ping when its signal aborts', async () => {
    const slow = createDb({
      schema,
      url: hole.url,
      connectTimeoutMs: 30_000,
      acquireTimeoutMs: 30_000,
    });
    try {
      const err = await slow.ping({ signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).code).toBe('DB_UNAVAILABLE');
      expect((err as DbError).message).toBe('The ping was aborted.');
    } finally {
      await slow.close(0);
    }
  });
});

describe.runIf(serverUrl)('statement timeout on PostgreSQL', () => {
  it('cancels a statement running past statementTimeoutMs as DB_UNAVAILABLE', async () => {
    const handle = createDb({ schema, url: serverUrl, statementTimeoutMs: 100 });
    try {
      const err = await handle.db.execute(sql`select pg_sleep(5)`).catch((e: unknown) => e);
      expect(dbErrorIn(err)?.code).toBe('DB_UNAVAILABLE');
      expect(isConnectionError(err)).toBe(true);
      // The connection is still usable afterwards.
      await expect(handle.ping()).resolves.toBeUndefined();
    } finally {
      await handle.close(0);
    }
  });
});

describe('options', () => {
  it('rejects a non-postgres URL at once', () => {
    expect(() => createDb({ schema, url: 'mysql://localhost/x' })).toThrow(/postgres:\/\//);
  });
  it('rejects a non-positive pool size', () => {
    expect(() => createDb({ schema, poolMax: 0 })).toThrow(DbError);
  });
  it('rejects a non-positive acquire timeout and a negative statement timeout', () => {
    expect(() => createDb({ schema, acquireTimeoutMs: 0 })).toThrow(/acquireTimeoutMs/);
    expect(() => createDb({ schema, statementTimeoutMs: -1 })).toThrow(/statementTimeoutMs/);
  });
});
