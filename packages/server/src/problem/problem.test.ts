import { HttpProblem, PROBLEM_CONTENT_TYPE, problemType } from '@micro-app/problem';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { guardrails } from '../guardrails/index.js';
import {
  CLIENT_CLOSED_REQUEST,
  problemErrorHandler,
  problemNotFoundHandler,
} from './error-handler.js';
import { validationHook } from './validation.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
const readJson = (res: Response): Promise<any> => res.json();

function appWith(configure: (app: Hono) => void, exposeInternalErrors = false) {
  const logged: unknown[] = [];
  const logger = {
    info: () => {},
    warn: () => {},
    error: (obj: object) => logged.push(obj),
  };
  const app = new Hono();
  app.use(...guardrails({ bodyLimitBytes: 64, timeoutMs: 50 }));
  configure(app);
  app.onError(problemErrorHandler({ logger, exposeInternalErrors }));
  app.notFound(problemNotFoundHandler(() => app.routes));
  return { app, logged };
}

describe('problem+json errors', () => {
  it('answers an unknown route with 404 problem+json carrying the request id', async () => {
    const { app } = appWith((a) => a.get('/things', (c) => c.text('ok')));
    const res = await app.request('/nothing-here', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await readJson(res)).toEqual({
      type: 'urn:problem-type:not-found',
      title: 'Not found',
      status: 404,
      detail: 'No route for GET /nothing-here.',
      instance: '/nothing-here',
      requestId: 'abc-123',
    });
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const { app } = appWith((a) => {
      a.get('/things/:id', (c) => c.text('ok'));
      a.delete('/things/:id', (c) => c.text('ok'));
    });
    const res = await app.request('/things/42', { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD');
    const body = await readJson(res);
    expect(body.type).toBe('urn:problem-type:method-not-allowed');
  });

  it('renders a thrown HttpProblem with its status, slug, headers and extensions', async () => {
    const { app, logged } = appWith((a) =>
      a.get('/x', () => {
        throw new HttpProblem({
          status: 409,
          slug: 'already-there',
          title: 'Already there',
          detail: 'A thing with that name exists.',
          headers: { 'Retry-After': '3' },
          extensions: { thingId: 'x1' },
        });
      }),
    );
    const res = await app.request('/x');
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await readJson(res)).toMatchObject({
      type: 'urn:problem-type:already-there',
      title: 'Already there',
      detail: 'A thing with that name exists.',
      thingId: 'x1',
    });
    expect(logged).toHaveLength(0);
  });

  it('hides the internals of an unexpected error and logs it', async () => {
    const { app, logged } = appWith((a) =>
      a.get('/boom', () => {
        throw new Error('connection string postgres://secret@db leaked');
      }),
    );
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('at ');
    expect(JSON.parse(text)).toMatchObject({
      type: 'urn:problem-type:internal-error',
      status: 500,
    });
    expect(logged).toHaveLength(1);
  });

  it.each([
    ['the request signal aborted', true, new Error('kaboom')],
    [
      "Node's body-read error",
      false,
      new Error('db down', { cause: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) }),
    ],
  ])(
    'answers a client that hung up (%s) with 499, logging no error',
    async (_, abortSignal, err) => {
      const controller = new AbortController();
      const { app, logged } = appWith((a) =>
        a.post('/upload', () => {
          if (abortSignal) controller.abort();
          throw err;
        }),
      );
      const res = await app.request('/upload', {
        method: 'POST',
        body: 'x',
        signal: controller.signal,
      });
      expect(res.status).toBe(CLIENT_CLOSED_REQUEST);
      expect((await readJson(res)).type).toBe(problemType('client-closed-request'));
      expect(logged).toEqual([]);
    },
  );

  it('still answers an ECONNRESET that is not a cut-short body with 500', async () => {
    const { app, logged } = appWith((a) =>
      a.get('/peer', () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }),
    );
    expect((await app.request('/peer')).status).toBe(500);
    expect(logged).toHaveLength(1);
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const { app } = appWith((a) =>
      a.post('/json', async (c) =>
        c.json(
          await c.req.json().catch(() => {
            throw new HttpProblem({ status: 400, slug: 'malformed-json', title: 'Malformed JSON' });
          }),
        ),
      ),
    );
    const res = await app.request('/json', {
      method: 'POST',
      body: '{"a":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).type).toBe('urn:problem-type:malformed-json');
  });

  it('answers an oversized body with 413 problem+json before the handler runs', async () => {
    let ran = false;
    const { app } = appWith((a) =>
      a.post('/upload', async (c) => {
        ran = true;
        return c.text(await c.req.text());
      }),
    );
    const res = await app.request('/upload', { method: 'POST', body: 'x'.repeat(65) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect((await readJson(res)).type).toBe('urn:problem-type:payload-too-large');
    expect(ran).toBe(false);
  });

  it('answers a slow handler with 504 problem+json', async () => {
    const { app } = appWith((a) =>
      a.get('/slow', async (c) => {
        await new Promise((r) => setTimeout(r, 200));
        return c.text('late');
      }),
    );
    const res = await app.request('/slow');
    expect(res.status).toBe(504);
    expect(await readJson(res)).toMatchObject({
      type: 'urn:problem-type:gateway-timeout',
      status: 504,
    });
  });

  it('adds secure headers and a generated request id to every response', async () => {
    const { app } = appWith((a) => a.get('/ok', (c) => c.text('ok')));
    const res = await app.request('/ok', { headers: { 'X-Request-Id': 'bad id <script>' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('validationHook', () => {
  it('turns zod issues into a 422 with one field error per issue', async () => {
    const schema = z.strictObject({ name: z.string().min(1), size: z.number().int() });
    const { app } = appWith((a) =>
      a.post('/v', async (c) => {
        const result = schema.safeParse(await c.req.json());
        return validationHook({ ...result, target: 'json' }, c) ?? c.json({ ok: true }, 201);
      }),
    );
    const res = await app.request('/v', {
      method: 'POST',
      body: JSON.stringify({ name: '', size: 'big', extra: 1 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(422);
    const body = await readJson(res);
    expect(body.type).toBe('urn:problem-type:validation-error');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'json',
      'json.name',
      'json.size',
    ]);
  });
});
