import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { memoryLogger, principalFromHeaders } from '../test/app.js';
import { metricsCollector } from '../test/metrics.js';
import type { QuotaThresholdEvent } from './index.js';
import { createQuota } from './index.js';
import { quotaLimit } from './middleware.js';
import { periodAt } from './period.js';

function clock(iso: string) {
  let now = Date.parse(iso);
  return {
    now: () => now,
    set: (next: string) => {
      now = Date.parse(next);
    },
  };
}

describe('periodAt (UTC calendar periods)', () => {
  it('cuts days and months at UTC midnight, across month and year ends', () => {
    expect(periodAt('day', Date.parse('2026-03-31T23:59:59.999Z'))).toEqual({
      id: '2026-03-31',
      start: Date.parse('2026-03-31T00:00:00Z'),
      end: Date.parse('2026-04-01T00:00:00Z'),
    });
    expect(periodAt('month', Date.parse('2026-12-31T23:00:00Z'))).toEqual({
      id: '2026-12',
      start: Date.parse('2026-12-01T00:00:00Z'),
      end: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(periodAt('month', Date.parse('2028-02-29T12:00:00Z')).end).toBe(
      Date.parse('2028-03-01T00:00:00Z'),
    );
  });
});

describe('createQuota (memory store, injected clock)', () => {
  it('counts usage down, fires the 80% event exactly once, and resets in a new period', async () => {
    const time = clock('2026-05-20T10:00:00Z');
    const events: QuotaThresholdEvent[] = [];
    const quota = createQuota({
      unit: 'requests',
      period: 'day',
      limit: (tenant) => (tenant === 'acme' ? 10 : 100),
      now: time.now,
      onThreshold: (e) => {
        events.push(e);
      },
    });
    expect(quota.name).toBe('requests-per-day');
    expect(await quota.remaining('acme')).toBe(10);

    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) remaining.push((await quota.consume('acme')).remaining);
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      quota: 'requests-per-day',
      ratio: 0.8,
      tenant: 'acme',
      unit: 'requests',
      period: 'day',
      periodStart: new Date('2026-05-20T00:00:00Z'),
      resetAt: new Date('2026-05-21T00:00:00Z'),
      secondsToReset: 14 * 3600,
      limit: 10,
      used: 8,
      remaining: 2,
      exceeded: false,
    });

    const over = await quota.consume('acme', 3);
    expect(over).toMatchObject({ used: 13, remaining: 0, exceeded: true });
    expect(events).toHaveLength(1);
    // Other tenants have budgets of their own.
    expect(await quota.remaining('globex')).toBe(100);

    time.set('2026-05-21T00:00:00Z');
    expect(await quota.status('acme')).toMatchObject({ used: 0, remaining: 10, limit: 10 });
    expect((await quota.consume('acme', 8)).remaining).toBe(2);
    expect(events).toHaveLength(2);
    expect(events[1]?.periodStart).toEqual(new Date('2026-05-21T00:00:00Z'));
  });

  it('fires once when a single large charge jumps past the threshold', async () => {
    const events: QuotaThresholdEvent[] = [];
    const quota = createQuota({
      unit: 'llm-tokens',
      period: 'month',
      limit: () => 1_000,
      now: () => Date.parse('2026-02-10T00:00:00Z'),
      onThreshold: (e) => {
        events.push(e);
      },
    });
    await quota.consume('acme', 500);
    await quota.consume('acme', 450);
    await quota.consume('acme', 10);
    expect(events.map((e) => e.used)).toEqual([950]);
    expect(events[0]?.resetAt).toEqual(new Date('2026-03-01T00:00:00Z'));
  });

  it("records each tenant's share of its budget as rate_limit.quota.utilization", async () => {
    const { meterProvider, points } = metricsCollector();
    let at = Date.UTC(2026, 0, 15, 23, 0);
    const quota = createQuota({
      unit: 'requests',
      period: 'day',
      limit: (tenant) => (tenant === 'acme' ? 10 : Number.POSITIVE_INFINITY),
      meterProvider,
      now: () => at,
    });
    for (let i = 0; i < 9; i++) await quota.consume('acme');
    await quota.consume('globex'); // no budget: nothing to record
    const today = await points('rate_limit.quota.utilization');
    expect(today.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'rate_limit.quota': 'requests-per-day', tenant: 'acme' }, 0.9],
    ]);
    // The next day, before acme's first request: 0 of the new budget, not yesterday's 90%.
    at = Date.UTC(2026, 0, 16, 0, 1);
    const next = await points('rate_limit.quota.utilization');
    expect(next.map((p) => p.value)).toEqual([0]);
    await meterProvider.shutdown();
  });

  it('gives units back with refund', async () => {
    const quota = createQuota({ unit: 'requests', period: 'day', limit: () => 5 });
    await quota.consume('acme', 4);
    expect((await quota.refund('acme', 3)).used).toBe(1);
    expect(await quota.remaining('acme')).toBe(4);
  });

  it('logs a throwing onThreshold hook instead of failing the charge', async () => {
    const logger = memoryLogger();
    const quota = createQuota({
      unit: 'requests',
      period: 'day',
      limit: () => 1,
      logger,
      onThreshold: () => {
        throw new Error('pager down');
      },
    });
    expect((await quota.consume('acme')).used).toBe(1);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.msg).toBe('quota onThreshold hook failed');
  });

  it('rejects amounts that are not positive integers and invalid options', async () => {
    const quota = createQuota({ unit: 'requests', period: 'day', limit: () => 5 });
    for (const amount of [0, -1, 1.5, Number.NaN]) {
      await expect(quota.consume('acme', amount)).rejects.toMatchObject({
        name: 'RateLimitError',
        code: 'RATE_LIMIT_INVALID_AMOUNT',
      });
    }
    expect(await quota.remaining('acme')).toBe(5);
    for (const bad of [
      { unit: 'requests', period: 'week', limit: () => 1 },
      { unit: 'has space', period: 'day', limit: () => 1 },
      { unit: 'requests', period: 'day', limit: 5 },
      { unit: 'requests', period: 'day', limit: () => 1, thresholdRatio: 1.5 },
    ]) {
      expect(() => createQuota(bad as never)).toThrow(RateLimitError);
    }
  });
});

describe('quotaLimit middleware', () => {
  function quotaApp(limit: number, time: ReturnType<typeof clock>) {
    const calls: string[] = [];
    const quota = createQuota({
      unit: 'requests',
      period: 'day',
      limit: () => limit,
      now: time.now,
    });
    const app = new Hono();
    app.use(principalFromHeaders());
    app.use(quotaLimit(quota));
    app.get('/thing', (c) => {
      calls.push(c.req.header('x-tenant') ?? 'none');
      return c.json({ ok: true });
    });
    return { app, calls, quota };
  }

  it('charges one unit per request, answers 429 problem+json when exhausted, and resets next day', async () => {
    const time = clock('2026-05-20T23:59:00Z');
    const { app, calls, quota } = quotaApp(3, time);
    const as = () => app.request('/thing', { headers: { 'x-tenant': 'acme' } });
    for (let i = 0; i < 3; i++) expect((await as()).status).toBe(200);
    const exhausted = await as();
    expect(exhausted.status).toBe(429);
    expect(exhausted.headers.get('Content-Type')).toBe('application/problem+json');
    expect(exhausted.headers.get('Retry-After')).toBe('60');
    expect(await exhausted.json()).toEqual({
      type: 'urn:problem-type:quota-exhausted',
      title: 'Quota exhausted',
      status: 429,
      detail: 'The daily requests quota of 3 is used up; it resets at 2026-05-21T00:00:00.000Z.',
      quota: 'requests-per-day',
      resetAt: '2026-05-21T00:00:00.000Z',
      instance: '/thing',
    });
    expect(calls).toEqual(['acme', 'acme', 'acme']);
    // Rejected requests are not counted.
    expect(await quota.status('acme')).toMatchObject({ used: 3, remaining: 0 });

    time.set('2026-05-21T00:00:01Z');
    expect((await as()).status).toBe(200);
    expect(await quota.remaining('acme')).toBe(2);
  });

  it('does not charge requests without a tenant', async () => {
    const { app, calls } = quotaApp(1, clock('2026-05-20T10:00:00Z'));
    for (let i = 0; i < 3; i++) expect((await app.request('/thing')).status).toBe(200);
    expect(calls).toEqual(['none', 'none', 'none']);
  });

  it('admits exactly the budget under concurrency', async () => {
    const { app, calls, quota } = quotaApp(25, clock('2026-05-20T10:00:00Z'));
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () =>
        Promise.resolve(app.request('/thing', { headers: { 'x-tenant': 'acme' } })).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(75);
    expect(calls).toHaveLength(25);
    expect((await quota.status('acme')).used).toBe(25);
  });
});
