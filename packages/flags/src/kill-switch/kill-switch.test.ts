import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlagsError } from '../errors.js';
import { createFlags } from '../flags.js';
import { type FlagsVariables, flagsMiddleware } from '../middleware/index.js';
import { flagsFile, testRegistry } from '../test-support.js';
import type { FlagName } from '../types.js';
import { killSwitch, MAINTENANCE_PROBLEM_TYPE } from './index.js';

type Name = FlagName<typeof testRegistry>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(maintenance: boolean, withFlagsMiddleware = true) {
  const fixture = await flagsFile({ 'maintenance-mode': maintenance });
  const flags = createFlags(testRegistry, { file: fixture.file, watchIntervalMs: 20 });
  cleanups.push(async () => {
    await flags.close();
    await fixture.remove();
  });
  await flags.ready();
  const groups: string[] = [];
  const app = new Hono<{ Variables: FlagsVariables<Name> & { requestId: string } }>();
  app.use(async (c, next) => {
    c.set('requestId', 'req-42');
    await next();
  });
  if (withFlagsMiddleware) app.use(flagsMiddleware(flags));
  app.use('/api/*', killSwitch(flags, 'maintenance-mode', { retryAfterSeconds: 300 }));
  app.get('/api/groups', (c) => c.json({ groups }));
  app.post('/api/groups', async (c) => {
    const { name } = await c.req.json<{ name: string }>();
    groups.push(name);
    return c.json({ name }, 201);
  });
  app.delete('/api/groups', (c) => {
    groups.length = 0;
    return c.body(null, 204);
  });
  return { app, groups, flags, write: fixture.write };
}

const post = (name: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name }),
});

describe('killSwitch', () => {
  it('answers writes with 503 problem+json and Retry-After while reads go on', async () => {
    const { app, groups } = await setup(true);
    groups.push('existing');

    const write = await app.request('/api/groups', post('friday lunch'));
    expect(write.status).toBe(503);
    expect(write.headers.get('content-type')).toBe('application/problem+json');
    expect(write.headers.get('retry-after')).toBe('300');
    expect(await write.json()).toEqual({
      type: MAINTENANCE_PROBLEM_TYPE,
      title: 'Service under maintenance',
      status: 503,
      detail: 'Changes are paused for maintenance; reading still works. Retry later.',
      instance: '/api/groups',
      requestId: 'req-42',
    });
    const remove = await app.request('/api/groups', { method: 'DELETE' });
    expect(remove.status).toBe(503);
    expect(groups).toEqual(['existing']);

    const read = await app.request('/api/groups');
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ groups: ['existing'] });
  });

  it('lets writes through when the flag is off', async () => {
    const { app, groups } = await setup(false);
    const res = await app.request('/api/groups', post('dinner'));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'dinner' });
    expect(groups).toEqual(['dinner']);
  });

  it('follows the flag without a restart', async () => {
    const { app, groups, flags, write } = await setup(false);
    expect((await app.request('/api/groups', post('one'))).status).toBe(201);
    await write({ 'maintenance-mode': true });
    await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(true), {
      timeout: 3000,
      interval: 10,
    });
    expect((await app.request('/api/groups', post('two'))).status).toBe(503);
    expect(groups).toEqual(['one']);
    await write({ 'maintenance-mode': false });
    await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(false), {
      timeout: 3000,
      interval: 10,
    });
    expect((await app.request('/api/groups', post('three'))).status).toBe(201);
    expect(groups).toEqual(['one', 'three']);
  });

  it('works without flagsMiddleware', async () => {
    const { app, groups } = await setup(true, false);
    const res = await app.request('/api/groups', post('x'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { type: string }).type).toBe(MAINTENANCE_PROBLEM_TYPE);
    expect(groups).toEqual([]);
  });

  it('refuses only the configured methods', async () => {
    const flags = createFlags(testRegistry);
    const fixture = await flagsFile({ 'maintenance-mode': true });
    const fileFlags = createFlags(testRegistry, { file: fixture.file, watchIntervalMs: 0 });
    cleanups.push(async () => {
      await fileFlags.close();
      await fixture.remove();
    });
    await fileFlags.ready();
    const app = new Hono();
    app.use(killSwitch(fileFlags, 'maintenance-mode', { methods: ['delete'] }));
    app.post('/', (c) => c.text('posted', 201));
    app.delete('/', (c) => c.text('deleted'));
    const posted = await app.request('/', { method: 'POST' });
    expect(posted.status).toBe(201);
    expect(await posted.text()).toBe('posted');
    const deleted = await app.request('/', { method: 'DELETE' });
    expect(deleted.status).toBe(503);
    expect(deleted.headers.get('retry-after')).toBe('120');
    expect(((await deleted.json()) as { instance: string }).instance).toBe('/');
    expect(flags.isEnabled('maintenance-mode')).toBe(false);
  });

  it('validates its options at once', () => {
    const flags = createFlags(testRegistry);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as FlagsError).code;
      }
    };
    expect(code(() => killSwitch(flags, 'nope' as Name))).toBe('FLAGS_UNDECLARED_FLAG');
    expect(code(() => killSwitch(flags, 'maintenance-mode', { methods: [] }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(code(() => killSwitch(flags, 'maintenance-mode', { methods: ['GET /'] }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(code(() => killSwitch(flags, 'maintenance-mode', { retryAfterSeconds: 1.5 }))).toBe(
      'FLAGS_INVALID_OPTIONS',
    );
    expect(() => killSwitch({} as never, 'maintenance-mode')).toThrow(FlagsError);
  });
});
