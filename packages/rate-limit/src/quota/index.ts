import { type MeterProvider, metrics } from '@opentelemetry/api';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitError } from '../errors.js';
import type { RateLimitStore } from '../store/index.js';
import {
  invalidOption,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  storeGuard,
} from '../store/options.js';
import type { RateLimitLogger, StoreErrorEvent } from '../types.js';
import type { PeriodWindow, QuotaPeriod } from './period.js';
import { periodAt } from './period.js';

/** Options of {@link createQuota}. */
export interface QuotaOptions {
  /** Where usage is counted. Default: `memoryStore()`; use `redisStore()` with several instances. */
  store?: RateLimitStore;
  /** What is counted, e.g. `'requests'` or `'llm-tokens'`; used in events, keys and errors. */
  unit: string;
  /** Budget period: a calendar day or month in UTC. */
  period: QuotaPeriod;
  /** Budget of a tenant for one period: a non-negative integer or `Infinity`. Read on every call. */
  limit: (tenant: string) => number;
  /** Name used in store keys, logs and metrics. Default: `` `${unit}-per-${period}` ``. */
  name?: string;
  /** Fraction of the budget at which `onThreshold` fires. Default: `0.8`. */
  thresholdRatio?: number;
  /** Called once per tenant and period when usage first reaches `thresholdRatio` of the budget. */
  onThreshold?: (event: QuotaThresholdEvent) => void | Promise<void>;
  /** Clock in epoch ms (or a `Date`); inject one in tests. Default: `Date.now`. */
  now?: () => number | Date;
  /** Longest wait for the store per call. Default: `100`. */
  storeTimeoutMs?: number;
  /** What `quotaLimit()` does when the store fails: `true` lets requests through. Default: `true`. */
  failOpen?: boolean;
  /** Receives warnings (store failures, a throwing `onThreshold`). Default: the console. */
  logger?: RateLimitLogger;
  /** Called on every store failure. Default: none. */
  onStoreError?: (event: StoreErrorEvent) => void;
  /**
   * Meter provider for the `rate_limit.store.errors` counter and the
   * `rate_limit.quota.utilization` gauge (share of the budget used, per tenant: one series per
   * tenant). Default: the global one.
   */
  meterProvider?: MeterProvider;
}

/** A tenant's usage in the current period. */
export interface QuotaState {
  tenant: string;
  unit: string;
  period: QuotaPeriod;
  /** First instant of the period (UTC). */
  periodStart: Date;
  /** First instant of the next period, when usage starts again from zero. */
  resetAt: Date;
  /** Whole seconds from the call (by the quota's clock) until `resetAt`, rounded up. */
  secondsToReset: number;
  limit: number;
  used: number;
  /** `max(0, limit - used)`. */
  remaining: number;
  /** `true` when usage went past the budget. */
  exceeded: boolean;
}

/** What `onThreshold` receives. */
export interface QuotaThresholdEvent extends QuotaState {
  /** Name of the quota. */
  quota: string;
  /** The configured `thresholdRatio`. */
  ratio: number;
}

/** A per-tenant budget; see {@link createQuota}. */
export interface Quota {
  readonly name: string;
  readonly unit: string;
  readonly period: QuotaPeriod;
  /** What `quotaLimit()` does when the store fails. */
  readonly failOpen: boolean;
  /**
   * Records `amount` units of use (the spend already happened, so it is recorded even past the
   * budget) and returns the state after it; `exceeded` tells whether the budget is overrun.
   * @throws {RateLimitError} `RATE_LIMIT_INVALID_AMOUNT`, `RATE_LIMIT_STORE_UNAVAILABLE` or `RATE_LIMIT_STORE_TIMEOUT`
   */
  consume(tenant: string, amount?: number): Promise<QuotaState>;
  /** Gives back `amount` units, e.g. for work that was charged but not done. */
  refund(tenant: string, amount?: number): Promise<QuotaState>;
  /** Units left in the current period. */
  remaining(tenant: string): Promise<number>;
  /** The full state of the current period. */
  status(tenant: string): Promise<QuotaState>;
}

/** {@link QuotaOptions} checked, with every default applied. */
export interface ResolvedQuotaOptions extends ResolvedStoreOptions {
  readonly unit: string;
  readonly period: QuotaPeriod;
  readonly limit: (tenant: string) => number;
  readonly name: string;
  readonly thresholdRatio: number;
  readonly onThreshold: ((event: QuotaThresholdEvent) => void | Promise<void>) | undefined;
  readonly now: () => number | Date;
}

const TTL_SLACK_SEC = 86_400;
const SHORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Checks the options of {@link createQuota} and applies their defaults, without touching the
 * store.
 *
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` naming the first invalid option
 */
export function resolveQuotaOptions(options: QuotaOptions): ResolvedQuotaOptions {
  const {
    unit,
    period,
    limit,
    name = `${options?.unit}-per-${options?.period}`,
    thresholdRatio = 0.8,
    onThreshold,
    now = Date.now,
    ...storeOptions
  } = options ?? ({} as QuotaOptions);
  if (typeof unit !== 'string' || !SHORT_NAME.test(unit)) {
    invalidOption(`unit must be a short name of letters, digits, '.', '_' or '-', got ${unit}`);
  }
  if (period !== 'day' && period !== 'month') {
    invalidOption(`period must be 'day' or 'month', got ${period}`);
  }
  if (typeof limit !== 'function') invalidOption('limit must be a function of the tenant');
  if (typeof name !== 'string' || !SHORT_NAME.test(name)) {
    invalidOption(`name must be a short name of letters, digits, '.', '_' or '-', got ${name}`);
  }
  if (!(thresholdRatio > 0 && thresholdRatio <= 1)) {
    invalidOption(`thresholdRatio must be in (0, 1], got ${thresholdRatio}`);
  }
  if (onThreshold !== undefined && typeof onThreshold !== 'function') {
    invalidOption('onThreshold must be a function');
  }
  if (typeof now !== 'function') invalidOption('now must be a function');
  return Object.freeze({
    ...resolveStoreOptions(storeOptions),
    unit,
    period,
    limit,
    name,
    thresholdRatio,
    onThreshold,
    now,
  });
}

/**
 * Creates a per-tenant budget of a named unit per UTC calendar day or month, e.g. requests or
 * tokens spent on a paid downstream API. Usage is counted atomically in the store (exact across
 * instances with `redisStore()`); `onThreshold` fires once per tenant and period, on the call
 * that first reaches `thresholdRatio` of the budget. Pair it with `quotaLimit()` to charge HTTP
 * requests.
 *
 * @param options.unit - what is counted
 * @param options.period - `'day'` or `'month'` (UTC)
 * @param options.limit - budget per tenant
 * @param [options.store=memoryStore()] - where usage is counted
 * @param [options.name=`${unit}-per-${period}`] - name in keys and logs
 * @param [options.thresholdRatio=0.8] - when `onThreshold` fires
 * @param [options.onThreshold] - alert hook
 * @param [options.now=Date.now] - clock
 * @param [options.storeTimeoutMs=100] - store deadline per call
 * @param [options.failOpen=true] - `quotaLimit()` behaviour on store failure
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` on invalid options
 * @example
 * const tokens = createQuota({
 *   store, unit: 'llm-tokens', period: 'month',
 *   limit: (tenant) => plans.get(tenant)?.monthlyTokens ?? 100_000,
 *   onThreshold: (e) => log.warn(e, 'tenant used 80% of its token budget'),
 * });
 * const state = await tokens.consume('acme', response.usage.total_tokens);
 */
export function createQuota(options: QuotaOptions): Quota {
  const resolved = resolveQuotaOptions(options);
  const {
    store,
    unit,
    period,
    limit,
    name,
    thresholdRatio,
    onThreshold,
    now,
    failOpen,
    logger,
    meterProvider,
  } = resolved;
  const guard = storeGuard(resolved);
  // Points are checked here, not by the counter: budgets differ per tenant.
  const counter: RateLimiterAbstract = store.createCounter({
    keyPrefix: `quota:${name}`,
    points: Number.MAX_SAFE_INTEGER,
    durationSec: 0,
  });
  // Memory timers cannot span a month, so memory keys never expire and a tenant's previous
  // period is deleted when it first shows up in a new one.
  const lastPeriod = store.kind === 'memory' ? new Map<string, string>() : undefined;

  function clock(): number {
    const value = now();
    return value instanceof Date ? value.getTime() : value;
  }

  function budgetOf(tenant: string): number {
    const value = limit(tenant);
    if (!(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 0))) {
      throw new RateLimitError(
        'RATE_LIMIT_INVALID_OPTIONS',
        `quota "${name}": limit(${JSON.stringify(tenant)}) must be a non-negative integer or Infinity, got ${value}`,
      );
    }
    return value;
  }

  function checkTenant(tenant: string): void {
    if (typeof tenant !== 'string' || tenant.length === 0) {
      throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', 'tenant must be a non-empty string');
    }
  }

  function checkAmount(amount: number): void {
    if (!Number.isSafeInteger(amount) || amount < 1) {
      throw new RateLimitError(
        'RATE_LIMIT_INVALID_AMOUNT',
        `quota "${name}": amount must be a positive integer, got ${amount}`,
      );
    }
  }

  function keyOf(tenant: string, window: PeriodWindow, at: number): { key: string; ttl: number } {
    const key = `${tenant}:${window.id}`;
    if (lastPeriod) {
      const previous = lastPeriod.get(tenant);
      if (previous !== window.id) {
        if (previous !== undefined) void counter.delete(`${tenant}:${previous}`).catch(() => {});
        lastPeriod.set(tenant, window.id);
      }
      return { key, ttl: 0 };
    }
    return { key, ttl: Math.ceil((window.end - at) / 1000) + TTL_SLACK_SEC };
  }

  function stateOf(tenant: string, window: PeriodWindow, at: number, used: number): QuotaState {
    const budget = budgetOf(tenant);
    return {
      tenant,
      unit,
      period,
      periodStart: new Date(window.start),
      resetAt: new Date(window.end),
      secondsToReset: Math.ceil((window.end - at) / 1000),
      limit: budget,
      used,
      remaining: Math.max(0, budget - used),
      exceeded: used > budget,
    };
  }

  async function storeCall<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw guard.report(err, name, failOpen);
    }
  }

  async function add(tenant: string, delta: number): Promise<QuotaState> {
    const at = clock();
    const window = periodAt(period, at);
    const { key, ttl } = keyOf(tenant, window, at);
    const { res } = await storeCall(() =>
      guard.call(
        delta > 0
          ? counter.penalty(key, delta, { customDuration: ttl })
          : counter.reward(key, -delta, { customDuration: ttl }),
      ),
    );
    return stateOf(tenant, window, at, res.consumedPoints);
  }

  // The share of the period's budget each tenant used, for dashboards and the quota alert:
  // observed at collection time, so a tenant not seen yet in a new day or month reads 0 (what
  // it used of the new budget), never yesterday's figure.
  const usage = new Map<string, { period: string; ratio: number }>();
  let observing = false;
  function record(state: QuotaState): void {
    if (state.limit === Number.POSITIVE_INFINITY) return;
    const ratio = state.limit === 0 ? 1 : Math.min(1, state.used / state.limit);
    usage.set(state.tenant, { period: periodAt(period, state.periodStart.getTime()).id, ratio });
    if (observing) return;
    observing = true;
    (meterProvider ?? metrics.getMeterProvider())
      .getMeter('@micro-app/rate-limit')
      .createObservableGauge('rate_limit.quota.utilization', {
        description: 'Share of the period budget a tenant used (1 = all of it)',
        unit: '1',
      })
      .addCallback((result) => {
        const current = periodAt(period, clock()).id;
        for (const [tenant, entry] of usage) {
          const ratio = entry.period === current ? entry.ratio : 0;
          result.observe(ratio, { 'rate_limit.quota': name, tenant });
        }
      });
  }

  function maybeNotify(state: QuotaState, amount: number): void {
    if (!onThreshold || state.limit === 0 || state.limit === Number.POSITIVE_INFINITY) return;
    const threshold = state.limit * thresholdRatio;
    const before = state.used - amount;
    // Counters are atomic, so exactly one call sees the threshold between its before and after.
    if (!(before < threshold && state.used >= threshold)) return;
    const event: QuotaThresholdEvent = { ...state, quota: name, ratio: thresholdRatio };
    const warn = (err: unknown) =>
      logger.warn({ err, quota: name, tenant: state.tenant }, 'quota onThreshold hook failed');
    try {
      Promise.resolve(onThreshold(event)).catch(warn);
    } catch (err) {
      warn(err);
    }
  }

  async function status(tenant: string): Promise<QuotaState> {
    checkTenant(tenant);
    const at = clock();
    const window = periodAt(period, at);
    const { key } = keyOf(tenant, window, at);
    const res = await storeCall(() => guard.deadline(counter.get(key)));
    return stateOf(tenant, window, at, res?.consumedPoints ?? 0);
  }

  return {
    name,
    unit,
    period,
    failOpen,
    async consume(tenant, amount = 1) {
      checkTenant(tenant);
      checkAmount(amount);
      const state = await add(tenant, amount);
      record(state);
      maybeNotify(state, amount);
      return state;
    },
    async refund(tenant, amount = 1) {
      checkTenant(tenant);
      checkAmount(amount);
      return add(tenant, -amount);
    },
    remaining: async (tenant) => (await status(tenant)).remaining,
    status,
  };
}
