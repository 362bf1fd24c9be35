import postgres from 'postgres';

export interface TestDatabase {
  /** URL of the new, empty database; `undefined` when running on PGlite. */
  url: string | undefined;
  /** Drops the database (no-op on PGlite). */
  drop(): Promise<void>;
}

/**
 * Gives a test its own empty database: with `serverUrl` (e.g. the CI's `DATABASE_URL`) it creates
 * a uniquely named database on that server; without it the test uses in-memory PGlite.
 *
 * @example
 * const testDb = await createTestDatabase(process.env.DATABASE_URL);
 * const handle = createDb({ schema, url: testDb.url });
 * afterAll(() => handle.close().then(testDb.drop));
 */
export async function createTestDatabase(serverUrl: string | undefined): Promise<TestDatabase> {
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
