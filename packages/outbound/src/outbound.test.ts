import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutbound, OutboundError, RetryBudget } from './index.js';

// A real HTTP provider on 127.0.0.1 whose behaviour each test sets: answers, failures, hangs.

type Mode = 'ok' | 'fail' | 'hang';
let mode: Mode = 'ok';
let hits = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (mode === 'hang') return; // never answers
    if (mode === 'fail') {
      res.writeHead(503).end('provider down');
      return;
    }
    const cuisine = new URL(req.url ?? '/', 'http://x').searchParams.get('cuisine');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify([{ name: `${cuisine} place` }]));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  mode = 'ok';
  hits = 0;
});

async function fetchRestaurants(cuisine: string, { signal }: { signal: AbortSignal }) {
  const res = await fetch(`${base}/near?cuisine=${cuisine}`, { signal });
  if (!res.ok) throw new Error(`provider answered ${res.status}`);
  return (await res.json()) as Array<{ name: string }>;
}

const quick = { initialDelayMs: 1 };

describe('createOutbound', () => {
  it('answers from the provider, then from the cache without calling it again', async () => {
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      cache: { key: (c: string) => c, ttlMs: 60_000 },
    });
    expect(await client.call('thai', { tenant: 'acme' })).toEqual({
      ok: true,
      value: [{ name: 'thai place' }],
      source: 'provider',
    });
    for (let i = 0; i < 5; i++) {
      expect(await client.call('thai', { tenant: 'acme' })).toMatchObject({
        ok: true,
        source: 'cache',
      });
    }
    expect(hits).toBe(1);
    await client.call('greek', { tenant: 'acme' });
    expect(hits).toBe(2);
  });

  it('calls again once a cached answer is older than the TTL', async () => {
    let clock = 1_000;
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      cache: { key: (c: string) => c, ttlMs: 1_000 },
      now: () => clock,
    });
    await client.call('thai', { tenant: 'acme' });
    clock += 999;
    await client.call('thai', { tenant: 'acme' });
    expect(hits).toBe(1);
    clock += 2;
    expect(await client.call('thai', { tenant: 'acme' })).toMatchObject({ source: 'provider' });
    expect(hits).toBe(2);
  });

  it('opens the breaker on a failing provider and stops calling it', async () => {
    mode = 'fail';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      retry: { maxRetries: 0 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    });
    const reasons = [];
    for (let i = 0; i < 10; i++)
      reasons.push((await client.call('thai', { tenant: 'acme' })) as { reason?: string });
    expect(reasons.map((r) => r.reason)).toEqual([
      'failed',
      'failed',
      'failed',
      ...Array(7).fill('circuit-open'),
    ]);
    expect(hits).toBe(3);
    expect(client.breakerState).toBe('open');
  });

  it('closes the breaker again after a successful trial call', async () => {
    mode = 'fail';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      retry: { maxRetries: 0 },
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 50 },
    });
    await client.call('thai', { tenant: 'acme' });
    expect(client.breakerState).toBe('open');
    mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await client.call('thai', { tenant: 'acme' })).toMatchObject({ ok: true });
    expect(client.breakerState).toBe('closed');
  });

  it('retries a failure, but only within the retry budget', async () => {
    mode = 'fail';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      retry: { maxRetries: 2, budgetRatio: 0.1, ...quick },
      breaker: { consecutiveFailures: 1_000 },
    });
    for (let i = 0; i < 20; i++) await client.call('thai', { tenant: 'acme' });
    // 20 calls: a 10% budget allows 2 retries in the window, not 40.
    expect(hits).toBe(22);
  });

  it('gives up on a hanging provider at the deadline, each attempt', async () => {
    mode = 'hang';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      timeoutMs: 100,
      retry: { maxRetries: 1, ...quick },
    });
    const result = await client.call('thai', { tenant: 'acme' });
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(hits).toBe(2);
  });

  it('refuses calls beyond the bulkhead instead of queueing them', async () => {
    mode = 'hang';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      timeoutMs: 300,
      retry: { maxRetries: 0 },
      bulkhead: { maxConcurrent: 2, maxQueued: 0 },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => client.call('thai', { tenant: 'acme' })),
    );
    const reasons = results.map((r) => (r.ok ? 'ok' : r.reason)).sort();
    expect(reasons).toEqual([
      'bulkhead-full',
      'bulkhead-full',
      'bulkhead-full',
      'timeout',
      'timeout',
    ]);
    expect(hits).toBe(2);
  });

  it("stops spending when a tenant's budget is gone, other tenants unaffected, and meters both", async () => {
    let clock = 0;
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      budget: { limit: 3, windowMs: 60_000 },
      costOf: (cuisine: string) => (cuisine === 'french' ? 2 : 1),
      now: () => clock,
    });
    expect(await client.call('french', { tenant: 'acme' })).toMatchObject({ ok: true });
    expect(await client.call('thai', { tenant: 'acme' })).toMatchObject({ ok: true });
    expect(await client.call('thai', { tenant: 'acme' })).toEqual({
      ok: false,
      reason: 'budget-exhausted',
    });
    expect(client.usage('acme')).toMatchObject({
      calls: 2,
      cost: 3,
      remaining: 0,
      windowEndsAt: 60_000,
    });
    expect(await client.call('thai', { tenant: 'globex' })).toMatchObject({ ok: true });
    expect(hits).toBe(3);
    clock = 60_000; // the next window
    expect(await client.call('thai', { tenant: 'acme' })).toMatchObject({ ok: true });
    expect(client.usage('acme')).toMatchObject({ calls: 1, cost: 1, remaining: 2 });
  });

  it('passes the caller signal on: an aborted request stops the call', async () => {
    mode = 'hang';
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      timeoutMs: 5_000,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await client.call('thai', { tenant: 'acme', signal: controller.signal });
    expect(result.ok).toBe(false);
    expect(hits).toBe(1);
  });

  it('records a span per call and counts calls by outcome and source', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const client = createOutbound({
      name: 'restaurants',
      call: fetchRestaurants,
      cache: { key: (c: string) => c, ttlMs: 60_000 },
      tracerProvider,
      meterProvider,
    });
    await client.call('thai', { tenant: 'acme' });
    await client.call('thai', { tenant: 'acme' });
    mode = 'fail';
    await client.call('greek', { tenant: 'acme' });
    expect(spans.getFinishedSpans().map((s) => [s.name, s.attributes['outbound.outcome']])).toEqual(
      [
        ['outbound restaurants', 'ok'],
        ['outbound restaurants', 'ok'],
        ['outbound restaurants', 'failed'],
      ],
    );
    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .filter((m) => m.descriptor.name === 'outbound.calls')
      .at(-1)?.dataPoints;
    const byOutcome = Object.fromEntries(
      (points ?? []).map((p) => [
        `${p.attributes['outbound.outcome']}/${p.attributes['outbound.source'] ?? '-'}`,
        p.value,
      ]),
    );
    expect(byOutcome).toEqual({ 'ok/provider': 1, 'ok/cache': 1, 'failed/-': 1 });
    await meterProvider.shutdown();
    expect(metrics).toBeDefined();
  });

  it.each([
    [{ name: '', call: fetchRestaurants }, /name/],
    [{ name: 'x' }, /call must be a function/],
    [{ name: 'x', call: fetchRestaurants, timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ name: 'x', call: fetchRestaurants, bulkhead: { maxConcurrent: 1.5 } }, /maxConcurrent/],
    [{ name: 'x', call: fetchRestaurants, cache: { ttlMs: 10 } }, /cache.key/],
  ])('refuses bad options with OUTBOUND_INVALID_OPTIONS (%#)', (options, message) => {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: testing invalid input
      createOutbound(options as any);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(OutboundError);
      expect((err as OutboundError).code).toBe('OUTBOUND_INVALID_OPTIONS');
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('RetryBudget', () => {
  it('allows retries up to the ratio of recent calls, at least one, and forgets old calls', () => {
    let clock = 0;
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 1_000, now: () => clock });
    expect(budget.tryRetry()).toBe(true); // one retry is always allowed
    expect(budget.tryRetry()).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(budget.tryRetry()).toBe(true); // 2 allowed by 10 calls, 1 taken
    expect(budget.tryRetry()).toBe(false);
    clock = 1_001;
    expect(budget.tryRetry()).toBe(true);
  });
});
