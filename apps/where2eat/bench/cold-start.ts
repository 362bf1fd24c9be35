/**
 * Cold start of the built app: from spawning `node --import ./dist/instrumentation.js
 * dist/main.js` (as `npm start` runs it) to the first 200 from `/health/ready`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '@micro-app/db/testing';
import { freePort, type Processes, START_TIMEOUT_MS, stopChild } from './processes.ts';
import type { ColdStartResult } from './report.ts';

export interface ColdStartOptions {
  processes: Processes;
  /** OTLP endpoint for the runs with telemetry. */
  otlpUrl: string;
  /** Measured runs per database, each with telemetry off and on. */
  runs: number;
  /** A PostgreSQL server to measure on as well (a fresh database is made there and dropped). */
  databaseUrl?: string | undefined;
  log: (line: string) => void;
}

/**
 * Fails without a build; returns a warning when a source file is newer than the build.
 *
 * @throws {Error} when `dist/main.js` or `dist/instrumentation.js` is missing
 */
export function checkBuild(appDir: string): string | undefined {
  const main = join(appDir, 'dist', 'main.js');
  if (!existsSync(main) || !existsSync(join(appDir, 'dist', 'instrumentation.js'))) {
    throw new Error(
      'dist/main.js is missing: build first (npx turbo run build --filter=@micro-app/where2eat; npm run bench does it)',
    );
  }
  const built = statSync(main).mtimeMs;
  const src = join(appDir, 'src');
  const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).some(
    (file) => file.endsWith('.ts') && statSync(join(src, file)).mtimeMs > built,
  );
  return stale ? 'src/ changed after the last build; the benchmark runs the old dist/' : undefined;
}

/** Milliseconds from spawning `dist/main.js` to its first 200 from /health/ready (every 10 ms). */
async function coldStart(processes: Processes, env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const startedAt = performance.now();
  const { child, stderr } = processes.spawnNode(
    ['--import', './dist/instrumentation.js', 'dist/main.js'],
    {
      env: {
        PATH: process.env.PATH,
        LOG_PRETTY: 'false',
        HOST: '127.0.0.1',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  try {
    while (performance.now() - startedAt < START_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        async (res) => {
          await res.body?.cancel();
          return res.status === 200;
        },
        () => false,
      );
      if (ready) return performance.now() - startedAt;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`main.js was not ready within ${START_TIMEOUT_MS / 1000} s`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderr()}`);
  } finally {
    await stopChild(child);
  }
}

/**
 * Cold starts on PGlite (the embedded default) and, with `databaseUrl`, on a fresh database on
 * that server with production settings. Each database is prepared by one unmeasured start that
 * applies the migrations, as a restarted pod finds its database ready.
 */
export async function measureColdStarts(options: ColdStartOptions): Promise<ColdStartResult[]> {
  const { processes, runs, log } = options;
  const setups: Array<{ database: ColdStartResult['database']; env: Record<string, string> }> = [
    {
      database: 'PGlite',
      env: { NODE_ENV: 'test', DATA_DIR: await processes.tempDir('where2eat-cold-') },
    },
  ];
  if (options.databaseUrl) {
    const database = await createTestDatabase(options.databaseUrl);
    processes.defer(database.drop);
    setups.push({
      database: 'PostgreSQL',
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: database.url as string,
        // Required in production; the app only contacts the issuer when a token arrives.
        AUTH_ISSUER: 'https://127.0.0.1:4000',
        MIGRATE_ON_START: 'false',
        SHUTDOWN_DRAIN_MS: '0',
      },
    });
  }
  const results: ColdStartResult[] = [];
  for (const { database, env } of setups) {
    log(`cold start on ${database}: ${runs} runs each without and with telemetry…`);
    await coldStart(processes, { ...env, MIGRATE_ON_START: 'true' });
    const off: ColdStartResult = { database, telemetry: false, runsMs: [] };
    const on: ColdStartResult = { database, telemetry: true, runsMs: [] };
    // Interleaved, so a noisy moment on the machine falls on both.
    for (let run = 0; run < runs; run++) {
      off.runsMs.push(await coldStart(processes, env));
      on.runsMs.push(
        await coldStart(processes, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpUrl }),
      );
    }
    results.push(off, on);
  }
  return results;
}
