import { PROBLEM_CONTENT_TYPE } from '@micro-app/problem';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { guardrails } from './index.js';

/** An app that counts how often anything asks for the request body stream. */
function appCountingBodyReads() {
  const reads = { body: 0 };
  const app = new Hono();
  app.use(async function countBodyReads(c, next) {
    const raw = c.req.raw;
    const body = raw.body;
    Object.defineProperty(raw, 'body', {
      get() {
        reads.body++;
        return body;
      },
    });
    await next();
  });
  app.use(...guardrails({ bodyLimitBytes: 16 }));
  app.on(['GET', 'HEAD'], '/thing', (c) => c.text('thing'));
  app.post('/thing', async (c) => c.text(`got ${(await c.req.text()).length} bytes`));
  return { app, reads };
}

describe('guardrails body limit', () => {
  it('does not read the body of GET and HEAD requests', async () => {
    const { app, reads } = appCountingBodyReads();
    const get = await app.request('/thing');
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('thing');
    const head = await app.request('/thing', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(reads.body).toBe(0);
  });

  it('still limits the body of other methods', async () => {
    const { app, reads } = appCountingBodyReads();
    const small = await app.request('/thing', { method: 'POST', body: 'x'.repeat(16) });
    expect(small.status).toBe(200);
    expect(await small.text()).toBe('got 16 bytes');

    const large = await app.request('/thing', { method: 'POST', body: 'x'.repeat(17) });
    expect(large.status).toBe(413);
    expect(large.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await large.json()).toMatchObject({
      type: 'urn:problem-type:payload-too-large',
      status: 413,
      detail: 'Request bodies are limited to 16 bytes.',
    });
    expect(reads.body).toBeGreaterThan(0);
  });

  it('rejects a declared Content-Length over the limit before reading the body', async () => {
    const { app } = appCountingBodyReads();
    const res = await app.request('/thing', {
      method: 'POST',
      body: 'x'.repeat(64),
      headers: { 'Content-Length': '64' },
    });
    expect(res.status).toBe(413);
  });
});

describe('guardrails secure headers', () => {
  function appWithPage(options?: Parameters<typeof guardrails>[0]) {
    const app = new Hono();
    app.use(...guardrails(options));
    app.get('/api', (c) => c.json({ ok: true }));
    app.get('/page', (c) => {
      c.header('Content-Security-Policy', "default-src 'self'");
      return c.html('<p>page</p>');
    });
    return app;
  }

  it('sends the default CSP on answers that set none', async () => {
    const res = await appWithPage().request('/api');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps a CSP the route set, with the other secure headers', async () => {
    const res = await appWithPage().request('/page');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('keeps a custom default CSP off the route that set its own', async () => {
    const app = appWithPage({
      contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ['data:'] },
    });
    expect((await app.request('/api')).headers.get('content-security-policy')).toBe(
      "default-src 'self'; img-src data:",
    );
    expect((await app.request('/page')).headers.get('content-security-policy')).toBe(
      "default-src 'self'",
    );
  });
});
