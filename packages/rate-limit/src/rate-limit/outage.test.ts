import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byUser } from '../keys/index.js';
import { createQuota } from '../quota/index.js';
import { quotaLimit } from '../quota/middleware.js';
import { STORE_ERRORS_METRIC } from '../store/guard.js';
import { redisStore } from '../store/index.js';
import { createRedisClient } from '../store/redis-client.js';
import { memoryLogger, principalFromHeaders } from '../test/app.js';
import { type Served, serveApp } from '../test/http.js';
import { metricsCollector } from '../test/metrics.js';
import { findOnPath, type OwnRedis, REDIS_REQUIRED, startRedisServer } from '../test/redis.js';
import type { StoreErrorEvent } from '../types.js';
import { rateLimit } from './index.js';

const binary = await findOnPath('redis-server');
if (!binary) {
  if (REDIS_REQUIRED) {
    throw new Error(
      'redis-server is not on PATH: the Redis outage tests need it (install redis-server, or unset REDIS_URL to skip them)',
    );
  }
  console.warn('[rate-limit] skipping Redis outage tests: redis-server is not on PATH');
}

const STORE_TIMEOUT_MS = 100;
/**
 * A hung Redis never answers (the paused server holds every command), so without the store
 * timeout these requests would wait out the test. The bound only tells "answered after the
 * store timeout" from "hung"; it is wide so a busy machine cannot flip the verdict.
 */
const MARGIN_MS = 10_000;

describe.skipIf(!binary)('a Redis outage (own redis-server, paused then killed)', () => {
  let redis: OwnRedis;
  const clients: Redis[] = [];
  const servers: Served[] = [];
  const { meterProvider, points } = metricsCollector();

  interface Instance {
    url: string;
    calls: string[];
    logger: ReturnType<typeof memoryLogger>;
    events: StoreErrorEvent[];
  }
  let open: Instance;
  let closed: Instance;

  async function instance(failOpen: boolean): Promise<Instance> {
    const client = createRedisClient(redis.url);
    client.on('error', () => {});
    clients.push(client);
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    const store = redisStore({ client, prefix: 'outage:' });
    const logger = memoryLogger();
    const events: StoreErrorEvent[] = [];
    const calls: string[] = [];
    const common = {
      store,
      failOpen,
      storeTimeoutMs: STORE_TIMEOUT_MS,
      logger,
      meterProvider,
      onStoreError: (e: StoreErrorEvent) => events.push(e),
    };
    const app = new Hono();
    app.use(principalFromHeaders());
    app.use(
      rateLimit({
        ...common,
        policies: [{ name: 'per-user', limit: 1_000, windowMs: 60_000, key: byUser() }],
      }),
    );
    app.use(
      '/quota/*',
      quotaLimit(createQuota({ ...common, unit: 'requests', period: 'day', limit: () => 1_000 })),
    );
    app.get('/thing', (c) => {
      calls.push('thing');
      return c.json({ ok: true });
    });
    app.get('/quota/thing', (c) => {
      calls.push('quota');
      return c.json({ ok: true });
    });
    const served = await serveApp(app);
    servers.push(served);
    return { url: served.url, calls, logger, events };
  }

  async function timed(url: string) {
    const started = performance.now();
    const res = await fetch(url, { headers: { 'x-user': 'ann', 'x-tenant': 'acme' } });
    const body = (await res.json()) as Record<string, unknown>;
    return { res, body, ms: performance.now() - started };
  }

  const storeErrorPoints = () => points(STORE_ERRORS_METRIC);

  beforeAll(async () => {
    redis = await startRedisServer(binary as string);
    open = await instance(true);
    closed = await instance(false);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const client of clients) client.disconnect();
    await redis?.kill();
    await meterProvider.shutdown();
  });

  it('counts in Redis while it is up', async () => {
    for (const app of [open, closed]) {
      const { res, body } = await timed(`${app.url}/thing`);
      expect(res.status).toBe(200);
      expect(body).toEqual({ ok: true });
      expect(res.headers.get('RateLimit')).toMatch(/^"per-user";r=\d+;t=\d+$/);
      expect((await timed(`${app.url}/quota/thing`)).res.status).toBe(200);
    }
    expect(open.logger.warnings).toEqual([]);
    expect(await storeErrorPoints()).toEqual([]);
  });

  it('does not wait for a hung Redis: fail-open admits, fail-closed answers 503, both within the timeout', async () => {
    redis.pause();
    const openResults = [];
    const closedResults = [];
    for (let i = 0; i < 3; i++) {
      openResults.push(await timed(`${open.url}/thing`));
      closedResults.push(await timed(`${closed.url}/thing`));
    }
    for (const { res, body, ms } of openResults) {
      expect(res.status).toBe(200);
      expect(body).toEqual({ ok: true });
      expect(res.headers.get('RateLimit')).toBeNull();
      expect(ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    }
    for (const { res, body, ms } of closedResults) {
      expect(res.status).toBe(503);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      expect(res.headers.get('Retry-After')).toBe('1');
      expect(body).toEqual({
        type: 'urn:problem-type:rate-limit-unavailable',
        title: 'Rate limit unavailable',
        status: 503,
        detail: 'The rate-limit store is unavailable; try again shortly.',
        instance: '/thing',
      });
      expect(ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    }
    expect(open.calls.filter((c) => c === 'thing')).toHaveLength(4);
    expect(closed.calls.filter((c) => c === 'thing')).toHaveLength(1);
    expect(open.events.map((e) => [e.error.code, e.source, e.failOpen])).toEqual([
      ['RATE_LIMIT_STORE_TIMEOUT', 'per-user', true],
      ['RATE_LIMIT_STORE_TIMEOUT', 'per-user', true],
      ['RATE_LIMIT_STORE_TIMEOUT', 'per-user', true],
    ]);
    expect(
      closed.events.every((e) => e.error.code === 'RATE_LIMIT_STORE_TIMEOUT' && !e.failOpen),
    ).toBe(true);
    // One warning stands for a burst of failures.
    expect(open.logger.warnings).toHaveLength(1);
    expect(open.logger.warnings[0]?.msg).toMatch(/fail-open/);
    expect(open.logger.warnings[0]?.obj).toMatchObject({
      source: 'per-user',
      code: 'RATE_LIMIT_STORE_TIMEOUT',
    });
    expect(await storeErrorPoints()).toContainEqual({
      value: 6,
      attributes: { 'rate_limit.source': 'per-user', 'error.type': 'timeout' },
    });
  });

  it('fails fast once Redis is gone, for rate limits and quotas alike', async () => {
    await redis.kill();
    // Let the clients notice the closed socket.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = open.events.length;
    for (let i = 0; i < 3; i++) {
      const o = await timed(`${open.url}/thing`);
      expect(o.res.status).toBe(200);
      expect(o.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
      const oq = await timed(`${open.url}/quota/thing`);
      expect(oq.res.status).toBe(200);
      expect(oq.body).toEqual({ ok: true });
      expect(oq.ms).toBeLessThan(2 * STORE_TIMEOUT_MS + MARGIN_MS);
      const c = await timed(`${closed.url}/thing`);
      expect(c.res.status).toBe(503);
      expect(c.body.type).toBe('urn:problem-type:rate-limit-unavailable');
      expect(c.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    }
    const fresh = open.events.slice(before);
    // Each /quota request fails in the rate limit and in the quota.
    expect(fresh).toHaveLength(9);
    expect(fresh.every((e) => e.failOpen)).toBe(true);
    expect(fresh.some((e) => e.error.code === 'RATE_LIMIT_STORE_UNAVAILABLE')).toBe(true);
    expect(fresh.some((e) => e.source === 'requests-per-day')).toBe(true);
    const points = await storeErrorPoints();
    const total = points.reduce((sum, p) => sum + p.value, 0);
    expect(total).toBe(open.events.length + closed.events.length);
  });
});
