import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const FIXTURES = new URL('../../test/fixtures/', import.meta.url);
const FIXTURE_START_TIMEOUT_MS = 60_000;

/** Timeout for a test that starts, drives and stops a fixture app (start + shutdown, busy machine). */
export const FIXTURE_TEST_TIMEOUT_MS = 90_000;

/** One JSON line the fixture app wrote to stdout (pino log lines and fixture events). */
export type OutputLine = Record<string, unknown>;

export interface FixtureApp {
  /** Base URL of the app. */
  url: string;
  /** Port of the Prometheus endpoint, when one was asked for. */
  metricsPort: number | undefined;
  /** Every JSON line printed so far. */
  lines: OutputLine[];
  stderr(): string;
  /** Sends SIGTERM and waits for the exit; `shutdownMs` is how long `telemetry.shutdown()` took. */
  stop(): Promise<{ code: number | null; shutdownMs: number | undefined }>;
}

/**
 * Starts `test/fixtures/app.mjs` in a child process with `node --import instrumentation.mjs`,
 * exactly as an app starts in production, so the http instrumentation patches `node:http`.
 */
export async function startFixture(env: Record<string, string>): Promise<FixtureApp> {
  const cleanEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('OTEL_') && key !== 'NODE_OPTIONS') {
      cleanEnv[key] = value;
    }
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      new URL('instrumentation.mjs', FIXTURES).href,
      fileURLToPath(new URL('app.mjs', FIXTURES)),
    ],
    { env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: OutputLine[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const listening = new Promise<OutputLine>((resolve, reject) => {
    // ~0.5 s idle; loading the OpenTelemetry SDK takes far longer on a busy 2-core machine
    const timer = setTimeout(
      () => reject(new Error(`fixture did not start within 60 s:\n${stderr}`)),
      FIXTURE_START_TIMEOUT_MS,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) {
        if (part.trim() === '') continue;
        const line = JSON.parse(part) as OutputLine;
        lines.push(line);
        if (line.fixture === 'listening') {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited with ${code} before listening:\n${stderr}`));
    });
  });
  const ready = await listening;

  return {
    url: `http://127.0.0.1:${ready.port as number}`,
    metricsPort: ready.metricsPort as number | undefined,
    lines,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      const shutdown = lines.find((line) => line.fixture === 'shutdown');
      return { code, shutdownMs: shutdown?.ms as number | undefined };
    },
  };
}

/** A plain HTTP server the fixture calls with `fetch`, recording each request's headers. */
export async function startUpstream(): Promise<{
  url: string;
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    headers.push(request.headers);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/upstream`,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
