import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrationStatus } from '@micro-app/db';
import { createTestDatabase } from '@micro-app/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadMigrationConfig } from './config.js';
import * as schema from './db/schema.js';
import { MIGRATIONS_FOLDER } from './runtime.js';
import { createTestApp, readJson } from './test/harness.js';
import { APP_DIR as appDir } from './test/main-process.js';

describe('loadMigrationConfig', () => {
  it('needs only DATABASE_URL in production, whatever else the server would require', () => {
    const config = loadMigrationConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/app',
      PORT: 'not a port',
    });
    expect(config).toEqual({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_PRETTY: false,
      DATABASE_URL: 'postgres://db/app',
      DATA_DIR: '.data/pglite',
    });
  });

  it('requires DATABASE_URL in production and names only that', () => {
    let error: unknown;
    try {
      loadMigrationConfig({ NODE_ENV: 'production' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DATABASE_URL: is required in production (the embedded database is for development)',
    ]);
  });

  it('rejects a DATABASE_URL that is not PostgreSQL', () => {
    expect(() => loadMigrationConfig({ DATABASE_URL: 'mysql://db/app' })).toThrow(
      /DATABASE_URL: must start with postgres/,
    );
  });
});

// Each of these starts a process or a whole app (PGlite, dev IdP): slow on a loaded machine.
const SLOW_MS = 120_000;

/** Runs `src/migrate.ts` (tsx) with exactly `env` plus PATH; resolves with its exit and output. */
function runMigrate(env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), SLOW_MS - 10_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const serverUrl = process.env.DATABASE_URL;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('migrate entry point', () => {
  it.runIf(serverUrl)(
    'migrates PostgreSQL with only DATABASE_URL and NODE_ENV=production set',
    async () => {
      const testDb = await createTestDatabase(serverUrl);
      cleanups.push(testDb.drop);
      const result = await runMigrate({ NODE_ENV: 'production', DATABASE_URL: String(testDb.url) });
      expect(result.output).toContain('migrations applied');
      expect(result.code).toBe(0);
      const handle = createDb({ schema, url: testDb.url });
      cleanups.push(() => handle.close());
      expect((await migrationStatus(handle.db, MIGRATIONS_FOLDER)).pending).toEqual([]);
    },
    SLOW_MS,
  );

  it(
    'migrates the embedded database in DATA_DIR with nothing else set',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'where2eat-migrate-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      const result = await runMigrate({ DATA_DIR: dataDir, LOG_PRETTY: 'false' });
      expect(result.output).toContain('migrations applied');
      expect(result.code).toBe(0);
      const handle = createDb({ schema, dataDir });
      try {
        expect((await migrationStatus(handle.db, MIGRATIONS_FOLDER)).pending).toEqual([]);
      } finally {
        await handle.close();
      }
    },
    SLOW_MS,
  );

  it(
    'exits 1 naming DATABASE_URL when production has none',
    async () => {
      const result = await runMigrate({ NODE_ENV: 'production' });
      expect(result.code).toBe(1);
      expect(result.output).toContain('DATABASE_URL: is required in production');
      expect(result.output).not.toContain('AUTH_ISSUER');
    },
    SLOW_MS,
  );
});

describe('readiness and migrations', () => {
  it(
    'answers /health/ready 503 naming the pending migration while the schema is behind',
    async () => {
      // The checked-in migrations plus one the database has not applied.
      const folder = await mkdtemp(join(tmpdir(), 'where2eat-drizzle-'));
      cleanups.push(() => rm(folder, { recursive: true, force: true }));
      await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
      const journalFile = join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalFile, 'utf8'));
      const last = journal.entries.at(-1);
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: '9999_next' });
      await writeFile(journalFile, JSON.stringify(journal));

      const behind = await createTestApp({ deps: { migrationsFolder: folder } });
      cleanups.push(() => behind.close());
      const res = await behind.request('/health/ready', {}, null);
      expect(res.status).toBe(503);
      const body = await readJson(res);
      expect(body.failing).toEqual(['migrations']);
      expect(body.checks.database).toEqual({ status: 'pass' });
      expect(body.checks.migrations.error).toMatch(/schema is behind: .*pending 9999_next/);

      const current = await createTestApp();
      cleanups.push(() => current.close());
      const ok = await current.request('/health/ready', {}, null);
      expect(ok.status).toBe(200);
      expect((await readJson(ok)).checks.migrations).toEqual({ status: 'pass' });
    },
    SLOW_MS,
  );
});
