import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import {
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  problemResponse,
  problemType,
} from './index.js';

type Vars = { Variables: { requestId: unknown } };

/** An app whose middleware sets `requestId` to `id` (when given) before the route runs. */
function appWithRequestId(id?: unknown) {
  const app = new Hono<Vars>();
  app.use(async (c, next) => {
    if (id !== undefined) c.set('requestId', id);
    await next();
  });
  return app;
}

describe('problemType', () => {
  it('prefixes the slug with the stable URN', () => {
    expect(PROBLEM_TYPE_PREFIX).toBe('urn:problem-type:');
    expect(problemType('group-not-found')).toBe('urn:problem-type:group-not-found');
  });
});

describe('problemResponse', () => {
  it('adds the request path as instance and the request id, with the problem media type', async () => {
    const app = appWithRequestId('req-1');
    app.get('/groups/:id', (c) =>
      problemResponse(c, { type: problemType('group-not-found'), title: 'Not found', status: 404 }),
    );
    const res = await app.request('/groups/42');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    // Member order is part of the contract: clients and snapshots compare the raw body.
    expect(await res.text()).toBe(
      '{"type":"urn:problem-type:group-not-found","title":"Not found","status":404,"instance":"/groups/42","requestId":"req-1"}',
    );
  });

  it.each([
    ['no request id', undefined],
    ['an empty request id', ''],
    ['a request id that is not a string', 42],
  ])('leaves requestId out for %s', async (_, id) => {
    const app = appWithRequestId(id);
    app.get('/x', (c) => problemResponse(c, { type: problemType('x'), title: 'X', status: 400 }));
    expect(await (await app.request('/x')).json()).toEqual({
      type: 'urn:problem-type:x',
      title: 'X',
      status: 400,
      instance: '/x',
    });
  });

  it('keeps a given instance, extension members and extra headers; the media type wins', async () => {
    const app = appWithRequestId();
    app.get('/x', (c) =>
      problemResponse(
        c,
        {
          type: problemType('rate-limited'),
          title: 'Too many requests',
          status: 429,
          detail: 'Retry in 3 s.',
          instance: '/elsewhere',
          policies: ['per-user'],
        },
        { 'Retry-After': '3', 'Content-Type': 'text/plain' },
      ),
    );
    const res = await app.request('/x');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await res.json()).toEqual({
      type: 'urn:problem-type:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Retry in 3 s.',
      instance: '/elsewhere',
      policies: ['per-user'],
    });
  });
});

describe('HttpProblem', () => {
  const problem = new HttpProblem({
    status: 409,
    slug: 'already-there',
    title: 'Already there',
    detail: 'A thing with that name exists.',
    errors: [{ path: 'body.name', message: 'taken' }],
    headers: { 'Retry-After': '3' },
    extensions: { thingId: 'x1', type: 'ignored' },
    cause: new Error('unique violation'),
  });

  it('is an Error and a Hono HTTPException that keeps what it was given', () => {
    expect(problem).toBeInstanceOf(Error);
    expect(problem).toBeInstanceOf(HTTPException);
    expect(problem.name).toBe('HttpProblem');
    expect(problem.message).toBe('A thing with that name exists.');
    expect(problem.status).toBe(409);
    expect(problem.slug).toBe('already-there');
    expect(problem.headers).toEqual({ 'Retry-After': '3' });
    expect((problem.cause as Error).message).toBe('unique violation');
  });

  it('uses the title as message and empty headers and extensions when not given', () => {
    const bare = new HttpProblem({ status: 404, slug: 'not-found', title: 'Not found' });
    expect(bare.message).toBe('Not found');
    expect(bare.headers).toEqual({});
    expect(bare.toProblemDetails()).toEqual({
      type: 'urn:problem-type:not-found',
      title: 'Not found',
      status: 404,
    });
  });

  it('builds its body with extensions first, so they cannot replace the standard members', () => {
    expect(JSON.stringify(problem.toProblemDetails())).toBe(
      '{"thingId":"x1","type":"urn:problem-type:already-there","title":"Already there","status":409,"detail":"A thing with that name exists.","errors":[{"path":"body.name","message":"taken"}]}',
    );
  });

  it("answers as problem+json under Hono's default error handler", async () => {
    const app = new Hono();
    app.get('/x', () => {
      throw problem;
    });
    const res = await app.request('/x');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual(problem.toProblemDetails());
  });

  it('renders through problemResponse with the request path and id', async () => {
    const app = appWithRequestId('req-2');
    app.onError((err, c) =>
      err instanceof HttpProblem
        ? problemResponse(c, err.toProblemDetails(), err.headers)
        : c.text('unexpected', 500),
    );
    app.get('/x', () => {
      throw problem;
    });
    const res = await app.request('/x');
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ instance: '/x', requestId: 'req-2', thingId: 'x1' });
  });
});
