import type { MeterProvider } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/api';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitError } from '../errors.js';
import type { RateLimitLogger, StoreErrorEvent } from '../types.js';

/** Name of the OpenTelemetry counter of store failures. */
export const STORE_ERRORS_METRIC = 'rate_limit.store.errors';

const METER_NAME = '@micro-app/rate-limit';
const WARN_INTERVAL_MS = 10_000;

/** Options shared by everything that talks to a store. */
export interface StoreGuardOptions {
  storeTimeoutMs: number;
  /** `false` for stores that answer synchronously (memory): no timer is armed. */
  timed: boolean;
  logger: RateLimitLogger;
  onStoreError: ((event: StoreErrorEvent) => void) | undefined;
  meterProvider: MeterProvider | undefined;
}

interface Counter {
  add(value: number, attributes: Record<string, string>): void;
}

/**
 * Races store calls against a timer and reports failures: a warning log (at most one per 10 s,
 * with the number of failures it stands for), the `rate_limit.store.errors` counter and the
 * `onStoreError` hook (for every failure).
 */
export class StoreGuard {
  readonly #options: StoreGuardOptions;
  #counter: Counter | undefined;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(options: StoreGuardOptions) {
    this.#options = options;
  }

  /**
   * Resolves with the store's answer, or rejects with a {@link RateLimitError}: `RATE_LIMIT_STORE_TIMEOUT`
   * after `storeTimeoutMs`, `RATE_LIMIT_STORE_UNAVAILABLE` (with the store's error as `cause`) otherwise.
   */
  async deadline<T>(promise: Promise<T>): Promise<T> {
    if (!this.#options.timed) {
      try {
        return await promise;
      } catch (err) {
        if (err instanceof RateLimitError) throw err;
        throw new RateLimitError('RATE_LIMIT_STORE_UNAVAILABLE', 'rate-limit store failed', {
          cause: err,
        });
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RateLimitError(
              'RATE_LIMIT_STORE_TIMEOUT',
              `rate-limit store did not answer within ${this.#options.storeTimeoutMs} ms`,
            ),
          ),
        this.#options.storeTimeoutMs,
      );
    });
    const settled = promise.catch((err: unknown) => {
      if (err instanceof RateLimitError) throw err;
      throw new RateLimitError('RATE_LIMIT_STORE_UNAVAILABLE', 'rate-limit store failed', {
        cause: err,
      });
    });
    // A late answer after the timeout must not become an unhandled rejection.
    settled.catch(() => {});
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Like {@link deadline} for a counter call; the counter's "limit exceeded" rejection (a
   * `RateLimiterRes`) resolves as `limited: true`.
   */
  call(promise: Promise<RateLimiterRes>): Promise<{ limited: boolean; res: RateLimiterRes }> {
    return this.deadline(
      promise.then(
        (res) => ({ limited: false, res }),
        (err: unknown) => {
          if (err instanceof RateLimiterRes) return { limited: true, res: err };
          throw err;
        },
      ),
    );
  }

  /** Normalises any error into a {@link RateLimitError} and reports it once. */
  report(err: unknown, source: string, failOpen: boolean): RateLimitError {
    const error =
      err instanceof RateLimitError
        ? err
        : new RateLimitError('RATE_LIMIT_STORE_UNAVAILABLE', 'rate-limit store failed', {
            cause: err,
          });
    const errorType = error.code === 'RATE_LIMIT_STORE_TIMEOUT' ? 'timeout' : 'store_error';
    this.#metric().add(1, { 'rate_limit.source': source, 'error.type': errorType });
    const now = Date.now();
    if (now - this.#lastWarnAt >= WARN_INTERVAL_MS) {
      this.#options.logger.warn(
        {
          err: error,
          source,
          code: error.code,
          failOpen,
          suppressed: this.#suppressed,
        },
        failOpen
          ? 'rate-limit store failed; letting requests through (fail-open)'
          : 'rate-limit store failed; rejecting requests (fail-closed)',
      );
      this.#lastWarnAt = now;
      this.#suppressed = 0;
    } else {
      this.#suppressed += 1;
    }
    try {
      this.#options.onStoreError?.({ error, source, failOpen });
    } catch {
      // A failing hook must not turn a degraded store into failed requests.
    }
    return error;
  }

  #metric(): Counter {
    // Resolved on first failure, so a meter provider registered after the factory call counts.
    this.#counter ??= (this.#options.meterProvider ?? metrics.getMeterProvider())
      .getMeter(METER_NAME)
      .createCounter(STORE_ERRORS_METRIC, {
        description: 'Rate-limit and quota store calls that failed or timed out.',
        unit: '{error}',
      });
    return this.#counter;
  }
}

/** A logger that writes warnings to the console; used when no `logger` is given. */
export const consoleLogger: RateLimitLogger = {
  warn(obj, msg) {
    console.warn(msg ?? 'rate-limit warning', obj);
  },
};
