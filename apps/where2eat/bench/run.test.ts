import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs `bench/run.ts` as `npm run bench` does and collects its output. */
function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: APP_DIR,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench', () => {
  it('measures two servers, each in its own process, and stops them', async () => {
    const { code, stdout, stderr } = await bench([
      '--only',
      'bare-node,bare-hono',
      '--duration',
      '1',
      '--warmup',
      '0.5',
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.failures).toEqual([]);
    expect(report.coldStarts).toEqual([]);
    expect(report.results.map((r: { name: string }) => r.name)).toEqual(['bare-node', 'bare-hono']);
    for (const result of report.results) {
      expect(result.requests).toBeGreaterThan(100);
      expect(result.requestsPerSec).toBeGreaterThan(100);
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
      expect(result.rssBytes).toBeGreaterThan(10 * 1_048_576);
      expect(result.cpuMicrosPerRequest).toBeGreaterThan(0);
      expect(isRunning(result.pid)).toBe(false);
    }
    expect(new Set(report.results.map((r: { pid: number }) => r.pid)).size).toBe(2);
    // Only the baseline's own target can be judged from these two rows.
    expect(report.targets.map((t: { met?: boolean }) => t.met ?? null)).toEqual(
      Array(9).fill(null),
    );
    // Progress goes to stderr when the report is JSON.
    expect(stderr).toContain('[1/2] bare `node:http`: 1 s…');
    expect(stderr).toContain('[2/2] bare Hono (`@hono/node-server`): 1 s…');
  }, 60_000);

  it('rejects an unknown server name and a partial run with --write', async () => {
    const unknown = await bench(['--only', 'bare-hono,fastify']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown variant "fastify"');
    const partial = await bench(['--only', 'bare-hono', '--write']);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('--write records a full run; leave out --only');
  }, 30_000);
});
