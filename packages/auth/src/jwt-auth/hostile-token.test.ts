import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { base64url, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger, startTestIssuer, type TestIssuer } from '../test/issuer.js';
import type { AuthVariables } from '../types.js';
import { jwtAuth } from './index.js';

let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

function setup() {
  const logger = recordingLogger();
  const calls = { handler: 0 };
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', requestId({ generator: () => 'req-1' }));
  app.use(
    '/api/*',
    jwtAuth({ issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri, logger }),
  );
  app.get('/api/me', (c) => {
    calls.handler++;
    return c.json({ sub: c.var.principal.sub });
  });
  return { app, logger, calls };
}

function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { Authorization: `Bearer ${token}` } };
}

const PROBLEM_401 = {
  type: 'urn:problem-type:unauthorized',
  title: 'Unauthorized',
  status: 401,
  detail: 'A valid bearer token is required.',
  instance: '/api/me',
  requestId: 'req-1',
};

/** Asserts the full 401 answer, that the handler did not run and that the reason was audited. */
async function expectRejected(
  res: Response,
  ctx: ReturnType<typeof setup>,
  reason: string,
  challenge = 'Bearer error="invalid_token"',
) {
  expect(res.status).toBe(401);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.headers.get('WWW-Authenticate')).toBe(challenge);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual(PROBLEM_401);
  expect(text).not.toContain(reason);
  expect(ctx.calls.handler).toBe(0);
  const denied = ctx.logger.entries.filter((entry) => entry.obj.event === 'auth.denied');
  expect(denied).toHaveLength(1);
  expect(denied[0]?.level).toBe('warn');
  expect(denied[0]?.obj).toMatchObject({
    audit: true,
    event: 'auth.denied',
    reason,
    status: 401,
    requestId: 'req-1',
    method: 'GET',
    path: '/api/me',
  });
  expect(denied[0]?.obj).not.toHaveProperty('sub');
}

describe('jwtAuth against hostile tokens', () => {
  it('accepts a valid token (the control case the others differ from)', async () => {
    const ctx = setup();
    const res = await ctx.app.request('/api/me', bearer(await idp.sign()));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'alice' });
    expect(ctx.calls.handler).toBe(1);
    expect(ctx.logger.entries).toEqual([]);
  });

  it('rejects an unsigned token with alg "none"', async () => {
    const ctx = setup();
    const now = Math.floor(Date.now() / 1000);
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(
      JSON.stringify({
        sub: 'alice',
        iss: idp.issuer,
        aud: idp.audience,
        iat: now,
        exp: now + 300,
      }),
    );
    const res = await ctx.app.request('/api/me', bearer(`${header}.${payload}.`));
    await expectRejected(res, ctx, 'alg_not_allowed');
  });

  it('rejects a token signed with HS256 using the public key as the HMAC secret', async () => {
    const ctx = setup();
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const secrets = [
      new TextEncoder().encode(JSON.stringify(idp.key.publicJwk)),
      new TextEncoder().encode(await exportSPKI(publicKey)),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT({ sub: 'alice', iss: idp.issuer, aud: idp.audience })
        .setProtectedHeader({ alg: 'HS256', kid: idp.key.kid })
        .setExpirationTime('5m')
        .sign(secret);
      ctx.logger.entries.length = 0;
      await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'alg_not_allowed');
    }
  });

  it('rejects an expired token', async () => {
    const ctx = setup();
    const token = await idp.sign({}, { expiresIn: -60 });
    await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'token_expired');
  });

  it('rejects a token that is not yet valid', async () => {
    const ctx = setup();
    const token = await idp.sign({ nbf: Math.floor(Date.now() / 1000) + 120 });
    await expectRejected(
      await ctx.app.request('/api/me', bearer(token)),
      ctx,
      'token_not_yet_valid',
    );
  });

  it('rejects a token from another issuer', async () => {
    const ctx = setup();
    const token = await idp.sign({ iss: 'https://evil.example.com' });
    await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'issuer_mismatch');
  });

  it('rejects a token for another audience', async () => {
    const ctx = setup();
    const token = await idp.sign({ aud: 'billing' });
    await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'audience_mismatch');
  });

  it('rejects a token signed with a key whose kid is not published', async () => {
    const ctx = setup();
    const rogue = await idp.addKey({ publish: false });
    const token = await idp.sign({}, { key: rogue });
    await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'unknown_kid');
  });

  it('rejects a token whose payload was tampered with', async () => {
    const ctx = setup();
    const [header, , signature] = (await idp.sign({ roles: ['member'] })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = base64url.encode(
      JSON.stringify({
        sub: 'alice',
        iss: idp.issuer,
        aud: idp.audience,
        exp: now + 300,
        roles: ['admin'],
      }),
    );
    const res = await ctx.app.request('/api/me', bearer(`${header}.${forged}.${signature}`));
    await expectRejected(res, ctx, 'bad_signature');
  });

  it('rejects a truncated token', async () => {
    const ctx = setup();
    const token = await idp.sign();
    const res = await ctx.app.request('/api/me', bearer(token.slice(0, -8)));
    await expectRejected(res, ctx, 'bad_signature');
  });

  it('rejects a token cut before its signature', async () => {
    const ctx = setup();
    const token = await idp.sign();
    const res = await ctx.app.request('/api/me', bearer(token.slice(0, token.lastIndexOf('.'))));
    await expectRejected(res, ctx, 'malformed_token');
  });

  it('rejects a token without exp or without sub', async () => {
    for (const claims of [{ exp: undefined }, { sub: undefined }]) {
      const ctx = setup();
      const token = await idp.sign(claims);
      await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'claim_missing');
    }
  });

  it('ignores a valid token sent in the X-Auth-Token header', async () => {
    const ctx = setup();
    const res = await ctx.app.request('/api/me', { headers: { 'X-Auth-Token': await idp.sign() } });
    await expectRejected(res, ctx, 'missing_token', 'Bearer');
  });

  it('ignores a valid token sent with the Basic scheme', async () => {
    const ctx = setup();
    const res = await ctx.app.request('/api/me', {
      headers: { Authorization: `Basic ${await idp.sign()}` },
    });
    await expectRejected(res, ctx, 'unsupported_scheme', 'Bearer');
  });

  it('rejects a Bearer header without a well-formed token', async () => {
    const ctx = setup();
    const res = await ctx.app.request('/api/me', { headers: { Authorization: 'Bearer a b' } });
    await expectRejected(res, ctx, 'malformed_token');
  });

  it('rejects an oversize token before parsing it or fetching keys', async () => {
    const jwksBefore = idp.stats.jwksRequests;
    const ctx = setup();
    const token = await idp.sign({ padding: 'x'.repeat(9 * 1024) });
    await expectRejected(await ctx.app.request('/api/me', bearer(token)), ctx, 'oversize_token');
    expect(idp.stats.jwksRequests).toBe(jwksBefore);
  });
});
