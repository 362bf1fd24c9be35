import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, idempotencyKeys } from '../db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../test/harness.js';
import { pruneIdempotencyKeys } from './idempotency.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scope = 'acme/alice';

async function keyRow(t: TestApp, key: string) {
  const [row] = await t.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  return row;
}

/** Ages a key as if it had been claimed `hours` ago. */
async function age(t: TestApp, key: string, hours: number) {
  await t.db
    .update(idempotencyKeys)
    .set({ createdAt: sql`now() - make_interval(hours => ${hours})` })
    .where(eq(idempotencyKeys.key, key));
}

const post = (t: TestApp, key: string, name: string) =>
  t.request('/v1/groups', jsonRequest('POST', { name }, { 'Idempotency-Key': key }));

describe('a duplicate while the first request runs', () => {
  let t: TestApp;
  // Every /v1 handler is slowed by 1.5 s, after the key is claimed.
  beforeAll(async () => {
    t = await createTestApp({ deps: { faultInjection: { latencyMs: 1_500 } } });
  });
  afterAll(() => t.close());

  it('gets 409 at once, not a wait; a retry after the first completes replays it', async () => {
    let firstDone = false;
    const first = Promise.resolve(post(t, 'slow-1', 'Slow')).finally(() => {
      firstDone = true;
    });
    // The claim is committed before the handler runs: another instance can see it.
    for (let i = 0; i < 100 && !(await keyRow(t, 'slow-1')); i++) await sleep(20);
    expect(await keyRow(t, 'slow-1')).toMatchObject({ status: null });

    const duplicate = await post(t, 'slow-1', 'Slow');
    expect(firstDone).toBe(false);
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('retry-after')).toBe('1');
    expect((await readJson(duplicate)).type).toBe('urn:problem-type:idempotency-key-in-progress');

    const created = await first;
    expect(created.status).toBe(201);
    const replay = await post(t, 'slow-1', 'Slow');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await readJson(replay)).id).toBe((await readJson(created)).id);
  });
});

describe('idempotency and rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ rateLimits: { perUserPerMin: 2 } });
  });
  afterAll(() => t.close());

  it('answers replays before the rate limits charge them', async () => {
    expect((await post(t, 'charged-once', 'Once')).status).toBe(201); // 1 of 2
    for (let i = 0; i < 3; i++) {
      const replay = await post(t, 'charged-once', 'Once');
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect((await t.request('/v1/groups')).status).toBe(200); // 2 of 2
    const over = await t.request('/v1/groups');
    expect(over.status).toBe(429);
    // A new key is real work and is limited; its claim is released, so it can be retried later.
    expect((await post(t, 'limited', 'Limited')).status).toBe(429);
    expect(await keyRow(t, 'limited')).toBeUndefined();
  });
});

describe('expiry and pruning', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('frees a key after 24 h: the same key creates anew, even with another body', async () => {
    const first = await readJson(await post(t, 'day-old', 'Yesterday'));
    await age(t, 'day-old', 25);
    const again = await post(t, 'day-old', 'Today');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    const body = await readJson(again);
    expect(body.id).not.toBe(first.id);
    expect(body.name).toBe('Today');
  });

  it('lets a retry take over a claim abandoned mid-request, but not one still running', async () => {
    const hash = 'a'.repeat(64);
    await t.db.insert(idempotencyKeys).values([
      { scope, key: 'abandoned', requestHash: hash },
      { scope, key: 'running', requestHash: hash },
    ]);
    await age(t, 'abandoned', 1); // past the 60 s in-progress timeout
    // The abandoned claim is taken over and the request runs.
    const taken = await post(t, 'abandoned', 'Taken over');
    expect(taken.status).toBe(201);
    expect((await keyRow(t, 'abandoned'))?.status).toBe(201);
    // A claim of another request that is still running: this key is being used for something else.
    const running = await post(t, 'running', 'Mine');
    expect(running.status).toBe(422);
  });

  it('prunes expired keys in batches and keeps the rest', async () => {
    for (const key of ['old-1', 'old-2', 'old-3', 'fresh']) await post(t, key, key);
    for (const key of ['old-1', 'old-2', 'old-3']) await age(t, key, 25);
    // Exactly the three aged keys ('day-old' was claimed afresh by its re-use above).
    const deleted = await pruneIdempotencyKeys(t.db, { batchSize: 2 });
    expect(deleted).toBe(3);
    const left = (await t.db.select({ key: idempotencyKeys.key }).from(idempotencyKeys)).map(
      (r) => r.key,
    );
    expect(left).toContain('fresh');
    for (const key of ['old-1', 'old-2', 'old-3']) expect(left).not.toContain(key);
    // The groups themselves stay: only the replay records go.
    expect((await t.db.select().from(groups).where(eq(groups.name, 'old-1'))).length).toBe(1);
    expect(await pruneIdempotencyKeys(t.db)).toBe(0);
  });
});
