import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups } from './db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from './test/harness.js';

const PROBLEM = 'application/problem+json';

async function groupCount(t: TestApp) {
  const [row] = await t.db.select({ n: count() }).from(groups);
  return row?.n ?? 0;
}

describe('auth and tenancy', () => {
  let t: TestApp;
  let groupId: string;
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'Acme lunch' }));
    groupId = (await readJson(res)).id;
  });
  afterAll(() => t.close());

  it('answers every /v1 route without a token with 401 problem+json and writes nothing', async () => {
    const before = await groupCount(t);
    for (const [path, init] of [
      ['/v1/groups', jsonRequest('POST', { name: 'anon' })],
      ['/v1/groups', {}],
      [`/v1/groups/${groupId}/recommendation`, {}],
      ['/v1/cuisines', {}],
    ] as const) {
      const res = await t.request(path, init, null);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(await groupCount(t)).toBe(before);
  });

  it('answers a tampered token with 401 invalid_token', async () => {
    const [header, payload, signature] = t.tokens.alice.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'globex' })).toString(
      'base64url',
    );
    const res = await t.app.request('/v1/groups', {
      headers: { Authorization: `Bearer ${header}.${forged}.${signature}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('hides a group from another tenant (404), for reads and writes alike', async () => {
    const read = await t.request(`/v1/groups/${groupId}`, {}, 'carol');
    expect(read.status).toBe(404);
    const join = await t.request(
      `/v1/groups/${groupId}/members`,
      jsonRequest('POST', { name: 'Carol' }),
      'carol',
    );
    expect(join.status).toBe(404);
    const list = await readJson(await t.request('/v1/groups?limit=100', {}, 'carol'));
    expect(list.items.map((g: { id: string }) => g.id)).not.toContain(groupId);
  });

  it('lets a same-tenant user join but not rename, delete or add others (403)', async () => {
    const join = await t.request(
      `/v1/groups/${groupId}/members`,
      jsonRequest('POST', { name: 'Bob' }),
      'bob',
    );
    expect(join.status).toBe(201);
    const addOther = await t.request(
      `/v1/groups/${groupId}/members`,
      jsonRequest('POST', { name: 'Someone', userSub: 'someone' }),
      'bob',
    );
    expect(addOther.status).toBe(403);
    const rename = await t.request(
      `/v1/groups/${groupId}`,
      jsonRequest('PATCH', { name: 'Mine' }),
      'bob',
    );
    expect(rename.status).toBe(403);
    expect(rename.headers.get('content-type')).toBe(PROBLEM);
    const del = await t.request(`/v1/groups/${groupId}`, { method: 'DELETE' }, 'bob');
    expect(del.status).toBe(403);
    expect((await t.request(`/v1/groups/${groupId}`)).status).toBe(200);
  });

  it('writes an audit line for a privileged action', async () => {
    const res = await t.request('/v1/groups', jsonRequest('POST', { name: 'Short-lived' }));
    const { id } = await readJson(res);
    expect((await t.request(`/v1/groups/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ audit: true, event: 'group.deleted', groupId: id }),
    );
  });
});

describe('access log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('names the tenant on every request line, null when no tenant was authenticated', async () => {
    const before = t.logs.length;
    expect((await t.request('/v1/cuisines', {}, 'alice')).status).toBe(200);
    expect((await t.request('/v1/groups/not-a-uuid', {}, 'carol')).status).toBe(422);
    expect((await t.request('/v1/cuisines', {}, null)).status).toBe(401);
    expect((await t.request('/nowhere', {}, null)).status).toBe(404);
    const lines = t.logs.slice(before).filter((l) => 'status' in l && 'duration_ms' in l);
    expect(lines.map((l) => [l.path, l.status, l.tenant])).toEqual([
      ['/v1/cuisines', 200, 'acme'],
      ['/v1/groups/not-a-uuid', 422, 'globex'],
      ['/v1/cuisines', 401, null],
      ['/nowhere', 404, null],
    ]);
  });
});

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ rateLimits: { perUserPerMin: 5, groupCreatePerMin: 2 } });
  });
  afterAll(() => t.close());

  it('limits group creation more strictly, with RateLimit headers and a 429 problem', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await t.request('/v1/groups', jsonRequest('POST', { name: `g${i}` }));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 429]);
    expect(last?.headers.get('content-type')).toBe(PROBLEM);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('ratelimit-policy')).toContain('"group-create";q=2;w=60');
    // Reads are not group creations.
    expect((await t.request('/v1/groups')).status).toBe(200);
  });

  it('limits each user per minute across all routes, other users unaffected', async () => {
    // Alice spent 4 of her 5 calls above (3 POSTs and a GET): one more passes, then 429.
    expect((await t.request('/v1/cuisines')).status).toBe(200);
    const res = await t.request('/v1/cuisines');
    expect(res.status).toBe(429);
    expect(res.headers.get('ratelimit')).toContain('"per-user";r=0');
    expect((await t.request('/v1/cuisines', {}, 'bob')).status).toBe(200);
  });
});

describe('feature flags from the bootstrap file', () => {
  let t: TestApp;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'where2eat-flags-'));
    file = join(dir, 'flags.json');
    await writeFile(
      file,
      JSON.stringify({ 'maintenance-mode': false, 'recommendation-v2': false }),
    );
    t = await createTestApp({ flagsFile: file });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function until(check: () => Promise<boolean>) {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('flag change was not picked up within 5 s');
  }

  it('switches the recommendation algorithm without a restart', async () => {
    const { id } = await readJson(
      await t.request('/v1/groups', jsonRequest('POST', { name: 'Flags' })),
    );
    const algorithm = async () =>
      (await readJson(await t.request(`/v1/groups/${id}/recommendation`))).algorithm;
    expect(await algorithm()).toBe('v1');
    await writeFile(file, JSON.stringify({ 'recommendation-v2': true }));
    await until(async () => (await algorithm()) === 'v2');
  });

  it('maintenance-mode answers writes with 503 problem+json while reads go on', async () => {
    await writeFile(file, JSON.stringify({ 'maintenance-mode': true }));
    await until(
      async () =>
        (await t.request('/v1/groups', jsonRequest('POST', { name: 'm' }))).status === 503,
    );
    const write = await t.request('/v1/groups', jsonRequest('POST', { name: 'm' }));
    expect(write.status).toBe(503);
    expect(write.headers.get('content-type')).toBe(PROBLEM);
    expect((await readJson(write)).type).toBe('urn:problem-type:maintenance');
    expect((await t.request('/v1/groups')).status).toBe(200);
    await writeFile(file, JSON.stringify({ 'maintenance-mode': false }));
    await until(
      async () =>
        (await t.request('/v1/groups', jsonRequest('POST', { name: 'm' }))).status === 201,
    );
  });
});
