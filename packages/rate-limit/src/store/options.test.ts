import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { byUser } from '../keys/index.js';
import { resolveQuotaOptions } from '../quota/index.js';
import { resolveRateLimitOptions } from '../rate-limit/index.js';
import { consoleLogger } from './guard.js';
import { memoryStore } from './index.js';
import { resolveStoreOptions, type StoreOptions } from './options.js';

function refusal(resolve: () => unknown): RateLimitError {
  try {
    resolve();
  } catch (err) {
    return err as RateLimitError;
  }
  return expect.unreachable('the options were accepted');
}

const invalidStoreOptions: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a store that is not one', { store: {} }, /^`store`/],
  ['a null store', { store: null }, /^`store`/],
  ['a non-boolean failOpen', { failOpen: 'yes' }, /^`failOpen`/],
  ['a zero store timeout', { storeTimeoutMs: 0 }, /^storeTimeoutMs/],
  ['an infinite store timeout', { storeTimeoutMs: Number.POSITIVE_INFINITY }, /^storeTimeoutMs/],
  ['a logger without warn', { logger: { info() {} } }, /^`logger`/],
];

describe('resolveStoreOptions', () => {
  it('applies the defaults: memory store, fail-open, 100 ms, the console', () => {
    const resolved = resolveStoreOptions({});
    expect(resolved).toEqual({
      store: expect.objectContaining({ kind: 'memory' }),
      failOpen: true,
      storeTimeoutMs: 100,
      logger: consoleLogger,
      onStoreError: undefined,
      meterProvider: undefined,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('keeps what is given, down to a fraction of a millisecond and fail-closed', () => {
    const given: StoreOptions = {
      store: memoryStore(),
      failOpen: false,
      storeTimeoutMs: 0.5,
      logger: { warn() {} },
      onStoreError: () => {},
    };
    expect(resolveStoreOptions(given)).toEqual({ ...given, meterProvider: undefined });
  });

  it.each(invalidStoreOptions)('refuses %s', (_, options, message) => {
    const err = refusal(() => resolveStoreOptions(options as StoreOptions));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('RATE_LIMIT_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });

  // One validation for both factories: each refuses a bad store option with the same message.
  it.each(invalidStoreOptions)(
    'is what rateLimit and createQuota use: both refuse %s',
    (_, options, message) => {
      const policies = [{ name: 'per-user', limit: 1, windowMs: 1000, key: byUser() }];
      const quota = { unit: 'requests', period: 'day', limit: () => 1 } as const;
      for (const resolve of [
        () => resolveRateLimitOptions({ policies, ...options }),
        () => resolveQuotaOptions({ ...quota, ...options }),
      ]) {
        const err = refusal(resolve);
        expect(err.code).toBe('RATE_LIMIT_INVALID_OPTIONS');
        expect(err.message).toMatch(message);
      }
    },
  );
});
