import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The tool checks the app, never the other way round: the app's own test harness, by path.
import { createTestApp, type TestApp } from '../../../apps/where2eat/src/test/harness.js';
import { generateTypes } from './generate.ts';

// What another team does with openapi.json (docs/api.md): generate types with openapi-typescript,
// call the API through openapi-fetch. Here the real CLI generates them, the real compiler checks
// a program against them (including a call the document forbids, which must not compile, and the
// hand-written where2eat-client's types, which must agree with the document), and the compiled
// program runs against a where2eat server.

const ROOT = resolve(import.meta.dirname, '../../..');
const APP_DIR = join(ROOT, 'apps/where2eat');
// Under a node_modules of the repository, so the program resolves openapi-fetch and the client
// as a user's would.
const WORK = join(ROOT, 'node_modules/.cache/generated-client');

const USAGE = `import createClient from 'openapi-fetch';
import type * as handWritten from '@micro-app/where2eat-client';
import type { components, paths } from './where2eat.js';

type Schemas = components['schemas'];
/** Compiles only when A and B accept the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<handWritten.Group, Schemas['Group']>,
  Same<handWritten.Member, Schemas['Member']>,
  Same<handWritten.Invite, Schemas['Invite']>,
  Same<handWritten.CreatedInvite, Schemas['CreatedInvite']>,
  Same<handWritten.AcceptedInvite, Schemas['AcceptedInvite']>,
  Same<handWritten.Recommendation, Schemas['Recommendation']>,
  Same<handWritten.Cuisine, Schemas['Cuisine']>,
] = [true, true, true, true, true, true, true];

export async function journey(baseUrl: string, token: string) {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${token}\` } });
  const cuisines = await api.GET('/v1/cuisines');
  const created = await api.POST('/v1/groups', {
    params: { header: { 'idempotency-key': 'generated-client-1' } },
    body: { name: 'Generated lunch' },
  });
  if (!created.data) throw new Error(\`create failed: \${created.response.status}\`);
  const groupId: string = created.data.id;
  const joined = await api.POST('/v1/groups/{groupId}/members', {
    params: { path: { groupId } },
    body: { name: 'Alice' },
  });
  if (!joined.data) throw new Error(\`join failed: \${joined.response.status}\`);
  await api.PUT('/v1/groups/{groupId}/members/{memberId}/preferences', {
    params: { path: { groupId, memberId: joined.data.id } },
    body: { likes: ['thai'], vetoes: [] },
  });
  const recommendation = await api.GET('/v1/groups/{groupId}/recommendation', {
    params: { path: { groupId } },
  });
  const invalid = await api.POST('/v1/groups', { body: { name: '' } });
  return {
    agree,
    cuisines: cuisines.data?.items.length,
    created: created.response.status,
    location: created.response.headers.get('location'),
    cuisine: recommendation.data?.cuisine,
    invalid: { status: invalid.response.status, type: invalid.error?.type },
  };
}

export function forbidden(api: ReturnType<typeof createClient<paths>>) {
  // @ts-expect-error CreateGroup requires a name
  void api.POST('/v1/groups', { body: {} });
  void api.PUT('/v1/groups/{groupId}/members/{memberId}/preferences', {
    params: { path: { groupId: 'g', memberId: 'm' } },
    // @ts-expect-error likes are cuisines of the document's enum
    body: { likes: ['pizza'], vetoes: [] },
  });
  // @ts-expect-error no such operation
  void api.GET('/v1/restaurants');
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    skipLibCheck: true,
    outDir: 'out',
    types: [],
  },
  files: ['usage.ts'],
};

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: WORK, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('a client generated from openapi.json', () => {
  let t: TestApp;
  let server: ReturnType<typeof serve>;
  let baseUrl: string;
  beforeAll(async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(join(WORK, 'usage.ts'), USAGE);
    writeFileSync(join(WORK, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    t = await createTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server?.close(done));
    await t?.close();
  });

  it('generates types with openapi-typescript, which compile with the program using them', () => {
    const generated = generateTypes(join(APP_DIR, 'openapi.json'), join(WORK, 'where2eat.d.ts'));
    expect(generated.status, generated.output).toBe(0);
    const compiled = run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']);
    expect(compiled.status, compiled.output).toBe(0);
  });

  it('refuses to compile a call the document does not allow', () => {
    // Runs after the generation above (vitest runs a file's tests in order).
    writeFileSync(
      join(WORK, 'wrong.ts'),
      `import createClient from 'openapi-fetch';
import type { paths } from './where2eat.js';
const api = createClient<paths>({ baseUrl: 'http://127.0.0.1' });
void api.POST('/v1/groups', { body: { title: 'no such field' } });
`,
    );
    writeFileSync(
      join(WORK, 'tsconfig.wrong.json'),
      JSON.stringify({
        ...TSCONFIG,
        compilerOptions: { ...TSCONFIG.compilerOptions, noEmit: true },
        files: ['wrong.ts'],
      }),
    );
    const compiled = run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.wrong.json']);
    expect(compiled.status).not.toBe(0);
    expect(compiled.output).toMatch(/wrong\.ts.*'title' does not exist/s);
  });

  it('calls the running app through openapi-fetch', async () => {
    const program = await import(pathToFileURL(join(WORK, 'out/usage.js')).href);
    const result = await program.journey(baseUrl, t.tokens.alice);
    expect(result).toMatchObject({
      agree: [true, true, true, true, true, true, true],
      created: 201,
      cuisine: 'thai',
      invalid: { status: 422, type: 'urn:problem-type:validation-error' },
    });
    expect(result.cuisines).toBeGreaterThan(0);
    expect(result.location).toMatch(/^\/v1\/groups\/[0-9a-f-]{36}$/);
  });
});
