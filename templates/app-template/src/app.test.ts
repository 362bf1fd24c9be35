import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notes } from './db/schema.js';
import { createTestApp, jsonRequest, readJson, type TestApp } from './test/harness.js';

const PROBLEM = 'application/problem+json';

let t: TestApp;
let flagsDir: string;
let flagsFile: string;

beforeAll(async () => {
  flagsDir = mkdtempSync(join(tmpdir(), 'app-template-flags-'));
  flagsFile = join(flagsDir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': false }));
  t = await createTestApp({ flagsFile });
});
afterAll(async () => {
  await t?.close();
  rmSync(flagsDir, { recursive: true, force: true });
});

async function noteCount(): Promise<number> {
  const [row] = await t.db.select({ n: count() }).from(notes);
  return row?.n ?? 0;
}

async function createNote(title: string, user: 'alice' | 'bob' | 'carol' = 'alice') {
  const res = await t.request('/v1/notes', jsonRequest('POST', { title, body: 'text' }), user);
  expect(res.status).toBe(201);
  return (await readJson(res)) as { id: string; title: string };
}

describe('health', () => {
  it('is live and ready with the database reachable, without a token', async () => {
    expect((await t.request('/health/live', {}, null)).status).toBe(200);
    const ready = await t.request('/health/ready', {}, null);
    expect(ready.status).toBe(200);
    expect(await readJson(ready)).toMatchObject({ checks: { database: { status: 'pass' } } });
  });
});

describe('auth', () => {
  it('answers 401 problem+json without a token, and writes nothing', async () => {
    const before = await noteCount();
    const res = await t.request('/v1/notes', jsonRequest('POST', { title: 'x' }), null);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    expect(await readJson(res)).toMatchObject({ status: 401 });
    expect(await noteCount()).toBe(before);
  });

  it('answers 401 to a valid token issued for another audience', async () => {
    const foreign = await t.idp.getUserToken('alice', { audience: 'another-app' });
    const res = await t.app.request('/v1/notes', {
      headers: { Authorization: `Bearer ${foreign}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
  });
});

describe('notes', () => {
  it('creates, reads, lists, updates and deletes a note', async () => {
    const created = await t.request(
      '/v1/notes',
      jsonRequest('POST', { title: ' Groceries ', body: 'milk' }),
    );
    expect(created.status).toBe(201);
    const note = await readJson(created);
    expect(note).toMatchObject({ title: 'Groceries', body: 'milk', authorSub: 'alice' });
    expect(created.headers.get('location')).toBe(`/v1/notes/${note.id}`);

    const read = await t.request(`/v1/notes/${note.id}`);
    expect(read.status).toBe(200);
    expect(await readJson(read)).toEqual(note);

    const list = await readJson(await t.request('/v1/notes?limit=100'));
    expect(list.items.map((n: { id: string }) => n.id)).toContain(note.id);

    const updated = await t.request(`/v1/notes/${note.id}`, jsonRequest('PATCH', { body: 'eggs' }));
    expect(updated.status).toBe(200);
    expect(await readJson(updated)).toMatchObject({ title: 'Groceries', body: 'eggs' });

    const deleted = await t.request(`/v1/notes/${note.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const gone = await t.request(`/v1/notes/${note.id}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toBe(PROBLEM);
  });

  it("keeps tenants apart: another tenant's note does not exist for the caller", async () => {
    const note = await createNote('acme only');
    expect((await t.request(`/v1/notes/${note.id}`, {}, 'bob')).status).toBe(200);
    expect((await t.request(`/v1/notes/${note.id}`, {}, 'carol')).status).toBe(404);
    const del = await t.request(`/v1/notes/${note.id}`, { method: 'DELETE' }, 'carol');
    expect(del.status).toBe(404);
    const list = await readJson(await t.request('/v1/notes?limit=100', {}, 'carol'));
    expect(list.items.map((n: { id: string }) => n.id)).not.toContain(note.id);
    expect((await t.request(`/v1/notes/${note.id}`)).status).toBe(200);
  });

  it('answers 422 problem+json naming each invalid field, and writes nothing', async () => {
    const before = await noteCount();
    const res = await t.request('/v1/notes', jsonRequest('POST', { title: '', extra: 1 }));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    const problem = await readJson(res);
    expect(problem).toMatchObject({ status: 422, type: 'urn:problem-type:validation-error' });
    const paths = problem.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('json.title');
    expect(await noteCount()).toBe(before);

    const badId = await t.request('/v1/notes/not-a-uuid');
    expect(badId.status).toBe(422);
    const emptyPatch = await t.request(
      `/v1/notes/${(await createNote('patch me')).id}`,
      jsonRequest('PATCH', {}),
    );
    expect(emptyPatch.status).toBe(422);
  });

  it('refuses writes with 503 while maintenance-mode is on; reads go on', async () => {
    const note = await createNote('before maintenance');
    writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': true }));
    try {
      await expect
        .poll(
          async () => (await t.request('/v1/notes', jsonRequest('POST', { title: 'x' }))).status,
        )
        .toBe(503);
      expect((await t.request(`/v1/notes/${note.id}`)).status).toBe(200);
    } finally {
      writeFileSync(flagsFile, JSON.stringify({ 'maintenance-mode': false }));
    }
    await expect
      .poll(
        async () =>
          (await t.request(`/v1/notes/${note.id}`, jsonRequest('PATCH', { body: 'y' }))).status,
      )
      .toBe(200);
  });
});

describe('openapi', () => {
  it('documents the notes routes', async () => {
    const res = await t.request('/openapi.json', {}, null);
    expect(res.status).toBe(200);
    const doc = await readJson(res);
    expect(doc.info.title).toBe('app-template');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/notes', '/v1/notes/{noteId}']),
    );
  });
});
