import { problemResponse } from '@micro-app/problem';
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimitError } from '../errors.js';
import { QUOTA_EXHAUSTED_TYPE, RATE_LIMIT_UNAVAILABLE_TYPE } from '../problem.js';
import type { PrincipalLike } from '../types.js';
import type { Quota } from './index.js';

/** Options of {@link quotaLimit}. */
export interface QuotaLimitOptions {
  /** The tenant a request is charged to; `undefined` skips the charge. Default: `c.var.principal.tenant`. */
  // biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
  tenant?: (c: Context<any>) => string | undefined;
  /** Units charged per request: a positive integer. Default: `1`. */
  cost?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: works with any app's Env
function principalTenant(c: Context<any>): string | undefined {
  const principal = c.get('principal') as PrincipalLike | undefined;
  const tenant = principal && typeof principal === 'object' ? principal.tenant : undefined;
  return typeof tenant === 'string' && tenant.length > 0 ? tenant : undefined;
}

/**
 * Charges each request to its tenant's quota. When the budget is used up the request is not
 * counted and is answered `429` with an RFC 9457 body (`type: urn:problem-type:quota-exhausted`)
 * and `Retry-After` set to the start of the next period. When the store fails, the quota's
 * `failOpen` decides: let the request through, or answer `503`.
 *
 * @param quota - from `createQuota()`
 * @param [options.tenant] - tenant of a request (principal's tenant by default)
 * @param [options.cost=1] - units per request
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` on invalid options
 * @example
 * const daily = createQuota({ store, unit: 'requests', period: 'day', limit: () => 10_000 });
 * app.use('/v1/*', quotaLimit(daily));
 */
export function quotaLimit(quota: Quota, options: QuotaLimitOptions = {}): MiddlewareHandler {
  const { tenant = principalTenant, cost = 1 } = options;
  if (!quota || typeof quota.consume !== 'function') {
    throw new RateLimitError(
      'RATE_LIMIT_INVALID_OPTIONS',
      'quotaLimit needs a quota from createQuota()',
    );
  }
  if (typeof tenant !== 'function') {
    throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', '`tenant` must be a function');
  }
  if (!Number.isSafeInteger(cost) || cost < 1) {
    throw new RateLimitError(
      'RATE_LIMIT_INVALID_OPTIONS',
      `cost must be a positive integer, got ${cost}`,
    );
  }

  return async function quotaLimitMiddleware(c, next) {
    const who = tenant(c);
    if (who === undefined) return next();
    let state: Awaited<ReturnType<Quota['consume']>>;
    try {
      state = await quota.consume(who, cost);
    } catch (err) {
      const storeFailure =
        err instanceof RateLimitError &&
        (err.code === 'RATE_LIMIT_STORE_UNAVAILABLE' || err.code === 'RATE_LIMIT_STORE_TIMEOUT');
      if (!storeFailure) throw err;
      if (quota.failOpen) return next();
      return problemResponse(
        c,
        {
          type: RATE_LIMIT_UNAVAILABLE_TYPE,
          title: 'Rate limit unavailable',
          status: 503,
          detail: 'The quota store is unavailable; try again shortly.',
        },
        { 'Retry-After': '1' },
      );
    }
    if (state.exceeded) {
      try {
        await quota.refund(who, cost);
      } catch {
        // Best effort: the overrun is only visible in `used`, never in admissions.
      }
      const retryAfter = Math.max(1, state.secondsToReset);
      return problemResponse(
        c,
        {
          type: QUOTA_EXHAUSTED_TYPE,
          title: 'Quota exhausted',
          status: 429,
          detail: `The ${quota.period === 'day' ? 'daily' : 'monthly'} ${quota.unit} quota of ${state.limit} is used up; it resets at ${state.resetAt.toISOString()}.`,
          quota: quota.name,
          resetAt: state.resetAt.toISOString(),
        },
        { 'Retry-After': String(retryAfter) },
      );
    }
    return next();
  };
}
