import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../errors.js';
import { recordingLogger, startTestIssuer, type TestIssuer } from '../test/issuer.js';
import type { AuthVariables } from '../types.js';
import { type JwtAuthOptions, jwtAuth } from './index.js';

let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  idp.setDown(false);
});

function setup(options: Partial<JwtAuthOptions> = {}) {
  const logger = recordingLogger();
  const calls = { handler: 0 };
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use(
    '/api/*',
    jwtAuth({
      issuer: idp.issuer,
      audience: idp.audience,
      jwksUri: idp.jwksUri,
      logger,
      ...options,
    }),
  );
  app.get('/api/me', (c) => {
    calls.handler++;
    const { principal } = c.var;
    return c.json({ ...principal, frozen: Object.isFrozen(principal) });
  });
  const get = (token: string) =>
    app.request('/api/me', { headers: { Authorization: `Bearer ${token}` } });
  return { app, logger, calls, get };
}

function deniedReasons(logger: ReturnType<typeof recordingLogger>): unknown[] {
  return logger.entries.filter((e) => e.obj.event === 'auth.denied').map((e) => e.obj.reason);
}

describe('jwtAuth principal', () => {
  it('puts sub, tenant, roles, scopes, client id and claims on c.var.principal', async () => {
    const { get, calls } = setup();
    const token = await idp.sign({
      tenant: 'acme',
      roles: ['member', 'admin'],
      scope: 'read write',
      client_id: 'web',
    });
    const res = await get(token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { claims: unknown };
    expect(body).toMatchObject({
      sub: 'alice',
      tenant: 'acme',
      roles: ['member', 'admin'],
      scopes: ['read', 'write'],
      clientId: 'web',
      frozen: true,
    });
    expect(body.claims).toMatchObject({ iss: idp.issuer, aud: 'where2eat', tenant: 'acme' });
    expect(calls.handler).toBe(1);
  });

  it('maps claim names and nested paths (Keycloak/Entra shapes)', async () => {
    const { get } = setup({
      tenantClaim: 'tid',
      rolesClaim: ['realm_access', 'roles'],
      scopeClaims: ['scp'],
    });
    const token = await idp.sign({
      tid: 'globex',
      realm_access: { roles: ['admin'] },
      scp: ['groups:read', 'groups:write'],
      scope: 'ignored',
      azp: 'spa',
    });
    const body = await (await get(token)).json();
    expect(body).toMatchObject({
      sub: 'alice',
      tenant: 'globex',
      roles: ['admin'],
      scopes: ['groups:read', 'groups:write'],
      clientId: 'spa',
    });
  });

  it('gives empty roles and scopes and no tenant when the claims are absent or malformed', async () => {
    const { get } = setup();
    const body = await (await get(await idp.sign({ tenant: 42, roles: 'x y', scp: 'a' }))).json();
    expect(body).toMatchObject({ roles: ['x', 'y'], scopes: ['a'] });
    expect(body).not.toHaveProperty('tenant');
    const bare = await (await get(await idp.sign())).json();
    expect(bare).toMatchObject({ roles: [], scopes: [] });
    expect(bare).not.toHaveProperty('tenant');
  });

  it('verifies against a local key set given in the options', async () => {
    const { get, calls } = setup({ jwksUri: undefined, jwks: { keys: [idp.key.publicJwk] } });
    expect((await get(await idp.sign())).status).toBe(200);
    const other = await idp.addKey({ publish: false });
    expect((await get(await idp.sign({}, { key: other }))).status).toBe(401);
    expect(calls.handler).toBe(1);
  });

  it('checks typ when asked to', async () => {
    const { get, logger } = setup({ typ: 'at+jwt' });
    expect((await get(await idp.sign())).status).toBe(200);
    expect((await get(await idp.sign({}, { header: { typ: 'JWT' } }))).status).toBe(401);
    expect(deniedReasons(logger)).toEqual(['type_mismatch']);
  });

  it('refuses a token with typ JWT or no typ when at+jwt is required, with an invalid_token challenge', async () => {
    const { get, logger, calls } = setup({ typ: 'at+jwt' });
    const jwtTyp = await get(await idp.sign({}, { header: { typ: 'JWT' } }));
    expect(jwtTyp.status).toBe(401);
    expect(jwtTyp.headers.get('Content-Type')).toBe('application/problem+json');
    expect(jwtTyp.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect((await get(await idp.sign({}, { header: { typ: undefined } }))).status).toBe(401);
    // jose compares media types: an application/ prefix and the case do not matter.
    expect((await get(await idp.sign({}, { header: { typ: 'application/AT+JWT' } }))).status).toBe(
      200,
    );
    expect(calls.handler).toBe(1);
    expect(deniedReasons(logger)).toEqual(['type_mismatch', 'type_mismatch']);
  });

  it('accepts any typ when typ is not set', async () => {
    const { get } = setup();
    expect((await get(await idp.sign({}, { header: { typ: 'JWT' } }))).status).toBe(200);
  });
});

describe('jwtAuth maxTokenAgeSeconds', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a token issued longer ago than the maximum age, though exp is in the future', async () => {
    const { get, logger, calls } = setup({ maxTokenAgeSeconds: 600 });
    const old = await idp.sign({ iat: now() - 3_600 }, { expiresIn: 3_600 });
    const res = await get(old);
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect(((await res.json()) as { type: string }).type).toBe('urn:problem-type:unauthorized');
    expect((await get(await idp.sign({ iat: now() - 60 }))).status).toBe(200);
    expect(calls.handler).toBe(1);
    expect(deniedReasons(logger)).toEqual(['token_too_old']);
  });

  it('requires iat when a maximum age is set', async () => {
    const { get, logger } = setup({ maxTokenAgeSeconds: 600 });
    expect((await get(await idp.sign({ iat: undefined }))).status).toBe(401);
    expect(deniedReasons(logger)).toEqual(['claim_missing']);
    // Without the option the same token passes: only exp is checked.
    expect((await setup().get(await idp.sign({ iat: undefined }))).status).toBe(200);
  });

  it('never serves a cached token past the maximum age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { get, calls, logger } = setup({ maxTokenAgeSeconds: 10, clockToleranceSeconds: 0 });
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const token = await idp.sign({}, { expiresIn: 3_600 });
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    vi.setSystemTime(t0 + 12_000);
    expect((await get(token)).status).toBe(401);
    expect(calls.handler).toBe(2);
    expect(deniedReasons(logger)).toEqual(['token_too_old']);
  });
});

describe('jwtAuth keys over HTTP', () => {
  it('keeps accepting old tokens while their key is published, accepts new ones after rotation', async () => {
    const rotating = await startTestIssuer();
    try {
      const verify = vi.spyOn(crypto.subtle, 'verify');
      const app = new Hono<{ Variables: AuthVariables }>();
      const logger = recordingLogger();
      app.use(
        '*',
        jwtAuth({
          issuer: rotating.issuer,
          audience: 'where2eat',
          jwksUri: rotating.jwksUri,
          jwksCooldownMs: 0,
          logger,
        }),
      );
      app.get('/', (c) => c.text(c.var.principal.sub));
      const get = (token: string) =>
        app.request('/', { headers: { Authorization: `Bearer ${token}` } });
      const oldKey = rotating.key;
      const oldToken = await rotating.sign({ sub: 'old' });
      expect((await get(oldToken)).status).toBe(200);
      expect(rotating.stats.jwksRequests).toBe(1);

      await rotating.addKey();
      const newToken = await rotating.sign({ sub: 'new' });
      expect(newToken).not.toBe(oldToken);
      const fresh = await get(newToken);
      expect(fresh.status).toBe(200);
      expect(await fresh.text()).toBe('new');
      expect(rotating.stats.jwksRequests).toBe(2); // the unknown kid triggered one refetch
      const verifiesBefore = verify.mock.calls.length;
      expect((await get(oldToken)).status).toBe(200); // old key still published
      // The key set changed, so the cached verification of the old token was dropped.
      expect(verify.mock.calls.length).toBe(verifiesBefore + 1);

      // The old key is withdrawn; the next refetch (caused by a third key) learns it.
      rotating.unpublish(oldKey.kid);
      await rotating.addKey();
      expect((await get(await rotating.sign({ sub: 'newest' }))).status).toBe(200);
      expect((await get(oldToken)).status).toBe(401);
      expect((await get(newToken)).status).toBe(200);
      expect(deniedReasons(logger)).toEqual(['unknown_kid']);
      expect(logger.entries.filter((e) => e.msg?.startsWith('JWKS changed'))).toHaveLength(2);
    } finally {
      await rotating.close();
    }
  });

  it('refetches once for an unknown kid, then not again during the cooldown', async () => {
    const { get, logger } = setup({ tokenCache: false });
    const start = idp.stats.jwksRequests;
    expect((await get(await idp.sign())).status).toBe(200);
    expect(idp.stats.jwksRequests).toBe(start + 1);
    const rogue = await idp.addKey({ publish: false });
    for (let i = 0; i < 5; i++) {
      expect((await get(await idp.sign({ jti: String(i) }, { key: rogue }))).status).toBe(401);
    }
    expect(idp.stats.jwksRequests).toBe(start + 1);
    expect(deniedReasons(logger)).toEqual(Array(5).fill('unknown_kid'));

    const eager = setup({ jwksCooldownMs: 0 });
    expect((await eager.get(await idp.sign())).status).toBe(200);
    const before = idp.stats.jwksRequests;
    expect((await eager.get(await idp.sign({}, { key: rogue }))).status).toBe(401);
    expect(idp.stats.jwksRequests).toBe(before + 1);
  });

  it('keeps verifying with cached keys when the JWKS endpoint goes down after start', async () => {
    // cacheMaxAge 0: every verification wants a fresh JWKS, so the outage is hit at once.
    const { get, calls, logger } = setup({ tokenCache: false, jwksCacheMaxAgeMs: 0 });
    expect((await get(await idp.sign())).status).toBe(200);
    idp.setDown(true);
    const before = idp.stats.jwksRequests;
    for (const sub of ['bob', 'carol', 'dave']) {
      const res = await get(await idp.sign({ sub }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { sub: string }).sub).toBe(sub);
    }
    expect(calls.handler).toBe(4);
    // One failed fetch, then the cooldown keeps the endpoint alone.
    expect(idp.stats.jwksRequests).toBe(before + 1);
    const failures = logger.entries.filter((e) => e.msg === 'JWKS fetch failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'error', obj: { usingCachedKeys: true } });
  });

  it('answers 503 problem+json when no key set was ever fetched', async () => {
    idp.setDown(true);
    const { get, calls, logger } = setup();
    const res = await get(await idp.sign());
    expect(res.status).toBe(503);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.headers.get('Retry-After')).toBe('30');
    expect(await res.json()).toEqual({
      type: 'urn:problem-type:auth-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'Token verification is temporarily unavailable.',
      instance: '/api/me',
    });
    expect(calls.handler).toBe(0);
    expect(deniedReasons(logger)).toEqual(['jwks_unavailable']);
  });
});

describe('jwtAuth with OpenID discovery', () => {
  it('reads jwks_uri from the discovery document once, when jwksUri is not given', async () => {
    const { get, calls, logger } = setup({ jwksUri: undefined });
    const before = idp.stats.discoveryRequests;
    for (const sub of ['a', 'b', 'c'])
      expect((await get(await idp.sign({ sub }))).status).toBe(200);
    expect(calls.handler).toBe(3);
    expect(idp.stats.discoveryRequests).toBe(before + 1);
    expect(logger.entries.map((e) => e.msg)).toEqual(['JWKS URL discovered']);
  });

  it('answers 503 when the discovery document names another issuer', async () => {
    idp.setDiscoveryIssuer('https://evil.example.com');
    try {
      const { get, calls, logger } = setup({ jwksUri: undefined });
      const res = await get(await idp.sign());
      expect(res.status).toBe(503);
      expect(((await res.json()) as { type: string }).type).toBe(
        'urn:problem-type:auth-unavailable',
      );
      expect(calls.handler).toBe(0);
      expect(logger.entries.map((e) => e.msg)).toEqual([
        'OpenID discovery failed',
        'request denied: token verification unavailable',
      ]);
    } finally {
      idp.setDiscoveryIssuer(undefined);
    }
  });
});

describe('jwtAuth verified-token cache', () => {
  it('verifies a token once and serves repeats from the cache', async () => {
    const { get, calls } = setup();
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const token = await idp.sign({ roles: ['member'] });
    for (let i = 0; i < 3; i++) expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(calls.handler).toBe(3);
  });

  it('verifies every request when the cache is disabled', async () => {
    const { get } = setup({ tokenCache: false });
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const token = await idp.sign();
    for (let i = 0; i < 3; i++) expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(3);
  });

  it('never serves a cached token past exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { get, calls, logger } = setup();
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const token = await idp.sign({}, { expiresIn: 2 });
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
    // Past exp but inside the 5 s clock tolerance: verified again, not served from the cache.
    vi.setSystemTime(t0 + 3_000);
    expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(2);
    vi.setSystemTime(t0 + 10_000);
    expect((await get(token)).status).toBe(401);
    expect(calls.handler).toBe(3);
    expect(deniedReasons(logger)).toEqual(['token_expired']);
  });

  it('is bounded: the oldest entry is evicted when full', async () => {
    const { get } = setup({ tokenCache: { maxEntries: 2 } });
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => idp.sign({ sub })));
    for (const token of [a, b, c] as string[]) expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(3);
    expect((await get(c as string)).status).toBe(200); // still cached
    expect(verify).toHaveBeenCalledTimes(3);
    expect((await get(a as string)).status).toBe(200); // evicted, verified again
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('does not cache rejected tokens', async () => {
    const { get } = setup();
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const token = await idp.sign({ aud: 'billing' });
    expect((await get(token)).status).toBe(401);
    expect((await get(token)).status).toBe(401);
    expect(verify).toHaveBeenCalledTimes(2);
  });
});

describe('jwtAuth options', () => {
  const base = {
    issuer: 'https://id.example.com',
    audience: 'api',
    jwksUri: 'https://id.example.com/jwks',
  };
  it.each([
    ['an HMAC algorithm', { algorithms: ['HS256'] }],
    ['alg none', { algorithms: ['none'] }],
    ['no algorithms', { algorithms: [] }],
    ['both jwks and jwksUri', { jwks: { keys: [] } }],
    [
      'discovery with several issuers',
      { jwksUri: undefined, issuer: ['https://a.example', 'https://b.example'] },
    ],
    ['a non-http jwksUri', { jwksUri: 'file:///etc/keys.json' }],
    ['a malformed local key set', { jwksUri: undefined, jwks: { keys: 'nope' } }],
    ['an empty issuer', { issuer: '' }],
    ['no audience', { audience: [] }],
    ['a negative clock tolerance', { clockToleranceSeconds: -1 }],
    ['a negative maximum token age', { maxTokenAgeSeconds: -1 }],
    ['a maximum token age that is not a number', { maxTokenAgeSeconds: Number.NaN }],
    ['an empty typ', { typ: '' }],
    ['a logger without warn', { logger: { info() {}, error() {} } }],
    ['a fractional cache size', { tokenCache: { maxEntries: 1.5 } }],
  ])('throws AUTH_INVALID_OPTIONS at once for %s', (_name, override) => {
    const call = () => jwtAuth({ ...base, ...override } as JwtAuthOptions);
    expect(call).toThrow(AuthError);
    try {
      call();
    } catch (err) {
      expect((err as AuthError).code).toBe('AUTH_INVALID_OPTIONS');
      expect((err as AuthError).name).toBe('AuthError');
    }
  });

  it('accepts a valid configuration without doing any I/O', () => {
    const before = idp.stats.jwksRequests;
    expect(typeof jwtAuth({ ...base, jwksUri: idp.jwksUri })).toBe('function');
    expect(idp.stats.jwksRequests).toBe(before);
  });
});
