/**
 * One row of the benchmark: start `bench/server.ts <variant>` in a process of its own, check that
 * its route answers 200, warm it up, drive it with autocannon and read its RSS and CPU time.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type Processes, START_TIMEOUT_MS, stopChild } from './processes.ts';
import type { SustainedResult, VariantResult } from './report.ts';
import type { RunnerMessage, ServerMessage, ServerSettings } from './server.ts';
import type { Variant } from './variants.ts';

export interface LoadSettings {
  connections: number;
  warmupSec: number;
  durationSec: number;
}

export interface MeasureOptions {
  processes: Processes;
  load: LoadSettings;
  /** What the server needs: the identity provider, the PGlite folder, the flags file. */
  settings: ServerSettings;
  /** Sent as `Authorization: Bearer …` on every request of a variant with auth. */
  token?: string | undefined;
  /** OTLP endpoint for the variants with telemetry. */
  otlpUrl?: string | undefined;
  /** Progress lines. */
  log: (line: string) => void;
  /** Write a CPU profile of each timed run here, as `<variant>.cpuprofile`. */
  profileDir?: string | undefined;
}

export interface MeasuredVariant extends VariantResult {
  /** The server's process id (gone once the row is measured). */
  pid: number;
  requests: number;
}

interface RunningServer {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts the server of `variant` and resolves once it listens. */
async function startServer(variant: Variant, options: MeasureOptions): Promise<RunningServer> {
  const preload = variant.preload ?? (variant.telemetry ? './dist/instrumentation.js' : undefined);
  const imports = preload ? ['--import', preload] : [];
  const { child, stderr } = options.processes.spawnNode(
    [
      // On by default from Node 23.6; the flag keeps Node 22 (this app's oldest) working.
      '--experimental-strip-types',
      ...imports,
      'bench/server.ts',
      variant.name,
      JSON.stringify(options.settings),
    ],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        ...variant.env,
        ...(variant.telemetry && options.otlpUrl
          ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpUrl }
          : {}),
      },
      // Log lines go to /dev/null, as a log shipper would take them off the process.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not listen within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'listening') resolve(message.port);
      if (message.type === 'failed') reject(new Error(message.message));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`exited with ${signal ?? code} before listening\n${stderr()}`)),
    );
    child.once('error', reject);
  }).finally(() => clearTimeout(timer));
  const port = await listening.catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr };
}

/**
 * Sends `message` to the child and resolves with its first answer of type `answer`; rejects
 * after `timeoutMs` without one.
 */
function ask<T extends ServerMessage['type']>(
  child: ChildProcess,
  message: RunnerMessage,
  answer: T,
  timeoutMs: number,
): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no ${answer} answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    function onMessage(received: ServerMessage) {
      if (received.type !== answer) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(received as Extract<ServerMessage, { type: T }>);
    }
    child.on('message', onMessage);
    child.send(message);
  });
}

/** The child's resident set size, heap and CPU time so far, asked over IPC. */
const resourceUsage = (child: ChildProcess) => ask(child, { type: 'usage' }, 'usage', 5_000);

/** Asks the child to stop profiling and write the profile; resolves once it is written. */
const stopProfile = (child: ChildProcess, file: string) =>
  ask(child, { type: 'profile-stop', file }, 'profiled', 30_000);

async function request(url: string, init: RequestInit, expected: number): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** A group of the caller and two guests with their preferences, for the recommendation route. */
async function seedGroup(baseUrl: string, headers: Record<string, string>): Promise<string> {
  const json = { ...headers, 'content-type': 'application/json' };
  const post = (path: string, body: unknown) =>
    request(
      `${baseUrl}${path}`,
      { method: 'POST', headers: json, body: JSON.stringify(body) },
      201,
    );
  const group = (await post('/v1/groups', { name: 'Bench' })) as { id: string };
  const members = [
    {
      member: { name: 'Caller' },
      preferences: { likes: ['thai', 'korean'], vetoes: ['american'] },
    },
    { member: { name: 'Guest 1', userSub: null }, preferences: { likes: ['italian'], vetoes: [] } },
    {
      member: { name: 'Guest 2', userSub: null },
      preferences: { likes: ['japanese', 'thai'], vetoes: ['mexican'] },
    },
  ];
  for (const { member, preferences } of members) {
    const { id } = (await post(`/v1/groups/${group.id}/members`, member)) as { id: string };
    await request(
      `${baseUrl}/v1/groups/${group.id}/members/${id}/preferences`,
      { method: 'PUT', headers: json, body: JSON.stringify(preferences) },
      200,
    );
  }
  return group.id;
}

function cannon(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, headers, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/**
 * Measures one variant and stops its server.
 *
 * @throws {Error} when the server does not start, its route does not answer 200, or any request
 *   of the timed run gets a non-2xx answer or a socket error
 */
export async function measureVariant(
  variant: Variant,
  step: string,
  options: MeasureOptions,
): Promise<MeasuredVariant> {
  const { load, log } = options;
  const headers: Record<string, string> =
    variant.auth && options.token ? { authorization: `Bearer ${options.token}` } : {};

  log(`${step} ${variant.label}: starting…`);
  const server = await startServer(variant, options);
  try {
    let path = variant.path;
    if (path.includes(':groupId')) {
      path = path.replace(':groupId', await seedGroup(server.url, headers));
    }
    const url = `${server.url}${path}`;
    // A benchmark of 401s or 404s says nothing: the route must answer 200 before it is timed.
    await request(url, { headers }, 200);
    if (load.warmupSec > 0) await cannon(url, headers, load.connections, load.warmupSec);
    log(`${step} ${variant.label}: ${load.durationSec} s…`);
    const profileFile = options.profileDir
      ? join(options.profileDir, `${variant.name}.cpuprofile`)
      : undefined;
    if (profileFile) server.child.send({ type: 'profile-start' } satisfies RunnerMessage);
    const before = await resourceUsage(server.child);
    const result = await cannon(url, headers, load.connections, load.durationSec);
    const after = await resourceUsage(server.child);
    if (profileFile) await stopProfile(server.child, profileFile);
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.requests.total} requests`,
      );
    }
    const measured: MeasuredVariant = {
      name: variant.name,
      label: variant.label,
      requestsPerSec: result.requests.total / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      rssBytes: after.rssBytes,
      heapUsedBytes: after.heapUsedBytes,
      cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests.total,
      pid: server.child.pid as number,
      requests: result.requests.total,
    };
    log(
      `${step} ${variant.label}: ${Math.round(measured.requestsPerSec)} req/s, p99 ${measured.p99Ms} ms, ${measured.cpuMicrosPerRequest.toFixed(0)} µs CPU/req, RSS ${(measured.rssBytes / 1_048_576).toFixed(0)} MB, heap ${(measured.heapUsedBytes / 1_048_576).toFixed(0)} MB`,
    );
    return measured;
  } catch (error) {
    const stderr = server.stderr();
    throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  } finally {
    await stopChild(server.child);
  }
}

/** The `share` quantile (0-1) of `values`, by the nearest-rank method; `NaN` for none. */
export function quantile(values: readonly number[], share: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(share * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Drives `variant`'s route at `rate` requests/s for `seconds` (autocannon's overall rate over
 * `connections`), keeps every response time, and stops the server.
 */
export async function measureSustained(
  variant: Variant,
  { rate, seconds, connections }: { rate: number; seconds: number; connections: number },
  options: MeasureOptions,
): Promise<SustainedResult> {
  const headers: Record<string, string> =
    variant.auth && options.token ? { authorization: `Bearer ${options.token}` } : {};
  options.log(`sustained: ${variant.label} at ${rate} req/s for ${seconds} s…`);
  const server = await startServer(variant, options);
  try {
    const path = variant.path.includes(':groupId')
      ? variant.path.replace(':groupId', await seedGroup(server.url, headers))
      : variant.path;
    const url = `${server.url}${path}`;
    await request(url, { headers }, 200);
    const times: number[] = [];
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        { url, connections, duration: seconds, overallRate: rate, headers, timeout: 10 },
        (error, done) => (error ? reject(error) : resolve(done)),
      );
      instance.on('response', (_client, _status, _bytes, responseTime) => {
        times.push(responseTime);
      });
    });
    const sustained: SustainedResult = {
      name: variant.name,
      label: variant.label,
      rate,
      seconds,
      requests: result.requests.total,
      achievedRate: result.requests.total / result.duration,
      p95Ms: quantile(times, 0.95),
      p99Ms: quantile(times, 0.99),
      errors: result.non2xx + result.errors + result.timeouts,
    };
    options.log(
      `sustained: ${Math.round(sustained.achievedRate)} req/s, p95 ${sustained.p95Ms.toFixed(1)} ms, p99 ${sustained.p99Ms.toFixed(1)} ms, ${sustained.errors} errors`,
    );
    return sustained;
  } catch (error) {
    const stderr = server.stderr();
    throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  } finally {
    await stopChild(server.child);
  }
}
