import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { byApiKey, byTenant, byUser } from '../keys/index.js';
import { memoryStore } from '../store/index.js';
import { memoryLogger, principalFromHeaders } from '../test/app.js';
import { countStatuses, type Served, serveApp } from '../test/http.js';
import type { RateLimitPolicy } from '../types.js';
import { rateLimit } from './index.js';

function appWith(
  policies: RateLimitPolicy[],
  extra: Parameters<typeof rateLimit>[0] = { policies },
) {
  const calls: string[] = [];
  const app = new Hono<{ Variables: { requestId?: string } }>();
  app.use(async (c, next) => {
    c.set('requestId', 'req-1');
    await next();
  });
  app.use(principalFromHeaders());
  app.use(rateLimit({ ...extra, policies }));
  app.get('/thing', (c) => {
    calls.push(c.req.header('x-user') ?? 'anon');
    return c.json({ ok: true });
  });
  app.get('/boom', () => {
    throw new Error('handler failed');
  });
  app.onError((_err, c) => c.json({ error: 'internal' }, 500));
  return { app, calls };
}

const perUser = (limit: number, windowMs = 60_000): RateLimitPolicy => ({
  name: 'per-user',
  limit,
  windowMs,
  key: byUser(),
});

describe('rateLimit options', () => {
  it.each([
    ['no policies', { policies: [] }],
    ['a zero limit', { policies: [{ ...perUser(1), limit: 0 }] }],
    ['a window that is not whole seconds', { policies: [{ ...perUser(1), windowMs: 1500 }] }],
    ['a name that would break the header', { policies: [{ ...perUser(1), name: 'a"b' }] }],
    ['a duplicate name', { policies: [perUser(1), perUser(2)] }],
    ['a missing key function', { policies: [{ ...perUser(1), key: undefined }] }],
    ['a zero store timeout', { policies: [perUser(1)], storeTimeoutMs: 0 }],
    ['a non-boolean failOpen', { policies: [perUser(1)], failOpen: 'yes' }],
  ])('throws RATE_LIMIT_INVALID_OPTIONS at once for %s', (_label, options) => {
    let caught: unknown;
    try {
      rateLimit(options as unknown as Parameters<typeof rateLimit>[0]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RateLimitError);
    expect((caught as RateLimitError).code).toBe('RATE_LIMIT_INVALID_OPTIONS');
    expect((caught as RateLimitError).name).toBe('RateLimitError');
  });
});

describe('rateLimit with the memory store', () => {
  it('sends RateLimit-Policy and RateLimit on a 200 and counts down', async () => {
    const { app, calls } = appWith([perUser(3)]);
    const first = await app.request('/thing', { headers: { 'x-user': 'ann' } });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true });
    expect(first.headers.get('RateLimit-Policy')).toBe('"per-user";q=3;w=60');
    expect(first.headers.get('RateLimit')).toMatch(/^"per-user";r=2;t=(60|59)$/);
    const second = await app.request('/thing', { headers: { 'x-user': 'ann' } });
    expect(second.headers.get('RateLimit')).toMatch(/^"per-user";r=1;t=\d+$/);
    expect(calls).toEqual(['ann', 'ann']);
  });

  it('answers 429 problem+json with Retry-After and headers once the limit is spent', async () => {
    const { app, calls } = appWith([perUser(2, 30_000)]);
    for (let i = 0; i < 2; i++) {
      expect((await app.request('/thing', { headers: { 'x-user': 'bob' } })).status).toBe(200);
    }
    const res = await app.request('/thing', { headers: { 'x-user': 'bob' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const retryAfter = Number(res.headers.get('Retry-After'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(res.headers.get('RateLimit-Policy')).toBe('"per-user";q=2;w=30');
    expect(res.headers.get('RateLimit')).toBe(`"per-user";r=0;t=${retryAfter}`);
    expect(await res.json()).toEqual({
      type: 'urn:problem-type:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: `Rate limit "per-user" exceeded; retry in ${retryAfter} s.`,
      policies: ['per-user'],
      instance: '/thing',
      requestId: 'req-1',
    });
    expect(calls).toEqual(['bob', 'bob']);
    // Another user has a bucket of their own.
    expect((await app.request('/thing', { headers: { 'x-user': 'cy' } })).status).toBe(200);
  });

  it('keeps the headers on error responses from the handler', async () => {
    const { app } = appWith([perUser(5)]);
    const res = await app.request('/boom', { headers: { 'x-user': 'dee' } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal' });
    expect(res.headers.get('RateLimit')).toMatch(/^"per-user";r=4;t=\d+$/);
  });

  it('adds its headers to the handler response in place, without rebuilding it', async () => {
    const app = new Hono();
    let fromHandler: Response | undefined;
    let seenOutside: Response | undefined;
    app.use(async (c, next) => {
      await next();
      seenOutside = c.res;
    });
    app.use(principalFromHeaders());
    app.use(rateLimit({ policies: [perUser(5)] }));
    app.get('/thing', (c) => {
      fromHandler = c.json({ ok: true });
      return fromHandler;
    });
    const res = await app.request('/thing', { headers: { 'x-user': 'eve' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('RateLimit')).toMatch(/^"per-user";r=4;t=\d+$/);
    expect(seenOutside).toBe(fromHandler);
  });

  it('adds its headers to a response whose headers are immutable', async () => {
    const app = new Hono();
    app.use(principalFromHeaders());
    app.use(rateLimit({ policies: [perUser(5)] }));
    app.get('/moved', () => Response.redirect('https://example.com/elsewhere', 302));
    const res = await app.request('/moved', { headers: { 'x-user': 'fay' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('https://example.com/elsewhere');
    expect(res.headers.get('RateLimit')).toMatch(/^"per-user";r=4;t=\d+$/);
    expect(res.headers.get('RateLimit-Policy')).toBe('"per-user";q=5;w=60');
  });

  it('skips a policy whose key is undefined and sends no headers when none applies', async () => {
    const { app, calls } = appWith([perUser(1)]);
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/thing');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit')).toBeNull();
      expect(res.headers.get('RateLimit-Policy')).toBeNull();
    }
    expect(calls).toEqual(['anon', 'anon', 'anon']);
  });

  it('stacks policies and gives back the points of a request another policy rejected', async () => {
    const { app, calls } = appWith([
      perUser(2),
      { name: 'per-tenant', limit: 3, windowMs: 60_000, key: byTenant() },
    ]);
    const as = (user: string) =>
      app.request('/thing', { headers: { 'x-user': user, 'x-tenant': 'acme' } });

    const a1 = await as('ann');
    expect(a1.headers.get('RateLimit-Policy')).toBe('"per-user";q=2;w=60, "per-tenant";q=3;w=60');
    expect(a1.headers.get('RateLimit')).toMatch(/^"per-user";r=1;t=\d+, "per-tenant";r=2;t=\d+$/);
    expect((await as('ann')).status).toBe(200);
    const a3 = await as('ann');
    expect(a3.status).toBe(429);
    expect(((await a3.json()) as { policies: string[] }).policies).toEqual(['per-user']);
    // The tenant point is given back, and the header says so.
    expect(a3.headers.get('RateLimit')).toMatch(/^"per-user";r=0;t=\d+, "per-tenant";r=1;t=\d+$/);
    // ann's rejected request was refunded to the tenant: one tenant point is left for bob.
    const b1 = await as('bob');
    expect(b1.status).toBe(200);
    expect(b1.headers.get('RateLimit')).toMatch(/"per-tenant";r=0;/);
    const b2 = await as('bob');
    expect(b2.status).toBe(429);
    expect(((await b2.json()) as { policies: string[] }).policies).toEqual(['per-tenant']);
    expect(calls).toEqual(['ann', 'ann', 'bob']);
  });

  it('merges the headers of two rateLimit middlewares on one route', async () => {
    const store = memoryStore();
    const app = new Hono();
    app.use(principalFromHeaders());
    app.use(rateLimit({ store, policies: [perUser(10)] }));
    app.use(
      '/groups',
      rateLimit({
        store,
        policies: [
          {
            name: 'group-create',
            limit: 1,
            windowMs: 60_000,
            key: (c) => (c.req.method === 'POST' ? `user:${c.req.header('x-user')}` : undefined),
          },
        ],
      }),
    );
    app.post('/groups', (c) => c.json({ id: 1 }, 201));
    const post = () => app.request('/groups', { method: 'POST', headers: { 'x-user': 'ann' } });
    const created = await post();
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 1 });
    expect(created.headers.get('RateLimit-Policy')).toBe(
      '"group-create";q=1;w=60, "per-user";q=10;w=60',
    );
    expect(created.headers.get('RateLimit')).toMatch(
      /^"group-create";r=0;t=\d+, "per-user";r=9;t=\d+$/,
    );
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { policies: string[] }).policies).toEqual(['group-create']);
    expect(limited.headers.get('RateLimit')).toMatch(
      /^"group-create";r=0;t=\d+, "per-user";r=8;t=\d+$/,
    );
  });

  it('counts API keys by digest, separately per key', async () => {
    const { app } = appWith([{ name: 'per-key', limit: 1, windowMs: 60_000, key: byApiKey() }]);
    const one = await app.request('/thing', { headers: { 'x-api-key': 'secret-one' } });
    const oneAgain = await app.request('/thing', { headers: { 'x-api-key': 'secret-one' } });
    const two = await app.request('/thing', { headers: { 'x-api-key': 'secret-two' } });
    expect([one.status, oneAgain.status, two.status]).toEqual([200, 429, 200]);
  });

  it('admits again once the window has passed', async () => {
    const { app } = appWith([perUser(1, 1_000)]);
    expect((await app.request('/thing', { headers: { 'x-user': 'eve' } })).status).toBe(200);
    const limited = await app.request('/thing', { headers: { 'x-user': 'eve' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await app.request('/thing', { headers: { 'x-user': 'eve' } })).status).toBe(200);
  });
});

describe('rateLimit exactness in one instance (memory store, real HTTP)', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('admits exactly 100 of 500 concurrent requests', async () => {
    const logger = memoryLogger();
    const { app, calls } = appWith([perUser(100)], {
      policies: [],
      store: memoryStore(),
      logger,
    });
    served = await serveApp(app);
    const url = `${served.url}/thing`;
    const statuses = await Promise.all(
      Array.from({ length: 500 }, () =>
        fetch(url, { headers: { 'x-user': 'crowd' } }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        }),
      ),
    );
    expect(countStatuses(statuses)).toEqual({ 200: 100, 429: 400 });
    expect(calls).toHaveLength(100);
    expect(logger.warnings).toEqual([]);
  });
});
