/**
 * What a benchmark run leaves behind, tracked so that nothing outlives it: child processes,
 * temporary folders and anything else that needs undoing (a test database to drop).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The where2eat folder: children run there, as `npm start` runs the app. */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Longest wait for a server to listen or an app to be ready. */
export const START_TIMEOUT_MS = 60_000;

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

export class Processes {
  readonly #children = new Set<ChildProcess>();
  readonly #tempDirs = new Set<string>();
  readonly #undo: Array<() => Promise<void>> = [];

  /** Spawns `node args…` in the app folder; its last 4,000 characters of stderr are kept. */
  spawnNode(args: string[], options: SpawnOptions): { child: ChildProcess; stderr: () => string } {
    const child = spawn(process.execPath, args, { cwd: APP_DIR, ...options });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    return { child, stderr: () => stderr.trim() };
  }

  /** A new temporary folder, removed by {@link cleanUp}. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#tempDirs.add(dir);
    return dir;
  }

  /** Runs `undo` in {@link cleanUp}; a failure there is ignored. */
  defer(undo: () => Promise<void>): void {
    this.#undo.push(undo);
  }

  /** Stops every child still running, removes the folders and runs the deferred undos. */
  async cleanUp(): Promise<void> {
    await Promise.all([...this.#children].map(stopChild));
    await Promise.all([...this.#tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
    this.#tempDirs.clear();
    for (const undo of this.#undo.splice(0)) await undo().catch(() => {});
  }
}
