import { and, asc, desc, eq } from 'drizzle-orm';
import { groups, members } from '../db/schema.js';
import type { Cuisine } from '../domain/cuisines.js';
import type { AppDatabase, Caller } from '../http/types.js';

export type GroupRow = typeof groups.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type GroupWithMembers = GroupRow & { members: MemberRow[] };

// Every query is scoped by tenant: a group of another tenant does not exist for the caller.

export async function createGroup(
  db: AppDatabase,
  caller: Caller,
  name: string,
): Promise<GroupRow> {
  const [row] = await db
    .insert(groups)
    .values({ name, tenantId: caller.tenant, ownerSub: caller.sub })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export function listGroups(
  db: AppDatabase,
  caller: Caller,
  page: { limit: number; offset: number },
): Promise<GroupRow[]> {
  return db
    .select()
    .from(groups)
    .where(eq(groups.tenantId, caller.tenant))
    .orderBy(desc(groups.createdAt), asc(groups.id))
    .limit(page.limit)
    .offset(page.offset);
}

export async function findGroup(
  db: AppDatabase,
  caller: Caller,
  groupId: string,
): Promise<GroupWithMembers | undefined> {
  return db.query.groups.findFirst({
    where: and(eq(groups.id, groupId), eq(groups.tenantId, caller.tenant)),
    with: { members: { orderBy: [asc(members.createdAt), asc(members.id)] } },
  });
}

export async function renameGroup(
  db: AppDatabase,
  groupId: string,
  name: string,
): Promise<GroupRow | undefined> {
  const [row] = await db
    .update(groups)
    .set({ name, updatedAt: new Date() })
    .where(eq(groups.id, groupId))
    .returning();
  return row;
}

export async function deleteGroup(db: AppDatabase, groupId: string): Promise<void> {
  await db.delete(groups).where(eq(groups.id, groupId));
}

export async function addMember(
  db: AppDatabase,
  groupId: string,
  member: { name: string; userSub: string | null },
): Promise<MemberRow | undefined> {
  const [row] = await db
    .insert(members)
    .values({ groupId, ...member })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function removeMember(
  db: AppDatabase,
  groupId: string,
  memberId: string,
): Promise<boolean> {
  const removed = await db
    .delete(members)
    .where(and(eq(members.groupId, groupId), eq(members.id, memberId)))
    .returning({ id: members.id });
  return removed.length > 0;
}

export async function setPreferences(
  db: AppDatabase,
  groupId: string,
  memberId: string,
  preferences: { likes: Cuisine[]; vetoes: Cuisine[] },
): Promise<MemberRow | undefined> {
  const [row] = await db
    .update(members)
    .set({ ...preferences, updatedAt: new Date() })
    .where(and(eq(members.groupId, groupId), eq(members.id, memberId)))
    .returning();
  return row;
}
