import { describe, expect, it } from 'vitest';
import type { Principal } from '../types.js';
import { TokenCache } from './token-cache.js';

const principal = (sub: string): Principal =>
  Object.freeze({
    sub,
    tenant: undefined,
    roles: [],
    scopes: [],
    clientId: undefined,
    claims: { sub },
  });

describe('TokenCache', () => {
  it('never holds more than maxEntries, evicting the oldest first', () => {
    const cache = new TokenCache(3);
    for (let i = 0; i < 10; i++) {
      cache.set(`t${i}`, principal(`u${i}`), 10_000, cache.generation, 0);
      expect(cache.size).toBeLessThanOrEqual(3);
    }
    expect(cache.get('t0', 1)).toBeUndefined();
    expect(cache.get('t6', 1)).toBeUndefined();
    expect(cache.get('t9', 1)?.sub).toBe('u9');
    expect(cache.get('t7', 1)?.sub).toBe('u7');
  });

  it('evicts expired entries before live ones when full', () => {
    const cache = new TokenCache(2);
    cache.set('live', principal('a'), 10_000, 0, 0);
    cache.set('short', principal('b'), 100, 0, 0);
    cache.set('new', principal('c'), 10_000, 0, 500);
    expect(cache.get('live', 600)?.sub).toBe('a');
    expect(cache.get('new', 600)?.sub).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('serves an entry only before its expiry and drops it afterwards', () => {
    const cache = new TokenCache(10);
    cache.set('t', principal('a'), 1_000, 0, 0);
    expect(cache.get('t', 999)?.sub).toBe('a');
    expect(cache.get('t', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses entries already expired or verified with a previous key set', () => {
    const cache = new TokenCache(10);
    cache.set('expired', principal('a'), 1_000, 0, 1_000);
    const before = cache.generation;
    cache.clear();
    cache.set('stale', principal('b'), 10_000, before, 0);
    expect(cache.size).toBe(0);
    cache.set('ok', principal('c'), 10_000, cache.generation, 0);
    expect(cache.get('ok', 1)?.sub).toBe('c');
  });

  it('forgets everything on clear', () => {
    const cache = new TokenCache(10);
    cache.set('t', principal('a'), 10_000, 0, 0);
    cache.clear();
    expect(cache.get('t', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
