import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byApiKey, byUser } from '../keys/index.js';
import type { QuotaThresholdEvent } from '../quota/index.js';
import { createQuota } from '../quota/index.js';
import { redisStore } from '../store/index.js';
import { createRedisClient } from '../store/redis-client.js';
import { memoryLogger, principalFromHeaders } from '../test/app.js';
import { countStatuses, type Served, serveApp } from '../test/http.js';
import { deleteKeys, REDIS_URL, sharedRedisOrSkip, uniquePrefix } from '../test/redis.js';
import { rateLimit } from './index.js';

const available = await sharedRedisOrSkip();

describe.skipIf(!available)('rateLimit and quotas on a shared Redis', () => {
  const prefix = uniquePrefix();
  const clients: Redis[] = [];
  const servers: Served[] = [];

  async function client(): Promise<Redis> {
    const redis = createRedisClient(REDIS_URL);
    clients.push(redis);
    if (redis.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        redis.once('ready', resolve);
        redis.once('error', reject);
      });
    }
    return redis;
  }

  async function instance(limit: number) {
    const calls: string[] = [];
    const logger = memoryLogger();
    const app = new Hono();
    app.use(principalFromHeaders());
    app.use(
      rateLimit({
        store: redisStore({ client: await client(), prefix }),
        storeTimeoutMs: 2_000,
        logger,
        policies: [
          { name: 'per-user', limit, windowMs: 60_000, key: byUser() },
          { name: 'per-key', limit: 1, windowMs: 60_000, key: byApiKey() },
        ],
      }),
    );
    app.get('/thing', (c) => {
      calls.push('hit');
      return c.json({ ok: true });
    });
    const served = await serveApp(app);
    servers.push(served);
    return { url: served.url, calls, logger };
  }

  beforeAll(async () => {
    await client();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    const [first] = clients;
    if (first) await deleteKeys(first, prefix);
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });

  it('admits exactly 100 of 500 concurrent requests split across two instances', async () => {
    const a = await instance(100);
    const b = await instance(100);
    const statuses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        fetch(`${i % 2 === 0 ? a.url : b.url}/thing`, { headers: { 'x-user': 'crowd' } }).then(
          async (res) => {
            await res.arrayBuffer();
            return res.status;
          },
        ),
      ),
    );
    expect(countStatuses(statuses)).toEqual({ 200: 100, 429: 400 });
    expect(a.calls.length + b.calls.length).toBe(100);
    expect(a.calls.length).toBeGreaterThan(0);
    expect(b.calls.length).toBeGreaterThan(0);
    expect(a.logger.warnings).toEqual([]);
    expect(b.logger.warnings).toEqual([]);

    const [redis] = clients;
    const stored = await redis?.get(`${prefix}per-user:user:crowd`);
    expect(Number(stored)).toBeGreaterThanOrEqual(500);
    const ttl = await redis?.pttl(`${prefix}per-user:user:crowd`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);

    const limited = await fetch(`${b.url}/thing`, { headers: { 'x-user': 'crowd' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Content-Type')).toBe('application/problem+json');
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.headers.get('RateLimit')).toMatch(/^"per-user";r=0;t=\d+$/);
    expect(((await limited.json()) as { type: string }).type).toBe('urn:problem-type:rate-limited');
  });

  it('never writes an API key itself into Redis', async () => {
    const a = await instance(10);
    const first = await fetch(`${a.url}/thing`, { headers: { 'x-api-key': 'very-secret-key' } });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await fetch(`${a.url}/thing`, { headers: { 'x-api-key': 'very-secret-key' } });
    expect(second.status).toBe(429);
    await second.arrayBuffer();
    const [redis] = clients;
    const keys = (await redis?.keys(`${prefix}per-key:*`)) ?? [];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}per-key:apikey:[0-9a-f]{32}$`));
    expect(keys.join()).not.toContain('very-secret-key');
  });

  it('fires a quota threshold exactly once across two instances consuming concurrently', async () => {
    const events: QuotaThresholdEvent[] = [];
    const now = () => Date.UTC(2026, 4, 15, 12);
    const make = async () =>
      createQuota({
        store: redisStore({ client: await client(), prefix }),
        unit: 'llm-tokens',
        period: 'month',
        limit: () => 1_000,
        now,
        storeTimeoutMs: 2_000,
        onThreshold: (e) => {
          events.push(e);
        },
      });
    const one = await make();
    const two = await make();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? one : two).consume('acme', 10)),
    );
    expect(Math.max(...results.map((r) => r.used))).toBe(1_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      quota: 'llm-tokens-per-month',
      tenant: 'acme',
      unit: 'llm-tokens',
      limit: 1_000,
      ratio: 0.8,
      used: 800,
      periodStart: new Date(Date.UTC(2026, 4, 1)),
      resetAt: new Date(Date.UTC(2026, 5, 1)),
    });
    expect(await one.remaining('acme')).toBe(0);
    expect(await two.status('acme')).toMatchObject({ used: 1_000, exceeded: false });
    const [redis] = clients;
    const ttl = await redis?.ttl(`${prefix}quota:llm-tokens-per-month:acme:2026-05`);
    expect(ttl).toBeGreaterThan(0);
  });
});
