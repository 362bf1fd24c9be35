// Starts what the browser suite runs against, on free ports: the dev IdP in this process, and
// where2eat twice from its built dist/ (as `npm start` runs it), once on embedded PGlite and
// once on a fresh PostgreSQL database. The URLs reach the workers as environment variables
// (SETUP_ENV); the function this returns is the global teardown and stops everything.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@micro-app/db/testing';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import type { FullConfig } from '@playwright/test';
import {
  type Database,
  isCi,
  postgresServerUrl,
  SETUP_ENV,
  suiteSkipReason,
} from './environment.ts';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(APP_DIR, 'e2e-results');
const START_TIMEOUT_MS = 90_000;

interface RunningApp {
  url: string;
  child: ChildProcess;
  logFile: string;
}

/** Passes only what the app needs: never the runner's DATABASE_URL, OTLP endpoint or Redis. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'SYSTEMROOT'];
  return Object.fromEntries(
    keep.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
  );
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Runs `node --import ./dist/instrumentation.js dist/main.js` with PORT=0 and resolves once the
 * app logged its port and answers /health/ready. Output goes to `logFile` (JSON lines).
 */
async function startWhere2eat(
  name: Database,
  env: Record<string, string>,
  logFile: string,
): Promise<RunningApp> {
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', './dist/instrumentation.js', 'dist/main.js'], {
    cwd: APP_DIR,
    env: {
      ...baseEnv(),
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'true',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log, { end: false });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const fail = async (why: string) =>
    new Error(`where2eat (${name}) ${why}; the end of ${logFile}:\n${await tail(logFile)}`);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`did not log "where2eat listening" in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code ?? signal} before listening`));
      });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        try {
          const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
          if (entry.msg === 'where2eat listening' && typeof entry.port === 'number') {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {}
      });
    });
    // The browser reaches the app as localhost, the origin the dev IdP's web client accepts.
    const url = `http://localhost:${port}`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const status = await fetch(`${url}/health/ready`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`/health/ready answered ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { url, child, logFile };
  } catch (err) {
    child.kill('SIGKILL');
    throw await fail((err as Error).message);
  }
}

async function stopApp(app: RunningApp): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  const exited = once(app.child, 'exit');
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function skipProject(database: Database, reason: string): void {
  const message = `SKIPPED: the ${database} project: ${reason}`;
  if (isCi()) throw new Error(`${message} (required under CI=true)`);
  console.warn(message);
  process.env[SETUP_ENV.skip[database]] = reason;
}

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const skipAll = suiteSkipReason();
  if (skipAll) {
    // playwright.config.ts already failed under CI=true; the fixtures skip every test.
    console.warn(`SKIPPED: the browser suite: ${skipAll}`);
    return async () => {};
  }
  if (!existsSync(join(APP_DIR, 'dist/main.js'))) {
    throw new Error(
      'apps/where2eat/dist/main.js is missing: build first (npx turbo run build --filter=@micro-app/where2eat... --filter=@micro-app/dev-idp)',
    );
  }

  const workDir = mkdtempSync(join(tmpdir(), 'where2eat-e2e-'));
  const apps: RunningApp[] = [];
  let idp: DevIdp | undefined;
  let database: TestDatabase | undefined;

  const teardown = async () => {
    await Promise.allSettled(apps.map(stopApp));
    await idp?.close();
    await database?.drop();
    // The servers' logs, next to the test results (and in CI's artifact).
    const logs = join(config.projects[0]?.outputDir ?? RESULTS_DIR, 'servers');
    mkdirSync(logs, { recursive: true });
    for (const app of apps) {
      if (existsSync(app.logFile)) cpSync(app.logFile, join(logs, basename(app.logFile)));
    }
    rmSync(workDir, { recursive: true, force: true });
  };

  try {
    // host 'localhost' gives the issuer http://localhost:<port>, the URL it serves.
    idp = await startDevIdp({ port: 0, host: 'localhost' });
    process.env[SETUP_ENV.idpUrl] = idp.issuer;
    const common = { AUTH_ISSUER: idp.issuer };

    const dataDir = join(workDir, 'pglite');
    mkdirSync(dataDir);
    const pglite = await startWhere2eat(
      'pglite',
      { ...common, DATA_DIR: dataDir },
      join(workDir, 'where2eat-pglite.log'),
    );
    apps.push(pglite);
    process.env[SETUP_ENV.appUrl.pglite] = pglite.url;

    const serverUrl = postgresServerUrl();
    if (serverUrl === undefined) {
      skipProject('postgres', 'neither E2E_DATABASE_URL nor DATABASE_URL is set');
    } else {
      database = await createTestDatabase(serverUrl);
      const postgres = await startWhere2eat(
        'postgres',
        { ...common, DATABASE_URL: database.url as string },
        join(workDir, 'where2eat-postgres.log'),
      );
      apps.push(postgres);
      process.env[SETUP_ENV.appUrl.postgres] = postgres.url;
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
