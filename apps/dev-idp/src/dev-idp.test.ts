import { createHash, randomBytes } from 'node:crypto';
import { type AuthVariables, clientCredentials, jwtAuth, requireRole } from '@micro-app/auth';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevIdp, startDevIdp } from './dev-idp.js';
import { DevIdpError } from './errors.js';
import {
  SERVICE_CLIENT_ID,
  SERVICE_CLIENT_SECRET,
  WEB_CLIENT_ID,
  WEB_CLIENT_SECRET,
} from './users.js';

let idp: DevIdp;

beforeAll(async () => {
  idp = await startDevIdp({ port: 0, extraAudiences: ['ratings'] });
});
afterAll(async () => {
  await idp.close();
});

interface Entry {
  obj: Record<string, unknown>;
  msg?: string;
}

/** A where2eat-like service guarded by @micro-app/auth, verifying against the dev IdP. */
function service(audience = 'where2eat', options: { jwksCooldownMs?: number } = {}) {
  const entries: Entry[] = [];
  const push = (obj: object, msg?: string) =>
    entries.push({ obj: obj as Record<string, unknown>, msg });
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use(
    '/api/*',
    jwtAuth({
      issuer: idp.issuer,
      audience,
      jwksUri: idp.jwksUri,
      typ: 'at+jwt',
      logger: { info: push, warn: push, error: push },
      ...options,
    }),
  );
  app.get('/api/me', (c) => c.json(c.var.principal));
  app.delete('/api/admin', requireRole('admin'), (c) => c.body(null, 204));
  const call = (token: string, method = 'GET', path = '/api/me') =>
    app.request(path, { method, headers: { Authorization: `Bearer ${token}` } });
  return { app, call, entries };
}

async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('dev IdP endpoints', () => {
  it('serves discovery and a JWKS of public keys', async () => {
    const discovery = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      token_endpoint: idp.tokenEndpoint,
    });
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'client_credentials', 'password']),
    );
    const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.kty).sort()).toEqual(['EC', 'RSA']);
    for (const key of jwks.keys) {
      expect(key.kid).toEqual(expect.any(String));
      expect(key).not.toHaveProperty('d');
    }
  });

  it('issues a user token through the token endpoint that jwtAuth accepts', async () => {
    const { status, body } = await postForm(idp.tokenEndpoint, {
      grant_type: 'password',
      client_id: 'dev-cli',
      username: 'bob',
      password: 'bob',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'cuisines:read groups:read groups:write',
    });
    const { call, entries } = service();
    const res = await call(body.access_token as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sub: 'bob',
      tenant: 'acme',
      roles: ['admin'],
      scopes: ['cuisines:read', 'groups:read', 'groups:write'],
      clientId: 'dev-cli',
      claims: { iss: idp.issuer, aud: 'where2eat' },
    });
    expect((await call(body.access_token as string, 'DELETE', '/api/admin')).status).toBe(204);
    expect(entries).toEqual([]);
  });

  it('carries each seeded user tenant and roles, so RBAC tells them apart', async () => {
    const { call, entries } = service();
    const carol = await idp.getUserToken('carol', { scope: 'groups:read' });
    expect(await (await call(carol)).json()).toMatchObject({
      sub: 'carol',
      tenant: 'globex',
      roles: ['member'],
      scopes: ['groups:read'],
    });
    const alice = await idp.getUserToken('alice');
    expect((await call(alice, 'DELETE', '/api/admin')).status).toBe(403);
    expect(entries.map((e) => e.obj.reason)).toEqual(['insufficient_role']);
  });

  it('refuses a wrong password and an unknown user', async () => {
    const wrong = await postForm(idp.tokenEndpoint, {
      grant_type: 'password',
      client_id: 'dev-cli',
      username: 'alice',
      password: 'bob',
    });
    expect(wrong).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'invalid_grant' }),
    });
    await expect(idp.getUserToken('mallory')).rejects.toMatchObject({ code: 'unknown_user' });
  });

  it('issues client-credentials tokens to the where2eat service client', async () => {
    const basic = Buffer.from(`${SERVICE_CLIENT_ID}:${SERVICE_CLIENT_SECRET}`).toString('base64');
    const { status, body } = await postForm(
      idp.tokenEndpoint,
      { grant_type: 'client_credentials', scope: 'groups:read' },
      { Authorization: `Basic ${basic}` },
    );
    expect(status).toBe(200);
    const { call } = service();
    const res = await call(body.access_token as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sub: SERVICE_CLIENT_ID,
      clientId: SERVICE_CLIENT_ID,
      roles: ['service'],
      scopes: ['groups:read'],
    });
    const bad = await postForm(
      idp.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { Authorization: `Basic ${Buffer.from(`${SERVICE_CLIENT_ID}:nope`).toString('base64')}` },
    );
    expect(bad).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'invalid_client' }),
    });
  });

  it('works with the clientCredentials helper and jwtAuth discovering the JWKS', async () => {
    const tokens = clientCredentials({
      tokenUrl: idp.tokenEndpoint,
      clientId: SERVICE_CLIENT_ID,
      clientSecret: SERVICE_CLIENT_SECRET,
      resource: 'urn:ratings',
      scope: 'groups:read',
    });
    const ratings = new Hono<{ Variables: AuthVariables }>();
    const silent = { info() {}, warn() {}, error() {} };
    ratings.use('*', jwtAuth({ issuer: idp.issuer, audience: 'ratings', logger: silent }));
    ratings.get('/', (c) => c.json(c.var.principal));
    const res = await ratings.request('/', {
      headers: { Authorization: await tokens.authorizationHeader() },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sub: SERVICE_CLIENT_ID,
      scopes: ['groups:read'],
      claims: { aud: 'ratings' },
    });
  });

  it('grants each client only its own scopes, in RFC 9068 at+jwt tokens', async () => {
    const decode = (token: string, part: 0 | 1) =>
      JSON.parse(Buffer.from(token.split('.')[part] as string, 'base64url').toString()) as Record<
        string,
        unknown
      >;
    const user = await idp.getUserToken('alice');
    expect(decode(user, 0)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(decode(user, 1).scope).toBe('cuisines:read groups:read groups:write');
    // The service client reads where2eat; groups:write is not granted even when asked for.
    const service = await idp.getClientToken();
    expect(decode(service, 0).typ).toBe('at+jwt');
    expect(decode(service, 1).scope).toBe('cuisines:read groups:read');
    const asked = await idp.getClientToken({ scope: 'groups:read groups:write' });
    expect(decode(asked, 1).scope).toBe('groups:read');
    // Asking for no resource scope gives a token without any.
    expect(decode(await idp.getUserToken('alice', { scope: 'openid' }), 1)).not.toHaveProperty(
      'scope',
    );
  });

  it('issues a token per audience for service-to-service calls', async () => {
    const token = await idp.getClientToken({ audience: 'ratings' });
    const ratings = service('ratings');
    expect((await ratings.call(token)).status).toBe(200);
    const where2eat = service('where2eat');
    expect((await where2eat.call(token)).status).toBe(401);
    expect(where2eat.entries.map((e) => e.obj.reason)).toEqual(['audience_mismatch']);
    await expect(idp.getClientToken({ audience: 'unknown-api' })).rejects.toMatchObject({
      code: 'token_request_failed',
    });
  });
});

describe('dev IdP browser sign-in', () => {
  it('signs a seeded user in through the login page and exchanges the code for a token', async () => {
    const jar = new Map<string, string>();
    const request = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(new URL(url, idp.issuer), {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const index = pair.indexOf('=');
        jar.set(pair.slice(0, index), pair.slice(index + 1));
      }
      return res;
    };
    const follow = async (res: Response, init?: RequestInit) =>
      request(res.headers.get('location') as string, init);

    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    // Registered for port 3000; a loopback redirect matches on any port the app runs on.
    const redirectUri = 'http://localhost:3457/auth/callback';
    const authorize = new URL('/auth', idp.issuer);
    authorize.search = new URLSearchParams({
      client_id: WEB_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile groups:read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'xyz',
    }).toString();

    const toLogin = await request(authorize.href);
    expect(toLogin.status).toBe(303);
    const loginPage = await follow(toLogin);
    expect(loginPage.status).toBe(200);
    const html = await loginPage.text();
    expect(html).toContain('Dev IdP sign-in');
    // Browsers apply form-action to the redirects after the post: the client's origin is allowed.
    expect(loginPage.headers.get('content-security-policy')).toContain(
      "form-action 'self' http://localhost:3457;",
    );
    const action = /action="([^"]+)"/.exec(html)?.[1] as string;

    const rejected = await request(action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=wrong',
    });
    expect(rejected.status).toBe(401);
    expect(await rejected.text()).toContain('Unknown user or wrong password.');

    let res = await request(action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=alice',
    });
    // login → resume → consent (automatic) → resume → redirect to the client with a code
    for (let hop = 0; hop < 6 && !res.headers.get('location')?.startsWith(redirectUri); hop++) {
      expect([302, 303]).toContain(res.status);
      res = await follow(res);
    }
    const callback = new URL(res.headers.get('location') as string);
    expect(callback.searchParams.get('state')).toBe('xyz');
    const code = callback.searchParams.get('code') as string;
    expect(code).toEqual(expect.any(String));

    const { status, body } = await postForm(
      idp.tokenEndpoint,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      // A confidential client (the app's backend-for-frontend): its secret, and PKCE as well.
      {
        Authorization: `Basic ${Buffer.from(`${WEB_CLIENT_ID}:${WEB_CLIENT_SECRET}`).toString('base64')}`,
      },
    );
    expect(status).toBe(200);
    expect(body.id_token).toEqual(expect.any(String));
    const { call } = service();
    expect(await (await call(body.access_token as string)).json()).toMatchObject({
      sub: 'alice',
      tenant: 'acme',
      roles: ['member'],
      scopes: ['groups:read'],
      clientId: WEB_CLIENT_ID,
    });
  });
});

describe('dev IdP key rotation', () => {
  it('signs with the new key and keeps old tokens valid while the old key is published', async () => {
    const own = await startDevIdp({ port: 0 });
    try {
      const verifier = new Hono<{ Variables: AuthVariables }>();
      verifier.use(
        '*',
        jwtAuth({
          issuer: own.issuer,
          audience: 'where2eat',
          jwksUri: own.jwksUri,
          jwksCooldownMs: 0,
          logger: { info() {}, warn() {}, error() {} },
        }),
      );
      verifier.get('/', (c) => c.text(c.var.principal.sub));
      const get = (token: string) =>
        verifier.request('/', { headers: { Authorization: `Bearer ${token}` } });
      const kidOf = (token: string) =>
        (
          JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as {
            kid: string;
          }
        ).kid;

      const before = await own.getUserToken('alice');
      expect((await get(before)).status).toBe(200);
      const { kid } = await own.rotateKeys();
      const after = await own.getUserToken('bob');
      expect(kidOf(after)).toBe(kid);
      expect(kidOf(before)).not.toBe(kid);
      expect(await (await get(after)).text()).toBe('bob');
      expect((await get(before)).status).toBe(200);

      await own.rotateKeys({ retirePrevious: true });
      const latest = await own.getUserToken('carol');
      expect((await get(latest)).status).toBe(200);
      expect((await get(before)).status).toBe(401);
      expect((await get(after)).status).toBe(401);
    } finally {
      await own.close();
    }
  });
});

describe('startDevIdp options', () => {
  it('throws invalid_options for a bad port or duplicate users', async () => {
    await expect(startDevIdp({ port: -1 })).rejects.toBeInstanceOf(DevIdpError);
    await expect(
      startDevIdp({
        port: 0,
        users: [
          { username: 'x', tenant: 't', roles: [] },
          { username: 'x', tenant: 't', roles: [] },
        ],
      }),
    ).rejects.toMatchObject({ code: 'invalid_options' });
  });

  it('serves custom users and audience', async () => {
    const custom = await startDevIdp({
      port: 0,
      audience: 'https://api.example.test',
      users: [{ username: 'dora', password: 'pw', tenant: 'initech', roles: ['owner'] }],
    });
    try {
      const token = await custom.getUserToken('dora');
      const payload = JSON.parse(
        Buffer.from(token.split('.')[1] as string, 'base64url').toString(),
      );
      expect(payload).toMatchObject({
        sub: 'dora',
        tenant: 'initech',
        roles: ['owner'],
        aud: 'https://api.example.test',
      });
    } finally {
      await custom.close();
    }
  });
});
