import { createDb } from '@micro-app/db';
import { createTestDatabase } from '@micro-app/db/testing';
import { createRedisClient, redisStore } from '@micro-app/rate-limit';
import { afterAll, describe, expect, it } from 'vitest';
import * as schema from '../db/schema.js';
import { MIGRATIONS_FOLDER } from '../runtime.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../test/harness.js';
import { startBlackhole, startTcpProxy } from './tcp.js';

const PROBLEM = 'application/problem+json';
// Port 9 (discard) has nothing listening on loopback: connections are refused at once.
const DEAD_PG = 'postgres://postgres@127.0.0.1:9/where2eat';
const DEAD_REDIS = 'redis://127.0.0.1:9';

function deadDatabase() {
  return createDb({ schema, url: DEAD_PG, connectTimeoutMs: 1_000, poolMax: 2 });
}

describe('PostgreSQL unreachable', () => {
  const database = deadDatabase();
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
    await database.close(100);
  });

  it('reports not ready naming the database and answers the API with 503, without crashing', async () => {
    t = await createTestApp({
      deps: { db: database.db, readinessChecks: { database: () => database.ping() } },
    });
    const ready = await t.request('/health/ready', {}, null);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await readJson(ready))).toContain('database');

    // 503 (not the request timeout's 504): the refusal is answered at once, not waited out.
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'Lunch' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await readJson(res);
    expect(body.type).toBe('urn:problem-type:dependency-unavailable');
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);

    // The process is still serving: liveness and routes without the database still answer.
    expect((await t.request('/health/live', {}, null)).status).toBe(200);
    const cuisines = await t.request('/v1/cuisines');
    expect(cuisines.status).toBe(200);
    expect((await readJson(cuisines)).items.length).toBeGreaterThan(0);
  });
});

// A PostgreSQL we can take away and bring back: a TCP proxy in front of the real server.
// Only the server DATABASE_URL names: a PostgreSQL that merely listens locally is not ours.
const PG_URL = process.env.DATABASE_URL ?? '';
const pgReachable = PG_URL !== '';
const pgTarget = new URL(PG_URL || 'postgres://unset');
const pgHost = pgTarget.hostname;
const pgPort = Number(pgTarget.port || 5432);
if (!pgReachable) {
  console.warn('[resilience] skipping the PostgreSQL recovery test: DATABASE_URL is unset');
}

describe.runIf(pgReachable)('PostgreSQL outage and recovery without restart', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('answers 503 while the database is gone and 2xx again once it is back', async () => {
    const testDb = await createTestDatabase(PG_URL);
    cleanup.push(() => testDb.drop());
    const proxy = await startTcpProxy({ host: pgHost, port: pgPort });
    cleanup.push(() => proxy.close());
    if (!testDb.url) throw new Error('createTestDatabase(url) returned no url');
    const viaProxy = new URL(testDb.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const database = createDb({ schema, url: viaProxy.toString(), connectTimeoutMs: 1_000 });
    cleanup.push(() => database.close(100));
    await database.migrate(MIGRATIONS_FOLDER);
    const t = await createTestApp({
      deps: { db: database.db, readinessChecks: { database: () => database.ping() } },
    });
    cleanup.push(() => t.close());

    const before = await t.request('/v1/groups', jsonRequest('POST', { name: 'Before' }));
    expect(before.status).toBe(201);
    expect((await t.request('/health/ready', {}, null)).status).toBe(200);

    await proxy.cut();
    const during = await t.request('/v1/groups', jsonRequest('POST', { name: 'During' }));
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toBe(PROBLEM);
    expect((await readJson(during)).type).toBe('urn:problem-type:dependency-unavailable');
    const notReady = await t.request('/health/ready', {}, null);
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(await readJson(notReady))).toContain('database');

    await proxy.restore();
    // The pool reconnects by itself; allow a few attempts while it does.
    let after: Response | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      after = await t.request('/v1/groups', jsonRequest('POST', { name: 'After' }));
      if (after.status === 201) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after?.status).toBe(201);
    expect((await t.request('/health/ready', {}, null)).status).toBe(200);
    const list = await readJson(await t.request('/v1/groups?limit=50'));
    const names = list.items.map((g: { name: string }) => g.name);
    expect(names).toContain('Before');
    expect(names).toContain('After');
    expect(names).not.toContain('During');
  });
});

describe('Redis unreachable', () => {
  const clients: Array<ReturnType<typeof createRedisClient>> = [];
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const c of clients) c.disconnect();
  });

  async function appWithDeadRedis(failOpen: boolean) {
    const client = createRedisClient(DEAD_REDIS, { lazyConnect: false });
    client.on('error', () => {});
    clients.push(client);
    const t = await createTestApp({
      rateLimits: { store: redisStore({ client }), failOpen, storeTimeoutMs: 200 },
    });
    apps.push(t);
    return t;
  }

  it('fails open: requests pass, quickly', async () => {
    const t = await appWithDeadRedis(true);
    // 200/201, not the request timeout's 504: the store's 200 ms timeout let them through.
    const res = await t.request('/v1/cuisines');
    expect(res.status).toBe(200);
    expect((await readJson(res)).items.length).toBeGreaterThan(0);
    const created = await t.request('/v1/groups', jsonRequest('POST', { name: 'Open' }));
    expect(created.status).toBe(201);
  });

  it('fails closed: 503 problem+json, quickly, and nothing is written', async () => {
    const t = await appWithDeadRedis(false);
    // 503, not the request timeout's 504: the store's failure is answered at once.
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'Closed' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    const body = await readJson(res);
    expect(body.status).toBe(503);
    expect(body.type).toMatch(/^urn:problem-type:/);
    const list = await t.request('/v1/groups');
    expect(list.status).toBe(503);
    const direct = await t.db.query.groups.findMany();
    expect(direct).toEqual([]);
  });
});

describe('slow dependency', () => {
  let hole: Awaited<ReturnType<typeof startBlackhole>>;
  let t: TestApp;
  let database: ReturnType<typeof createDb<typeof schema>>;
  afterAll(async () => {
    await t?.close();
    await database?.close(100);
    await hole?.close();
  });

  it('answers 504 problem+json at the request timeout while the event loop stays responsive', async () => {
    hole = await startBlackhole();
    database = createDb({
      schema,
      url: `postgres://postgres@127.0.0.1:${hole.port}/hung`,
      connectTimeoutMs: 10_000,
      // Past the request timeout: this test is about the request timeout, not the pool's deadline.
      acquireTimeoutMs: 10_000,
    });
    t = await createTestApp({
      deps: {
        db: database.db,
        readinessChecks: { database: () => database.ping() },
        // Long enough that liveness surely answers while the request still hangs.
        requestTimeoutMs: 2_000,
      },
    });
    const started = Date.now();
    let slowSettled = false;
    const slow = Promise.resolve(
      t.request('/v1/groups', jsonRequest('POST', { name: 'Slow' })),
    ).finally(() => {
      slowSettled = true;
    });
    // While the request hangs on the database, liveness answers: the event loop is free.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const live = await t.request('/health/live', {}, null);
    expect(live.status).toBe(200);
    expect(slowSettled).toBe(false);

    const res = await slow;
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    const body = await readJson(res);
    expect(body.status).toBe(504);
    expect(body.type).toMatch(/^urn:problem-type:/);
    // Not before the timeout; the 504 (not the driver's own error) says the timeout ended it.
    expect(elapsed).toBeGreaterThanOrEqual(1_990);
  });
});
