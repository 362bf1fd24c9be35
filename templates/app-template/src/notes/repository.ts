import { and, asc, desc, eq } from 'drizzle-orm';
import { notes } from '../db/schema.js';
import type { AppDatabase, Caller } from '../http/types.js';

export type NoteRow = typeof notes.$inferSelect;

// Every query is scoped by tenant: a note of another tenant does not exist for the caller.
const ofTenant = (caller: Caller, noteId: string) =>
  and(eq(notes.id, noteId), eq(notes.tenantId, caller.tenant));

export async function createNote(
  db: AppDatabase,
  caller: Caller,
  input: { title: string; body: string },
): Promise<NoteRow> {
  const [row] = await db
    .insert(notes)
    .values({ ...input, tenantId: caller.tenant, authorSub: caller.sub })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export function listNotes(
  db: AppDatabase,
  caller: Caller,
  page: { limit: number; offset: number },
): Promise<NoteRow[]> {
  return db
    .select()
    .from(notes)
    .where(eq(notes.tenantId, caller.tenant))
    .orderBy(desc(notes.createdAt), asc(notes.id))
    .limit(page.limit)
    .offset(page.offset);
}

export async function findNote(
  db: AppDatabase,
  caller: Caller,
  noteId: string,
): Promise<NoteRow | undefined> {
  const [row] = await db.select().from(notes).where(ofTenant(caller, noteId));
  return row;
}

export async function updateNote(
  db: AppDatabase,
  caller: Caller,
  noteId: string,
  changes: { title?: string | undefined; body?: string | undefined },
): Promise<NoteRow | undefined> {
  const [row] = await db
    .update(notes)
    .set({ ...changes, updatedAt: new Date() })
    .where(ofTenant(caller, noteId))
    .returning();
  return row;
}

export async function deleteNote(
  db: AppDatabase,
  caller: Caller,
  noteId: string,
): Promise<boolean> {
  const rows = await db.delete(notes).where(ofTenant(caller, noteId)).returning({ id: notes.id });
  return rows.length > 0;
}
