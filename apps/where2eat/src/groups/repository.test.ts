import { createDb } from '@micro-app/db';
import { createTestDatabase } from '@micro-app/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../db/schema.js';
import type { AppDatabase } from '../http/types.js';
import { MIGRATIONS_FOLDER } from '../runtime.js';
import {
  type GroupRepository,
  type GroupWithMembers,
  groupRepository,
  pruneInactiveGroups,
} from './repository.js';

// Every statement of the repository is scoped to the caller's tenant by itself, not because the
// routes happen to call `find` first: here a caller of another tenant uses the group's real ids
// directly, on PGlite or on the PostgreSQL server in DATABASE_URL.

describe('groupRepository', () => {
  let drop: () => Promise<void>;
  let close: () => Promise<void>;
  let db: AppDatabase;
  let acme: GroupRepository;
  let globex: GroupRepository;
  let group: GroupWithMembers;
  let memberId: string;

  const reload = async (groupId = group.id) => {
    const found = await acme.find(groupId);
    if (!found) throw new Error('the group is gone');
    return found;
  };

  beforeAll(async () => {
    const testDb = await createTestDatabase(process.env.DATABASE_URL);
    const database = createDb({ schema, url: testDb.url });
    await database.migrate(MIGRATIONS_FOLDER);
    db = database.db;
    drop = () => testDb.drop();
    close = () => database.close();
    acme = groupRepository(db, { sub: 'alice', tenant: 'acme' });
    globex = groupRepository(db, { sub: 'mallory', tenant: 'globex' });
    const created = await acme.create('Lunch');
    const member = await acme.addMember(created.id, { name: 'Alice', userSub: 'alice' });
    if (!member) throw new Error('no member');
    memberId = member.id;
    group = await reload(created.id);
  });
  afterAll(async () => {
    await close();
    await drop();
  });

  it("finds and lists only the caller's tenant's groups", async () => {
    expect(await globex.find(group.id)).toBeUndefined();
    expect(await globex.list({ limit: 10, offset: 0 })).toEqual([]);
    expect((await acme.list({ limit: 10, offset: 0 })).map((g) => g.id)).toEqual([group.id]);
  });

  it("cannot rename, delete or add a member to another tenant's group", async () => {
    expect(await globex.rename(group.id, 'Owned')).toBeUndefined();
    expect(await globex.delete(group.id)).toBe(false);
    expect(
      await globex.addMember(group.id, { name: 'Mallory', userSub: 'mallory' }),
    ).toBeUndefined();
    const after = await reload();
    expect(after.name).toBe('Lunch');
    expect(after.members.map((m) => m.name)).toEqual(['Alice']);
  });

  it("cannot change or remove a member of another tenant's group", async () => {
    const preferences = { likes: ['italian' as const], vetoes: [] };
    expect(await globex.setPreferences(group.id, memberId, preferences)).toBeUndefined();
    expect(await globex.removeMember(group.id, memberId)).toBe(false);
    const [member] = (await reload()).members;
    expect(member).toMatchObject({ id: memberId, likes: [], vetoes: [] });
  });

  it('does all of it for its own tenant, once per user', async () => {
    expect(await acme.rename(group.id, 'Dinner')).toMatchObject({ name: 'Dinner' });
    expect(
      await acme.setPreferences(group.id, memberId, { likes: ['thai'], vetoes: [] }),
    ).toMatchObject({ likes: ['thai'] });
    expect(
      await acme.addMember(group.id, { name: 'Alice again', userSub: 'alice' }),
    ).toBeUndefined();
    const guest = await acme.addMember(group.id, { name: 'Guest', userSub: null });
    expect(guest).toMatchObject({
      groupId: group.id,
      name: 'Guest',
      userSub: null,
      likes: [],
      vetoes: [],
    });
    expect(guest?.createdAt).toBeInstanceOf(Date);
    expect(await acme.removeMember(group.id, guest?.id ?? '')).toBe(true);
    expect(await acme.delete(group.id)).toBe(true);
    expect(
      await db.select().from(schema.members).where(eq(schema.members.groupId, group.id)),
    ).toEqual([]);
  });
});

describe('pruneInactiveGroups (retention)', () => {
  it('deletes groups where nothing changed for the period, keeps those with a recent change', async () => {
    const testDb = await createTestDatabase(process.env.DATABASE_URL);
    const database = createDb({ schema, url: testDb.url });
    try {
      await database.migrate(MIGRATIONS_FOLDER);
      const repo = groupRepository(database.db, { sub: 'alice', tenant: 'acme' });
      const stale = await repo.create('Stale');
      await repo.addMember(stale.id, { name: 'Alice', userSub: 'alice' });
      const voted = await repo.create('Old group, recent vote');
      const member = await repo.addMember(voted.id, { name: 'Alice', userSub: 'alice' });
      const fresh = await repo.create('Fresh');
      const DAY = 86_400_000;
      const old = new Date(Date.now() - 400 * DAY);
      // Age everything but the vote and the fresh group.
      for (const id of [stale.id, voted.id]) {
        await database.db
          .update(schema.groups)
          .set({ updatedAt: old })
          .where(eq(schema.groups.id, id));
        await database.db
          .update(schema.members)
          .set({ updatedAt: old })
          .where(eq(schema.members.groupId, id));
      }
      await repo.setPreferences(voted.id, member?.id ?? '', { likes: ['thai'], vetoes: [] });

      expect(await pruneInactiveGroups(database.db, { inactiveMs: 365 * DAY, batchSize: 1 })).toBe(
        1,
      );
      const left = (await repo.list({ limit: 10, offset: 0 })).map((g) => g.name).sort();
      expect(left).toEqual(['Fresh', 'Old group, recent vote']);
      expect(
        await database.db.select().from(schema.members).where(eq(schema.members.groupId, stale.id)),
      ).toEqual([]);
      expect(fresh.id).toBeDefined();
      expect(await pruneInactiveGroups(database.db, { inactiveMs: 365 * DAY })).toBe(0);
    } finally {
      await database.close();
      await testDb.drop();
    }
  });
});
