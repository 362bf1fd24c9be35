import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('../..', import.meta.url));

export interface MainProcess {
  child: ChildProcess;
  url: string;
  logs: Array<Record<string, unknown>>;
}

/** Every process started here, so a suite can kill leftovers even when an assertion failed. */
export const startedProcesses: ChildProcess[] = [];

/**
 * Starts the real `src/main.ts` as `npm start` would (telemetry first through `--import`) and
 * resolves once it logs that it is listening. Logs are JSON lines, collected in `logs`.
 */
export async function startMain(env: Record<string, string>): Promise<MainProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './src/instrumentation.ts', 'src/main.ts'],
    {
      cwd: appDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  startedProcesses.push(child);
  const logs: Array<Record<string, unknown>> = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('main.ts did not start within 45 s')), 45_000);
    child.once('exit', (code) => reject(new Error(`main.ts exited early with ${code}`)));
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line, notJson: true };
      }
      logs.push(entry);
      if (entry.msg === 'where2eat listening') {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${entry.port}`);
      }
    });
  });
  return { child, url, logs };
}

/** The app folder, for tests that spawn it otherwise. */
export const APP_DIR = appDir;
