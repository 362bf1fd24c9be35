import type { MeterProvider } from '@opentelemetry/api';
import { RateLimitError } from '../errors.js';
import type { RateLimitLogger, StoreErrorEvent } from '../types.js';
import { consoleLogger, StoreGuard } from './guard.js';
import { memoryStore, type RateLimitStore } from './index.js';

/** The options of `rateLimit()` and `createQuota()` that say how the store is used. */
export interface StoreOptions {
  store?: RateLimitStore | undefined;
  failOpen?: boolean | undefined;
  storeTimeoutMs?: number | undefined;
  logger?: RateLimitLogger | undefined;
  onStoreError?: ((event: StoreErrorEvent) => void) | undefined;
  meterProvider?: MeterProvider | undefined;
}

/** {@link StoreOptions} checked, with every default applied. */
export interface ResolvedStoreOptions {
  readonly store: RateLimitStore;
  readonly failOpen: boolean;
  readonly storeTimeoutMs: number;
  readonly logger: RateLimitLogger;
  readonly onStoreError: ((event: StoreErrorEvent) => void) | undefined;
  readonly meterProvider: MeterProvider | undefined;
}

/** Throws `RATE_LIMIT_INVALID_OPTIONS`; the message names the option. */
export function invalidOption(message: string): never {
  throw new RateLimitError('RATE_LIMIT_INVALID_OPTIONS', message);
}

/**
 * Checks the store options and applies their defaults: `memoryStore()`, fail-open, 100 ms, the
 * console.
 *
 * @throws {RateLimitError} `RATE_LIMIT_INVALID_OPTIONS` naming the first invalid option
 */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  const {
    store = memoryStore(),
    failOpen = true,
    storeTimeoutMs = 100,
    logger = consoleLogger,
    onStoreError,
    meterProvider,
  } = options;
  if (!store || typeof store.createCounter !== 'function') {
    invalidOption('`store` must come from memoryStore() or redisStore()');
  }
  if (typeof failOpen !== 'boolean') invalidOption('`failOpen` must be a boolean');
  if (!Number.isFinite(storeTimeoutMs) || storeTimeoutMs <= 0) {
    invalidOption(`storeTimeoutMs must be a positive number, got ${storeTimeoutMs}`);
  }
  if (typeof logger?.warn !== 'function') invalidOption('`logger` must have a warn method');
  return Object.freeze({ store, failOpen, storeTimeoutMs, logger, onStoreError, meterProvider });
}

/** The guard of every store call a factory makes. */
export function storeGuard(options: ResolvedStoreOptions): StoreGuard {
  return new StoreGuard({
    storeTimeoutMs: options.storeTimeoutMs,
    // Memory counters answer synchronously: a timer per call would only cost.
    timed: options.store.kind !== 'memory',
    logger: options.logger,
    onStoreError: options.onStoreError,
    meterProvider: options.meterProvider,
  });
}
