import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadError } from './errors.js';

/** Options of {@link startApp}. */
export interface StartAppOptions {
  /** Arguments of `command` that start the app, e.g. `['--import', 'tsx', 'src/main.ts']`. */
  args: readonly string[];
  /** The folder the app runs in (a path or a `file:` URL). */
  cwd: string | URL;
  /**
   * The app's whole environment: nothing is inherited, so pass `PATH` when it needs one. `PORT`
   * (a free port) and `HOST` (`127.0.0.1`) are set here.
   */
  env?: Record<string, string | undefined>;
  /** The program to run. Default: this Node (`process.execPath`). */
  command?: string;
  /** The app's name in messages and in the default log file name. Default `app`. */
  name?: string;
  /** Where the app's stdout and stderr go. Default: `<tmpdir>/<name>-load-<pid>.log`. */
  logFile?: string;
  /** The path that answers 2xx once the app is ready. Default `/health/ready`. */
  readyPath?: string;
  /** How long to wait for it. Default `45000`. */
  timeoutMs?: number;
}

/** An app {@link startApp} started on loopback. */
export interface StartedApp {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Stops a child (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the app on a free loopback port, its output going to a log file, and waits until its
 * readiness path answers 2xx.
 *
 * @throws {LoadError} `LOAD_APP_EXITED` when it exits first, `LOAD_APP_NOT_READY` when it is not
 *   ready in time (it is stopped); both name the log file
 */
export async function startApp(options: StartAppOptions): Promise<StartedApp> {
  const name = options.name ?? 'app';
  const readyPath = options.readyPath ?? '/health/ready';
  const timeoutMs = options.timeoutMs ?? 45_000;
  if (!readyPath.startsWith('/')) {
    throw new LoadError('LOAD_INVALID_OPTIONS', `readyPath "${readyPath}" must start with /`);
  }
  const logFile = options.logFile ?? join(tmpdir(), `${name}-load-${process.pid}.log`);
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(options.command ?? process.execPath, [...options.args], {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `http://127.0.0.1:${port}`;
  const app: StartedApp = { url, port, logFile, child, stop: () => stopChild(child) };
  const deadline = Date.now() + timeoutMs;
  let failure: Error | undefined;
  void spawnError.then((error) => {
    failure = error;
  });
  while (Date.now() < deadline) {
    if (failure) {
      throw new LoadError('LOAD_APP_EXITED', `${name} did not start: ${failure.message}`, {
        cause: failure,
      });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LoadError(
        'LOAD_APP_EXITED',
        `${name} exited with ${child.exitCode ?? child.signalCode} before it was ready; see ${logFile}`,
      );
    }
    const ready = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return app;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await app.stop();
  throw new LoadError(
    'LOAD_APP_NOT_READY',
    `${name} was not ready within ${Math.round(timeoutMs / 1000)} s; see ${logFile}`,
  );
}
