import { createPrivateKey, sign } from 'node:crypto';
import { generateKeySet, type SigningJwk } from '@micro-app/dev-idp';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, members } from '../db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../test/harness.js';
import { API_SCOPES } from './scopes.js';

const PROBLEM = 'application/problem+json';
const FORBIDDEN = {
  type: 'urn:problem-type:forbidden',
  title: 'Forbidden',
  status: 403,
  detail: 'The token does not grant access to this resource.',
};

interface Call {
  method: string;
  path: string;
  body?: unknown;
  scope: keyof typeof API_SCOPES;
  /** The success status, when not the method's usual one. */
  ok?: number;
}

async function rowCounts(t: TestApp) {
  const [g] = await t.db.select({ n: count() }).from(groups);
  const [m] = await t.db.select({ n: count() }).from(members);
  return { groups: g?.n ?? 0, members: m?.n ?? 0 };
}

describe('scopes', () => {
  let t: TestApp;
  let groupId: string;
  let memberId: string;
  let invite: { id: string; token: string };
  const tokens: Record<'readOnly' | 'noResourceScope' | 'full', string> = {
    readOnly: '',
    noResourceScope: '',
    full: '',
  };

  /** Every operation of the API with the scope it needs; ids exist, bodies are valid. */
  const operations = (): Call[] => [
    { method: 'GET', path: '/v1/cuisines', scope: 'cuisines:read' },
    { method: 'GET', path: '/v1/groups', scope: 'groups:read' },
    { method: 'GET', path: `/v1/groups/${groupId}`, scope: 'groups:read' },
    { method: 'GET', path: `/v1/groups/${groupId}/recommendation`, scope: 'groups:read' },
    { method: 'POST', path: '/v1/groups', body: { name: 'New' }, scope: 'groups:write' },
    { method: 'PATCH', path: `/v1/groups/${groupId}`, body: { name: 'R' }, scope: 'groups:write' },
    {
      method: 'POST',
      path: `/v1/groups/${groupId}/members`,
      body: { name: 'Gus', userSub: null },
      scope: 'groups:write',
    },
    {
      method: 'PUT',
      path: `/v1/groups/${groupId}/members/${memberId}/preferences`,
      body: { likes: ['thai'], vetoes: [] },
      scope: 'groups:write',
    },
    { method: 'GET', path: `/v1/groups/${groupId}/invites`, scope: 'groups:read' },
    { method: 'POST', path: `/v1/groups/${groupId}/invites`, body: {}, scope: 'groups:write' },
    {
      method: 'POST',
      path: '/v1/invites/accept',
      body: { token: invite.token, name: 'Alice' },
      scope: 'groups:write',
    },
    {
      method: 'DELETE',
      path: `/v1/groups/${groupId}/invites/${invite.id}`,
      scope: 'groups:write',
    },
    {
      method: 'DELETE',
      path: `/v1/groups/${groupId}/members/${memberId}`,
      scope: 'groups:write',
    },
    { method: 'DELETE', path: `/v1/groups/${groupId}`, scope: 'groups:write' },
    // Last: it erases what the caller owns.
    { method: 'DELETE', path: '/v1/me', scope: 'groups:write', ok: 200 },
  ];

  const send = (call: Call, token: string) =>
    t.app.request(call.path, {
      ...(call.body === undefined ? { method: call.method } : jsonRequest(call.method, call.body)),
      headers: {
        Authorization: `Bearer ${token}`,
        ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
    });

  beforeAll(async () => {
    t = await createTestApp();
    const group = await t.request('/v1/groups', jsonRequest('POST', { name: 'Scoped' }));
    groupId = (await readJson(group)).id;
    const member = await t.request(
      `/v1/groups/${groupId}/members`,
      jsonRequest('POST', { name: 'Guest', userSub: null }),
    );
    memberId = (await readJson(member)).id;
    invite = await readJson(
      await t.request(`/v1/groups/${groupId}/invites`, jsonRequest('POST', {})),
    );
    tokens.readOnly = await t.idp.getUserToken('alice', { scope: 'cuisines:read groups:read' });
    tokens.noResourceScope = await t.idp.getUserToken('alice', { scope: 'openid' });
    tokens.full = await t.idp.getUserToken('alice', { scope: Object.keys(API_SCOPES).join(' ') });
  });
  afterAll(() => t.close());

  it('answers a read-only token with 403 insufficient_scope on every write route and writes nothing', async () => {
    const before = await rowCounts(t);
    const writes = operations().filter((op) => op.scope === 'groups:write');
    expect(writes).toHaveLength(10);
    for (const call of writes) {
      const res = await send(call, tokens.readOnly);
      expect(res.status, `${call.method} ${call.path}`).toBe(403);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", scope="groups:write"',
      );
      expect(await readJson(res)).toMatchObject({ ...FORBIDDEN, instance: call.path });
    }
    expect(await rowCounts(t)).toEqual(before);
    const [group] = await t.db.select().from(groups);
    expect(group?.name).toBe('Scoped');
  });

  it('lets a read-only token read', async () => {
    for (const call of operations().filter((op) => op.scope !== 'groups:write')) {
      expect((await send(call, tokens.readOnly)).status, `${call.method} ${call.path}`).toBe(200);
    }
  });

  it('answers a token without any resource scope with 403 on every route', async () => {
    const before = await rowCounts(t);
    for (const call of operations()) {
      const res = await send(call, tokens.noResourceScope);
      expect(res.status, `${call.method} ${call.path}`).toBe(403);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", scope="${call.scope}"`,
      );
      expect(await readJson(res)).toMatchObject(FORBIDDEN);
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it('lets a token with every scope through on every route', async () => {
    const expected: Record<string, number> = { GET: 200, POST: 201, PATCH: 200, PUT: 200 };
    for (const call of operations()) {
      const res = await send(call, tokens.full);
      expect(res.status, `${call.method} ${call.path}`).toBe(
        call.ok ?? expected[call.method] ?? 204,
      );
    }
    // The group POST created was erased with its owner by DELETE /v1/me.
    expect(await rowCounts(t)).toMatchObject({ groups: 0 });
  });

  it('declares the scope of every operation in the OpenAPI document, and the scheme lists them', async () => {
    const doc = await readJson(await t.request('/openapi.json', {}, null));
    const declared: Record<string, unknown> = {};
    for (const [path, item] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(item as Record<string, { security?: unknown }>)) {
        declared[`${method.toUpperCase()} ${path}`] = op.security;
      }
    }
    const templated = (p: string) =>
      p
        .replace(groupId, '{groupId}')
        .replace(memberId, '{memberId}')
        .replace(invite.id, '{inviteId}');
    const expected = Object.fromEntries(
      operations().map((op) => [
        `${op.method} ${templated(op.path)}`,
        [{ bearerAuth: [op.scope] }],
      ]),
    );
    expect(declared).toEqual(expected);
    const scheme = doc.components.securitySchemes.bearerAuth;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const scope of Object.keys(API_SCOPES))
      expect(scheme.description).toContain(`\`${scope}\``);
  });
});

/** A token signed with the dev IdP's own key, with a header and claims the IdP would not issue. */
function signToken(
  key: SigningJwk,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256', kid: key.kid, ...header })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: createPrivateKey({ key: key, format: 'jwk' }),
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

describe('token type and age', () => {
  let t: TestApp;
  let key: SigningJwk;
  const MAX_AGE_SECONDS = 600;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (iat = now()) => ({
    iss: t.idp.issuer,
    aud: t.idp.audience,
    sub: 'alice',
    tenant: 'acme',
    scope: Object.keys(API_SCOPES).join(' '),
    iat,
    exp: now() + 300,
  });
  const get = (token: string) =>
    t.app.request('/v1/groups', { headers: { Authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const keys = generateKeySet();
    key = keys.find((k) => k.alg === 'ES256') as SigningJwk;
    t = await createTestApp({ idp: { keys }, auth: { maxTokenAgeSeconds: MAX_AGE_SECONDS } });
  });
  afterAll(() => t.close());

  it('accepts an at+jwt token signed with the IdP key (the control case)', async () => {
    expect((await get(signToken(key, { typ: 'at+jwt' }, claims()))).status).toBe(200);
    expect((await get(t.tokens.alice)).status).toBe(200);
  });

  it('answers a token with typ JWT, or without typ, with 401 invalid_token: at+jwt is required', async () => {
    for (const header of [{ typ: 'JWT' }, {}]) {
      const res = await get(signToken(key, header, claims()));
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect((await readJson(res)).type).toBe('urn:problem-type:unauthorized');
    }
    const reasons = t.logs.filter((l) => l.event === 'auth.denied').map((l) => l.reason);
    expect(reasons).toEqual(['type_mismatch', 'type_mismatch']);
  });

  it('answers a token older than maxTokenAgeSeconds with 401, though its exp is ahead', async () => {
    const before = t.logs.length;
    const old = signToken(key, { typ: 'at+jwt' }, claims(now() - MAX_AGE_SECONDS - 60));
    const res = await get(old);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(t.logs.slice(before).map((l) => l.reason)).toContain('token_too_old');
    const young = signToken(key, { typ: 'at+jwt' }, claims(now() - MAX_AGE_SECONDS + 60));
    expect((await get(young)).status).toBe(200);
  });
});
