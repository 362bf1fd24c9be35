import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { audit } from '../audit/index.js';
import { AuthError } from '../errors.js';
import { jwtAuth } from '../jwt-auth/index.js';
import { recordingLogger, startTestIssuer, type TestIssuer } from '../test/issuer.js';
import type { AuthVariables } from '../types.js';
import { requireRole, requireScope } from './index.js';

let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

function setup() {
  const logger = recordingLogger();
  const calls = { handler: 0 };
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', requestId({ generator: () => 'req-7' }));
  app.use(
    '/api/*',
    jwtAuth({ issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri, logger }),
  );
  app.post('/api/groups', requireScope('groups:write'), (c) => {
    calls.handler++;
    return c.json({ ok: true }, 201);
  });
  app.delete('/api/groups/:id', requireRole('admin', 'owner'), (c) => {
    calls.handler++;
    audit(c, 'group.deleted', { groupId: c.req.param('id') });
    return c.body(null, 204);
  });
  app.get('/open', requireRole('admin'), (c) => c.text('should not run'));
  const call = async (method: string, path: string, claims: Record<string, unknown>) =>
    app.request(path, {
      method,
      headers: { Authorization: `Bearer ${await idp.sign({ tenant: 'acme', ...claims })}` },
    });
  return { app, logger, calls, call };
}

const PROBLEM_403 = {
  type: 'urn:problem-type:forbidden',
  title: 'Forbidden',
  status: 403,
  detail: 'The token does not grant access to this resource.',
  requestId: 'req-7',
};

describe('requireScope', () => {
  it('lets a token with the scope through', async () => {
    const { call, calls, logger } = setup();
    const res = await call('POST', '/api/groups', { scope: 'groups:read groups:write' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ ok: true });
    expect(calls.handler).toBe(1);
    expect(logger.entries).toEqual([]);
  });

  it('answers 403 problem+json with an insufficient_scope challenge without the scope', async () => {
    const { call, calls, logger } = setup();
    const res = await call('POST', '/api/groups', { scope: 'groups:read', roles: ['admin'] });
    expect(res.status).toBe(403);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.headers.get('WWW-Authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="groups:write"',
    );
    expect(await res.json()).toEqual({ ...PROBLEM_403, instance: '/api/groups' });
    expect(calls.handler).toBe(0);
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({
      level: 'warn',
      obj: {
        audit: true,
        event: 'auth.denied',
        reason: 'insufficient_scope',
        status: 403,
        sub: 'alice',
        tenant: 'acme',
        requestId: 'req-7',
        method: 'POST',
        path: '/api/groups',
        missing: ['groups:write'],
      },
    });
  });
});

describe('requireRole', () => {
  it('lets a token with any of the roles through and audits the privileged action', async () => {
    const { call, calls, logger } = setup();
    const res = await call('DELETE', '/api/groups/g-1', { roles: ['member', 'owner'] });
    expect(res.status).toBe(204);
    expect(calls.handler).toBe(1);
    expect(logger.entries).toEqual([
      {
        level: 'info',
        msg: 'group.deleted',
        obj: {
          audit: true,
          event: 'group.deleted',
          groupId: 'g-1',
          sub: 'alice',
          tenant: 'acme',
          requestId: 'req-7',
          method: 'DELETE',
          path: '/api/groups/g-1',
        },
      },
    ]);
  });

  it('answers 403 problem+json for a member', async () => {
    const { call, calls, logger } = setup();
    const res = await call('DELETE', '/api/groups/g-1', { roles: ['member'], scope: 'admin' });
    expect(res.status).toBe(403);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({ ...PROBLEM_403, instance: '/api/groups/g-1' });
    expect(calls.handler).toBe(0);
    expect(logger.entries.map((e) => e.obj.reason)).toEqual(['insufficient_role']);
    expect(logger.entries[0]?.obj).toMatchObject({ sub: 'alice', required: ['admin', 'owner'] });
  });

  it('fails closed with 401 when jwtAuth did not run, logging to stderr by default', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { app } = setup();
    const res = await app.request('/open');
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(((await res.json()) as { type: string }).type).toBe('urn:problem-type:unauthorized');
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(JSON.parse(stderr.mock.calls[0]?.[0] as string)).toMatchObject({
      level: 'warn',
      audit: true,
      event: 'auth.denied',
      reason: 'no_principal',
      path: '/open',
      msg: 'request denied',
    });
    stderr.mockRestore();
  });

  it('throws AUTH_INVALID_OPTIONS at once without a name', () => {
    expect(() => requireRole()).toThrow(AuthError);
    expect(() => requireScope('')).toThrow(/at least one non-empty name/);
  });
});

describe('audit', () => {
  it('throws AUTH_NO_AUDIT_LOGGER rather than dropping the line when no logger is known', async () => {
    const app = new Hono();
    app.get('/', (c) => {
      try {
        audit(c, 'thing.done');
        return c.text('logged');
      } catch (err) {
        return c.text((err as AuthError).code);
      }
    });
    expect(await (await app.request('/')).text()).toBe('AUTH_NO_AUDIT_LOGGER');
  });

  it('writes to an explicit logger, without a principal', async () => {
    const logger = recordingLogger();
    const app = new Hono();
    app.post('/jobs', (c) => {
      audit(c, 'job.started', { jobId: 'j1' }, logger);
      return c.text('ok');
    });
    expect((await app.request('/jobs', { method: 'POST' })).status).toBe(200);
    expect(logger.entries).toEqual([
      {
        level: 'info',
        msg: 'job.started',
        obj: { audit: true, event: 'job.started', jobId: 'j1', method: 'POST', path: '/jobs' },
      },
    ]);
  });
});
