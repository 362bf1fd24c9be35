/**
 * `npm run bench -- [--duration 8] [--warmup 2] [--only a,b] [--write] [--json]`
 *
 * What each guardrail costs: starts bare `node:http`, bare Hono and where2eat's stack layer by
 * layer, each in a process of its own (bench/server.ts), drives each with autocannon on loopback,
 * and prints requests/s, p50/p99 latency, RSS and the server's CPU time per request, with
 * requests/s as a share of bare Hono's.
 * Then measures the cold start of the built `main.js` (process start to a 200 from
 * /health/ready) with telemetry off and on, on PGlite and, when DATABASE_URL is set, on a fresh
 * database on that server. `--write` puts the results in docs/performance.md. Exits 1 when a
 * server fails to start or answers anything but 2xx; the targets are reported, never enforced.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@micro-app/db/testing';
import { type DevIdp, startDevIdp } from '@micro-app/dev-idp';
import { checkBuild, measureColdStarts } from './cold-start.ts';
import { type MeasuredVariant, measureSustained, measureVariant } from './measure.ts';
import { APP_DIR, Processes } from './processes.ts';
import { type Receiver, startReceiver } from './receiver.ts';
import {
  type ColdStartResult,
  describeMachine,
  formatColdStarts,
  formatSustained,
  formatTable,
  formatTargets,
  replaceSection,
  SUSTAINED_TARGET,
  type SustainedResult,
  targets,
} from './report.ts';
import type { ServerSettings } from './server.ts';
import { BASELINE, selectVariants, VARIANTS, type Variant } from './variants.ts';

const DOCS_FILE = fileURLToPath(new URL('../../../docs/performance.md', import.meta.url));
const FLAGS_FILE = join(APP_DIR, 'flags.json');

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run bench -- [--duration SECONDS] [--warmup SECONDS] [--connections N] [--only NAME,…] [--cold-start-runs N] [--sustained-seconds N] [--profile DIR] [--write] [--json]`,
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
        'sustained-seconds': { type: 'string', default: String(SUSTAINED_TARGET.seconds) },
        profile: { type: 'string' },
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
const selected = (() => {
  try {
    return selectVariants(only);
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const runColdStart = !only || only.includes('cold-start');
const runSustained = !only || only.includes('sustained');
const sustainedSec = positive('sustained-seconds', values['sustained-seconds']);
const profileDir = values.profile ? resolve(values.profile) : undefined;
if (values.write && profileDir) usage('--write records an unprofiled run; leave out --profile');
const databaseUrl = process.env.DATABASE_URL;
// The PostgreSQL rows need a server; without one they are left out, and the run says so.
const variants = selected.filter((v) => v.database !== 'postgres' || databaseUrl);
const withoutServer = selected.filter((v) => !variants.includes(v));
// The seeds' figure runs on PostgreSQL when there is one: production's database.
const sustainedVariant = runSustained
  ? VARIANTS.find((v) => v.name === (databaseUrl ? 'app-db-pg' : 'app-db'))
  : undefined;
const servers: Variant[] = [...variants, ...(sustainedVariant ? [sustainedVariant] : [])];

const log = (line: string) => (values.json ? console.error(line) : console.log(line));

const processes = new Processes();
let idp: DevIdp | undefined;
let receiver: Receiver | undefined;

async function cleanUp(): Promise<void> {
  await processes.cleanUp();
  await idp?.close();
  await receiver?.close();
}

let benchDatabaseUrl: Promise<string> | undefined;

/** One fresh database on the DATABASE_URL server for every PostgreSQL row, dropped at the end. */
function benchDatabase(): Promise<string> {
  benchDatabaseUrl ??= (async () => {
    const database = await createTestDatabase(databaseUrl as string);
    processes.defer(database.drop);
    return database.url as string;
  })();
  return benchDatabaseUrl;
}

/**
 * A PGlite folder with the migrations applied, made in this process: the server starts on a
 * database that exists, as a restarted app does, so its memory is not that of `initdb`.
 */
async function preparedDataDir(): Promise<string> {
  const dataDir = await processes.tempDir('where2eat-bench-');
  const [{ createDb }, schema, { MIGRATIONS_FOLDER }] = await Promise.all([
    import('@micro-app/db'),
    // From the build, as the server takes them (a URL, so typechecking needs no build).
    import(new URL('../dist/db/schema.js', import.meta.url).href) as Promise<
      typeof import('../src/db/schema.ts')
    >,
    import(new URL('../dist/runtime.js', import.meta.url).href) as Promise<
      typeof import('../src/runtime.ts')
    >,
  ]);
  const database = createDb({ schema, dataDir });
  await database.migrate(MIGRATIONS_FOLDER);
  await database.close();
  return dataDir;
}

async function settingsFor(variant: Variant): Promise<ServerSettings> {
  return {
    flagsFile: FLAGS_FILE,
    ...(variant.auth && idp
      ? { auth: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri } }
      : {}),
    ...(variant.database === 'pglite' ? { dataDir: await preparedDataDir() } : {}),
    ...(variant.database === 'postgres' ? { databaseUrl: await benchDatabase() } : {}),
  };
}

process.once('SIGINT', () => {
  log('interrupted; stopping the servers…');
  void cleanUp().finally(() => process.exit(130));
});

try {
  // The servers with telemetry or the app, and the cold start, run the build in dist/.
  if (withoutServer.length > 0) {
    log(
      `skipping ${withoutServer.map((v) => v.name).join(', ')}: set DATABASE_URL to a PostgreSQL server to measure them`,
    );
  }
  if (profileDir) {
    await mkdir(profileDir, { recursive: true });
    log(
      `writing a CPU profile of each timed run to ${profileDir} (open in Chrome DevTools or speedscope); profiled CPU figures run high`,
    );
  }
  if (runColdStart || servers.some((v) => v.telemetry || v.database)) {
    const warning = checkBuild(APP_DIR);
    if (warning) log(`warning: ${warning}`);
  }
  if (runColdStart || servers.some((v) => v.telemetry)) receiver = await startReceiver();
  let token: string | undefined;
  if (servers.some((v) => v.auth)) {
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
        await measureVariant(variant, step, {
          processes,
          load: { connections, warmupSec, durationSec },
          settings: await settingsFor(variant),
          profileDir,
          token,
          otlpUrl: receiver?.url,
          log,
        }),
      );
    } catch (error) {
      failures.push(`${variant.name}: ${(error as Error).message}`);
      log(`${step} ${variant.label}: FAILED\n${(error as Error).message}`);
    }
  }

  let sustained: SustainedResult | undefined;
  if (sustainedVariant) {
    try {
      sustained = await measureSustained(
        sustainedVariant,
        { rate: SUSTAINED_TARGET.rate, seconds: sustainedSec, connections },
        {
          processes,
          load: { connections, warmupSec, durationSec },
          settings: await settingsFor(sustainedVariant),
          token,
          otlpUrl: receiver?.url,
          log,
        },
      );
    } catch (error) {
      failures.push(`sustained: ${(error as Error).message}`);
      log(`sustained FAILED: ${(error as Error).message}`);
    }
  }

  let coldStarts: ColdStartResult[] = [];
  if (runColdStart && receiver) {
    try {
      coldStarts = await measureColdStarts({
        processes,
        otlpUrl: receiver.url,
        runs: coldStartRuns,
        databaseUrl,
        log,
      });
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
  const goals = targets(results, coldStarts, sustained);
  const settings = `autocannon, ${connections} connections, ${warmupSec} s warm-up then ${durationSec} s per server, load generator on the same machine`;

  if (values.json) {
    console.log(
      JSON.stringify(
        {
          machine,
          results,
          sustained,
          coldStarts,
          targets: goals,
          skipped: withoutServer.map((v) => v.name),
          failures,
        },
        null,
        2,
      ),
    );
  } else {
    log('');
    log(table);
    if (sustained) log(`\nFixed rate: ${formatSustained(sustained)}`);
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
      ...(sustained ? [`Fixed rate: ${formatSustained(sustained)}.`, ''] : []),
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
