// Flags against a real Unleash server (unleash-server from npm, in a child process, on a
// dedicated PostgreSQL database created and dropped by this file).
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFlags, type Flags } from './flags.js';
import { type FlagsVariables, flagsMiddleware } from './middleware/index.js';
import { recordingLogger, testRegistry, userIds } from './test-support.js';
import type { FlagName } from './types.js';

// Only the server the environment names: UNLEASH_TEST_DATABASE_URL, else DATABASE_URL (as in CI's
// run with services). Neither set: skip, never a PostgreSQL that happens to listen locally.
const DATABASE_URL = process.env.UNLEASH_TEST_DATABASE_URL || process.env.DATABASE_URL || '';
const ADMIN_TOKEN = '*:*.flags-test-admin-token';
const CLIENT_TOKEN = '*:development.flags-test-client-token';
const REFRESH_MS = 250;
/** unleash-server migrates a fresh database before it listens: ~10 s idle, minutes when busy. */
const SERVER_START_TIMEOUT_MS = 180_000;

const registry = testRegistry;
type Name = FlagName<typeof registry>;

const skipReason =
  DATABASE_URL === ''
    ? 'SKIPPED the real Unleash server tests: set UNLEASH_TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server they may create a database on'
    : undefined;
if (skipReason) console.warn(skipReason);

describe.skipIf(skipReason)('against a real Unleash server', () => {
  const database = `unleash_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  let child: ChildProcess | undefined;
  let baseUrl = '';
  const opened: Array<Flags<Name>> = [];
  const cleanups: Array<() => Promise<void>> = [];

  async function adminApi(method: string, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${baseUrl}/api/admin/projects/default/features${path}`, {
      method,
      headers: { authorization: ADMIN_TOKEN, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }
  const createFlag = (name: string) => adminApi('POST', '', { name, type: 'release' });
  const toggle = (name: string, on: boolean) =>
    adminApi('POST', `/${name}/environments/development/${on ? 'on' : 'off'}`);

  function connect(logger = recordingLogger(), apiToken = CLIENT_TOKEN, backupPath?: string) {
    const flags = createFlags(registry, {
      unleash: {
        url: `${baseUrl}/api`,
        apiToken,
        appName: 'flags-test',
        refreshIntervalMs: REFRESH_MS,
        requestTimeoutMs: 1000,
        ...(backupPath ? { backupPath } : {}),
      },
      logger,
    });
    opened.push(flags);
    return { flags, logger };
  }

  /** Starts unleash-server on `port` (0: any free port) and resolves with the port. */
  async function startServer(port: number): Promise<number> {
    const url = new URL(DATABASE_URL);
    const sslmode = url.searchParams.get('sslmode') ?? '';
    const server = fork(fileURLToPath(new URL('../test/unleash-server.mjs', import.meta.url)), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: ['--no-deprecation'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        UNLEASH_TEST_PORT: String(port),
        UNLEASH_TEST_DB_HOST: url.hostname,
        UNLEASH_TEST_DB_PORT: url.port || '5432',
        UNLEASH_TEST_DB_USER: decodeURIComponent(url.username || 'postgres'),
        UNLEASH_TEST_DB_PASSWORD: decodeURIComponent(url.password),
        UNLEASH_TEST_DB_NAME: database,
        UNLEASH_TEST_DB_SSL: String(['require', 'verify-ca', 'verify-full'].includes(sslmode)),
        UNLEASH_TEST_ADMIN_TOKEN: ADMIN_TOKEN,
        UNLEASH_TEST_CLIENT_TOKEN: CLIENT_TOKEN,
      },
    });
    child = server;
    const startedAt = performance.now();
    const progress = setInterval(() => {
      const seconds = Math.round((performance.now() - startedAt) / 1000);
      console.warn(`[flags] unleash-server still starting after ${seconds} s`);
    }, 15_000);
    try {
      const message = await new Promise<{ port: number }>((resolve, reject) => {
        server.once('message', (m) => resolve(m as { port: number }));
        server.once('exit', (code) =>
          reject(new Error(`unleash-server exited with ${code} before listening`)),
        );
      });
      return message.port;
    } finally {
      clearInterval(progress);
    }
  }

  async function stopServer(): Promise<void> {
    const server = child;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const port = await startServer(0);
    baseUrl = `http://127.0.0.1:${port}`;
  }, SERVER_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const flags of opened) await flags.close();
    for (const cleanup of cleanups) await cleanup();
    await stopServer();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }, 60_000);

  it('follows a toggle in Unleash within the refresh interval, through c.var.flags', async () => {
    await createFlag('maintenance-mode');
    const { flags } = connect();
    await expect(flags.ready({ timeoutMs: 30_000 })).resolves.toEqual({
      source: 'unleash',
      ready: true,
    });

    const app = new Hono<{ Variables: FlagsVariables<Name> }>();
    app.use(flagsMiddleware(flags));
    app.get('/state', (c) =>
      c.json({
        maintenance: c.var.flags.isEnabled('maintenance-mode'),
        onboarding: c.var.flags.isEnabled('new-onboarding'),
      }),
    );
    const state = async () => {
      const res = await app.request('/state');
      expect(res.status).toBe(200);
      return res.json();
    };
    // created but off in Unleash; not created at all → the declared default
    expect(await state()).toEqual({ maintenance: false, onboarding: true });

    await toggle('maintenance-mode', true);
    // Unleash publishes a new revision about once a second, then one refresh interval (250 ms):
    // about 1-2 s here; the generous wait only absorbs a loaded CI machine.
    await vi.waitFor(
      async () => expect(await state()).toEqual({ maintenance: true, onboarding: true }),
      {
        timeout: 30_000,
        interval: 50,
      },
    );

    await toggle('maintenance-mode', false);
    await vi.waitFor(
      async () => expect(await state()).toEqual({ maintenance: false, onboarding: true }),
      {
        timeout: 30_000,
        interval: 50,
      },
    );
  }, 90_000);

  it('keeps each user on the same side of a 50% gradual rollout by userId', async () => {
    await createFlag('recommendation-v2');
    await adminApi('POST', '/recommendation-v2/environments/development/strategies', {
      name: 'flexibleRollout',
      parameters: { rollout: '50', stickiness: 'userId', groupId: 'recommendation-v2' },
      constraints: [],
    });
    await toggle('recommendation-v2', true);
    const { flags } = connect();
    await flags.ready({ timeoutMs: 30_000 });
    const users = userIds(200);
    const evaluate = () => users.map((userId) => flags.isEnabled('recommendation-v2', { userId }));
    await vi.waitFor(() => expect(evaluate().some(Boolean)).toBe(true), {
      timeout: 30_000,
      interval: 50,
    });

    const first = evaluate();
    const second = evaluate();
    expect(second).toEqual(first);
    const on = first.filter(Boolean).length;
    expect(on).toBeGreaterThan(70);
    expect(on).toBeLessThan(130);
    // a request for the same user, another session: same answer
    const alice = flags.isEnabled('recommendation-v2', { userId: 'alice', sessionId: 's1' });
    for (let i = 0; i < 20; i++) {
      expect(flags.isEnabled('recommendation-v2', { userId: 'alice', sessionId: `s${i}` })).toBe(
        alice,
      );
    }
    // userId stickiness without a user: not in the rollout
    expect(flags.isEnabled('recommendation-v2', { sessionId: 'anon' })).toBe(false);
  }, 90_000);

  it('serves the declared defaults and logs an error when the token is refused', async () => {
    const { flags, logger } = connect(recordingLogger(), '*:development.not-a-real-token');
    await expect(flags.ready({ timeoutMs: 600 })).resolves.toEqual({
      source: 'unleash',
      ready: false,
    });
    expect(flags.isEnabled('new-onboarding')).toBe(true);
    expect(flags.isEnabled('recommendation-v2', { userId: 'user-1' })).toBe(false);
    // the 401 may arrive after the ready timeout on a busy machine: wait for it, do not race it
    await vi.waitFor(
      () =>
        expect(
          logger.lines.find((line) => line.msg === 'feature flag source failed')?.obj.err,
        ).toMatchObject({ message: expect.stringContaining('401') }),
      { timeout: 20_000, interval: 50 },
    );
    expect(flags.isReady()).toBe(false);
    expect(flags.isEnabled('new-onboarding')).toBe(true);
  }, 60_000);

  it(
    'keeps serving the last known values while Unleash is unreachable, then follows it again',
    async () => {
      await toggle('maintenance-mode', true);
      const backupPath = await mkdtemp(join(tmpdir(), 'flags-backup-'));
      cleanups.push(() => rm(backupPath, { recursive: true, force: true }));
      const { flags, logger } = connect(recordingLogger(), CLIENT_TOKEN, backupPath);
      await flags.ready({ timeoutMs: 30_000 });
      await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(true), {
        timeout: 30_000,
        interval: 50,
      });
      const rollout = userIds(50).map((userId) => flags.isEnabled('recommendation-v2', { userId }));

      await stopServer();

      await vi.waitFor(
        () =>
          expect(logger.lines.some((line) => line.msg === 'feature flag source failed')).toBe(true),
        { timeout: 30_000, interval: 50 },
      );
      const failure = logger.lines.find((line) => line.msg === 'feature flag source failed');
      expect(failure?.obj.serving).toBe('last known values');
      // several refresh intervals later, still the values Unleash gave last
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS * 4));
      expect(flags.isReady()).toBe(true);
      expect(flags.isEnabled('maintenance-mode')).toBe(true);
      expect(userIds(50).map((userId) => flags.isEnabled('recommendation-v2', { userId }))).toEqual(
        rollout,
      );
      expect(flags.isEnabled('new-onboarding')).toBe(true);
      // one error line per outage, not one per poll
      expect(logger.lines.filter((line) => line.msg === 'feature flag source failed')).toHaveLength(
        1,
      );

      // an instance started during the outage serves the values backed up to backupPath
      const restarted = connect(recordingLogger(), CLIENT_TOKEN, backupPath).flags;
      // resolves as soon as the backup is read; the long timeout only absorbs a busy machine
      await expect(restarted.ready({ timeoutMs: 20_000 })).resolves.toEqual({
        source: 'unleash',
        ready: true,
      });
      expect(restarted.isEnabled('maintenance-mode')).toBe(true);
      const withoutBackup = connect().flags;
      await expect(withoutBackup.ready({ timeoutMs: 100 })).resolves.toEqual({
        source: 'unleash',
        ready: false,
      });
      expect(withoutBackup.isEnabled('maintenance-mode')).toBe(false);

      // Unleash comes back (same address) with a changed flag
      expect(await startServer(Number(new URL(baseUrl).port))).toBe(Number(new URL(baseUrl).port));
      await toggle('maintenance-mode', false);
      // unleash-client backs off after failures (up to 10 refresh intervals), hence the wait
      await vi.waitFor(() => expect(flags.isEnabled('maintenance-mode')).toBe(false), {
        timeout: 30_000,
        interval: 50,
      });
      expect(
        logger.lines.filter((line) => line.msg === 'feature flag source reachable again'),
      ).toHaveLength(1);
    },
    SERVER_START_TIMEOUT_MS,
  );
});
