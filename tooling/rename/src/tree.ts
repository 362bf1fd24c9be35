import { spawn } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectFiles } from './rename-scope.js';

// Helpers of the tests that work on a copy of the whole tree or on packed packages.

/**
 * Copies the project as a fresh checkout would have it: tracked files plus untracked files
 * `.gitignore` does not exclude; no node_modules, dist, .turbo or .data.
 * @returns the number of files copied
 */
export function copyProject(root: string, dest: string): number {
  const files = projectFiles(root);
  for (const file of files) {
    const to = join(dest, file);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(root, file), to, { verbatimSymlinks: true });
  }
  return files.length;
}

/**
 * The environment for a child npm, npx or turbo run in another folder: the caller's, without the
 * variables `npm run` and turbo set for the package that runs the test (they would point the child
 * at this repository).
 */
export function childEnv(
  env: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (/^(npm_package_|npm_lifecycle_|TURBO_HASH$|VITEST|INIT_CWD$|npm_command$)/.test(key)) {
      continue;
    }
    if (key === 'npm_config_local_prefix' || key === 'npm_config_call') continue;
    // npm run / npx pass their allow-scripts setting on, empty, which lets a child npm install
    // run every dependency's install scripts; a copy installs under the project's allowScripts
    // like a fresh clone does.
    if (key === 'npm_config_allow_scripts') continue;
    out[key] = value;
  }
  return { ...out, ...extra };
}

/** What {@link runCommand} returns. */
export interface CommandResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, at most the last 256 KiB. */
  readonly output: string;
  readonly stdout: string;
  readonly timedOut: boolean;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** The whole process group is killed after this long. */
  readonly timeoutMs: number;
  readonly input?: string;
}

const MAX_OUTPUT = 256 * 1024;

/**
 * Runs a command in its own process group and kills the whole group (npm, turbo and what they
 * spawned) when it outlives `timeoutMs`.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    let timedOut = false;
    const keep = (s: string) => (s.length > MAX_OUTPUT ? s.slice(-MAX_OUTPUT) : s);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout = keep(stdout + d);
      output = keep(output + d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output = keep(output + d);
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      killGroup(); // anything the command left running in its group
      resolve({ status, signal, output, stdout, timedOut });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like {@link runCommand}, but throws with the command's output unless it exits 0. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.status !== 0) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : `exited with ${result.status ?? result.signal}`;
    throw new Error(
      `\`${[command, ...args].join(' ')}\` in ${options.cwd} ${why}:\n${result.output.slice(-20_000)}`,
    );
  }
  return result;
}
