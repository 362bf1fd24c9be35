import { problemResponse } from '@micro-app/problem';
import type { MeterProvider } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import {
  ceilSeconds,
  limitItem,
  POLICY_NAME,
  policyItem,
  RATELIMIT_HEADER,
  RATELIMIT_POLICY_HEADER,
} from '../headers.js';
import { RATE_LIMIT_UNAVAILABLE_TYPE, RATE_LIMITED_TYPE } from '../problem.js';
import type { RateLimitStore } from '../store/index.js';
import {
  invalidOption,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  storeGuard,
} from '../store/options.js';
import type { RateLimitLogger, RateLimitPolicy, StoreErrorEvent } from '../types.js';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** The policies to enforce; every policy whose key applies is charged one point per request. */
  policies: readonly RateLimitPolicy[];
  /** Where counters live. Default: `memoryStore()` (this process only). */
  store?: RateLimitStore;
  /**
   * When the store fails or times out: `true` lets the request through (and logs a warning,
   * counts `rate_limit.store.errors`, calls `onStoreError`); `false` answers 503. Default: `true`.
   */
  failOpen?: boolean;
  /** Longest wait for the store per request before it counts as failed. Default: `100`. */
  storeTimeoutMs?: number;
  /** Receives a warning when the store fails (at most one per 10 s). Default: the console. */
  logger?: RateLimitLogger;
  /** Called on every store failure, e.g. to feed a metric of your own. Default: none. */
  onStoreError?: (event: StoreErrorEvent) => void;
  /** Meter provider for the `rate_limit.store.errors` counter. Default: the global one. */
  meterProvider?: MeterProvider;
}

/** Longest window: keeps every store's timers within their range. */
const MAX_WINDOW_MS = 24 * 86_400_000;

interface Entry {
  policy: RateLimitPolicy;
  counter: RateLimiterAbstract;
  policyItem: string;
}

type Outcome =
  | { entry: Entry; key: string; state: 'admitted' | 'limited'; res: RateLimiterRes }
  | { entry: Entry; key: string; state: 'failed' };

/** {@link RateLimitOptions} checked, with every default applied. */
export interface ResolvedRateLimitOptions extends ResolvedStoreOptions {
  readonly policies: readonly RateLimitPolicy[];
}

function validatePolicies(policies: readonly RateLimitPolicy[]): void {
  if (!Array.isArray(policies) || policies.length === 0) {
    invalidOption('rateLimit needs at least one policy in `policies`');
  }
  const names = new Set<string>();
  for (const policy of policies) {
    const { name, limit, windowMs, key } = policy ?? ({} as RateLimitPolicy);
    if (typeof name !== 'string' || !POLICY_NAME.test(name)) {
      invalidOption(`policy name ${JSON.stringify(name)} must match ${POLICY_NAME}`);
    }
    if (names.has(name)) invalidOption(`policy name "${name}" is used twice`);
    names.add(name);
    if (!Number.isInteger(limit) || limit < 1) {
      invalidOption(`policy "${name}": limit must be a positive integer, got ${limit}`);
    }
    if (
      !Number.isInteger(windowMs) ||
      windowMs < 1000 ||
      windowMs % 1000 !== 0 ||
      windowMs > MAX_WINDOW_MS
    ) {
      invalidOption(
        `policy "${name}": windowMs must be a whole number of seconds from 1000 to ${MAX_WINDOW_MS}, got ${windowMs}`,
      );
    }
    if (typeof key !== 'function') invalidOption(`policy "${name}": key must be a function`);
  }
}

/**
 * Checks the options of {@link rateLimit} and applies their defaults, without building anything.
 *
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` naming the first invalid option
 */
export function resolveRateLimitOptions(options: RateLimitOptions): ResolvedRateLimitOptions {
  const { policies, ...storeOptions } = options ?? ({} as RateLimitOptions);
  validatePolicies(policies);
  // A copy, so a caller mutating its array later cannot change what is enforced.
  return Object.freeze({
    ...resolveStoreOptions(storeOptions),
    policies: Object.freeze([...policies]),
  });
}

/**
 * Rate-limit middleware for Hono. Each request is charged one point in every policy whose `key`
 * returns a bucket; if any policy is over its limit the request is answered `429` with an RFC
 * 9457 body (`type: urn:problem-type:rate-limited`) and `Retry-After`, and the points it took from
 * the other policies are given back. Every response of a limited route carries `RateLimit-Policy`
 * and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers-10). Counting is
 * `rate-limiter-flexible`'s fixed window, atomic in memory and in Redis.
 *
 * @param options.policies - `{ name, limit, windowMs, key }` each; use `byUser()`, `byTenant()`,
 *   `byApiKey()` or `byIp()` as keys, or a function of your own
 * @param [options.store=memoryStore()] - `memoryStore()` or `redisStore({ client })`
 * @param [options.failOpen=true] - let requests through when the store fails
 * @param [options.storeTimeoutMs=100] - store deadline per request
 * @param [options.logger=console] - warning sink for store failures
 * @param [options.onStoreError] - hook called on every store failure
 * @param [options.meterProvider=global] - provider of the `rate_limit.store.errors` counter
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` when a policy or option is invalid
 * @example
 * app.use('/v1/*', rateLimit({
 *   store: redisStore({ client }),
 *   policies: [
 *     { name: 'per-user', limit: 100, windowMs: 60_000, key: byUser() },
 *     { name: 'per-tenant', limit: 1000, windowMs: 60_000, key: byTenant() },
 *   ],
 * }));
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const resolved = resolveRateLimitOptions(options);
  const { policies, store, failOpen } = resolved;
  const guard = storeGuard(resolved);
  const entries: Entry[] = policies.map((policy) => ({
    policy,
    counter: store.createCounter({
      keyPrefix: policy.name,
      points: policy.limit,
      durationSec: policy.windowMs / 1000,
    }),
    policyItem: policyItem(policy.name, policy.limit, policy.windowMs / 1000),
  }));

  async function charge(entry: Entry, key: string): Promise<Outcome> {
    try {
      const { limited, res } = await guard.call(entry.counter.consume(key, 1));
      return { entry, key, state: limited ? 'limited' : 'admitted', res };
    } catch (err) {
      guard.report(err, entry.policy.name, failOpen);
      return { entry, key, state: 'failed' };
    }
  }

  async function refund(outcomes: Outcome[]): Promise<void> {
    await Promise.all(
      outcomes
        .filter((o) => o.state === 'admitted')
        .map(async (o) => {
          try {
            await guard.call(o.entry.counter.reward(o.key, 1));
          } catch {
            // Best effort: a lost refund only over-counts until the window ends.
          }
        }),
    );
  }

  return async function rateLimitMiddleware(c, next) {
    const charges: Array<Promise<Outcome>> = [];
    for (const entry of entries) {
      const found = entry.policy.key(c);
      const key = found instanceof Promise ? await found : found;
      if (key !== undefined) charges.push(charge(entry, key));
    }
    if (charges.length === 0) return next();
    const outcomes = await Promise.all(charges);

    const counted = outcomes.filter((o) => o.state !== 'failed');
    const limited = counted.filter((o) => o.state === 'limited');
    // On a rejected request the admitted policies get their point back: report that.
    const giveBack = limited.length > 0 || (!failOpen && counted.length < outcomes.length) ? 1 : 0;
    const headers: Record<string, string> = {};
    if (counted.length > 0) {
      headers[RATELIMIT_POLICY_HEADER] = counted.map((o) => o.entry.policyItem).join(', ');
      headers[RATELIMIT_HEADER] = counted
        .map((o) =>
          limitItem(
            o.entry.policy.name,
            o.state === 'limited'
              ? 0
              : Math.min(o.entry.policy.limit, o.res.remainingPoints + giveBack),
            ceilSeconds(o.res.msBeforeNext),
          ),
        )
        .join(', ');
    }

    if (!failOpen && counted.length < outcomes.length) {
      await refund(outcomes);
      return problemResponse(
        c,
        {
          type: RATE_LIMIT_UNAVAILABLE_TYPE,
          title: 'Rate limit unavailable',
          status: 503,
          detail: 'The rate-limit store is unavailable; try again shortly.',
        },
        { 'Retry-After': '1' },
      );
    }

    if (limited.length > 0) {
      await refund(outcomes);
      const retryAfter = Math.max(1, ...limited.map((o) => ceilSeconds(o.res.msBeforeNext)));
      const names = limited.map((o) => `"${o.entry.policy.name}"`).join(', ');
      return problemResponse(
        c,
        {
          type: RATE_LIMITED_TYPE,
          title: 'Too many requests',
          status: 429,
          detail: `Rate limit ${names} exceeded; retry in ${retryAfter} s.`,
          policies: limited.map((o) => o.entry.policy.name),
        },
        { ...headers, 'Retry-After': String(retryAfter) },
      );
    }

    await next();
    appendHeaders(c, headers);
  };
}

/**
 * Appends to the response's own headers; appending keeps the items of another rateLimit()
 * further in (one list, RFC 9651). `c.header()` after `next()` would rebuild the response around
 * its body stream, which costs @hono/node-server its fast path for every response; only a
 * response with immutable headers (a `Response.redirect()`, a proxied `fetch()`) needs that.
 */
function appendHeaders(c: Context, headers: Record<string, string>): void {
  const entries = Object.entries(headers);
  try {
    for (const [name, value] of entries) c.res.headers.append(name, value);
  } catch {
    for (const [name, value] of entries) c.header(name, value, { append: true });
  }
}
