import { Hono, type MiddlewareHandler } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { FlagsError } from '../errors.js';
import { createFlags } from '../flags.js';
import { flagsFile, testRegistry, userIds } from '../test-support.js';
import type { FlagName } from '../types.js';
import { type FlagsVariables, flagsMiddleware } from './index.js';

type Name = FlagName<typeof testRegistry>;
interface TestPrincipal {
  sub: string;
  tenant?: string;
  roles: string[];
}
type Env = { Variables: FlagsVariables<Name> & { principal?: TestPrincipal; requestId?: string } };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Stands in for the auth package: any middleware that sets `principal` structurally fits. */
const principalFromHeaders: MiddlewareHandler<Env> = async (c, next) => {
  const sub = c.req.header('x-user');
  if (sub) {
    const tenant = c.req.header('x-tenant');
    c.set('principal', { sub, roles: ['member'], ...(tenant ? { tenant } : {}) });
  }
  c.set('requestId', c.req.header('x-request-id') ?? 'req-generated');
  await next();
};

async function appWith(content: unknown, order: 'flags-first' | 'auth-first' = 'auth-first') {
  const fixture = await flagsFile(content);
  const flags = createFlags(testRegistry, { file: fixture.file, watchIntervalMs: 0 });
  cleanups.push(async () => {
    await flags.close();
    await fixture.remove();
  });
  await flags.ready();
  const app = new Hono<Env>();
  if (order === 'auth-first') app.use(principalFromHeaders, flagsMiddleware(flags));
  else app.use(flagsMiddleware(flags), principalFromHeaders);
  app.get('/recommendations', (c) =>
    c.json({
      algorithm: c.var.flags.isEnabled('recommendation-v2') ? 'v2' : 'v1',
      context: c.var.flags.context,
    }),
  );
  return app;
}

describe('flagsMiddleware', () => {
  it('fills the Unleash context from principal and request id', async () => {
    const app = await appWith({ 'recommendation-v2': { tenants: ['acme'] } });
    const res = await app.request('/recommendations', {
      headers: { 'x-user': 'alice', 'x-tenant': 'acme', 'x-request-id': 'req-1' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      algorithm: 'v2',
      context: { userId: 'alice', sessionId: 'req-1', properties: { tenant: 'acme' } },
    });

    const other = await app.request('/recommendations', {
      headers: { 'x-user': 'bob', 'x-tenant': 'globex', 'x-request-id': 'req-2' },
    });
    expect(await other.json()).toEqual({
      algorithm: 'v1',
      context: { userId: 'bob', sessionId: 'req-2', properties: { tenant: 'globex' } },
    });
  });

  it('reads the principal at evaluation time, so it may run before auth', async () => {
    const app = await appWith({ 'recommendation-v2': { tenants: ['acme'] } }, 'flags-first');
    const res = await app.request('/recommendations', {
      headers: { 'x-user': 'alice', 'x-tenant': 'acme', 'x-request-id': 'req-9' },
    });
    expect(await res.json()).toEqual({
      algorithm: 'v2',
      context: { userId: 'alice', sessionId: 'req-9', properties: { tenant: 'acme' } },
    });
  });

  it('keeps each user on the same side of a 50% rollout across requests', async () => {
    const app = await appWith({ 'recommendation-v2': { rollout: 50, stickiness: 'userId' } });
    const algorithmOf = async (user: string, requestId: string) => {
      const res = await app.request('/recommendations', {
        headers: { 'x-user': user, 'x-request-id': requestId },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { algorithm: string }).algorithm;
    };
    const users = userIds(200);
    const first = await Promise.all(users.map((user) => algorithmOf(user, `a-${user}`)));
    const second = await Promise.all(users.map((user) => algorithmOf(user, `b-${user}`)));
    expect(second).toEqual(first);
    const v2 = first.filter((algorithm) => algorithm === 'v2').length;
    expect(v2).toBeGreaterThan(70);
    expect(v2).toBeLessThan(130);
  });

  it('serves anonymous requests with only the session id', async () => {
    const app = await appWith({ 'recommendation-v2': true });
    const res = await app.request('/recommendations', { headers: { 'x-request-id': 'anon-1' } });
    expect(await res.json()).toEqual({ algorithm: 'v2', context: { sessionId: 'anon-1' } });
  });

  it('merges extra context fields from options.context', async () => {
    const fixture = await flagsFile({
      'recommendation-v2': { stickiness: 'remoteAddress', rollout: 100 },
    });
    const flags = createFlags(testRegistry, { file: fixture.file, watchIntervalMs: 0 });
    cleanups.push(async () => {
      await flags.close();
      await fixture.remove();
    });
    await flags.ready();
    const app = new Hono<Env>();
    app.use(
      principalFromHeaders,
      flagsMiddleware(flags, {
        context: (c) => ({
          remoteAddress: c.req.header('x-forwarded-for') ?? '',
          properties: { plan: 'pro' },
        }),
      }),
    );
    app.get('/', (c) =>
      c.json({ on: c.var.flags.isEnabled('recommendation-v2'), ctx: c.var.flags.context }),
    );
    const res = await app.request('/', {
      headers: {
        'x-user': 'u',
        'x-tenant': 't',
        'x-request-id': 'r',
        'x-forwarded-for': '10.0.0.1',
      },
    });
    expect(await res.json()).toEqual({
      on: true,
      ctx: {
        userId: 'u',
        sessionId: 'r',
        remoteAddress: '10.0.0.1',
        properties: { tenant: 't', plan: 'pro' },
      },
    });
    const without = await app.request('/', { headers: { 'x-request-id': 'r2' } });
    expect(((await without.json()) as { on: boolean }).on).toBe(false);
  });

  it('rejects something that is not a flags client at once', () => {
    expect(() => flagsMiddleware({} as never)).toThrow(FlagsError);
  });
});
