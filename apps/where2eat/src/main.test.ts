import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@micro-app/db/testing';
import { type DevIdp, loadOrCreateTls, startDevIdp } from '@micro-app/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, startedProcesses, startMain } from './test/main-process.js';

/**
 * One request on its own connection (no keep-alive reuse), so each in-flight request stands for
 * a client that connected before the signal, as a load balancer's would.
 */
function send(url: string, token: string, method = 'GET', body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

afterAll(() => {
  for (const child of startedProcesses) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('main.ts', () => {
  let dataDir: string;
  let testDb: TestDatabase;
  let env: Record<string, string>;
  let idp: DevIdp;
  let token: string;

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0 });
    token = await idp.getUserToken('alice');
    dataDir = await mkdtemp(join(tmpdir(), 'where2eat-main-'));
    testDb = await createTestDatabase(process.env.DATABASE_URL);
    env = {
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: idp.audience,
      RATE_LIMIT_GROUP_CREATE_PER_MIN: '1000',
      ...(testDb.url
        ? { DATABASE_URL: testDb.url, MIGRATE_ON_START: 'true' }
        : { DATA_DIR: dataDir }),
    };
  });
  afterAll(async () => {
    await idp.close();
    await testDb.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('drains on SIGTERM: ready turns 503, no in-flight request fails, exit 0; data survives a restart', async () => {
    const first = await startMain({ ...env, SHUTDOWN_DRAIN_MS: '2000' });
    const created = await fetch(`${first.url}/v1/groups`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Survivors' }),
    });
    expect(created.status, JSON.stringify(first.logs.slice(-3))).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const inFlight = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? send(`${first.url}/v1/groups/${id}/recommendation`, token)
        : send(`${first.url}/v1/groups`, token, 'POST', { name: `Load ${i}` }),
    );
    const exited = once(first.child, 'exit');
    // Connections still in the kernel's accept queue when the listener closes are reset; the drain
    // window (SHUTDOWN_DRAIN_MS) exists so a busy process accepts them first, as in production.
    first.child.kill('SIGTERM');
    // Within the drain window readiness must turn 503 while the listener still answers.
    let readyStatus = 200;
    for (let i = 0; i < 50 && readyStatus === 200; i++) {
      readyStatus = await send(`${first.url}/health/ready`, token);
      if (readyStatus === 200) await new Promise((r) => setTimeout(r, 5));
    }
    expect(readyStatus).toBe(503);
    const statuses = await Promise.all(inFlight);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);

    const [code] = await exited;
    expect(code).toBe(0);
    expect(first.logs.map((l) => l.msg)).toContain('shutdown complete');

    const second = await startMain(env);
    try {
      const again = await fetch(`${second.url}/v1/groups/${id}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { name: string }).name).toBe('Survivors');
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  }, 60_000);

  it('refuses to start with invalid configuration, naming each variable', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
      {
        cwd: APP_DIR,
        env: { PATH: process.env.PATH, PORT: 'abc', DATABASE_URL: 'mysql://nope' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('PORT:');
    expect(stderr).toContain('DATABASE_URL:');
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it.runIf(process.env.DATABASE_URL)(
    'in production, trusts only an https:// issuer whose certificate it was given, and refuses http://',
    async () => {
      const tlsDir = await mkdtemp(join(tmpdir(), 'where2eat-tls-'));
      const tls = await loadOrCreateTls(tlsDir, ['localhost', '127.0.0.1']);
      const secureIdp = await startDevIdp({ port: 0, tls });
      try {
        const production = {
          ...env,
          NODE_ENV: 'production',
          MIGRATE_ON_START: 'true',
          SHUTDOWN_DRAIN_MS: '0',
        };
        const refused = spawn(
          process.execPath,
          ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
          {
            cwd: APP_DIR,
            env: { PATH: process.env.PATH, ...production, AUTH_ISSUER: idp.issuer },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stderr = '';
        refused.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        const [code] = await once(refused, 'exit');
        expect(code).toBe(1);
        expect(stderr).toContain(`AUTH_ISSUER: must be an https:// URL`);
        expect(stderr).not.toMatch(/\n\s+at /);

        const main = await startMain({
          ...production,
          AUTH_ISSUER: secureIdp.issuer,
          NODE_EXTRA_CA_CERTS: join(tlsDir, 'cert.pem'),
        });
        const res = await fetch(`${main.url}/v1/cuisines`, {
          headers: { Authorization: `Bearer ${await secureIdp.getUserToken('alice')}` },
        });
        expect(res.status).toBe(200);
        main.child.kill('SIGTERM');
        await once(main.child, 'exit');
      } finally {
        await secureIdp.close();
        await rm(tlsDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
