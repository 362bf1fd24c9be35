import type { RedisOptions } from 'ioredis';
import { Redis } from 'ioredis';

/**
 * Defaults of {@link createRedisClient}: fail fast while disconnected, reconnect in the
 * background with a capped backoff.
 */
export const REDIS_CLIENT_DEFAULTS: Readonly<RedisOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 1_000,
  retryStrategy: (times: number) => Math.min(times * 100, 2_000),
});

/**
 * Creates an ioredis client suited to rate limiting: commands fail at once while the connection
 * is down (`enableOfflineQueue: false`), at most one retry per command, a 1 s command timeout and
 * reconnection every 0.1–2 s. The client starts connecting at once; the caller owns it and calls
 * `quit()` at shutdown.
 *
 * @param url - a `redis://` or `rediss://` URL
 * @param [options] - ioredis options that override the defaults above
 * @example
 * const client = createRedisClient('redis://127.0.0.1:6379');
 * // at shutdown (e.g. in serveGracefully's onShutdown): await client.quit();
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { ...REDIS_CLIENT_DEFAULTS, ...options });
}
