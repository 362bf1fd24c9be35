import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, notExists, sql } from 'drizzle-orm';
import { groupInvites, groups, idempotencyKeys, members, webSessions } from '../db/schema.js';
import type { Cuisine } from '../domain/cuisines.js';
import { randomToken, sha256 } from '../http/tokens.js';
import type { AppDatabase, Caller } from '../http/types.js';

export type GroupRow = typeof groups.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type GroupWithMembers = GroupRow & { members: MemberRow[] };
export type InviteRow = Omit<typeof groupInvites.$inferSelect, 'tokenHash'>;

/** The SHA-256 of an invite token, as stored: a leaked table does not hand out invites. */
export const hashInviteToken = sha256;

/** A new invite token: 32 random bytes, URL-safe (43 characters). */
export const newInviteToken = randomToken;

/** The groups and members one caller may touch: every statement filters by the caller's tenant. */
export interface GroupRepository {
  create(name: string): Promise<GroupRow>;
  list(page: { limit: number; offset: number }): Promise<GroupRow[]>;
  find(groupId: string): Promise<GroupWithMembers | undefined>;
  /** `undefined` when no group of the caller's tenant has that id. */
  rename(groupId: string, name: string): Promise<GroupRow | undefined>;
  /** Whether a group of the caller's tenant was deleted. */
  delete(groupId: string): Promise<boolean>;
  /** `undefined` when the group is not the tenant's, or that user is already a member. */
  addMember(
    groupId: string,
    member: { name: string; userSub: string | null },
  ): Promise<MemberRow | undefined>;
  /** Whether a member of a group of the caller's tenant was removed. */
  removeMember(groupId: string, memberId: string): Promise<boolean>;
  setPreferences(
    groupId: string,
    memberId: string,
    preferences: { likes: Cuisine[]; vetoes: Cuisine[] },
  ): Promise<MemberRow | undefined>;
  /**
   * Erases the caller's personal data in their tenant, in one transaction: the groups they own
   * (with those groups' members and invite links), their memberships with their preferences in
   * other groups, the responses stored for their Idempotency-Keys, and their web UI sessions.
   */
  eraseCaller(): Promise<ErasureCounts>;
  /**
   * A new invite link token for a group of the caller's tenant, valid until `expiresAt`; the
   * token itself is returned once and never stored. `undefined` when the group is not the tenant's.
   */
  createInvite(
    groupId: string,
    expiresAt: Date,
  ): Promise<{ invite: InviteRow; token: string } | undefined>;
  /** The group's invites that can still be used (not expired, not revoked), newest first. */
  listInvites(groupId: string): Promise<InviteRow[]>;
  /** Whether a usable invite of a group of the caller's tenant was revoked. */
  revokeInvite(groupId: string, inviteId: string): Promise<boolean>;
  /**
   * The group a usable invite token admits the caller to: `undefined` when the token is unknown,
   * expired, revoked, or for a group of another tenant (all alike, so a guess learns nothing).
   */
  findInvitedGroup(token: string): Promise<GroupRow | undefined>;
}

/** What {@link GroupRepository.eraseCaller} deleted. */
export interface ErasureCounts {
  groups: number;
  memberships: number;
  idempotencyKeys: number;
}

/**
 * The statements every request runs, built once per database: drizzle's relational query
 * builder cost more CPU than PostgreSQL's answer on the recommendation route (docs/performance.md).
 * The tenant stays a parameter of each, so they filter as the built-per-call statements do.
 */
function prepareStatements(db: AppDatabase) {
  return {
    findGroup: db.query.groups
      .findFirst({
        where: and(
          eq(groups.id, sql.placeholder('groupId')),
          eq(groups.tenantId, sql.placeholder('tenant')),
        ),
        with: { members: { orderBy: [asc(members.createdAt), asc(members.id)] } },
      })
      .prepare('where2eat_find_group'),
  };
}

const prepared = new WeakMap<AppDatabase, ReturnType<typeof prepareStatements>>();

function preparedFor(db: AppDatabase): ReturnType<typeof prepareStatements> {
  let statements = prepared.get(db);
  if (!statements) {
    statements = prepareStatements(db);
    prepared.set(db, statements);
  }
  return statements;
}

/**
 * The repository scoped to `caller`: the only way the routes reach groups and members, so a new
 * route cannot forget the tenant. A group of another tenant does not exist for the caller, in
 * every statement (not only in a `find` a route is expected to call first): group statements
 * filter `tenant_id`, member statements filter `group_id` to the tenant's groups.
 */
export function groupRepository(db: AppDatabase, caller: Caller): GroupRepository {
  const statements = preparedFor(db);
  const ofTenant = (groupId: string) =>
    and(eq(groups.id, groupId), eq(groups.tenantId, caller.tenant));
  /** `members.group_id in (select id from groups where id = $1 and tenant_id = $2)` */
  const inTenantGroup = (groupId: string) =>
    inArray(members.groupId, db.select({ id: groups.id }).from(groups).where(ofTenant(groupId)));

  const inviteColumns = {
    id: groupInvites.id,
    groupId: groupInvites.groupId,
    createdBy: groupInvites.createdBy,
    expiresAt: groupInvites.expiresAt,
    revokedAt: groupInvites.revokedAt,
    createdAt: groupInvites.createdAt,
  };
  const usable = () => and(isNull(groupInvites.revokedAt), gt(groupInvites.expiresAt, new Date()));
  const inTenantGroupInvites = (groupId: string) =>
    inArray(
      groupInvites.groupId,
      db.select({ id: groups.id }).from(groups).where(ofTenant(groupId)),
    );

  return {
    async create(name) {
      const [row] = await db
        .insert(groups)
        .values({ name, tenantId: caller.tenant, ownerSub: caller.sub })
        .returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },

    list(page) {
      return db
        .select()
        .from(groups)
        .where(eq(groups.tenantId, caller.tenant))
        .orderBy(desc(groups.createdAt), asc(groups.id))
        .limit(page.limit)
        .offset(page.offset);
    },

    find(groupId) {
      return statements.findGroup.execute({ groupId, tenant: caller.tenant });
    },

    async rename(groupId, name) {
      const [row] = await db
        .update(groups)
        .set({ name, updatedAt: new Date() })
        .where(ofTenant(groupId))
        .returning();
      return row;
    },

    async delete(groupId) {
      const deleted = await db.delete(groups).where(ofTenant(groupId)).returning({ id: groups.id });
      return deleted.length > 0;
    },

    async addMember(groupId, member) {
      // insert … select from the tenant's group: another tenant's group yields no row to insert.
      // Drizzle's insert … select names every column in table order, so the defaults are spelt
      // out here as in the schema.
      const [row] = await db
        .insert(members)
        .select(
          db
            .select({
              id: sql<string>`gen_random_uuid()`.as('id'),
              groupId: groups.id,
              name: sql<string>`${member.name}::text`.as('name'),
              userSub: sql<string | null>`${member.userSub}::text`.as('user_sub'),
              likes: sql<Cuisine[]>`'[]'::jsonb`.as('likes'),
              vetoes: sql<Cuisine[]>`'[]'::jsonb`.as('vetoes'),
              createdAt: sql<Date>`now()`.as('created_at'),
              updatedAt: sql<Date>`now()`.as('updated_at'),
            })
            .from(groups)
            .where(ofTenant(groupId)),
        )
        .onConflictDoNothing()
        .returning();
      return row;
    },

    async removeMember(groupId, memberId) {
      const removed = await db
        .delete(members)
        .where(and(inTenantGroup(groupId), eq(members.id, memberId)))
        .returning({ id: members.id });
      return removed.length > 0;
    },

    eraseCaller() {
      return db.transaction(async (tx) => {
        const owned = await tx
          .delete(groups)
          .where(and(eq(groups.tenantId, caller.tenant), eq(groups.ownerSub, caller.sub)))
          .returning({ id: groups.id });
        const tenantGroups = tx
          .select({ id: groups.id })
          .from(groups)
          .where(eq(groups.tenantId, caller.tenant));
        const memberships = await tx
          .delete(members)
          .where(and(eq(members.userSub, caller.sub), inArray(members.groupId, tenantGroups)))
          .returning({ id: members.id });
        const keys = await tx
          .delete(idempotencyKeys)
          .where(eq(idempotencyKeys.scope, `${caller.tenant}/${caller.sub}`))
          .returning({ key: idempotencyKeys.key });
        // Their web UI sessions (and the access tokens in them) end too: signed out everywhere.
        await tx.delete(webSessions).where(eq(webSessions.sub, caller.sub));
        return {
          groups: owned.length,
          memberships: memberships.length,
          idempotencyKeys: keys.length,
        };
      });
    },

    async createInvite(groupId, expiresAt) {
      const token = newInviteToken();
      const [invite] = await db
        .insert(groupInvites)
        .select(
          db
            .select({
              id: sql<string>`gen_random_uuid()`.as('id'),
              groupId: groups.id,
              tokenHash: sql<string>`${hashInviteToken(token)}::text`.as('token_hash'),
              createdBy: sql<string>`${caller.sub}::text`.as('created_by'),
              expiresAt: sql<Date>`${expiresAt.toISOString()}::timestamptz`.as('expires_at'),
              revokedAt: sql<Date | null>`null::timestamptz`.as('revoked_at'),
              createdAt: sql<Date>`now()`.as('created_at'),
            })
            .from(groups)
            .where(ofTenant(groupId)),
        )
        .returning(inviteColumns);
      return invite ? { invite, token } : undefined;
    },

    listInvites(groupId) {
      return db
        .select(inviteColumns)
        .from(groupInvites)
        .where(and(inTenantGroupInvites(groupId), usable()))
        .orderBy(desc(groupInvites.createdAt), asc(groupInvites.id));
    },

    async revokeInvite(groupId, inviteId) {
      const revoked = await db
        .update(groupInvites)
        .set({ revokedAt: new Date() })
        .where(and(inTenantGroupInvites(groupId), eq(groupInvites.id, inviteId), usable()))
        .returning({ id: groupInvites.id });
      return revoked.length > 0;
    },

    async findInvitedGroup(token) {
      const [row] = await db
        .select({ group: groups })
        .from(groupInvites)
        .innerJoin(groups, eq(groups.id, groupInvites.groupId))
        .where(
          and(
            eq(groupInvites.tokenHash, hashInviteToken(token)),
            eq(groups.tenantId, caller.tenant),
            usable(),
          ),
        )
        .limit(1);
      return row?.group;
    },

    async setPreferences(groupId, memberId, preferences) {
      const [row] = await db
        .update(members)
        .set({ ...preferences, updatedAt: new Date() })
        .where(and(inTenantGroup(groupId), eq(members.id, memberId)))
        .returning();
      return row;
    },
  };
}

/**
 * Retention: deletes groups (with their members) of every tenant where nothing changed for
 * `inactiveMs` (neither the group nor any member or preference), in batches, and returns how
 * many. Run it on a schedule (main.ts: every `IDEMPOTENCY_PRUNE_INTERVAL_MS`, with
 * `DATA_RETENTION_DAYS`); several instances running it at once is harmless.
 */
export async function pruneInactiveGroups(
  db: AppDatabase,
  options: { inactiveMs: number; batchSize?: number; now?: Date },
): Promise<number> {
  const { inactiveMs, batchSize = 500, now = new Date() } = options;
  const cutoff = new Date(now.getTime() - inactiveMs);
  let total = 0;
  for (;;) {
    const stale = db
      .select({ id: groups.id })
      .from(groups)
      .where(
        and(
          lt(groups.updatedAt, cutoff),
          notExists(
            db
              .select({ one: sql`1` })
              .from(members)
              .where(and(eq(members.groupId, groups.id), gte(members.updatedAt, cutoff))),
          ),
        ),
      )
      .limit(batchSize);
    const deleted = await db
      .delete(groups)
      .where(inArray(groups.id, stale))
      .returning({ id: groups.id });
    total += deleted.length;
    if (deleted.length < batchSize) return total;
  }
}
