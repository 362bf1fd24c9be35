import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, members } from './db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from './test/harness.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const PROBLEM = 'application/problem+json';

async function createGroup(name = 'Friday lunch') {
  const res = await t.request('/v1/groups', jsonRequest('POST', { name }));
  expect(res.status).toBe(201);
  return (await readJson(res)) as { id: string; name: string };
}

async function addMember(groupId: string, body: Record<string, unknown>) {
  const res = await t.request(`/v1/groups/${groupId}/members`, jsonRequest('POST', body));
  expect(res.status).toBe(201);
  return (await readJson(res)) as { id: string };
}

async function rowCount(table: typeof groups | typeof members) {
  const [row] = await t.db.select({ n: count() }).from(table);
  return row?.n ?? 0;
}

describe('health', () => {
  it('is live and ready with the database reachable', async () => {
    expect((await t.request('/health/live')).status).toBe(200);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await readJson(ready)).toMatchObject({ checks: { database: { status: 'pass' } } });
  });
});

describe('group journey', () => {
  it('creates a group, adds members, records preferences and recommends', async () => {
    const group = await createGroup();
    const created = await t.request(`/v1/groups/${group.id}`);
    expect(created.status).toBe(200);
    expect(await readJson(created)).toMatchObject({ ownerSub: 'alice', members: [] });

    const alice = await addMember(group.id, { name: 'Alice' });
    const bob = await addMember(group.id, { name: 'Bob', userSub: 'bob' });
    const guest = await addMember(group.id, { name: 'Guest', userSub: null });
    expect(alice).toMatchObject({ userSub: 'alice' });
    expect(guest).toMatchObject({ userSub: null });

    // The owner votes for herself and for the guest without an account…
    for (const [member, likes, vetoes] of [
      [alice, ['thai', 'korean'], []],
      [guest, ['thai'], ['american']],
    ] as const) {
      const res = await t.request(
        `/v1/groups/${group.id}/members/${member.id}/preferences`,
        jsonRequest('PUT', { likes, vetoes }),
      );
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ likes, vetoes });
    }
    // …but not for Bob, who has an account: only Bob votes for Bob.
    const forbidden = await t.request(
      `/v1/groups/${group.id}/members/${bob.id}/preferences`,
      jsonRequest('PUT', { likes: ['greek'], vetoes: [] }),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toBe(PROBLEM);
    const bobVotes = await t.request(
      `/v1/groups/${group.id}/members/${bob.id}/preferences`,
      jsonRequest('PUT', { likes: ['korean'], vetoes: [] }),
      'bob',
    );
    expect(bobVotes.status).toBe(200);

    const rec = await t.request(`/v1/groups/${group.id}/recommendation`);
    expect(rec.status).toBe(200);
    expect(await readJson(rec)).toMatchObject({
      groupId: group.id,
      algorithm: 'v1',
      cuisine: 'korean',
      reason: 'best-score',
      vetoed: ['american'],
    });

    const full = await readJson(await t.request(`/v1/groups/${group.id}`));
    expect(full.members.map((m: { name: string }) => m.name)).toEqual(['Alice', 'Bob', 'Guest']);
  });

  it('lists, renames and deletes groups, cascading to members', async () => {
    const group = await createGroup('Old name');
    await addMember(group.id, { name: 'Zed', userSub: null });
    const list = await readJson(await t.request('/v1/groups?limit=100'));
    expect(list.items.map((g: { id: string }) => g.id)).toContain(group.id);

    const renamed = await t.request(
      `/v1/groups/${group.id}`,
      jsonRequest('PATCH', { name: 'New name' }),
    );
    expect(renamed.status).toBe(200);
    expect((await readJson(renamed)).name).toBe('New name');

    const membersBefore = await rowCount(members);
    const deleted = await t.request(`/v1/groups/${group.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await rowCount(members)).toBe(membersBefore - 1);
    expect((await t.request(`/v1/groups/${group.id}`)).status).toBe(404);
  });

  it('refuses to add the same user twice with 409', async () => {
    const group = await createGroup();
    await addMember(group.id, { name: 'Dana', userSub: 'dana' });
    const again = await t.request(
      `/v1/groups/${group.id}/members`,
      jsonRequest('POST', { name: 'Dana again', userSub: 'dana' }),
    );
    expect(again.status).toBe(409);
    expect((await readJson(again)).type).toBe('urn:problem-type:already-a-member');
  });

  it('removes a member', async () => {
    const group = await createGroup();
    const member = await addMember(group.id, { name: 'Eve', userSub: 'eve' });
    const res = await t.request(`/v1/groups/${group.id}/members/${member.id}`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(204);
    const again = await t.request(`/v1/groups/${group.id}/members/${member.id}`, {
      method: 'DELETE',
    });
    expect(again.status).toBe(404);
  });
});

describe('bad input is a 4xx problem, never a 500', () => {
  it('answers malformed JSON with 400 and writes nothing', async () => {
    const before = await rowCount(groups);
    const res = await t.request('/v1/groups', jsonRequest('POST', '{"name": '));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    expect((await readJson(res)).detail).toMatch(/Malformed JSON/);
    expect(await rowCount(groups)).toBe(before);
  });

  it('answers wrong types with 422 naming the field', async () => {
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 42 }));
    expect(res.status).toBe(422);
    const body = await readJson(res);
    expect(body.type).toBe('urn:problem-type:validation-error');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'json.name' })]);
  });

  it('answers unknown fields with 422', async () => {
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'x', admin: true }));
    expect(res.status).toBe(422);
    expect((await readJson(res)).errors[0].code).toBe('unrecognized_keys');
  });

  it('answers a vote that likes and vetoes the same cuisine with 422', async () => {
    const group = await createGroup();
    const member = await addMember(group.id, { name: 'Fay', userSub: null });
    const res = await t.request(
      `/v1/groups/${group.id}/members/${member.id}/preferences`,
      jsonRequest('PUT', { likes: ['thai'], vetoes: ['thai', 'pizza'] }),
    );
    expect(res.status).toBe(422);
    const paths = (await readJson(res)).errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('json.vetoes.1');
  });

  it('answers a bad id and a bad query with 422', async () => {
    expect((await t.request('/v1/groups/not-a-uuid')).status).toBe(422);
    const res = await t.request('/v1/groups?limit=1000');
    expect(res.status).toBe(422);
    expect((await readJson(res)).errors[0].path).toBe('query.limit');
  });

  it('answers an oversized body with 413 and writes nothing', async () => {
    const before = await rowCount(groups);
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'x'.repeat(5_000) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    expect(await rowCount(groups)).toBe(before);
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    const missing = await t.request('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe(PROBLEM);
    const wrong = await t.request('/v1/groups', { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('answers an unknown group with 404', async () => {
    const res = await t.request('/v1/groups/00000000-0000-4000-8000-000000000000/recommendation');
    expect(res.status).toBe(404);
    expect((await readJson(res)).type).toBe('urn:problem-type:group-not-found');
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for a retry and creates nothing twice', async () => {
    const before = await rowCount(groups);
    const first = await t.request(
      '/v1/groups',
      jsonRequest('POST', { name: 'Once' }, { 'Idempotency-Key': 'create-once-1' }),
    );
    const retry = await t.request(
      '/v1/groups',
      jsonRequest('POST', { name: 'Once' }, { 'Idempotency-Key': 'create-once-1' }),
    );
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    expect(await readJson(retry)).toEqual(await readJson(first));
    expect(await rowCount(groups)).toBe(before + 1);
  });

  it('answers the same key with a different body with 422', async () => {
    const key = { 'Idempotency-Key': 'create-once-2' };
    expect((await t.request('/v1/groups', jsonRequest('POST', { name: 'A' }, key))).status).toBe(
      201,
    );
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'B' }, key));
    expect(res.status).toBe(422);
    expect((await readJson(res)).type).toBe('urn:problem-type:idempotency-key-reused');
  });

  it('creates exactly one row for concurrent retries; the others get 409 or a replay', async () => {
    const before = await rowCount(groups);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request(
          '/v1/groups',
          jsonRequest('POST', { name: 'Race' }, { 'Idempotency-Key': 'race-1' }),
        ),
      ),
    );
    const fresh = responses.filter(
      (r) => r.status === 201 && r.headers.get('idempotent-replayed') === null,
    );
    expect(fresh).toHaveLength(1);
    for (const r of responses) expect([201, 409]).toContain(r.status);
    const ids = new Set(
      await Promise.all(
        responses.filter((r) => r.status === 201).map(async (r) => (await readJson(r)).id),
      ),
    );
    expect(ids.size).toBe(1);
    expect(await rowCount(groups)).toBe(before + 1);
  });

  it('does not keep a key whose request failed, so it can be retried', async () => {
    const key = { 'Idempotency-Key': 'fails-first' };
    expect((await t.request('/v1/groups', jsonRequest('POST', { name: '' }, key))).status).toBe(
      422,
    );
    expect((await t.request('/v1/groups', jsonRequest('POST', { name: 'ok' }, key))).status).toBe(
      201,
    );
  });

  it('rejects a key with control characters', async () => {
    const res = await t.request(
      '/v1/groups',
      jsonRequest('POST', { name: 'x' }, { 'Idempotency-Key': 'a b' }),
    );
    expect(res.status).toBe(400);
    expect((await readJson(res)).type).toBe('urn:problem-type:invalid-idempotency-key');
  });
});

describe('OpenAPI', () => {
  it('serves a 3.1 document declaring every route and the bearer scheme', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await readJson(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/cuisines',
        '/v1/groups',
        '/v1/groups/{groupId}',
        '/v1/groups/{groupId}/members',
        '/v1/groups/{groupId}/members/{memberId}/preferences',
        '/v1/groups/{groupId}/recommendation',
      ]),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('serves the API reference page', async () => {
    const res = await t.request('/docs');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/openapi.json');
  });
});
