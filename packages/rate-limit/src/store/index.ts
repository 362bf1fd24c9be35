import type { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimitError } from '../errors.js';

/** What a store needs to build one fixed-window counter. */
export interface CounterOptions {
  /** Namespace of the counter's keys inside the store (the store adds its own prefix). */
  keyPrefix: string;
  /** Points admitted per key and window. */
  points: number;
  /** Window length in whole seconds; `0` means keys never expire on their own. */
  durationSec: number;
}

/**
 * Where counters live. Build one with {@link memoryStore} or {@link redisStore} and pass it to
 * `rateLimit()` and `createQuota()`; the counting itself is `rate-limiter-flexible`'s.
 */
export interface RateLimitStore {
  /** `memory`: this process only. `redis`: shared by every instance that uses the same Redis. */
  readonly kind: 'memory' | 'redis';
  /** Builds one counter; called once per policy or quota when the factory is called. */
  createCounter(options: CounterOptions): RateLimiterAbstract;
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client. Create it with `createRedisClient()` (or with `enableOfflineQueue: false`
   * and a small `maxRetriesPerRequest`) so an outage fails fast instead of queueing requests.
   */
  client: Redis;
  /** Prefix of every key this store writes. Default: `'rl:'`. */
  prefix?: string;
}

/**
 * The in-memory store: counters live in this process, exact under concurrency, lost on restart
 * and not shared between instances. The default of `rateLimit()`.
 *
 * @example
 * const store = memoryStore();
 */
export function memoryStore(): RateLimitStore {
  return {
    kind: 'memory',
    createCounter: ({ keyPrefix, points, durationSec }) =>
      new RateLimiterMemory({ keyPrefix, points, duration: durationSec }),
  };
}

/**
 * The Redis store: counters live in Redis and are shared by every instance; each increment is
 * one atomic Lua script, so limits hold exactly across instances. While the client is not
 * connected, calls fail at once (no queueing) and the middleware applies its fail-open or
 * fail-closed policy.
 *
 * @param options.client - the ioredis client (owned by the caller, who also closes it)
 * @param [options.prefix='rl:'] - prefix of every key
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` when no client is given
 * @example
 * const client = createRedisClient(config.REDIS_URL);
 * const store = redisStore({ client, prefix: 'where2eat:rl:' });
 */
export function redisStore(options: RedisStoreOptions): RateLimitStore {
  const { client, prefix = 'rl:' } = options ?? ({} as RedisStoreOptions);
  if (!client || typeof client.defineCommand !== 'function') {
    throw new RateLimitError(
      'RATE_LIMIT_INVALID_OPTIONS',
      'redisStore needs an ioredis client as `client`',
    );
  }
  if (typeof prefix !== 'string') {
    throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', 'redisStore `prefix` must be a string');
  }
  return {
    kind: 'redis',
    createCounter: ({ keyPrefix, points, durationSec }) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}${keyPrefix}`,
        points,
        duration: durationSec,
        rejectIfRedisNotReady: true,
      }),
  };
}
