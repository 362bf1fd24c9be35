import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// The example resource. Change it, then `npm run db:generate` writes the next migration into
// ./drizzle; migrations are checked in and applied by `npm run migrate` (at start in development).

export const notes = pgTable(
  'notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    authorSub: text('author_sub').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notes_tenant_created_idx').on(t.tenantId, t.createdAt)],
);
