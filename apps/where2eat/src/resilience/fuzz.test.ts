import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, members } from '../db/schema.js';
import { createTestApp, readJson, type TestApp } from '../test/harness.js';

const PROBLEM = 'application/problem+json';
const NUM_RUNS = 40;

/** Any response the API gives to arbitrary input: 2xx or 4xx, problem+json on 4xx, no stack. */
async function expectWellFormed(res: Response) {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(.*:\d+:\d+\)/);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe(PROBLEM);
    const body = JSON.parse(text);
    expect(body.status).toBe(res.status);
    expect(typeof body.type).toBe('string');
    expect(typeof body.title).toBe('string');
  }
}

const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }),
  fc.constantFrom('', ' ', '\u0000', '🍣'.repeat(2_000), 'a'.repeat(10_000), '__proto__', 'NaN'),
);
/** NUL and the other control characters PostgreSQL text cannot hold or a name must not have. */
const CONTROL = ['\u0000', '\u0001', '\u0008', '\u001b', '\u001f', '\u007f'] as const;
/** A string with at least one control character in it, NUL in a fixed share of the runs. */
const withControl = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.oneof({ arbitrary: fc.constant('\u0000'), weight: 2 }, fc.constantFrom(...CONTROL)),
    fc.string({ maxLength: 20 }),
  )
  .map(([before, control, after]) => `${before}${control}${after}`);
/** Inputs every run checks, whatever fast-check draws: NUL alone, inside, and at the ends. */
const NUL_EXAMPLES = ['\u0000', 'Friday\u0000lunch', '\u0000alice', 'bob\u0000'];
const weirdNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 53, 1e308, -0));
/** A body: arbitrary JSON, wrong-typed versions of the real fields, or raw text that may not be JSON. */
const bodyArb = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        name: fc.oneof(weirdString, weirdNumber, fc.jsonValue()),
        userSub: fc.oneof(weirdString, fc.constant(null), weirdNumber),
        likes: fc.oneof(
          fc.array(weirdString),
          fc.array(fc.constantFrom('thai', 'sushi')),
          fc.jsonValue(),
        ),
        vetoes: fc.oneof(fc.array(weirdString), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  weirdString,
);
const queryArb = fc.oneof(
  fc
    .record(
      {
        limit: fc.oneof(weirdString, weirdNumber.map(String)),
        offset: fc.oneof(weirdString, weirdNumber.map(String)),
      },
      { requiredKeys: [] },
    )
    .map((q) => new URLSearchParams(q as Record<string, string>).toString()),
  fc.dictionary(weirdString, weirdString).map((q) => new URLSearchParams(q).toString()),
  fc.string({ unit: 'binary' }).map((s) => encodeURIComponent(s)),
);

describe('fuzzing every route with arbitrary bodies and queries', () => {
  let t: TestApp;
  let groupId: string;
  let memberId: string;
  beforeAll(async () => {
    t = await createTestApp();
    const group = await t.request('/v1/groups', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Fuzz' }),
    });
    groupId = (await readJson(group)).id;
    const member = await t.request(`/v1/groups/${groupId}/members`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Guest', userSub: null }),
    });
    memberId = (await readJson(member)).id;
  });
  afterAll(() => t.close());

  /** Every group and member row, to show a refused request wrote nothing. */
  const snapshot = async () => ({
    groups: await t.db.select().from(groups).orderBy(groups.id),
    members: await t.db.select().from(members).orderBy(members.id),
  });

  const bodyRoutes = (): Array<[string, string]> => [
    ['POST', '/v1/groups'],
    ['PATCH', `/v1/groups/${groupId}`],
    ['POST', `/v1/groups/${groupId}/members`],
    ['PUT', `/v1/groups/${groupId}/members/${memberId}/preferences`],
  ];
  const queryRoutes = (): string[] => [
    '/v1/cuisines',
    '/v1/groups',
    `/v1/groups/${groupId}`,
    `/v1/groups/${groupId}/recommendation`,
    '/openapi.json',
    '/health/live',
  ];

  it('answers arbitrary bodies on every write route with 2xx/4xx problem+json', async () => {
    for (const [method, path] of bodyRoutes()) {
      await fc.assert(
        fc.asyncProperty(bodyArb, fc.boolean(), async (body, json) => {
          const res = await t.request(path, {
            method,
            body,
            headers: json
              ? { 'Content-Type': 'application/json' }
              : { 'Content-Type': 'text/plain' },
          });
          await expectWellFormed(res);
        }),
        { numRuns: NUM_RUNS },
      );
    }
  });

  it('answers arbitrary query strings on every read route with 2xx/4xx problem+json', async () => {
    for (const path of queryRoutes()) {
      await fc.assert(
        fc.asyncProperty(queryArb, async (query) => {
          await expectWellFormed(await t.request(`${path}?${query}`));
        }),
        { numRuns: NUM_RUNS },
      );
    }
  });

  it('answers NUL or another control character in any string field with 422, writing nothing', async () => {
    const fields = (): Array<
      [string, string, (bad: string) => Record<string, unknown>, string]
    > => [
      ['POST', '/v1/groups', (bad) => ({ name: bad }), 'json.name'],
      ['PATCH', `/v1/groups/${groupId}`, (bad) => ({ name: bad }), 'json.name'],
      ['POST', `/v1/groups/${groupId}/members`, (bad) => ({ name: bad }), 'json.name'],
      [
        'POST',
        `/v1/groups/${groupId}/members`,
        (bad) => ({ name: 'Guest', userSub: bad }),
        'json.userSub',
      ],
    ];
    const before = await snapshot();
    for (const [method, path, body, field] of fields()) {
      await fc.assert(
        fc.asyncProperty(withControl, async (bad) => {
          const res = await t.request(path, {
            method,
            body: JSON.stringify(body(bad)),
            headers: { 'Content-Type': 'application/json' },
          });
          await expectWellFormed(res.clone());
          expect(res.status, JSON.stringify(bad)).toBe(422);
          const problem = await readJson(res);
          expect(problem.type).toBe('urn:problem-type:validation-error');
          expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
        }),
        { numRuns: NUM_RUNS, examples: NUL_EXAMPLES.map((value) => [value]) },
      );
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers NUL in a path id or a query parameter with 422', async () => {
    await fc.assert(
      fc.asyncProperty(withControl, async (bad) => {
        const segment = encodeURIComponent(bad);
        for (const path of [
          `/v1/groups/${segment}`,
          `/v1/groups/${segment}/recommendation`,
          `/v1/groups/${groupId}/members/${segment}/preferences`,
          `/v1/groups?limit=${segment}`,
          `/v1/groups?offset=${segment}`,
        ]) {
          const method = path.endsWith('/preferences') ? 'PUT' : 'GET';
          const res = await t.request(path, {
            method,
            ...(method === 'PUT'
              ? {
                  body: JSON.stringify({ likes: [], vetoes: [] }),
                  headers: { 'Content-Type': 'application/json' },
                }
              : {}),
          });
          await expectWellFormed(res.clone());
          expect(res.status, `${path}`).toBe(422);
        }
      }),
      { numRuns: NUM_RUNS, examples: NUL_EXAMPLES.map((value) => [value]) },
    );
  });

  it('answers arbitrary path segments as ids with 2xx/4xx problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(weirdString, async (id) => {
        const segment = encodeURIComponent(Array.from(id).slice(0, 200).join(''));
        await expectWellFormed(await t.request(`/v1/groups/${segment}`));
        await expectWellFormed(await t.request(`/v1/groups/${segment}/recommendation`));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
