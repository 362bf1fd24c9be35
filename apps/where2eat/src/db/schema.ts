import { relations, sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Cuisine } from '../domain/cuisines.js';

export const groups = pgTable(
  'groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    ownerSub: text('owner_sub').notNull(),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('groups_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

export const members = pgTable(
  'members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Subject of the user this member is, when they have an account; a member may vote only as themself. */
    userSub: text('user_sub'),
    likes: jsonb('likes').$type<Cuisine[]>().notNull().default(sql`'[]'::jsonb`),
    vetoes: jsonb('vetoes').$type<Cuisine[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('members_group_idx').on(t.groupId),
    uniqueIndex('members_group_user_idx').on(t.groupId, t.userSub),
  ],
);

/**
 * Invite links: a random capability token (only its SHA-256 is stored) that lets a signed-in
 * user of the group's tenant join one group until it expires or its owner revokes it.
 */
export const groupInvites = pgTable(
  'group_invites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdBy: text('created_by').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('group_invites_token_idx').on(t.tokenHash),
    index('group_invites_group_idx').on(t.groupId),
    index('group_invites_expires_idx').on(t.expiresAt),
  ],
);

/**
 * Browser sessions of the web UI (backend-for-frontend): the cookie holds a random id, this table
 * its SHA-256, the access token the UI calls the API with, and the session's CSRF token.
 */
export const webSessions = pgTable(
  'web_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    sub: text('sub').notNull(),
    name: text('name').notNull(),
    accessToken: text('access_token').notNull(),
    csrfToken: text('csrf_token').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('web_sessions_expires_idx').on(t.expiresAt)],
);

/** Responses of POSTs sent with an `Idempotency-Key`, replayed on retries. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    headers: jsonb('headers').$type<Record<string, string>>(),
    body: text('body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // created_at: expiry and pruning (pruneIdempotencyKeys) scan by age.
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

export const groupsRelations = relations(groups, ({ many }) => ({ members: many(members) }));
export const membersRelations = relations(members, ({ one }) => ({
  group: one(groups, { fields: [members.groupId], references: [groups.id] }),
}));
