import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { loadConfig } from './config.ts';

/**
 * Flags every podman command gets: the OCI runtime, and default ulimits (podman otherwise raises
 * nofile/nproc with setrlimit, which some sandboxes forbid).
 */
export const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=20000:20000'];

export function podmanArgs(args: readonly string[]): string[] {
  return ['--runtime', loadConfig().runtime, ...args];
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs podman and returns its output; never throws on a non-zero exit. */
export function podman(args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync('podman', podmanArgs(args), {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 30 * 60_000,
    ...options,
  });
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

/** Runs podman and returns stdout; throws with stderr when it fails. */
export function podmanOk(args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = podman(args, options);
  if (result.status !== 0) {
    throw new Error(`podman ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

/** Runs podman with its output streamed to ours (long builds); resolves with the exit code. */
export function podmanStreamed(args: readonly string[], timeoutMs: number): Promise<number> {
  return new Promise((resolveExit, reject) => {
    const child = spawn('podman', podmanArgs(args), { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`podman ${args[0]} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveExit(code ?? 1);
    });
  });
}

export function imageExists(tag: string): boolean {
  return podman(['image', 'exists', tag]).status === 0;
}
