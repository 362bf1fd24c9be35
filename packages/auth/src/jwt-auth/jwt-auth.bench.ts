// Cost of a guarded route with and without the verified-token cache (ES256, local key set).
// Run with `npm run bench`; numbers go in the docs, never in a timed unit test.

import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { expect, test } from 'vitest';
import type { AuthVariables } from '../types.js';
import { jwtAuth } from './index.js';

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' }] };
const token = await new SignJWT({ sub: 'alice', tenant: 'acme', roles: ['member'], scope: 'read' })
  .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
  .setIssuer('https://id.example.com')
  .setAudience('where2eat')
  .setExpirationTime('1h')
  .sign(privateKey);
const silent = { info() {}, warn() {}, error() {} };

function app(tokenCache: false | { maxEntries: number }) {
  const a = new Hono<{ Variables: AuthVariables }>();
  a.use(
    '*',
    jwtAuth({
      issuer: 'https://id.example.com',
      audience: 'where2eat',
      jwks,
      tokenCache,
      logger: silent,
    }),
  );
  a.get('/', (c) => c.json({ sub: c.var.principal.sub }));
  return a;
}

const uncached = app(false);
const cached = app({ maxEntries: 10_000 });
const init = { headers: { Authorization: `Bearer ${token}` } };

test('guarded GET /: ES256 verify per request vs the verified-token cache', async ({ bench }) => {
  expect((await cached.request('/', init)).status).toBe(200);
  expect((await uncached.request('/', init)).status).toBe(200);
  await bench.compare(
    bench('ES256 verify on every request (tokenCache: false)', async () => {
      await uncached.request('/', init);
    }),
    bench('verified-token cache (default)', async () => {
      await cached.request('/', init);
    }),
  );
});
