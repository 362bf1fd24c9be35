import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../errors.js';
import { jwtAuth } from '../jwt-auth/index.js';
import {
  recordingLogger,
  SERVICE_CLIENT,
  startTestIssuer,
  type TestIssuer,
} from '../test/issuer.js';
import type { AuthVariables } from '../types.js';
import { type ClientCredentialsOptions, clientCredentials } from './index.js';

let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer({ tokenTtlSeconds: 120 });
});
afterAll(async () => {
  await idp.close();
});
afterEach(() => {
  vi.useRealTimers();
});

function client(options: Partial<ClientCredentialsOptions> = {}) {
  return clientCredentials({
    tokenUrl: idp.tokenUrl,
    clientId: SERVICE_CLIENT.id,
    clientSecret: SERVICE_CLIENT.secret,
    resource: 'urn:ratings',
    scope: ['ratings:read'],
    ...options,
  });
}

describe('clientCredentials', () => {
  it('fetches a token the called service accepts for its own audience', async () => {
    const tokens = client();
    // The called service ("ratings") verifies tokens for its audience only.
    const ratings = new Hono<{ Variables: AuthVariables }>();
    const logger = recordingLogger();
    ratings.use(
      '*',
      jwtAuth({ issuer: idp.issuer, audience: 'urn:ratings', jwksUri: idp.jwksUri, logger }),
    );
    ratings.get('/ratings', (c) => c.json(c.var.principal));
    const res = await ratings.request('/ratings', {
      headers: { Authorization: await tokens.authorizationHeader() },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sub: SERVICE_CLIENT.id,
      clientId: SERVICE_CLIENT.id,
      scopes: ['ratings:read'],
    });
    // The same token is refused by a service with another audience.
    const where2eat = new Hono();
    where2eat.use(
      '*',
      jwtAuth({ issuer: idp.issuer, audience: 'where2eat', jwksUri: idp.jwksUri, logger }),
    );
    where2eat.get('/', (c) => c.text('ok'));
    const other = await where2eat.request('/', {
      headers: { Authorization: await tokens.authorizationHeader() },
    });
    expect(other.status).toBe(401);
    expect(logger.entries.map((e) => e.obj.reason)).toEqual(['audience_mismatch']);
  });

  it('caches the token and shares one request among concurrent callers', async () => {
    const tokens = client();
    const before = idp.stats.tokenRequests;
    const values = await Promise.all(Array.from({ length: 5 }, () => tokens.getToken()));
    expect(new Set(values).size).toBe(1);
    expect(idp.stats.tokenRequests).toBe(before + 1);
    expect(await tokens.getToken()).toBe(values[0]);
    expect(idp.stats.tokenRequests).toBe(before + 1);
  });

  it('fetches a new token shortly before expiry and after invalidate()', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const tokens = client({ refreshBeforeExpiryMs: 20_000 });
    const before = idp.stats.tokenRequests;
    const first = await tokens.getToken();
    vi.setSystemTime(t0 + 99_000); // 120 s lifetime minus 20 s margin = 100 s
    expect(await tokens.getToken()).toBe(first);
    expect(idp.stats.tokenRequests).toBe(before + 1);
    vi.setSystemTime(t0 + 101_000);
    const second = await tokens.getToken();
    expect(second).not.toBe(first);
    expect(idp.stats.tokenRequests).toBe(before + 2);
    tokens.invalidate();
    await tokens.getToken();
    expect(idp.stats.tokenRequests).toBe(before + 3);
  });

  it('authenticates with form fields when asked to', async () => {
    const tokens = client({ authMethod: 'client_secret_post' });
    expect((await tokens.getToken()).split('.')).toHaveLength(3);
  });

  it('rejects with AUTH_TOKEN_REQUEST_FAILED on bad credentials, and retries on the next call', async () => {
    const tokens = client({ clientSecret: 'wrong' });
    const before = idp.stats.tokenRequests;
    await expect(tokens.getToken()).rejects.toMatchObject({
      name: 'AuthError',
      code: 'AUTH_TOKEN_REQUEST_FAILED',
      message: 'token endpoint answered 401 (invalid_client)',
    });
    await expect(tokens.getToken()).rejects.toBeInstanceOf(AuthError);
    expect(idp.stats.tokenRequests).toBe(before + 2);
  });

  it('rejects with AUTH_TOKEN_REQUEST_FAILED when the endpoint cannot be reached', async () => {
    const tokens = client({ tokenUrl: `${idp.issuer}/nowhere` });
    await expect(tokens.getToken()).rejects.toMatchObject({ code: 'AUTH_TOKEN_REQUEST_FAILED' });
    const closed = client({ tokenUrl: 'http://127.0.0.1:1/token', timeoutMs: 1_000 });
    await expect(closed.getToken()).rejects.toMatchObject({ code: 'AUTH_TOKEN_REQUEST_FAILED' });
  });

  it('throws AUTH_INVALID_OPTIONS at once for a missing secret or a bad URL', () => {
    expect(() => client({ clientSecret: '' })).toThrow(AuthError);
    expect(() => client({ tokenUrl: 'not a url' })).toThrow(/tokenUrl/);
  });
});
