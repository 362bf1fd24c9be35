/**
 * `npm run bench -- [--duration 8] [--warmup 2] [--only a,b] [--write] [--json]`
 *
 * What each guardrail costs: starts bare `node:http`, bare Hono and where2eat's stack layer by
 * layer, each in a process of its own (bench/server.ts), drives each with autocannon on loopback,
 * and prints requests/s, p50/p99 latency, RSS and the server's CPU time per request, with
 * requests/s as a share of bare Hono's.
 * Then measures the cold start of the built `main.js` (process start to a 200 from
 * /health/ready) with telemetry off and on. `--write` puts the results in docs/performance.md.
 * Exits 1 when a server fails to start or answers anything but 2xx.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@micro-app/db/testing';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import autocannon from 'autocannon';
import {
  type ColdStartResult,
  describeMachine,
  formatColdStarts,
  formatTable,
  formatTargets,
  replaceSection,
  targets,
  type VariantResult,
} from './report.ts';
import type { ServerMessage, ServerSettings } from './server.ts';
import { BASELINE, FULL_STACK, selectVariants, type Variant } from './variants.ts';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const DOCS_FILE = fileURLToPath(new URL('../../../docs/performance.md', import.meta.url));
const FLAGS_FILE = join(APP_DIR, 'flags.json');
const START_TIMEOUT_MS = 60_000;

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run bench -- [--duration SECONDS] [--warmup SECONDS] [--connections N] [--only NAME,…] [--cold-start-runs N] [--write] [--json]`,
  );
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '8' },
        warmup: { type: 'string', default: '2' },
        connections: { type: 'string', default: '50' },
        only: { type: 'string' },
        'cold-start-runs': { type: 'string', default: '5' },
        write: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();

function positive(name: string, raw: string, { integer = false, min = 0 } = {}): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= min || (integer && !Number.isInteger(value))) {
    usage(`--${name} must be a ${integer ? 'whole ' : ''}number above ${min}, got "${raw}"`);
  }
  return value;
}

const durationSec = positive('duration', values.duration);
const warmupSec = Number(values.warmup);
if (!Number.isFinite(warmupSec) || warmupSec < 0) usage('--warmup must be 0 or more seconds');
const connections = positive('connections', values.connections, { integer: true });
const coldStartRuns = positive('cold-start-runs', values['cold-start-runs'], { integer: true });
const only = values.only
  ?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
if (values.write && only) usage('--write records a full run; leave out --only');
const variants = (() => {
  try {
    return selectVariants(only);
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const runColdStart = !only || only.includes('cold-start');

const log = (line: string) => (values.json ? console.error(line) : console.log(line));

// ---------------------------------------------------------------------------------------------
// Parts the servers talk to: a no-op OTLP receiver and the dev identity provider.

interface Receiver {
  url: string;
  exports: number;
  close(): Promise<void>;
}

/** Answers every OTLP export with an empty success, as a collector that keeps nothing would. */
async function startReceiver(): Promise<Receiver> {
  const receiver = { exports: 0 } as Receiver;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') receiver.exports += 1;
      const json = req.headers['content-type']?.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await listen(server);
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => closeServer(server);
  return receiver;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked so that nothing outlives the run.

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const dropDatabases: Array<() => Promise<void>> = [];

/** Stops a child (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

interface RunningServer {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts `bench/server.ts <variant>` and resolves once it listens. */
async function startServer(
  variant: Variant,
  settings: ServerSettings,
  receiver: Receiver | undefined,
): Promise<RunningServer> {
  const imports = variant.telemetry ? ['--import', './dist/instrumentation.js'] : [];
  const child = spawn(
    process.execPath,
    [...imports, 'bench/server.ts', variant.name, JSON.stringify(settings)],
    {
      cwd: APP_DIR,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        ...(variant.telemetry && receiver ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
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
      reject(new Error(`exited with ${signal ?? code} before listening\n${stderr}`)),
    );
    child.once('error', reject);
  }).finally(() => clearTimeout(timer));
  const port = await listening.catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

/** The child's resident set size and CPU time so far, asked over IPC. */
function resourceUsage(child: ChildProcess): Promise<{ rssBytes: number; cpuMicros: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no usage answer within 5 s')), 5_000);
    const onMessage = (message: ServerMessage) => {
      if (message.type !== 'usage') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'usage' });
  });
}

// ---------------------------------------------------------------------------------------------
// Load.

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

function cannon(url: string, headers: Record<string, string>, seconds: number) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, headers, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

interface MeasuredVariant extends VariantResult {
  pid: number;
  requests: number;
}

async function measure(
  variant: Variant,
  step: string,
  parts: { idp?: DevIdp; token?: string; receiver?: Receiver },
): Promise<MeasuredVariant> {
  const settings: ServerSettings = { flagsFile: FLAGS_FILE };
  if (variant.auth && parts.idp) {
    settings.auth = {
      issuer: parts.idp.issuer,
      audience: parts.idp.audience,
      jwksUri: parts.idp.jwksUri,
    };
  }
  if (variant.name.startsWith('app')) settings.dataDir = await tempDir('where2eat-bench-');
  const headers: Record<string, string> = parts.token
    ? { authorization: `Bearer ${parts.token}` }
    : {};

  log(`${step} ${variant.label}: starting…`);
  const server = await startServer(variant, settings, parts.receiver);
  try {
    let path = variant.path;
    if (path.includes(':groupId')) {
      path = path.replace(':groupId', await seedGroup(server.url, headers));
    }
    const url = `${server.url}${path}`;
    // A benchmark of 401s or 404s says nothing: the route must answer 200 before it is timed.
    await request(url, { headers }, 200);
    if (warmupSec > 0) await cannon(url, headers, warmupSec);
    log(`${step} ${variant.label}: ${durationSec} s…`);
    const before = await resourceUsage(server.child);
    const result = await cannon(url, headers, durationSec);
    const after = await resourceUsage(server.child);
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
      cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests.total,
      pid: server.child.pid as number,
      requests: result.requests.total,
    };
    log(
      `${step} ${variant.label}: ${Math.round(measured.requestsPerSec)} req/s, p99 ${measured.p99Ms} ms, ${measured.cpuMicrosPerRequest.toFixed(0)} µs CPU/req, RSS ${(measured.rssBytes / 1_048_576).toFixed(0)} MB`,
    );
    return measured;
  } catch (error) {
    const stderr = server.stderr().trim();
    throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  } finally {
    await stopChild(server.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Cold start of the built app.

/** Fails without a build, warns when a source file is newer than the build. */
function checkBuild(): void {
  const main = join(APP_DIR, 'dist', 'main.js');
  if (!existsSync(main) || !existsSync(join(APP_DIR, 'dist', 'instrumentation.js'))) {
    throw new Error(
      'dist/main.js is missing: build first (npx turbo run build --filter=@micro-app/where2eat; npm run bench does it)',
    );
  }
  const built = statSync(main).mtimeMs;
  const src = join(APP_DIR, 'src');
  const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).some(
    (file) => file.endsWith('.ts') && statSync(join(src, file)).mtimeMs > built,
  );
  if (stale) log('warning: src/ changed after the last build; the benchmark runs the old dist/');
}

/** Milliseconds from spawning `dist/main.js` to its first 200 from /health/ready. */
async function coldStart(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', './dist/instrumentation.js', 'dist/main.js'], {
    cwd: APP_DIR,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  try {
    while (performance.now() - startedAt < START_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        async (res) => {
          await res.body?.cancel();
          return res.status === 200;
        },
        () => false,
      );
      if (ready) return performance.now() - startedAt;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`main.js was not ready within ${START_TIMEOUT_MS / 1000} s`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderr.trim()}`);
  } finally {
    await stopChild(child);
  }
}

/**
 * Cold starts on PGlite (the embedded default) and, when `DATABASE_URL` names a server, on a
 * fresh database there with production settings. Each database is prepared by one unmeasured
 * start that applies the migrations, as a restarted pod finds its database ready.
 */
async function measureColdStarts(receiver: Receiver): Promise<ColdStartResult[]> {
  const setups: Array<{ database: ColdStartResult['database']; env: Record<string, string> }> = [
    { database: 'PGlite', env: { NODE_ENV: 'test', DATA_DIR: await tempDir('where2eat-cold-') } },
  ];
  if (process.env.DATABASE_URL) {
    const database = await createTestDatabase(process.env.DATABASE_URL);
    dropDatabases.push(database.drop);
    setups.push({
      database: 'PostgreSQL',
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: database.url as string,
        AUTH_ISSUER: 'http://127.0.0.1:4000',
        MIGRATE_ON_START: 'false',
        SHUTDOWN_DRAIN_MS: '0',
      },
    });
  }
  const results: ColdStartResult[] = [];
  for (const { database, env } of setups) {
    log(`cold start on ${database}: ${coldStartRuns} runs each without and with telemetry…`);
    await coldStart({ ...env, MIGRATE_ON_START: 'true' });
    const off: ColdStartResult = { database, telemetry: false, runsMs: [] };
    const on: ColdStartResult = { database, telemetry: true, runsMs: [] };
    // Interleaved, so a noisy moment on the machine falls on both.
    for (let run = 0; run < coldStartRuns; run++) {
      off.runsMs.push(await coldStart(env));
      on.runsMs.push(await coldStart({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }));
    }
    results.push(off, on);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

let idp: DevIdp | undefined;
let receiver: Receiver | undefined;

async function cleanUp(): Promise<void> {
  await Promise.all([...children].map(stopChild));
  await idp?.close();
  await receiver?.close();
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  for (const drop of dropDatabases.splice(0)) await drop().catch(() => {});
}

process.once('SIGINT', () => {
  log('interrupted; stopping the servers…');
  void cleanUp().finally(() => process.exit(130));
});

try {
  // The servers with telemetry or the app, and the cold start, run the build in dist/.
  if (runColdStart || variants.some((v) => v.telemetry || v.name.startsWith('app'))) checkBuild();
  const needsAuth = variants.some((v) => v.auth);
  const needsReceiver = runColdStart || variants.some((v) => v.telemetry);
  if (needsReceiver) receiver = await startReceiver();
  let token: string | undefined;
  if (needsAuth) {
    idp = await startDevIdp({ port: 0 });
    token = await idp.getUserToken('alice');
  }

  log(
    `benchmarking ${variants.length} servers, ${connections} connections, ${warmupSec} s warm-up + ${durationSec} s each`,
  );
  const results: MeasuredVariant[] = [];
  const failures: string[] = [];
  for (const [index, variant] of variants.entries()) {
    const step = `[${index + 1}/${variants.length}]`;
    try {
      results.push(
        await measure(variant, step, {
          ...(idp ? { idp } : {}),
          ...(variant.auth && token ? { token } : {}),
          ...(receiver ? { receiver } : {}),
        }),
      );
    } catch (error) {
      failures.push(`${variant.name}: ${(error as Error).message}`);
      log(`${step} ${variant.label}: FAILED\n${(error as Error).message}`);
    }
  }

  let coldStarts: ColdStartResult[] = [];
  if (runColdStart && receiver) {
    try {
      coldStarts = await measureColdStarts(receiver);
    } catch (error) {
      failures.push(`cold start: ${(error as Error).message}`);
      log(`cold start FAILED: ${(error as Error).message}`);
    }
  }

  const machine = describeMachine({
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cpuCount: cpus().length,
    totalMemoryBytes: totalmem(),
    nodeVersion: process.versions.node,
    platform: `${platform()} ${release()}`,
    date: new Date(),
  });
  const table = formatTable(results, BASELINE);
  const goals = targets(results, coldStarts, { baseline: BASELINE, fullStack: FULL_STACK });
  const settings = `autocannon, ${connections} connections, ${warmupSec} s warm-up then ${durationSec} s per server, load generator on the same machine`;

  if (values.json) {
    console.log(
      JSON.stringify({ machine, results, coldStarts, targets: goals, failures }, null, 2),
    );
  } else {
    log('');
    log(table);
    if (coldStarts.length > 0)
      log(`\nCold start (process start to ready 200):\n${formatColdStarts(coldStarts)}`);
    log(`\nTargets:\n${formatTargets(goals)}`);
    if (receiver) log(`\nOTLP receiver took ${receiver.exports} exports.`);
    log(`\nMachine: ${machine}\nSettings: ${settings}`);
  }

  if (failures.length > 0) {
    console.error(`\nbench failed:\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}`);
    process.exitCode = 1;
  } else if (values.write) {
    const section = [
      `Machine: ${machine}.  `,
      `Settings: ${settings}.`,
      '',
      table,
      '',
      'Cold start of the built app (process start to the first 200 from `/health/ready`):',
      '',
      formatColdStarts(coldStarts),
      '',
      'Targets:',
      '',
      formatTargets(goals),
    ].join('\n');
    await writeFile(DOCS_FILE, replaceSection(await readFile(DOCS_FILE, 'utf8'), section));
    log(`\nwrote the results to ${DOCS_FILE}`);
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
