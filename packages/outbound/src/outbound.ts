import {
  type Meter,
  type MeterProvider,
  metrics,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { OutboundError } from './errors.js';
import { RetryBudget } from './retry-budget.js';
import { TtlCache } from './ttl-cache.js';

/** Why a call gave no provider answer. The caller degrades on each, it never sees a throw. */
export type OutboundFailure =
  /** The tenant's cost budget for the window is spent: the provider was not called. */
  | 'budget-exhausted'
  /** The breaker is open after consecutive failures: the provider was not called. */
  | 'circuit-open'
  /** As many calls as `bulkhead.maxConcurrent` are in flight and the queue is full. */
  | 'bulkhead-full'
  /** The provider did not answer within `timeoutMs` (every attempt). */
  | 'timeout'
  /** The provider failed (every attempt the retry budget allowed). */
  | 'failed';

/** The answer of {@link Outbound.call}. */
export type OutboundResult<Res> =
  | { ok: true; value: Res; source: 'provider' | 'cache' }
  | { ok: false; reason: OutboundFailure; error?: unknown };

export interface OutboundOptions<Req, Res> {
  /** Provider name: span names, metric attributes, log fields (e.g. `restaurants`). Required. */
  name: string;
  /** The call itself (the provider adapter); honour `signal`, it aborts on timeout. Required. */
  call: (request: Req, context: { signal: AbortSignal }) => Promise<Res>;
  /** Deadline of one attempt. Default: 2000 ms. */
  timeoutMs?: number;
  retry?: {
    /** Attempts after the first. Default: 2. */
    maxRetries?: number;
    /** Retries may add at most this share of calls, over the last `windowMs`. Default: 0.1. */
    budgetRatio?: number;
    /** Window of the retry budget. Default: 10 s. */
    windowMs?: number;
    /** First backoff delay; it doubles, with jitter. Default: 50 ms. */
    initialDelayMs?: number;
  };
  breaker?: {
    /** Consecutive failures that open the breaker. Default: 5. */
    consecutiveFailures?: number;
    /** How long it stays open before one trial call. Default: 10 s. */
    halfOpenAfterMs?: number;
  };
  bulkhead?: {
    /** Calls in flight at once. Default: 10. */
    maxConcurrent?: number;
    /** Calls waiting for a slot; beyond it, `bulkhead-full`. Default: 0. */
    maxQueued?: number;
  };
  /** Cache answers by key for `ttlMs`. Default: no cache. */
  cache?: {
    key: (request: Req) => string;
    ttlMs: number;
    /** Most entries; the oldest goes first. Default: 1000. */
    maxEntries?: number;
  };
  /** Per-tenant cost budget over a fixed window. Default: no budget (still metered). */
  budget?: {
    /** Cost units a tenant may spend per window. */
    limit: number;
    /** Window length. Default: 24 h. */
    windowMs?: number;
  };
  /** Cost of one provider call (cache hits cost nothing). Default: 1. */
  costOf?: (request: Req, response: Res) => number;
  /** Default: the global providers. */
  meterProvider?: MeterProvider | undefined;
  tracerProvider?: TracerProvider | undefined;
  /** Clock for the windows (tests). Default: `Date.now`. */
  now?: () => number;
}

/** What one tenant used in the current budget window. */
export interface TenantUsage {
  calls: number;
  cost: number;
  /** Budget left in the window (`Infinity` without a budget). */
  remaining: number;
  windowEndsAt: number;
}

export interface Outbound<Req, Res> {
  /**
   * Calls the provider for `tenant`, or answers from the cache, within every guard; never
   * throws for the provider's failure: check `ok` and degrade (a cached or simpler answer).
   */
  call(
    request: Req,
    options: { tenant: string; signal?: AbortSignal },
  ): Promise<OutboundResult<Res>>;
  /** The tenant's calls and cost in the current window. */
  usage(tenant: string): TenantUsage;
  /** `closed`, `open`, `half-open` or `isolated`. */
  readonly breakerState: string;
}

function positive(value: unknown, name: string, { integer = false, zero = false } = {}): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (zero ? value >= 0 : value > 0) &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    throw new OutboundError(
      'OUTBOUND_INVALID_OPTIONS',
      `${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${String(value)}`,
    );
  }
}

const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/**
 * A guarded client for one third-party provider: per attempt a timeout; retries with
 * exponential backoff, only while the retry budget allows (retries never multiply an outage);
 * a circuit breaker and a bulkhead around it all; a TTL cache in front; per-tenant metering and
 * a cost budget that answers `budget-exhausted` instead of calling. One span per call
 * (`outbound <name>`), and metrics `outbound.calls` (by outcome and source) and
 * `outbound.call.duration`.
 *
 * @throws {OutboundError} `OUTBOUND_INVALID_OPTIONS` on a missing name or call, or a bad number
 * @example
 * const restaurants = createOutbound({
 *   name: 'restaurants',
 *   call: (cuisine: string, { signal }) => fetch(`${base}/near?cuisine=${cuisine}`, { signal }).then((r) => r.json()),
 *   cache: { key: (cuisine) => cuisine, ttlMs: 60_000 },
 *   budget: { limit: 1_000 },
 * });
 * const result = await restaurants.call('thai', { tenant: 'acme' });
 * const list = result.ok ? result.value : [];
 */
export function createOutbound<Req, Res>(options: OutboundOptions<Req, Res>): Outbound<Req, Res> {
  if (!options || typeof options.name !== 'string' || options.name.length === 0) {
    throw new OutboundError('OUTBOUND_INVALID_OPTIONS', 'name must be a non-empty string');
  }
  if (typeof options.call !== 'function') {
    throw new OutboundError(
      'OUTBOUND_INVALID_OPTIONS',
      'call must be a function (request, { signal }) => Promise',
    );
  }
  const { name, call, timeoutMs = 2_000, costOf = () => 1, now = Date.now } = options;
  const maxRetries = options.retry?.maxRetries ?? 2;
  const budgetRatio = options.retry?.budgetRatio ?? 0.1;
  const retryWindowMs = options.retry?.windowMs ?? 10_000;
  const initialDelayMs = options.retry?.initialDelayMs ?? 50;
  const consecutiveFailures = options.breaker?.consecutiveFailures ?? 5;
  const halfOpenAfterMs = options.breaker?.halfOpenAfterMs ?? 10_000;
  const maxConcurrent = options.bulkhead?.maxConcurrent ?? 10;
  const maxQueued = options.bulkhead?.maxQueued ?? 0;
  const budgetWindowMs = options.budget?.windowMs ?? 86_400_000;
  positive(timeoutMs, 'timeoutMs');
  positive(maxRetries, 'retry.maxRetries', { integer: true, zero: true });
  positive(budgetRatio, 'retry.budgetRatio', { zero: true });
  positive(retryWindowMs, 'retry.windowMs');
  positive(initialDelayMs, 'retry.initialDelayMs');
  positive(consecutiveFailures, 'breaker.consecutiveFailures', { integer: true });
  positive(halfOpenAfterMs, 'breaker.halfOpenAfterMs');
  positive(maxConcurrent, 'bulkhead.maxConcurrent', { integer: true });
  positive(maxQueued, 'bulkhead.maxQueued', { integer: true, zero: true });
  positive(budgetWindowMs, 'budget.windowMs');
  if (options.budget) positive(options.budget.limit, 'budget.limit', { zero: true });
  if (options.cache) {
    if (typeof options.cache.key !== 'function') {
      throw new OutboundError(
        'OUTBOUND_INVALID_OPTIONS',
        'cache.key must be a function (request) => string',
      );
    }
    positive(options.cache.ttlMs, 'cache.ttlMs');
  }

  const retryBudget = new RetryBudget({ ratio: budgetRatio, windowMs: retryWindowMs, now });
  const cache = options.cache
    ? new TtlCache<Res>({
        ttlMs: options.cache.ttlMs,
        maxEntries: options.cache.maxEntries ?? 1_000,
        now,
      })
    : undefined;

  // Outermost first: the breaker and the bulkhead see one call; the attempts happen inside
  // them, each with its own deadline. A retry happens only while the retry budget has room.
  const breaker = circuitBreaker(
    handleWhen((err) => !(err instanceof BulkheadRejectedError)),
    { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(consecutiveFailures) },
  );
  const guard = wrap(breaker, bulkhead(maxConcurrent, maxQueued));
  const deadline = timeout(timeoutMs, TimeoutStrategy.Aggressive);

  async function attempts(request: Req, signal: AbortSignal | undefined): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deadline.execute(({ signal: attemptSignal }) => {
          const combined = signal ? AbortSignal.any([signal, attemptSignal]) : attemptSignal;
          return call(request, { signal: combined });
        }, signal);
      } catch (err) {
        if (signal?.aborted || attempt >= maxRetries || !retryBudget.tryRetry()) throw err;
        // Exponential backoff with full jitter.
        const delayMs = Math.random() * initialDelayMs * 2 ** attempt;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  const meter: Meter = (options.meterProvider ?? metrics).getMeter('@micro-app/outbound');
  const tracer: Tracer = (options.tracerProvider ?? trace).getTracer('@micro-app/outbound');
  const calls = meter.createCounter('outbound.calls', {
    description: 'Outbound calls by provider, outcome and source',
  });
  const duration = meter.createHistogram('outbound.call.duration', {
    description: 'Duration of outbound calls that reached the provider',
    unit: 's',
  });
  const cost = meter.createCounter('outbound.cost', {
    description: 'Cost units spent on a provider',
  });

  const usageByTenant = new Map<string, { calls: number; cost: number; windowStart: number }>();
  function usageOf(tenant: string) {
    const windowStart = Math.floor(now() / budgetWindowMs) * budgetWindowMs;
    let usage = usageByTenant.get(tenant);
    if (!usage || usage.windowStart !== windowStart) {
      usage = { calls: 0, cost: 0, windowStart };
      usageByTenant.set(tenant, usage);
    }
    return usage;
  }

  function failureOf(err: unknown): OutboundFailure {
    if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError)
      return 'circuit-open';
    if (err instanceof BulkheadRejectedError) return 'bulkhead-full';
    if (err instanceof TaskCancelledError) return 'timeout';
    return 'failed';
  }

  return {
    get breakerState() {
      return BREAKER_STATES[breaker.state] ?? String(breaker.state);
    },

    usage(tenant) {
      const usage = usageOf(tenant);
      const limit = options.budget?.limit ?? Number.POSITIVE_INFINITY;
      return {
        calls: usage.calls,
        cost: usage.cost,
        remaining: Math.max(0, limit - usage.cost),
        windowEndsAt: usage.windowStart + budgetWindowMs,
      };
    },

    call(request, { tenant, signal }) {
      return tracer.startActiveSpan(`outbound ${name}`, async (span) => {
        span.setAttribute('outbound.provider', name);
        const finish = (result: OutboundResult<Res>, source?: string): OutboundResult<Res> => {
          const outcome = result.ok ? 'ok' : result.reason;
          span.setAttribute('outbound.outcome', outcome);
          if (source) span.setAttribute('outbound.source', source);
          if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          calls.add(1, {
            'outbound.provider': name,
            'outbound.outcome': outcome,
            ...(source ? { 'outbound.source': source } : {}),
          });
          span.end();
          return result;
        };
        const key = cache && options.cache ? options.cache.key(request) : undefined;
        if (cache && key !== undefined) {
          const hit = cache.get(key);
          if (hit !== undefined) return finish({ ok: true, value: hit, source: 'cache' }, 'cache');
        }
        const usage = usageOf(tenant);
        if (options.budget && usage.cost >= options.budget.limit) {
          return finish({ ok: false, reason: 'budget-exhausted' });
        }
        retryBudget.recordCall();
        const startedAt = performance.now();
        try {
          const value = await guard.execute(() => attempts(request, signal), signal);
          const spent = costOf(request, value);
          usage.calls += 1;
          usage.cost += spent;
          cost.add(spent, { 'outbound.provider': name });
          duration.record((performance.now() - startedAt) / 1000, {
            'outbound.provider': name,
            'outbound.outcome': 'ok',
          });
          if (cache && key !== undefined) cache.set(key, value);
          return finish({ ok: true, value, source: 'provider' }, 'provider');
        } catch (error) {
          const reason = failureOf(error);
          if (reason === 'failed' || reason === 'timeout') {
            usage.calls += 1;
            duration.record((performance.now() - startedAt) / 1000, {
              'outbound.provider': name,
              'outbound.outcome': reason,
            });
          }
          if (error instanceof Error) span.recordException(error);
          return finish({ ok: false, reason, error });
        }
      });
    },
  };
}
