import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupInvites } from '../db/schema.js';
import { hashInviteToken } from '../groups/repository.js';
import {
  createTestApp,
  jsonRequest,
  readJson,
  type TestApp,
  type TestUser,
} from '../test/harness.js';

// Invite links: a capability for one group, with an expiry, revocable by the owner, that
// admits only signed-in users of the group's tenant and shows nothing before they join.

describe('invite links', () => {
  let t: TestApp;
  let groupId: string;
  const post = (path: string, body: unknown, user: TestUser) =>
    t.request(path, jsonRequest('POST', body), user);
  const invite = async (body: unknown = {}) => {
    const res = await post(`/v1/groups/${groupId}/invites`, body, 'alice');
    expect(res.status).toBe(201);
    return readJson(res);
  };

  beforeAll(async () => {
    t = await createTestApp();
    groupId = (await readJson(await post('/v1/groups', { name: 'Lunch' }, 'alice'))).id;
    await post(`/v1/groups/${groupId}/members`, { name: 'Alice' }, 'alice');
    const [alice] = (await readJson(await t.request(`/v1/groups/${groupId}`))).members;
    await t.request(
      `/v1/groups/${groupId}/members/${alice.id}/preferences`,
      jsonRequest('PUT', { likes: ['thai'], vetoes: ['french'] }),
    );
  });
  afterAll(() => t.close());

  it('gives the owner a random single-group token, shown once and stored only as its hash', async () => {
    const a = await invite({ expiresInHours: 2 });
    const b = await invite();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.groupId).toBe(groupId);
    const hours = (Date.parse(a.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
    const [row] = await t.db.select().from(groupInvites).where(eq(groupInvites.id, a.id));
    expect(row?.tokenHash).toBe(hashInviteToken(a.token));
    expect(JSON.stringify(row)).not.toContain(a.token);
    const listed = await readJson(await t.request(`/v1/groups/${groupId}/invites`));
    expect(listed.items.map((i: { id: string }) => i.id)).toEqual([b.id, a.id]);
    expect(JSON.stringify(listed)).not.toContain(a.token);
  });

  it('lets only the owner create, list and revoke invites', async () => {
    expect((await post(`/v1/groups/${groupId}/invites`, {}, 'bob')).status).toBe(403);
    expect((await t.request(`/v1/groups/${groupId}/invites`, {}, 'bob')).status).toBe(403);
    const { id } = await invite();
    const revoke = (user: TestUser) =>
      t.request(`/v1/groups/${groupId}/invites/${id}`, { method: 'DELETE' }, user);
    expect((await revoke('bob')).status).toBe(403);
    // Another tenant's owner does not see the group at all.
    expect((await post(`/v1/groups/${groupId}/invites`, {}, 'carol')).status).toBe(404);
    expect((await revoke('alice')).status).toBe(204);
    expect((await revoke('alice')).status).toBe(404);
  });

  it('refuses expiries out of bounds with 422', async () => {
    for (const expiresInHours of [0, 721, 1.5, '2']) {
      const res = await post(`/v1/groups/${groupId}/invites`, { expiresInHours }, 'alice');
      expect(res.status).toBe(422);
    }
  });

  it('admits a signed-in user of the tenant once, as themself, and then answers their membership', async () => {
    const { token } = await invite();
    const joined = await post('/v1/invites/accept', { token, name: 'Bob' }, 'bob');
    expect(joined.status).toBe(201);
    const body = await readJson(joined);
    expect(body).toMatchObject({ groupId, member: { name: 'Bob', userSub: 'bob', likes: [] } });
    // The answer carries the caller's own membership only, nothing of the other members.
    expect(JSON.stringify(body)).not.toContain('thai');
    const again = await post('/v1/invites/accept', { token, name: 'Bob' }, 'bob');
    expect(again.status).toBe(200);
    expect((await readJson(again)).member.id).toBe(body.member.id);
    const group = await readJson(await t.request(`/v1/groups/${groupId}`, {}, 'bob'));
    expect(group.members.map((m: { userSub: string }) => m.userSub)).toEqual(['alice', 'bob']);
  });

  it('answers the same 404 for an unknown, revoked, expired or other tenant token, and shows nothing', async () => {
    const revoked = await invite();
    await t.request(`/v1/groups/${groupId}/invites/${revoked.id}`, { method: 'DELETE' });
    const expired = await invite();
    await t.db
      .update(groupInvites)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(groupInvites.id, expired.id));
    const valid = await invite();
    const cases: Array<[string, TestUser]> = [
      ['x'.repeat(43), 'bob'],
      [revoked.token, 'bob'],
      [expired.token, 'bob'],
      // carol is in another tenant: the link does not cross tenants.
      [valid.token, 'carol'],
    ];
    const bodies = [];
    for (const [token, user] of cases) {
      const res = await post('/v1/invites/accept', { token, name: 'Someone' }, user);
      expect(res.status).toBe(404);
      const problem = await readJson(res);
      expect(JSON.stringify(problem)).not.toMatch(/Lunch|thai|alice/);
      bodies.push({ type: problem.type, title: problem.title, detail: problem.detail });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    // Without a token nothing is answered at all.
    expect(
      (
        await t.request(
          '/v1/invites/accept',
          jsonRequest('POST', { token: valid.token, name: 'x' }),
          null,
        )
      ).status,
    ).toBe(401);
    // Expired and revoked invites are no longer listed.
    const listed = await readJson(await t.request(`/v1/groups/${groupId}/invites`));
    const ids = listed.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(valid.id);
    expect(ids).not.toContain(revoked.id);
    expect(ids).not.toContain(expired.id);
  });

  it('goes away with its group', async () => {
    const { id } = await invite();
    expect((await t.request(`/v1/groups/${groupId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await t.db.select().from(groupInvites).where(eq(groupInvites.id, id))).toEqual([]);
  });
});
