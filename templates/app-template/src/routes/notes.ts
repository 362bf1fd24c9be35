import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import { audit } from '@micro-app/auth';
import { HttpProblem, validationHook } from '@micro-app/server';
import type { AppDatabase, AppEnv } from '../http/types.js';
import {
  createNote,
  deleteNote,
  findNote,
  listNotes,
  type NoteRow,
  updateNote,
} from '../notes/repository.js';
import {
  CreateNoteBody,
  commonErrors,
  jsonResponse,
  ListNotesQuery,
  NoteIdParams,
  NoteListSchema,
  NoteSchema,
  noContentResponse,
  UpdateNoteBody,
} from './schemas.js';

const json = jsonResponse;
const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

const noteNotFound = () =>
  new HttpProblem({ status: 404, slug: 'note-not-found', title: 'Note not found' });

const toNote = (n: NoteRow) => ({
  id: n.id,
  title: n.title,
  body: n.body,
  authorSub: n.authorSub,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});

const tags = ['notes'];
const security = [{ bearerAuth: [] }];

/** The `/v1/notes` API: the example resource, scoped to the caller's tenant. */
export function noteRoutes(db: AppDatabase) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/notes',
      tags,
      security,
      operationId: 'createNote',
      summary: 'Create a note',
      description: "Creates a note in the caller's tenant, written by the caller.",
      request: { body: jsonBody(CreateNoteBody) },
      responses: { 201: json(NoteSchema, 'Created.', ['Location']), ...commonErrors },
    }),
    async (c) => {
      const note = await createNote(db, c.var.caller, c.req.valid('json'));
      audit(c, 'note.created', { noteId: note.id });
      c.header('Location', `/v1/notes/${note.id}`);
      return c.json(toNote(note), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notes',
      tags,
      security,
      operationId: 'listNotes',
      summary: "List the caller's tenant's notes, newest first",
      description: "A page of the notes of the caller's tenant; page with `limit` and `offset`.",
      request: { query: ListNotesQuery },
      responses: { 200: json(NoteListSchema, 'A page of notes.'), ...commonErrors },
    }),
    async (c) => {
      const page = c.req.valid('query');
      const rows = await listNotes(db, c.var.caller, page);
      return c.json({ items: rows.map(toNote), ...page }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notes/{noteId}',
      tags,
      security,
      operationId: 'getNote',
      summary: 'Get a note',
      description: 'A note of another tenant answers 404, as one that does not exist.',
      request: { params: NoteIdParams },
      responses: { 200: json(NoteSchema, 'The note.'), ...commonErrors },
    }),
    async (c) => {
      const note = await findNote(db, c.var.caller, c.req.valid('param').noteId);
      if (!note) throw noteNotFound();
      return c.json(toNote(note), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/notes/{noteId}',
      tags,
      security,
      operationId: 'updateNote',
      summary: 'Change the title or body of a note',
      description: 'Changes the fields given; at least one of `title` and `body`.',
      request: { params: NoteIdParams, body: jsonBody(UpdateNoteBody) },
      responses: { 200: json(NoteSchema, 'Updated.'), ...commonErrors },
    }),
    async (c) => {
      const { noteId } = c.req.valid('param');
      const note = await updateNote(db, c.var.caller, noteId, c.req.valid('json'));
      if (!note) throw noteNotFound();
      audit(c, 'note.updated', { noteId });
      return c.json(toNote(note), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/notes/{noteId}',
      tags,
      security,
      operationId: 'deleteNote',
      summary: 'Delete a note',
      description: 'Deletes the note; an audit line records it.',
      request: { params: NoteIdParams },
      responses: { 204: noContentResponse('Deleted.'), ...commonErrors },
    }),
    async (c) => {
      const { noteId } = c.req.valid('param');
      if (!(await deleteNote(db, c.var.caller, noteId))) throw noteNotFound();
      audit(c, 'note.deleted', { noteId });
      return c.body(null, 204);
    },
  );

  return app;
}
