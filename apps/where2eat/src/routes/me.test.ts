import { eq, or, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, idempotencyKeys, members, webSessions } from '../db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from '../test/harness.js';

// DELETE /v1/me erases what the API keeps about the caller (docs/data.md), and only that.

describe('DELETE /v1/me', () => {
  let t: TestApp;
  let aliceGroup: string;
  let bobGroup: string;
  const post = (path: string, body: unknown, user: 'alice' | 'bob', headers = {}) =>
    t.request(path, jsonRequest('POST', body, headers), user);

  beforeAll(async () => {
    t = await createTestApp();
    aliceGroup = (
      await readJson(
        await post('/v1/groups', { name: "Alice's" }, 'alice', { 'Idempotency-Key': 'alice-1' }),
      )
    ).id;
    bobGroup = (await readJson(await post('/v1/groups', { name: "Bob's" }, 'bob'))).id;
    expect((await post(`/v1/groups/${aliceGroup}/members`, { name: 'Bob' }, 'bob')).status).toBe(
      201,
    );
    const joined = await readJson(
      await post(`/v1/groups/${bobGroup}/members`, { name: 'Alice' }, 'alice'),
    );
    const prefs = await t.request(
      `/v1/groups/${bobGroup}/members/${joined.id}/preferences`,
      jsonRequest('PUT', { likes: ['thai'], vetoes: ['french'] }),
      'alice',
    );
    expect(prefs.status).toBe(200);
    expect((await post(`/v1/groups/${bobGroup}/members`, { name: 'Bob' }, 'bob')).status).toBe(201);
    const session = (sub: string) => ({
      idHash: `${sub}-session`,
      sub,
      name: sub,
      accessToken: 'token',
      csrfToken: 'csrf',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await t.db.insert(webSessions).values([session('alice'), session('bob')]);
  });
  afterAll(() => t.close());

  it("deletes the caller's groups, memberships, preferences and stored responses, and audits it", async () => {
    const res = await t.request('/v1/me', { method: 'DELETE' }, 'alice');
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ groups: 1, memberships: 1, idempotencyKeys: 1 });
    expect(t.logs).toContainEqual(
      expect.objectContaining({ audit: true, event: 'user.erased', sub: 'alice', groups: 1 }),
    );

    // Nothing of alice is left in the database.
    const left = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(members)
      .where(eq(members.userSub, 'alice'));
    expect(left[0]?.n).toBe(0);
    expect(await t.db.select().from(groups).where(eq(groups.ownerSub, 'alice'))).toEqual([]);
    expect(
      await t.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.scope, 'acme/alice')),
    ).toEqual([]);
    // Her web UI sessions end with it; bob's stays.
    const sessions = await t.db.select({ sub: webSessions.sub }).from(webSessions);
    expect(sessions.map((row) => row.sub)).toEqual(['bob']);

    // Bob's group stays, without alice; alice's group is gone for bob too.
    const bobs = await readJson(await t.request(`/v1/groups/${bobGroup}`, {}, 'bob'));
    expect(bobs.members.map((m: { name: string }) => m.name)).toEqual(['Bob']);
    expect((await t.request(`/v1/groups/${aliceGroup}`, {}, 'bob')).status).toBe(404);
    const bobRows = await t.db
      .select()
      .from(members)
      .where(or(eq(members.userSub, 'bob'), eq(members.groupId, bobGroup)));
    expect(bobRows.map((m) => m.userSub)).toEqual(['bob']);
  });

  it('deletes nothing the second time', async () => {
    const res = await t.request('/v1/me', { method: 'DELETE' }, 'alice');
    expect(await readJson(res)).toEqual({ groups: 0, memberships: 0, idempotencyKeys: 0 });
  });

  it('needs a token with groups:write', async () => {
    expect((await t.request('/v1/me', { method: 'DELETE' }, null)).status).toBe(401);
  });
});
