import { describe, expect, it } from 'vitest';
import { createLifecycle } from '../lifecycle.js';
import { health } from './index.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
const readJson = (res: Response): Promise<any> => res.json();

describe('health', () => {
  it('answers live without running any check', async () => {
    let calls = 0;
    const app = health({ checks: { db: async () => void calls++ } });
    const res = await app.request('/live');
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: 'pass' });
    expect(calls).toBe(0);
  });

  it('answers ready 200 when every check passes', async () => {
    const app = health({ checks: { db: async () => {}, cache: async () => {} } });
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await readJson(res)).toEqual({
      status: 'pass',
      checks: { db: { status: 'pass' }, cache: { status: 'pass' } },
    });
  });

  it('answers ready 503 naming the failing and the timed-out checks', async () => {
    const app = health({
      checkTimeoutMs: 50,
      checks: {
        db: async () => {
          throw new Error('connection refused');
        },
        cache: async () => {},
        slow: () => new Promise(() => {}),
      },
    });
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    const body = await readJson(res);
    expect(body.failing).toEqual(['db', 'slow']);
    expect(body.checks.db).toEqual({ status: 'fail', error: 'connection refused' });
    expect(body.checks.slow.error).toContain('timed out');
  });

  it('answers ready 503 once shutdown has begun', async () => {
    const lifecycle = createLifecycle();
    const app = health({ lifecycle });
    expect((await app.request('/ready')).status).toBe(200);
    lifecycle.beginShutdown();
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    expect((await readJson(res)).reason).toBe('shutting down');
  });
});
