import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadError } from './errors.js';
import { freePort, startApp } from './start-app.js';

// A real child process: a tiny Node HTTP server that listens on PORT and HOST as an app does.
const APP = `
const http = require('node:http');
const delay = Number(process.env.READY_AFTER_MS ?? 0);
const started = Date.now();
console.log('listening on', process.env.HOST, process.env.PORT, 'secret', process.env.SECRET);
http.createServer((req, res) => {
  const ready = req.url === '/health/ready' && Date.now() - started >= delay;
  res.writeHead(ready || req.url === '/' ? 200 : 503).end();
}).listen(Number(process.env.PORT), process.env.HOST);
`;

const dir = mkdtempSync(join(tmpdir(), 'load-start-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof LoadError ? error.code : String(error)),
  );
}

describe('startApp', () => {
  it('starts the app on a free loopback port with only the environment given, and stops it', async () => {
    const logFile = join(dir, 'ok.log');
    const app = await startApp({
      name: 'tiny',
      args: ['-e', APP],
      cwd: dir,
      env: { READY_AFTER_MS: '300', SECRET: 'given' },
      logFile,
    });
    try {
      expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
      expect(readFileSync(logFile, 'utf8')).toContain(
        `listening on 127.0.0.1 ${app.port} secret given`,
      );
    } finally {
      await app.stop();
    }
    expect(app.child.exitCode !== null || app.child.signalCode !== null).toBe(true);
    await app.stop(); // stopping twice is fine
  });

  it('says when the app exits before it is ready, naming the log', async () => {
    const logFile = join(dir, 'exits.log');
    const started = startApp({ args: ['-e', 'process.exit(3)'], cwd: dir, logFile, name: 'quits' });
    await expect(started).rejects.toThrow(
      `quits exited with 3 before it was ready; see ${logFile}`,
    );
    expect(await codeOf(startApp({ args: ['-e', 'process.exit(3)'], cwd: dir, logFile }))).toBe(
      'LOAD_APP_EXITED',
    );
  });

  it('stops an app that is not ready in time', async () => {
    const app = startApp({
      args: ['-e', APP],
      cwd: dir,
      env: { READY_AFTER_MS: '60000' },
      logFile: join(dir, 'slow.log'),
      timeoutMs: 1_000,
    });
    expect(await codeOf(app)).toBe('LOAD_APP_NOT_READY');
  });

  it('says when the program cannot run at all', async () => {
    const app = startApp({ command: join(dir, 'no-such-program'), args: [], cwd: dir });
    expect(await codeOf(app)).toBe('LOAD_APP_EXITED');
    expect(await codeOf(startApp({ args: [], cwd: dir, readyPath: 'health' }))).toBe(
      'LOAD_INVALID_OPTIONS',
    );
  });

  it('finds free ports', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
  });
});
