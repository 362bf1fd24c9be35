import { describe, expect, it } from 'vitest';
import { RateLimitError } from '../errors.js';
import { byTenant, byUser } from '../keys/index.js';
import { consoleLogger } from '../store/guard.js';
import type { RateLimitPolicy } from '../types.js';
import { type RateLimitOptions, resolveRateLimitOptions } from './index.js';

const perUser: RateLimitPolicy = { name: 'per-user', limit: 100, windowMs: 60_000, key: byUser() };

function refusal(options: unknown): RateLimitError {
  try {
    resolveRateLimitOptions(options as RateLimitOptions);
  } catch (err) {
    return err as RateLimitError;
  }
  return expect.unreachable('the options were accepted');
}

describe('resolveRateLimitOptions', () => {
  it('applies the store defaults and keeps the policies', () => {
    expect(resolveRateLimitOptions({ policies: [perUser] })).toEqual({
      policies: [perUser],
      store: expect.objectContaining({ kind: 'memory' }),
      failOpen: true,
      storeTimeoutMs: 100,
      logger: consoleLogger,
      onStoreError: undefined,
      meterProvider: undefined,
    });
  });

  it('copies and freezes the policy list, so later changes to it are not enforced', () => {
    const policies = [perUser];
    const resolved = resolveRateLimitOptions({ policies });
    policies.push({ ...perUser, name: 'late' });
    expect(resolved.policies.map((p) => p.name)).toEqual(['per-user']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.policies)).toBe(true);
  });

  it.each<[string, Partial<RateLimitPolicy>]>([
    ['a limit of one', { limit: 1 }],
    ['the shortest window', { windowMs: 1000 }],
    ['the longest window (24 days)', { windowMs: 24 * 86_400_000 }],
    ['a name of every allowed character', { name: 'a-b_c.D9' }],
  ])('accepts %s', (_, override) => {
    const policy = { ...perUser, ...override };
    expect(resolveRateLimitOptions({ policies: [policy] }).policies).toEqual([policy]);
  });

  it('accepts several policies with distinct names', () => {
    const perTenant = { name: 'per-tenant', limit: 1000, windowMs: 60_000, key: byTenant() };
    expect(resolveRateLimitOptions({ policies: [perUser, perTenant] }).policies).toHaveLength(2);
  });

  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /at least one policy/],
    ['no policies', { policies: [] }, /at least one policy/],
    ['policies that are not a list', { policies: perUser }, /at least one policy/],
    ['a policy that is not an object', { policies: [null] }, /policy name undefined/],
    [
      'a name that would break the header',
      { policies: [{ ...perUser, name: 'a"b' }] },
      /policy name "a\\"b"/,
    ],
    ['a duplicate name', { policies: [perUser, perUser] }, /used twice/],
    ['a zero limit', { policies: [{ ...perUser, limit: 0 }] }, /limit must be a positive integer/],
    [
      'a fractional limit',
      { policies: [{ ...perUser, limit: 1.5 }] },
      /limit must be a positive integer/,
    ],
    ['a window under a second', { policies: [{ ...perUser, windowMs: 999 }] }, /windowMs/],
    [
      'a window that is not whole seconds',
      { policies: [{ ...perUser, windowMs: 1500 }] },
      /windowMs/,
    ],
    [
      'a window past 24 days',
      { policies: [{ ...perUser, windowMs: 25 * 86_400_000 }] },
      /windowMs/,
    ],
    [
      'a missing key function',
      { policies: [{ ...perUser, key: 'user' }] },
      /key must be a function/,
    ],
    [
      'a bad store option after good policies',
      { policies: [perUser], storeTimeoutMs: -1 },
      /storeTimeoutMs/,
    ],
  ])('refuses %s with RATE_LIMIT_INVALID_OPTIONS naming it', (_, options, message) => {
    const err = refusal(options);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('RATE_LIMIT_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });
});
