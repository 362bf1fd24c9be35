import { describe, expect, it, vi } from 'vitest';
import { AuthError } from '../errors.js';
import { stderrLogger } from '../logger.js';
import { DEFAULT_ALGORITHMS, type JwtAuthOptions, resolveJwtAuthOptions } from './options.js';

const base = {
  issuer: 'https://id.example.com',
  audience: 'api',
  jwksUri: 'https://id.example.com/jwks',
};

function thrown(options: unknown): AuthError {
  try {
    resolveJwtAuthOptions(options as JwtAuthOptions);
  } catch (err) {
    return err as AuthError;
  }
  return expect.unreachable('the options were accepted');
}

describe('resolveJwtAuthOptions', () => {
  it('applies every default', () => {
    expect(resolveJwtAuthOptions(base)).toEqual({
      issuer: ['https://id.example.com'],
      audience: ['api'],
      keys: { kind: 'jwksUri', url: new URL('https://id.example.com/jwks') },
      algorithms: [...DEFAULT_ALGORITHMS],
      clockToleranceSeconds: 5,
      maxTokenBytes: 8192,
      requiredClaims: ['exp', 'sub'],
      typ: undefined,
      maxTokenAgeSeconds: undefined,
      tenantClaim: 'tenant',
      rolesClaim: 'roles',
      scopeClaims: ['scope', 'scp'],
      tokenCacheMaxEntries: 10_000,
      jwksTimeoutMs: 5_000,
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      fetch: undefined,
      realm: undefined,
      logger: stderrLogger,
    });
  });

  it('returns a frozen object that later changes to the options cannot reach', () => {
    const issuer = ['https://a.example', 'https://b.example'];
    const resolved = resolveJwtAuthOptions({ ...base, issuer });
    issuer.push('https://evil.example');
    expect(resolved.issuer).toEqual(['https://a.example', 'https://b.example']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.issuer)).toBe(true);
    expect(Object.isFrozen(resolved.keys)).toBe(true);
  });

  it('does no I/O, whatever the key source', () => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    resolveJwtAuthOptions({ ...base, fetch });
    resolveJwtAuthOptions({ ...base, jwksUri: undefined, fetch });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('takes the keys from jwks, jwksUri or the issuer discovery document', () => {
    const jwks = { keys: [] };
    expect(resolveJwtAuthOptions({ ...base, jwksUri: undefined, jwks }).keys).toEqual({
      kind: 'jwks',
      jwks,
    });
    expect(resolveJwtAuthOptions({ ...base, jwksUri: new URL('http://idp:8080/k') }).keys).toEqual({
      kind: 'jwksUri',
      url: new URL('http://idp:8080/k'),
    });
    expect(resolveJwtAuthOptions({ ...base, jwksUri: undefined }).keys).toEqual({
      kind: 'discovery',
      issuer: 'https://id.example.com',
    });
  });

  it.each<[string, Partial<JwtAuthOptions>, Partial<ReturnType<typeof resolveJwtAuthOptions>>]>([
    [
      'several issuers and audiences',
      { issuer: ['https://a', 'https://b'], audience: ['x', 'y'] },
      { issuer: ['https://a', 'https://b'], audience: ['x', 'y'] },
    ],
    ['one algorithm', { algorithms: ['EdDSA'] }, { algorithms: ['EdDSA'] }],
    [
      'zero durations and sizes',
      {
        clockToleranceSeconds: 0,
        maxTokenBytes: 0,
        jwksTimeoutMs: 0,
        jwksCooldownMs: 0,
        jwksCacheMaxAgeMs: 0,
        maxTokenAgeSeconds: 0,
      },
      {
        clockToleranceSeconds: 0,
        maxTokenBytes: 0,
        jwksTimeoutMs: 0,
        jwksCooldownMs: 0,
        jwksCacheMaxAgeMs: 0,
        maxTokenAgeSeconds: 0,
      },
    ],
    [
      'required claims, once each with exp and sub',
      { requiredClaims: ['sub', 'tenant', 'tenant'] },
      { requiredClaims: ['exp', 'sub', 'tenant'] },
    ],
    ['a typ', { typ: 'at+jwt' }, { typ: 'at+jwt' }],
    ['the cache turned off', { tokenCache: false }, { tokenCacheMaxEntries: 0 }],
    ['an empty cache', { tokenCache: { maxEntries: 0 } }, { tokenCacheMaxEntries: 0 }],
    ['a cache with the default size', { tokenCache: {} }, { tokenCacheMaxEntries: 10_000 }],
    [
      'a realm with quotes (dropped from the challenge later)',
      { realm: 'the "api"' },
      { realm: 'the "api"' },
    ],
    [
      'claim paths',
      { tenantClaim: ['org', 'id'], rolesClaim: 'groups', scopeClaims: ['scp'] },
      { tenantClaim: ['org', 'id'], rolesClaim: 'groups', scopeClaims: ['scp'] },
    ],
  ])('accepts %s', (_, override, expected) => {
    expect(resolveJwtAuthOptions({ ...base, ...override })).toMatchObject(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /options are required/],
    ['no issuer', { ...base, issuer: undefined }, /^issuer/],
    ['an empty issuer', { ...base, issuer: '' }, /^issuer/],
    ['an empty audience list', { ...base, audience: [] }, /^audience/],
    ['an audience list with an empty name', { ...base, audience: ['api', ''] }, /^audience/],
    [
      'a negative clock tolerance',
      { ...base, clockToleranceSeconds: -1 },
      /^clockToleranceSeconds/,
    ],
    ['a fractional token size', { ...base, maxTokenBytes: 1.5 }, /^maxTokenBytes/],
    ['a fractional JWKS timeout', { ...base, jwksTimeoutMs: 0.5 }, /^jwksTimeoutMs/],
    [
      'an infinite cooldown',
      { ...base, jwksCooldownMs: Number.POSITIVE_INFINITY },
      /^jwksCooldownMs/,
    ],
    ['a negative JWKS cache age', { ...base, jwksCacheMaxAgeMs: -1 }, /^jwksCacheMaxAgeMs/],
    [
      'a token age that is not a number',
      { ...base, maxTokenAgeSeconds: Number.NaN },
      /^maxTokenAgeSeconds/,
    ],
    ['an empty typ', { ...base, typ: '' }, /^typ/],
    ['a logger without warn', { ...base, logger: { info() {}, error() {} } }, /^logger/],
    ['jwks and jwksUri together', { ...base, jwks: { keys: [] } }, /jwksUri or jwks/],
    [
      'discovery with several issuers',
      { ...base, jwksUri: undefined, issuer: ['https://a', 'https://b'] },
      /issuer must be one URL/,
    ],
    [
      'discovery from an issuer that is not a URL',
      { ...base, jwksUri: undefined, issuer: 'acme' },
      /issuer must be one URL/,
    ],
    ['a realm outside printable ASCII', { ...base, realm: 'caf\u00e9' }, /^realm/],
    ['a realm that is not a string', { ...base, realm: 42 }, /^realm/],
    ['a token cache that is not an object', { ...base, tokenCache: null }, /^tokenCache/],
    [
      'a fractional cache size',
      { ...base, tokenCache: { maxEntries: 1.5 } },
      /^tokenCache\.maxEntries/,
    ],
    [
      'a malformed local key set',
      { ...base, jwksUri: undefined, jwks: { keys: 'nope' } },
      /^jwks is not/,
    ],
    ['a non-http jwksUri', { ...base, jwksUri: 'file:///etc/keys.json' }, /^jwksUri/],
    ['no algorithms', { ...base, algorithms: [] }, /^algorithms/],
    ['an HMAC algorithm', { ...base, algorithms: ['ES256', 'HS256'] }, /"HS256" is not allowed/],
    ['alg none', { ...base, algorithms: ['none'] }, /"none" is not allowed/],
  ])('refuses %s with AUTH_INVALID_OPTIONS naming the option', (_, options, message) => {
    const err = thrown(options);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('AUTH_INVALID_OPTIONS');
    expect(err.message).toMatch(message);
  });
});
