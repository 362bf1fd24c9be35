import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { consoleLogger } from '../store/guard.js';
import { type QuotaOptions, resolveQuotaOptions } from './index.js';

const limit = () => 10;
const base = { unit: 'requests', period: 'day', limit } as const;

function refusal(options: unknown): RateLimitError {
  try {
    resolveQuotaOptions(options as QuotaOptions);
  } catch (err) {
    return err as RateLimitError;
  }
  return expect.unreachable('the options were accepted');
}

describe('resolveQuotaOptions', () => {
  it('applies every default', () => {
    const resolved = resolveQuotaOptions(base);
    expect(resolved).toEqual({
      unit: 'requests',
      period: 'day',
      limit,
      name: 'requests-per-day',
      thresholdRatio: 0.8,
      onThreshold: undefined,
      now: Date.now,
      store: expect.objectContaining({ kind: 'memory' }),
      failOpen: true,
      storeTimeoutMs: 100,
      logger: consoleLogger,
      onStoreError: undefined,
      meterProvider: undefined,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it.each<[string, Partial<QuotaOptions>, Partial<ReturnType<typeof resolveQuotaOptions>>]>([
    ['a monthly period, named after it', { period: 'month' }, { name: 'requests-per-month' }],
    ['a name of its own', { name: 'llm.tokens_v2' }, { name: 'llm.tokens_v2' }],
    [
      'a unit of 64 characters with a name of its own',
      { unit: 'u'.repeat(64), name: 'long' },
      { unit: 'u'.repeat(64) },
    ],
    ['a threshold at the whole budget', { thresholdRatio: 1 }, { thresholdRatio: 1 }],
    ['a tiny threshold', { thresholdRatio: 0.001 }, { thresholdRatio: 0.001 }],
    ['fail-closed', { failOpen: false }, { failOpen: false }],
  ])('accepts %s', (_, override, expected) => {
    expect(resolveQuotaOptions({ ...base, ...override })).toMatchObject(expected);
  });

  it('keeps the hooks and the clock it is given', () => {
    const onThreshold = () => {};
    const now = () => new Date(0);
    expect(resolveQuotaOptions({ ...base, onThreshold, now })).toMatchObject({ onThreshold, now });
  });

  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /^unit/],
    ['a unit with a space', { ...base, unit: 'has space' }, /^unit/],
    ['a unit of 65 characters', { ...base, unit: 'u'.repeat(65) }, /^unit/],
    [
      'a 64-character unit without a name (the derived one is too long)',
      { ...base, unit: 'u'.repeat(64) },
      /^name/,
    ],
    ['a weekly period', { ...base, period: 'week' }, /^period/],
    ['a limit that is a number', { ...base, limit: 5 }, /^limit/],
    ['a name starting with a dot', { ...base, name: '.hidden' }, /^name/],
    ['a zero threshold', { ...base, thresholdRatio: 0 }, /^thresholdRatio/],
    ['a threshold over the budget', { ...base, thresholdRatio: 1.5 }, /^thresholdRatio/],
    [
      'a threshold that is not a number',
      { ...base, thresholdRatio: Number.NaN },
      /^thresholdRatio/,
    ],
    ['an onThreshold that is not a function', { ...base, onThreshold: 'page' }, /^onThreshold/],
    ['a clock that is not a function', { ...base, now: 0 }, /^now/],
    ['a store that is not one', { ...base, store: {} }, /^`store`/],
  ])('refuses %s with RATE_LIMIT_INVALID_OPTIONS naming it', (_, options, message) => {
    const err = refusal(options);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('RATE_LIMIT_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });
});
